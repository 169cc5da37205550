//! `[manifest.*]`: Kubernetes objects from multi-document YAML files, and the
//! CRDs such files install.

use super::Builder;
use crate::diag::{Diagnostic, Span};
use crate::k8s;
use crate::load::{ManifestDoc, RawStack};
use crate::value::Val;
use serde_json::Value;

/// Reads every `[manifest.*]` file into `raw.manifest_docs`, adding the files
/// to the stack's sources so that errors inside them are located.
pub fn read_manifest_files(raw: &mut RawStack, diags: &mut Vec<Diagnostic>) {
    let mut jobs = Vec::new();
    for item in raw.items.iter().filter(|i| i.section == "manifest") {
        let Some(files) = item.table.get("files") else {
            continue;
        };
        let Val::Array(list) = &files.value.val else {
            continue;
        };
        let base = raw
            .sources
            .get(item.name_span.file)
            .path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        for f in list {
            if let Val::Str(pattern) = &f.val {
                jobs.push((item.address(), base.join(pattern), f.span, pattern.clone()));
            }
        }
    }
    for (address, full, span, pattern) in jobs {
        let mut paths: Vec<_> = match glob::glob(&full.to_string_lossy()) {
            Ok(p) => p.filter_map(Result::ok).collect(),
            Err(e) => {
                diags.push(Diagnostic::error(
                    "strata::manifest",
                    span,
                    format!("invalid file pattern: {e}"),
                ));
                continue;
            }
        };
        paths.sort();
        if paths.is_empty() {
            diags.push(
                Diagnostic::error(
                    "strata::manifest",
                    span,
                    format!("`{pattern}` matches no file"),
                )
                .label(format!(
                    "looked for {}",
                    crate::load::normalize(&full).display()
                ))
                .help("manifest paths are relative to the file that declares them"),
            );
        }
        for p in paths {
            let Some(file) = crate::load::read_source(&mut raw.sources, &p, Some(span), diags)
            else {
                continue;
            };
            let docs = parse_documents(raw, file, diags);
            raw.manifest_docs
                .entry(address.clone())
                .or_default()
                .extend(docs);
        }
    }
}

/// Splits a YAML file into documents and parses each, locating errors.
fn parse_documents(raw: &RawStack, file: usize, diags: &mut Vec<Diagnostic>) -> Vec<ManifestDoc> {
    let text = raw.sources.get(file).text.clone();
    let mut starts = vec![0usize];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            starts.push(offset + line.len());
        }
        offset += line.len();
    }
    let mut chunks = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |next| {
            // Stop before the `---` line that opens the next document.
            text[..*next]
                .trim_end_matches('\n')
                .rfind('\n')
                .map_or(0, |p| p + 1)
                .max(start)
        });
        let chunk = &text[start..end];
        if !chunk
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            chunks.push((start, chunk));
        }
    }
    // Most of a large file's loading time is the YAML parser: use every core.
    let parsed = strata_engine::parallel::map(chunks.iter().map(|(_, c)| *c).collect(), parse_one);
    let mut out = Vec::new();
    for ((start, chunk), parsed) in chunks.into_iter().zip(parsed) {
        match parsed {
            Ok(Value::Null) => {}
            Ok(v) => {
                let kind_at = chunk
                    .find("\nkind:")
                    .map(|p| p + 1)
                    .or_else(|| chunk.starts_with("kind:").then_some(0));
                let span = match kind_at {
                    Some(p) => Span::new(
                        file,
                        start + p..start + p + chunk[p..].find('\n').unwrap_or(chunk.len() - p),
                    ),
                    None => Span::new(file, start..start + 1),
                };
                let namespace_span = key_line(chunk, "namespace:")
                    .map(|(a, b)| Span::new(file, start + a..start + b));
                let locate = |key: &str| {
                    key_line(chunk, key).map(|(a, b)| Span::new(file, start + a..start + b))
                };
                check_object(&v, span, namespace_span, &locate, diags);
                out.push(ManifestDoc {
                    value: v,
                    span,
                    namespace_span,
                });
            }
            Err(e) => {
                let at = e.location().map_or(start, |l| start + l.index());
                if let Some(d) = duplicate_key(&e.to_string(), &text, file, at) {
                    diags.push(d);
                    continue;
                }
                diags.push(
                    Diagnostic::error(
                        "strata::yaml",
                        Span::new(file, at..at + 1),
                        format!(
                            "YAML error: {}",
                            file_lines(&e.to_string(), text[..start].matches('\n').count())
                        ),
                    )
                    .label("here")
                    .help("fix the YAML syntax of this document"),
                );
            }
        }
    }
    out
}

/// One document as JSON: straight from YAML when it is of the common kind,
/// otherwise read as a YAML value first (its mappings refuse duplicate keys,
/// as the API server's strict decoding does, and its errors are worded).
fn parse_one(chunk: &str) -> Result<Value, serde_norway::Error> {
    if let Some(v) = super::yaml_json::read(chunk) {
        return Ok(v);
    }
    serde_norway::from_str::<serde_norway::Value>(chunk)
        .and_then(|y| serde_json::to_value(&y).map_err(serde::ser::Error::custom))
}

/// A duplicate key, located at its second occurrence (the parser points at
/// the first): the API server's strict decoding refuses it.
fn duplicate_key(message: &str, text: &str, file: usize, first_at: usize) -> Option<Diagnostic> {
    let key = message
        .split_once("duplicate entry with key \"")?
        .1
        .split_once('"')?
        .0;
    let line_start = text[..first_at].rfind('\n').map_or(0, |p| p + 1);
    let indent = first_at - line_start;
    let mut offset = line_start;
    let mut seen = Vec::new();
    for line in text[line_start..].split_inclusive('\n') {
        let here = line.len() - line.trim_start().len();
        if !seen.is_empty() && here < indent && !line.trim().is_empty() {
            break;
        }
        if here == indent && line.trim_start().starts_with(&format!("{key}:")) {
            seen.push(offset + here);
        }
        offset += line.len();
    }
    let (first, second) = (*seen.first()?, *seen.get(1)?);
    Some(
        Diagnostic::error(
            "strata::yaml-duplicate-key",
            Span::new(file, second..second + key.len()),
            format!("YAML error: the key `{key}` is written twice in one mapping"),
        )
        .label("written again here")
        .also(
            Span::new(file, first..first + key.len()),
            format!("`{key}` is first written here"),
        )
        .help("the API server refuses duplicate fields; keep one"),
    )
}

/// The YAML parser numbers lines within one document; shifts every
/// "line N" of its message by the lines before the document, so that the
/// message agrees with the located file:line:col.
fn file_lines(message: &str, lines_before: usize) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(p) = rest.find("line ") {
        out.push_str(&rest[..p + 5]);
        rest = &rest[p + 5..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if let Ok(n) = rest[..digits].parse::<usize>() {
            out.push_str(&(n + lines_before).to_string());
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The byte range (within `chunk`) of the first line whose text starts with
/// `key`, after indentation: where `namespace:` is written.
fn key_line(chunk: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in chunk.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with(key) {
            let end = offset + line.trim_end().len();
            return Some((offset + indent, end));
        }
        offset += line.len();
    }
    None
}

fn check_object(
    v: &Value,
    span: Span,
    namespace_span: Option<Span>,
    locate: &dyn Fn(&str) -> Option<Span>,
    diags: &mut Vec<Diagnostic>,
) {
    let missing: Vec<&str> = ["apiVersion", "kind"]
        .into_iter()
        .filter(|k| !v[*k].is_string())
        .collect();
    if !missing.is_empty() || !v["metadata"]["name"].is_string() {
        diags.push(
            Diagnostic::error(
                "strata::manifest-object",
                span,
                "this document is not a Kubernetes object",
            )
            .label("needs apiVersion, kind and metadata.name")
            .help("every document must have apiVersion, kind and metadata.name"),
        );
        return;
    }
    let name = v["metadata"]["name"].as_str().unwrap_or_default();
    let api = v["apiVersion"].as_str().unwrap_or_default();
    let kind = v["kind"].as_str().unwrap_or_default();
    // The API server's name rules: Services and Namespaces are labels (a
    // Service's starting with a letter), most other kinds DNS subdomains.
    let check_name = match (k8s::group_of(api), kind) {
        ("", "Service") => k8s::check_dns1035,
        ("", "Namespace") => k8s::check_label,
        _ => k8s::check_subdomain,
    };
    if let Err(why) = check_name(name) {
        let at = locate("name:").unwrap_or(span);
        diags.push(crate::decode::name_error(at, name, &why));
    }
    for (field, values_too) in [("labels", true), ("annotations", false)] {
        let Some(map) = v["metadata"][field].as_object() else {
            continue;
        };
        for (key, value) in map {
            let at = locate(&format!("{key}:"))
                .or_else(|| locate(&format!("\"{key}\":")))
                .unwrap_or(span);
            let problem = k8s::check_label_key(key)
                .map_err(|why| format!("the {field} key `{key}` is invalid: {why}"))
                .and_then(|()| match value {
                    Value::String(s) if values_too => k8s::check_label_value(s).map_err(|why| {
                        format!(
                            "the label value `{}` is invalid: {why}",
                            crate::diag::elide(s)
                        )
                    }),
                    Value::String(_) => Ok(()),
                    other => Err(format!(
                        "the {field} value of `{key}` must be a string, not {other}"
                    )),
                });
            if let Err(why) = problem {
                diags.push(
                    Diagnostic::error(
                        "strata::manifest-metadata",
                        at,
                        format!("{kind} `{name}` would be refused: {why}"),
                    )
                    .label(format!("invalid {field}"))
                    .help("label keys are NAME or PREFIX/NAME (NAME up to 63 letters, digits, '-', '_', '.'); label values up to 63 such characters; quote values such as \"true\" or \"1\""),
                );
            }
        }
    }
    if let Err(why) = k8s::check_builtin_kind(api, kind) {
        diags.push(
            Diagnostic::error(
                "strata::api-version",
                span,
                format!("{kind} `{name}` would be refused: {why}"),
            )
            .label("wrong apiVersion or kind")
            .help("write the apiVersion the kind is served at, e.g. apiVersion: apps/v1 for a Deployment"),
        );
    }
    match &v["metadata"]["namespace"] {
        Value::Null => {}
        Value::String(ns) => {
            if let Err(why) = k8s::check_label(ns) {
                diags.push(crate::decode::name_error(
                    namespace_span.unwrap_or(span),
                    ns,
                    &why,
                ));
            }
        }
        other => diags.push(
            Diagnostic::error(
                "strata::manifest-object",
                namespace_span.unwrap_or(span),
                format!("metadata.namespace must be a string, not {other}"),
            )
            .label("not a namespace name"),
        ),
    }
}

/// Records the CRDs that manifests install, before anything asks for them.
pub(super) fn register_providers(b: &mut Builder) {
    for m in &b.model.manifests {
        for d in b.manifest_docs.get(&m.common.address).into_iter().flatten() {
            if d.value["kind"] == "CustomResourceDefinition" {
                let cluster = d.value["spec"]["scope"] == "Cluster";
                b.crd_scopes.insert(
                    (
                        d.value["spec"]["group"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        d.value["spec"]["names"]["kind"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    cluster,
                );
                let group = d.value["spec"]["group"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let kind = d.value["spec"]["names"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let name = d.value["metadata"]["name"].as_str().unwrap_or_default();
                let crd = format!("{}/CustomResourceDefinition/{name}", m.common.address);
                b.crd_providers.push((group, kind, crd));
            }
            if d.value["kind"] == "Namespace" {
                if let Some(n) = d.value["metadata"]["name"].as_str() {
                    let addr =
                        strata_engine::Address::new(format!("{}/Namespace/{n}", m.common.address));
                    b.namespaces.insert(n.to_string(), addr);
                }
            }
        }
    }
}

pub(super) fn expand_manifests(b: &mut Builder) {
    for m in &b.model.manifests {
        let start = b.out.resources.len();
        let deps = b.component_deps(&m.common);
        let docs = b
            .manifest_docs
            .remove(&m.common.address)
            .unwrap_or_default();
        let mut addrs = Vec::new();
        for d in docs {
            let mut v = d.value;
            if !v["metadata"]["name"].is_string() {
                // Not an object: already reported where the document was read.
                continue;
            }
            let kind = v["kind"].as_str().unwrap_or_default().to_string();
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let api = v["apiVersion"].as_str().unwrap_or_default();
            let group = k8s::group_of(api).to_string();
            let cluster_scoped = k8s::is_cluster_scoped(&kind)
                || b.crd_scopes.get(&(group, kind.clone())) == Some(&true);
            let suffix = if cluster_scoped || kind.is_empty() {
                if let Some(ns) = v["metadata"]["namespace"].as_str() {
                    b.diags.push(
                        Diagnostic::error(
                            "strata::cluster-scoped",
                            d.namespace_span.unwrap_or(d.span),
                            format!("{kind} `{name}` is cluster-scoped and cannot be in namespace `{ns}`"),
                        )
                        .label("a cluster-scoped object has no namespace")
                        .also(d.span, format!("{kind} lives outside namespaces"))
                        .help("remove metadata.namespace"),
                    );
                }
                format!("{kind}/{name}")
            } else {
                if v["metadata"]["namespace"].as_str().is_none() {
                    v["metadata"]["namespace"] =
                        Value::String(m.namespace.clone().unwrap_or_else(|| "default".into()));
                }
                let ns = v["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string();
                b.ensure_namespace(&ns, d.span);
                format!("{kind}/{ns}/{name}")
            };
            let addr = b.object(&m.common, &suffix, v, deps.clone(), d.span);
            addrs.push(addr);
        }
        b.anchor(&m.common.address, addrs);
        b.finish_component(&m.common, start);
    }
}
