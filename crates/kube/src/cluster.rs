//! Reaching a cluster: a kubeconfig (a file with an optional context, or text
//! handed over by whatever built the cluster) becomes a client.

use crate::discovery::Kinds;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::PathBuf;
use std::time::Duration;
use strata_engine::provider::ProviderError;

/// Where the kubeconfig of the target cluster comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigSource {
    /// A kubeconfig file, and the context to use (default: its current context).
    File {
        /// The file.
        path: PathBuf,
        /// The context; `None` for the file's `current-context`.
        context: Option<String>,
    },
    /// Kubeconfig YAML in memory (e.g. fetched from a k3s server); never written to state.
    Text {
        /// The YAML.
        yaml: String,
        /// The context; `None` for its `current-context`.
        context: Option<String>,
    },
}

impl KubeconfigSource {
    /// A short description for messages: the file and context, never credentials.
    pub fn describe(&self) -> String {
        let (what, context) = match self {
            KubeconfigSource::File { path, context } => {
                (format!("kubeconfig {}", path.display()), context)
            }
            KubeconfigSource::Text { context, .. } => ("the cluster's kubeconfig".into(), context),
        };
        match context {
            Some(c) => format!("{what} (context {c})"),
            None => what,
        }
    }
}

/// A connected cluster: a client and its discovery cache.
#[derive(Clone)]
pub struct Cluster {
    /// The client.
    pub client: Client,
    /// Which kinds the cluster serves.
    pub kinds: Kinds,
    /// The API server URL, for messages.
    pub server: String,
}

impl Cluster {
    /// Connects and checks that the API server answers (`GET /version`)
    /// within `timeout`.
    pub async fn connect(
        source: &KubeconfigSource,
        timeout: Duration,
    ) -> Result<Cluster, ProviderError> {
        let (kubeconfig, context) = match source {
            KubeconfigSource::File { path, context } => {
                let kc = Kubeconfig::read_from(path).map_err(|e| {
                    ProviderError::new(format!(
                        "cannot read kubeconfig {}: {e}; check the path given as the cluster's kubeconfig",
                        path.display()
                    ))
                })?;
                (kc, context)
            }
            KubeconfigSource::Text { yaml, context } => {
                let kc = Kubeconfig::from_yaml(yaml).map_err(|e| {
                    ProviderError::new(format!("the cluster's kubeconfig is not valid: {e}"))
                })?;
                (kc, context)
            }
        };
        if let Some(c) = context {
            if !kubeconfig.contexts.iter().any(|n| &n.name == c) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect();
                return Err(ProviderError::new(format!(
                    "{} has no context {c:?}; it has: {}",
                    source.describe(),
                    known.join(", ")
                )));
            }
        }
        let options = KubeConfigOptions {
            context: context.clone(),
            ..Default::default()
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| ProviderError::new(format!("{}: {e}", source.describe())))?;
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(Duration::from_secs(60));
        config.write_timeout = Some(Duration::from_secs(60));
        let server = config.cluster_url.to_string();
        let client = Client::try_from(config)
            .map_err(|e| ProviderError::new(format!("{}: {e}", source.describe())))?;
        match tokio::time::timeout(timeout, crate::retry::probe(|| client.apiserver_version()))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(ProviderError::retryable(format!(
                    "the Kubernetes API at {server} does not answer: {}",
                    crate::retry::describe(&e)
                )))
            }
            Err(_) => {
                return Err(ProviderError::retryable(format!(
                    "the Kubernetes API at {server} did not answer within {}s",
                    timeout.as_secs()
                )))
            }
        }
        Ok(Cluster {
            kinds: Kinds::new(client.clone()),
            client,
            server,
        })
    }
}
