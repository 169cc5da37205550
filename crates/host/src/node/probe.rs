//! Reading a node in one round trip: a single shell script gathers facts
//! and the state of everything the resource manages, section by section.

use super::spec::{normalize_sysctl, NodeSpec, MODULES_FILE, SYSCTL_FILE};
use crate::error::SshError;
use crate::quote::quote;
use crate::ssh::Session;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Facts about a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `ID` of /etc/os-release (`debian`, `ubuntu`, `rocky`, `alpine`).
    pub os_id: String,
    /// `VERSION_ID` of /etc/os-release.
    pub os_version: String,
    /// Machine architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// Kernel release.
    pub kernel: String,
    /// Online CPUs.
    pub cpus: u64,
    /// Total memory in MiB.
    pub memory_mb: u64,
    /// The host's own name.
    pub hostname: String,
    /// The package manager found (`apt-get`, `dnf`, `zypper`, `apk`).
    pub package_manager: String,
}

impl Facts {
    /// As the `facts` attribute.
    pub fn to_json(&self) -> Value {
        json!({
            "os_id": self.os_id, "os_version": self.os_version, "arch": self.arch,
            "kernel": self.kernel, "cpus": self.cpus, "memory_mb": self.memory_mb,
            "hostname": self.hostname, "package_manager": self.package_manager,
        })
    }
}

/// State of one managed file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    /// SHA-256 of its content.
    pub sha256: String,
    /// Octal mode without leading zeros stripped (`644`).
    pub mode: String,
    /// Owner.
    pub owner: String,
    /// Group.
    pub group: String,
}

/// What one probe found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Host facts.
    pub facts: Facts,
    /// Which of the asked packages are installed.
    pub installed: BTreeSet<String>,
    /// `key = value` lines of the sysctl drop-in, in order; None: no file.
    pub sysctl_file: Option<Vec<(String, String)>>,
    /// Live sysctl values of the asked keys (None: unknown key).
    pub sysctl_live: BTreeMap<String, Option<String>>,
    /// Modules listed in the modules-load.d file; None: no file.
    pub modules_file: Option<Vec<String>>,
    /// Modules currently loaded (of those asked).
    pub modules_loaded: BTreeSet<String>,
    /// Active swap areas.
    pub swap_active: usize,
    /// Uncommented swap lines in /etc/fstab.
    pub swap_fstab: usize,
    /// Per asked service: (enabled state, active state).
    pub services: BTreeMap<String, (String, String)>,
    /// Per asked file: its state, None when absent.
    pub files: BTreeMap<String, Option<FileState>>,
    /// Whether /proc/sys is mounted read-only (containers).
    pub proc_sys_read_only: bool,
}

/// What to look at besides the facts.
#[derive(Debug, Default, Clone)]
pub struct Ask {
    /// Packages to check.
    pub packages: Vec<String>,
    /// sysctl keys whose live value to read.
    pub sysctl_keys: Vec<String>,
    /// Modules whose load state to read.
    pub modules: Vec<String>,
    /// Services to check.
    pub services: Vec<String>,
    /// Files to check.
    pub files: Vec<String>,
}

impl Ask {
    /// Everything `spec` manages, plus what `extra` (the prior spec) managed.
    pub fn for_specs(spec: &NodeSpec, extra: Option<&NodeSpec>) -> Ask {
        let mut a = Ask::default();
        for s in std::iter::once(spec).chain(extra) {
            a.packages.extend(s.packages.iter().cloned());
            a.sysctl_keys.extend(s.sysctl.keys().cloned());
            a.modules.extend(s.kernel_modules.iter().cloned());
            a.services.extend(s.services.iter().cloned());
            a.files.extend(s.files.keys().cloned());
        }
        for v in [
            &mut a.packages,
            &mut a.sysctl_keys,
            &mut a.modules,
            &mut a.services,
            &mut a.files,
        ] {
            v.sort();
            v.dedup();
        }
        a
    }
}

fn words(items: &[String]) -> String {
    items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ")
}

/// The probe script. Every name in it is shell-quoted; sections start with
/// a line `@@name`.
pub fn script(ask: &Ask) -> String {
    let pk = words(&ask.packages);
    let sk = words(&ask.sysctl_keys);
    let mk = words(&ask.modules);
    let sv = words(&ask.services);
    let fl = words(&ask.files);
    format!(
        r#"export LC_ALL=C
echo @@facts
ID=; VERSION_ID=; [ -r /etc/os-release ] && . /etc/os-release
printf 'os_id=%s\nos_version=%s\narch=%s\nkernel=%s\nhostname=%s\n' "$ID" "$VERSION_ID" "$(uname -m)" "$(uname -r)" "$(uname -n)"
printf 'cpus=%s\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
awk '/^MemTotal:/ {{ printf "memory_mb=%d\n", $2/1024 }}' /proc/meminfo
mgr=
for m in apt-get dnf zypper apk; do if command -v $m >/dev/null 2>&1; then mgr=$m; break; fi; done
printf 'package_manager=%s\n' "$mgr"
grep -q ' /proc/sys proc ro[, ]' /proc/mounts && echo proc_sys_ro=1
echo @@packages
set -- {pk}
if [ $# -gt 0 ]; then
  case "$mgr" in
    apt-get) dpkg-query -W -f='${{Package}} ${{db:Status-Abbrev}}\n' -- "$@" 2>/dev/null | awk '$2 ~ /^ii/ {{ print $1 }}' ;;
    dnf|zypper) rpm -q --qf '%{{NAME}}\n' -- "$@" 2>/dev/null | grep -v ' ' ;;
    apk) apk info -e -- "$@" 2>/dev/null ;;
  esac
fi
echo @@sysctl_file
[ -f {sf} ] && cat {sf} && printf '\n@@sysctl_file_present\n'
echo @@sysctl_live
for k in {sk}; do if v=$(sysctl -n -- "$k" 2>/dev/null); then printf '%s=%s\n' "$k" "$v"; else printf '%s\n' "$k"; fi; done
echo @@modules_file
[ -f {mf} ] && cat {mf} && printf '\n@@modules_file_present\n'
echo @@modules_loaded
for m in {mk}; do [ -d "/sys/module/$(printf %s "$m" | tr - _)" ] && printf '%s\n' "$m"; done
echo @@swap
tail -n +2 /proc/swaps 2>/dev/null | grep -c . || true
awk '!/^[[:space:]]*#/ && $3 == "swap"' /etc/fstab 2>/dev/null | grep -c . || true
echo @@services
for s in {sv}; do printf '%s %s %s\n' "$s" "$(systemctl is-enabled -- "$s" 2>/dev/null || true)" "$(systemctl is-active -- "$s" 2>/dev/null || true)"; done
echo @@files
for f in {fl}; do
  if [ -f "$f" ]; then printf '%s %s %s\n' "$(sha256sum -- "$f" | cut -c1-64)" "$(stat -c '%a %U %G' -- "$f")" "$f"
  else printf 'absent - - - %s\n' "$f"; fi
done
echo @@end
"#,
        sf = quote(SYSCTL_FILE),
        mf = quote(MODULES_FILE),
    )
}

/// Runs the probe on `session`.
pub async fn probe(session: &Session, ask: &Ask) -> Result<Observed, SshError> {
    let s = script(ask);
    let out = session.script(&s, &[]).await?;
    let text = out.stdout_text();
    if !out.success() || !text.contains("@@end") {
        return Err(session.failed("probe of the node's state", &out));
    }
    Ok(parse(&text))
}

/// Parses the probe's output.
pub fn parse(text: &str) -> Observed {
    let mut o = Observed::default();
    let mut section = "";
    let mut sysctl_lines = Vec::new();
    let mut module_lines = Vec::new();
    let mut swap_counts = Vec::new();
    let mut sysctl_present = false;
    let mut modules_present = false;
    for line in text.lines() {
        if let Some(s) = line.strip_prefix("@@") {
            match s {
                "sysctl_file_present" => sysctl_present = true,
                "modules_file_present" => modules_present = true,
                _ => section = s,
            }
            continue;
        }
        match section {
            "facts" => {
                let (k, v) = line.split_once('=').unwrap_or((line, ""));
                let f = &mut o.facts;
                match k {
                    "os_id" => f.os_id = v.into(),
                    "os_version" => f.os_version = v.into(),
                    "arch" => f.arch = v.into(),
                    "kernel" => f.kernel = v.into(),
                    "hostname" => f.hostname = v.into(),
                    "cpus" => f.cpus = v.trim().parse().unwrap_or(0),
                    "memory_mb" => f.memory_mb = v.trim().parse().unwrap_or(0),
                    "package_manager" => f.package_manager = v.into(),
                    "proc_sys_ro" => o.proc_sys_read_only = true,
                    _ => {}
                }
            }
            "packages" if !line.is_empty() => {
                o.installed
                    .insert(line.split(':').next().unwrap_or(line).to_string());
            }
            "sysctl_file" => sysctl_lines.push(line.to_string()),
            "sysctl_live" => match line.split_once('=') {
                Some((k, v)) => {
                    o.sysctl_live
                        .insert(k.to_string(), Some(normalize_sysctl(v)));
                }
                None => {
                    o.sysctl_live.insert(line.to_string(), None);
                }
            },
            "modules_file" => module_lines.push(line.to_string()),
            "modules_loaded" => {
                o.modules_loaded.insert(line.to_string());
            }
            "swap" => swap_counts.push(line.trim().parse::<usize>().unwrap_or(0)),
            "services" => {
                let mut it = line.splitn(3, ' ');
                if let (Some(n), Some(e), Some(a)) = (it.next(), it.next(), it.next()) {
                    o.services
                        .insert(n.to_string(), (e.to_string(), a.to_string()));
                }
            }
            "files" => {
                let mut it = line.splitn(5, ' ');
                let sha = it.next().unwrap_or_default();
                let mode = it.next().unwrap_or_default();
                let owner = it.next().unwrap_or_default();
                let group = it.next().unwrap_or_default();
                let path = it.next().unwrap_or_default().to_string();
                let state = (sha != "absent").then(|| FileState {
                    sha256: sha.to_string(),
                    mode: mode.to_string(),
                    owner: owner.to_string(),
                    group: group.to_string(),
                });
                o.files.insert(path, state);
            }
            _ => {}
        }
    }
    let meaningful = |l: &&String| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with(';')
    };
    if sysctl_present {
        o.sysctl_file = Some(
            sysctl_lines
                .iter()
                .filter(meaningful)
                .map(|l| {
                    let (k, v) = l.split_once('=').unwrap_or((l, ""));
                    (
                        k.trim().trim_start_matches('-').to_string(),
                        normalize_sysctl(v),
                    )
                })
                .collect(),
        );
    }
    if modules_present {
        o.modules_file = Some(
            module_lines
                .iter()
                .filter(meaningful)
                .map(|l| l.trim().to_string())
                .collect(),
        );
    }
    o.swap_active = swap_counts.first().copied().unwrap_or(0);
    o.swap_fstab = swap_counts.get(1).copied().unwrap_or(0);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_script_is_valid_shell() {
        let ask = Ask {
            packages: vec!["a'b".into()],
            sysctl_keys: vec!["vm.swappiness".into()],
            modules: vec!["overlay".into()],
            services: vec!["ssh".into()],
            files: vec!["/etc/a b".into()],
        };
        let out = std::process::Command::new("sh")
            .args(["-n", "-c", &script(&ask)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn parses_every_section() {
        let text = "@@facts\nos_id=debian\nos_version=12\ncpus=2\nmemory_mb=1024\npackage_manager=apt-get\nproc_sys_ro=1\n\
@@packages\ntree\n@@sysctl_file\n# header\nvm.swappiness = 10\n@@sysctl_file_present\n@@sysctl_live\nvm.swappiness=60\nno.such\n\
@@modules_file\n@@modules_loaded\noverlay\n@@swap\n0\n1\n@@services\nrpcbind enabled active\n\
@@files\nabc 644 root root /etc/a b\nabsent - - - /etc/c\n@@end\n";
        let o = parse(text);
        assert_eq!(o.facts.os_id, "debian");
        assert_eq!(o.facts.cpus, 2);
        assert!(o.proc_sys_read_only);
        assert!(o.installed.contains("tree"));
        assert_eq!(
            o.sysctl_file,
            Some(vec![("vm.swappiness".into(), "10".into())])
        );
        assert_eq!(o.sysctl_live["vm.swappiness"], Some("60".into()));
        assert_eq!(o.sysctl_live["no.such"], None);
        assert_eq!(o.modules_file, None);
        assert_eq!((o.swap_active, o.swap_fstab), (0, 1));
        assert_eq!(o.services["rpcbind"], ("enabled".into(), "active".into()));
        assert_eq!(o.files["/etc/a b"].as_ref().unwrap().mode, "644");
        assert_eq!(o.files["/etc/c"], None);
    }
}
