//! Strata's engine: addresses, the resource graph, diffs and plans, plan
//! files, state and its backends, the apply walker and the Provider trait.
//! It knows nothing of SSH or Kubernetes.

pub mod address;
pub mod apply;
pub mod diff;
pub mod graph;
pub mod online;
pub mod parallel;
pub mod path;
pub mod plan;
pub mod planfile;
pub mod provider;
pub mod refresh;
pub mod render;
pub mod resource;
pub mod state;
pub mod target;

pub use address::Address;
pub use graph::{GraphError, ResourceGraph};
pub use path::AttrPath;
pub use plan::{plan, Action, DesiredOutput, Plan, PlanInput, ResourceChange, SecretValues};
pub use resource::{
    DesiredResource, ForceNew, Lifecycle, ResourceType, SecretEncoding, SecretPart, SensitiveValue,
    KNOWN_AFTER_APPLY, SENSITIVE,
};
pub use state::{Backend, LocalBackend, LockGuard, LockInfo, State, StateError, StateWriter};
