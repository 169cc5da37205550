//! What the scheduler and the kubelet do to pods, without running anything: a new pod is
//! bound to the node and reported `Pending` with its containers being created, then, after
//! the configured rollout delay, `Running` with every container started and ready, a pod IP
//! from the node's pod CIDR, and the Ready, ContainersReady, Initialized, PodScheduled and
//! PodReadyToStartContainers conditions True.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::deploy_util::{pods, update_as};
use crate::meta;
use crate::resources::ResKey;
use crate::store::State;

/// The node's address when the Node object names none.
const DEFAULT_HOST_IP: &str = "10.0.0.10";

/// Remembers when each pod was bound, to start it after the delay.
#[derive(Default)]
pub struct Kubelet {
    bound: HashMap<String, Instant>,
}

fn containers(spec: &Value, key: &str) -> Vec<Value> {
    spec.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn names(list: &[Value]) -> String {
    list.iter()
        .filter_map(|c| c["name"].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The image as containerd reports it: with its registry, `library/` and tag filled in.
fn full_image(image: &str) -> String {
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let domain =
        !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut name = match (first.is_empty(), domain) {
        (true, _) => format!("docker.io/library/{rest}"),
        (false, true) => image.to_string(),
        (false, false) => format!("docker.io/{image}"),
    };
    let last = name.rsplit('/').next().unwrap_or("");
    if !last.contains(':') && !name.contains('@') {
        name.push_str(":latest");
    }
    name
}

/// A stable made-up digest for an image.
fn digest(seed: &str) -> String {
    (0..8u32)
        .map(|i| {
            let mut h: u32 = 0x811c_9dc5 ^ i;
            for b in seed.bytes() {
                h ^= u32::from(b);
                h = h.wrapping_mul(0x0100_0193);
            }
            format!("{h:08x}")
        })
        .collect()
}

/// `GetPodQOS`: BestEffort without requests or limits, Guaranteed when every container's
/// cpu and memory limits equal its requests, Burstable otherwise.
fn qos_class(spec: &Value) -> &'static str {
    let all: Vec<Value> = containers(spec, "containers")
        .into_iter()
        .chain(containers(spec, "initContainers"))
        .collect();
    let res = |c: &Value, kind: &str, r: &str| -> Option<String> {
        c.pointer(&format!("/resources/{kind}/{r}"))
            .map(|v| v.as_str().map(String::from).unwrap_or(v.to_string()))
    };
    let any = all.iter().any(|c| {
        ["requests", "limits"].iter().any(|k| {
            c.pointer(&format!("/resources/{k}"))
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        })
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = all.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| {
            let limit = res(c, "limits", r);
            limit.is_some() && res(c, "requests", r).is_none_or(|q| Some(q) == limit)
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn condition(
    kind: &str,
    status: &str,
    now: &str,
    reason: Option<&str>,
    message: Option<&str>,
) -> Value {
    let mut c =
        json!({ "type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": now });
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    c
}

fn container_status(c: &Value, running: bool, now: &str) -> Value {
    let image = c["image"].as_str().unwrap_or_default();
    let full = full_image(image);
    let name = c["name"].as_str().unwrap_or_default();
    if !running {
        return json!({
            "image": full, "imageID": "", "lastState": {}, "name": name, "ready": false,
            "restartCount": 0, "started": false,
            "state": { "waiting": { "reason": "ContainerCreating" } },
        });
    }
    let repo = full.split([':', '@']).next().unwrap_or_default();
    json!({
        "containerID": format!("containerd://{}", digest(&format!("{now}{name}{}", meta::new_uid()))),
        "image": full, "imageID": format!("{repo}@sha256:{}", digest(&full)), "lastState": {},
        "name": name, "ready": true, "restartCount": 0, "started": true,
        "state": { "running": { "startedAt": now } },
    })
}

fn init_status(c: &Value, now: &str) -> Value {
    let full = full_image(c["image"].as_str().unwrap_or_default());
    let repo = full
        .split([':', '@'])
        .next()
        .unwrap_or_default()
        .to_string();
    json!({
        "containerID": format!("containerd://{}", digest(&format!("{now}{}", meta::new_uid()))),
        "image": full, "imageID": format!("{repo}@sha256:{}", digest(&full)), "lastState": {},
        "name": c["name"], "ready": true, "restartCount": 0, "started": false,
        "state": { "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now } },
    })
}

/// The status the kubelet reports for a bound pod, before or after its containers started.
fn status(pod: &Value, host_ip: &str, pod_ip: Option<&str>, now: &str) -> Value {
    let spec = pod.get("spec").cloned().unwrap_or(json!({}));
    let main = containers(&spec, "containers");
    let init = containers(&spec, "initContainers");
    let old = pod.get("status").cloned().unwrap_or(json!({}));
    let since = |kind: &str, status: &str| -> String {
        old.get("conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["type"] == kind && c["status"] == status)
            })
            .and_then(|c| c["lastTransitionTime"].as_str())
            .unwrap_or(now)
            .to_string()
    };
    let start = old["startTime"].as_str().unwrap_or(now).to_string();
    let running = pod_ip.is_some();
    let mut s = Map::new();
    let conditions = if running {
        vec![
            condition(
                "PodReadyToStartContainers",
                "True",
                &since("PodReadyToStartContainers", "True"),
                None,
                None,
            ),
            condition(
                "Initialized",
                "True",
                &since("Initialized", "True"),
                None,
                None,
            ),
            condition("Ready", "True", &since("Ready", "True"), None, None),
            condition(
                "ContainersReady",
                "True",
                &since("ContainersReady", "True"),
                None,
                None,
            ),
            condition(
                "PodScheduled",
                "True",
                &since("PodScheduled", "True"),
                None,
                None,
            ),
        ]
    } else {
        let unready = format!("containers with unready status: [{}]", names(&main));
        let (init_ok, init_reason, init_msg) = if init.is_empty() {
            ("True", None, None)
        } else {
            (
                "False",
                Some("ContainersNotInitialized"),
                Some(format!(
                    "containers with incomplete status: [{}]",
                    names(&init)
                )),
            )
        };
        vec![
            condition("PodReadyToStartContainers", "False", now, None, None),
            condition(
                "Initialized",
                init_ok,
                now,
                init_reason,
                init_msg.as_deref(),
            ),
            condition(
                "Ready",
                "False",
                now,
                Some("ContainersNotReady"),
                Some(&unready),
            ),
            condition(
                "ContainersReady",
                "False",
                now,
                Some("ContainersNotReady"),
                Some(&unready),
            ),
            condition(
                "PodScheduled",
                "True",
                &since("PodScheduled", "True"),
                None,
                None,
            ),
        ]
    };
    s.insert(
        "phase".into(),
        json!(if running { "Running" } else { "Pending" }),
    );
    s.insert("conditions".into(), json!(conditions));
    s.insert("hostIP".into(), json!(host_ip));
    s.insert("hostIPs".into(), json!([{ "ip": host_ip }]));
    if let Some(ip) = pod_ip {
        s.insert("podIP".into(), json!(ip));
        s.insert("podIPs".into(), json!([{ "ip": ip }]));
    }
    s.insert("startTime".into(), json!(start));
    if running && !init.is_empty() {
        let inits: Vec<Value> = init.iter().map(|c| init_status(c, now)).collect();
        s.insert("initContainerStatuses".into(), json!(inits));
    }
    let statuses: Vec<Value> = main
        .iter()
        .map(|c| container_status(c, running, now))
        .collect();
    s.insert("containerStatuses".into(), json!(statuses));
    s.insert("qosClass".into(), json!(qos_class(&spec)));
    Value::Object(s)
}

fn host_ip(st: &State, node: &str) -> String {
    st.get(&ResKey::new("", "nodes"), "", node)
        .and_then(|n| n.pointer("/status/addresses"))
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
        .and_then(|x| x["address"].as_str())
        .unwrap_or(DEFAULT_HOST_IP)
        .to_string()
}

/// The lowest free address of 10.42.0.0/16 from .2 up (k3s's cluster CIDR).
fn free_ip(used: &HashSet<String>) -> String {
    (0..256u32 * 254)
        .map(|i| format!("10.42.{}.{}", i / 254, i % 254 + 2))
        .find(|ip| !used.contains(ip))
        .unwrap_or_else(|| "10.42.255.254".into())
}

impl Kubelet {
    /// One round; returns whether anything was written.
    pub fn pass(&mut self, st: &mut State, node: &str, delay: Duration) -> bool {
        let key = pods();
        if st.list(&key, None).next().is_none() {
            self.bound.clear();
            return false;
        }
        let before = st.rv;
        let now = meta::now();
        let mut live = HashSet::new();
        let mut todo = vec![];
        for p in st.list(&key, None) {
            let uid = meta::uid(p).to_string();
            live.insert(uid.clone());
            if meta::is_deleting(p) {
                continue;
            }
            let phase = p.pointer("/status/phase").and_then(Value::as_str);
            let bound = p
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            let due = match phase {
                None => true,
                Some("Pending") => {
                    let since = self.bound.entry(uid).or_insert_with(Instant::now);
                    !bound || since.elapsed() >= delay
                }
                _ => false,
            };
            if due {
                todo.push((meta::namespace(p).to_string(), meta::name(p).to_string()));
            }
        }
        self.bound.retain(|uid, _| live.contains(uid));
        if todo.is_empty() {
            return false;
        }
        let host = host_ip(st, node);
        let mut used: HashSet<String> = st
            .list(&key, None)
            .filter_map(|p| p.pointer("/status/podIP").and_then(Value::as_str))
            .map(String::from)
            .collect();
        for (ns, name) in todo {
            let Some(mut pod) = st.get(&key, &ns, &name).cloned() else {
                continue;
            };
            let bound = pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !bound {
                pod["spec"]["nodeName"] = json!(node);
                match update_as(st, &key, pod, "kube-scheduler", "") {
                    Ok(p) => pod = p,
                    Err(_) => continue,
                }
                self.bound
                    .insert(meta::uid(&pod).to_string(), Instant::now());
            }
            let started = self
                .bound
                .get(meta::uid(&pod))
                .is_some_and(|t| t.elapsed() >= delay);
            let ip = started.then(|| free_ip(&used));
            let mut next = pod.clone();
            next["status"] = status(&pod, &host, ip.as_deref(), &now);
            if update_as(st, &key, next, "kubelet", "status").is_ok() {
                used.extend(ip);
            }
        }
        st.rv != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_reported_fully_qualified() {
        assert_eq!(full_image("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full_image("nginx:1.27"), "docker.io/library/nginx:1.27");
        assert_eq!(full_image("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        assert_eq!(full_image("ghcr.io/a/b:1"), "ghcr.io/a/b:1");
        assert_eq!(full_image("localhost:5000/x"), "localhost:5000/x:latest");
    }

    #[test]
    fn qos_classes() {
        assert_eq!(
            qos_class(&json!({"containers": [{"name": "a"}]})),
            "BestEffort"
        );
        let g = json!({"containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}]});
        assert_eq!(qos_class(&g), "Guaranteed");
        let b = json!({"containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}]});
        assert_eq!(qos_class(&b), "Burstable");
    }
}
