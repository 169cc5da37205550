//! Secret values, read from the environment, a file or a command only when
//! something needs them, cached for the run and never written anywhere.

use crate::diag::Diagnostic;
use crate::model::{SecretDecl, SecretSource};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use strata_engine::SecretValues;

/// Resolves the stack's `[secrets]` on demand. Clones share one cache, so
/// that each source is read at most once per run.
#[derive(Clone)]
pub struct SecretStore {
    decls: Arc<HashMap<String, SecretSource>>,
    cache: Arc<Mutex<HashMap<String, Option<String>>>>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("SecretStore")
            .field("secrets", &self.decls.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SecretStore {
    /// A store for the declared secrets.
    pub fn new(decls: &[SecretDecl]) -> Self {
        SecretStore {
            decls: Arc::new(
                decls
                    .iter()
                    .map(|d| (d.name.clone(), d.source.clone()))
                    .collect(),
            ),
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Reads every secret that comes from a file or a command, whether or
    /// not anything needs it yet, and reports each source that fails (a
    /// command that exits non-zero, a file that cannot be read) at its
    /// declaration. A file or program that does not exist, like an unset
    /// environment variable, only leaves the value unknown.
    pub fn check_sources(&self, decls: &[SecretDecl]) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for d in decls {
            if matches!(d.source, SecretSource::Env(_)) {
                continue;
            }
            if let Err(why) = self.get(&d.name) {
                out.push(
                    Diagnostic::error(
                        "strata::secret-source",
                        d.span,
                        format!("secret `{}` cannot be read: {why}", d.name),
                    )
                    .label("its source fails")
                    .help("fix the source (the file's permissions, the command), or point the secret elsewhere"),
                );
            }
        }
        out
    }

    fn read(source: &SecretSource) -> Result<Option<String>, String> {
        match source {
            SecretSource::Env(var) => Ok(std::env::var(var).ok()),
            SecretSource::File(path) => {
                let p = expand_home(path);
                match std::fs::read_to_string(&p) {
                    Ok(s) => Ok(Some(s.trim_end_matches(['\n', '\r']).to_string())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("the file {p} cannot be read ({e})")),
                }
            }
            SecretSource::Command(argv) => {
                let out = std::process::Command::new(&argv[0])
                    .args(&argv[1..])
                    .stdin(std::process::Stdio::null())
                    .output();
                match out {
                    Ok(o) if o.status.success() => Ok(Some(
                        String::from_utf8_lossy(&o.stdout)
                            .trim_end_matches(['\n', '\r'])
                            .to_string(),
                    )),
                    Ok(o) => Err(format!(
                        "the command `{}` failed ({})",
                        argv.join(" "),
                        o.status
                    )),
                    Err(_) => Ok(None),
                }
            }
        }
    }
}

/// Replaces a leading `~/` with `$HOME/`.
pub fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

impl SecretValues for SecretStore {
    fn get(&self, name: &str) -> Result<Option<String>, String> {
        let mut cache = self.cache.lock().expect("secret cache lock");
        if let Some(v) = cache.get(name) {
            return Ok(v.clone());
        }
        let source = self
            .decls
            .get(name)
            .ok_or_else(|| format!("unknown secret `{name}`"))?;
        let v = Self::read(source)?;
        cache.insert(name.to_string(), v.clone());
        Ok(v)
    }
}
