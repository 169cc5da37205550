//! End-to-end tests of `strata plan`, `show`, `graph` and `state` on the
//! production and staging stacks.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use strata_engine::state::{fingerprint, ResourceState, ResourceStatus, State};
use strata_engine::LocalBackend;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `strata` with a clean environment: no secrets, no colors.
fn strata() -> Command {
    let mut c = Command::cargo_bin("strata").unwrap();
    // The repository's stacks name real-looking hosts (10.0.0.x): these
    // tests plan from stack and state alone and never try to reach them.
    c.env_clear()
        .env("NO_COLOR", "1")
        .env("STRATA_OFFLINE", "1")
        .current_dir(root());
    c
}

fn stdout(args: &[&str]) -> String {
    let out = strata().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "strata {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_plan(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(args)).unwrap()
}

#[test]
fn production_plan_text_snapshot() {
    let text = stdout(&[
        "plan",
        "stacks/production",
        "--state",
        "/nonexistent/state.json",
    ]);
    insta::assert_snapshot!("production_plan_text", text);
}

#[test]
fn production_plan_markdown_snapshot() {
    let md = stdout(&[
        "plan",
        "stacks/production",
        "--format",
        "markdown",
        "--state",
        "/nonexistent/state.json",
    ]);
    assert!(md.contains("**Plan: 50 to create, 0 to update, 0 to replace, 0 to delete.**"));
    assert!(md.contains("<details><summary>"));
    insta::assert_snapshot!("production_plan_markdown", md);
}

#[test]
fn production_plan_json_snapshot() {
    let v = json_plan(&[
        "plan",
        "stacks/production",
        "--format",
        "json",
        "--state",
        "/nonexistent/state.json",
    ]);
    insta::assert_json_snapshot!("production_plan_json", v);
}

fn index_of(changes: &[Value], pred: impl Fn(&str) -> bool) -> Vec<usize> {
    changes
        .iter()
        .enumerate()
        .filter(|(_, c)| pred(c["address"].as_str().unwrap()))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn plan_is_in_dependency_order() {
    let v = json_plan(&[
        "plan",
        "stacks/production",
        "--format",
        "json",
        "--state",
        "/nonexistent/s.json",
    ]);
    let changes = v["resource_changes"].as_array().unwrap();
    let pos: std::collections::HashMap<&str, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c["address"].as_str().unwrap(), i))
        .collect();
    // Every dependency comes before what depends on it.
    for c in changes {
        for d in c["strata"]["depends_on"].as_array().unwrap() {
            let d = d.as_str().unwrap();
            assert!(
                pos[d] < pos[c["address"].as_str().unwrap()],
                "{d} must come before {}",
                c["address"]
            );
        }
    }
    let nodes = index_of(changes, |a| a.starts_with("node."));
    let k3s = index_of(changes, |a| a.starts_with("k3s."));
    let charts = index_of(changes, |a| a.ends_with("/HelmChart"));
    let app = index_of(changes, |a| {
        a.starts_with("app.") && !a.contains("dashboard")
    });
    assert_eq!((nodes.len(), k3s.len(), charts.len()), (8, 8, 6));
    assert!(nodes.iter().max() < k3s.iter().min(), "nodes before k3s");
    assert!(k3s.iter().max() < charts.iter().min(), "k3s before charts");
    assert!(
        charts.iter().max() < app.iter().min(),
        "charts before the app"
    );
    // The first server initialises etcd; the others join it one at a time.
    let first = &changes[pos["k3s.main/server/master-1"]]["change"]["after"];
    assert_eq!(first["cluster_init"], true);
    let second = &changes[pos["k3s.main/server/master-2"]];
    assert!(second["strata"]["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "k3s.main/server/master-1"));
    // CRD consumers come after the chart that installs their CRDs.
    assert!(pos["service.prometheus/HelmChart"] < pos["app.my-microservice/ServiceMonitor"]);
    assert!(
        pos["service.argocd/HelmChart"] < pos["application_set.my-microservice/ApplicationSet"]
    );
    assert!(pos["service.argocd/HelmChart"] < pos["application.infrastructure/Application"]);
    assert!(pos["storage.longhorn/HelmChart"] < pos["service.postgresql/HelmChart"]);
    // Operators first, then the custom resources they serve.
    assert!(pos["service.kafka/HelmChart"] < pos["service.kafka/Kafka"]);
    assert!(pos["service.kafka/HelmChart"] < pos["service.kafka/KafkaNodePool/dual-role"]);
    assert!(pos["service.postgresql/HelmChart"] < pos["service.postgresql/Cluster"]);
    assert!(pos["service.prometheus/HelmChart"] < pos["service.postgresql/PodMonitor"]);
}

#[test]
fn production_matches_the_reference_architecture() {
    let v = json_plan(&[
        "plan",
        "stacks/production",
        "--format",
        "json",
        "--state",
        "/nonexistent/s.json",
    ]);
    let changes = v["resource_changes"].as_array().unwrap();
    let after = |addr: &str| -> Value {
        changes
            .iter()
            .find(|c| c["address"] == addr)
            .unwrap_or_else(|| panic!("{addr} missing"))["change"]["after"]
            .clone()
    };
    assert_eq!(
        changes.iter().filter(|c| c["type"] == "k3s_server").count(),
        3
    );
    assert_eq!(
        changes.iter().filter(|c| c["type"] == "k3s_agent").count(),
        5
    );
    let d = after("app.my-microservice/Deployment");
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], 1);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    // Created at the autoscaler's minimum; the HPA owns the count afterwards.
    assert_eq!(d["spec"]["replicas"], 3);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
            ["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(
        pod["containers"][0]["livenessProbe"]["httpGet"]["path"],
        "/health"
    );
    assert_eq!(
        pod["containers"][0]["readinessProbe"]["httpGet"]["path"],
        "/health"
    );
    assert_eq!(
        d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"],
        "true"
    );
    assert_eq!(
        after("app.my-microservice/HorizontalPodAutoscaler")["apiVersion"],
        "autoscaling/v2"
    );
    assert_eq!(
        after("app.my-microservice/PodDisruptionBudget")["apiVersion"],
        "policy/v1"
    );
    assert_eq!(
        after("app.my-microservice/ConfigMap/dashboard")["metadata"]["labels"]["grafana_dashboard"],
        "1"
    );
    assert_eq!(
        after("app.my-microservice/ServiceMonitor")["metadata"]["labels"]["release"],
        "prometheus"
    );
    let secret = after("app.my-microservice/Secret");
    assert_eq!(secret["stringData"]["DATABASE_URL"], "(sensitive)");
    // Kafka: Strimzi, KRaft, every broker also a controller, replication
    // from the broker count; no ZooKeeper anywhere.
    let kafka = after("service.kafka/Kafka");
    assert_eq!(kafka["apiVersion"], "kafka.strimzi.io/v1");
    assert_eq!(
        kafka["spec"]["kafka"]["config"]["default.replication.factor"],
        3
    );
    assert_eq!(kafka["spec"]["kafka"]["config"]["min.insync.replicas"], 2);
    assert!(!kafka.to_string().contains("zookeeper"));
    let pool = after("service.kafka/KafkaNodePool/dual-role");
    assert_eq!(pool["spec"]["replicas"], 3);
    assert_eq!(
        pool["spec"]["roles"],
        serde_json::json!(["controller", "broker"])
    );
    // PostgreSQL: CloudNativePG, a primary and 2 replicas on different nodes.
    let pg = after("service.postgresql/Cluster");
    assert_eq!(pg["spec"]["instances"], 3);
    assert_eq!(pg["spec"]["affinity"]["podAntiAffinityType"], "required");
    // The dashboard's `app` label reaches the series; the app is reachable.
    assert_eq!(
        after("app.my-microservice/ServiceMonitor")["spec"]["targetLabels"],
        serde_json::json!(["app"])
    );
    assert_eq!(
        after("app.my-microservice/Ingress")["spec"]["rules"][0]["host"],
        "my-microservice.example.com"
    );
    // The API endpoint is a VIP that kube-vip serves; nodes join through it.
    let server = after("k3s.main/server/master-2");
    assert!(server["config"]
        .as_str()
        .unwrap()
        .contains("server: https://10.0.0.10:6443"));
    assert!(server["manifests"]["strata-kube-vip.yaml"]
        .as_str()
        .unwrap()
        .contains("value: 10.0.0.10"));
    let agent = after("k3s.main/agent/worker-5");
    assert!(!agent["config"].as_str().unwrap().contains("node-role"));
    assert_eq!(
        agent["api_labels"]["node-role.kubernetes.io/worker"],
        "true"
    );
    for node in ["node.master-1", "node.worker-5"] {
        let pk = after(node)["packages"].clone();
        assert!(
            pk.as_array().unwrap().iter().any(|p| p == "open-iscsi")
                && pk.as_array().unwrap().iter().any(|p| p == "nfs-common")
        );
    }
    // Argo CD delivers the microservice to staging; production's copy is
    // Strata's alone, so no environment lands in this cluster.
    let set = after("application_set.my-microservice/ApplicationSet");
    let envs: Vec<(&str, &str)> = set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["cluster"].as_str().unwrap(), e["url"].as_str().unwrap()))
        .collect();
    assert_eq!(envs, [("staging", "https://10.1.0.11:6443")]);
}

#[test]
fn staging_is_smaller_and_shares_common_definitions() {
    let v = json_plan(&[
        "plan",
        "stacks/staging",
        "--format",
        "json",
        "--state",
        "/nonexistent/s.json",
    ]);
    let changes = v["resource_changes"].as_array().unwrap();
    assert_eq!(
        changes.iter().filter(|c| c["type"] == "k3s_server").count(),
        1
    );
    assert_eq!(
        changes.iter().filter(|c| c["type"] == "k3s_agent").count(),
        2
    );
    // Argo CD delivers staging's microservice: Strata applies none of it.
    assert!(!changes.iter().any(|c| c["address"]
        .as_str()
        .unwrap()
        .starts_with("app.my-microservice/")));
    assert!(changes
        .iter()
        .any(|c| c["address"] == "service.postgresql/Cluster"));
}

/// A state that records exactly what the production stack wants, as if applied.
fn applied_state(dir: &Path, secrets: &[(&str, &str)]) -> PathBuf {
    let stack = strata_stack::load(&root().join("stacks/production"), &Default::default()).unwrap();
    let mut state = State::new();
    state.serial = 7;
    for r in &stack.expanded.resources {
        let mut fps = std::collections::BTreeMap::new();
        for s in &r.sensitive {
            let value: String = s
                .parts
                .iter()
                .map(|p| match p {
                    strata_engine::SecretPart::Literal(l) => l.clone(),
                    strata_engine::SecretPart::Secret(n) => secrets
                        .iter()
                        .find(|x| x.0 == n)
                        .map_or("x", |x| x.1)
                        .to_string(),
                })
                .collect();
            fps.insert(
                s.path.to_string(),
                fingerprint(&state.lineage, &s.path, &value),
            );
        }
        let mut attributes = r.attributes.clone();
        for c in &r.computed {
            c.set(&mut attributes, serde_json::json!({"os": "debian"}));
        }
        state.resources.insert(
            r.address.clone(),
            ResourceState {
                rtype: r.rtype,
                attributes,
                sensitive: fps,
                dependencies: r.depends_on.clone(),
                status: ResourceStatus::Ready,
                protect: r.lifecycle.protect,
            },
        );
    }
    for (k, o) in &stack.expanded.outputs {
        state.outputs.insert(
            k.clone(),
            strata_engine::state::OutputState {
                value: o.value.clone(),
                sensitive: o.sensitive,
            },
        );
    }
    let path = dir.join("production.json");
    LocalBackend::new(&path).save(&state).unwrap();
    path
}

/// Edits a state file as JSON, to stage drift between stack and state.
fn edit_state(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut state: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut state);
    std::fs::write(path, serde_json::to_vec(&state).unwrap()).unwrap();
}

#[test]
fn plan_against_matching_state_is_empty_and_never_writes_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[]);
    let before = std::fs::read(&path).unwrap();
    let out = strata()
        .args([
            "plan",
            "stacks/production",
            "--detailed-exitcode",
            "--state",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("No changes."));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "plan must not write state"
    );
    assert!(!dir.path().join("production.json.backup").exists());
}

#[test]
fn changed_var_is_an_update_with_attribute_diff() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[]);
    let report = dir.path().join("report.json");
    let out = strata()
        .args([
            "plan",
            "stacks/production",
            "--detailed-exitcode",
            "--var",
            "image_tag=2.0.0",
            "--gitlab-report",
        ])
        .arg(&report)
        .arg("--state")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# app.my-microservice/Deployment will be updated in place"),
        "{text}"
    );
    assert!(text.contains("~ spec.template.spec.containers[0].image = \"registry.example.com/my-microservice:1.4.2\" -> \"registry.example.com/my-microservice:2.0.0\""), "{text}");
    assert!(
        text.contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."),
        "{text}"
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        r,
        serde_json::json!({"create": 0, "update": 1, "delete": 0})
    );
}

#[test]
fn changed_secret_shows_as_sensitive_and_never_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[("pg_password", "old-secret-value")]);
    for format in ["text", "markdown", "json"] {
        let out = strata()
            .env("PG_PASSWORD", "new-secret-value")
            .args(["plan", "stacks/production", "--format", format, "--state"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("new-secret-value") && !text.contains("old-secret-value"),
            "secret leaked in {format}"
        );
        assert!(text.contains("(sensitive)"), "{format}");
        if format == "text" {
            assert!(
                text.contains("# app.my-microservice/Secret will be updated in place"),
                "{text}"
            );
            assert!(
                text.contains("~ stringData.DATABASE_URL = (sensitive) -> (sensitive) (new value)"),
                "{text}"
            );
        }
    }
}

#[test]
fn removed_protected_resource_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[]);
    edit_state(&path, |state| {
        state["resources"]["service.postgresql/Old"] =
            state["resources"]["service.postgresql/HelmChart"].clone();
    });
    let out = strata()
        .args(["plan", "stacks/production", "--state"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("service.postgresql/Old is protected and would be deleted"),
        "{err}"
    );
}

#[test]
fn saved_plan_shows_the_same_and_records_state_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[]);
    let planfile = dir.path().join("p.plan");
    let direct = stdout(&[
        "plan",
        "stacks/production",
        "--var",
        "image_tag=9",
        "--state",
        path.to_str().unwrap(),
        "-o",
        planfile.to_str().unwrap(),
    ]);
    let shown = stdout(&["show", planfile.to_str().unwrap()]);
    assert_eq!(direct, shown);
    let saved: Value = serde_json::from_slice(&std::fs::read(&planfile).unwrap()).unwrap();
    let state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["lineage"], state["lineage"]);
    assert_eq!(saved["serial"], 7);
    assert_eq!(saved["stack_sha256"].as_str().unwrap().len(), 64);
    let bad = dir.path().join("bad.plan");
    std::fs::write(&bad, "{}").unwrap();
    let out = strata().args(["show"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a Strata plan file"));
}

#[test]
fn state_list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[("pg_password", "hunter2")]);
    let list = stdout(&["state", "list", "--state", path.to_str().unwrap()]);
    assert_eq!(list.lines().count(), 50);
    assert!(list.lines().any(|l| l == "k3s.main/server/master-1"));
    let show = stdout(&[
        "state",
        "show",
        "app.my-microservice/Secret",
        "--state",
        path.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(v["attributes"]["stringData"]["DATABASE_URL"], "(sensitive)");
    assert!(!show.contains("hunter2"));
    let out = strata()
        .args(["state", "show", "app.my-microservice/Deploymnt", "--state"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("did you mean app.my-microservice/Deployment?"));
}

#[test]
fn graph_is_dot_with_every_resource() {
    let dot = stdout(&["graph", "stacks/production"]);
    assert!(dot.starts_with("digraph strata {"));
    assert!(dot.contains("\"node.master-1\" -> \"k3s.main/server/master-1\";"));
    assert!(
        dot.contains("\"service.prometheus/HelmChart\" -> \"app.my-microservice/ServiceMonitor\";")
    );
    assert_eq!(dot.matches(", shape=").count(), 50);
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        &["validate"][..],
        &["plan"],
        &["graph"],
        &["show"],
        &["state", "list"],
        &["state", "show"],
        &["schema"],
        &["completions"],
        &["man"],
        &["version"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = stdout(&args);
        assert!(out.contains("Example"), "{cmd:?} --help has no example");
    }
    assert!(stdout(&["version"]).starts_with("strata "));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn stack_hash_covers_every_file_the_stack_reads() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("stacks"), &dir.path().join("stacks"));
    let sha = || -> String {
        let out = strata()
            .current_dir(dir.path())
            .args([
                "plan",
                "stacks/production",
                "--format",
                "json",
                "--state",
                "none.json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["strata"]["stack_sha256"].as_str().unwrap().to_string()
    };
    let first = sha();
    assert_eq!(first, sha(), "the hash is stable");
    let dashboard = dir
        .path()
        .join("stacks/common/files/grafana/dashboard.json");
    let text = std::fs::read_to_string(&dashboard).unwrap();
    std::fs::write(
        &dashboard,
        text.replace("Requests per second", "Requests/s"),
    )
    .unwrap();
    let second = sha();
    assert_ne!(first, second, "an edited dashboard changes the stack hash");
    let common = dir.path().join("stacks/common/app.toml");
    let text = std::fs::read_to_string(&common).unwrap();
    std::fs::write(&common, text + "\n# a comment\n").unwrap();
    assert_ne!(
        second,
        sha(),
        "an edited included file changes the stack hash"
    );
}

#[test]
fn variables_come_from_flags_and_environment() {
    let image = |out: &std::process::Output| -> String {
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = v["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "app.my-microservice/Deployment")
            .unwrap()
            .clone();
        d["change"]["after"]["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let base = [
        "plan",
        "stacks/production",
        "--format",
        "json",
        "--state",
        "/nonexistent/s.json",
    ];
    let env = strata()
        .env("STRATA_VAR_image_tag", "from-env")
        .args(base)
        .output()
        .unwrap();
    assert_eq!(image(&env), "registry.example.com/my-microservice:from-env");
    let both = strata()
        .env("STRATA_VAR_image_tag", "from-env")
        .args(base)
        .args(["--var", "image_tag=from-flag"])
        .output()
        .unwrap();
    assert_eq!(
        image(&both),
        "registry.example.com/my-microservice:from-flag",
        "--var wins over the environment"
    );
    for (args, message) in [
        (["--var", "nope=1"], "declares no such variable"),
        (
            ["--var", "kafka_brokers=abc"],
            "does not fit its declared type",
        ),
        (["--var", "image_tag"], "must be KEY=VALUE"),
    ] {
        let out = strata().args(base).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{args:?}"
        );
    }
}

#[test]
fn replacements_carry_their_reason_and_deletes_run_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = applied_state(dir.path(), &[]);
    edit_state(&path, |state| {
        state["resources"]["node.worker-5"]["attributes"]["address"] = "10.0.9.99".into();
        let mut gone = state["resources"]["app.my-microservice/Service"].clone();
        gone["attributes"]["metadata"]["name"] = "old-service".into();
        state["resources"]["app.my-microservice/OldService"] = gone;
    });
    let out = strata()
        .args(["plan", "stacks/production", "--state"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# node.worker-5 must be replaced"), "{text}");
    assert!(
        text.contains(
            "# (address cannot change in place: a different address is a different host)"
        ),
        "{text}"
    );
    assert!(
        text.contains("~ address = \"10.0.9.99\" -> \"10.0.1.25\" # forces replacement"),
        "{text}"
    );
    assert!(
        text.contains("# app.my-microservice/OldService will be deleted"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to create, 0 to update, 1 to replace, 1 to delete."),
        "{text}"
    );
    let v = json_plan(&[
        "plan",
        "stacks/production",
        "--format",
        "json",
        "--state",
        path.to_str().unwrap(),
    ]);
    let changes = v["resource_changes"].as_array().unwrap();
    let replaced = changes
        .iter()
        .find(|c| c["address"] == "node.worker-5")
        .unwrap();
    assert_eq!(
        replaced["change"]["actions"],
        serde_json::json!(["delete", "create"])
    );
    assert_eq!(
        replaced["change"]["replace_paths"],
        serde_json::json!([["address"]])
    );
    assert_eq!(
        changes.last().unwrap()["address"],
        "app.my-microservice/OldService",
        "deletes come last"
    );
    assert_eq!(
        v["strata"]["summary"],
        serde_json::json!({"create": 1, "update": 0, "delete": 2, "replace": 1})
    );
    assert_eq!(replaced["action_reason"], "replace_because_cannot_update");
    assert_eq!(
        changes.last().unwrap()["action_reason"],
        "delete_because_no_resource_config"
    );
    let md = stdout(&[
        "plan",
        "stacks/production",
        "--format",
        "markdown",
        "--state",
        path.to_str().unwrap(),
    ]);
    assert!(
        md.contains("> [!CAUTION]\n> **1 resource will be deleted and 1 replaced:**"),
        "{md}"
    );
    assert!(
        md.contains("> - `-/+ node.worker-5` must be replaced: address cannot change in place"),
        "{md}"
    );
    assert!(
        md.contains(
            "> - `- app.my-microservice/OldService` will be deleted: it is no longer in the stack"
        ),
        "{md}"
    );
}
