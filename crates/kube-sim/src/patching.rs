//! PATCH requests (apply, merge, JSON, strategic merge) and the `/scale` subresource.

use serde_json::{json, Value};

use crate::apply::{self, Apply};
use crate::meta;
use crate::patch::{self, PatchKind};
use crate::read::served;
use crate::resources::ResourceType;
use crate::schema::Cursor;
use crate::status::{ApiError, ApiResult};
use crate::store::State;
use crate::web::Request;
use crate::write::{self, Ctx};

/// The field manager of a non-apply write: `fieldManager`, else the user agent's program name.
pub fn manager_of(req: &Request) -> String {
    if let Some(m) = req.q("fieldManager").filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    let ua = req.user_agent.split('/').next().unwrap_or("").trim();
    let ua: String = ua.chars().take(128).collect();
    if ua.is_empty() {
        "unknown".into()
    } else {
        ua
    }
}

fn check_manager(req: &Request) -> ApiResult<()> {
    if req.q("fieldManager").is_some_and(|m| m.len() > 128) {
        return Err(ApiError::new(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"));
    }
    Ok(())
}

/// Handles PATCH of an object or its `status`/`scale` subresource; returns code and body.
pub fn patch(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    sub: &str,
    req: &Request,
) -> ApiResult<(u16, Value, Vec<String>)> {
    check_manager(req)?;
    let kind = PatchKind::from_content_type(&req.content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(&req.content_type))?;
    let ns = if rt.namespaced { ns } else { "" };
    let body = req.body_value()?;
    if kind == PatchKind::Apply {
        if sub == "scale" {
            return Err(ApiError::method_not_allowed());
        }
        return server_side_apply(st, rt, ns, name, sub, body, req);
    }
    if kind == PatchKind::Strategic && rt.crd.is_some() {
        return Err(ApiError::unsupported_media_type(&req.content_type));
    }
    let live = st
        .get(&rt.store_key(), ns, name)
        .map(|o| served(rt, o))
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
    let manager = manager_of(req);
    let ctx = Ctx {
        manager: &manager,
        subresource: sub,
        dry_run: req.dry_run(),
        track: true,
    };
    if sub == "scale" {
        let spec = rt.scale.as_ref().ok_or_else(ApiError::no_route)?;
        let scale = scale_of(rt, &live);
        let patched = patch::patch(&scale, &body, kind, Cursor::Builtin(""))?;
        let out = set_replicas(st, rt, &live, &patched, &spec.spec_replicas, &ctx)?;
        return Ok((200, scale_of(rt, &out), vec![]));
    }
    let patched = patch::patch(&live, &body, kind, Cursor::root(&rt.schema))?;
    let warnings = crate::validation::check(req, rt, &patched, false)?;
    let (out, _) = write::update(st, rt, &live, patched, &ctx)?;
    Ok((200, served(rt, &out), warnings))
}

fn server_side_apply(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    sub: &str,
    mut config: Value,
    req: &Request,
) -> ApiResult<(u16, Value, Vec<String>)> {
    let manager = req
        .q("fieldManager")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                &[(
                    "fieldManager".into(),
                    "FieldValueRequired",
                    "Required value: is required for apply patch".into(),
                )],
            )
        })?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "the applied configuration must be an object",
        ));
    }
    if config.get("apiVersion").is_none() || config.get("kind").is_none() {
        return Err(ApiError::bad_request(
            "apiVersion and kind must be set in an applied configuration",
        ));
    }
    let body_name = meta::name(&config).to_string();
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let body_ns = meta::namespace(&config).to_string();
    if rt.namespaced && !body_ns.is_empty() && body_ns != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let m = meta::meta_mut(&mut config);
    m.insert("name".into(), json!(name));
    if rt.namespaced {
        m.insert("namespace".into(), json!(ns));
    }
    if sub == "status" {
        let status = config.get("status").cloned();
        let mut only = json!({ "apiVersion": config["apiVersion"], "kind": config["kind"], "metadata": { "name": name } });
        if let Some(s) = status {
            only["status"] = s;
        }
        config = only;
    }
    let warnings = crate::validation::check(req, rt, &config, true)?;
    // Unknown fields are dropped before merging, so the applier never owns them.
    if let Some(schema) = crate::validation::schema_of(rt) {
        crate::validation::prune(&mut config, &schema);
    }
    let precondition = meta::resource_version(&config).to_string();
    let api_version = rt.api_version();
    let now = meta::now();
    let normalize = |v: &mut Value| write::normalize(rt, v);
    let a = Apply {
        manager,
        force: req.flag("force"),
        api_version: &api_version,
        now: &now,
        ignore_status: rt.status && sub != "status",
        subresource: sub,
        normalize: Some(&normalize),
    };
    let cursor = Cursor::root(&rt.schema);
    let ctx = Ctx {
        manager,
        subresource: sub,
        dry_run: req.dry_run(),
        track: false,
    };
    match st.get(&rt.store_key(), ns, name).map(|o| served(rt, o)) {
        None => {
            if sub == "status" {
                return Err(ApiError::not_found(&rt.group, &rt.plural, name));
            }
            if !precondition.is_empty() {
                return Err(ApiError::conflict(&rt.group, &rt.plural, name));
            }
            let obj = apply::apply(None, &config, cursor, &a)?;
            let created = write::create(st, rt, ns, obj, &ctx)?;
            Ok((201, served(rt, &created), warnings))
        }
        Some(live) => {
            if !precondition.is_empty() && precondition != meta::resource_version(&live) {
                return Err(ApiError::conflict(&rt.group, &rt.plural, name));
            }
            let next = apply::apply(Some(&live), &config, cursor, &a)?;
            let (out, _) = write::update(st, rt, &live, next, &ctx)?;
            Ok((200, served(rt, &out), warnings))
        }
    }
}

fn pointer(path: &str) -> String {
    format!("/{}", path.trim_start_matches('.').replace('.', "/"))
}

fn selector_string(rt: &ResourceType, obj: &Value) -> String {
    if let Some(path) = rt.scale.as_ref().and_then(|s| s.label_selector.as_ref()) {
        return obj
            .pointer(&pointer(path))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
    }
    obj.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The `autoscaling/v1` Scale view of an object.
pub fn scale_of(rt: &ResourceType, obj: &Value) -> Value {
    let spec = rt.scale.as_ref();
    let get = |p: Option<&String>| {
        p.and_then(|p| obj.pointer(&pointer(p)))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let m = &obj["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": { "replicas": get(spec.map(|s| &s.spec_replicas)) },
        "status": { "replicas": get(spec.map(|s| &s.status_replicas)), "selector": selector_string(rt, obj) },
    })
}

fn set_replicas(
    st: &mut State,
    rt: &ResourceType,
    live: &Value,
    scale: &Value,
    path: &str,
    ctx: &Ctx<'_>,
) -> ApiResult<Value> {
    let rv = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !rv.is_empty() && rv != meta::resource_version(live) {
        return Err(ApiError::conflict(&rt.group, &rt.plural, meta::name(live)));
    }
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut next = live.clone();
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    let mut cur = &mut next;
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur[*p] = json!(replicas);
        } else {
            if !cur[*p].is_object() {
                cur[*p] = json!({});
            }
            cur = &mut cur[*p];
        }
    }
    let (out, _) = write::update(st, rt, live, next, ctx)?;
    Ok(out)
}

/// Handles PUT of the `/scale` subresource.
pub fn put_scale(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    req: &Request,
) -> ApiResult<Value> {
    let spec = rt.scale.as_ref().ok_or_else(ApiError::no_route)?;
    let live = st
        .get(&rt.store_key(), ns, name)
        .map(|o| served(rt, o))
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
    let body = req.body_value()?;
    let manager = manager_of(req);
    let ctx = Ctx {
        manager: &manager,
        subresource: "scale",
        dry_run: req.dry_run(),
        track: true,
    };
    let out = set_replicas(st, rt, &live, &body, &spec.spec_replicas, &ctx)?;
    Ok(scale_of(rt, &out))
}
