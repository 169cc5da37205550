//! Refresh reads in batches: one LIST per kind and namespace (page by page),
//! never one GET per object, and one discovery lookup per group-version even
//! when many reads start together. Checked against kube-sim's own count of
//! what it was asked.

use kube::api::{Api, DynamicObject, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use kube_sim::{SimConfig, SimServer};
use serde_json::{json, Value};
use std::sync::Arc;
use strata_engine::provider::Provider;
use strata_engine::state::ResourceState;
use strata_engine::Address;
use strata_kube::{KubeProvider, KubeSettings, KubeconfigSource};

async fn client(sim: &SimServer) -> kube::Client {
    let kc = Kubeconfig::read_from(sim.kubeconfig_path()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn config_map(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": format!("cm-{i}"), "namespace": ns},
        "data": {"index": i.to_string()},
    })
}

fn recorded(manifest: Value) -> (Address, ResourceState) {
    let name = manifest["metadata"]["name"].as_str().unwrap().to_string();
    let ns = manifest["metadata"]["namespace"].as_str().unwrap_or("-");
    let state = serde_json::from_value(json!({"type": "k8s_object", "attributes": manifest}))
        .expect("a resource state");
    (Address::new(format!("manifest.m/{ns}/{name}")), state)
}

/// GETs of collections (LISTs) and of single objects under `ns`'s ConfigMaps.
fn config_map_reads(sim: &SimServer, ns: &str) -> (u64, u64) {
    let list = format!("/api/v1/namespaces/{ns}/configmaps");
    let one = format!("{list}/");
    let t = sim.traffic();
    (
        t.requests("GET", |p| p == list),
        t.requests("GET", |p| p.starts_with(&one)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_lists_each_kind_once_per_namespace_and_never_gets_objects() {
    let sim = SimServer::start(SimConfig::default()).expect("kube-sim starts");
    let c = client(&sim).await;
    let cm = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
    let nsr = ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&());
    // 1,100 ConfigMaps in `big` (three pages of at most 500), 20 in `small`.
    let mut items = Vec::new();
    for (ns, count) in [("big", 1100), ("small", 20)] {
        let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        Api::<DynamicObject>::all_with(c.clone(), &nsr)
            .create(
                &PostParams::default(),
                &serde_json::from_value(ns_obj.clone()).unwrap(),
            )
            .await
            .unwrap();
        items.push(recorded(ns_obj));
        let api = Api::<DynamicObject>::namespaced_with(c.clone(), ns, &cm);
        for i in 0..count {
            let m = config_map(ns, i);
            api.create(
                &PostParams::default(),
                &serde_json::from_value(m.clone()).unwrap(),
            )
            .await
            .unwrap();
            items.push(recorded(m));
        }
    }
    // One that state records but nobody created: reported missing.
    let mut missing = config_map("small", 0);
    missing["metadata"]["name"] = json!("never-created");
    items.push(recorded(missing));
    let before = (
        config_map_reads(&sim, "big"),
        config_map_reads(&sim, "small"),
        sim.traffic().requests("GET", |p| p == "/api/v1"),
    );

    let source = KubeconfigSource::File {
        path: sim.kubeconfig_path().to_path_buf(),
        context: None,
    };
    let provider = KubeProvider::new(Arc::new(source), KubeSettings::default());
    let results = provider.read_batch(&items).await;

    assert_eq!(results.len(), items.len());
    for ((address, prior), result) in items.iter().zip(&results) {
        let seen = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{address}: {}", e.message));
        if prior.attributes["metadata"]["name"] == "never-created" {
            assert!(seen.is_none(), "{address} does not exist");
            continue;
        }
        let seen = seen
            .as_ref()
            .unwrap_or_else(|| panic!("{address} was not found"));
        assert_eq!(seen.attributes, prior.attributes, "{address}");
    }
    let (big_lists, big_gets) = config_map_reads(&sim, "big");
    let (small_lists, small_gets) = config_map_reads(&sim, "small");
    assert_eq!(big_lists - before.0 .0, 3, "1,100 objects: three pages");
    assert_eq!(small_lists - before.1 .0, 1);
    assert_eq!(big_gets - before.0 .1, 0, "no GET of single objects");
    assert_eq!(small_gets - before.1 .1, 0, "no GET of single objects");
    let namespace_lists = sim.traffic().requests("GET", |p| p == "/api/v1/namespaces");
    assert_eq!(namespace_lists, 1, "namespaces are listed once");
    let discovery = sim.traffic().requests("GET", |p| p == "/api/v1") - before.2;
    assert_eq!(
        discovery, 1,
        "three LISTs of the core group started together share one discovery lookup"
    );
}
