//! Namespace lifecycle: a terminating namespace loses its objects, then disappears.

use serde_json::{json, Value};

use crate::meta;
use crate::resources::ResKey;
use crate::store::State;
use crate::write::{self, Propagation};

/// One round; returns whether anything changed.
pub fn pass(st: &mut State) -> bool {
    let ns_key = ResKey::new("", "namespaces");
    let terminating: Vec<String> = st
        .list(&ns_key, None)
        .filter(|n| meta::is_deleting(n))
        .map(|n| meta::name(n).to_string())
        .collect();
    let mut changed = false;
    for ns in terminating {
        let mut remaining = 0;
        let mut by_resource: Vec<String> = vec![];
        let mut finalizers: std::collections::BTreeMap<String, usize> = Default::default();
        for key in st.keys() {
            let Some(rt) = super::type_of(st, &key) else {
                continue;
            };
            if !rt.namespaced {
                continue;
            }
            let objs: Vec<(String, bool)> = st
                .list(&key, Some(&ns))
                .map(|o| (meta::name(o).to_string(), meta::is_deleting(o)))
                .collect();
            for o in st.list(&key, Some(&ns)) {
                for f in meta::finalizers(o) {
                    *finalizers.entry(f).or_default() += 1;
                }
            }
            if !objs.is_empty() {
                by_resource.push(format!(
                    "{}.{} has {} resource instances",
                    rt.plural,
                    rt.group,
                    objs.len()
                ));
            }
            for (name, deleting) in objs {
                remaining += 1;
                if !deleting {
                    changed |=
                        write::delete(st, &rt, &ns, &name, Propagation::Background, false).is_ok();
                }
            }
        }
        changed |= conditions(st, &ns, &by_resource, &finalizers);
        if remaining == 0 {
            let gone = st
                .get(&ns_key, "", &ns)
                .is_some_and(|n| meta::finalizers(n).is_empty());
            if gone {
                st.remove(&ns_key, "", &ns);
                changed = true;
            }
        }
    }
    changed
}

/// The conditions a terminating namespace carries on a real server, naming what remains.
fn conditions(
    st: &mut State,
    ns: &str,
    remaining: &[String],
    finalizers: &std::collections::BTreeMap<String, usize>,
) -> bool {
    let key = ResKey::new("", "namespaces");
    let Some(rt) = super::type_of(st, &key) else {
        return false;
    };
    let Some(obj) = st.get(&key, "", ns).cloned() else {
        return false;
    };
    let mut sorted = remaining.to_vec();
    sorted.sort();
    let (content, content_reason, content_msg) = if sorted.is_empty() {
        (
            "False",
            "ContentRemoved",
            "All content successfully removed".to_string(),
        )
    } else {
        (
            "True",
            "SomeResourcesRemain",
            format!("Some resources are remaining: {}", sorted.join(", ")),
        )
    };
    let (fin, fin_reason, fin_msg) = if finalizers.is_empty() {
        (
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished".to_string(),
        )
    } else {
        let list: Vec<String> = finalizers
            .iter()
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect();
        (
            "True",
            "SomeFinalizersRemain",
            format!(
                "Some content in the namespace has finalizers remaining: {}",
                list.join(", ")
            ),
        )
    };
    let wanted = [
        (
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered".to_string(),
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".to_string(),
        ),
        (
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization".to_string(),
        ),
        (
            "NamespaceContentRemaining",
            content,
            content_reason,
            content_msg,
        ),
        ("NamespaceFinalizersRemaining", fin, fin_reason, fin_msg),
    ];
    let existing = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let now = meta::now();
    let conds: Vec<Value> = wanted
        .iter()
        .map(|(t, status, reason, msg)| {
            let since = existing
                .iter()
                .find(|c| c["type"] == json!(t) && c["status"] == json!(status))
                .and_then(|c| c["lastTransitionTime"].as_str())
                .unwrap_or(&now)
                .to_string();
            json!({ "type": t, "status": status, "lastTransitionTime": since, "reason": reason, "message": msg })
        })
        .collect();
    if existing == conds {
        return false;
    }
    let mut status = obj.get("status").cloned().unwrap_or(json!({}));
    status["conditions"] = json!(conds);
    super::write_status(st, &rt, &obj, status, "kube-controller-manager").is_ok()
}
