//! The `node` resource's attributes, decoded and checked.

use crate::hostkey::HostKeyPolicy;
use crate::ssh::SshTarget;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The drop-in file holding Strata's sysctl settings.
pub const SYSCTL_FILE: &str = "/etc/sysctl.d/90-strata.conf";
/// The file listing kernel modules to load at boot.
pub const MODULES_FILE: &str = "/etc/modules-load.d/strata.conf";
/// First line of the files Strata writes.
pub const MANAGED_HEADER: &str = "# Managed by Strata; changes made by hand are reported as drift.";

/// One managed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Its content.
    pub content: String,
    /// Octal mode, e.g. `0644`.
    pub mode: String,
    /// Owning user.
    pub owner: String,
    /// Owning group.
    pub group: String,
}

/// What a `node` resource asks of its host.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// Node name (the resource's `hostname`).
    pub name: String,
    /// How to reach it.
    pub target: SshTarget,
    /// Packages that must be installed.
    pub packages: Vec<String>,
    /// Kernel modules loaded now and at boot.
    pub kernel_modules: Vec<String>,
    /// sysctl settings, live and in a drop-in file.
    pub sysctl: BTreeMap<String, String>,
    /// Whether swap must be off (`swap = "off"`).
    pub swap_off: bool,
    /// systemd services that must be enabled and running.
    pub services: Vec<String>,
    /// Files by absolute path.
    pub files: BTreeMap<String, FileSpec>,
}

fn invalid(name: &str, what: String) -> String {
    format!("node {name}: {what}")
}

fn str_list(v: &Value, key: &str, name: &str, ok: fn(&str) -> bool) -> Result<Vec<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i.as_str() {
                Some(s) if ok(s) => Ok(s.to_string()),
                _ => Err(invalid(name, format!("`{key}` has an invalid entry {i}"))),
            })
            .collect(),
        Some(other) => Err(invalid(
            name,
            format!("`{key}` must be a list, not {other}"),
        )),
    }
}

fn word(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// `~/` at the start of a path means the home directory.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Decodes an SSH target from an `ssh` table (`address` falls back to `fallback_host`).
fn target(
    ssh: &Value,
    fallback_host: &str,
    recorded: Option<String>,
    name: &str,
) -> Result<SshTarget, String> {
    let port = match ssh.get("port") {
        None | Some(Value::Null) => 22,
        Some(p) => p
            .as_u64()
            .filter(|p| (1..=65535).contains(p))
            .ok_or_else(|| invalid(name, format!("ssh port {p} is not 1..65535")))?
            as u16,
    };
    let jump = match ssh.get("jump") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            // user@host:port, sharing the node's key.
            let (user, rest) = s.split_once('@').unwrap_or(("root", s));
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse::<u16>()
                        .map_err(|_| invalid(name, format!("jump host `{s}` has a bad port")))?,
                ),
                None => (rest, 22),
            };
            let mut without_jump = ssh.clone();
            without_jump["jump"] = Value::Null;
            without_jump["address"] = Value::Null;
            let mut t = target(&without_jump, host, None, name)?;
            t.port = port;
            t.user = user.to_string();
            t.jump = None;
            t.host_key.pinned = text(ssh, "jump_host_key");
            t.host_key.recorded = None;
            Some(Box::new(t))
        }
        Some(j @ Value::Object(_)) => {
            let host = text(j, "address")
                .ok_or_else(|| invalid(name, "the jump host needs an address".into()))?;
            let mut t = target(j, &host, None, name)?;
            if t.key.is_none() {
                t.key = text(ssh, "key").map(|k| expand_home(&k));
                t.key_passphrase_env = text(ssh, "key_passphrase_env");
            }
            Some(Box::new(t))
        }
        Some(other) => {
            return Err(invalid(
                name,
                format!("ssh.jump must be \"user@host:port\" or a table, not {other}"),
            ))
        }
    };
    Ok(SshTarget {
        host: text(ssh, "address").unwrap_or_else(|| fallback_host.to_string()),
        port,
        user: text(ssh, "user").unwrap_or_else(|| "root".into()),
        key: text(ssh, "key").map(|k| expand_home(&k)),
        key_passphrase_env: text(ssh, "key_passphrase_env"),
        host_key: HostKeyPolicy {
            pinned: text(ssh, "host_key"),
            known_hosts: text(ssh, "known_hosts").map(|k| expand_home(&k)),
            recorded,
        },
        jump,
    })
}

impl NodeSpec {
    /// Decodes a node's attributes. `recorded_host_key` is the fingerprint
    /// state recorded on first use, if any.
    pub fn from_attributes(
        attrs: &Value,
        recorded_host_key: Option<String>,
    ) -> Result<NodeSpec, String> {
        let name = text(attrs, "hostname").unwrap_or_else(|| "?".into());
        let address = text(attrs, "address").ok_or_else(|| invalid(&name, "no address".into()))?;
        let ssh = attrs.get("ssh").cloned().unwrap_or(Value::Null);
        let target = target(&ssh, &address, recorded_host_key, &name)?;
        let packages = str_list(attrs, "packages", &name, |s| word(s, b"+.:-_"))?;
        let kernel_modules = str_list(attrs, "kernel_modules", &name, |s| word(s, b"_-"))?;
        let services = str_list(attrs, "services", &name, |s| word(s, b"@._-"))?;
        let mut sysctl = BTreeMap::new();
        if let Some(Value::Object(m)) = attrs.get("sysctl") {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => {
                        return Err(invalid(
                            &name,
                            format!("sysctl {k} must be a string or number, not {other}"),
                        ))
                    }
                };
                if !word(k, b"._-/") || v.contains('\n') {
                    return Err(invalid(
                        &name,
                        format!("sysctl `{k} = {v}` is not a valid setting"),
                    ));
                }
                sysctl.insert(k.clone(), v);
            }
        }
        let swap_off = match attrs.get("swap").and_then(Value::as_str) {
            None | Some("off") => true,
            Some("unmanaged") => false,
            Some(other) => {
                return Err(invalid(
                    &name,
                    format!("swap = \"{other}\": expected \"off\" or \"unmanaged\""),
                ))
            }
        };
        let mut files = BTreeMap::new();
        if let Some(Value::Object(m)) = attrs.get("files") {
            for (path, f) in m {
                if !path.starts_with('/') || path.contains('\n') || path.contains("/../") {
                    return Err(invalid(
                        &name,
                        format!("file path `{path}` must be absolute"),
                    ));
                }
                let mode = text(f, "mode").unwrap_or_else(|| "0644".into());
                if u32::from_str_radix(&mode, 8).map_or(true, |m| m > 0o7777) {
                    return Err(invalid(
                        &name,
                        format!("file {path}: mode `{mode}` is not octal like \"0644\""),
                    ));
                }
                let owner = text(f, "owner").unwrap_or_else(|| "root".into());
                let group = text(f, "group").unwrap_or_else(|| owner.clone());
                if !word(&owner, b"_-.") || !word(&group, b"_-.") {
                    return Err(invalid(&name, format!("file {path}: bad owner or group")));
                }
                let content = text(f, "content")
                    .ok_or_else(|| invalid(&name, format!("file {path} needs `content`")))?;
                files.insert(
                    path.clone(),
                    FileSpec {
                        content,
                        mode,
                        owner,
                        group,
                    },
                );
            }
        }
        Ok(NodeSpec {
            name,
            target,
            packages,
            kernel_modules,
            sysctl,
            swap_off,
            services,
            files,
        })
    }

    /// The content of the sysctl drop-in (None: no settings, no file).
    pub fn sysctl_file(&self) -> Option<String> {
        if self.sysctl.is_empty() {
            return None;
        }
        let mut s = format!("{MANAGED_HEADER}\n");
        for (k, v) in &self.sysctl {
            s.push_str(&format!("{k} = {v}\n"));
        }
        Some(s)
    }

    /// The content of the modules-load.d file (None: no modules, no file).
    pub fn modules_file(&self) -> Option<String> {
        if self.kernel_modules.is_empty() {
            return None;
        }
        let mut s = format!("{MANAGED_HEADER}\n");
        for m in &self.kernel_modules {
            s.push_str(m);
            s.push('\n');
        }
        Some(s)
    }
}

/// Normalises a sysctl value as the kernel prints it (tabs, runs of spaces).
pub fn normalize_sysctl(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_stack_shape() {
        let a = json!({
            "hostname": "master-1", "address": "10.0.0.11",
            "ssh": {"user": "ubuntu", "port": 2222, "address": "127.0.0.1", "key": "/k", "jump": "admin@bastion:2200"},
            "packages": ["nfs-common", "open-iscsi"], "kernel_modules": ["iscsi_tcp"],
            "sysctl": {"vm.swappiness": "10", "net.ipv4.ip_forward": 1}, "swap": "off",
            "files": {"/etc/x.conf": {"content": "a\n", "mode": "0600"}}
        });
        let s = NodeSpec::from_attributes(&a, Some("SHA256:x".into())).unwrap();
        assert_eq!(s.target.host, "127.0.0.1");
        assert_eq!(s.target.port, 2222);
        assert_eq!(s.target.host_key.recorded.as_deref(), Some("SHA256:x"));
        let j = s.target.jump.as_ref().unwrap();
        assert_eq!(
            (j.user.as_str(), j.host.as_str(), j.port),
            ("admin", "bastion", 2200)
        );
        assert_eq!(j.key, s.target.key);
        assert_eq!(s.sysctl["net.ipv4.ip_forward"], "1");
        assert!(s.swap_off);
        assert_eq!(s.files["/etc/x.conf"].group, "root");
        assert_eq!(
            s.sysctl_file().unwrap(),
            format!("{MANAGED_HEADER}\nnet.ipv4.ip_forward = 1\nvm.swappiness = 10\n")
        );
    }

    #[test]
    fn rejects_what_would_reach_a_shell_unchecked() {
        for bad in [
            json!({"address": "a", "packages": ["-oAPT::x"]}),
            json!({"address": "a", "sysctl": {"a b": "1"}}),
            json!({"address": "a", "files": {"rel/path": {"content": ""}}}),
            json!({"address": "a", "files": {"/x": {"content": "", "mode": "rw"}}}),
            json!({"address": "a", "swap": "on"}),
        ] {
            assert!(NodeSpec::from_attributes(&bad, None).is_err(), "{bad}");
        }
    }
}
