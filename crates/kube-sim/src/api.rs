//! Request routing: discovery and OpenAPI paths, and resource paths dispatched to verbs.

use std::sync::Arc;

use hyper::{Method, Response};
use serde_json::{json, Value};

use crate::discovery;
use crate::openapi;
use crate::patching;
use crate::read;
use crate::resources::ResourceType;
use crate::sim::Sim;
use crate::status::{ApiError, ApiResult};
use crate::web::{self, Body, Request};
use crate::write::{self, Ctx, Propagation};

/// A parsed resource path.
#[derive(Debug, Clone)]
struct Target {
    group: String,
    version: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
    sub: Option<String>,
}

/// The API group a path addresses (for fault injection), if it is an API path.
pub fn group_of(path: &str) -> Option<&str> {
    if path == "/api" || path.starts_with("/api/") {
        return Some("");
    }
    path.strip_prefix("/apis/")
        .map(|rest| rest.split('/').next().unwrap_or(""))
}

fn parse_target(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let s = |x: &str| x.to_string();
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if !matches!(*plural, "status" | "finalize") => {
            (Some(s(ns)), {
                let mut v = vec![*plural];
                v.extend_from_slice(tail);
                v
            })
        }
        other => (None, other.to_vec()),
    };
    let (plural, name, sub) = match rest.as_slice() {
        [p] => (s(p), None, None),
        [p, n] => (s(p), Some(s(n)), None),
        [p, n, sub] => (s(p), Some(s(n)), Some(s(sub))),
        _ => return None,
    };
    Some(Target {
        group: s(group),
        version: s(version),
        namespace,
        plural,
        name,
        sub,
    })
}

/// Handles one authenticated request.
pub async fn handle(sim: Arc<Sim>, req: Request, server_address: String) -> Response<Body> {
    match route(&sim, &req, &server_address) {
        Ok(resp) => resp,
        Err(e) => web::error(&e),
    }
}

fn route(sim: &Arc<Sim>, req: &Request, server_address: &str) -> ApiResult<Response<Body>> {
    let path = req.path.trim_end_matches('/');
    let get = req.method == Method::GET;
    let aggregated = sim
        .config
        .aggregated_discovery
        .then(|| discovery::wants_aggregated(&req.accept))
        .flatten();
    match path {
        "/version" if get => return Ok(web::json(200, &discovery::version(sim.config.version))),
        "/healthz" | "/readyz" | "/livez" if get => {
            return Ok(web::text(200, "ok"));
        }
        "/api" if get => {
            let st = sim.state();
            return Ok(match aggregated {
                Some(ct) => web::json_typed(
                    200,
                    &discovery::aggregated(&st.registry, true, api_version_of(ct)),
                    ct,
                ),
                None => web::json(200, &discovery::api_versions(server_address)),
            });
        }
        "/apis" if get => {
            let st = sim.state();
            return Ok(match aggregated {
                Some(ct) => web::json_typed(
                    200,
                    &discovery::aggregated(&st.registry, false, api_version_of(ct)),
                    ct,
                ),
                None => web::json(200, &discovery::api_group_list(&st.registry)),
            });
        }
        "/openapi/v3" if get => {
            let index = openapi::index(&sim.state().registry, sim.config.version);
            return Ok(web::json(200, &index));
        }
        "/openapi/v2" => return Err(ApiError::no_route()),
        _ => {}
    }
    if let Some(rest) = path.strip_prefix("/openapi/v3/") {
        let segs: Vec<&str> = rest.split('/').collect();
        let (g, v) = match segs.as_slice() {
            ["api", v] => ("", *v),
            ["apis", g, v] => (*g, *v),
            _ => return Err(ApiError::no_route()),
        };
        let doc = openapi::document(&sim.state().registry, g, v, sim.config.version)
            .ok_or_else(ApiError::no_route)?;
        return Ok(web::json_bytes(200, doc));
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if get {
        match segs.as_slice() {
            ["api", v] => {
                let st = sim.state();
                return discovery::resource_list(&st.registry, "", v)
                    .map(|d| web::json(200, &d))
                    .ok_or_else(ApiError::no_route);
            }
            ["apis", g] => {
                let st = sim.state();
                return discovery::api_group(&st.registry, g)
                    .map(|d| web::json(200, &d))
                    .ok_or_else(ApiError::no_route);
            }
            ["apis", g, v] => {
                let st = sim.state();
                return discovery::resource_list(&st.registry, g, v)
                    .map(|d| web::json(200, &d))
                    .ok_or_else(ApiError::no_route);
            }
            _ => {}
        }
    }
    let target = parse_target(path).ok_or_else(ApiError::no_route)?;
    let rt = sim
        .state()
        .registry
        .get(&target.group, &target.version, &target.plural)
        .ok_or_else(ApiError::no_route)?;
    if target.namespace.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    resource(sim, req, &rt, &target)
}

fn api_version_of(content_type: &str) -> &'static str {
    if content_type.contains("v2beta1") {
        "apidiscovery.k8s.io/v2beta1"
    } else {
        "apidiscovery.k8s.io/v2"
    }
}

fn respond(code: u16, v: &Value) -> ApiResult<Response<Body>> {
    Ok(web::json(code, v))
}

/// A response carrying `Warning` headers (code 299), as the API server sends them.
fn respond_warning(code: u16, v: &Value, warnings: &[String]) -> ApiResult<Response<Body>> {
    let mut resp = web::json(code, v);
    for w in warnings {
        let text = format!("299 - {}", serde_json::Value::String(w.clone()));
        if let Ok(h) = hyper::header::HeaderValue::from_str(&text) {
            resp.headers_mut().append("warning", h);
        }
    }
    Ok(resp)
}

fn resource(
    sim: &Arc<Sim>,
    req: &Request,
    rt: &Arc<ResourceType>,
    t: &Target,
) -> ApiResult<Response<Body>> {
    if rt.is_review() {
        return match (&req.method, &t.name, &t.sub) {
            (&Method::POST, None, None) => respond(201, &crate::review::create(req, rt)?),
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    let ns = t.namespace.clone().unwrap_or_default();
    let sub = t.sub.as_deref().unwrap_or("");
    match sub {
        "" | "status" => {}
        "scale" if rt.scale.is_some() => {}
        "finalize" if rt.is_namespace() => {}
        "token" if crate::token::serves(rt) => {
            return match (&req.method, t.name.as_deref()) {
                (&Method::POST, Some(name)) => {
                    let st = sim.state();
                    respond(201, &crate::token::create(&st, req, &ns, name)?)
                }
                _ => Err(ApiError::method_not_allowed()),
            };
        }
        _ => return Err(ApiError::no_route()),
    }
    let table = read::wants_table(&req.accept);
    let include = req
        .q("includeObject")
        .unwrap_or("PartialObjectMetadata")
        .to_string();
    match (&req.method, t.name.as_deref()) {
        (&Method::GET, None) => {
            if req.flag("watch") {
                return crate::watch::start(sim.clone(), rt.clone(), t.namespace.clone(), req);
            }
            let st = sim.state();
            if !table {
                let body = read::list_json(&st, rt, t.namespace.as_deref(), req)?;
                return Ok(web::json_bytes(200, body));
            }
            let list = read::list(&st, rt, t.namespace.as_deref(), req)?;
            let items = list["items"].as_array().cloned().unwrap_or_default();
            let mut tbl = read::table(rt, &items, st.rv, &include);
            tbl["metadata"] = list["metadata"].clone();
            respond(200, &tbl)
        }
        (&Method::GET, Some(name)) => {
            let st = sim.state();
            let obj = read::get(&st, rt, &ns, name)?;
            if sub == "scale" {
                return respond(200, &patching::scale_of(rt, &obj));
            }
            if table {
                return respond(200, &read::table(rt, &[obj], st.rv, &include));
            }
            respond(200, &obj)
        }
        (&Method::POST, None) => {
            let body = req.body_value()?;
            let warnings = crate::validation::check(req, rt, &body, false)?;
            let body_ns = crate::meta::namespace(&body);
            if rt.namespaced && !body_ns.is_empty() && body_ns != ns {
                return Err(ApiError::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
            let manager = patching::manager_of(req);
            let ctx = Ctx {
                manager: &manager,
                subresource: "",
                dry_run: req.dry_run(),
                track: true,
            };
            let created = {
                let mut st = sim.state();
                write::create(&mut st, rt, &ns, body, &ctx)?
            };
            sim.changed();
            respond_warning(201, &read::served(rt, &created), &warnings)
        }
        (&Method::PUT, Some(name)) => {
            let mut st = sim.state();
            if sub == "scale" {
                let out = patching::put_scale(&mut st, rt, &ns, name, req)?;
                drop(st);
                sim.changed();
                return respond(200, &out);
            }
            let live = read::get(&st, rt, &ns, name)?;
            let body = req.body_value()?;
            let warnings = crate::validation::check(req, rt, &body, false)?;
            let manager = patching::manager_of(req);
            let sub = if sub == "finalize" { "" } else { sub };
            let ctx = Ctx {
                manager: &manager,
                subresource: sub,
                dry_run: req.dry_run(),
                track: true,
            };
            let (out, _) = write::update(&mut st, rt, &live, body, &ctx)?;
            drop(st);
            sim.changed();
            respond_warning(200, &read::served(rt, &out), &warnings)
        }
        (&Method::PATCH, Some(name)) => {
            let (code, out, warnings) = {
                let mut st = sim.state();
                patching::patch(&mut st, rt, &ns, name, sub, req)?
            };
            sim.changed();
            respond_warning(code, &out, &warnings)
        }
        (&Method::DELETE, Some(name)) => {
            let (policy, dry_run) = delete_options(req)?;
            let (out, gone) = {
                let mut st = sim.state();
                if let Ok(live) = read::get(&st, rt, &ns, name) {
                    check_preconditions(req, rt, &live)?;
                }
                let out = write::delete(&mut st, rt, &ns, name, policy, dry_run)?;
                let ns_key = if rt.namespaced { ns.as_str() } else { "" };
                let gone = st.get(&rt.store_key(), ns_key, name).is_none();
                (out, gone)
            };
            sim.changed();
            if gone && returns_status_on_delete(rt) {
                return respond(200, &deleted_status(rt, &out));
            }
            respond(200, &read::served(rt, &out))
        }
        (&Method::DELETE, None) => {
            let (policy, dry_run) = delete_options(req)?;
            let mut st = sim.state();
            let (labels, fields) = read::selectors(req)?;
            read::check_field_selector(rt, &fields)?;
            let doomed = read::matching(&st, rt, t.namespace.as_deref(), &labels, &fields);
            let mut items = vec![];
            for o in doomed {
                let (ons, oname) = (
                    crate::meta::namespace(&o).to_string(),
                    crate::meta::name(&o).to_string(),
                );
                if let Ok(gone) = write::delete(&mut st, rt, &ons, &oname, policy, dry_run) {
                    items.push(read::served(rt, &gone));
                }
            }
            let rv = st.rv;
            drop(st);
            sim.changed();
            respond(
                200,
                &json!({ "kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": { "resourceVersion": rv.to_string() }, "items": items }),
            )
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Whether a DELETE that removed the object answers with a `Status` of Success (the generic
/// registry of built-in kinds) rather than the object (pods, namespaces, custom resources).
fn returns_status_on_delete(rt: &ResourceType) -> bool {
    rt.crd.is_none() && !(rt.group.is_empty() && matches!(rt.kind.as_str(), "Pod" | "Namespace"))
}

fn deleted_status(rt: &ResourceType, obj: &Value) -> Value {
    let mut details = json!({
        "name": crate::meta::name(obj),
        "kind": rt.plural,
        "uid": crate::meta::uid(obj),
    });
    if !rt.group.is_empty() {
        details["group"] = json!(rt.group);
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

/// DeleteOptions preconditions (`uid`, `resourceVersion`): a mismatch is a 409.
fn check_preconditions(req: &Request, rt: &ResourceType, live: &Value) -> ApiResult<()> {
    let Ok(opts) = serde_json::from_slice::<Value>(&req.body) else {
        return Ok(());
    };
    let Some(pre) = opts.get("preconditions").and_then(Value::as_object) else {
        return Ok(());
    };
    let name = crate::meta::name(live);
    for (field, label, actual) in [
        ("uid", "UID", crate::meta::uid(live)),
        (
            "resourceVersion",
            "ResourceVersion",
            crate::meta::resource_version(live),
        ),
    ] {
        if let Some(want) = pre.get(field).and_then(Value::as_str) {
            if want != actual {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {label} in precondition: {want}, {label} in object meta: {actual}",
                        crate::status::qualified(&rt.group, &rt.plural)
                    ),
                )
                .with_details(json!({ "name": name, "group": rt.group, "kind": rt.plural })));
            }
        }
    }
    Ok(())
}

fn delete_options(req: &Request) -> ApiResult<(Propagation, bool)> {
    let mut policy = req.q("propagationPolicy").map(String::from);
    let mut dry_run = req.dry_run();
    if !req.body.is_empty() {
        if let Ok(opts) = serde_json::from_slice::<Value>(&req.body) {
            if let Some(p) = opts.get("propagationPolicy").and_then(Value::as_str) {
                policy = Some(p.to_string());
            }
            if opts.get("orphanDependents") == Some(&json!(true)) {
                policy = Some("Orphan".into());
            }
            if opts
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.contains(&json!("All")))
            {
                dry_run = true;
            }
        }
    }
    Ok((Propagation::parse(policy.as_deref())?, dry_run))
}
