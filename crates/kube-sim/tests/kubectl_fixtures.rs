//! Every fixture manifest applies server-side with a real kubectl, reads back, and diffs clean;
//! objects of the applied CRD kinds do too.

mod common;

use common::{fixtures, server, Kubectl};
use serde_json::Value;

const CUSTOM_OBJECTS: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
  namespace: default
  labels:
    release: prometheus
spec:
  selector:
    matchLabels:
      app: web
  endpoints:
  - port: http
    interval: 30s
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: web-rules
  namespace: default
spec:
  groups:
  - name: web
    rules:
    - alert: WebDown
      expr: up{job="web"} == 0
      for: 5m
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: platform
  namespace: default
spec:
  sourceRepos: ["*"]
  destinations:
  - namespace: "*"
    server: https://kubernetes.default.svc
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: default
spec:
  project: platform
  source:
    repoURL: https://example.com/guestbook.git
    path: guestbook
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
---
apiVersion: longhorn.io/v1beta2
kind: Setting
metadata:
  name: backup-target
  namespace: longhorn-system
value: ""
---
apiVersion: helm.cattle.io/v1
kind: HelmChartConfig
metadata:
  name: traefik
  namespace: kube-system
spec:
  valuesContent: |-
    ports:
      web:
        port: 8080
"#;

fn manifest_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures())
        .expect("fixtures directory exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    // CRDs first, so objects of their kinds can be applied after them.
    files.sort_by_key(|p| {
        (
            !p.file_name().unwrap().to_string_lossy().starts_with("crd-"),
            p.clone(),
        )
    });
    files
}

fn objects_in(path: &std::path::Path) -> Vec<Value> {
    kube_sim::manifests::load(path).expect("fixture parses")
}

#[test]
fn fixtures_apply_get_and_diff_clean() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let files = manifest_files();
    assert!(
        files.len() >= 10,
        "expected the fixture manifests, found {files:?}"
    );
    let mut applied = 0;
    for f in &files {
        let path = f.to_str().unwrap();
        let out = k.ok(&["apply", "--server-side", "-f", path]);
        let objects = objects_in(f);
        assert_eq!(
            out.lines()
                .filter(|l| l.contains("serverside-applied"))
                .count(),
            objects.len(),
            "{path}: {out}"
        );
        applied += objects.len();
    }
    let longhorn = objects_in(&fixtures().join("longhorn.yaml"));
    // The fixture README says 55 objects; the file holds 51 documents (kubectl agrees).
    assert_eq!(longhorn.len(), 51);
    assert_eq!(
        longhorn
            .iter()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
            .count(),
        25
    );
    assert!(applied > 51 + 8);

    for f in &files {
        for obj in objects_in(f) {
            let kind = obj["kind"].as_str().unwrap();
            let av = obj["apiVersion"].as_str().unwrap();
            let group = av.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            let resource = if group.is_empty() {
                kind.to_lowercase()
            } else {
                format!("{}.{group}", kind.to_lowercase())
            };
            let name = obj["metadata"]["name"].as_str().unwrap().trim();
            let mut args = vec![resource.as_str(), name];
            let ns = obj["metadata"]["namespace"].as_str();
            if let Some(ns) = ns {
                args.extend(["-n", ns]);
            }
            let live = k.get_json(&args);
            assert_eq!(live["metadata"]["name"], name);
            assert_eq!(live["kind"], kind);
            assert!(live["metadata"]["uid"]
                .as_str()
                .is_some_and(|u| !u.is_empty()));
            if kind == "CustomResourceDefinition" {
                let conds = live["status"]["conditions"]
                    .as_array()
                    .expect("CRD conditions");
                assert!(
                    conds
                        .iter()
                        .any(|c| c["type"] == "Established" && c["status"] == "True"),
                    "{name} not established"
                );
            }
        }
    }

    for f in &files {
        let path = f.to_str().unwrap();
        let out = k.run(&["diff", "--server-side", "-f", path]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "diff of {path} not clean:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let custom = k.write_manifest("custom.yaml", CUSTOM_OBJECTS);
    let custom = custom.to_str().unwrap();
    let out = k.ok(&["apply", "--server-side", "-f", custom]);
    assert_eq!(out.lines().count(), 6, "{out}");
    let sm = k.get_json(&["servicemonitor", "web", "-n", "default"]);
    assert_eq!(sm["spec"]["endpoints"][0]["port"], "http");
    let app = k.get_json(&["applications.argoproj.io", "guestbook", "-n", "default"]);
    assert_eq!(app["spec"]["project"], "platform");
    let out = k.run(&["diff", "--server-side", "-f", custom]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "custom objects diff: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A real change is reported by diff (exit 1), so a clean diff above means something.
    let changed = CUSTOM_OBJECTS.replace("interval: 30s", "interval: 15s");
    let changed = k.write_manifest("changed.yaml", &changed);
    let out = k.run(&["diff", "--server-side", "-f", changed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "diff must report the change");
    assert!(String::from_utf8_lossy(&out.stdout).contains("interval: 15s"));
}

#[test]
fn strict_validation_rejects_and_pruning_drops_unknown_custom_fields() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let bad = k.write_manifest(
        "bad.yaml",
        "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: bad\n  namespace: kube-system\nspec:\n  chart: stable/x\n  bogus: 1\n",
    );
    let bad = bad.to_str().unwrap();
    let err = k.fails(&["apply", "--server-side", "-f", bad]);
    assert!(
        err.contains(".spec.bogus: field not declared in schema"),
        "{err}"
    );
    k.ok(&["apply", "--server-side", "--validate=false", "-f", bad]);
    let live = k.get_json(&["helmchart", "bad", "-n", "kube-system"]);
    assert_eq!(live["spec"]["chart"], "stable/x");
    assert!(
        live["spec"].get("bogus").is_none(),
        "unknown fields are pruned: {live}"
    );
}
