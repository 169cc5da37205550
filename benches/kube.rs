//! Kubernetes benchmarks against kube-sim (no injected latency), with the
//! release `strata` binary:
//!
//! - apply of 1,000 independent ConfigMaps from empty state, end to end, with
//!   every change's intent and result durable in state: objects per second;
//! - refresh of those 1,000 objects (one LIST per kind and namespace) against
//!   a real `kubectl get -f` of the same objects on the same server, run in
//!   turn so both see the same machine: wall time of each and the ratio.
//!
//! - the same apply with the PostgreSQL state backend against the local one
//!   (when a server is given, as `scripts/with-postgres` does): the overhead.
//!
//! Run with `scripts/with-postgres cargo bench --bench kube` (needs
//! `scripts/install-kubectl`).

use kube_sim::{SimConfig, SimServer};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The in-process kube-sim allocates as the `kube-sim` binary does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OBJECTS: usize = 1000;
const RUNS: usize = 5;
/// Refreshes are short: more rounds give a steadier median.
const REFRESH_RUNS: usize = 15;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write_stack(dir: &Path, round: usize) -> PathBuf {
    write_stack_with(dir, round, "")
}

/// The stack of [`write_stack`], with `extra` lines in its `[stack]` table.
fn write_stack_with(dir: &Path, round: usize, extra: &str) -> PathBuf {
    let mut yaml = String::new();
    for i in 0..OBJECTS {
        yaml += &format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: bench\ndata:\n  round: \"{round}\"\n"
        );
    }
    std::fs::write(dir.join("objects.yaml"), &yaml).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        format!("[stack]\nname = \"bench\"\ncluster = {{ kubeconfig = \"${{vars.kubeconfig}}\" }}\n{extra}\n[vars]\nkubeconfig = \"\"\n\n[manifest.objects]\nfiles = [\"objects.yaml\"]\n"),
    )
    .unwrap();
    dir.join("objects.yaml")
}

fn strata(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "strata {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn kubectl(kubectl: &Path, kubeconfig: &Path, home: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(kubectl)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let kubectl_bin = std::env::var_os("STRATA_KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/venv/bin/kubectl"));
    assert!(
        kubectl_bin.is_file(),
        "kubectl not found at {}: run scripts/install-kubectl",
        kubectl_bin.display()
    );
    let sim = SimServer::start(SimConfig::default()).expect("kube-sim starts");
    let kc = sim.kubeconfig_path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let stack = dir.path().to_str().unwrap().to_string();
    let var = format!("kubeconfig={}", kc.display());

    // Apply: each run starts from empty state and an empty namespace.
    let mut rates = Vec::new();
    for run in 0..RUNS {
        let state = dir.path().join(format!("state-{run}.json"));
        let st = state.to_str().unwrap();
        write_stack(dir.path(), run);
        let took = strata(&[
            "apply",
            &stack,
            "--var",
            &var,
            "--state",
            st,
            "--auto-approve",
        ]);
        let rate = OBJECTS as f64 / took.as_secs_f64();
        println!(
            "apply {OBJECTS} ConfigMaps: {:.2} s, {rate:.0} objects/s",
            took.as_secs_f64()
        );
        rates.push(rate);
        if run + 1 < RUNS {
            strata(&[
                "destroy",
                &stack,
                "--var",
                &var,
                "--state",
                st,
                "--auto-approve",
            ]);
        }
    }
    println!(
        "apply: median {:.0} objects/s over {RUNS} runs (goal: at least 500)",
        median(rates)
    );

    // Refresh against kubectl get of the same objects, in turn.
    let state = dir.path().join(format!("state-{}.json", RUNS - 1));
    let st = state.to_str().unwrap();
    let objects = dir.path().join("objects.yaml");
    let objects = objects.to_str().unwrap();
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..REFRESH_RUNS {
        let a = strata(&[
            "refresh",
            &stack,
            "--var",
            &var,
            "--state",
            st,
            "--exit-code",
        ])
        .as_secs_f64();
        let b = kubectl(
            &kubectl_bin,
            &kc,
            home.path(),
            &["get", "-f", objects, "-o", "json"],
        )
        .as_secs_f64();
        ours.push(a);
        theirs.push(b);
        ratios.push(b / a);
    }
    println!(
        "refresh of {OBJECTS} objects over {REFRESH_RUNS} rounds: strata median {:.3} s, kubectl get -f median {:.3} s: strata {:.1}x faster (goal: at least 10x)",
        median(ours),
        median(theirs),
        median(ratios)
    );

    // The same apply with the PostgreSQL state backend against the local
    // one, alternating runs so both see the same machine.
    let Some(db) = strata_engine::state::test_support::TestDatabase::create("bench_kube") else {
        println!("apply with the PostgreSQL backend: skipped (set STRATA_TEST_PG_URL, or run under scripts/with-postgres)");
        return;
    };
    std::env::set_var("BENCH_PG_URL", &db.url);
    let (mut local, mut pg) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        for postgres in [false, true] {
            let state = dir.path().join(format!("state-backend-{run}.json"));
            let st = state.to_str().unwrap();
            let extra = if postgres {
                "state = { backend = \"postgres\", url = { env = \"BENCH_PG_URL\" } }\n"
            } else {
                ""
            };
            write_stack_with(dir.path(), 100 + run, extra);
            let mut args = vec!["apply", &stack, "--var", &var, "--auto-approve"];
            if !postgres {
                args.extend(["--state", st]);
            }
            let took = strata(&args).as_secs_f64();
            if postgres { &mut pg } else { &mut local }.push(took);
            args[0] = "destroy";
            strata(&args);
        }
    }
    let (local, pg) = (median(local), median(pg));
    println!(
        "apply {OBJECTS} ConfigMaps: local state median {local:.3} s, PostgreSQL state median {pg:.3} s: PostgreSQL adds {:+.0}% (goal: at most +20%)",
        (pg / local - 1.0) * 100.0
    );
}
