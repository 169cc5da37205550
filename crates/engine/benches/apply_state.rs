//! State-writing benchmark of the apply walker: 1,000 independent ConfigMaps
//! applied through the walker with a provider that does nothing, so the time
//! measured is the walker's and state's. fsync stays on.
//!
//! - "rewrite per record": the whole state file rewritten (temp + fsync +
//!   rename + backup) after every intent and every result, which is what the
//!   walker did before the journal;
//! - "journal, local": the local backend's journal with group commit, then
//!   one compaction;
//! - "journal, postgres": the same through the PostgreSQL backend, when
//!   `STRATA_TEST_PG_URL` names a server (scripts/test-all starts one).
//!
//! Goals: ≥ 500 changes/s end to end on the local backend; PostgreSQL adds at
//! most 20% to the local time. Run with `cargo bench -p strata-engine --bench apply_state`.

use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use strata_engine::apply::{apply, ApplyOptions, Providers};
use strata_engine::plan::{plan, NoSecrets, PlanInput};
use strata_engine::provider::{ApplyRequest, Provider, ProviderError};
use strata_engine::state::{
    test_support, Backend, LocalBackend, PostgresBackend, Record, ResourceState, State, StateError,
    StateWriter,
};
use strata_engine::{Address, DesiredResource, Plan, ResourceType};

const CHANGES: usize = 1000;
const RUNS: usize = 7;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct NoOp;

#[async_trait]
impl Provider for NoOp {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::K8sObject]
    }
    async fn read(&self, _: &Address, p: &ResourceState) -> Result<Option<Value>, ProviderError> {
        Ok(Some(p.attributes.clone()))
    }
    async fn apply(&self, r: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Ok(r.desired.attributes.clone())
    }
    async fn delete(&self, _: &Address, _: &ResourceState) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// The walker's old way of persisting: rewrite the whole file per record.
struct RewritePerRecord {
    backend: LocalBackend,
    state: State,
}

#[async_trait]
impl StateWriter for RewritePerRecord {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        for r in records {
            r.apply_to(&mut self.state);
            self.backend.save(&self.state)?;
        }
        self.state.serial += 1;
        Ok(self.state.serial)
    }
    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        self.backend.save(state)
    }
}

fn configmaps() -> Plan {
    let desired: Vec<DesiredResource> = (0..CHANGES)
        .map(|i| {
            DesiredResource::new(
                format!("manifest.bench/ConfigMap/bench/cm-{i}"),
                ResourceType::K8sObject,
                json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": format!("cm-{i}"), "namespace": "bench", "labels": {"app": "bench"}},
                    "data": {"index": i.to_string(), "config.yaml": "a: 1\nb: two\nc: [3, 4]\n"},
                }),
            )
        })
        .collect();
    plan(
        PlanInput {
            stack: "bench",
            stack_sha256: "x",
            desired,
            outputs: BTreeMap::new(),
            secrets: &NoSecrets,
            destroy: false,
        },
        None,
    )
    .expect("plan")
}

/// Times spent in each part of a run.
#[derive(Default, Debug, Clone, Copy)]
struct Parts {
    open: f64,
    batches: usize,
    appending: f64,
    finishing: f64,
}

/// Measures the writer's calls.
struct Timed {
    inner: Box<dyn StateWriter>,
    parts: Arc<std::sync::Mutex<Parts>>,
}

#[async_trait]
impl StateWriter for Timed {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        let t = Instant::now();
        let r = self.inner.append(records).await;
        let mut p = self.parts.lock().unwrap();
        p.batches += 1;
        p.appending += t.elapsed().as_secs_f64();
        r
    }
    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        let t = Instant::now();
        let r = self.inner.finish(state).await;
        self.parts.lock().unwrap().finishing += t.elapsed().as_secs_f64();
        r
    }
}

/// Opens the writer (on a new state), applies, compacts; returns seconds.
async fn run(
    p: &Plan,
    open: impl std::future::Future<Output = (State, Box<dyn StateWriter>)>,
) -> f64 {
    let mut providers = Providers::default();
    providers.register(Arc::new(NoOp));
    let t = Instant::now();
    let (mut state, inner) = open.await;
    let parts = Arc::new(std::sync::Mutex::new(Parts {
        open: t.elapsed().as_secs_f64(),
        ..Parts::default()
    }));
    let mut writer: Box<dyn StateWriter> = Box::new(Timed {
        inner,
        parts: parts.clone(),
    });
    let out = apply(
        p,
        &mut state,
        &mut *writer,
        &providers,
        &NoSecrets,
        &ApplyOptions::default(),
    )
    .await
    .expect("apply");
    writer.finish(&state).await.expect("finish");
    assert_eq!(out.succeeded.len(), CHANGES);
    let total = t.elapsed().as_secs_f64();
    let p = *parts.lock().unwrap();
    println!(
        "    {total:.3}s: open {:.3}s, {} batches in {:.3}s ({:.2} ms each), compaction {:.3}s",
        p.open,
        p.batches,
        p.appending,
        p.appending * 1000.0 / p.batches.max(1) as f64,
        p.finishing
    );
    total
}

fn report(what: &str, secs: f64) {
    println!(
        "{what:<36} {CHANGES} changes in {secs:6.2}s = {:7.0} changes/s",
        CHANGES as f64 / secs
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let p = configmaps();
    // On the project's disk (not a tmpfs), so fsync costs what it costs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();

    let old = rt.block_on(run(&p, async {
        let state = State::new();
        let w = RewritePerRecord {
            backend: LocalBackend::new(dir.path().join("old.json")),
            state: state.clone(),
        };
        (state, Box::new(w) as Box<dyn StateWriter>)
    }));
    report("rewrite per record (old walker):", old);

    // The journalled runs, local and PostgreSQL taking turns so that both
    // see the same disk (whose fsync time wanders on a shared machine);
    // medians of seven each.
    let admin = test_support::admin_url();
    let db = admin
        .as_ref()
        .map(|a| test_support::TestDatabase::create_on(a, "bench"));
    let (mut local, mut pg) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let b = LocalBackend::new(dir.path().join(format!("new-{i}.json")));
        local.push(rt.block_on(run(&p, async {
            let s = State::new();
            let w = b.writer(&s).await.expect("writer");
            (s, w)
        })));
        if let Some(db) = &db {
            let b = PostgresBackend::new(&db.url, &format!("bench-{i}")).unwrap();
            pg.push(rt.block_on(run(&p, async {
                let s = State::new();
                let w = b.writer(&s).await.expect("writer");
                (s, w)
            })));
        }
    }
    let local = median(&mut local);
    report("journal, local backend (median):", local);
    if db.is_none() {
        println!("journal, postgres backend:         skipped (no STRATA_TEST_PG_URL)");
    } else {
        let pg = median(&mut pg);
        report("journal, postgres backend (median):", pg);
        println!(
            "postgres over local: {:+.0}% (goal: at most +20%)",
            (pg / local - 1.0) * 100.0
        );
    }
    println!(
        "speed-up of the journal over rewriting per record: {:.0}x (goal: ≥ 500 changes/s)",
        old / local
    );
}
