//! Applies then lists 5,000 ConfigMaps over real HTTPS and prints requests per second.
//!
//! Run with `cargo bench -p strata-kube-sim --bench apply`.

use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube_sim::{SimConfig, SimServer};
use serde_json::json;

const OBJECTS: usize = 5_000;
/// Concurrent clients; `KUBE_SIM_BENCH_CONCURRENCY` overrides it.
const DEFAULT_CONCURRENCY: usize = 32;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let server = SimServer::start(SimConfig::default())?;
    let kubeconfig = kube::config::Kubeconfig::read_from(server.kubeconfig_path())?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let client = kube::Client::try_from(config)?;
    let api: Arc<Api<ConfigMap>> = Arc::new(Api::namespaced(client, "default"));

    let concurrency: usize = std::env::var("KUBE_SIM_BENCH_CONCURRENCY")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|c| *c > 0)
        .unwrap_or(DEFAULT_CONCURRENCY);
    let start = Instant::now();
    let mut tasks = vec![];
    for worker in 0..concurrency {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let pp = PatchParams::apply("bench");
            let mut i = worker;
            while i < OBJECTS {
                let name = format!("cm-{i:05}");
                let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"index": i.to_string()}});
                api.patch(&name, &pp, &Patch::Apply(&cm)).await?;
                i += concurrency;
            }
            Ok::<_, kube::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let apply_secs = start.elapsed().as_secs_f64();
    println!("apply: {OBJECTS} ConfigMaps in {apply_secs:.2}s = {:.0} applies/s ({concurrency} concurrent)", OBJECTS as f64 / apply_secs);

    let start = Instant::now();
    let mut seen = 0;
    let mut pages = 0;
    let mut lp = ListParams::default().limit(500);
    loop {
        let list = api.list(&lp).await?;
        // The namespace also holds what every namespace has (kube-root-ca.crt).
        seen += list
            .items
            .iter()
            .filter(|c| {
                c.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| n.starts_with("cm-"))
            })
            .count();
        pages += 1;
        match list.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => lp = lp.continue_token(&token),
            None => break,
        }
    }
    let list_secs = start.elapsed().as_secs_f64();
    assert_eq!(seen, OBJECTS);
    println!("list: {seen} ConfigMaps in {pages} pages, {list_secs:.3}s = {:.0} objects/s, {:.0} requests/s", seen as f64 / list_secs, pages as f64 / list_secs);
    drop(server);
    Ok(())
}
