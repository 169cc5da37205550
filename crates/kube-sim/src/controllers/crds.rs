//! CRD deletion: a deleted CRD stays (Terminating) while its custom resources are deleted,
//! each honouring its own finalizers, and goes once none is left.

use serde_json::Value;

use crate::crd::{set_terminating, CLEANUP_FINALIZER};
use crate::meta;
use crate::resources::ResKey;
use crate::store::State;
use crate::write::{self, Ctx, Propagation};

/// One round; returns whether anything changed.
pub fn pass(st: &mut State) -> bool {
    let key = ResKey::new("apiextensions.k8s.io", "customresourcedefinitions");
    let doomed: Vec<Value> = st
        .list(&key, None)
        .filter(|c| {
            meta::is_deleting(c) && meta::finalizers(c).iter().any(|f| f == CLEANUP_FINALIZER)
        })
        .cloned()
        .collect();
    let Some(crd_rt) = super::type_of(st, &key) else {
        return false;
    };
    let mut changed = false;
    for crd in doomed {
        let group = crd
            .pointer("/spec/group")
            .and_then(Value::as_str)
            .unwrap_or("");
        let plural = crd
            .pointer("/spec/names/plural")
            .and_then(Value::as_str)
            .unwrap_or("");
        let cr_key = ResKey::new(group, plural);
        let instances: Vec<(String, String, bool)> = st
            .list(&cr_key, None)
            .map(|o| {
                (
                    meta::namespace(o).to_string(),
                    meta::name(o).to_string(),
                    meta::is_deleting(o),
                )
            })
            .collect();
        if let Some(cr_rt) = super::type_of(st, &cr_key) {
            for (ns, name, deleting) in &instances {
                if !deleting {
                    changed |=
                        write::delete(st, &cr_rt, ns, name, Propagation::Background, false).is_ok();
                }
            }
        }
        let remaining = st.list(&cr_key, None).count();
        if remaining > 0 {
            let mut next = crd.clone();
            set_terminating(&mut next, &meta::now(), remaining);
            if next != crd {
                let status = next["status"].clone();
                changed |= super::write_status(st, &crd_rt, &crd, status, "kube-apiserver").is_ok();
            }
            continue;
        }
        let mut next = crd.clone();
        let kept: Vec<String> = meta::finalizers(&crd)
            .into_iter()
            .filter(|f| f != CLEANUP_FINALIZER)
            .collect();
        let m = meta::meta_mut(&mut next);
        if kept.is_empty() {
            m.shift_remove("finalizers");
        } else {
            m.insert("finalizers".into(), serde_json::json!(kept));
        }
        let ctx = Ctx {
            manager: "kube-apiserver",
            subresource: "",
            dry_run: false,
            track: false,
        };
        changed |= write::update(st, &crd_rt, &crd, next, &ctx).is_ok();
    }
    changed
}
