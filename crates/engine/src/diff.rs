//! Attribute-level differences between two JSON values, and unified diffs of
//! multi-line strings.

use crate::AttrPath;
use serde_json::Value;

/// One attribute that differs. `None` on a side means the attribute is absent.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrChange {
    /// Where the difference is.
    pub path: AttrPath,
    /// The old value.
    pub before: Option<Value>,
    /// The new value.
    pub after: Option<Value>,
}

/// Every leaf-level difference between `before` and `after`, skipping paths at
/// or below any of `skip`. Objects are compared key by key and arrays element
/// by element, so a changed container image shows as one line, not a whole
/// new Deployment.
pub fn diff(before: &Value, after: &Value, skip: &[&AttrPath]) -> Vec<AttrChange> {
    let mut out = Vec::new();
    walk(&AttrPath::root(), Some(before), Some(after), skip, &mut out);
    out
}

fn walk(
    path: &AttrPath,
    before: Option<&Value>,
    after: Option<&Value>,
    skip: &[&AttrPath],
    out: &mut Vec<AttrChange>,
) {
    if skip.iter().any(|s| path.starts_with(s)) {
        return;
    }
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for (k, va) in a {
                walk(&path.key(k), Some(va), b.get(k), skip, out);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    walk(&path.key(k), None, Some(vb), skip, out);
                }
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(&path.index(i), a.get(i), b.get(i), skip, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(AttrChange {
            path: path.clone(),
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

/// A unified diff (3 lines of context) when either side is a multi-line
/// string, for config files and embedded manifests.
pub fn unified_text_diff(before: &str, after: &str) -> Option<String> {
    if !before.contains('\n') && !after.contains('\n') {
        return None;
    }
    let diff = similar::TextDiff::from_lines(before, after);
    let mut s = diff
        .unified_diff()
        .context_radius(3)
        .header("before", "after")
        .to_string();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaf_differences_with_paths() {
        let a = json!({"spec": {"replicas": 3, "tpl": {"c": [{"image": "a:1"}]}}, "gone": 1});
        let b = json!({"spec": {"replicas": 4, "tpl": {"c": [{"image": "a:2"}, {"image": "b"}]}}, "new": true});
        let d: Vec<String> = diff(&a, &b, &[])
            .iter()
            .map(|c| c.path.to_string())
            .collect();
        assert_eq!(
            d,
            [
                "spec.replicas",
                "spec.tpl.c[0].image",
                "spec.tpl.c[1]",
                "gone",
                "new"
            ]
        );
        let skip = AttrPath::parse("spec.tpl").unwrap();
        assert_eq!(diff(&a, &b, &[&skip]).len(), 3);
        assert!(diff(&a, &a, &[]).is_empty());
    }

    #[test]
    fn unified_diff_only_for_multi_line() {
        assert!(unified_text_diff("a", "b").is_none());
        let d = unified_text_diff("a\nb\nc\n", "a\nB\nc\n").unwrap();
        assert!(d.contains("-b\n+B\n"), "{d}");
    }
}
