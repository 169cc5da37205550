//! Reads: get, list (selectors, limit/continue) and table rendering for kubectl.

use base64::Engine;
use serde_json::{json, Value};

use crate::resources::ResourceType;
use crate::selectors::Selector;
use crate::status::{ApiError, ApiResult};
use crate::store::State;
use crate::web::Request;

/// The stored object as `rt` serves it: converted from the storage version, or with the
/// apiVersion it is served under (custom resources share one store).
pub fn served(rt: &ResourceType, obj: &Value) -> Value {
    if crate::convert::applies(rt) {
        return crate::convert::from_storage(rt, obj);
    }
    let mut o = obj.clone();
    o["apiVersion"] = json!(rt.api_version());
    o
}

/// GET of one object.
pub fn get(st: &State, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
    let ns = if rt.namespaced { ns } else { "" };
    st.get(&rt.store_key(), ns, name)
        .map(|o| served(rt, o))
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
}

/// Label and field selectors of a request.
pub fn selectors(req: &Request) -> ApiResult<(Selector, Selector)> {
    let labels = Selector::parse(req.q("labelSelector").unwrap_or(""), false)?;
    let fields = Selector::parse(req.q("fieldSelector").unwrap_or(""), true)?;
    Ok((labels, fields))
}

/// Fields a kind can be selected by, besides `metadata.name` and `metadata.namespace`.
fn selectable(rt: &ResourceType) -> &'static [&'static str] {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        ("", "Secret") => &["type"],
        ("", "Namespace") => &["status.phase"],
        ("", "Node") => &["spec.unschedulable"],
        ("", "Event") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("apps", "ReplicaSet") => &["status.replicas"],
        ("batch", "Job") => &["status.successful"],
        _ => &[],
    }
}

/// Refuses field selectors on fields the kind cannot be selected by (400), as the API server
/// does.
pub fn check_field_selector(rt: &ResourceType, fields: &Selector) -> ApiResult<()> {
    for key in fields.keys() {
        if matches!(key, "metadata.name" | "metadata.namespace") || selectable(rt).contains(&key) {
            continue;
        }
        return Err(ApiError::bad_request(if rt.crd.is_some() {
            format!("{key:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        } else {
            format!("field label not supported: {key}")
        }));
    }
    Ok(())
}

/// Objects of a list request (namespace `None` lists across namespaces).
pub fn matching(
    st: &State,
    rt: &ResourceType,
    ns: Option<&str>,
    labels: &Selector,
    fields: &Selector,
) -> Vec<Value> {
    st.list(&rt.store_key(), if rt.namespaced { ns } else { None })
        .filter(|o| labels.matches_labels(o) && fields.matches_fields(o))
        .map(|o| served(rt, o))
        .collect()
}

fn encode_continue(ns: &str, name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{ns}\u{0}{name}"))
}

fn decode_continue(token: &str) -> ApiResult<(String, String)> {
    let bad = || ApiError::bad_request("continue key is not valid");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (ns, name) = s.split_once('\u{0}').ok_or_else(bad)?;
    Ok((ns.into(), name.into()))
}

/// The objects one LIST page returns, borrowed from the store, and the
/// list's metadata (resourceVersion, continue token).
struct Page<'a> {
    items: Vec<&'a Value>,
    metadata: Value,
}

/// Selects one LIST page: selectors and pagination.
fn page<'a>(
    st: &'a State,
    rt: &ResourceType,
    ns: Option<&'a str>,
    req: &Request,
) -> ApiResult<Page<'a>> {
    let (labels, fields) = selectors(req)?;
    check_field_selector(rt, &fields)?;
    let after = match req.q("continue").filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_continue(token)?),
        None => None,
    };
    let limit = req
        .q("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let ns = if rt.namespaced { ns } else { None };
    let candidates = st
        .list(&rt.store_key(), ns)
        .filter(|o| match &after {
            Some((cns, cname)) => {
                (crate::meta::namespace(o), crate::meta::name(o)) > (cns.as_str(), cname.as_str())
            }
            None => true,
        })
        .filter(|o| labels.matches_labels(o) && fields.matches_fields(o));
    let mut items = vec![];
    let mut remaining = 0usize;
    for o in candidates {
        if items.len() < limit {
            items.push(o);
        } else {
            remaining += 1;
        }
    }
    let mut metadata = json!({ "resourceVersion": st.rv.to_string() });
    if remaining > 0 {
        let last = items.last().expect("limit > 0");
        metadata["continue"] = json!(encode_continue(
            crate::meta::namespace(last),
            crate::meta::name(last)
        ));
        metadata["remainingItemCount"] = json!(remaining);
    }
    Ok(Page { items, metadata })
}

/// LIST with selectors and pagination.
pub fn list(st: &State, rt: &ResourceType, ns: Option<&str>, req: &Request) -> ApiResult<Value> {
    let p = page(st, rt, ns, req)?;
    let items: Vec<Value> = p.items.into_iter().map(|o| served(rt, o)).collect();
    Ok(json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": p.metadata,
        "items": items,
    }))
}

/// The same LIST as [`list`], serialized straight from the store without
/// copying the objects: large lists are what refreshes and informers ask for.
pub fn list_json(
    st: &State,
    rt: &ResourceType,
    ns: Option<&str>,
    req: &Request,
) -> ApiResult<Vec<u8>> {
    if crate::convert::applies(rt) {
        return Ok(serde_json::to_vec(&list(st, rt, ns, req)?).unwrap_or_default());
    }
    let p = page(st, rt, ns, req)?;
    let api_version = rt.api_version();
    let body = ListBody {
        kind: format!("{}List", rt.kind),
        api_version: &api_version,
        metadata: &p.metadata,
        items: p
            .items
            .iter()
            .map(|obj| ServedRef {
                api_version: &api_version,
                obj,
            })
            .collect(),
    };
    Ok(serde_json::to_vec(&body).unwrap_or_default())
}

/// A LIST response body.
#[derive(serde::Serialize)]
struct ListBody<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    metadata: &'a Value,
    items: Vec<ServedRef<'a>>,
}

/// An object as [`served`] would return it, serialized without a copy.
struct ServedRef<'a> {
    api_version: &'a str,
    obj: &'a Value,
}

impl serde::Serialize for ServedRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(fields) = self.obj.as_object() else {
            return self.obj.serialize(s);
        };
        let missing = !fields.contains_key("apiVersion");
        let mut m = s.serialize_map(Some(fields.len() + usize::from(missing)))?;
        for (k, v) in fields {
            match k.as_str() {
                "apiVersion" => m.serialize_entry(k, self.api_version)?,
                _ => m.serialize_entry(k, v)?,
            }
        }
        if missing {
            m.serialize_entry("apiVersion", self.api_version)?;
        }
        m.end()
    }
}

/// Whether the client asked for a `meta.k8s.io` Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

fn age(created: &str) -> String {
    let Ok(t) = humantime::parse_rfc3339(created) else {
        return "<unknown>".into();
    };
    let secs = std::time::SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn column_value(obj: &Value, json_path: &str) -> Value {
    let path = json_path.trim_start_matches('.');
    let ptr = format!("/{}", path.replace('.', "/"));
    match obj.pointer(&ptr) {
        Some(Value::String(s)) => json!(s),
        Some(Value::Null) | None => json!(""),
        Some(v) => v.clone(),
    }
}

/// Renders objects as a Table with Name, any CRD printer columns (or the built-in printer's,
/// see [`crate::printers`]) and Age.
pub fn table(rt: &ResourceType, objects: &[Value], rv: u64, include_object: &str) -> Value {
    let mut columns = vec![
        json!({ "name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0 }),
    ];
    let printer = crate::printers::for_kind(&rt.group, &rt.kind);
    for c in &rt.columns {
        columns.push(json!({ "name": c.name, "type": c.type_, "format": "", "description": "", "priority": 0 }));
    }
    columns.extend(printer.iter().flat_map(|p| p.columns.iter().cloned()));
    columns.push(json!({ "name": "Age", "type": "string", "format": "", "description": "CreationTimestamp", "priority": 0 }));
    columns.extend(printer.iter().flat_map(|p| p.wide.iter().cloned()));
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut cells = vec![json!(crate::meta::name(o))];
            for c in &rt.columns {
                cells.push(column_value(o, &c.json_path));
            }
            let (main, wide) = printer.as_ref().map(|p| (p.cells)(o)).unwrap_or_default();
            cells.extend(main);
            cells.push(json!(age(o.pointer("/metadata/creationTimestamp").and_then(Value::as_str).unwrap_or(""))));
            cells.extend(wide);
            let object = match include_object {
                "None" => Value::Null,
                "Object" => o.clone(),
                _ => json!({ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"] }),
            };
            json!({ "cells": cells, "object": object })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": { "resourceVersion": rv.to_string() },
        "columnDefinitions": columns,
        "rows": rows,
    })
}
