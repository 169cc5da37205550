//! The write path shared by every verb and controller: create, update and delete with
//! validation, namespace admission, metadata upkeep, managedFields tracking and dry runs.

use serde_json::{json, Value};

use crate::managed::{self, Writer};
use crate::meta;
use crate::resources::{ResKey, ResourceType};
use crate::schema::Cursor;
use crate::status::{ApiError, ApiResult};
use crate::store::{EventType, State};

/// Who writes and how.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// Field manager of the write.
    pub manager: &'a str,
    /// Subresource written: "", "status" or "scale".
    pub subresource: &'a str,
    /// Compute the result without storing it.
    pub dry_run: bool,
    /// Record managedFields for a non-apply write (apply records its own).
    pub track: bool,
}

impl Ctx<'_> {
    /// Records this (non-apply) write in `managedFields` when the context asks for it.
    fn track(&self, rt: &ResourceType, old: Option<&Value>, new: &mut Value, now: &str) {
        if !self.track {
            return;
        }
        let w = Writer {
            manager: self.manager,
            api_version: &rt.api_version(),
            subresource: self.subresource,
            now,
        };
        managed::track_update(old, new, Cursor::root(&rt.schema), &w);
    }
}

fn is_crd(rt: &ResourceType) -> bool {
    rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
}

/// Checks that a namespaced object may be created in `ns`.
pub fn admit_namespace(st: &State, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<()> {
    if !rt.namespaced {
        return Ok(());
    }
    match st.get(&ResKey::new("", "namespaces"), "", ns) {
        None => Err(ApiError::not_found("", "namespaces", ns)),
        Some(n) if meta::is_deleting(n) => Err(ApiError::namespace_terminating(
            &rt.group, &rt.plural, name, ns,
        )),
        Some(_) => Ok(()),
    }
}

fn check_type(rt: &ResourceType, obj: &Value) -> ApiResult<()> {
    if let Some(kind) = obj.get("kind").and_then(Value::as_str) {
        if !kind.is_empty() && kind != rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                rt.kind
            )));
        }
    }
    if let Some(av) = obj.get("apiVersion").and_then(Value::as_str) {
        let group = av.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        if !av.is_empty() && group != rt.group {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                rt.api_version()
            )));
        }
    }
    Ok(())
}

fn validate_name(rt: &ResourceType, name: &str) -> ApiResult<()> {
    let problem = if name.is_empty() {
        Some((
            "FieldValueRequired",
            "Required value: name or generateName is required".to_string(),
        ))
    } else if rt.group == "rbac.authorization.k8s.io" {
        (name.contains('/') || name.contains('%') || name == "." || name == "..").then(|| {
            (
                "FieldValueInvalid",
                format!("Invalid value: {name:?}: may not contain '/' or '%'"),
            )
        })
    } else if rt.is_namespace() {
        meta::check_label(name).map(|m| ("FieldValueInvalid", m))
    } else {
        meta::check_subdomain(name).map(|m| ("FieldValueInvalid", m))
    };
    match problem {
        Some((reason, msg)) => Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            name,
            &[("metadata.name".into(), reason, msg)],
        )),
        None => Ok(()),
    }
}

/// Fills in what the server owns on a new object; validates it.
fn prepare_create(
    rt: &ResourceType,
    ns: &str,
    mut obj: Value,
    now: &str,
    keep_managed: bool,
) -> ApiResult<Value> {
    check_type(rt, &obj)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request("the object must be a JSON object"));
    }
    obj["apiVersion"] = json!(rt.api_version());
    obj["kind"] = json!(rt.kind);
    let m = meta::meta_mut(&mut obj);
    if meta_str(m, "name").is_empty() {
        let generate = meta_str(m, "generateName");
        if !generate.is_empty() {
            m.insert(
                "name".into(),
                json!(format!("{generate}{}", meta::random_suffix())),
            );
        }
    }
    if rt.namespaced {
        m.insert("namespace".into(), json!(ns));
    } else {
        m.shift_remove("namespace");
    }
    for k in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        m.shift_remove(k);
    }
    if !keep_managed {
        m.shift_remove("managedFields");
    }
    m.insert("uid".into(), json!(meta::new_uid()));
    m.insert("creationTimestamp".into(), json!(now));
    if rt.generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.shift_remove("generation");
    }
    crate::validate::decode(rt, &obj)?;
    normalize(rt, &mut obj);
    let name = meta::name(&obj).to_string();
    validate_name(rt, &name)?;
    crate::validate::create(rt, &obj)?;
    if rt.status {
        if let Some(o) = obj.as_object_mut() {
            o.shift_remove("status");
        }
    }
    if rt.is_namespace() {
        obj["spec"] = json!({ "finalizers": ["kubernetes"] });
        obj["status"] = json!({ "phase": "Active" });
    }
    if is_crd(rt) {
        let causes = crate::crd::validate(&obj);
        if !causes.is_empty() {
            return Err(ApiError::invalid(&rt.group, &rt.kind, &name, &causes));
        }
        crate::crd::establish(&mut obj, now);
        // The API server removes a CRD only after its custom resources are gone.
        let m = meta::meta_mut(&mut obj);
        let list = m.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(a) = list.as_array_mut() {
            if !a.contains(&json!(crate::crd::CLEANUP_FINALIZER)) {
                a.push(json!(crate::crd::CLEANUP_FINALIZER));
            }
        }
    }
    Ok(obj)
}

/// What the server does to every incoming object before validation: pruning of fields a CRD
/// schema does not declare, then defaulting.
pub fn normalize(rt: &ResourceType, obj: &mut Value) {
    if let Some(schema) = crate::validation::schema_of(rt) {
        crate::validation::prune(obj, &schema);
    }
    crate::defaults::apply(rt, obj);
}

fn meta_str(m: &serde_json::Map<String, Value>, k: &str) -> String {
    m.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Creates an object in namespace `ns` (ignored for cluster-scoped types); `obj` is in `rt`'s
/// version, the result in the storage version.
pub fn create(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    obj: Value,
    ctx: &Ctx<'_>,
) -> ApiResult<Value> {
    let now = meta::now();
    let mut obj = prepare_create(rt, ns, obj, &now, !ctx.track)?;
    let name = meta::name(&obj).to_string();
    admit_namespace(st, rt, ns, &name)?;
    crate::defaults::allocate(st, rt, &mut obj);
    let key = rt.store_key();
    let ns = if rt.namespaced { ns } else { "" };
    if st.get(&key, ns, &name).is_some() {
        return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
    }
    ctx.track(rt, None, &mut obj, &now);
    let obj = crate::convert::to_storage(rt, obj)?;
    if ctx.dry_run {
        return Ok(obj);
    }
    if is_crd(rt) {
        let types = crate::crd::types_of(&obj)?;
        st.registry.set_crd(&name, types);
    }
    Ok(st.put(&key, obj, EventType::Added))
}

fn without_meta_and_status(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.shift_remove("metadata");
        o.shift_remove("status");
        o.shift_remove("apiVersion");
    }
    v
}

/// A Deployment's annotations bump its generation too (they are copied to its
/// ReplicaSets), as the real Deployment strategy's PrepareForUpdate does.
fn deployment_annotations_changed(rt: &ResourceType, old: &Value, new: &Value) -> bool {
    rt.group == "apps"
        && rt.kind == "Deployment"
        && old.pointer("/metadata/annotations") != new.pointer("/metadata/annotations")
}

/// Whether anything but metadata and status differs, compared in the storage version (the
/// metrics annotation of an autoscaling/v1 object is part of its v2 spec).
fn spec_changed(rt: &ResourceType, old: &Value, new: &Value) -> ApiResult<bool> {
    if crate::convert::applies(rt) {
        let old = crate::convert::to_storage(rt, old.clone())?;
        let new = crate::convert::to_storage(rt, new.clone())?;
        return Ok(without_meta_and_status(&old) != without_meta_and_status(&new));
    }
    Ok(without_meta_and_status(old) != without_meta_and_status(new))
}

/// Replaces `old` with `new` (both in `rt`'s version); returns the stored object (in the
/// storage version) and whether anything changed.
pub fn update(
    st: &mut State,
    rt: &ResourceType,
    old: &Value,
    new: Value,
    ctx: &Ctx<'_>,
) -> ApiResult<(Value, bool)> {
    check_type(rt, &new)?;
    let name = meta::name(old).to_string();
    let new_name = meta::name(&new);
    if !new_name.is_empty() && new_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({new_name}) does not match the name on the URL ({name})"
        )));
    }
    let rv = meta::resource_version(&new);
    if !rv.is_empty() && rv != meta::resource_version(old) {
        return Err(ApiError::conflict(&rt.group, &rt.plural, &name));
    }
    let now = meta::now();
    let mut requested = None;
    let mut next = if ctx.subresource == "status" {
        let mut n = old.clone();
        match new.get("status") {
            Some(s) => n["status"] = s.clone(),
            None => {
                if let Some(o) = n.as_object_mut() {
                    o.shift_remove("status");
                }
            }
        }
        // A Deployment's status strategy resets only spec and labels: the deployment controller
        // writes the revision annotation with the status.
        if rt.group == "apps" && rt.kind == "Deployment" {
            match new.pointer("/metadata/annotations") {
                Some(a) => meta::meta_mut(&mut n).insert("annotations".into(), a.clone()),
                None => meta::meta_mut(&mut n).shift_remove("annotations"),
            };
        }
        if !ctx.track {
            meta::meta_mut(&mut n).insert(
                "managedFields".into(),
                new.pointer("/metadata/managedFields")
                    .cloned()
                    .unwrap_or(json!([])),
            );
        }
        n
    } else {
        requested = new.pointer("/metadata/managedFields").cloned();
        let mut n = new;
        if !n.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        let old_meta = old
            .get("metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let m = meta::meta_mut(&mut n);
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
            "name",
        ] {
            match old_meta.get(k) {
                Some(v) => m.insert(k.into(), v.clone()),
                None => m.shift_remove(k),
            };
        }
        if ctx.track {
            match old_meta.get("managedFields") {
                Some(v) => m.insert("managedFields".into(), v.clone()),
                None => m.shift_remove("managedFields"),
            };
        }
        if rt.status {
            match old.get("status") {
                Some(s) => n["status"] = s.clone(),
                None => {
                    if let Some(o) = n.as_object_mut() {
                        o.shift_remove("status");
                    }
                }
            }
        }
        n
    };
    next["apiVersion"] = json!(rt.api_version());
    next["kind"] = json!(rt.kind);
    if ctx.subresource != "status" {
        crate::validate::decode(rt, &next)?;
    }
    crate::defaults::keep_allocated(rt, old, &mut next);
    normalize(rt, &mut next);
    if ctx.subresource != "status" {
        crate::validate::update(rt, old, &next)?;
    } else {
        crate::validate::status_update(rt, old, &next)?;
    }
    if rt.generation
        && (spec_changed(rt, old, &next)?
            || (ctx.subresource != "status" && deployment_annotations_changed(rt, old, &next)))
    {
        let g = old
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta::meta_mut(&mut next).insert("generation".into(), json!(g + 1));
    }
    if is_crd(rt) {
        let causes = crate::crd::validate(&next);
        if !causes.is_empty() {
            return Err(ApiError::invalid(&rt.group, &rt.kind, &name, &causes));
        }
        crate::crd::establish(&mut next, &now);
    }
    let base = managed::requested_base(old, requested.as_ref());
    ctx.track(rt, Some(&base), &mut next, &now);
    meta::meta_mut(&mut next).insert("resourceVersion".into(), json!(meta::resource_version(old)));
    let mut old_cmp = old.clone();
    old_cmp["apiVersion"] = json!(rt.api_version());
    if next == old_cmp {
        return Ok((crate::convert::to_storage(rt, old_cmp)?, false));
    }
    let next = crate::convert::to_storage(rt, next)?;
    if ctx.dry_run {
        return Ok((next, true));
    }
    let key = rt.store_key();
    let ns = meta::namespace(old).to_string();
    if meta::is_deleting(&next)
        && meta::finalizers(&next).is_empty()
        && !namespace_pending(rt, &next)
    {
        let gone = st.remove(&key, &ns, &name).unwrap_or(next);
        after_removal(st, rt, &gone);
        return Ok((gone, true));
    }
    if is_crd(rt) {
        let types = crate::crd::types_of(&next)?;
        st.registry.set_crd(&name, types);
    }
    Ok((st.put(&key, next, EventType::Modified), true))
}

fn namespace_pending(rt: &ResourceType, obj: &Value) -> bool {
    rt.is_namespace()
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
}

fn after_removal(st: &mut State, rt: &ResourceType, obj: &Value) {
    if !is_crd(rt) {
        return;
    }
    let name = meta::name(obj).to_string();
    st.registry.set_crd(&name, vec![]);
    let group = obj
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let plural = obj
        .pointer("/spec/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = ResKey::new(group, plural);
    let doomed: Vec<(String, String)> = st
        .list(&key, None)
        .map(|o| (meta::namespace(o).to_string(), meta::name(o).to_string()))
        .collect();
    for (ns, n) in doomed {
        st.remove(&key, &ns, &n);
    }
}

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector removes dependents.
    Background,
    /// Delete dependents first, then the owner.
    Foreground,
    /// Keep dependents and remove their owner references.
    Orphan,
}

impl Propagation {
    /// Parses `propagationPolicy`.
    pub fn parse(s: Option<&str>) -> ApiResult<Propagation> {
        match s {
            None | Some("") | Some("Background") => Ok(Propagation::Background),
            Some("Foreground") => Ok(Propagation::Foreground),
            Some("Orphan") => Ok(Propagation::Orphan),
            Some(other) => Err(ApiError::bad_request(format!(
                "unknown propagationPolicy {other:?}"
            ))),
        }
    }
}

/// Deletes an object (or starts its graceful deletion when finalizers remain).
pub fn delete(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    policy: Propagation,
    dry_run: bool,
) -> ApiResult<Value> {
    let key = rt.store_key();
    let ns = if rt.namespaced { ns } else { "" };
    let Some(obj) = st.get(&key, ns, name).cloned() else {
        return Err(ApiError::not_found(&rt.group, &rt.plural, name));
    };
    if rt.is_namespace() && matches!(name, "default" | "kube-system" | "kube-public") {
        return Err(ApiError::forbidden(
            "",
            "namespaces",
            name,
            "this namespace may not be deleted",
        ));
    }
    if dry_run {
        return Ok(obj);
    }
    let now = meta::now();
    let mut next = obj.clone();
    if rt.is_namespace() {
        if meta::is_deleting(&obj) {
            return Ok(obj);
        }
        let m = meta::meta_mut(&mut next);
        m.insert("deletionTimestamp".into(), json!(now));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        next["status"] = json!({ "phase": "Terminating" });
        return Ok(st.put(&key, next, EventType::Modified));
    }
    let uid = meta::uid(&obj).to_string();
    match policy {
        Propagation::Orphan => orphan_dependents(st, &uid),
        Propagation::Foreground => {
            if !meta::finalizers(&obj)
                .iter()
                .any(|f| f == "foregroundDeletion")
            {
                let m = meta::meta_mut(&mut next);
                let list = m.entry("finalizers").or_insert_with(|| json!([]));
                if let Some(a) = list.as_array_mut() {
                    a.push(json!("foregroundDeletion"));
                }
            }
        }
        Propagation::Background => {}
    }
    if !meta::finalizers(&next).is_empty() {
        if meta::is_deleting(&next) && next == obj {
            return Ok(obj);
        }
        let m = meta::meta_mut(&mut next);
        if !m.contains_key("deletionTimestamp") {
            m.insert("deletionTimestamp".into(), json!(now));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if rt.generation {
                let g = m.get("generation").and_then(Value::as_i64).unwrap_or(0);
                m.insert("generation".into(), json!(g + 1));
            }
        }
        return Ok(st.put(&key, next, EventType::Modified));
    }
    let gone = st.remove(&key, ns, name).unwrap_or(obj);
    after_removal(st, rt, &gone);
    Ok(gone)
}

/// Removes owner references to `owner_uid` from every object.
pub fn orphan_dependents(st: &mut State, owner_uid: &str) {
    let mut changes = vec![];
    for key in st.keys() {
        for obj in st.list(&key, None) {
            let Some(refs) = obj
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
            else {
                continue;
            };
            if refs.iter().any(|r| r["uid"] == json!(owner_uid)) {
                let mut o = obj.clone();
                let kept: Vec<Value> = refs
                    .iter()
                    .filter(|r| r["uid"] != json!(owner_uid))
                    .cloned()
                    .collect();
                let m = meta::meta_mut(&mut o);
                if kept.is_empty() {
                    m.shift_remove("ownerReferences");
                } else {
                    m.insert("ownerReferences".into(), json!(kept));
                }
                changes.push((key.clone(), o));
            }
        }
    }
    for (key, o) in changes {
        st.put(&key, o, EventType::Modified);
    }
}
