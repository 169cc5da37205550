//! The same flows through kube-rs: discovery (aggregated and legacy), typed and dynamic APIs,
//! server-side apply with dry run, and kube-runtime's waiting helpers.

mod common;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::discovery::{self, Discovery, Scope};
use kube::runtime::wait::{await_condition, conditions};
use kube::Client;
use serde_json::json;

async fn connect(srv: &kube_sim::SimServer) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(srv.kubeconfig_path()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

#[tokio::test]
async fn discovery_aggregated_and_legacy_agree() {
    let srv = common::server();
    let client = connect(&srv).await;
    let aggregated = Discovery::new(client.clone())
        .run_aggregated()
        .await
        .unwrap();
    let legacy = Discovery::new(client.clone()).run().await.unwrap();
    for d in [&aggregated, &legacy] {
        assert!(d.has_group("apps"));
        assert!(
            d.has_group("helm.cattle.io"),
            "HelmChart CRDs are served from start"
        );
        let (ar, caps) = d
            .resolve_gvk(&kube::api::GroupVersionKind::gvk(
                "apps",
                "v1",
                "Deployment",
            ))
            .unwrap();
        assert_eq!(ar.plural, "deployments");
        assert_eq!(caps.scope, Scope::Namespaced);
        assert!(caps
            .subresources
            .iter()
            .any(|(s, _)| s.plural == "deployments/scale" || s.plural == "scale"));
    }
    let groups = |d: &Discovery| {
        let mut g: Vec<String> = d.groups().map(|g| g.name().to_string()).collect();
        g.sort();
        g
    };
    assert_eq!(groups(&aggregated), groups(&legacy));

    // Without aggregated discovery the legacy path still works.
    let srv2 = common::server_with(|c| c.aggregated_discovery = false);
    let c2 = connect(&srv2).await;
    let (ar, _) = discovery::pinned_kind(
        &c2,
        &kube::api::GroupVersionKind::gvk("", "v1", "ConfigMap"),
    )
    .await
    .unwrap();
    assert_eq!(ar.plural, "configmaps");
}

#[tokio::test]
async fn typed_dynamic_and_dry_run_apply() {
    let srv = common::server();
    let client = connect(&srv).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = PatchParams::apply("strata").force();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "labels": {"tier": "web"}}, "data": {"k": "v"}});
    let created = cms.patch("app", &pp, &Patch::Apply(&cm)).await.unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();

    // Dry run: the answer shows the change, the store does not.
    let changed = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"k": "changed"}});
    let dry = cms
        .patch("app", &pp.clone().dry_run(), &Patch::Apply(&changed))
        .await
        .unwrap();
    assert_eq!(dry.data.unwrap()["k"], "changed");
    let live = cms.get("app").await.unwrap();
    assert_eq!(live.data.unwrap()["k"], "v");
    assert_eq!(live.metadata.resource_version.unwrap(), rv);

    // A no-op apply changes nothing.
    let again = cms.patch("app", &pp, &Patch::Apply(&cm)).await.unwrap();
    assert_eq!(again.metadata.resource_version.unwrap(), rv);

    // Apply without a field manager is refused with 422.
    let err = cms
        .patch("app", &PatchParams::default(), &Patch::Apply(&cm))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 422),
        "{err:?}"
    );

    // Typed create, stale update, selectors.
    let mut other: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "other", "labels": {"tier": "db"}}}))
            .unwrap();
    other = cms.create(&PostParams::default(), &other).await.unwrap();
    let err = cms
        .create(&PostParams::default(), &other)
        .await
        .unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "AlreadyExists"));
    let mut stale = other.clone();
    other.data = Some([("a".to_string(), "1".to_string())].into());
    cms.replace("other", &PostParams::default(), &other)
        .await
        .unwrap();
    stale.data = Some([("a".to_string(), "2".to_string())].into());
    let err = cms
        .replace("other", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "Conflict"));
    let web = cms
        .list(&ListParams::default().labels("tier=web"))
        .await
        .unwrap();
    assert_eq!(web.items.len(), 1);
    let page = cms.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let token = page.metadata.continue_.clone().expect("continue token");
    let rest = cms
        .list(&ListParams::default().limit(5).continue_token(&token))
        .await
        .unwrap();
    // The other ConfigMap and the kube-root-ca.crt every namespace holds.
    assert_eq!(rest.items.len(), 2);
    assert!(rest
        .items
        .iter()
        .all(|c| c.metadata.name != page.items[0].metadata.name));
    let err = cms.get("missing").await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref s) if s.code == 404 && s.reason == "NotFound"));

    // Dynamic API over a CRD kind discovered at runtime.
    let charts = helm_charts(&client).await;
    let chart = json!({"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "argo-cd"}, "spec": {"chart": "argo-cd", "repo": "https://argoproj.github.io/argo-helm"}});
    let created = charts
        .patch(
            "argo-cd",
            &PatchParams::apply("strata"),
            &Patch::Apply(&chart),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));

    // The Helm stand-in runs the install job, then installs the chart's CRDs.
    let jobs: Api<Job> = Api::namespaced(client.clone(), "kube-system");
    let done = tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(jobs, "helm-install-argo-cd", conditions::is_job_completed()),
    )
    .await
    .expect("install job completes in time")
    .unwrap();
    assert!(done.is_some());
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> = Api::all(client.clone());
    let established = tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(
            crds,
            "applications.argoproj.io",
            conditions::is_crd_established(),
        ),
    )
    .await
    .expect("argo CRDs appear")
    .unwrap();
    assert!(established.is_some());
}

#[tokio::test]
async fn deployment_rollout_and_garbage_collection() {
    let srv = common::server();
    let client = connect(&srv).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}
    });
    let created = deploys
        .patch("web", &PatchParams::apply("strata"), &Patch::Apply(&d))
        .await
        .unwrap();
    let done = tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(
            deploys.clone(),
            "web",
            conditions::is_deployment_completed(),
        ),
    )
    .await
    .expect("rollout completes")
    .unwrap()
    .unwrap();
    assert_eq!(done.status.unwrap().available_replicas, Some(2));

    // A dependent is collected once its owner is gone.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let owned = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "ownerReferences": [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": created.metadata.uid.unwrap()
    }]}});
    let dependent = cms
        .patch(
            "web-config",
            &PatchParams::apply("strata"),
            &Patch::Apply(&owned),
        )
        .await
        .unwrap();
    let dependent_uid = dependent.metadata.uid.unwrap();
    deploys
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    let gone = tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(
            cms.clone(),
            "web-config",
            conditions::is_deleted(&dependent_uid),
        ),
    )
    .await
    .expect("dependent collected");
    assert!(gone.is_ok());
    assert!(cms.get_opt("web-config").await.unwrap().is_none());
}

#[tokio::test]
async fn statefulsets_daemonsets_and_chart_payloads() {
    use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
    use k8s_openapi::api::storage::v1::StorageClass;
    let srv = common::server();
    let client = connect(&srv).await;
    let pp = PatchParams::apply("strata");
    let template = json!({"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres"}]}});
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let s = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}}, "template": template}});
    sts.patch("db", &pp, &Patch::Apply(&s)).await.unwrap();
    let ready = |obj: Option<&StatefulSet>| {
        obj.and_then(|o| o.status.as_ref())
            .and_then(|s| s.ready_replicas)
            == Some(3)
    };
    tokio::time::timeout(Duration::from_secs(10), await_condition(sts, "db", ready))
        .await
        .expect("statefulset ready")
        .unwrap();

    let ds: Api<DaemonSet> = Api::namespaced(client.clone(), "kube-system");
    let d = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": template}});
    ds.patch("agent", &pp, &Patch::Apply(&d)).await.unwrap();
    let available = |obj: Option<&DaemonSet>| {
        obj.and_then(|o| o.status.as_ref())
            .is_some_and(|s| s.number_available == Some(1) && s.desired_number_scheduled == 1)
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(ds, "agent", available),
    )
    .await
    .expect("daemonset available")
    .unwrap();

    let charts = helm_charts(&client).await;
    for (name, chart) in [
        ("longhorn", "longhorn/longhorn"),
        ("monitoring", "prometheus-community/kube-prometheus-stack"),
    ] {
        let c = json!({"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": name}, "spec": {"chart": chart}});
        charts.patch(name, &pp, &Patch::Apply(&c)).await.unwrap();
    }
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> = Api::all(client.clone());
    for crd in [
        "volumes.longhorn.io",
        "servicemonitors.monitoring.coreos.com",
    ] {
        tokio::time::timeout(
            Duration::from_secs(10),
            await_condition(crds.clone(), crd, conditions::is_crd_established()),
        )
        .await
        .expect("chart CRDs installed")
        .unwrap();
    }
    let sc: Api<StorageClass> = Api::all(client.clone());
    let longhorn = sc.get("longhorn").await.unwrap();
    assert_eq!(longhorn.provisioner, "driver.longhorn.io");
    let chart = charts.get("longhorn").await.unwrap();
    assert_eq!(chart.data["status"]["jobName"], "helm-install-longhorn");
}

#[tokio::test]
async fn foreground_and_orphan_propagation() {
    let srv = common::server();
    let client = connect(&srv).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = PatchParams::apply("strata");
    let mk = |name: &str, owner: Option<&ConfigMap>| {
        let mut v = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
        if let Some(o) = owner {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": o.metadata.name, "uid": o.metadata.uid}]);
        }
        v
    };
    let owner = cms
        .patch("owner", &pp, &Patch::Apply(&mk("owner", None)))
        .await
        .unwrap();
    cms.patch("child", &pp, &Patch::Apply(&mk("child", Some(&owner))))
        .await
        .unwrap();
    cms.delete("owner", &DeleteParams::foreground())
        .await
        .unwrap();
    let gone = |name: &'static str| {
        let cms = cms.clone();
        async move {
            for _ in 0..100 {
                if cms.get_opt(name).await.unwrap().is_none() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(
        gone("child").await && gone("owner").await,
        "foreground deletion removes dependents, then the owner"
    );

    let owner = cms
        .patch("owner2", &pp, &Patch::Apply(&mk("owner2", None)))
        .await
        .unwrap();
    cms.patch("child2", &pp, &Patch::Apply(&mk("child2", Some(&owner))))
        .await
        .unwrap();
    cms.delete("owner2", &DeleteParams::orphan()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let child = cms.get("child2").await.unwrap();
    assert!(
        child.metadata.owner_references.is_none(),
        "orphaned dependents lose the owner reference"
    );
}

#[tokio::test]
async fn status_subresource_is_separate_from_the_main_resource() {
    let srv = common::server_with(|c| c.rollout_delay = Duration::from_secs(3600));
    let client = connect(&srv).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let j = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}},
        "status": {"succeeded": 7}});
    let created = jobs
        .patch("once", &PatchParams::apply("strata"), &Patch::Apply(&j))
        .await
        .unwrap();
    assert_ne!(
        created.status.as_ref().and_then(|s| s.succeeded),
        Some(7),
        "status is ignored on the main resource"
    );
    let patched = jobs
        .patch_status(
            "once",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"failed": 2}, "spec": {"parallelism": 9}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.status.unwrap().failed, Some(2));
    assert_eq!(
        patched.spec.unwrap().parallelism,
        created.spec.unwrap().parallelism,
        "spec is ignored on /status"
    );
    assert_eq!(patched.metadata.generation, Some(1));
}

/// The HelmChart API in kube-system, found through aggregated discovery as
/// a client that knows nothing of the kind would find it.
async fn helm_charts(client: &kube::Client) -> Api<DynamicObject> {
    let disc = Discovery::new(client.clone())
        .run_aggregated()
        .await
        .unwrap();
    let (ar, _) = disc
        .resolve_gvk(&kube::api::GroupVersionKind::gvk(
            "helm.cattle.io",
            "v1",
            "HelmChart",
        ))
        .unwrap();
    Api::namespaced_with(client.clone(), "kube-system", &ar)
}
