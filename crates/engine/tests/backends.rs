//! The backends against real storage: a local directory and a real
//! PostgreSQL (skipped with a printed reason outside CI when there is none;
//! see `strata_engine::state::test_support`).

use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_engine::state::test_support::{TestDatabase, TestServer};
use strata_engine::state::{
    Backend, LocalBackend, LockInfo, PostgresBackend, Record, ResourceState, ResourceStatus, State,
    StateError,
};
use strata_engine::{Address, ResourceType};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn entry(v: u64) -> ResourceState {
    ResourceState {
        rtype: ResourceType::K8sObject,
        attributes: json!({ "v": v, "text": "line one\nline two\n" }),
        sensitive: BTreeMap::new(),
        dependencies: vec![],
        status: ResourceStatus::Ready,
        protect: false,
    }
}

/// Two lockers of one stack at the same moment: exactly one proceeds, the
/// other fails within a second naming the holder.
async fn two_lockers(a: Arc<dyn Backend>, b: Arc<dyn Backend>) {
    // Connected once before (a database backend creates its schema then).
    a.load().await.unwrap();
    b.load().await.unwrap();
    let timed = |r| (r, Instant::now());
    let start = Instant::now();
    let ta = tokio::spawn(async move { timed(a.lock(LockInfo::new("apply"), None).await) });
    let tb = tokio::spawn(async move { timed(b.lock(LockInfo::new("state push"), None).await) });
    let ((ra, ea), (rb, eb)) = (ta.await.unwrap(), tb.await.unwrap());
    let failed_after = if ra.is_err() { ea } else { eb } - start;
    assert!(failed_after < Duration::from_secs(1), "{failed_after:?}");
    let (guard, err) = match (ra, rb) {
        (Ok(g), Err(e)) | (Err(e), Ok(g)) => (g, e),
        (Ok(_), Ok(_)) => panic!("both lockers proceeded"),
        (Err(x), Err(y)) => panic!("neither locker proceeded: {x} / {y}"),
    };
    let StateError::Locked { holder, stale, .. } = &err else {
        panic!("not a lock error: {err}")
    };
    assert_eq!(**holder, *guard.info());
    assert!(!stale);
    let msg = err.to_string();
    let h = guard.info();
    for part in [
        &h.who,
        &h.host,
        &format!("pid {}", h.pid),
        &format!("`{}`", h.operation),
        &h.created,
        &h.id,
    ] {
        assert!(msg.contains(part.as_str()), "{part} missing from: {msg}");
    }
    guard.release().await.unwrap();
}

#[test]
fn two_lockers_local() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    rt().block_on(two_lockers(
        Arc::new(LocalBackend::new(&path)),
        Arc::new(LocalBackend::new(&path)),
    ));
}

#[test]
fn two_lockers_postgres() {
    let Some(db) = TestDatabase::create("two_lockers") else {
        return;
    };
    rt().block_on(async {
        let a = PostgresBackend::new(&db.url, "production").unwrap();
        let b = PostgresBackend::new(&db.url, "production").unwrap();
        two_lockers(Arc::new(a.clone()), Arc::new(b.clone())).await;
        // After release, the next locker proceeds; another workspace is independent.
        let g = b.lock(LockInfo::new("apply"), None).await.unwrap();
        let other = PostgresBackend::new(&db.url, "staging").unwrap();
        let g2 = other.lock(LockInfo::new("apply"), None).await.unwrap();
        // A waiter gets the lock when the holder lets go.
        let waiter = tokio::spawn(async move {
            a.lock(LockInfo::new("state rm"), Some(Duration::from_secs(20)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        g.release().await.unwrap();
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got.info().operation, "state rm");
        drop(g2);
    });
}

#[test]
fn force_unlock_postgres_ends_the_holders_session() {
    let Some(db) = TestDatabase::create("force_unlock") else {
        return;
    };
    rt().block_on(async {
        let b = PostgresBackend::new(&db.url, "production").unwrap();
        let held = b.lock(LockInfo::new("apply"), None).await.unwrap();
        let id = held.info().id.clone();
        let e = b.force_unlock("wrong").await.unwrap_err().to_string();
        assert!(
            e.contains("no lock with ID wrong") && e.contains("`apply`"),
            "{e}"
        );
        b.force_unlock(&id).await.unwrap();
        let next = b
            .lock(LockInfo::new("state push"), Some(Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(next.info().operation, "state push");
        drop(held);
    });
}

/// Ten writers at once, each reading, adding its resource and writing back
/// conditionally, retrying when refused: every write is accounted for.
#[test]
fn ten_concurrent_writers_postgres() {
    let Some(db) = TestDatabase::create("ten_writers") else {
        return;
    };
    const WRITERS: u64 = 10;
    const EACH: u64 = 5;
    rt().block_on(async {
        let b = PostgresBackend::new(&db.url, "production").unwrap();
        let first = State::new();
        assert_eq!(b.write(&first, None).await.unwrap(), 1);
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let b = b.clone();
            let refused = refused.clone();
            tasks.push(tokio::spawn(async move {
                for k in 0..EACH {
                    loop {
                        let mut s = b.load().await.unwrap().unwrap();
                        let read = s.serial;
                        s.resources
                            .insert(Address::new(format!("w{w}/r{k}")), entry(w * 100 + k));
                        match b.write(&s, Some(read)).await {
                            Ok(n) => {
                                assert_eq!(n, read + 1);
                                break;
                            }
                            Err(StateError::Conflict { .. }) => {
                                refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let end = b.load().await.unwrap().unwrap();
        assert_eq!(end.serial, 1 + WRITERS * EACH, "one serial per write");
        assert_eq!(end.resources.len() as u64, WRITERS * EACH);
        for w in 0..WRITERS {
            for k in 0..EACH {
                assert_eq!(
                    end.resources[&Address::new(format!("w{w}/r{k}"))],
                    entry(w * 100 + k)
                );
            }
        }
        eprintln!(
            "{} writes were refused as stale and redone",
            refused.load(std::sync::atomic::Ordering::SeqCst)
        );
        // A writer holding a stale serial is refused with a clear message.
        let e = b.write(&first, Some(1)).await.unwrap_err().to_string();
        assert!(
            e.contains(&format!("it is at serial {}", end.serial))
                && e.contains("expected serial 1")
                && e.contains("hint:")
                && !e.contains(&db.url),
            "{e}"
        );
        // So is a run started from it, and a journal batch racing a whole write.
        let e = b.writer(&first).await.err().unwrap().to_string();
        assert!(e.contains("changed since it was read"), "{e}");
        let mut w = b.writer(&end).await.unwrap();
        assert_eq!(w.append(vec![]).await.unwrap(), end.serial + 1);
        let now = b.load().await.unwrap().unwrap();
        b.write(&now, Some(now.serial)).await.unwrap();
        let e = w.append(vec![]).await.unwrap_err().to_string();
        assert!(e.contains("changed since it was read"), "{e}");
    });
}

#[test]
fn journal_replay_and_compaction_postgres() {
    let Some(db) = TestDatabase::create("journal") else {
        return;
    };
    rt().block_on(async {
        let b = PostgresBackend::new(&db.url, "production").unwrap();
        assert_eq!(b.load().await.unwrap(), None);
        let mut s = State::new();
        let mut w = b.writer(&s).await.unwrap();
        for i in 0..20u64 {
            let recs = vec![
                Record::Intent {
                    address: Address::new(format!("r{i}")),
                    resource: entry(i),
                },
                Record::Result {
                    address: Address::new(format!("r{i}")),
                    resource: entry(i + 1),
                },
            ];
            for r in &recs {
                r.apply_to(&mut s);
            }
            s.serial = w.append(recs).await.unwrap();
            if i % 5 == 0 {
                assert_eq!(b.load().await.unwrap().as_ref(), Some(&s));
            }
        }
        // A second process sees the journal replayed.
        let other = PostgresBackend::new(&db.url, "production").unwrap();
        assert_eq!(other.load().await.unwrap().as_ref(), Some(&s));
        w.finish(&s).await.unwrap();
        assert_eq!(other.load().await.unwrap().as_ref(), Some(&s));
        // Byte for byte: the snapshot is stored as the same JSON a local file holds.
        let client = b.connect().await.unwrap();
        let rows = client
            .query("SELECT count(*) FROM strata_journal", &[])
            .await
            .unwrap();
        assert_eq!(
            rows[0].get::<_, i64>(0),
            0,
            "compaction empties the journal"
        );
        let snap: String = client
            .query_one("SELECT snapshot FROM strata_state", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(snap, s.to_json());
        let v: i32 = client
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(v, 1);
    });
}

/// A provider-free run whose writer is cut off by a server restart: the run
/// retries on a new connection (or fails clearly), and what the server holds
/// parses and has every batch that was acknowledged.
#[test]
fn postgres_restarted_in_the_middle_of_a_run() {
    let Some(server) = TestServer::start() else {
        return;
    };
    let server = &server;
    std::thread::scope(|scope| {
        rt().block_on(async {
            let b = PostgresBackend::new(&server.url, "production").unwrap();
            let mut s = State::new();
            let mut w = b.writer(&s).await.unwrap();
            let mut acknowledged = s.clone();
            let mut restarted = None;
            let mut failure = None;
            let mut after_restart = 0;
            for i in 0..5000u64 {
                // Go on until 20 batches were written after the server came back.
                if restarted
                    .as_ref()
                    .is_some_and(|t: &std::thread::ScopedJoinHandle<()>| t.is_finished())
                {
                    after_restart += 1;
                    if after_restart > 20 {
                        break;
                    }
                }
                if i == 60 {
                    // Restart from another thread while batches keep coming.
                    restarted = Some(scope.spawn(|| server.restart()));
                }
                let rec = Record::Result {
                    address: Address::new(format!("r{i}")),
                    resource: entry(i),
                };
                let mut next = s.clone();
                rec.apply_to(&mut next);
                match w.append(vec![rec]).await {
                    Ok(serial) => {
                        next.serial = serial;
                        s = next;
                        acknowledged = s.clone();
                    }
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            restarted.unwrap().join().unwrap();
            eprintln!(
                "{} batches acknowledged; {}",
                acknowledged.serial,
                match &failure {
                    None => "the run went on across the restart".to_string(),
                    Some(e) => format!("the run failed: {e}"),
                }
            );
            let loaded = PostgresBackend::new(&server.url, "production")
                .unwrap()
                .load()
                .await
                .unwrap()
                .expect("state survives the restart");
            match failure {
                None => {
                    assert_eq!(loaded, acknowledged, "every batch is there, once");
                    w.finish(&s).await.unwrap();
                }
                Some(e) => {
                    assert!(e.contains("hint:"), "a clear failure: {e}");
                    assert!(loaded.serial >= acknowledged.serial);
                    for (a, r) in &acknowledged.resources {
                        assert_eq!(loaded.resources.get(a), Some(r));
                    }
                }
            }
        })
    });
}
