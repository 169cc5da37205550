//! Helpers for the end-to-end tests that run `strata` against kube-sim and a
//! real kubectl.

#![allow(dead_code)]

use assert_cmd::Command;
use kube_sim::{SimConfig, SimServer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared fixtures (`../shared/fixtures`).
pub fn fixtures() -> PathBuf {
    root().join("../shared/fixtures")
}

/// Secrets the production-like stacks read, as environment variables.
pub const SECRETS: &[(&str, &str)] = &[
    ("PG_PASSWORD", "app-pass-1"),
    ("PG_ADMIN_PASSWORD", "admin-pass-2"),
    ("PG_REPLICATION_PASSWORD", "repl-pass-3"),
    ("MINIO_ROOT_PASSWORD", "minio-pass-4"),
    ("GRAFANA_ADMIN_PASSWORD", "grafana-pass-5"),
];

/// A kube-sim server with the fixture CRDs and a short rollout delay.
pub fn sim() -> SimServer {
    sim_with(|_| {})
}

/// A kube-sim server after adjusting its configuration.
pub fn sim_with(adjust: impl FnOnce(&mut SimConfig)) -> SimServer {
    let mut config = SimConfig {
        fixtures_dir: Some(fixtures().join("k8s")),
        rollout_delay: Duration::from_millis(100),
        ..SimConfig::default()
    };
    adjust(&mut config);
    SimServer::start(config).expect("kube-sim starts")
}

/// `strata` with a clean environment (secrets set, no colors), run from the root.
pub fn strata() -> Command {
    let mut c = Command::cargo_bin("strata").unwrap();
    c.env_clear()
        .env("NO_COLOR", "1")
        .envs(SECRETS.iter().copied())
        .current_dir(root());
    c
}

/// Runs strata; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = strata().args(args).output().unwrap();
    decode(out)
}

fn decode(out: Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs strata and insists on exit code `code`.
pub fn expect(code: i32, args: &[&str]) -> String {
    let (c, out, err) = run(args);
    assert_eq!(
        c, code,
        "strata {args:?} exited {c}\nstdout:\n{out}\nstderr:\n{err}"
    );
    out
}

/// The real kubectl (`STRATA_KUBECTL`, or the one scripts/install-kubectl puts in target/venv).
pub fn kubectl_path() -> PathBuf {
    let path = std::env::var_os("STRATA_KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/venv/bin/kubectl"));
    assert!(
        path.is_file(),
        "kubectl not found at {}: run scripts/install-kubectl (or set STRATA_KUBECTL)",
        path.display()
    );
    path
}

/// A real kubectl bound to a kubeconfig, with its own HOME.
pub struct Kubectl {
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
}

impl Kubectl {
    /// kubectl for `server`.
    pub fn new(server: &SimServer) -> Self {
        Kubectl {
            kubeconfig: server.kubeconfig_path().to_path_buf(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs kubectl with extra environment; panics unless it succeeds.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = std::process::Command::new(kubectl_path())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.home.path())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs kubectl and returns its output, whatever its exit code.
    pub fn output(&self, args: &[&str]) -> Output {
        std::process::Command::new(kubectl_path())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.home.path())
            .output()
            .unwrap()
    }

    /// Runs kubectl; panics unless it succeeds.
    pub fn run(&self, args: &[&str]) -> String {
        self.run_env(args, &[])
    }

    /// `kubectl get ... -o json`.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.run(&a)).unwrap()
    }
}

/// Copies `rel` (a file or directory under the repository root) into `to`,
/// keeping its relative path, so relative includes keep working.
pub fn copy_tree(rel: &str, to: &Path) {
    let from = root().join(rel);
    let dest = to.join(rel);
    copy_dir(&from, &dest);
}

fn copy_dir(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        copy_dir(&e.path(), &to.join(e.file_name()));
    }
}

/// Reads a state file.
pub fn state(path: &Path) -> strata_engine::State {
    strata_engine::LocalBackend::new(path)
        .read_state()
        .expect("state parses")
        .expect("state exists")
}

/// Installs the operators' CRDs (Strimzi, CloudNativePG, monitoring, Argo CD)
/// from the fixtures, as their charts would, and waits until they are served.
pub fn install_operator_crds(kubectl: &Kubectl) {
    let crds = fixtures().join("k8s");
    for prefix in [
        "crd-strimzi-",
        "crd-cnpg-",
        "crd-monitoring-",
        "crd-argoproj-",
    ] {
        let files = kube_sim::manifests::files_with_prefix(&crds, prefix);
        assert!(!files.is_empty(), "no {prefix}*.yaml in {}", crds.display());
        for f in files {
            kubectl.run(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
        }
    }
    kubectl.run(&[
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd",
        "--all",
    ]);
}
