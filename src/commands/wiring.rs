//! Which providers a stack needs, and how they reach the real world. The CLI
//! only assembles them; the providers do the talking.

use std::path::PathBuf;
use std::sync::Arc;
use strata_engine::apply::Providers;
use strata_kube::{KubeProvider, KubeSettings, KubeconfigSource};
use strata_stack::Stack;

/// The providers of one run.
pub struct Wired {
    /// By resource type.
    pub providers: Providers,
    /// The Kubernetes provider, when the stack targets a cluster.
    pub kube: Option<Arc<KubeProvider>>,
}

/// `~/x` → `$HOME/x`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The providers `stack` needs.
pub fn wire(stack: &Stack) -> Wired {
    let mut providers = Providers::default();
    let mut kube = None;
    if let Some(target) = &stack.model.cluster {
        let source = KubeconfigSource::File {
            path: expand_home(&target.kubeconfig),
            context: target.context.clone(),
        };
        let p = Arc::new(KubeProvider::new(Arc::new(source), KubeSettings::default()));
        providers.register(p.clone());
        kube = Some(p);
    }
    Wired { providers, kube }
}

impl Wired {
    /// Checks that the cluster answers; the reason it does not, otherwise.
    /// `Ok(false)` when the stack targets no cluster at all.
    pub async fn cluster_reachable(&self) -> Result<bool, String> {
        match &self.kube {
            None => Ok(false),
            Some(k) => k.cluster().await.map(|_| true).map_err(|e| e.message),
        }
    }
}
