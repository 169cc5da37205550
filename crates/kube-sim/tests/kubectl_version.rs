//! `kubectl version` shows the emulated Kubernetes version (a k3s build), and kubectl's own
//! version-skew warning reacts to it.

mod common;

use common::{server_with, Kubectl};

#[test]
fn kubectl_version_shows_the_emulated_version() {
    let srv = server_with(|c| c.version = (1, 36, 1));
    let k = Kubectl::new(&srv);
    let out = k.ok(&["version", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let server = &v["serverVersion"];
    assert_eq!(server["gitVersion"], "v1.36.1+k3s1");
    assert_eq!(server["major"], "1");
    assert_eq!(server["minor"], "36");
    assert_eq!(server["emulationMinor"], "36");
    assert_eq!(server["minCompatibilityMinor"], "35");
    let text = k.ok(&["version"]);
    assert!(text.contains("Server Version: v1.36.1+k3s1"), "{text}");
}

#[test]
fn an_old_emulated_version_triggers_kubectls_skew_warning() {
    let srv = server_with(|c| c.version = (1, 31, 4));
    let k = Kubectl::new(&srv);
    let out = k.run(&["version"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("Server Version: v1.31.4+k3s1"), "{stdout}");
    assert!(
        stderr.contains("exceeds the supported minor version skew of +/-1"),
        "{stderr}"
    );
}
