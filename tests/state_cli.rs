//! End-to-end tests of the state commands and locks through the `strata`
//! binary, on the local backend and on a real PostgreSQL (skipped with a
//! printed reason outside CI when there is none).

use assert_cmd::Command;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use strata_engine::state::test_support::TestDatabase;
use strata_engine::state::{OutputState, ResourceState, ResourceStatus, State};
use strata_engine::{Address, LocalBackend, ResourceType};

fn strata(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("strata").unwrap();
    // The repository's stacks name real-looking hosts (10.0.0.x): these
    // tests plan from stack and state alone and never try to reach them.
    c.env_clear()
        .env("NO_COLOR", "1")
        .env("STRATA_OFFLINE", "1")
        .current_dir(cwd);
    c
}

/// A stack directory `dir/stack` with `state` as its `[stack] state` line.
fn stack(dir: &Path, state: &str) -> PathBuf {
    let s = dir.join("stack");
    std::fs::create_dir_all(&s).unwrap();
    std::fs::write(
        s.join("stack.toml"),
        format!("[stack]\nname = \"shop\"\n{state}\n\n[node.server-1]\naddress = \"10.0.0.11\"\nrole = \"server\"\n\n[k3s.main]\nversion = \"v1.31.4+k3s1\"\n"),
    )
    .unwrap();
    s
}

/// A state with a few resources, multi-line attributes and outputs.
fn sample() -> State {
    let mut s = State::new();
    s.serial = 7;
    for (i, name) in [
        "node.server-1",
        "k3s.main/server/server-1",
        "app.api/ConfigMap",
    ]
    .iter()
    .enumerate()
    {
        s.resources.insert(
            Address::new(*name),
            ResourceState {
                rtype: if i == 0 {
                    ResourceType::Node
                } else {
                    ResourceType::K8sObject
                },
                attributes: json!({"n": i, "config": "a: 1\nb: \"ü\"\n", "list": [3, 1, 2], "z": null, "a": {"y": 1, "x": 2}}),
                sensitive: [("data.password".to_string(), "sha256:abc".to_string())].into(),
                dependencies: if i == 0 { vec![] } else { vec![Address::new("node.server-1")] },
                status: if i == 2 {
                    ResourceStatus::Pending { action: "create".into() }
                } else {
                    ResourceStatus::Ready
                },
                protect: i == 1,
            },
        );
    }
    s.outputs.insert(
        "endpoint".into(),
        OutputState {
            value: json!("https://10.0.0.10:6443"),
            sensitive: false,
        },
    );
    s.outputs.insert(
        "token".into(),
        OutputState {
            value: json!("(sensitive)"),
            sensitive: true,
        },
    );
    s
}

/// Waits until the state's lock is held, asking `force-unlock` with an ID
/// that matches nothing (its error names the holder, if any).
fn wait_locked(cwd: &Path, where_args: &[&str], envs: &[(&str, &str)]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = strata(cwd)
            .envs(envs.iter().copied())
            .args(["force-unlock", "probe"])
            .args(where_args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("it is locked by") {
            return err;
        }
        assert!(Instant::now() < deadline, "never locked: {err}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `strata state push -` holding the lock while it waits for its input.
fn holder(cwd: &Path, where_args: &[&str], envs: &[(&str, &str)]) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .env_clear()
        .envs(envs.iter().copied())
        .current_dir(cwd)
        .args(["state", "push", "-"])
        .args(where_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kills the child when the test ends, even on failure.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lock_id(err: &str) -> String {
    let at = err.find("lock ID ").expect("a lock ID") + "lock ID ".len();
    err[at..]
        .split(|c: char| c.is_whitespace() || c == ')' || c == ',')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn pull_rm_mv_and_push_round_trip_on_a_local_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = stack(dir.path(), "");
    // The default state file lives under the stack's own directory, whatever
    // the working directory is.
    let path = s.join("state/shop.json");
    let state = sample();
    LocalBackend::new(&path).save(&state).unwrap();
    let pulled = strata(dir.path())
        .args(["state", "pull", "--stack", "stack"])
        .output()
        .unwrap();
    assert!(pulled.status.success(), "{pulled:?}");
    assert_eq!(String::from_utf8(pulled.stdout).unwrap(), state.to_json());
    let list = strata(&s).args(["state", "list"]).output().unwrap();
    assert_eq!(
        String::from_utf8(list.stdout).unwrap(),
        "app.api/ConfigMap  (pending create)\nk3s.main/server/server-1\nnode.server-1\n"
    );

    strata(dir.path())
        .args([
            "state",
            "mv",
            "node.server-1",
            "node.main-1",
            "--stack",
            "stack",
        ])
        .assert()
        .success();
    let after = LocalBackend::new(&path).read_state().unwrap().unwrap();
    assert_eq!(after.serial, 8);
    assert_eq!(after.lineage, state.lineage);
    assert!(after.resources.contains_key(&Address::new("node.main-1")));
    assert_eq!(
        after.resources[&Address::new("k3s.main/server/server-1")].dependencies,
        vec![Address::new("node.main-1")],
        "dependencies follow the move"
    );
    let out = strata(dir.path())
        .args(["state", "rm", "node.main", "--stack", "stack"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("did you mean node.main-1?"), "{err}");
    strata(dir.path())
        .args(["state", "rm", "node.main-1", "--stack", "stack"])
        .assert()
        .success();
    assert_eq!(
        LocalBackend::new(&path)
            .read_state()
            .unwrap()
            .unwrap()
            .resources
            .len(),
        2
    );

    // Pushing the original back: older than what is stored, so refused
    // without --force; with it, it lands at a serial above both.
    let backup = dir.path().join("backup.json");
    std::fs::write(&backup, state.to_json()).unwrap();
    let out = strata(dir.path())
        .args(["state", "push", "backup.json", "--stack", "stack"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("older than") && err.contains("help:"), "{err}");
    strata(dir.path())
        .args([
            "state",
            "push",
            "backup.json",
            "--force",
            "--stack",
            "stack",
        ])
        .assert()
        .success();
    let now = LocalBackend::new(&path).read_state().unwrap().unwrap();
    assert_eq!(now.resources, state.resources);
    assert_eq!(now.serial, 10, "one more than the stored 9");
    // Another lineage is refused.
    std::fs::write(&backup, State::new().to_json()).unwrap();
    let out = strata(dir.path())
        .args(["state", "push", "backup.json", "--stack", "stack"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("lineage"));
}

/// Runs the lock scenario on one backend: a holder blocks, a second writer
/// fails within a second naming it; then the holder is killed with SIGKILL.
/// Returns the second writer's message after the kill.
fn contend_then_kill(cwd: &Path, where_args: &[&str], envs: &[(&str, &str)]) -> (String, String) {
    let mut h = Reap(holder(cwd, where_args, envs));
    let probe = wait_locked(cwd, where_args, envs);
    let started = Instant::now();
    let out = strata(cwd)
        .envs(envs.iter().copied())
        .args(["state", "rm", "node.server-1"])
        .args(where_args)
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    // It fails at once rather than waiting. (The backend tests hold the
    // refusal itself to one second; here a process start, a stack load and a
    // debug build's database login come on top.)
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let pid = h.0.id();
    for part in [
        format!("(pid {pid})"),
        "running `state push`".to_string(),
        "@".to_string(),
        lock_id(&probe),
    ] {
        assert!(err.contains(&part), "{part} missing: {err}");
    }
    assert!(err.contains(" since 20"), "created time missing: {err}");
    // SIGKILL while it holds the lock.
    h.0.kill().unwrap();
    h.0.wait().unwrap();
    let _ = h.0.stdin.take().map(|mut i| i.write_all(b""));
    let out = strata(cwd)
        .envs(envs.iter().copied())
        .args(["state", "rm", "node.server-1", "--lock-timeout", "10s"])
        .args(where_args)
        .output()
        .unwrap();
    (
        lock_id(&probe),
        format!(
            "{}{}",
            if out.status.success() {
                "ok\n"
            } else {
                "failed\n"
            },
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn local_lock_contention_and_a_killed_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.json");
    LocalBackend::new(&path).save(&sample()).unwrap();
    let (id, after_kill) = contend_then_kill(dir.path(), &["--state", "shop.json"], &[]);
    // The dead holder's lock is reported as stale, with the exact command.
    assert!(after_kill.starts_with("failed"), "{after_kill}");
    assert!(after_kill.contains("no longer runs"), "{after_kill}");
    let cmd = format!("strata force-unlock {id} --state shop.json");
    assert!(after_kill.contains(&cmd), "{cmd} missing: {after_kill}");
    strata(dir.path())
        .args(["force-unlock", &id, "--state", "shop.json"])
        .assert()
        .success();
    strata(dir.path())
        .args(["state", "rm", "node.server-1", "--state", "shop.json"])
        .assert()
        .success();
}

#[test]
fn postgres_lock_contention_and_a_killed_holder() {
    let Some(db) = TestDatabase::create("cli_locks") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    stack(
        dir.path(),
        "state = { backend = \"postgres\", url = { env = \"STRATA_PG_URL\" } }",
    );
    let envs = [("STRATA_PG_URL", db.url.as_str())];
    let file = dir.path().join("seed.json");
    std::fs::write(&file, sample().to_json()).unwrap();
    strata(dir.path())
        .envs(envs)
        .args(["state", "push", "seed.json", "--stack", "stack"])
        .assert()
        .success();
    let (_, after_kill) = contend_then_kill(dir.path(), &["--stack", "stack"], &envs);
    // The server released the dead session's lock by itself.
    assert!(after_kill.starts_with("ok"), "{after_kill}");
    let password = db.url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!after_kill.contains(password));
}

#[test]
fn migrate_local_to_postgres_and_back_keeps_every_byte() {
    let Some(db) = TestDatabase::create("cli_migrate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = stack(dir.path(), "");
    let local = s.join("state/shop.json");
    let original = sample();
    LocalBackend::new(&local).save(&original).unwrap();
    let envs = [("STRATA_PG_URL", db.url.as_str())];
    let run = |args: &[&str]| {
        let out = strata(dir.path()).envs(envs).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "strata {args:?}: {err}");
        assert!(!err.contains(&db.url), "the URL's password leaked: {err}");
        (String::from_utf8(out.stdout).unwrap(), err)
    };
    let (_, said) = run(&[
        "state",
        "migrate",
        "--stack",
        "stack",
        "--to",
        "env:STRATA_PG_URL",
    ]);
    assert!(said.contains("Copied 3 resources and 2 outputs"), "{said}");
    // A second migration to the same place is refused.
    let out = strata(dir.path())
        .envs(envs)
        .args([
            "state",
            "migrate",
            "--stack",
            "stack",
            "--to",
            "env:STRATA_PG_URL",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds state"));
    // The stack now points at PostgreSQL; pull from there and migrate back.
    stack(
        dir.path(),
        "state = { backend = \"postgres\", url = { env = \"STRATA_PG_URL\" } }",
    );
    let (in_pg, _) = run(&["state", "pull", "--stack", "stack"]);
    let back = dir.path().join("back.json");
    run(&[
        "state",
        "migrate",
        "--stack",
        "stack",
        "--to",
        back.to_str().unwrap(),
    ]);
    let (in_file, _) = run(&["state", "pull", "--state", back.to_str().unwrap()]);
    // Lineage kept, serial bumped once per migration, and every resource and
    // output identical to the byte.
    let sections = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        (
            v["lineage"].clone(),
            v["serial"].as_u64().unwrap(),
            serde_json::to_string_pretty(&v["resources"]).unwrap(),
            serde_json::to_string_pretty(&v["outputs"]).unwrap(),
        )
    };
    let (l0, s0, r0, o0) = sections(&original.to_json());
    let (l1, s1, r1, o1) = sections(&in_pg);
    let (l2, s2, r2, o2) = sections(&in_file);
    assert_eq!((&l0, &l0), (&l1, &l2));
    assert_eq!((s1, s2), (s0 + 1, s0 + 2));
    assert_eq!((&r0, &o0), (&r1, &o1));
    assert_eq!((&r0, &o0), (&r2, &o2));
    // And the documents differ only in the serial line.
    let strip = |t: &str| t.replace(&format!("\"serial\": {}", sections(t).1), "");
    assert_eq!(strip(&original.to_json()), strip(&in_file));
}

#[test]
fn state_url_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    stack(
        dir.path(),
        "state = { backend = \"postgres\", url = { env = \"STRATA_PG_URL\" } }",
    );
    let out = strata(dir.path())
        .args(["state", "list", "--stack", "stack"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("STRATA_PG_URL, which is not set") && err.contains("help: export"),
        "{err}"
    );
    // A server that is not there: a clear message, no password.
    let out = strata(dir.path())
        .env(
            "STRATA_PG_URL",
            "postgres://strata:hunter2@127.0.0.1:1/strata?connect_timeout=2",
        )
        .args(["state", "list", "--stack", "stack"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("postgres://strata@127.0.0.1:1/strata (workspace shop)"),
        "{err}"
    );
    assert!(err.contains("help:") && !err.contains("hunter2"), "{err}");
}

#[test]
fn every_state_command_teaches_with_examples() {
    for cmd in [
        vec!["state", "list"],
        vec!["state", "show"],
        vec!["state", "pull"],
        vec!["state", "push"],
        vec!["state", "rm"],
        vec!["state", "mv"],
        vec!["state", "migrate"],
        vec!["force-unlock"],
    ] {
        let out = strata(Path::new("."))
            .args(&cmd)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(help.contains("Example"), "{cmd:?} has no examples:\n{help}");
        assert!(
            help.contains(&format!("strata {}", cmd.join(" "))),
            "{cmd:?}:\n{help}"
        );
    }
}
