//! Host key verification: a pinned key, a known_hosts file, or trust on
//! first use with the key recorded in state. A key that differs from the
//! expected one is always a hard error naming both fingerprints.

use crate::error::SshError;
use russh::keys::{HashAlg, PublicKey};
use std::path::PathBuf;

/// How a node's host key is checked. The first configured source decides:
/// `pinned`, then `known_hosts`, then `recorded`; with none of them the key
/// is accepted and its fingerprint is returned for state to record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HostKeyPolicy {
    /// A pinned key: an OpenSSH public key line (`ssh-ed25519 AAAA...`) or a
    /// fingerprint (`SHA256:...`).
    pub pinned: Option<String>,
    /// A known_hosts file the node must be listed in.
    pub known_hosts: Option<PathBuf>,
    /// The fingerprint recorded in state on first use.
    pub recorded: Option<String>,
}

/// The SHA-256 fingerprint of a key, as OpenSSH prints it (`SHA256:...`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Turns a pinned value into a fingerprint: lines are parsed as public keys.
fn pinned_fingerprint(pinned: &str) -> Result<String, String> {
    let pinned = pinned.trim();
    if pinned.starts_with("SHA256:") {
        return Ok(pinned.to_string());
    }
    PublicKey::from_openssh(pinned)
        .map(|k| fingerprint(&k))
        .map_err(|e| {
            format!(
                "the pinned host_key is neither `SHA256:...` nor an OpenSSH public key line: {e}"
            )
        })
}

impl HostKeyPolicy {
    /// Checks the key `host:port` presented.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), SshError> {
        let observed = fingerprint(key);
        let endpoint = format!("{host}:{port}");
        let changed = |expected: String, source: String, fix: &str| SshError::HostKeyChanged {
            endpoint: endpoint.clone(),
            expected,
            observed: observed.clone(),
            source_of_expectation: source,
            fix: fix.to_string(),
        };
        if let Some(pinned) = &self.pinned {
            let expected = pinned_fingerprint(pinned).map_err(|reason| SshError::Key {
                path: "host_key".into(),
                reason,
            })?;
            if expected != observed {
                return Err(changed(
                    expected,
                    "pinned by the node's host_key".into(),
                    "the node's host_key in the stack",
                ));
            }
            return Ok(());
        }
        if let Some(file) = &self.known_hosts {
            let listed =
                russh::keys::known_hosts::known_host_keys_path(host, port, file).map_err(|e| {
                    SshError::Key {
                        path: file.display().to_string(),
                        reason: format!("cannot read known_hosts: {e}"),
                    }
                })?;
            if listed.iter().any(|(_, k)| k == key) {
                return Ok(());
            }
            if let Some((line, k)) = listed
                .iter()
                .find(|(_, k)| k.algorithm() == key.algorithm())
            {
                return Err(changed(
                    fingerprint(k),
                    format!("{} line {line}", file.display()),
                    &format!("that line of {}", file.display()),
                ));
            }
            return Err(SshError::HostKeyUnknown {
                endpoint,
                observed,
                known_hosts: file.display().to_string(),
            });
        }
        if let Some(recorded) = &self.recorded {
            if *recorded != observed {
                return Err(changed(
                    recorded.clone(),
                    "recorded in state when Strata first connected".into(),
                    "state (pin the new key with host_key, or remove the node from state and apply again)",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGIVQI/APSK8rtosRkSfvceNIUCJdUStla2flXFUEXNe";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYD7olBgF45cMLIiFpvOfZjf1Vss7R7UH236FCNNQ0r";

    #[test]
    fn pinned_key_must_match_and_error_names_both() {
        let a = PublicKey::from_openssh(KEY_A).unwrap();
        let b = PublicKey::from_openssh(KEY_B).unwrap();
        let p = HostKeyPolicy {
            pinned: Some(KEY_A.into()),
            ..Default::default()
        };
        assert!(p.check("10.0.0.1", 22, &a).is_ok());
        let e = p.check("10.0.0.1", 22, &b).unwrap_err().to_string();
        assert!(
            e.contains(&fingerprint(&a)) && e.contains(&fingerprint(&b)),
            "{e}"
        );
        let by_fp = HostKeyPolicy {
            pinned: Some(fingerprint(&b)),
            ..Default::default()
        };
        assert!(by_fp.check("h", 22, &b).is_ok());
    }

    #[test]
    fn first_use_accepts_then_recorded_key_is_enforced() {
        let a = PublicKey::from_openssh(KEY_A).unwrap();
        let b = PublicKey::from_openssh(KEY_B).unwrap();
        assert!(HostKeyPolicy::default().check("h", 22, &a).is_ok());
        let p = HostKeyPolicy {
            recorded: Some(fingerprint(&a)),
            ..Default::default()
        };
        assert!(p.check("h", 22, &a).is_ok());
        assert!(matches!(
            p.check("h", 22, &b),
            Err(SshError::HostKeyChanged { .. })
        ));
    }

    #[test]
    fn known_hosts_lists_changes_and_unknowns() {
        let a = PublicKey::from_openssh(KEY_A).unwrap();
        let b = PublicKey::from_openssh(KEY_B).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        std::fs::write(&file, format!("[127.0.0.1]:2222 {KEY_A}\n")).unwrap();
        let p = HostKeyPolicy {
            known_hosts: Some(file.clone()),
            ..Default::default()
        };
        assert!(p.check("127.0.0.1", 2222, &a).is_ok());
        let e = p.check("127.0.0.1", 2222, &b).unwrap_err();
        assert!(matches!(e, SshError::HostKeyChanged { .. }), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(matches!(
            p.check("127.0.0.1", 2223, &a),
            Err(SshError::HostKeyUnknown { .. })
        ));
    }
}
