//! Label-selector watches with a real kubectl: an object entering the selection arrives as
//! ADDED and one leaving it as DELETED, as the API server's watch cache sends them.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

#[test]
fn objects_entering_and_leaving_a_selection_are_added_and_deleted() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "configmap", "settings", "--from-literal=a=1"]);
    let home = tempfile::tempdir().unwrap();
    let mut watch = Command::new(kubectl_path())
        .args([
            "get",
            "configmaps",
            "-l",
            "tier=web",
            "--watch-only",
            "--output-watch-events",
            "-o",
            "json",
        ])
        .env_clear()
        .env("HOME", home.path())
        .env("KUBECONFIG", srv.kubeconfig_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    k.ok(&["label", "configmap", "settings", "tier=web"]);
    k.ok(&["annotate", "configmap", "settings", "note=x"]);
    k.ok(&["label", "configmap", "settings", "tier-"]);
    k.ok(&["annotate", "configmap", "settings", "note=y", "--overwrite"]);
    std::thread::sleep(Duration::from_millis(1500));
    watch.kill().unwrap();
    let mut out = String::new();
    watch
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = watch.wait();
    let events: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"], "{out}");
    // The DELETED event carries the object as it was while selected.
    assert_eq!(events[2]["object"]["metadata"]["labels"]["tier"], "web");
    assert_eq!(events[2]["object"]["metadata"]["annotations"]["note"], "x");
}
