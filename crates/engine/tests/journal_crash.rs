//! Crash test of the local journal: a child process applies a plan through
//! the walker and the local backend's StateWriter, reporting every batch as
//! soon as it is acknowledged; the parent kills it with SIGKILL at a random
//! moment, at least 20 times. After each kill the state must load, hold every
//! acknowledged batch, and a next run must reconcile to an empty plan.
//!
//! Runs without the test harness: the same binary is the parent and, with
//! `STRATA_CRASH_CHILD` set, the child.

use async_trait::async_trait;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata_engine::apply::{apply, ApplyOptions, Providers};
use strata_engine::plan::{plan, NoSecrets, PlanInput};
use strata_engine::provider::{ApplyRequest, Provider, ProviderError};
use strata_engine::state::{
    Backend, LocalBackend, Record, ResourceState, ResourceStatus, State, StateError, StateWriter,
};
use strata_engine::{Action, Address, DesiredResource, ResourceType};

const KILLS: usize = 20;
const RESOURCES: usize = 150;

/// Objects "in the cluster", in memory; applying is idempotent, so a next
/// run adopts what a killed run created.
struct FileProvider {
    objects: Mutex<HashMap<Address, Value>>,
    jitter: bool,
}

#[async_trait]
impl Provider for FileProvider {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::K8sObject]
    }
    async fn read(&self, a: &Address, _: &ResourceState) -> Result<Option<Value>, ProviderError> {
        Ok(self.objects.lock().unwrap().get(a).cloned())
    }
    async fn apply(&self, r: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        if self.jitter {
            let n = Sha256::digest(r.desired.address.as_str().as_bytes())[0];
            tokio::time::sleep(Duration::from_micros(u64::from(n) * 10)).await;
        }
        let v = r.desired.attributes.clone();
        self.objects
            .lock()
            .unwrap()
            .insert(r.desired.address.clone(), v.clone());
        Ok(v)
    }
    async fn delete(&self, a: &Address, _: &ResourceState) -> Result<(), ProviderError> {
        self.objects.lock().unwrap().remove(a);
        Ok(())
    }
}

fn desired(generation: u64) -> Vec<DesiredResource> {
    (0..RESOURCES)
        .map(|i| {
            let mut r = DesiredResource::new(
                format!("manifest.crash/ConfigMap/default/cm-{i}"),
                ResourceType::K8sObject,
                json!({"kind": "ConfigMap", "data": {"i": i, "generation": generation, "text": "one\ntwo\n"}}),
            );
            if i % 10 != 0 {
                r.depends_on = vec![Address::new(format!(
                    "manifest.crash/ConfigMap/default/cm-{}",
                    i - i % 10
                ))];
            }
            r
        })
        .collect()
}

fn digest(s: &State) -> String {
    hex(&Sha256::digest(s.to_json().as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reports each acknowledged batch on stdout: serial and state digest.
struct Reporting {
    inner: Box<dyn StateWriter>,
    shadow: State,
}

#[async_trait]
impl StateWriter for Reporting {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        for r in &records {
            r.apply_to(&mut self.shadow);
        }
        let serial = self.inner.append(records).await?;
        self.shadow.serial = serial;
        let mut out = std::io::stdout().lock();
        writeln!(out, "acked {serial} {}", digest(&self.shadow)).unwrap();
        out.flush().unwrap();
        Ok(serial)
    }
    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        self.inner.finish(state).await
    }
}

fn run_plan(backend: &LocalBackend, generation: u64, provider: Arc<FileProvider>, report: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let state = backend.load().await.unwrap().unwrap_or_default();
        let p = plan(
            PlanInput {
                stack: "crash",
                stack_sha256: "x",
                desired: desired(generation),
                outputs: BTreeMap::new(),
                secrets: &NoSecrets,
                destroy: false,
            },
            Some(&state),
        )
        .unwrap();
        let mut providers = Providers::default();
        providers.register(provider);
        let mut s = state.clone();
        let inner = backend.writer(&s).await.unwrap();
        let mut w: Box<dyn StateWriter> = if report {
            Box::new(Reporting {
                inner,
                shadow: s.clone(),
            })
        } else {
            inner
        };
        let out = apply(
            &p,
            &mut s,
            &mut *w,
            &providers,
            &NoSecrets,
            &ApplyOptions::default(),
        )
        .await
        .unwrap();
        assert!(out.failed.is_empty());
        w.finish(&s).await.unwrap();
    });
}

fn child(dir: &Path, generation: u64) {
    let provider = Arc::new(FileProvider {
        objects: Mutex::new(HashMap::new()),
        jitter: true,
    });
    run_plan(
        &LocalBackend::new(dir.join("crash.json")),
        generation,
        provider,
        true,
    );
}

fn main() {
    if let Ok(dir) = std::env::var("STRATA_CRASH_CHILD") {
        let generation = std::env::var("STRATA_CRASH_GENERATION")
            .unwrap()
            .parse()
            .unwrap();
        child(Path::new(&dir), generation);
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("crash.json"));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut killed_mid_run = 0;
    // How long a whole run takes here: kills are spread over that span and a
    // little past it, so they land in start-up, batches and compaction alike.
    let mut span_ms = 400;
    for round in 0..=KILLS {
        // Alternate between creating and updating everything.
        let generation = round as u64;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("STRATA_CRASH_CHILD", dir.path())
            .env("STRATA_CRASH_GENERATION", generation.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acked: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
        let reader = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let mut parts = line.split(' ').skip(1);
                    let serial = parts.next().unwrap().parse().unwrap();
                    acked
                        .lock()
                        .unwrap()
                        .push((serial, parts.next().unwrap().to_string()));
                }
            })
        };
        // Round 0 runs to the end and measures; the others are killed at a
        // random moment between start-up and a little past the run's end.
        let t = Instant::now();
        if round > 0 {
            std::thread::sleep(Duration::from_millis(rand() % (span_ms * 6 / 5)));
            let _ = Command::new("kill")
                .args(["-9", &child.id().to_string()])
                .status();
        }
        let status = child.wait().unwrap();
        if round == 0 {
            assert!(status.success(), "an uninterrupted run succeeds");
            span_ms = t.elapsed().as_millis().max(50) as u64;
        }
        reader.join().unwrap();
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        // The state loads and holds every acknowledged batch.
        let loaded = backend
            .read_state()
            .unwrap_or_else(|e| panic!("round {round}: state does not load: {e}"));
        let acked = acked.lock().unwrap().clone();
        if let Some((last, last_digest)) = acked.last() {
            let loaded = loaded
                .as_ref()
                .expect("state exists after acknowledged batches");
            assert!(
                loaded.serial >= *last,
                "round {round}: loaded serial {} < acknowledged {last}",
                loaded.serial
            );
            if loaded.serial == *last {
                assert_eq!(&digest(loaded), last_digest, "round {round}");
            } else if let Some((_, d)) = acked.iter().find(|(s, _)| *s == loaded.serial) {
                assert_eq!(&digest(loaded), d, "round {round}");
            }
        }
        // A next run reconciles: pending entries are re-applied and a plan
        // after it is empty.
        let provider = Arc::new(FileProvider {
            objects: Mutex::new(HashMap::new()),
            jitter: false,
        });
        run_plan(&backend, generation, provider, false);
        let state = backend.read_state().unwrap().unwrap();
        assert!(state
            .resources
            .values()
            .all(|r| r.status == ResourceStatus::Ready));
        let again = plan(
            PlanInput {
                stack: "crash",
                stack_sha256: "x",
                desired: desired(generation),
                outputs: BTreeMap::new(),
                secrets: &NoSecrets,
                destroy: false,
            },
            Some(&state),
        )
        .unwrap();
        let left: Vec<_> = again
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .collect();
        assert!(
            left.is_empty(),
            "round {round}: {} changes left",
            left.len()
        );
        assert!(!backend.journal_path().exists());
    }
    assert!(
        killed_mid_run >= KILLS / 2,
        "only {killed_mid_run} of {KILLS} children were killed before they finished"
    );
    println!(
        "journal crash test: {KILLS} kills over a {span_ms} ms run ({killed_mid_run} before it ended), state always loaded with every acknowledged batch, in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("test result: ok. 1 passed; 0 failed; 0 ignored");
}
