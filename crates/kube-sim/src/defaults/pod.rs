//! Pod spec defaults (pods and every pod template): restart and DNS policy, scheduler, grace
//! period, security context, and per container the termination message, image pull policy,
//! port protocols, probe timings and canonical resource quantities.

use serde_json::{json, Map, Value};

use super::{default, object, quantities, unset};

/// Defaults of a pod template (`spec.template` of workloads).
pub fn template(template: &mut Value) {
    let Some(t) = object(template) else { return };
    if let Some(spec) = t.get_mut("spec") {
        spec_inner(spec);
    } else {
        let mut spec = Value::Null;
        spec_inner(&mut spec);
        t.insert("spec".into(), spec);
    }
}

/// Defaults of a pod spec.
pub fn spec(spec: &mut Value) {
    spec_inner(spec);
}

fn spec_inner(spec: &mut Value) {
    let Some(s) = object(spec) else { return };
    default(s, "restartPolicy", json!("Always"));
    default(s, "dnsPolicy", json!("ClusterFirst"));
    default(s, "schedulerName", json!("default-scheduler"));
    default(s, "terminationGracePeriodSeconds", json!(30));
    default(s, "securityContext", json!({}));
    if !unset(s, "serviceAccountName") && unset(s, "serviceAccount") {
        let sa = s["serviceAccountName"].clone();
        s.insert("serviceAccount".into(), sa);
    }
    let host_network = s.get("hostNetwork") == Some(&Value::Bool(true));
    for key in ["containers", "initContainers"] {
        if let Some(list) = s.get_mut(key).and_then(Value::as_array_mut) {
            for c in list.iter_mut().filter_map(Value::as_object_mut) {
                container(c, host_network);
            }
        }
    }
    if let Some(list) = s
        .get_mut("ephemeralContainers")
        .and_then(Value::as_array_mut)
    {
        for c in list.iter_mut().filter_map(Value::as_object_mut) {
            default(c, "terminationMessagePath", json!("/dev/termination-log"));
            default(c, "terminationMessagePolicy", json!("File"));
            pull_policy(c);
        }
    }
    if let Some(list) = s.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in list.iter_mut().filter_map(Value::as_object_mut) {
            volume(v);
        }
    }
    quantities(s, "overhead");
}

fn container(c: &mut Map<String, Value>, host_network: bool) {
    default(c, "terminationMessagePath", json!("/dev/termination-log"));
    default(c, "terminationMessagePolicy", json!("File"));
    pull_policy(c);
    default(c, "resources", json!({}));
    if let Some(r) = c.get_mut("resources").and_then(Value::as_object_mut) {
        quantities(r, "limits");
        quantities(r, "requests");
    }
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            default(p, "protocol", json!("TCP"));
            if host_network && unset(p, "hostPort") {
                if let Some(cp) = p.get("containerPort").cloned() {
                    p.insert("hostPort".into(), cp);
                }
            }
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).and_then(Value::as_object_mut) {
            probe_defaults(p);
        }
    }
    if let Some(lc) = c.get_mut("lifecycle").and_then(Value::as_object_mut) {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = lc.get_mut(hook).and_then(Value::as_object_mut) {
                handler(h);
            }
        }
    }
    if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
        for e in env.iter_mut() {
            if let Some(f) = e
                .pointer_mut("/valueFrom/fieldRef")
                .and_then(Value::as_object_mut)
            {
                default(f, "apiVersion", json!("v1"));
            }
            if let Some(r) = e
                .pointer_mut("/valueFrom/resourceFieldRef")
                .and_then(Value::as_object_mut)
            {
                default(r, "divisor", json!("0"));
                if let Some(d) = r.get_mut("divisor") {
                    super::canonical(d);
                }
            }
        }
    }
}

/// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise.
fn pull_policy(c: &mut Map<String, Value>) {
    if !unset(c, "imagePullPolicy") {
        return;
    }
    let Some(image) = c.get("image").and_then(Value::as_str) else {
        return;
    };
    let policy = if image.contains('@') {
        "IfNotPresent"
    } else {
        let last = image.rsplit('/').next().unwrap_or(image);
        match last.split_once(':') {
            Some((_, "latest")) | None => "Always",
            Some(_) => "IfNotPresent",
        }
    };
    c.insert("imagePullPolicy".into(), json!(policy));
}

fn probe_defaults(p: &mut Map<String, Value>) {
    default(p, "timeoutSeconds", json!(1));
    default(p, "periodSeconds", json!(10));
    default(p, "successThreshold", json!(1));
    default(p, "failureThreshold", json!(3));
    handler(p);
    if let Some(g) = p.get_mut("grpc").and_then(Value::as_object_mut) {
        default(g, "service", json!(""));
    }
}

fn handler(h: &mut Map<String, Value>) {
    if let Some(g) = h.get_mut("httpGet").and_then(Value::as_object_mut) {
        default(g, "path", json!("/"));
        default(g, "scheme", json!("HTTP"));
    }
}

fn volume(v: &mut Map<String, Value>) {
    for (source, field) in [
        ("secret", "defaultMode"),
        ("configMap", "defaultMode"),
        ("downwardAPI", "defaultMode"),
        ("projected", "defaultMode"),
    ] {
        if let Some(s) = v.get_mut(source).and_then(Value::as_object_mut) {
            default(s, field, json!(420));
        }
    }
    if let Some(e) = v.get_mut("emptyDir").and_then(Value::as_object_mut) {
        if let Some(size) = e.get_mut("sizeLimit") {
            super::canonical(size);
        }
    }
    if let Some(h) = v.get_mut("hostPath").and_then(Value::as_object_mut) {
        default(h, "type", json!(""));
    }
    if let Some(items) = v
        .get_mut("downwardAPI")
        .and_then(|d| d.get_mut("items"))
        .and_then(Value::as_array_mut)
    {
        for i in items {
            if let Some(f) = i.get_mut("fieldRef").and_then(Value::as_object_mut) {
                default(f, "apiVersion", json!("v1"));
            }
        }
    }
}
