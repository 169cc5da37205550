//! Service defaults and allocations: type, session affinity, port protocols and target ports,
//! traffic policies, IP families, a cluster IP from k3s's service range (10.43.0.0/16) and
//! node ports from 30000-32767.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::{child, default, unset};
use crate::resources::ResKey;
use crate::store::State;

fn service_type(s: &Map<String, Value>) -> &str {
    s.get("type").and_then(Value::as_str).unwrap_or("ClusterIP")
}

fn exposes_node_ports(s: &Map<String, Value>) -> bool {
    matches!(service_type(s), "NodePort" | "LoadBalancer")
}

/// Defaults of a Service's spec.
pub fn defaults(obj: &mut Value) {
    let Some(s) = obj.as_object_mut().and_then(|o| child(o, "spec")) else {
        return;
    };
    if unset(s, "type") {
        s.insert("type".into(), json!("ClusterIP"));
    }
    default(s, "sessionAffinity", json!("None"));
    if s.get("sessionAffinity") == Some(&json!("ClientIP")) {
        if let Some(c) = child(s, "sessionAffinityConfig").and_then(|c| child(c, "clientIP")) {
            default(c, "timeoutSeconds", json!(10800));
        }
    }
    if let Some(ports) = s.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            default(p, "protocol", json!("TCP"));
            let target_unset = match p.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::String(t)) => t.is_empty(),
                _ => false,
            };
            if target_unset {
                if let Some(port) = p.get("port").cloned() {
                    p.insert("targetPort".into(), port);
                }
            }
        }
    }
    if service_type(s) == "ExternalName" {
        return;
    }
    default(s, "internalTrafficPolicy", json!("Cluster"));
    if exposes_node_ports(s) {
        default(s, "externalTrafficPolicy", json!("Cluster"));
    }
    if service_type(s) == "LoadBalancer" {
        default(s, "allocateLoadBalancerNodePorts", json!(true));
    }
    if !unset(s, "clusterIP") && s.get("clusterIPs").is_none_or(Value::is_null) {
        let ip = s["clusterIP"].clone();
        s.insert("clusterIPs".into(), json!([ip]));
    }
    default(s, "ipFamilyPolicy", json!("SingleStack"));
    default(s, "ipFamilies", json!(["IPv4"]));
}

/// Copies the cluster IPs and node ports of `old` into an update that leaves them out.
pub fn keep_allocated(old: &Value, new: &mut Value) {
    let Some(old_spec) = old.get("spec").and_then(Value::as_object) else {
        return;
    };
    let Some(s) = new.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let same_kind_of_ip = service_type(s) != "ExternalName";
    if same_kind_of_ip && unset(s, "clusterIP") && !unset(old_spec, "clusterIP") {
        s.insert("clusterIP".into(), old_spec["clusterIP"].clone());
        if s.get("clusterIPs").is_none_or(Value::is_null) {
            if let Some(ips) = old_spec.get("clusterIPs") {
                s.insert("clusterIPs".into(), ips.clone());
            }
        }
    }
    let old_ports: Vec<&Value> = old_spec
        .get("ports")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let exposes = exposes_node_ports(s);
    if let Some(ports) = s.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            if !exposes {
                // A Service that stops exposing node ports gives back the allocated ones.
                let allocated = old_ports
                    .iter()
                    .any(|o| o.get("nodePort") == p.get("nodePort"));
                if !node_port_unset(p) && allocated {
                    p.shift_remove("nodePort");
                }
                continue;
            }
            if !node_port_unset(p) {
                continue;
            }
            let proto = |v: &Value| {
                v.get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_string()
            };
            let mine = (p.get("port").cloned(), proto(&Value::Object(p.clone())));
            if let Some(np) = old_ports
                .iter()
                .find(|o| (o.get("port").cloned(), proto(o)) == mine)
                .and_then(|o| o.get("nodePort"))
            {
                p.insert("nodePort".into(), np.clone());
            }
        }
    }
}

fn node_port_unset(p: &Map<String, Value>) -> bool {
    match p.get("nodePort") {
        None | Some(Value::Null) => true,
        Some(v) => v.as_i64() == Some(0),
    }
}

/// Allocates a cluster IP and node ports for a new Service.
pub fn allocate(st: &State, obj: &mut Value) {
    let mut used_ips = HashSet::new();
    let mut used_ports = HashSet::new();
    for svc in st.list(&ResKey::new("", "services"), None) {
        if let Some(ip) = svc.pointer("/spec/clusterIP").and_then(Value::as_str) {
            used_ips.insert(ip.to_string());
        }
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("nodePort").and_then(Value::as_i64) {
                used_ports.insert(n);
            }
        }
    }
    let Some(s) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if service_type(s) == "ExternalName" {
        return;
    }
    if unset(s, "clusterIP") {
        // 10.43.0.1 is the kubernetes Service; k3s hands out the rest of the /16.
        let ip = (2..=0xfffe_u32)
            .map(|n| format!("10.43.{}.{}", n >> 8, n & 0xff))
            .find(|ip| !ip.ends_with(".0") && !used_ips.contains(ip));
        if let Some(ip) = ip {
            s.insert("clusterIP".into(), json!(ip));
            s.insert("clusterIPs".into(), json!([ip]));
        }
    }
    if !exposes_node_ports(s) {
        return;
    }
    if let Some(ports) = s.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            if node_port_unset(p) {
                if let Some(n) = (30000..=32767).find(|n| !used_ports.contains(n)) {
                    used_ports.insert(n);
                    p.insert("nodePort".into(), json!(n));
                }
            }
        }
    }
}
