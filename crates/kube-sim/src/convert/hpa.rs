//! `autoscaling/v1` <-> `autoscaling/v2` HorizontalPodAutoscaler, as
//! `pkg/apis/autoscaling/v1/conversion.go` converts them: v1 has only
//! `targetCPUUtilizationPercentage` and `currentCPUUtilizationPercentage`, so the other
//! metrics, the metric statuses, the conditions and the behavior travel in
//! `autoscaling.alpha.kubernetes.io/*` annotations, in the JSON of the v1 metric types (the
//! behavior in the JSON of Go's internal type, whose keys are the Go field names). A v1 object
//! without any metric gets the CPU utilization target of 80% v1 used to apply implicitly.

use serde_json::{json, Map, Value};

const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";
const TOLERANCE_DOWN: &str = "autoscaling.alpha.kubernetes.io/scale-down-tolerance";
const TOLERANCE_UP: &str = "autoscaling.alpha.kubernetes.io/scale-up-tolerance";
/// The annotations `DropRoundTripHorizontalPodAutoscalerAnnotations` removes.
const ROUND_TRIP: [&str; 6] = [
    METRICS,
    BEHAVIOR,
    TOLERANCE_DOWN,
    TOLERANCE_UP,
    CURRENT_METRICS,
    CONDITIONS,
];
const DEFAULT_CPU_UTILIZATION: i64 = 80;

type Obj = Map<String, Value>;

/// `v[key]` unless missing or null.
fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// Copies `from[key]` into `to[as_key]` when set (a Go pointer field with `omitempty`).
fn copy(to: &mut Obj, as_key: &str, from: &Value, key: &str) {
    if let Some(v) = get(from, key) {
        to.insert(as_key.into(), v.clone());
    }
}

/// `from[key]`, or the zero value Go marshals for a non-pointer field.
fn or(from: &Value, key: &str, zero: Value) -> Value {
    get(from, key).cloned().unwrap_or(zero)
}

fn quantity(from: &Value, key: &str) -> Value {
    or(from, key, json!("0"))
}

fn empty() -> Value {
    Value::Object(Obj::new())
}

fn annotations_mut(obj: &mut Value) -> Option<&mut Obj> {
    crate::meta::meta_mut(obj)
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
}

/// Removes the round-trip annotations (and an annotation map left empty).
fn drop_round_trip(obj: &mut Value) {
    let Some(a) = annotations_mut(obj) else {
        return;
    };
    if !ROUND_TRIP.iter().any(|k| a.contains_key(*k)) {
        return;
    }
    for k in ROUND_TRIP {
        a.shift_remove(k);
    }
    if a.is_empty() {
        crate::meta::meta_mut(obj).shift_remove("annotations");
    }
}

fn annotate(obj: &mut Value, key: &str, value: &Value) {
    let m = crate::meta::meta_mut(obj);
    let a = m.entry("annotations").or_insert_with(empty);
    if !a.is_object() {
        *a = empty();
    }
    if let Some(a) = a.as_object_mut() {
        a.insert(key.into(), Value::String(value.to_string()));
    }
}

fn annotation(obj: &Value, key: &str) -> Option<String> {
    obj.pointer("/metadata/annotations")?
        .get(key)?
        .as_str()
        .map(String::from)
}

/// `CrossVersionObjectReference`: kind, name, apiVersion.
fn reference(r: &Value) -> Value {
    let mut o = Obj::new();
    o.insert("kind".into(), or(r, "kind", json!("")));
    o.insert("name".into(), or(r, "name", json!("")));
    copy(&mut o, "apiVersion", r, "apiVersion");
    Value::Object(o)
}

fn is_cpu(metric: &Value) -> bool {
    metric.get("type").and_then(Value::as_str) == Some("Resource")
        && metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
}

fn cpu_utilization_target(metric: &Value) -> Option<&Value> {
    metric
        .pointer("/resource/target/averageUtilization")
        .filter(|v| !v.is_null())
}

/// The v2 `metric` identifier of a source as v1's name and selector fields.
fn identifier(src: &Value) -> (Value, Option<Value>) {
    let m = src.get("metric").cloned().unwrap_or_else(empty);
    (or(&m, "name", json!("")), get(&m, "selector").cloned())
}

/// A v2 `MetricSpec` as the v1 `MetricSpec` of the metrics annotation.
fn spec_to_v1(m: &Value) -> Value {
    let mut out = Obj::new();
    out.insert("type".into(), or(m, "type", json!("")));
    if let Some(s) = get(m, "object") {
        let (name, selector) = identifier(s);
        let t = or(s, "target", empty());
        let mut o = Obj::new();
        o.insert(
            "target".into(),
            reference(&or(s, "describedObject", empty())),
        );
        o.insert("metricName".into(), name);
        o.insert("targetValue".into(), quantity(&t, "value"));
        if let Some(sel) = selector {
            o.insert("selector".into(), sel);
        }
        copy(&mut o, "averageValue", &t, "averageValue");
        out.insert("object".into(), Value::Object(o));
    }
    if let Some(s) = get(m, "pods") {
        let (name, selector) = identifier(s);
        let t = or(s, "target", empty());
        let mut o = Obj::new();
        o.insert("metricName".into(), name);
        o.insert("targetAverageValue".into(), quantity(&t, "averageValue"));
        if let Some(sel) = selector {
            o.insert("selector".into(), sel);
        }
        out.insert("pods".into(), Value::Object(o));
    }
    for key in ["resource", "containerResource"] {
        if let Some(s) = get(m, key) {
            let t = or(s, "target", empty());
            let mut o = Obj::new();
            o.insert("name".into(), or(s, "name", json!("")));
            copy(&mut o, "targetAverageUtilization", &t, "averageUtilization");
            copy(&mut o, "targetAverageValue", &t, "averageValue");
            if key == "containerResource" {
                o.insert("container".into(), or(s, "container", json!("")));
            }
            out.insert(key.into(), Value::Object(o));
        }
    }
    if let Some(s) = get(m, "external") {
        let (name, selector) = identifier(s);
        let t = or(s, "target", empty());
        let mut o = Obj::new();
        o.insert("metricName".into(), name);
        if let Some(sel) = selector {
            o.insert("metricSelector".into(), sel);
        }
        copy(&mut o, "targetValue", &t, "value");
        copy(&mut o, "targetAverageValue", &t, "averageValue");
        out.insert("external".into(), Value::Object(o));
    }
    Value::Object(out)
}

/// A v2 `MetricStatus` as the v1 `MetricStatus` of the current-metrics annotation.
fn status_to_v1(m: &Value) -> Value {
    let mut out = Obj::new();
    out.insert("type".into(), or(m, "type", json!("")));
    if let Some(s) = get(m, "object") {
        let (name, selector) = identifier(s);
        let c = or(s, "current", empty());
        let mut o = Obj::new();
        o.insert(
            "target".into(),
            reference(&or(s, "describedObject", empty())),
        );
        o.insert("metricName".into(), name);
        o.insert("currentValue".into(), quantity(&c, "value"));
        if let Some(sel) = selector {
            o.insert("selector".into(), sel);
        }
        copy(&mut o, "averageValue", &c, "averageValue");
        out.insert("object".into(), Value::Object(o));
    }
    if let Some(s) = get(m, "pods") {
        let (name, selector) = identifier(s);
        let c = or(s, "current", empty());
        let mut o = Obj::new();
        o.insert("metricName".into(), name);
        o.insert("currentAverageValue".into(), quantity(&c, "averageValue"));
        if let Some(sel) = selector {
            o.insert("selector".into(), sel);
        }
        out.insert("pods".into(), Value::Object(o));
    }
    for key in ["resource", "containerResource"] {
        if let Some(s) = get(m, key) {
            let c = or(s, "current", empty());
            let mut o = Obj::new();
            o.insert("name".into(), or(s, "name", json!("")));
            copy(
                &mut o,
                "currentAverageUtilization",
                &c,
                "averageUtilization",
            );
            o.insert("currentAverageValue".into(), quantity(&c, "averageValue"));
            if key == "containerResource" {
                o.insert("container".into(), or(s, "container", json!("")));
            }
            out.insert(key.into(), Value::Object(o));
        }
    }
    if let Some(s) = get(m, "external") {
        let (name, selector) = identifier(s);
        let c = or(s, "current", empty());
        let mut o = Obj::new();
        o.insert("metricName".into(), name);
        if let Some(sel) = selector {
            o.insert("metricSelector".into(), sel);
        }
        o.insert("currentValue".into(), quantity(&c, "value"));
        copy(&mut o, "currentAverageValue", &c, "averageValue");
        out.insert("external".into(), Value::Object(o));
    }
    Value::Object(out)
}

/// A v2 metric identifier from v1's name and selector fields.
fn metric_id(src: &Value, selector_key: &str) -> Value {
    let mut id = Obj::new();
    id.insert("name".into(), or(src, "metricName", json!("")));
    copy(&mut id, "selector", src, selector_key);
    Value::Object(id)
}

/// A v1 `MetricSpec` of the metrics annotation as a v2 `MetricSpec`.
fn spec_from_v1(m: &Value) -> Value {
    let mut out = Obj::new();
    out.insert("type".into(), or(m, "type", json!("")));
    if let Some(s) = get(m, "object") {
        let kind = if get(s, "averageValue").is_none() {
            "Value"
        } else {
            "AverageValue"
        };
        let mut t = Obj::new();
        t.insert("type".into(), json!(kind));
        t.insert("value".into(), quantity(s, "targetValue"));
        copy(&mut t, "averageValue", s, "averageValue");
        out.insert(
            "object".into(),
            json!({
                "describedObject": reference(&or(s, "target", empty())),
                "target": t,
                "metric": metric_id(s, "selector"),
            }),
        );
    }
    if let Some(s) = get(m, "pods") {
        out.insert(
            "pods".into(),
            json!({
                "metric": metric_id(s, "selector"),
                "target": { "type": "AverageValue", "averageValue": quantity(s, "targetAverageValue") },
            }),
        );
    }
    for key in ["resource", "containerResource"] {
        if let Some(s) = get(m, key) {
            let utilization = get(s, "targetAverageUtilization");
            let mut t = Obj::new();
            let kind = if utilization.is_none() {
                "AverageValue"
            } else {
                "Utilization"
            };
            t.insert("type".into(), json!(kind));
            copy(&mut t, "averageValue", s, "targetAverageValue");
            copy(&mut t, "averageUtilization", s, "targetAverageUtilization");
            let mut o = Obj::new();
            o.insert("name".into(), or(s, "name", json!("")));
            o.insert("target".into(), Value::Object(t));
            if key == "containerResource" {
                o.insert("container".into(), or(s, "container", json!("")));
            }
            out.insert(key.into(), Value::Object(o));
        }
    }
    if let Some(s) = get(m, "external") {
        let kind = if get(s, "targetValue").is_none() {
            "AverageValue"
        } else {
            "Value"
        };
        let mut t = Obj::new();
        t.insert("type".into(), json!(kind));
        copy(&mut t, "value", s, "targetValue");
        copy(&mut t, "averageValue", s, "targetAverageValue");
        out.insert(
            "external".into(),
            json!({ "metric": metric_id(s, "metricSelector"), "target": t }),
        );
    }
    Value::Object(out)
}

/// A v1 `MetricStatus` of the current-metrics annotation as a v2 `MetricStatus`.
fn status_from_v1(m: &Value) -> Value {
    let mut out = Obj::new();
    out.insert("type".into(), or(m, "type", json!("")));
    if let Some(s) = get(m, "object") {
        let mut c = Obj::new();
        c.insert("value".into(), quantity(s, "currentValue"));
        copy(&mut c, "averageValue", s, "averageValue");
        out.insert(
            "object".into(),
            json!({
                "metric": metric_id(s, "selector"),
                "current": c,
                "describedObject": reference(&or(s, "target", empty())),
            }),
        );
    }
    if let Some(s) = get(m, "pods") {
        out.insert(
            "pods".into(),
            json!({
                "metric": metric_id(s, "selector"),
                "current": { "averageValue": quantity(s, "currentAverageValue") },
            }),
        );
    }
    for key in ["resource", "containerResource"] {
        if let Some(s) = get(m, key) {
            let mut c = Obj::new();
            c.insert("averageValue".into(), quantity(s, "currentAverageValue"));
            copy(&mut c, "averageUtilization", s, "currentAverageUtilization");
            let mut o = Obj::new();
            o.insert("name".into(), or(s, "name", json!("")));
            o.insert("current".into(), Value::Object(c));
            if key == "containerResource" {
                o.insert("container".into(), or(s, "container", json!("")));
            }
            out.insert(key.into(), Value::Object(o));
        }
    }
    if let Some(s) = get(m, "external") {
        let mut c = Obj::new();
        c.insert("value".into(), quantity(s, "currentValue"));
        copy(&mut c, "averageValue", s, "currentAverageValue");
        out.insert(
            "external".into(),
            json!({ "metric": metric_id(s, "metricSelector"), "current": c }),
        );
    }
    Value::Object(out)
}

/// A condition as `json.Marshal` writes a v1 `HorizontalPodAutoscalerCondition`.
fn condition(c: &Value) -> Value {
    let mut o = Obj::new();
    o.insert("type".into(), or(c, "type", json!("")));
    o.insert("status".into(), or(c, "status", json!("")));
    o.insert(
        "lastTransitionTime".into(),
        or(c, "lastTransitionTime", Value::Null),
    );
    copy(&mut o, "reason", c, "reason");
    copy(&mut o, "message", c, "message");
    Value::Object(o)
}

/// The behavior as `json.Marshal` writes Go's internal `HorizontalPodAutoscalerBehavior`: no
/// json tags, so Go field names, and nil pointers as `null`.
fn behavior_to_go(b: &Value) -> Value {
    let rules = |r: Option<&Value>| match r {
        None => Value::Null,
        Some(r) => {
            let policies = match get(r, "policies").and_then(Value::as_array) {
                None => Value::Null,
                Some(p) => p
                    .iter()
                    .map(|p| {
                        json!({
                            "Type": or(p, "type", json!("")),
                            "Value": or(p, "value", json!(0)),
                            "PeriodSeconds": or(p, "periodSeconds", json!(0)),
                        })
                    })
                    .collect(),
            };
            json!({
                "StabilizationWindowSeconds": or(r, "stabilizationWindowSeconds", Value::Null),
                "SelectPolicy": or(r, "selectPolicy", Value::Null),
                "Policies": policies,
                "Tolerance": or(r, "tolerance", Value::Null),
            })
        }
    };
    json!({ "ScaleUp": rules(get(b, "scaleUp")), "ScaleDown": rules(get(b, "scaleDown")) })
}

/// `v[name]` matched as `encoding/json` matches keys: exactly, else ignoring case.
fn go_field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(name)
        .or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// The behavior annotation read back; `None` when it does not decode or is the zero value
/// (the real conversion then ignores it).
fn behavior_from_go(raw: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(raw).ok()?;
    let rules = |r: Option<&Value>| -> Option<Value> {
        let r = r.filter(|r| r.is_object())?;
        let mut o = Obj::new();
        if let Some(x) = go_field(r, "StabilizationWindowSeconds") {
            o.insert("stabilizationWindowSeconds".into(), x.clone());
        }
        if let Some(x) = go_field(r, "SelectPolicy") {
            o.insert("selectPolicy".into(), x.clone());
        }
        if let Some(p) = go_field(r, "Policies").and_then(Value::as_array) {
            let list: Vec<Value> = p
                .iter()
                .map(|p| {
                    json!({
                        "type": go_field(p, "Type").cloned().unwrap_or(json!("")),
                        "value": go_field(p, "Value").cloned().unwrap_or(json!(0)),
                        "periodSeconds": go_field(p, "PeriodSeconds").cloned().unwrap_or(json!(0)),
                    })
                })
                .collect();
            o.insert("policies".into(), Value::Array(list));
        }
        if let Some(x) = go_field(r, "Tolerance") {
            o.insert("tolerance".into(), x.clone());
        }
        Some(Value::Object(o))
    };
    let mut out = Obj::new();
    if let Some(r) = rules(go_field(&v, "ScaleUp")) {
        out.insert("scaleUp".into(), r);
    }
    if let Some(r) = rules(go_field(&v, "ScaleDown")) {
        out.insert("scaleDown".into(), r);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// A stored v2 object as autoscaling/v1 shows it.
pub fn v2_to_v1(v2: &Value) -> Value {
    let mut out = v2.clone();
    out["apiVersion"] = json!("autoscaling/v1");
    drop_round_trip(&mut out);
    let spec = or(v2, "spec", empty());
    let status = or(v2, "status", empty());
    let metrics = get(&spec, "metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let mut s = Obj::new();
    s.insert(
        "scaleTargetRef".into(),
        reference(&or(&spec, "scaleTargetRef", empty())),
    );
    copy(&mut s, "minReplicas", &spec, "minReplicas");
    s.insert("maxReplicas".into(), or(&spec, "maxReplicas", json!(0)));
    // The first CPU resource metric decides, whatever its target type.
    if let Some(u) = metrics
        .iter()
        .find(|m| is_cpu(m))
        .and_then(cpu_utilization_target)
    {
        s.insert("targetCPUUtilizationPercentage".into(), u.clone());
    }
    out["spec"] = Value::Object(s);

    let current = get(&status, "currentMetrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut st = Obj::new();
    copy(&mut st, "observedGeneration", &status, "observedGeneration");
    copy(&mut st, "lastScaleTime", &status, "lastScaleTime");
    st.insert(
        "currentReplicas".into(),
        or(&status, "currentReplicas", json!(0)),
    );
    st.insert(
        "desiredReplicas".into(),
        or(&status, "desiredReplicas", json!(0)),
    );
    // No break here: the last CPU metric with a utilization wins.
    for m in current.iter().filter(|m| is_cpu(m)) {
        if let Some(u) = m
            .pointer("/resource/current/averageUtilization")
            .filter(|u| !u.is_null())
        {
            st.insert("currentCPUUtilizationPercentage".into(), u.clone());
        }
    }
    out["status"] = Value::Object(st);

    let others: Vec<Value> = metrics
        .iter()
        .filter(|m| !(is_cpu(m) && cpu_utilization_target(m).is_some()))
        .map(spec_to_v1)
        .collect();
    if !others.is_empty() {
        annotate(&mut out, METRICS, &Value::Array(others));
    }
    if !current.is_empty() {
        annotate(
            &mut out,
            CURRENT_METRICS,
            &current.iter().map(status_to_v1).collect(),
        );
    }
    if let Some(b) = get(&spec, "behavior") {
        annotate(&mut out, BEHAVIOR, &behavior_to_go(b));
    }
    if let Some(c) = get(&status, "conditions")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    {
        annotate(&mut out, CONDITIONS, &c.iter().map(condition).collect());
    }
    out
}

fn parse_list(raw: &str, what: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(Value::Null) => Ok(vec![]),
        Ok(_) => Err(format!(
            "json: cannot unmarshal object into Go value of type []v1.{what}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// An autoscaling/v1 object (already defaulted) as the v2 object it stands for.
pub fn v1_to_v2(v1: Value) -> Result<Value, String> {
    let spec = or(&v1, "spec", empty());
    let status = get(&v1, "status").cloned();
    let mut out = v1.clone();
    out["apiVersion"] = json!("autoscaling/v2");

    let mut s = Obj::new();
    s.insert(
        "scaleTargetRef".into(),
        reference(&or(&spec, "scaleTargetRef", empty())),
    );
    copy(&mut s, "minReplicas", &spec, "minReplicas");
    s.insert("maxReplicas".into(), or(&spec, "maxReplicas", json!(0)));
    let mut metrics = vec![];
    if let Some(target) = get(&spec, "targetCPUUtilizationPercentage") {
        metrics.push(json!({
            "type": "Resource",
            "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": target } },
        }));
    }
    if let Some(raw) = annotation(&v1, METRICS) {
        let mut all: Vec<Value> = parse_list(&raw, "MetricSpec")?
            .iter()
            .map(spec_from_v1)
            .collect();
        all.append(&mut metrics);
        metrics = all;
    }
    if let Some(b) = annotation(&v1, BEHAVIOR).and_then(|raw| behavior_from_go(&raw)) {
        s.insert("behavior".into(), b);
    }
    if metrics.is_empty() {
        metrics.push(json!({
            "type": "Resource",
            "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION } },
        }));
    }
    s.insert("metrics".into(), Value::Array(metrics));
    out["spec"] = Value::Object(s);

    let current = annotation(&v1, CURRENT_METRICS);
    let conditions = annotation(&v1, CONDITIONS);
    if status.is_some() || current.is_some() || conditions.is_some() {
        let status = status.unwrap_or_else(empty);
        let mut st = Obj::new();
        copy(&mut st, "observedGeneration", &status, "observedGeneration");
        copy(&mut st, "lastScaleTime", &status, "lastScaleTime");
        if get(&status, "currentReplicas").is_some_and(|r| r != &json!(0)) {
            st.insert("currentReplicas".into(), status["currentReplicas"].clone());
        }
        st.insert(
            "desiredReplicas".into(),
            or(&status, "desiredReplicas", json!(0)),
        );
        if let Some(raw) = current {
            // The annotation holds more than the percentage: it wins.
            let list = parse_list(&raw, "MetricStatus")?;
            st.insert(
                "currentMetrics".into(),
                list.iter().map(status_from_v1).collect(),
            );
        } else if let Some(pct) = get(&status, "currentCPUUtilizationPercentage") {
            st.insert(
                "currentMetrics".into(),
                json!([{ "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": pct } } }]),
            );
        }
        if let Some(raw) = conditions {
            let list = parse_list(&raw, "HorizontalPodAutoscalerCondition")?;
            st.insert("conditions".into(), Value::Array(list));
        }
        out["status"] = Value::Object(st);
    }
    drop_round_trip(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(metrics: Value) -> Value {
        json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": { "name": "h" },
            "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "d", "apiVersion": "apps/v1" },
                      "minReplicas": 2, "maxReplicas": 5, "metrics": metrics },
        })
    }

    #[test]
    fn the_cpu_utilization_metric_is_the_v1_percentage() {
        let cpu = json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 70 } } }]);
        let v1 = v2_to_v1(&v2(cpu.clone()));
        assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 70);
        assert!(v1["metadata"].get("annotations").is_none());
        assert_eq!(
            v1["status"],
            json!({ "currentReplicas": 0, "desiredReplicas": 0 })
        );
        let back = v1_to_v2(v1).unwrap();
        assert_eq!(back["spec"]["metrics"], cpu);
        assert!(back.get("status").is_none() || back["status"]["desiredReplicas"] == 0);
    }

    #[test]
    fn other_metrics_and_behavior_survive_a_v1_round_trip() {
        let metrics = json!([
            { "type": "Resource", "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "500Mi" } } },
            { "type": "Pods", "pods": { "metric": { "name": "qps" }, "target": { "type": "AverageValue", "averageValue": "10" } } },
        ]);
        let mut obj = v2(metrics.clone());
        obj["spec"]["behavior"] = json!({ "scaleDown": { "stabilizationWindowSeconds": 60, "selectPolicy": "Max",
            "policies": [{ "type": "Pods", "value": 1, "periodSeconds": 30 }] } });
        let v1 = v2_to_v1(&obj);
        assert!(v1["spec"].get("targetCPUUtilizationPercentage").is_none());
        let ann = &v1["metadata"]["annotations"];
        let specs: Value = serde_json::from_str(ann[METRICS].as_str().unwrap()).unwrap();
        assert_eq!(
            specs[0]["resource"],
            json!({ "name": "memory", "targetAverageValue": "500Mi" })
        );
        assert_eq!(
            specs[1]["pods"],
            json!({ "metricName": "qps", "targetAverageValue": "10" })
        );
        let b: Value = serde_json::from_str(ann[BEHAVIOR].as_str().unwrap()).unwrap();
        assert_eq!(b["ScaleDown"]["StabilizationWindowSeconds"], 60);
        assert_eq!(b["ScaleUp"], Value::Null);
        let back = v1_to_v2(v1).unwrap();
        assert_eq!(back["spec"]["metrics"], metrics);
        assert_eq!(back["spec"]["behavior"], obj["spec"]["behavior"]);
        assert!(back["metadata"].get("annotations").is_none());
    }

    #[test]
    fn a_v1_object_without_target_gets_the_default_cpu_metric() {
        let v1 = json!({ "metadata": { "name": "h" }, "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "d" }, "minReplicas": 1, "maxReplicas": 3 } });
        let out = v1_to_v2(v1).unwrap();
        assert_eq!(
            out["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
    }

    #[test]
    fn a_metrics_annotation_that_is_not_json_is_an_error() {
        let v1 = json!({ "metadata": { "name": "h", "annotations": { METRICS: "{" } }, "spec": { "maxReplicas": 3 } });
        assert!(v1_to_v2(v1).is_err());
    }
}
