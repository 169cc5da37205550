//! Strata's Kubernetes provider. Every in-cluster resource of a stack (charts
//! as `helm.cattle.io/v1` HelmCharts, apps, raw manifests, Argo CD objects)
//! is a `k8s_object` whose attributes are its manifest. The provider applies
//! them with server-side apply (field manager `strata`), plans them with a
//! server-side dry run compared with the live object, waits until they are
//! ready, deletes them and waits until they are gone, and reads them back in
//! batches (one LIST per kind and namespace) naming who changed what.

mod cluster;
mod discovery;
mod normalize;
mod ownership;
mod provider;
mod retry;
mod wait;

pub use cluster::{Cluster, KubeconfigSource};
pub use normalize::{normalize, project, Projection};
pub use provider::{KubeProvider, KubeSettings, KubeconfigAccess};

/// The field manager Strata applies with.
pub const FIELD_MANAGER: &str = "strata";
