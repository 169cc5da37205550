//! `strata apply`, `refresh` and `destroy` against kube-sim, with a real
//! kubectl making the out-of-band changes an auditor must see.

mod common;

use common::*;
use std::path::Path;

const EXAMPLE: &str = "examples/existing-cluster";

/// Writes an `$EDITOR` for `kubectl edit` that rewrites one line.
fn editor(dir: &Path, from: &str, to: &str) -> String {
    let path = dir.join("edit.sh");
    std::fs::write(
        &path,
        format!("#!/bin/sh\nsed -i 's/{from}/{to}/' \"$1\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn existing_cluster_apply_refresh_restore_destroy() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let st = state.to_str().unwrap();
    let args = |cmd: &'static str| -> Vec<String> {
        vec![
            cmd.into(),
            EXAMPLE.into(),
            "--var".into(),
            kc.clone(),
            "--state".into(),
            st.into(),
        ]
    };
    let call = |cmd: &'static str, extra: &[&str]| -> Vec<String> {
        let mut a = args(cmd);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let refs = |v: &[String]| {
        v.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\u{0}")
    };
    let go = |code: i32, v: Vec<String>| {
        let joined = refs(&v);
        let a: Vec<&str> = joined.split('\u{0}').collect();
        expect(code, &a)
    };

    // From empty to everything, then nothing left to do.
    let out = go(0, call("apply", &["--auto-approve"]));
    assert!(out.contains("Apply complete: 33 created"), "{out}");
    let recorded = common::state(&state);
    assert_eq!(recorded.resources.len(), 33);
    go(0, call("plan", &["--detailed-exitcode"]));

    // Out-of-band changes with a real kubectl: a scale and an edit.
    kubectl.run(&[
        "-n",
        "my-microservice",
        "scale",
        "deployment/my-microservice",
        "--replicas=5",
    ]);
    let ed = editor(tmp.path(), "LOG_LEVEL: info", "LOG_LEVEL: debug");
    kubectl.run_env(
        &[
            "-n",
            "my-microservice",
            "edit",
            "configmap/my-microservice-config",
        ],
        &[("EDITOR", &ed), ("KUBE_EDITOR", &ed)],
    );
    let drift = go(2, call("refresh", &["--exit-code"]));
    assert!(
        drift.contains("data.LOG_LEVEL: \"info\" → \"debug\" (kubectl-edit"),
        "{drift}"
    );
    assert!(drift.contains("spec.replicas: 3 → 5 (kubectl"), "{drift}");
    let json: serde_json::Value = serde_json::from_str(&go(
        2,
        call("refresh", &["--exit-code", "--format", "json"]),
    ))
    .unwrap();
    let managers: Vec<&str> = json["resource_drift"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["fields"].as_array().unwrap())
        .map(|f| f["changed_by"]["manager"].as_str().unwrap())
        .collect();
    assert!(
        managers.contains(&"kubectl-edit") && managers.contains(&"kubectl"),
        "{managers:?}"
    );
    // Read-only by default.
    assert_eq!(common::state(&state).serial, recorded.serial);

    // Apply restores what Strata owns; the replica count is the autoscaler's
    // (ignore_changes), so Strata leaves it and stops owning it.
    let out = go(0, call("apply", &["--auto-approve"]));
    assert!(out.contains("1 updated"), "{out}");
    let cm = kubectl.json(&[
        "-n",
        "my-microservice",
        "get",
        "configmap",
        "my-microservice-config",
    ]);
    assert_eq!(cm["data"]["LOG_LEVEL"], "info");
    let dep = kubectl.json(&[
        "-n",
        "my-microservice",
        "get",
        "deployment",
        "my-microservice",
        "--show-managed-fields",
    ]);
    assert_eq!(dep["spec"]["replicas"], 5);
    let strata_owns_replicas = dep["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["manager"] == "strata" && m["fieldsV1"]["f:spec"].get("f:replicas").is_some());
    assert!(
        !strata_owns_replicas,
        "Strata must not own spec.replicas of an autoscaled Deployment"
    );
    go(0, call("refresh", &["--exit-code"]));
    go(0, call("plan", &["--detailed-exitcode"]));

    // Destroy refuses the protected database...
    let (code, _, err) = run(&refs(&call("destroy", &["--auto-approve"]))
        .split('\u{0}')
        .collect::<Vec<_>>());
    assert_eq!(code, 1);
    // (The database is its CloudNativePG Cluster, its Secrets and the
    // operator's chart: all protected.)
    assert!(
        err.contains("service.postgresql/") && err.contains(" is protected"),
        "{err}"
    );
    // ...until the stack lifts the protection and that is applied.
    let tree = tempfile::tempdir().unwrap();
    copy_tree(EXAMPLE, tree.path());
    copy_tree("stacks/common", tree.path());
    let platform = tree.path().join("stacks/common/platform.toml");
    let text = std::fs::read_to_string(&platform).unwrap();
    assert!(text.contains("protect = true"));
    std::fs::write(&platform, text.replace("protect = true", "protect = false")).unwrap();
    let copy = tree.path().join(EXAMPLE);
    let copy = copy.to_str().unwrap();
    let with = |cmd: &str, extra: &[&str]| {
        let mut a = vec![cmd, copy, "--var", &kc, "--state", st];
        a.extend(extra);
        expect(0, &a)
    };
    with("apply", &["--auto-approve"]);
    let out = with("destroy", &["--auto-approve"]);
    assert!(out.contains("33 deleted"), "{out}");
    assert!(common::state(&state).resources.is_empty());
    let left = kubectl.json(&["get", "deployments,services,configmaps,secrets,serviceaccounts,hpa,pdb,helmcharts,servicemonitors,applications,applicationsets", "-A", "-l", "app.kubernetes.io/managed-by=strata"]);
    assert_eq!(left["items"].as_array().unwrap().len(), 0, "{left}");
    for ns in [
        "my-microservice",
        "kafka",
        "minio",
        "postgresql",
        "monitoring",
        "argocd",
        "longhorn-system",
    ] {
        let all = kubectl.json(&["get", "namespaces"]);
        assert!(
            !all["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["metadata"]["name"] == ns),
            "namespace {ns} is left"
        );
    }
}

#[test]
fn longhorn_manifest_has_no_false_drift() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("k8s/longhorn.yaml"),
        dir.path().join("longhorn.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stack.toml"),
        "[stack]\nname = \"longhorn\"\ncluster = { kubeconfig = \"${vars.kubeconfig}\" }\n\n[vars]\nkubeconfig = \"\"\n\n[manifest.longhorn]\nfiles = [\"longhorn.yaml\"]\n",
    )
    .unwrap();
    let stack = dir.path().to_str().unwrap();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let st = dir.path().join("state.json");
    let st = st.to_str().unwrap();
    let out = expect(
        0,
        &[
            "apply",
            stack,
            "--var",
            &kc,
            "--state",
            st,
            "--auto-approve",
        ],
    );
    assert!(out.contains("Apply complete: 51 created"), "{out}");
    // Every server default (DaemonSet strategy, container defaults, Service
    // clusterIP, ...) stays out of the next plan and of a refresh.
    expect(
        0,
        &[
            "plan",
            stack,
            "--var",
            &kc,
            "--state",
            st,
            "--detailed-exitcode",
        ],
    );
    expect(
        0,
        &["refresh", stack, "--var", &kc, "--state", st, "--exit-code"],
    );
}
