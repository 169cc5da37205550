//! Readiness: the member's service is active and its Node object, read
//! through the API on the first server (`k3s kubectl`), is Ready at the
//! pinned version.

use super::spec::K3sSpec;
use crate::ssh::Session;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How a member looks while we wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The service is not active (its `systemctl is-active` word).
    Service(String),
    /// The API has no such Node yet, or could not be asked (why).
    NoNode(String),
    /// The Node exists but is not Ready, or runs another version.
    NotReady {
        /// The Ready condition's status.
        ready: String,
        /// The kubelet version the Node reports.
        version: String,
    },
    /// Ready at the pinned version.
    Ready,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Service(s) => write!(f, "its service is {s}"),
            Status::NoNode(why) => write!(f, "its Node is not registered ({why})"),
            Status::NotReady { ready, version } => {
                write!(f, "its Node reports Ready={ready} at {version}")
            }
            Status::Ready => f.write_str("ready"),
        }
    }
}

/// The Ready condition and kubelet version of a Node object (JSON).
pub fn node_status(node: &Value) -> (String, String) {
    let ready = node["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["status"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    let version = node["status"]["nodeInfo"]["kubeletVersion"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    (ready, version)
}

/// Looks once.
pub async fn check(node: &Session, api: &Session, spec: &K3sSpec) -> Status {
    let service = match node
        .run(&["systemctl", "is-active", spec.role.service()])
        .await
    {
        Ok(o) => o.stdout_text().trim().to_string(),
        Err(e) => return Status::Service(format!("unknown ({e})")),
    };
    if service != "active" {
        return Status::Service(service);
    }
    let got = api
        .run(&["k3s", "kubectl", "get", "node", &spec.node, "-o", "json"])
        .await;
    let out = match got {
        Ok(o) if o.success() => o,
        Ok(o) => return Status::NoNode(o.stderr_tail()),
        Err(e) => return Status::NoNode(e.to_string()),
    };
    let Ok(obj) = serde_json::from_slice::<Value>(&out.stdout) else {
        return Status::NoNode("unreadable kubectl output".into());
    };
    let (ready, version) = node_status(&obj);
    if ready == "True" && version == spec.version {
        Status::Ready
    } else {
        Status::NotReady { ready, version }
    }
}

/// Waits until the member is ready, at most `timeout`.
pub async fn wait(
    node: &Session,
    api: &Session,
    spec: &K3sSpec,
    timeout: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let status = check(node, api, spec).await;
        if status == Status::Ready {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(format!(
                "k3s {} on {} was not ready within {}s: {status}\n  hint: see `journalctl -u {}` on the node",
                spec.role.command(),
                spec.node,
                timeout.as_secs(),
                spec.role.service()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
