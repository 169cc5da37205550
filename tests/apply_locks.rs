//! Two `strata apply` runs of one stack at once, on the local backend and on
//! a real PostgreSQL: exactly one proceeds, the other fails fast naming the
//! holder. A holder killed with SIGKILL: on the local backend the next run
//! reports a stale lock and how to clear it; on PostgreSQL the server
//! releases it and the next run proceeds by itself.

mod common;

use common::*;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strata_engine::state::test_support::TestDatabase;

/// A stack of `n` ConfigMaps on the cluster of `--var kubeconfig`, state in `state`.
fn write_stack(dir: &Path, state: &str, n: usize) {
    let yaml: String = (0..n)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lock-{i}\n  namespace: default\ndata:\n  i: \"{i}\"\n"))
        .collect();
    std::fs::write(dir.join("objects.yaml"), yaml).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        format!("[stack]\nname = \"locks\"\ncluster = {{ kubeconfig = \"${{vars.kubeconfig}}\" }}\n{state}\n\n[vars]\nkubeconfig = \"\"\n\n[manifest.objects]\nfiles = [\"objects.yaml\"]\n"),
    )
    .unwrap();
}

/// Starts `strata apply` and returns once it has begun changing things (it holds the lock).
fn start_apply(stack: &str, kc: &str, env: &[(&str, &str)]) -> Child {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .args([
            "apply",
            stack,
            "--var",
            kc,
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "apply ended before changing anything"
        );
        if line.contains(": created") {
            break;
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    child
}

/// A second apply while the first holds the lock: refused fast, naming the holder.
fn second_is_refused(stack: &str, kc: &str, env: &[(&str, &str)], holder: u32) -> String {
    let started = Instant::now();
    let mut cmd = strata();
    cmd.envs(env.iter().copied());
    let out = cmd
        .args(["apply", stack, "--var", kc, "--auto-approve"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is locked by")
            && err.contains(&format!("pid {holder}"))
            && err.contains("`apply`"),
        "{err}"
    );
    // The whole second process (start-up, stack, database login) included.
    assert!(took < Duration::from_secs(3), "refused only after {took:?}");
    err
}

fn lock_id(err: &str) -> String {
    err.split("lock ID ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the message names the lock ID")
        .trim_end_matches(',')
        .to_string()
}

#[test]
fn local_backend_one_apply_at_a_time_and_a_stale_lock_after_kill_9() {
    let sim = sim_with(|c| c.faults.latency = std::time::Duration::from_millis(30));
    let dir = tempfile::tempdir().unwrap();
    write_stack(dir.path(), "state = { backend = \"local\" }", 60);
    let stack = dir.path().to_str().unwrap();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let mut first = start_apply(stack, &kc, &[]);
    second_is_refused(stack, &kc, &[], first.id());
    first.kill().unwrap();
    first.wait().unwrap();
    // The holder is gone: the lock is reported stale, with the command that clears it.
    let (code, _, err) = run(&["apply", stack, "--var", &kc, "--auto-approve"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no longer runs") && err.contains("strata force-unlock"),
        "{err}"
    );
    let id = lock_id(&err);
    expect(0, &["force-unlock", &id, "--stack", stack]);
    let out = expect(0, &["apply", stack, "--var", &kc, "--auto-approve"]);
    assert!(out.contains("Apply complete"), "{out}");
    expect(0, &["plan", stack, "--var", &kc, "--detailed-exitcode"]);
}

#[test]
fn postgres_backend_one_apply_at_a_time_and_a_dead_holder_releases_by_itself() {
    let Some(db) = TestDatabase::create("apply_locks") else {
        return;
    };
    let sim = sim_with(|c| c.faults.latency = std::time::Duration::from_millis(30));
    let dir = tempfile::tempdir().unwrap();
    write_stack(
        dir.path(),
        "state = { backend = \"postgres\", url = { env = \"LOCKS_PG_URL\" } }",
        60,
    );
    let stack = dir.path().to_str().unwrap();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let env = [("LOCKS_PG_URL", db.url.as_str())];
    let mut first = start_apply(stack, &kc, &env);
    let err = second_is_refused(stack, &kc, &env, first.id());
    assert!(
        !err.contains(&db.url),
        "the URL (with its password) is never printed"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    // The server ended the dead holder's session and with it the lock.
    let mut cmd = strata();
    cmd.envs(env);
    let out = cmd
        .args(["apply", stack, "--var", &kc, "--auto-approve"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Apply complete"), "{stdout}");
    let mut cmd = strata();
    cmd.envs(env);
    let code = cmd
        .args(["plan", stack, "--var", &kc, "--detailed-exitcode"])
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(0));
}

#[test]
fn postgres_restarted_in_the_middle_of_an_apply_loses_nothing() {
    let Some(server) = strata_engine::state::test_support::TestServer::start() else {
        return;
    };
    let sim = sim_with(|c| c.faults.latency = std::time::Duration::from_millis(30));
    let dir = tempfile::tempdir().unwrap();
    write_stack(
        dir.path(),
        "state = { backend = \"postgres\", url = { env = \"RESTART_PG_URL\" } }",
        60,
    );
    let stack = dir.path().to_str().unwrap();
    let kc = format!("kubeconfig={}", sim.kubeconfig_path().display());
    let env = [("RESTART_PG_URL", server.url.as_str())];
    let first = start_apply(stack, &kc, &env);
    server.restart();
    let out = first.wait_with_output().unwrap();
    // It either carried on across the restart or stopped with a clear error.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("error:"),
        "exit {:?}: {stderr}",
        out.status
    );
    // Nothing was lost or half-written: state loads, and one more apply converges
    // to exactly the stack's objects.
    let mut cmd = strata();
    cmd.envs(env);
    let done = cmd
        .args(["apply", stack, "--var", &kc, "--auto-approve"])
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let mut cmd = strata();
    cmd.envs(env);
    let listed = cmd
        .args(["state", "list", "--stack", stack])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let configmaps = listed.lines().filter(|l| l.contains("/ConfigMap/")).count();
    assert_eq!(configmaps, 60, "{listed}");
    let kubectl = Kubectl::new(&sim);
    let live = kubectl.json(&["get", "configmaps"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["metadata"]["name"].as_str().unwrap().starts_with("lock-"))
        .count();
    assert_eq!(live, 60);
}
