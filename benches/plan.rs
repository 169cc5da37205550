//! Plan benchmark: a generated stack of about N resources (apps of seven
//! Kubernetes objects each on a one-node cluster), planned by the release
//! `strata` binary from empty state and against matching state (zero changes),
//! offline: the generated node's address is made up, and the plan is measured,
//! not an SSH timeout.
//! Prints wall time (best of 3) and peak memory of each run, and the growth
//! from 10,000 to 20,000 resources. Run with `cargo bench --bench plan`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use strata_engine::state::{ResourceState, ResourceStatus, State};
use strata_engine::LocalBackend;

/// Writes a stack of `apps` apps (7 objects each) plus one node and k3s server.
fn generate(dir: &Path, apps: usize) {
    let mut s = String::from(
        "[stack]\nname = \"bench\"\n\n[vars]\ntag = \"1.0\"\n\n[node.n1]\naddress = \"10.9.0.1\"\nrole = \"server\"\n\n[k3s.main]\nversion = \"v1.31.4+k3s1\"\n",
    );
    for i in 0..apps {
        s.push_str(&format!(
            "\n[app.svc-{i}]\nimage = \"registry.example.com/svc-{i}:${{vars.tag}}\"\nnamespace = \"bench\"\nport = 8000\nhealth = \"/health\"\nautoscaling = {{ min = 2, max = 4, cpu = 70 }}\ndisruption = {{ min_available = 1 }}\nallow = [\"ha/spread-replicas\"]\nenv = {{ LOG_LEVEL = \"info\", INDEX = \"{i}\" }}\nresources = {{ requests = {{ cpu = \"100m\", memory = \"128Mi\" }} }}\n"
        ));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("stack.toml"), s).unwrap();
}

/// A state recording exactly what the stack wants.
fn matching_state(stack_dir: &Path, path: &Path) -> usize {
    let stack =
        strata_stack::load(stack_dir, &Default::default()).expect("generated stack is valid");
    let mut state = State::new();
    for r in &stack.expanded.resources {
        state.resources.insert(
            r.address.clone(),
            ResourceState {
                rtype: r.rtype,
                attributes: r.attributes.clone(),
                sensitive: Default::default(),
                dependencies: r.depends_on.clone(),
                status: ResourceStatus::Ready,
                protect: false,
            },
        );
    }
    LocalBackend::new(path).save(&state).unwrap();
    stack.expanded.resources.len()
}

/// Runs `strata plan` in a child and returns (seconds, peak RSS in MiB) of
/// that child alone (wait4 reports each child's own resource usage).
fn measure(stack: &Path, state: &Path) -> (f64, f64) {
    let start = Instant::now();
    // Reaped with wait4 below, which also reports this child's own usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("plan")
        .arg("--offline")
        .arg(stack)
        .arg("--state")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "strata plan failed"
    );
    (secs, usage.ru_maxrss as f64 / 1024.0)
}

fn main() {
    // The matching state is built in a child process of this benchmark, so
    // that the memory it takes never shows up in the measured children (a
    // forked child starts with its parent's resident pages).
    if let Ok(job) = std::env::var("STRATA_BENCH_MAKE_STATE") {
        let (stack, state) = job.split_once('\n').expect("stack\\nstate");
        let n = matching_state(Path::new(stack), Path::new(state));
        println!("{n}");
        return;
    }
    // STRATA_BENCH_DIR keeps the generated stacks and states for profiling.
    let keep = std::env::var_os("STRATA_BENCH_DIR").map(PathBuf::from);
    let tmp = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("strata-bench-{}", std::process::id()))
    });
    let mut results = Vec::new();
    for apps in [1428usize, 2857] {
        let dir: PathBuf = tmp.join(format!("stack-{apps}"));
        generate(&dir, apps);
        let state = tmp.join(format!("state-{apps}.json"));
        let out = Command::new(std::env::current_exe().unwrap())
            .env(
                "STRATA_BENCH_MAKE_STATE",
                format!("{}\n{}", dir.display(), state.display()),
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "building the matching state failed");
        let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let none = tmp.join("absent.json");
        for (label, st) in [("empty state", &none), ("matching state", &state)] {
            let mut best = f64::MAX;
            let mut rss: f64 = 0.0;
            for _ in 0..3 {
                let (t, m) = measure(&dir, st);
                best = best.min(t);
                rss = rss.max(m);
            }
            println!("plan {n:>6} resources, {label:<14}: {best:.3} s, peak RSS {rss:.0} MiB");
            results.push((n, label, best));
        }
    }
    for label in ["empty state", "matching state"] {
        let t: Vec<f64> = results
            .iter()
            .filter(|r| r.1 == label)
            .map(|r| r.2)
            .collect();
        println!("growth 10k -> 20k ({label}): {:.2}x", t[1] / t[0]);
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
