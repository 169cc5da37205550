//! Namespace lifecycle: a terminating namespace loses its objects, then disappears.

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
            for (name, deleting) in objs {
                remaining += 1;
                if !deleting {
                    changed |=
                        write::delete(st, &rt, &ns, &name, Propagation::Background, false).is_ok();
                }
            }
        }
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
