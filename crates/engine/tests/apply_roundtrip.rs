//! Property: applying a plan with a provider that does what it is told leads
//! to an empty second plan, whatever the desired resources and prior state.

use async_trait::async_trait;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use strata_engine::apply::{apply, ApplyOptions, MemoryStore, Providers};
use strata_engine::plan::{plan, PlanInput, SecretValues};
use strata_engine::provider::{ApplyRequest, Provider, ProviderError};
use strata_engine::state::{Backend, LocalBackend, ResourceState, State};
use strata_engine::{
    Address, AttrPath, DesiredResource, ResourceType, SecretEncoding, SecretPart, SensitiveValue,
};

/// A provider keeping "real" objects in memory.
#[derive(Default)]
struct MemoryProvider {
    objects: Mutex<HashMap<Address, Value>>,
}

#[async_trait]
impl Provider for MemoryProvider {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::Node, ResourceType::K8sObject]
    }
    async fn read(
        &self,
        address: &Address,
        _: &ResourceState,
    ) -> Result<Option<Value>, ProviderError> {
        Ok(self.objects.lock().unwrap().get(address).cloned())
    }
    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let mut v = req.desired.attributes.clone();
        for p in &req.desired.computed {
            p.set(&mut v, json!("computed-by-provider"));
        }
        for (p, secret) in req.secrets {
            assert!(!secret.is_empty());
            let _ = p;
        }
        self.objects
            .lock()
            .unwrap()
            .insert(req.desired.address.clone(), v.clone());
        Ok(v)
    }
    async fn delete(&self, address: &Address, _: &ResourceState) -> Result<(), ProviderError> {
        self.objects.lock().unwrap().remove(address);
        Ok(())
    }
}

struct FixedSecrets(BTreeMap<String, String>);

impl SecretValues for FixedSecrets {
    fn get(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self.0.get(name).cloned())
    }
}

/// A random stack: up to 12 resources named r0..r11, each with random
/// attributes, an optional secret, an optional computed attribute and
/// dependencies on lower-numbered resources (so no cycles).
fn stack() -> impl Strategy<Value = Vec<DesiredResource>> {
    prop::collection::btree_map(
        0usize..12,
        (
            0u8..4,
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(0usize..12, 0..3),
        ),
        0..12,
    )
    .prop_map(|m| {
        let present: Vec<usize> = m.keys().copied().collect();
        m.into_iter()
            .map(|(i, (val, text, secret, computed, deps))| {
                let rtype = if i % 3 == 0 {
                    ResourceType::Node
                } else {
                    ResourceType::K8sObject
                };
                let attrs = json!({
                    "value": val,
                    "config": format!("line one\nvalue {text}\n"),
                    "list": (0..val).collect::<Vec<_>>(),
                });
                let mut r = DesiredResource::new(format!("r{i}"), rtype, attrs);
                if secret {
                    r.attributes["password"] = json!("(sensitive)");
                    r.sensitive.push(SensitiveValue {
                        path: AttrPath::parse("password").unwrap(),
                        parts: vec![
                            SecretPart::Literal("p-".into()),
                            SecretPart::Secret(format!("s{}", val % 2)),
                        ],
                        encoding: SecretEncoding::Plain,
                    });
                }
                if computed {
                    r.attributes["facts"] = Value::Null;
                    r.computed.push(AttrPath::parse("facts").unwrap());
                }
                r.depends_on = deps
                    .into_iter()
                    .filter(|d| *d < i && present.contains(d))
                    .map(|d| Address::new(format!("r{d}")))
                    .collect();
                r.depends_on.sort();
                r.depends_on.dedup();
                r
            })
            .collect()
    })
}

fn run_plan(
    desired: Vec<DesiredResource>,
    state: &State,
    secrets: &FixedSecrets,
) -> strata_engine::Plan {
    plan(
        PlanInput {
            stack: "prop",
            stack_sha256: "x",
            desired,
            outputs: BTreeMap::new(),
            secrets,
            destroy: false,
        },
        Some(state),
    )
    .expect("plan")
}

async fn converge(
    desired: &[DesiredResource],
    state: &mut State,
    provider: &std::sync::Arc<MemoryProvider>,
    secrets: &FixedSecrets,
    local: &LocalBackend,
) {
    let p = run_plan(desired.to_vec(), state, secrets);
    let mut providers = Providers::default();
    providers.register(provider.clone());
    // Once through the local backend's journal: what it stores is what the
    // walker ended with, before compaction (journal replayed) and after.
    let mut on_disk = state.clone();
    let mut writer = local.writer(&on_disk).await.expect("writer");
    let out = apply(
        &p,
        &mut on_disk,
        &mut *writer,
        &providers,
        secrets,
        &ApplyOptions::default(),
    )
    .await
    .expect("state writes");
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(local.load().await.unwrap().as_ref(), Some(&on_disk));
    writer.finish(&on_disk).await.expect("compaction");
    assert_eq!(local.load().await.unwrap().as_ref(), Some(&on_disk));
    // And once in memory, from the same start, against the same provider
    // (now holding the objects: the provider is idempotent).
    let mut store = MemoryStore::new(state);
    let out = apply(
        &p,
        state,
        &mut store,
        &providers,
        secrets,
        &ApplyOptions::default(),
    )
    .await
    .expect("state writes");
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    // Replaying the batches gives exactly the walker's final state.
    assert_eq!(
        &store.state, &*state,
        "the journal replays to the final state"
    );
    if !p.has_changes() {
        assert!(store.batches.is_empty(), "nothing to do writes nothing");
    }
    assert_eq!(state.resources, on_disk.resources);
    assert_eq!(state.serial, on_disk.serial);
    *state = on_disk;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_plan_applied_leads_to_an_empty_second_plan(first in stack(), second in stack(), s0 in "[a-z]{1,8}", s1 in "[a-z]{1,8}") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let secrets = FixedSecrets(BTreeMap::from([("s0".to_string(), s0), ("s1".to_string(), s1)]));
        let provider = std::sync::Arc::new(MemoryProvider::default());
        let mut state = State::new();
        let dir = tempfile::tempdir().unwrap();
        let local = LocalBackend::new(dir.path().join("prop.json"));
        rt.block_on(converge(&first, &mut state, &provider, &secrets, &local));
        rt.block_on(converge(&second, &mut state, &provider, &secrets, &local));
        let again = run_plan(second.clone(), &state, &secrets);
        let pending: Vec<_> = again.changes.iter().filter(|c| c.action != strata_engine::Action::NoOp).map(|c| (&c.address, c.action)).collect();
        prop_assert!(pending.is_empty(), "second plan not empty: {:?}", pending);
        // What state records is what the provider holds, and nothing else.
        let real = provider.objects.lock().unwrap();
        prop_assert_eq!(real.len(), second.len());
        for r in &second {
            prop_assert!(real.contains_key(&r.address));
            let recorded = &state.resources[&r.address];
            prop_assert!(!recorded.attributes.to_string().contains("p-"), "a secret reached state");
        }
    }
}
