//! Node resources: packages, sysctl, kernel modules, files, swap and
//! services on one host, read in one round trip, applied idempotently, and
//! undone on delete as far as Strata changed them.

pub mod packages;
pub mod probe;
pub mod spec;

use crate::error::SshError;
use crate::ssh::Session;
use probe::{Ask, Observed};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use spec::{normalize_sysctl, NodeSpec, MODULES_FILE, SYSCTL_FILE};
use std::collections::BTreeMap;

/// What Strata changed that was not so before, so that delete can restore
/// it: recorded in state as the computed attribute `undo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    /// Packages Strata installed (absent before).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Services Strata enabled (disabled before).
    #[serde(default)]
    pub services: Vec<String>,
    /// Live sysctl values before Strata changed them.
    #[serde(default)]
    pub sysctl: BTreeMap<String, String>,
    /// Whether Strata commented out swap lines of /etc/fstab.
    #[serde(default)]
    pub swap_fstab: bool,
}

impl Undo {
    /// From the `undo` attribute (absent: nothing to undo).
    pub fn from_attributes(attrs: &Value) -> Undo {
        attrs
            .get("undo")
            .and_then(|u| serde_json::from_value(u.clone()).ok())
            .unwrap_or_default()
    }
}

/// Marker prefixed to the fstab swap lines Strata comments out.
const FSTAB_MARK: &str = "#strata-swap-off# ";

/// A failure of one part of an apply; the others still run.
type Problems = Vec<String>;

fn sysctl_matches(live: Option<&Option<String>>, want: &str) -> bool {
    matches!(live, Some(Some(v)) if *v == normalize_sysctl(want))
}

/// Brings the node to `spec`. `prior` is what state recorded (for what the
/// stack dropped since); `undo` is updated with what was changed.
pub async fn apply(
    session: &Session,
    spec: &NodeSpec,
    prior: Option<&NodeSpec>,
    undo: &mut Undo,
) -> Result<Observed, Problems> {
    let ask = Ask::for_specs(spec, prior);
    let mut before = probe::probe(session, &ask)
        .await
        .map_err(|e| vec![e.to_string()])?;
    let mut problems = Problems::new();
    let mut note = |r: Result<(), String>| {
        if let Err(e) = r {
            problems.push(e);
        }
    };
    let installed_before = before.installed.clone();
    note(apply_packages(session, spec, &before, undo).await);
    if undo.packages.iter().any(|p| !installed_before.contains(p)) {
        // New packages bring services, files and defaults: look again.
        before = probe::probe(session, &ask)
            .await
            .map_err(|e| vec![e.to_string()])?;
    }
    note(apply_files(session, spec, prior, &before).await);
    note(apply_modules(session, spec, &before).await);
    note(apply_sysctl(session, spec, &before, undo).await);
    note(apply_swap(session, spec, &before, undo).await);
    note(apply_services(session, spec, prior, &before, undo).await);
    if problems.is_empty() {
        Ok(before)
    } else {
        Err(problems)
    }
}

fn ssh(e: SshError) -> String {
    e.to_string()
}

async fn apply_packages(
    session: &Session,
    spec: &NodeSpec,
    before: &Observed,
    undo: &mut Undo,
) -> Result<(), String> {
    let mgr = packages::Manager::from_name(&before.facts.package_manager);
    let missing: Vec<String> = spec
        .packages
        .iter()
        .filter(|p| !before.installed.contains(*p))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let mgr = mgr.ok_or("no supported package manager (apt-get, dnf, zypper, apk) found")?;
        packages::install(session, mgr, &missing).await?;
        for p in missing {
            if !undo.packages.contains(&p) {
                undo.packages.push(p);
            }
        }
    }
    let dropped: Vec<String> = undo
        .packages
        .iter()
        .filter(|p| !spec.packages.contains(p))
        .cloned()
        .collect();
    if !dropped.is_empty() {
        if let Some(mgr) = mgr {
            packages::remove(session, mgr, &dropped).await?;
        }
        undo.packages.retain(|p| spec.packages.contains(p));
    }
    Ok(())
}

async fn apply_files(
    session: &Session,
    spec: &NodeSpec,
    prior: Option<&NodeSpec>,
    before: &Observed,
) -> Result<(), String> {
    for (path, f) in &spec.files {
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(f.content.as_bytes()));
        let mode = u32::from_str_radix(&f.mode, 8).unwrap_or(0o644);
        let current = before.files.get(path).cloned().flatten();
        let same = current.as_ref().is_some_and(|c| {
            c.sha256 == sha
                && u32::from_str_radix(&c.mode, 8).ok() == Some(mode)
                && c.owner == f.owner
                && c.group == f.group
        });
        if same {
            continue;
        }
        session
            .upload(f.content.as_bytes(), path, mode)
            .await
            .map_err(ssh)?;
        let owner = format!("{}:{}", f.owner, f.group);
        let out = session.run(&["chown", &owner, path]).await.map_err(ssh)?;
        if !out.success() {
            return Err(format!("chown {owner} {path}: {}", out.stderr_tail()));
        }
    }
    for path in prior.iter().flat_map(|p| p.files.keys()) {
        if !spec.files.contains_key(path) {
            session.run(&["rm", "-f", path]).await.map_err(ssh)?;
        }
    }
    Ok(())
}

/// Writes or removes a managed drop-in file.
async fn put_managed(session: &Session, path: &str, content: Option<String>) -> Result<(), String> {
    match content {
        Some(c) => session.upload(c.as_bytes(), path, 0o644).await.map_err(ssh),
        None => session
            .run(&["rm", "-f", path])
            .await
            .map(|_| ())
            .map_err(ssh),
    }
}

async fn apply_modules(
    session: &Session,
    spec: &NodeSpec,
    before: &Observed,
) -> Result<(), String> {
    let listed = before.modules_file.clone();
    let wanted = (!spec.kernel_modules.is_empty()).then(|| spec.kernel_modules.clone());
    if listed != wanted {
        put_managed(session, MODULES_FILE, spec.modules_file()).await?;
    }
    let mut failed = Vec::new();
    for m in &spec.kernel_modules {
        if before.modules_loaded.contains(m) {
            continue;
        }
        let out = session.run(&["modprobe", "--", m]).await.map_err(ssh)?;
        if !out.success() {
            failed.push(format!(
                "kernel module {m} is not loaded and could not be loaded ({}); it is listed in {MODULES_FILE} for the next boot{}",
                out.stderr_tail(),
                if before.proc_sys_read_only {
                    " — a container cannot load kernel modules: load it on the host"
                } else {
                    ""
                }
            ));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

async fn apply_sysctl(
    session: &Session,
    spec: &NodeSpec,
    before: &Observed,
    undo: &mut Undo,
) -> Result<(), String> {
    let wanted: Option<Vec<(String, String)>> = (!spec.sysctl.is_empty()).then(|| {
        spec.sysctl
            .iter()
            .map(|(k, v)| (k.clone(), normalize_sysctl(v)))
            .collect()
    });
    if before.sysctl_file != wanted {
        put_managed(session, SYSCTL_FILE, spec.sysctl_file()).await?;
    }
    let mut failed = Vec::new();
    for (k, v) in &spec.sysctl {
        let live = before.sysctl_live.get(k);
        if sysctl_matches(live, v) {
            continue;
        }
        let Some(Some(previous)) = live else {
            failed.push(format!(
                "sysctl {k} does not exist on this kernel ({})",
                before.facts.kernel
            ));
            continue;
        };
        let out = session
            .run(&["sysctl", "-w", &format!("{k}={v}")])
            .await
            .map_err(ssh)?;
        if out.success() {
            undo.sysctl
                .entry(k.clone())
                .or_insert_with(|| previous.clone());
        } else if before.proc_sys_read_only {
            failed.push(format!(
                "sysctl {k} could not be applied: /proc/sys is read-only in this container (it is {previous}, the stack wants {v}; the setting is saved in {SYSCTL_FILE} for the next boot)"
            ));
        } else {
            failed.push(format!(
                "sysctl {k} could not be applied: {}",
                out.stderr_tail()
            ));
        }
    }
    // Settings the stack dropped: put back what was there before Strata.
    let dropped: Vec<String> = undo
        .sysctl
        .keys()
        .filter(|k| !spec.sysctl.contains_key(*k))
        .cloned()
        .collect();
    for k in dropped {
        let old = undo.sysctl.remove(&k).unwrap_or_default();
        session
            .run(&["sysctl", "-w", &format!("{k}={old}")])
            .await
            .map_err(ssh)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

async fn apply_swap(
    session: &Session,
    spec: &NodeSpec,
    before: &Observed,
    undo: &mut Undo,
) -> Result<(), String> {
    if !spec.swap_off {
        return Ok(());
    }
    if before.swap_fstab > 0 {
        let script = format!(
            r#"sed -i -E '/^[[:space:]]*#/! {{ /^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]/ s/^/{FSTAB_MARK}/ }}' /etc/fstab"#
        );
        session.script_ok(&script, &[]).await.map_err(ssh)?;
        undo.swap_fstab = true;
    }
    if before.swap_active > 0 {
        let out = session.run(&["swapoff", "-a"]).await.map_err(ssh)?;
        if !out.success() {
            return Err(format!(
                "swap could not be turned off: {}",
                out.stderr_tail()
            ));
        }
    }
    Ok(())
}

async fn apply_services(
    session: &Session,
    spec: &NodeSpec,
    prior: Option<&NodeSpec>,
    before: &Observed,
    undo: &mut Undo,
) -> Result<(), String> {
    let mut failed = Vec::new();
    for s in &spec.services {
        let (enabled, active) = before.services.get(s).cloned().unwrap_or_default();
        if enabled == "disabled" {
            let out = session
                .run(&["systemctl", "enable", "--", s])
                .await
                .map_err(ssh)?;
            if !out.success() {
                failed.push(format!(
                    "service {s} could not be enabled: {}",
                    out.stderr_tail()
                ));
                continue;
            }
            if !undo.services.contains(s) {
                undo.services.push(s.clone());
            }
        } else if enabled.is_empty() || enabled == "not-found" {
            failed.push(format!("service {s} is not installed on this node"));
            continue;
        }
        if active != "active" {
            let out = session
                .run(&["systemctl", "start", "--", s])
                .await
                .map_err(ssh)?;
            if !out.success() {
                let journal = session
                    .run(&["journalctl", "-u", s, "-n", "3", "--no-pager", "-o", "cat"])
                    .await
                    .map(|o| o.stdout_text().trim().replace('\n', "; "))
                    .unwrap_or_default();
                failed.push(format!("service {s} failed to start: {journal}"));
            }
        }
    }
    for s in prior.iter().flat_map(|p| &p.services) {
        if !spec.services.contains(s) && undo.services.contains(s) {
            session
                .run(&["systemctl", "disable", "--now", "--", s])
                .await
                .map_err(ssh)?;
            undo.services.retain(|x| x != s);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

/// Undoes what Strata did on the node: packages it installed, services it
/// enabled, its drop-in files and managed files, sysctl values it changed,
/// fstab lines it commented out.
pub async fn delete(session: &Session, spec: &NodeSpec, undo: &Undo) -> Result<(), String> {
    let before = probe::probe(session, &Ask::for_specs(spec, None))
        .await
        .map_err(ssh)?;
    for s in &undo.services {
        session
            .run(&["systemctl", "disable", "--now", "--", s])
            .await
            .map_err(ssh)?;
    }
    if !undo.packages.is_empty() {
        if let Some(mgr) = packages::Manager::from_name(&before.facts.package_manager) {
            packages::remove(session, mgr, &undo.packages).await?;
        }
    }
    let mut rm = vec!["rm", "-f", "--", SYSCTL_FILE, MODULES_FILE];
    rm.extend(spec.files.keys().map(String::as_str));
    session.run(&rm).await.map_err(ssh)?;
    for (k, old) in &undo.sysctl {
        session
            .run(&["sysctl", "-w", &format!("{k}={old}")])
            .await
            .map_err(ssh)?;
    }
    if undo.swap_fstab {
        let script = format!("sed -i 's/^{FSTAB_MARK}//' /etc/fstab");
        session.script_ok(&script, &[]).await.map_err(ssh)?;
    }
    Ok(())
}

/// The attributes a read reports: the recorded ones, with every managed
/// part replaced by what the node shows, so a diff against state is drift.
pub async fn observed_attributes(
    session: &Session,
    recorded: &Value,
    spec: &NodeSpec,
    o: &Observed,
) -> Result<Value, SshError> {
    let mut a = recorded.clone();
    let installed: Vec<&String> = spec
        .packages
        .iter()
        .filter(|p| o.installed.contains(*p))
        .collect();
    a["packages"] = json!(installed);
    a["kernel_modules"] = json!(o.modules_file.clone().unwrap_or_default());
    let mut sysctl = Map::new();
    for (k, v) in o.sysctl_file.iter().flatten() {
        let live = o.sysctl_live.get(k).cloned().flatten();
        let shown = match live {
            Some(l) if l != *v => json!(format!("{v} (live: {l})")),
            _ => {
                // Keep the recorded JSON type (a number stays a number).
                match recorded.get("sysctl").and_then(|s| s.get(k)) {
                    Some(r) if normalize_sysctl(r.to_string().trim_matches('"')) == *v => r.clone(),
                    _ => json!(v),
                }
            }
        };
        sysctl.insert(k.clone(), shown);
    }
    a["sysctl"] = Value::Object(sysctl);
    if spec.swap_off {
        a["swap"] = json!(if o.swap_active == 0 && o.swap_fstab == 0 {
            "off"
        } else {
            "on"
        });
    }
    if recorded.get("services").is_some() || !spec.services.is_empty() {
        let shown: Vec<String> = spec
            .services
            .iter()
            .map(|s| match o.services.get(s) {
                Some((e, act)) if act == "active" && e != "disabled" => s.clone(),
                Some((e, act)) => format!("{s} ({act}, {e})"),
                None => format!("{s} (unknown)"),
            })
            .collect();
        a["services"] = json!(shown);
    }
    if recorded.get("files").is_some() {
        let mut files = Map::new();
        for (path, f) in &spec.files {
            let Some(Some(state)) = o.files.get(path) else {
                continue;
            };
            let mut entry = recorded["files"][path].clone();
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(f.content.as_bytes()));
            if state.sha256 != sha {
                entry["content"] = json!(match session.download(path).await {
                    Ok(b) if b.len() <= 256 * 1024 => String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) => format!("({} bytes, sha256 {})", b.len(), state.sha256),
                    Err(_) => format!("(sha256 {})", state.sha256),
                });
            }
            let mode = u32::from_str_radix(&state.mode, 8)
                .map_or(state.mode.clone(), |m| format!("{m:04o}"));
            for (key, seen, want) in [
                ("mode", mode, f.mode.clone()),
                ("owner", state.owner.clone(), f.owner.clone()),
                ("group", state.group.clone(), f.group.clone()),
            ] {
                if seen != want || entry.get(key).is_some() {
                    entry[key] = json!(seen);
                }
            }
            files.insert(path.clone(), entry);
        }
        a["files"] = Value::Object(files);
    }
    a["facts"] = o.facts.to_json();
    a["host_key_observed"] = json!(session.host_key_fingerprint());
    Ok(a)
}
