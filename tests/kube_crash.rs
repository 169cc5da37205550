//! Crash and fault torture of `strata apply` on kube-sim: kill -9 at random
//! moments, and an API server that answers 503 and 429 and drops
//! connections. After each, state parses, and one more apply converges with
//! nothing duplicated or orphaned.

mod common;

use common::*;
use kube_sim::config::FaultConfig;
use rand::RngExt;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Writes a stack of `count` ConfigMaps whose data carries `round`.
fn write_stack(dir: &Path, count: usize, round: usize) {
    let mut yaml = String::new();
    for i in 0..count {
        yaml += &format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: torture\ndata:\n  round: \"{round}\"\n  index: \"{i}\"\n"
        );
    }
    std::fs::write(dir.join("objects.yaml"), yaml).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        "[stack]\nname = \"torture\"\ncluster = { kubeconfig = \"${vars.kubeconfig}\" }\n\n[vars]\nkubeconfig = \"\"\n\n[manifest.objects]\nfiles = [\"objects.yaml\"]\n",
    )
    .unwrap();
}

/// The names of the torture ConfigMaps in the API.
fn api_names(kubectl: &Kubectl) -> BTreeSet<String> {
    let list = kubectl.json(&["-n", "torture", "get", "configmaps"]);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .filter(|n| n.starts_with("cm-"))
        .map(str::to_string)
        .collect()
}

/// The names of the ConfigMaps state records.
fn state_names(path: &Path) -> BTreeSet<String> {
    state(path)
        .resources
        .values()
        .filter(|r| r.attributes["kind"] == "ConfigMap")
        .filter_map(|r| {
            r.attributes["metadata"]["name"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// What an operator does after a kill -9: the dead run's lock is stale, and
/// `strata force-unlock ID` clears it (the lock file names the ID).
fn clear_stale_lock(st_path: &Path, st: &str) {
    let lock = strata_engine::LocalBackend::new(st_path).lock_path();
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return; // killed before it locked, or after it unlocked
    };
    let info: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = info["id"].as_str().expect("the lock names its ID");
    expect(0, &["force-unlock", id, "--state", st]);
}

fn apply_args<'a>(stack: &'a str, kc: &'a str, st: &'a str) -> Vec<&'a str> {
    vec!["apply", stack, "--var", kc, "--state", st, "--auto-approve"]
}

#[test]
fn kill_9_at_random_moments_then_converge() {
    let sim = sim_with(|c| c.faults.latency = Duration::from_millis(3));
    let kubectl = Kubectl::new(&sim);
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().to_str().unwrap().to_string();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let st_path = dir.path().join("state.json");
    let st = st_path.to_str().unwrap().to_string();
    let bin = assert_cmd::cargo::cargo_bin("strata");

    // A full run without interruption tells how long one takes.
    write_stack(dir.path(), 120, 0);
    let started = Instant::now();
    expect(0, &apply_args(&stack, &kc, &st));
    let full = started.elapsed();

    let mut rng = rand::rng();
    let mut kills = 0;
    let mut last = (120, 0);
    // Until 20 runs were killed mid-apply (a run that finishes before its
    // kill still counts as a round: it updates what the next one changes).
    let mut round = 0;
    while kills < 20 && round < 60 {
        round += 1;
        // Alternate sizes so runs create, update and delete.
        let count = if round % 3 == 0 { 80 } else { 120 };
        write_stack(dir.path(), count, round);
        last = (count, round);
        let mut child = Command::new(&bin)
            .args(apply_args(&stack, &kc, &st))
            .envs(SECRETS.iter().copied())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = full.mul_f64(rng.random_range(0.02..0.6));
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            kills += 1;
        }
        child.wait().unwrap();
        // Whatever moment it died at, state parses.
        let s = state(&st_path);
        assert!(s.serial > 0);
        clear_stale_lock(&st_path, &st);
    }
    assert!(
        kills >= 20,
        "only {kills} runs were killed mid-apply; the runs are too fast to torture"
    );

    // One more apply converges: nothing left to do, nothing duplicated, nothing orphaned.
    let (count, _) = last;
    expect(0, &apply_args(&stack, &kc, &st));
    expect(
        0,
        &[
            "plan",
            &stack,
            "--var",
            &kc,
            "--state",
            &st,
            "--detailed-exitcode",
        ],
    );
    let want: BTreeSet<String> = (0..count).map(|i| format!("cm-{i}")).collect();
    assert_eq!(
        api_names(&kubectl),
        want,
        "the API holds exactly the stack's objects"
    );
    assert_eq!(
        state_names(&st_path),
        want,
        "state records exactly the stack's objects"
    );
    let round = last.1.to_string();
    let list = kubectl.json(&["-n", "torture", "get", "configmaps"]);
    for o in list["items"].as_array().unwrap() {
        if o["metadata"]["name"].as_str().unwrap().starts_with("cm-") {
            assert_eq!(o["data"]["round"], round.as_str(), "{o}");
        }
    }
}

#[test]
fn faults_503_429_and_dropped_connections_still_converge() {
    let sim = sim_with(|c| {
        c.faults = FaultConfig {
            latency: Duration::from_millis(2),
            unavailable_rate: 0.05,
            throttle_rate: 0.05,
            drop_rate: 0.02,
            ..FaultConfig::default()
        }
    });
    let kubectl = Kubectl::new(&sim);
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().to_str().unwrap().to_string();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let st_path = dir.path().join("state.json");
    let st = st_path.to_str().unwrap().to_string();
    write_stack(dir.path(), 150, 1);
    expect(0, &apply_args(&stack, &kc, &st));
    // With the faults still on, the plan and the audit see no difference.
    expect(
        0,
        &[
            "plan",
            &stack,
            "--var",
            &kc,
            "--state",
            &st,
            "--detailed-exitcode",
        ],
    );
    expect(
        0,
        &[
            "refresh",
            &stack,
            "--var",
            &kc,
            "--state",
            &st,
            "--exit-code",
        ],
    );
    sim.set_faults(FaultConfig::default());
    let want: BTreeSet<String> = (0..150).map(|i| format!("cm-{i}")).collect();
    assert_eq!(api_names(&kubectl), want);
    assert_eq!(state_names(&st_path), want);
}
