//! Readiness: when an applied object is really there. Deployments,
//! StatefulSets and DaemonSets have rolled out, Jobs (and the install Job of
//! a HelmChart) have succeeded, CRDs are Established, Namespaces are Active.
//! Everything else is ready once the API server accepted it.

use serde_json::Value;

/// Where an object stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Done.
    Ready,
    /// Still progressing; says what is awaited.
    Waiting(String),
    /// It will not get there by itself; says why.
    Failed(String),
}

fn int(v: &Value, path: &[&str]) -> i64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_i64().unwrap_or(0)
}

/// The status of condition `kind`, with its message.
fn condition<'a>(obj: &'a Value, kind: &str) -> Option<(&'a str, &'a str)> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find_map(|c| {
            (c["type"] == kind).then(|| {
                (
                    c["status"].as_str().unwrap_or(""),
                    c["message"].as_str().unwrap_or(""),
                )
            })
        })
}

/// The readiness of `obj` (of kind `kind`), judged from its status.
pub fn readiness(kind: &str, obj: &Value) -> Readiness {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    let stale = || Readiness::Waiting(format!("the controller to observe generation {generation}"));
    match kind {
        "Deployment" => {
            if observed < generation {
                return stale();
            }
            if let Some(("False", msg)) = condition(obj, "Progressing") {
                if obj["status"]["conditions"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["reason"] == "ProgressDeadlineExceeded"))
                {
                    return Readiness::Failed(format!(
                        "the rollout exceeded its progress deadline: {msg}"
                    ));
                }
            }
            let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let updated = int(obj, &["status", "updatedReplicas"]);
            let available = int(obj, &["status", "availableReplicas"]);
            let total = int(obj, &["status", "replicas"]);
            if updated < want || available < want || total > updated {
                Readiness::Waiting(format!(
                    "the rollout: {updated} of {want} replicas updated, {available} available"
                ))
            } else {
                Readiness::Ready
            }
        }
        "StatefulSet" => {
            if observed < generation {
                return stale();
            }
            let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let ready = int(obj, &["status", "readyReplicas"]);
            let updated = int(obj, &["status", "updatedReplicas"]);
            let current = &obj["status"]["currentRevision"];
            let update = &obj["status"]["updateRevision"];
            if ready < want || updated < want || (!update.is_null() && current != update) {
                Readiness::Waiting(format!("the rollout: {ready} of {want} replicas ready"))
            } else {
                Readiness::Ready
            }
        }
        "DaemonSet" => {
            if observed < generation {
                return stale();
            }
            let want = int(obj, &["status", "desiredNumberScheduled"]);
            let updated = int(obj, &["status", "updatedNumberScheduled"]);
            let available = int(obj, &["status", "numberAvailable"]);
            if updated < want || available < want {
                Readiness::Waiting(format!("the rollout: {available} of {want} pods available"))
            } else {
                Readiness::Ready
            }
        }
        "Job" => match (condition(obj, "Complete"), condition(obj, "Failed")) {
            (Some(("True", _)), _) => Readiness::Ready,
            (_, Some(("True", msg))) => Readiness::Failed(format!("the Job failed: {msg}")),
            _ => Readiness::Waiting("the Job to complete".into()),
        },
        "CustomResourceDefinition" => match (
            condition(obj, "Established"),
            condition(obj, "NamesAccepted"),
        ) {
            (Some(("True", _)), _) => Readiness::Ready,
            (_, Some(("False", msg))) => {
                Readiness::Failed(format!("its names were not accepted: {msg}"))
            }
            _ => Readiness::Waiting("the CRD to be Established".into()),
        },
        "Namespace" => match obj["status"]["phase"].as_str() {
            Some("Active") | None => Readiness::Ready,
            Some(p) => Readiness::Waiting(format!("the namespace to be Active (it is {p})")),
        },
        _ => Readiness::Ready,
    }
}

/// The install Job of a HelmChart (k3s's Helm controller runs `helm-install-NAME`
/// in the HelmChart's namespace and names it in `status.jobName`).
pub fn helm_job_name(helmchart: &Value) -> String {
    helmchart["status"]["jobName"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "helm-install-{}",
                helmchart["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_rollout() {
        let mut d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 3},
            "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}});
        assert!(matches!(readiness("Deployment", &d), Readiness::Waiting(_)));
        d["status"]["observedGeneration"] = json!(2);
        d["status"]["updatedReplicas"] = json!(1);
        assert!(
            matches!(readiness("Deployment", &d), Readiness::Waiting(m) if m.contains("1 of 3"))
        );
        d["status"]["updatedReplicas"] = json!(3);
        assert_eq!(readiness("Deployment", &d), Readiness::Ready);
    }

    #[test]
    fn jobs_and_crds() {
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert!(
            matches!(readiness("Job", &failed), Readiness::Failed(m) if m.contains("BackoffLimit"))
        );
        let crd = json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(
            readiness("CustomResourceDefinition", &crd),
            Readiness::Ready
        );
        assert_eq!(readiness("ConfigMap", &json!({})), Readiness::Ready);
    }
}
