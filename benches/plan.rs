//! Plan benchmark: a generated stack of about N resources (apps of seven
//! Kubernetes objects each on a one-node cluster), planned by the release
//! `strata` binary from empty state and against matching state (zero changes).
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
            "\n[app.svc-{i}]\nimage = \"registry.example.com/svc-{i}:${{vars.tag}}\"\nnamespace = \"bench\"\nport = 8000\nhealth = \"/health\"\nautoscaling = {{ min = 2, max = 4, cpu = 70 }}\ndisruption = {{ min_available = 1 }}\nenv = {{ LOG_LEVEL = \"info\", INDEX = \"{i}\" }}\nresources = {{ requests = {{ cpu = \"100m\", memory = \"128Mi\" }} }}\n"
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

/// Runs `strata plan` in a child and returns (seconds, peak RSS in MiB).
fn measure(stack: &Path, state: &Path) -> (f64, f64) {
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("plan")
        .arg(stack)
        .arg("--state")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success());
    // Peak RSS of the largest child waited for so far: runs go from small to large.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    (secs, usage.ru_maxrss as f64 / 1024.0)
}

fn main() {
    let tmp = std::env::temp_dir().join(format!("strata-bench-{}", std::process::id()));
    let mut results = Vec::new();
    for apps in [1428usize, 2857] {
        let dir: PathBuf = tmp.join(format!("stack-{apps}"));
        generate(&dir, apps);
        let state = tmp.join(format!("state-{apps}.json"));
        let n = matching_state(&dir, &state);
        let none = tmp.join("absent.json");
        for (label, st) in [("empty state", &none), ("matching state", &state)] {
            let mut best = f64::MAX;
            let mut rss = 0.0;
            for _ in 0..3 {
                let (t, m) = measure(&dir, st);
                best = best.min(t);
                rss = m;
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
    let _ = std::fs::remove_dir_all(&tmp);
}
