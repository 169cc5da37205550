use super::*;
use crate::state::{OutputState, ResourceState, ResourceStatus};
use crate::{Address, ResourceType};
use serde_json::json;
use std::collections::BTreeMap;

fn sample() -> State {
    let mut s = State::new();
    s.serial = 3;
    s.resources.insert(
        Address::new("node.a"),
        ResourceState {
            rtype: ResourceType::Node,
            attributes: json!({"address": "10.0.0.1"}),
            sensitive: BTreeMap::from([("token".into(), "sha256:00".into())]),
            dependencies: vec![],
            status: ResourceStatus::Pending {
                action: "create".into(),
            },
            protect: true,
        },
    );
    s.outputs.insert(
        "endpoint".into(),
        OutputState {
            value: json!("https://x"),
            sensitive: false,
        },
    );
    s
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn entry(v: u64) -> ResourceState {
    ResourceState {
        rtype: ResourceType::K8sObject,
        attributes: json!({ "v": v }),
        sensitive: BTreeMap::new(),
        dependencies: vec![],
        status: ResourceStatus::Ready,
        protect: false,
    }
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("nested/s.json"));
    assert_eq!(b.read_state().unwrap(), None);
    let s = sample();
    b.save(&s).unwrap();
    assert_eq!(b.read_state().unwrap(), Some(s.clone()));
    let mut s2 = s.clone();
    s2.serial += 1;
    b.save(&s2).unwrap();
    assert_eq!(b.read_state().unwrap(), Some(s2));
    let backup = fs::read_to_string(b.backup_path()).unwrap();
    assert_eq!(State::from_json(&backup, "backup").unwrap(), s);
}

#[test]
fn crash_between_temp_write_and_rename_keeps_old_state() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    let old = sample();
    b.save(&old).unwrap();
    let mut new = old.clone();
    new.serial = 99;
    let staged = b.stage(&new).unwrap();
    // The process dies here: the staged file is never renamed.
    drop(staged);
    assert_eq!(b.read_state().unwrap(), Some(old.clone()));
    // The next run writes over the leftover temporary file without trouble.
    b.save(&new).unwrap();
    assert_eq!(b.read_state().unwrap(), Some(new));
}

#[test]
fn corrupt_files_are_reported_with_the_backup_hint() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    fs::write(b.path(), "{ not json").unwrap();
    let e = b.read_state().unwrap_err().to_string();
    assert!(e.contains("is not valid") && e.contains(".backup"), "{e}");
}

#[test]
fn a_journalled_run_is_replayed_then_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    rt().block_on(async {
        let mut s = State::new();
        let mut w = b.writer(&s).await.unwrap();
        // The first snapshot exists as soon as the run starts.
        assert_eq!(b.load().await.unwrap().unwrap().serial, 0);
        for i in 0..5u64 {
            let a = Address::new(format!("r{i}"));
            let rec = Record::Result {
                address: a.clone(),
                resource: entry(i),
            };
            rec.apply_to(&mut s);
            s.serial = w.append(vec![rec]).await.unwrap();
            assert_eq!(s.serial, i + 1);
            // Every acknowledged batch is in what a reader sees.
            assert_eq!(b.load().await.unwrap().as_ref(), Some(&s));
        }
        assert!(b.journal_path().exists());
        w.finish(&s).await.unwrap();
        assert!(!b.journal_path().exists());
        assert_eq!(b.load().await.unwrap(), Some(s.clone()));
        // A finished writer writes no more.
        assert!(w.append(vec![]).await.is_err());
    });
}

#[test]
fn a_new_run_folds_a_leftover_journal_and_refuses_a_stale_start() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    rt().block_on(async {
        let s0 = State::new();
        let mut w = b.writer(&s0).await.unwrap();
        w.append(vec![Record::Removal {
            address: Address::new("x"),
        }])
        .await
        .unwrap();
        drop(w); // crash: no finish
        let s1 = b.load().await.unwrap().unwrap();
        assert_eq!(s1.serial, 1);
        // Starting from the state read before the crash is refused.
        let e = b.writer(&s0).await.err().unwrap().to_string();
        assert!(e.contains("changed since it was read"), "{e}");
        let mut w = b.writer(&s1).await.unwrap();
        assert!(fs::read(b.journal_path()).unwrap().is_empty());
        assert_eq!(w.append(vec![]).await.unwrap(), 2);
    });
}

#[test]
fn whole_state_writes_are_conditional_on_the_serial() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    rt().block_on(async {
        let s = sample();
        assert_eq!(b.write(&s, None).await.unwrap(), 4);
        let e = b.write(&s, None).await.unwrap_err().to_string();
        assert!(
            e.contains("it is at serial 4, but this write expected no state"),
            "{e}"
        );
        let e = b.write(&s, Some(3)).await.unwrap_err().to_string();
        assert!(
            e.contains("expected serial 3") && e.contains("hint:"),
            "{e}"
        );
        assert_eq!(b.write(&s, Some(4)).await.unwrap(), 5);
        assert_eq!(b.load().await.unwrap().unwrap().serial, 5);
    });
}

#[test]
fn a_second_locker_is_refused_naming_the_holder_and_can_wait() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json")).with_location_args(" --state s.json");
    rt().block_on(async {
        let first = b.lock(LockInfo::new("apply"), None).await.unwrap();
        let e = b.lock(LockInfo::new("state rm"), None).await.unwrap_err();
        let StateError::Locked { holder, stale, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(**holder, *first.info());
        assert!(!stale);
        let msg = e.to_string();
        assert!(msg.contains("running `apply`"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        // A waiter gets the lock once the first lets go.
        let b2 = b.clone();
        let waiter = tokio::spawn(async move {
            b2.lock(LockInfo::new("state mv"), Some(Duration::from_secs(10)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        first.release().await.unwrap();
        let second = waiter.await.unwrap().unwrap();
        assert_eq!(second.info().operation, "state mv");
        drop(second);
        assert!(
            !b.lock_path().exists(),
            "dropping a guard releases the lock"
        );
    });
}

#[test]
fn a_lock_of_a_dead_process_is_stale_and_force_unlock_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json")).with_location_args(" --state s.json");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let mut info = LockInfo::new("apply");
    info.pid = dead;
    fs::write(b.lock_path(), serde_json::to_string(&info).unwrap()).unwrap();
    rt().block_on(async {
        let e = b
            .lock(LockInfo::new("apply"), Some(Duration::from_secs(5)))
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, StateError::Locked { stale: true, .. }), "{msg}");
        assert!(msg.contains(&format!("pid {dead} is gone")), "{msg}");
        assert!(
            msg.contains(&format!("strata force-unlock {} --state s.json", info.id)),
            "{msg}"
        );
        let e = b.force_unlock("nope").await.unwrap_err().to_string();
        assert!(
            e.contains("no lock with ID nope") && e.contains("apply"),
            "{e}"
        );
        b.force_unlock(&info.id).await.unwrap();
        b.lock(LockInfo::new("apply"), None).await.unwrap();
    });
}
