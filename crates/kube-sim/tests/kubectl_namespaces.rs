//! Namespace deletion through a real kubectl: it completes, and creates into a terminating
//! namespace are refused with NamespaceTerminating.

mod common;

use std::time::Duration;

use common::{eventually, fixtures, server, Kubectl};

#[test]
fn delete_namespace_completes_and_refuses_new_content() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: shop\n  finalizers: [\"example.com/hold\"]\ndata:\n  a: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\nstringData:\n  k: v\n",
    );
    k.ok(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    k.ok(&["delete", "namespace", "shop", "--wait=false"]);
    let ns = k.get_json(&["namespace", "shop"]);
    assert_eq!(ns["status"]["phase"], "Terminating");

    let late = k.write_manifest(
        "late.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  namespace: shop\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", late.to_str().unwrap()]);
    assert!(
        err.contains(
            "unable to create new content in namespace shop because it is being terminated"
        ),
        "{err}"
    );

    // The finalizer holds the namespace until it is removed.
    assert!(eventually(Duration::from_secs(5), || k
        .run(&["get", "secret", "s", "-n", "shop"])
        .status
        .code()
        == Some(1)));
    let held = k.get_json(&["cm", "held", "-n", "shop"]);
    assert!(held["metadata"]["deletionTimestamp"].is_string());
    assert!(k.run(&["get", "namespace", "shop"]).status.success());
    k.ok(&[
        "patch",
        "cm",
        "held",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    k.ok(&["wait", "--for=delete", "namespace/shop", "--timeout=10s"]);
    let err = k.fails(&["get", "namespace", "shop"]);
    assert!(err.contains("namespaces \"shop\" not found"), "{err}");
}

#[test]
fn kubectl_delete_namespace_waits_for_completion() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tmp\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: tmp\n");
    k.ok(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    let out = k.ok(&["delete", "namespace", "tmp", "--timeout=20s"]);
    assert!(out.contains("namespace \"tmp\" deleted"), "{out}");
    assert!(!k.run(&["get", "namespace", "tmp"]).status.success());
    let err = k.fails(&["delete", "namespace", "default"]);
    assert!(err.contains("this namespace may not be deleted"), "{err}");
}

#[test]
fn typed_create_commands_send_protobuf_that_is_understood() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "namespace", "apps"]);
    k.ok(&[
        "create",
        "configmap",
        "cfg",
        "-n",
        "apps",
        "--from-literal=mode=fast",
    ]);
    k.ok(&[
        "create",
        "secret",
        "generic",
        "pw",
        "-n",
        "apps",
        "--from-literal=password=hunter2",
    ]);
    let ns = k.get_json(&["namespace", "apps"]);
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(
        k.get_json(&["configmap", "cfg", "-n", "apps"])["data"]["mode"],
        "fast"
    );
    let secret = k.get_json(&["secret", "pw", "-n", "apps"]);
    assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
    assert_eq!(secret["type"], "Opaque");
    let cm = k.get_json(&["configmap", "cfg", "-n", "apps", "--show-managed-fields"]);
    assert_eq!(
        cm["metadata"]["managedFields"][0]["manager"],
        "kubectl-create"
    );
}

#[test]
fn a_deleted_crd_waits_for_its_custom_resources_and_their_finalizers() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let crd = fixtures().join("crd-cnpg-clusters.yaml");
    k.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    let held = k.write_manifest(
        "held.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: default\n  finalizers: [example.com/hold]\nspec:\n  instances: 1\n  storage:\n    size: 1Gi\n",
    );
    k.ok(&["apply", "--server-side", "-f", held.to_str().unwrap()]);
    let live = k.get_json(&["crd", "clusters.postgresql.cnpg.io"]);
    assert_eq!(
        live["metadata"]["finalizers"],
        serde_json::json!(["customresourcecleanup.apiextensions.k8s.io"])
    );
    k.ok(&[
        "delete",
        "crd",
        "clusters.postgresql.cnpg.io",
        "--wait=false",
    ]);
    let terminating = eventually(std::time::Duration::from_secs(5), || {
        let c = k.get_json(&["crd", "clusters.postgresql.cnpg.io"]);
        c["status"]["conditions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["type"] == "Terminating"))
    });
    assert!(terminating, "the CRD stays Terminating");
    let cluster = k.get_json(&["clusters.postgresql.cnpg.io", "db"]);
    assert!(
        cluster["metadata"]["deletionTimestamp"].is_string(),
        "{cluster}"
    );
    k.ok(&[
        "patch",
        "clusters.postgresql.cnpg.io",
        "db",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(
        eventually(std::time::Duration::from_secs(5), || {
            !k.run(&["get", "crd", "clusters.postgresql.cnpg.io"])
                .status
                .success()
        }),
        "the CRD goes once its last custom resource is gone"
    );
}

#[test]
fn a_namespace_stuck_in_terminating_says_what_remains() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "namespace", "stuck"]);
    let held = k.write_manifest(
        "held.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: stuck\n  finalizers: [example.com/hold]\n",
    );
    k.ok(&["apply", "--server-side", "-f", held.to_str().unwrap()]);
    k.ok(&["delete", "namespace", "stuck", "--wait=false"]);
    let condition = |k: &Kubectl, t: &str| -> serde_json::Value {
        let ns = k.get_json(&["namespace", "stuck"]);
        ns["status"]["conditions"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["type"] == t).cloned())
            .unwrap_or_default()
    };
    let settled = eventually(Duration::from_secs(5), || {
        condition(&k, "NamespaceContentRemaining")["message"]
            == "Some resources are remaining: configmaps. has 1 resource instances"
    });
    assert!(settled, "{}", condition(&k, "NamespaceContentRemaining"));
    let c = condition(&k, "NamespaceContentRemaining");
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("True"), Some("SomeResourcesRemain"))
    );
    let f = condition(&k, "NamespaceFinalizersRemaining");
    assert_eq!(f["status"], "True");
    assert_eq!(f["reason"], "SomeFinalizersRemain");
    assert_eq!(
        f["message"],
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    );
    assert_eq!(
        condition(&k, "NamespaceDeletionDiscoveryFailure")["status"],
        "False"
    );
    k.ok(&[
        "patch",
        "configmap",
        "held",
        "-n",
        "stuck",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(eventually(Duration::from_secs(5), || {
        !k.run(&["get", "namespace", "stuck"]).status.success()
    }));
}
