//! Secret values, read from the environment, a file or a command only when
//! something needs them, cached for the run and never written anywhere.

use crate::model::{SecretDecl, SecretSource};
use std::collections::HashMap;
use std::sync::Mutex;
use strata_engine::SecretValues;

/// Resolves the stack's `[secrets]` on demand.
pub struct SecretStore {
    decls: HashMap<String, SecretSource>,
    cache: Mutex<HashMap<String, Option<String>>>,
}

impl SecretStore {
    /// A store for the declared secrets.
    pub fn new(decls: &[SecretDecl]) -> Self {
        SecretStore {
            decls: decls
                .iter()
                .map(|d| (d.name.clone(), d.source.clone()))
                .collect(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn read(source: &SecretSource) -> Result<Option<String>, String> {
        match source {
            SecretSource::Env(var) => Ok(std::env::var(var).ok()),
            SecretSource::File(path) => {
                let p = expand_home(path);
                match std::fs::read_to_string(&p) {
                    Ok(s) => Ok(Some(s.trim_end_matches(['\n', '\r']).to_string())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("cannot read secret file {p}: {e}")),
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
                        "secret command `{}` exited with {}",
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
