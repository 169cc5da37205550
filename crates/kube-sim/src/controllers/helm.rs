//! A stand-in for the k3s Helm controller: each HelmChart gets a `helm-install-NAME` Job that
//! completes after the rollout delay; once it has, the CRDs (and a few cluster objects) that
//! well-known charts ship are installed from the fixtures directory.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::manifests;
use crate::meta;
use crate::resources::ResKey;
use crate::store::State;
use crate::write::{self, Ctx};

const MANAGER: &str = "helm-controller";

/// Controller state: which charts had their payload installed.
pub struct HelmController {
    dir: Option<PathBuf>,
    installed: HashSet<String>,
}

impl HelmController {
    /// A controller reading chart payloads from `dir`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        HelmController {
            dir,
            installed: HashSet::new(),
        }
    }

    /// One round; returns whether anything changed.
    pub fn pass(&mut self, st: &mut State) -> bool {
        let key = ResKey::new("helm.cattle.io", "helmcharts");
        let Some(hc_rt) = super::type_of(st, &key) else {
            return false;
        };
        let Some(job_rt) = super::type_of(st, &ResKey::new("batch", "jobs")) else {
            return false;
        };
        let charts: Vec<Value> = st
            .list(&key, None)
            .filter(|o| !meta::is_deleting(o))
            .cloned()
            .collect();
        let mut changed = false;
        for hc in charts {
            let (ns, name, uid) = (
                meta::namespace(&hc).to_string(),
                meta::name(&hc).to_string(),
                meta::uid(&hc).to_string(),
            );
            let job_name = format!("helm-install-{name}");
            match st.get(&job_rt.store_key(), &ns, &job_name).cloned() {
                None => {
                    let ctx = Ctx {
                        manager: MANAGER,
                        subresource: "",
                        dry_run: false,
                        track: true,
                    };
                    if write::create(st, &job_rt, &ns, install_job(&hc, &job_name), &ctx).is_ok() {
                        changed = true;
                    }
                    let mut status = hc.get("status").cloned().unwrap_or(json!({}));
                    status["jobName"] = json!(job_name);
                    if hc.get("status") != Some(&status) {
                        let _ = super::write_status(st, &hc_rt, &hc, status, MANAGER);
                    }
                }
                Some(job) => {
                    let done = job.pointer("/status/completionTime").is_some();
                    if done && !self.installed.contains(&uid) {
                        self.installed.insert(uid);
                        let chart = hc
                            .pointer("/spec/chart")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        changed |= self.install_payload(st, &chart);
                    }
                }
            }
        }
        changed
    }

    fn install_payload(&self, st: &mut State, chart: &str) -> bool {
        let Some(dir) = &self.dir else { return false };
        let mut objects = vec![];
        let load_prefix = |prefix: &str, out: &mut Vec<Value>| {
            for f in manifests::files_with_prefix(dir, prefix) {
                out.extend(manifests::load(&f).unwrap_or_default());
            }
        };
        if let Some(prefix) = crd_prefix(chart) {
            load_prefix(prefix, &mut objects);
        } else if chart.contains("longhorn") {
            let docs = manifests::load(&dir.join("longhorn.yaml")).unwrap_or_default();
            for d in &docs {
                if d["kind"] == json!("CustomResourceDefinition") {
                    objects.push(d.clone());
                }
                if d["kind"] == json!("ConfigMap") && meta::name(d) == "longhorn-storageclass" {
                    if let Some(sc) = d.pointer("/data/storageclass.yaml").and_then(Value::as_str) {
                        objects.extend(manifests::parse_documents(sc).unwrap_or_default());
                    }
                }
            }
        }
        let mut changed = false;
        for obj in objects {
            let av = obj["apiVersion"].as_str().unwrap_or("");
            let (group, version) = av.rsplit_once('/').unwrap_or(("", av));
            let kind = obj["kind"].as_str().unwrap_or("");
            let Some(rt) = st.registry.by_kind(group, version, kind) else {
                continue;
            };
            let ns = if rt.namespaced {
                meta::namespace(&obj).to_string()
            } else {
                String::new()
            };
            if st.get(&rt.store_key(), &ns, meta::name(&obj)).is_some() {
                continue;
            }
            let ctx = Ctx {
                manager: "helm",
                subresource: "",
                dry_run: false,
                track: true,
            };
            changed |= write::create(st, &rt, &ns, obj, &ctx).is_ok();
        }
        changed
    }
}

/// The fixture files holding the CRDs a chart ships in its `crds/` directory, which Helm
/// installs before anything else of the chart. The chart may be a bare name, a `repo/name`
/// reference or an `oci://` URL.
fn crd_prefix(chart: &str) -> Option<&'static str> {
    let name = chart.rsplit('/').next().unwrap_or(chart);
    const CHARTS: &[(&str, &str)] = &[
        ("kube-prometheus-stack", "crd-monitoring-"),
        ("argo-cd", "crd-argoproj-"),
        ("strimzi-kafka-operator", "crd-strimzi-"),
        ("cloudnative-pg", "crd-cnpg-"),
    ];
    CHARTS
        .iter()
        .find(|(chart, _)| name == *chart || name.starts_with(&format!("{chart}-")))
        .map(|(_, prefix)| *prefix)
}

fn install_job(hc: &Value, job_name: &str) -> Value {
    let name = meta::name(hc);
    let spec = &hc["spec"];
    let text = |k: &str| {
        spec.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let target = spec
        .get("targetNamespace")
        .and_then(Value::as_str)
        .unwrap_or(meta::namespace(hc));
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "labels": { "helmcharts.helm.cattle.io/chart": name },
            "ownerReferences": [{
                "apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "name": name, "uid": meta::uid(hc),
                "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "backoffLimit": 1000,
            "template": {
                "metadata": { "labels": { "helmcharts.helm.cattle.io/chart": name } },
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": format!("helm-{name}"),
                    "containers": [{
                        "name": "helm",
                        "image": "rancher/klipper-helm:v0.9.3-build20241008",
                        "args": ["install"],
                        "env": [
                            { "name": "NAME", "value": name },
                            { "name": "VERSION", "value": text("version") },
                            { "name": "REPO", "value": text("repo") },
                            { "name": "CHART", "value": text("chart") },
                            { "name": "TARGET_NAMESPACE", "value": target },
                        ],
                    }],
                },
            },
        },
    })
}
