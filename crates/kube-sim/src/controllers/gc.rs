//! A minimal garbage collector: dependents whose owners are gone are deleted, and owners
//! being deleted in the foreground wait for their dependents.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::meta;
use crate::store::State;
use crate::write::{self, Ctx, Propagation};

/// One collection round; returns whether anything changed.
pub fn pass(st: &mut State) -> bool {
    if !st.gc_dirty {
        return false;
    }
    st.gc_dirty = false;
    let mut uids = HashSet::new();
    let mut foreground = HashSet::new();
    let mut owned = vec![];
    for key in st.keys() {
        for obj in st.list(&key, None) {
            let uid = meta::uid(obj).to_string();
            if meta::is_deleting(obj)
                && meta::finalizers(obj)
                    .iter()
                    .any(|f| f == "foregroundDeletion")
            {
                foreground.insert(uid.clone());
            }
            uids.insert(uid);
            if let Some(refs) = obj
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
            {
                let owners: Vec<String> = refs
                    .iter()
                    .filter_map(|r| r["uid"].as_str().map(String::from))
                    .collect();
                if !owners.is_empty() {
                    owned.push((
                        key.clone(),
                        meta::namespace(obj).to_string(),
                        meta::name(obj).to_string(),
                        owners,
                        meta::is_deleting(obj),
                    ));
                }
            }
        }
    }
    let mut changed = false;
    let mut waiting: HashSet<String> = HashSet::new();
    for (key, ns, name, owners, deleting) in owned {
        let orphaned = owners.iter().all(|o| !uids.contains(o));
        let owner_in_foreground = owners.iter().any(|o| foreground.contains(o));
        if owner_in_foreground {
            owners
                .iter()
                .filter(|o| foreground.contains(*o))
                .for_each(|o| {
                    waiting.insert(o.clone());
                });
        }
        if (orphaned || owner_in_foreground) && !deleting {
            if let Some(rt) = super::type_of(st, &key) {
                changed |=
                    write::delete(st, &rt, &ns, &name, Propagation::Background, false).is_ok();
            }
        }
    }
    for owner in foreground.difference(&waiting) {
        changed |= release_foreground(st, owner);
    }
    if !foreground.is_empty() {
        // Owners waiting for their dependents are looked at again next round.
        st.gc_dirty = true;
    }
    changed
}

fn release_foreground(st: &mut State, uid: &str) -> bool {
    for key in st.keys() {
        let found = st.list(&key, None).find(|o| meta::uid(o) == uid).cloned();
        if let Some(obj) = found {
            let Some(rt) = super::type_of(st, &key) else {
                return false;
            };
            let mut next = obj.clone();
            let kept: Vec<String> = meta::finalizers(&obj)
                .into_iter()
                .filter(|f| f != "foregroundDeletion")
                .collect();
            meta::meta_mut(&mut next).insert("finalizers".into(), json!(kept));
            if kept.is_empty() {
                meta::meta_mut(&mut next).shift_remove("finalizers");
            }
            let ctx = Ctx {
                manager: "kube-controller-manager",
                subresource: "",
                dry_run: false,
                track: true,
            };
            return write::update(st, &rt, &obj, next, &ctx).is_ok();
        }
    }
    false
}
