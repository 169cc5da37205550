//! What a `k3s_server` or `k3s_agent` resource asks of its node.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use strata_engine::ResourceType;

/// Server (control plane with embedded etcd) or agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `k3s server`.
    Server,
    /// `k3s agent`.
    Agent,
}

impl Role {
    /// The systemd unit the install script makes.
    pub fn service(self) -> &'static str {
        match self {
            Role::Server => "k3s",
            Role::Agent => "k3s-agent",
        }
    }

    /// The uninstall script the install script makes.
    pub fn uninstall_script(self) -> &'static str {
        match self {
            Role::Server => "/usr/local/bin/k3s-uninstall.sh",
            Role::Agent => "/usr/local/bin/k3s-agent-uninstall.sh",
        }
    }

    /// The `k3s` subcommand.
    pub fn command(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Agent => "agent",
        }
    }
}

/// A decoded k3s member.
#[derive(Debug, Clone, PartialEq)]
pub struct K3sSpec {
    /// Server or agent.
    pub role: Role,
    /// The cluster's name.
    pub cluster: String,
    /// The node it runs on (a `node` resource's hostname).
    pub node: String,
    /// Pinned version, `v1.36.3+k3s1`.
    pub version: String,
    /// The server that initialises embedded etcd.
    pub cluster_init: bool,
    /// The API endpoint clients use.
    pub api_endpoint: String,
    /// Where the config file goes.
    pub config_path: String,
    /// The config file's content (YAML).
    pub config: String,
    /// Labels set on the Node object through the API after the join.
    pub api_labels: BTreeMap<String, String>,
    /// Files for the server's auto-deploy directory, by file name.
    pub manifests: BTreeMap<String, String>,
    /// Air-gap bundle directory; `None` installs online.
    pub airgap_bundle: Option<PathBuf>,
}

fn text(attrs: &Value, key: &str) -> Option<String> {
    attrs.get(key).and_then(Value::as_str).map(str::to_string)
}

fn string_map(attrs: &Value, key: &str) -> Result<BTreeMap<String, String>, String> {
    match attrs.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_string())),
                None => Err(format!("`{key}.{k}` must be a string")),
            })
            .collect(),
        Some(other) => Err(format!("`{key}` must be a table, not {other}")),
    }
}

/// A version k3s publishes: `vMAJOR.MINOR.PATCH+k3sN` (also `-rcN+k3sN`).
pub fn valid_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let Some((core, build)) = rest.split_once('+') else {
        return false;
    };
    let nums = core.split('-').next().unwrap_or_default();
    nums.split('.').count() == 3
        && nums
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && build.starts_with("k3s")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

impl K3sSpec {
    /// Decodes a resource's attributes.
    pub fn from_attributes(rtype: ResourceType, attrs: &Value) -> Result<K3sSpec, String> {
        let role = match rtype {
            ResourceType::K3sServer => Role::Server,
            ResourceType::K3sAgent => Role::Agent,
            other => return Err(format!("{other:?} is not a k3s resource")),
        };
        let need = |key: &str| text(attrs, key).ok_or_else(|| format!("`{key}` is missing"));
        let version = need("version")?;
        if !valid_version(&version) {
            return Err(format!(
                "version {version:?} is not a k3s release (vMAJOR.MINOR.PATCH+k3sN)"
            ));
        }
        let node = need("node")?;
        Ok(K3sSpec {
            role,
            cluster: text(attrs, "cluster").unwrap_or_default(),
            version,
            cluster_init: attrs
                .get("cluster_init")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            api_endpoint: need("api_endpoint")?,
            config_path: text(attrs, "config_path")
                .unwrap_or_else(|| "/etc/rancher/k3s/config.yaml".into()),
            config: text(attrs, "config").unwrap_or_default(),
            api_labels: string_map(attrs, "api_labels")?,
            manifests: string_map(attrs, "manifests")?,
            airgap_bundle: text(attrs, "airgap_bundle").map(PathBuf::from),
            node,
        })
    }

    /// Whether this member must be (re)installed to reach `installed`.
    pub fn needs_install(&self, installed: Option<&str>) -> bool {
        installed != Some(self.version.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(valid_version("v1.36.3+k3s1"));
        assert!(valid_version("v1.33.0-rc1+k3s1"));
        assert!(!valid_version("1.36.3+k3s1"));
        assert!(!valid_version("v1.36+k3s1"));
        assert!(!valid_version("v1.36.3"));
        assert!(!valid_version("v1.36.3+k3s1; rm -rf /"));
    }
}
