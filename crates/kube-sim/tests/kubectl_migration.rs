//! Moving an object from client-side to server-side apply, and stripping managedFields, as
//! kubectl and the real API server do it.

mod common;

use common::{managers, server, Kubectl};

const V1: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  a: \"1\"\n  b: \"2\"\n";
const V2: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  a: \"1\"\n  b: \"3\"\n";

#[test]
fn server_side_apply_takes_over_client_side_apply_fields() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let v1 = k.write_manifest("v1.yaml", V1);
    let v2 = k.write_manifest("v2.yaml", V2);
    k.ok(&["apply", "-f", v1.to_str().unwrap()]);
    let cm = k.get_json(&["cm", "app", "-n", "default", "--show-managed-fields"]);
    assert_eq!(managers(&cm), vec!["kubectl-client-side-apply/Update/"]);

    // No conflict on data.b: the client-side apply manager's fields move to `kubectl`.
    let out = k.run(&["apply", "--server-side", "-f", v2.to_str().unwrap(), "-v=6"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let cm = k.get_json(&["cm", "app", "-n", "default", "--show-managed-fields"]);
    assert_eq!(cm["data"]["b"], "3");
    // kubectl moved the client-side apply entry into its own and keeps the last-applied
    // annotation (now recording b=3) under `kubectl-last-applied`.
    assert_eq!(
        managers(&cm),
        vec!["kubectl/Apply/", "kubectl-last-applied/Apply/"],
        "{cm}"
    );
    let last = cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap();
    let last: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(last["data"]["b"], "3");
    let fields = &cm["metadata"]["managedFields"][0]["fieldsV1"];
    assert!(fields["f:data"]["f:a"].is_object(), "{fields}");

    // Removing a field from the manifest now prunes it: `kubectl` owns it alone.
    let v3 = k.write_manifest(
        "v3.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  a: \"1\"\n",
    );
    k.ok(&["apply", "--server-side", "-f", v3.to_str().unwrap()]);
    let cm = k.get_json(&["cm", "app", "-n", "default", "--show-managed-fields"]);
    assert_eq!(cm["data"], serde_json::json!({"a": "1"}), "{cm}");
}

#[test]
fn a_single_empty_entry_strips_managed_fields() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let v1 = k.write_manifest("v1.yaml", V1);
    k.ok(&["apply", "--server-side", "-f", v1.to_str().unwrap()]);
    // An empty list is ignored (clients unaware of the field must not strip it).
    k.ok(&[
        "patch",
        "cm",
        "app",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"metadata":{"managedFields":[]}}"#,
    ]);
    let cm = k.get_json(&["cm", "app", "-n", "default", "--show-managed-fields"]);
    assert_eq!(managers(&cm), vec!["kubectl/Apply/"], "{cm}");

    k.ok(&[
        "patch",
        "cm",
        "app",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"metadata":{"managedFields":[{}]}}"#,
    ]);
    let cm = k.get_json(&["cm", "app", "-n", "default", "--show-managed-fields"]);
    assert!(managers(&cm).is_empty(), "{cm}");
}
