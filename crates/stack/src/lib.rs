//! The Strata stack language: read a stack directory, resolve variables,
//! secrets and references, validate everything with located diagnostics, and
//! expand components into the engine's desired resources.

mod check;
pub mod decode;
mod decode_hosts;
mod decode_k8s;
pub mod diag;
pub mod expand;
pub mod fields;
pub mod formats;
pub mod json_schema;
pub mod k8s;
pub mod load;
pub mod model;
pub mod policy;
pub mod reference;
pub mod schema;
pub mod secrets;
pub mod syntax;
pub mod template;
pub mod value;

use diag::{Diagnostic, Severity, Sources};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub use decode::VarOverrides;
pub use expand::Expanded;
pub use secrets::SecretStore;

/// A stack that read, validated and expanded without errors.
#[derive(Debug)]
pub struct Stack {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// Every file read.
    pub sources: Sources,
    /// The decoded stack.
    pub model: model::StackModel,
    /// Desired resources and outputs.
    pub expanded: Expanded,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
    /// SHA-256 over the stack's files (paths and contents).
    pub sha256: String,
    secrets: SecretStore,
}

/// How a stack is loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// HA policy findings are errors, not warnings.
    pub strict: bool,
}

/// A stack that could not be used: every problem found, at once.
#[derive(Debug)]
pub struct StackErrors {
    /// Every file read (for rendering).
    pub sources: Sources,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Stack {
    /// The state file of the local backend unless `--state` says otherwise.
    /// It never depends on the working directory: `path` is relative to the
    /// stack directory, and by default it is `<name>.json` in the nearest
    /// `state/` directory at or above the stack directory (the repository's
    /// `state/`), else in `<stack dir>/state/`.
    pub fn default_state_path(&self) -> PathBuf {
        let dir = std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone());
        if let Some(p) = &self.model.state.path {
            return dir.join(crate::secrets::expand_home(p));
        }
        let file = format!("{}.json", self.model.name);
        dir.ancestors()
            .map(|d| d.join("state"))
            .find(|d| d.is_dir())
            .unwrap_or_else(|| dir.join("state"))
            .join(file)
    }

    /// Resolves secrets on demand (sharing what loading already read).
    pub fn secret_store(&self) -> SecretStore {
        self.secrets.clone()
    }
}

/// Reads, validates and expands the stack in `dir`.
pub fn load(dir: &Path, vars: &VarOverrides) -> Result<Stack, StackErrors> {
    load_with(dir, vars, &LoadOptions::default())
}

/// Reads, validates and expands the stack in `dir`, with options.
pub fn load_with(
    dir: &Path,
    vars: &VarOverrides,
    options: &LoadOptions,
) -> Result<Stack, StackErrors> {
    let mut diags = Vec::new();
    let mut raw = load::read_stack(dir, &mut diags);
    if raw.sources.files().is_empty() || diags.iter().any(|d| d.code == load::NOT_A_STACK) {
        return Err(StackErrors {
            sources: raw.sources,
            diagnostics: diags,
        });
    }
    expand::read_manifest_files(&mut raw, &mut diags);
    let model = decode::decode(&raw, vars, &mut diags);
    let secrets = SecretStore::new(&model.secrets);
    diags.extend(secrets.check_sources(&model.secrets));
    let mut expanded = expand::expand(&model, &mut raw, &mut diags);
    check_depends_on(&model, &expanded, &mut diags);
    diags.extend(policy::check(&model, &expanded, options.strict));
    if !diags.iter().any(|d| d.severity == Severity::Error) {
        if let Err(errs) = strata_engine::ResourceGraph::build(&expanded.resources) {
            for err in errs {
                diags.push(graph_error(&expanded, err));
            }
        }
    }
    expanded.resources.shrink_to_fit();
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    match (model, expanded) {
        (model, expanded) if !has_errors => {
            let sha256 = hash_sources(&raw.sources, &expanded.files_read);
            Ok(Stack {
                dir: dir.to_path_buf(),
                sources: raw.sources,
                model,
                expanded,
                warnings: diags,
                sha256,
                secrets,
            })
        }
        _ => Err(StackErrors {
            sources: raw.sources,
            diagnostics: diags,
        }),
    }
}

/// A resource graph error, located at the component of the resource it names.
fn graph_error(e: &Expanded, err: strata_engine::GraphError) -> Diagnostic {
    let at = match &err {
        strata_engine::GraphError::Dangling { from, .. } => e.origins.get(from),
        strata_engine::GraphError::Cycle(path) => path.first().and_then(|a| e.origins.get(a)),
    };
    match at {
        Some(span) => Diagnostic::error("strata::graph", *span, err.to_string())
            .help("check depends_on and the references of the components involved"),
        None => Diagnostic::global("strata::graph", err.to_string()),
    }
}

/// Resource addresses in `depends_on` must name a resource of the stack.
fn check_depends_on(m: &model::StackModel, e: &Expanded, diags: &mut Vec<Diagnostic>) {
    let known: std::collections::HashSet<&str> =
        e.resources.iter().map(|r| r.address.as_str()).collect();
    for c in expand::Scope::commons(m) {
        for (target, span) in &c.depends_on {
            if target.contains('/') && !known.contains(target.as_str()) {
                let comp = target.split('/').next().unwrap_or_default();
                let here: Vec<&str> = known
                    .iter()
                    .copied()
                    .filter(|a| a.starts_with(&format!("{comp}/")))
                    .collect();
                let mut d = Diagnostic::error(
                    "strata::dangling-dependency",
                    *span,
                    format!("`{target}` in depends_on names no resource"),
                );
                d = match diag::did_you_mean(target, here.iter().copied()) {
                    Some(s) => d.label(format!("did you mean `{s}`?")),
                    None => d.label("no such resource"),
                };
                diags.push(d.help("run `strata plan` on the stack to see every resource address"));
            }
        }
    }
}

/// SHA-256 over every file the stack was made from: paths and contents, in
/// path order.
fn hash_sources(sources: &Sources, extra: &[(PathBuf, String)]) -> String {
    let mut files: Vec<(&Path, &str)> = sources
        .files()
        .iter()
        .map(|f| (f.path.as_path(), &*f.text))
        .collect();
    files.extend(extra.iter().map(|(p, t)| (p.as_path(), t.as_str())));
    files.sort();
    files.dedup();
    let mut h = Sha256::new();
    for (path, text) in files {
        h.update(path.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}
