//! What a node runs now: the k3s binary's version, the config file and the
//! service's state — everything drift is judged on — in one round trip.

use super::spec::K3sSpec;
use crate::error::SshError;
use crate::ssh::Session;
use base64::Engine;

/// The k3s binary every install puts here.
pub const BINARY: &str = "/usr/local/bin/k3s";

/// A node's k3s as observed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// `k3s --version`'s version; `None` when no binary is installed.
    pub version: Option<String>,
    /// The config file's content; `None` when it is missing.
    pub config: Option<String>,
    /// `systemctl is-active` of the member's unit (`active`, `inactive`, `failed`, ...).
    pub service: String,
    /// Whether the unit file exists.
    pub unit: bool,
}

impl Observed {
    /// Whether anything of k3s is on the node.
    pub fn installed(&self) -> bool {
        self.version.is_some() || self.unit
    }
}

const SCRIPT: &str = r#"
v=$("$3" --version 2>/dev/null | head -n1 | awk '{print $3}')
printf 'version=%s\n' "$v"
printf 'service=%s\n' "$(systemctl is-active "$2" 2>/dev/null)"
if [ -f "/etc/systemd/system/$2.service" ]; then echo unit=yes; fi
if [ -f "$1" ]; then printf 'config='; base64 -w0 "$1"; echo; fi
"#;

/// Observes `spec`'s member on the node behind `session`.
pub async fn observe(session: &Session, spec: &K3sSpec) -> Result<Observed, SshError> {
    let out = session
        .script(SCRIPT, &[&spec.config_path, spec.role.service(), BINARY])
        .await?;
    let mut o = Observed::default();
    for line in out.stdout_text().lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k {
            "version" if !v.is_empty() => o.version = Some(v.to_string()),
            "service" => o.service = v.to_string(),
            "unit" => o.unit = true,
            "config" => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .unwrap_or_default();
                o.config = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            _ => {}
        }
    }
    if o.service.is_empty() {
        o.service = "unknown".into();
    }
    Ok(o)
}
