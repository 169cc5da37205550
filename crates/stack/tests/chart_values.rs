//! Every values key Strata sets in a HelmChart exists in the real chart's
//! `values.yaml`, and the values validate against the chart's
//! `values.schema.json` where it has one. Helm ignores unknown keys without
//! a word, so a misspelt or removed key would only show as a cluster that
//! silently runs with the chart's defaults.
//!
//! The charts are unmodified copies in `../shared/fixtures/charts/`; the
//! values are read from the generated HelmChart objects (`spec.valuesContent`)
//! of every stack in the repository and of a stack using every preset and
//! option, never from the preset code.

use serde_json::Value;
use std::path::{Path, PathBuf};
use strata_stack::{load, VarOverrides};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn charts_dir() -> PathBuf {
    repo().join("../shared/fixtures/charts")
}

/// The fixture folder of a chart version.
fn fixture(chart: &str, version: &str) -> PathBuf {
    let name = match chart {
        "minio" | "kafka" | "postgresql" => format!("bitnami-{chart}-{version}"),
        _ => format!("{chart}-{version}"),
    };
    let dir = charts_dir().join(&name);
    assert!(
        dir.join("values.yaml").is_file(),
        "no copy of chart {chart} {version} in {}: add it to the shared fixtures",
        charts_dir().display()
    );
    dir
}

/// Maps inside a chart's values that the chart documents as free-form even
/// though its `values.yaml` lists a few keys in them, with why.
const OPEN_MAPS: &[(&str, &str, &str)] = &[(
    "argo-cd",
    "configs.params",
    "entries of argocd-cmd-params-cm; values.yaml: \"You can customize parameters by adding parameters here\"",
)];

/// Checks that every key path of `ours` exists in `chart`: a key must be
/// listed, unless the chart's value at that point is an empty map (`{}`:
/// free-form, like `resources` or `labels`), null (`~`: anything), or an
/// open map named in [`OPEN_MAPS`]. A table where the chart has a scalar,
/// or the other way round, is wrong too.
fn check_keys(chart_name: &str, path: &str, ours: &Value, chart: &Value, out: &mut Vec<String>) {
    let open = OPEN_MAPS
        .iter()
        .any(|(c, p, _)| *c == chart_name && *p == path);
    match (ours, chart) {
        (_, Value::Null) => {}
        (Value::Object(o), Value::Object(c)) => {
            if c.is_empty() || open {
                return;
            }
            for (k, v) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match c.get(k) {
                    Some(cv) => check_keys(chart_name, &p, v, cv, out),
                    None => out.push(format!(
                        "{chart_name}: `{p}` is not a key of the chart (keys here: {})",
                        c.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }
        (Value::Object(_), other) => out.push(format!(
            "{chart_name}: `{path}` is a table here, but the chart's value is {other}"
        )),
        (_, Value::Object(c)) if !c.is_empty() => out.push(format!(
            "{chart_name}: `{path}` is {ours} here, but the chart has a table of keys there"
        )),
        _ => {}
    }
}

/// Helm's merge of user values over the chart's defaults.
fn merged(defaults: &Value, ours: &Value) -> Value {
    match (defaults, ours) {
        (Value::Object(d), Value::Object(o)) => {
            let mut m = d.clone();
            for (k, v) in o {
                let base = d.get(k).cloned().unwrap_or(Value::Null);
                m.insert(k.clone(), merged(&base, v));
            }
            Value::Object(m)
        }
        (_, o) => o.clone(),
    }
}

/// Checks every HelmChart of the stack in `dir`; returns the charts checked.
fn check_stack(dir: &Path, failures: &mut Vec<String>) -> Vec<String> {
    let stack = load(dir, &VarOverrides::default())
        .unwrap_or_else(|e| panic!("{} does not load: {:?}", dir.display(), e.diagnostics));
    let mut seen = Vec::new();
    for r in &stack.expanded.resources {
        if r.attributes["kind"] != "HelmChart" {
            continue;
        }
        let spec = &r.attributes["spec"];
        let chart = spec["chart"].as_str().unwrap();
        let version = spec["version"]
            .as_str()
            .unwrap_or_else(|| panic!("{} pins no chart version", r.address));
        let fx = fixture(chart, version);
        let defaults: Value =
            serde_norway::from_str(&std::fs::read_to_string(fx.join("values.yaml")).unwrap())
                .unwrap();
        let ours: Value = match spec["valuesContent"].as_str() {
            Some(y) => serde_norway::from_str(y).unwrap(),
            None => Value::Object(Default::default()),
        };
        let before = failures.len();
        check_keys(chart, "", &ours, &defaults, failures);
        let schema_file = fx.join("values.schema.json");
        if schema_file.is_file() {
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(&schema_file).unwrap()).unwrap();
            let validator =
                jsonschema::validator_for(&schema).expect("the chart's schema compiles");
            let values = merged(&defaults, &ours);
            for e in validator.iter_errors(&values) {
                failures.push(format!(
                    "{chart}: values.schema.json rejects `{}`: {e}",
                    e.instance_path()
                ));
            }
        }
        for f in &mut failures[before..] {
            *f = format!("{} ({}): {f}", dir.display(), r.address);
        }
        seen.push(format!("{chart}-{version}"));
    }
    seen
}

/// A stack with every preset and the options that change their values.
const EVERY_PRESET: &str = r#"
[stack]
name = "every-preset"

[secrets]
pw = { env = "PW" }

[node.server-1]
address = "10.0.0.11"
role = "server"

[k3s.main]
version = "v1.36.3+k3s1"

[storage.longhorn]
replicas = 1

[service.prometheus]
preset = "kube-prometheus-stack"
namespace = "monitoring"
replicas = 1
resources = { requests = { cpu = "100m" } }
grafana_admin_password = "${secret.pw}"
alertmanager = false

[service.argocd]
preset = "argo-cd"
ha = false

[service.kafka]
preset = "kafka"
replicas = 3
controllers = 3

[service.events]
preset = "kafka"
namespace = "events"
replicas = 1

[service.minio]
preset = "minio"
mode = "distributed"
replicas = 4
root_password = "${secret.pw}"
resources = { limits = { memory = "1Gi" } }

[service.objects]
preset = "minio"
mode = "standalone"
replicas = 1

[service.postgresql]
preset = "postgresql"
password = "${secret.pw}"
postgres_password = "${secret.pw}"
"#;

#[test]
fn every_values_key_exists_in_the_real_chart() {
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for dir in [
        "stacks/production",
        "stacks/staging",
        "examples/existing-cluster",
    ] {
        seen.extend(check_stack(&repo().join(dir), &mut failures));
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("stack.toml"), EVERY_PRESET).unwrap();
    seen.extend(check_stack(tmp.path(), &mut failures));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "argo-cd-10.1.1",
            "cloudnative-pg-0.29.0",
            "kube-prometheus-stack-88.5.3",
            "longhorn-1.12.1",
            "minio-17.0.23",
            "strimzi-kafka-operator-1.2.0",
        ],
        "every preset's chart is checked"
    );
}

/// The checker itself: a misspelt key, a key under a scalar and a schema
/// violation are all caught, while free-form maps stay open.
#[test]
fn the_key_check_catches_what_helm_would_ignore() {
    let chart: Value = serde_json::json!({
        "metrics": {"enabled": false, "serviceMonitor": {"enabled": false}},
        "resources": {},
        "image": {"tag": "1"},
        "configs": {"params": {"create": true}},
    });
    let ours = serde_json::json!({
        "metrics": {"enable": true, "serviceMonitor": {"enabled": true}},
        "resources": {"limits": {"memory": "1Gi"}},
        "image": "x",
        "configs": {"params": {"server.insecure": true}},
    });
    let mut out = Vec::new();
    check_keys("argo-cd", "", &ours, &chart, &mut out);
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out[0].contains("`metrics.enable` is not a key"), "{out:#?}");
    assert!(out[1].contains("`image` is \"x\" here"), "{out:#?}");
    let mut out = Vec::new();
    check_keys("minio", "", &ours, &chart, &mut out);
    assert!(out
        .iter()
        .any(|o| o.contains("configs.params.server.insecure")));

    let fx = fixture("cloudnative-pg", "0.29.0");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(fx.join("values.schema.json")).unwrap())
            .unwrap();
    let defaults: Value =
        serde_norway::from_str(&std::fs::read_to_string(fx.join("values.yaml")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&defaults));
    let bad = merged(&defaults, &serde_json::json!({"replicaCount": "two"}));
    assert!(
        !validator.is_valid(&bad),
        "a string replica count is refused"
    );
}
