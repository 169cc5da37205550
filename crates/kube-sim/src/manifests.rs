//! Reading Kubernetes manifests: multi-document YAML files into JSON values.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// Parses every non-empty document of a YAML stream.
pub fn parse_documents(text: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = vec![];
    for doc in serde_norway::Deserializer::from_str(text) {
        let v = Value::deserialize(doc)?;
        if v.is_object() {
            out.push(v);
        }
    }
    Ok(out)
}

/// Reads and parses a manifest file.
pub fn load(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    parse_documents(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Manifest files in `dir` whose names start with `prefix`, sorted.
pub fn files_with_prefix(dir: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    n.starts_with(prefix) && (n.ends_with(".yaml") || n.ends_with(".yml"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
