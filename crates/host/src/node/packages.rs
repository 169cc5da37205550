//! Package managers: apt (Debian, Ubuntu), dnf (RHEL family), zypper
//! (SUSE) and apk (Alpine), each driven non-interactively.

use crate::ssh::Session;

/// A supported package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// Debian and Ubuntu.
    Apt,
    /// Fedora, RHEL, Rocky, Alma.
    Dnf,
    /// openSUSE and SLES.
    Zypper,
    /// Alpine.
    Apk,
}

impl Manager {
    /// From the probe's `package_manager` fact.
    pub fn from_name(name: &str) -> Option<Manager> {
        match name {
            "apt-get" => Some(Manager::Apt),
            "dnf" => Some(Manager::Dnf),
            "zypper" => Some(Manager::Zypper),
            "apk" => Some(Manager::Apk),
            _ => None,
        }
    }

    fn install_args(self) -> &'static [&'static str] {
        match self {
            Manager::Apt => &[
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
            ],
            Manager::Dnf => &["dnf", "install", "-y", "-q"],
            Manager::Zypper => &["zypper", "--non-interactive", "install"],
            Manager::Apk => &["apk", "add", "-q"],
        }
    }

    fn remove_args(self) -> &'static [&'static str] {
        match self {
            Manager::Apt => &[
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "remove",
                "-y",
                "-q",
            ],
            Manager::Dnf => &["dnf", "remove", "-y", "-q"],
            Manager::Zypper => &["zypper", "--non-interactive", "remove"],
            Manager::Apk => &["apk", "del", "-q"],
        }
    }

    fn refresh_args(self) -> &'static [&'static str] {
        match self {
            Manager::Apt => &["apt-get", "update", "-q"],
            Manager::Dnf => &["dnf", "makecache", "-q"],
            Manager::Zypper => &["zypper", "--non-interactive", "refresh"],
            Manager::Apk => &["apk", "update", "-q"],
        }
    }
}

fn with(base: &[&'static str], names: &[String]) -> Vec<String> {
    base.iter()
        .map(|s| s.to_string())
        .chain(names.iter().cloned())
        .collect()
}

async fn run(session: &Session, args: &[String]) -> Result<crate::ssh::Output, String> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    session.run(&refs).await.map_err(|e| e.to_string())
}

/// Installs `names`; when that fails, refreshes the package index once and
/// tries again (a stale or empty index is the usual cause).
pub async fn install(session: &Session, mgr: Manager, names: &[String]) -> Result<(), String> {
    let args = with(mgr.install_args(), names);
    let first = run(session, &args).await?;
    if first.success() {
        return Ok(());
    }
    let refresh = run(session, &with(mgr.refresh_args(), &[])).await?;
    let second = run(session, &args).await?;
    if second.success() {
        return Ok(());
    }
    let mut why = second.stderr_tail();
    if !refresh.success() {
        why.push_str(&format!(
            "\n(refreshing the package index failed too: {})",
            refresh.stderr_tail()
        ));
    }
    Err(format!(
        "packages {} could not be installed: {why}",
        names.join(", ")
    ))
}

/// Removes `names`.
pub async fn remove(session: &Session, mgr: Manager, names: &[String]) -> Result<(), String> {
    let out = run(session, &with(mgr.remove_args(), names)).await?;
    if out.success() {
        Ok(())
    } else {
        Err(format!(
            "packages {} could not be removed: {}",
            names.join(", "),
            out.stderr_tail()
        ))
    }
}
