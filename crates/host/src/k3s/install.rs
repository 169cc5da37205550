//! Phase: installing a pinned k3s version with the install script — from an
//! air-gap bundle uploaded over SSH (`INSTALL_K3S_SKIP_DOWNLOAD=true`), or
//! online with the official script and `INSTALL_K3S_VERSION`. The install
//! script (re)starts the service. The join token reaches the script on its
//! standard input, never on a command line.

use super::config::server_url;
use super::probe::BINARY;
use super::spec::{K3sSpec, Role};
use crate::ssh::Session;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where the install script is kept on the node.
pub const SCRIPT_PATH: &str = "/usr/local/lib/strata/k3s-install.sh";
/// Where k3s loads air-gap images from.
pub const IMAGES_DIR: &str = "/var/lib/rancher/k3s/agent/images";
/// The official install script.
pub const ONLINE_SCRIPT: &str = "https://get.k3s.io";

/// The files of an air-gap bundle for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The k3s binary.
    pub binary: PathBuf,
    /// The install script.
    pub script: PathBuf,
    /// Image tarballs (`k3s-airgap-images-*`).
    pub images: Vec<PathBuf>,
}

/// Finds `version`'s bundle: `DIR/VERSION/` when it exists, else `DIR`.
pub fn locate(dir: &Path, version: &str) -> Result<Bundle, String> {
    let per_version = dir.join(version);
    let base = if per_version.is_dir() {
        per_version
    } else {
        dir.to_path_buf()
    };
    let binary = base.join("k3s");
    let script = base.join("install.sh");
    for f in [&binary, &script] {
        if !f.is_file() {
            return Err(format!(
                "the air-gap bundle {} has no {}; it needs k3s and install.sh of {version} (in {} or in {})",
                dir.display(),
                f.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
                dir.display(),
                dir.join(version).display()
            ));
        }
    }
    let mut images: Vec<PathBuf> = std::fs::read_dir(&base)
        .map_err(|e| format!("cannot read {}: {e}", base.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("k3s-airgap-images"))
        })
        .collect();
    images.sort();
    Ok(Bundle {
        binary,
        script,
        images,
    })
}

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

/// Uploads `path` to `remote` unless the node already has the same bytes.
async fn put(session: &Session, path: &Path, remote: &str, mode: u32) -> Result<(), String> {
    let bytes = read(path)?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let have = session
        .script(
            r#"sha256sum -- "$1" 2>/dev/null | cut -d' ' -f1"#,
            &[remote],
        )
        .await
        .map_err(|e| e.to_string())?;
    if have.stdout_text().trim() == sha {
        return Ok(());
    }
    session
        .upload(&bytes, remote, mode)
        .await
        .map_err(|e| e.to_string())
}

const RUN: &str = r#"set -e
IFS= read -r token || true
if [ -n "$token" ]; then K3S_TOKEN=$token; export K3S_TOKEN; fi
if [ -n "$5" ]; then K3S_URL=$5; export K3S_URL; fi
if [ "$4" = online ]; then
  mkdir -p "$(dirname "$1")"
  curl -sfL "$6" -o "$1.tmp" && mv "$1.tmp" "$1"
else
  INSTALL_K3S_SKIP_DOWNLOAD=true; export INSTALL_K3S_SKIP_DOWNLOAD
fi
INSTALL_K3S_VERSION=$2 INSTALL_K3S_EXEC=$3 sh "$1"
"#;

/// Installs (or upgrades to) `spec.version` on the node and lets the install
/// script restart the service. `token` joins an existing cluster or sets the
/// first server's token.
pub async fn install(session: &Session, spec: &K3sSpec, token: Option<&str>) -> Result<(), String> {
    let mode = match &spec.airgap_bundle {
        Some(dir) => {
            let b = locate(dir, &spec.version)?;
            put(session, &b.binary, BINARY, 0o755).await?;
            for image in &b.images {
                let name = image
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("images");
                put(session, image, &format!("{IMAGES_DIR}/{name}"), 0o644).await?;
            }
            put(session, &b.script, SCRIPT_PATH, 0o755).await?;
            "airgap"
        }
        None => "online",
    };
    let url = match spec.role {
        Role::Agent => server_url(&spec.config).unwrap_or_default(),
        Role::Server => String::new(),
    };
    let stdin = format!("{}\n", token.unwrap_or_default());
    let args = [
        "sh",
        "-c",
        RUN,
        "sh",
        SCRIPT_PATH,
        &spec.version,
        spec.role.command(),
        mode,
        &url,
        ONLINE_SCRIPT,
    ];
    let out = session
        .run_with_input(&args, stdin.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "the k3s install script failed on {} (exit {}): {}\n  hint: see `journalctl -u {}` on the node",
            session.endpoint(),
            out.status,
            out.stderr_tail(),
            spec.role.service()
        ));
    }
    Ok(())
}

/// Restarts the member's service (after a config change, or when it was stopped).
pub async fn restart(session: &Session, spec: &K3sSpec) -> Result<(), String> {
    let unit = spec.role.service();
    session
        .run(&["systemctl", "enable", unit])
        .await
        .map_err(|e| e.to_string())?;
    let out = session
        .run(&["systemctl", "restart", unit])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "systemctl restart {unit} failed on {}: {}",
            session.endpoint(),
            out.stderr_tail()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn a_bundle_per_version_is_preferred_and_a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let err = locate(d, "v1.36.3+k3s1").unwrap_err();
        assert!(err.contains("has no k3s"), "{err}");
        touch(&d.join("k3s"));
        touch(&d.join("install.sh"));
        let flat = locate(d, "v1.36.3+k3s1").unwrap();
        assert_eq!(flat.binary, d.join("k3s"));
        assert!(flat.images.is_empty());
        let v = d.join("v1.36.3+k3s1");
        touch(&v.join("k3s"));
        touch(&v.join("install.sh"));
        touch(&v.join("k3s-airgap-images-amd64.tar.zst"));
        touch(&v.join("sha256sum-amd64.txt"));
        let b = locate(d, "v1.36.3+k3s1").unwrap();
        assert_eq!(b.binary, v.join("k3s"));
        assert_eq!(b.script, v.join("install.sh"));
        assert_eq!(b.images, vec![v.join("k3s-airgap-images-amd64.tar.zst")]);
        // Another version falls back to the flat layout.
        assert_eq!(locate(d, "v1.36.4+k3s1").unwrap().binary, d.join("k3s"));
    }
}
