//! The Strata stack language: read a stack directory, resolve variables,
//! secrets and references, validate everything with located diagnostics, and
//! expand components into the engine's desired resources.

pub mod decode;
mod decode_hosts;
mod decode_k8s;
pub mod diag;
pub mod expand;
pub mod k8s;
pub mod load;
pub mod model;
pub mod secrets;
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

    /// Resolves secrets on demand.
    pub fn secret_store(&self) -> SecretStore {
        SecretStore::new(&self.model.secrets)
    }
}

/// Reads, validates and expands the stack in `dir`.
pub fn load(dir: &Path, vars: &VarOverrides) -> Result<Stack, StackErrors> {
    let mut diags = Vec::new();
    let mut raw = load::read_stack(dir, &mut diags);
    expand::read_manifest_files(&mut raw, &mut diags);
    let model = if raw.stack.is_some() {
        decode::decode(&raw, vars, &mut diags)
    } else {
        None
    };
    let expanded = model.as_ref().map(|m| {
        let mut e = expand::expand(m, &raw, &mut diags);
        check_depends_on(m, &e, &mut diags);
        if !diags.iter().any(|d| d.severity == Severity::Error) {
            if let Err(errs) = strata_engine::ResourceGraph::build(&e.resources) {
                for err in errs {
                    diags.push(Diagnostic::global("strata::graph", err.to_string()));
                }
            }
        }
        e.resources.shrink_to_fit();
        e
    });
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    match (model, expanded) {
        (Some(model), Some(expanded)) if !has_errors => {
            let sha256 = hash_sources(&raw.sources, &expanded.files_read);
            Ok(Stack {
                dir: dir.to_path_buf(),
                sources: raw.sources,
                model,
                expanded,
                warnings: diags,
                sha256,
            })
        }
        _ => Err(StackErrors {
            sources: raw.sources,
            diagnostics: diags,
        }),
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
