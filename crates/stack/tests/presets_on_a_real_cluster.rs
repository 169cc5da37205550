//! One test per way `stacks/production` used to plan but fail on a real k3s
//! cluster, each read from the generated resources.

use serde_json::Value;
use std::path::{Path, PathBuf};
use strata_stack::{load, Stack, VarOverrides};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stack(dir: &str) -> Stack {
    load(&repo().join(dir), &VarOverrides::default()).expect("the stack is valid")
}

fn attrs<'a>(s: &'a Stack, address: &str) -> &'a Value {
    &s.expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| panic!("{address} is missing"))
        .attributes
}

fn values(s: &Stack, address: &str) -> Value {
    serde_norway::from_str(attrs(s, address)["spec"]["valuesContent"].as_str().unwrap()).unwrap()
}

/// Every image a chart or a custom resource names.
fn images(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(r)), Some(Value::String(t))) =
                (m.get("repository"), m.get("tag"))
            {
                out.push(format!("{r}:{t}"));
            }
            for (k, x) in m {
                if k == "image" || k == "imageName" {
                    if let Value::String(s) = x {
                        out.push(s.clone());
                    }
                }
                images(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| images(x, out)),
        _ => {}
    }
}

#[test]
fn no_image_from_the_retired_bitnami_repository() {
    let s = stack("stacks/production");
    let mut all = Vec::new();
    for r in &s.expanded.resources {
        images(&r.attributes, &mut all);
        if let Some(y) = r.attributes["spec"]["valuesContent"].as_str() {
            images(&serde_norway::from_str(y).unwrap(), &mut all);
        }
        // No Bitnami chart is left whose defaults point at docker.io/bitnami,
        // but MinIO's, whose image is overridden.
        if r.attributes["kind"] == "HelmChart" {
            let repo = r.attributes["spec"]["repo"].as_str().unwrap();
            if repo.contains("bitnami") {
                assert_eq!(r.attributes["spec"]["chart"], "minio", "{}", r.address);
            }
        }
    }
    assert!(all.iter().all(|i| !i.starts_with("bitnami/")), "{all:?}");
    assert!(all.contains(&"bitnamilegacy/minio:2025.7.23-debian-12-r5".to_string()));
    // The plan says that nobody updates MinIO's image.
    assert!(s
        .warnings
        .iter()
        .any(|w| w.code == "strata::unmaintained-image"));
}

#[test]
fn kafka_clients_reach_a_plain_in_cluster_listener() {
    let s = stack("stacks/production");
    let kafka = attrs(&s, "service.kafka/Kafka");
    let listeners = kafka["spec"]["kafka"]["listeners"].as_array().unwrap();
    let plain = listeners.iter().find(|l| l["port"] == 9092).unwrap();
    assert_eq!(plain["type"], "internal");
    assert_eq!(plain["tls"], false);
    assert!(
        plain.get("authentication").is_none(),
        "no credentials needed"
    );
    let cm = attrs(&s, "app.my-microservice/ConfigMap");
    assert_eq!(
        cm["data"]["KAFKA_BOOTSTRAP_SERVERS"],
        "kafka-kafka-bootstrap.kafka.svc.cluster.local:9092"
    );
    // No chart key that chart 32.x ignored (`kraft.enabled`) is left.
    assert!(!s
        .expanded
        .resources
        .iter()
        .any(|r| r.attributes["spec"]["valuesContent"]
            .as_str()
            .is_some_and(|v| v.contains("kraft:"))));
}

#[test]
fn minio_metrics_are_on_and_scraped() {
    let s = stack("stacks/production");
    let v = values(&s, "service.minio/HelmChart");
    assert_eq!(v["metrics"]["enabled"], true);
    assert_eq!(v["metrics"]["serviceMonitor"]["enabled"], true);
    assert_eq!(
        v["metrics"]["serviceMonitor"]["labels"]["release"],
        "prometheus"
    );
}

#[test]
fn agents_never_label_themselves_with_restricted_labels() {
    let s = stack("stacks/production");
    for n in 1..=5 {
        let a = attrs(&s, &format!("k3s.main/agent/worker-{n}"));
        let config: Value = serde_norway::from_str(a["config"].as_str().unwrap()).unwrap();
        assert!(config.get("node-label").is_none(), "{config}");
        assert_eq!(a["api_labels"]["node-role.kubernetes.io/worker"], "true");
    }
    assert!(s
        .warnings
        .iter()
        .any(|w| w.code == "strata::restricted-node-label"));
}

#[test]
fn the_api_endpoint_is_served_and_joined_through() {
    let s = stack("stacks/production");
    for (addr, init) in [
        ("k3s.main/server/master-1", true),
        ("k3s.main/server/master-2", false),
        ("k3s.main/agent/worker-3", false),
    ] {
        let r = attrs(&s, addr);
        let config: Value = serde_norway::from_str(r["config"].as_str().unwrap()).unwrap();
        if init {
            assert_eq!(config["cluster-init"], true);
        } else {
            assert_eq!(config["server"], "https://10.0.0.10:6443", "{addr}");
        }
    }
    for n in 1..=3 {
        let vip = attrs(&s, &format!("k3s.main/server/master-{n}"))["manifests"]
            ["strata-kube-vip.yaml"]
            .as_str()
            .unwrap()
            .to_string();
        let daemonset: Value = vip
            .split("\n---\n")
            .map(|d| serde_norway::from_str::<Value>(d).unwrap())
            .find(|d| d["kind"] == "DaemonSet")
            .expect("a kube-vip DaemonSet");
        let env: std::collections::BTreeMap<&str, &str> = daemonset["spec"]["template"]["spec"]
            ["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap()))
            .collect();
        for (k, v) in [
            ("vip_arp", "true"),
            ("vip_leaderelection", "true"),
            ("cp_enable", "true"),
            ("address", "10.0.0.10"),
            ("port", "6443"),
            ("vip_interface", "eth0"),
        ] {
            assert_eq!(env.get(k), Some(&v), "{k} in {env:?}");
        }
    }
    // Staging has no endpoint of its own: its nodes join the server.
    let staging = stack("stacks/staging");
    let a = attrs(&staging, "k3s.main/agent/staging-worker-1");
    assert!(a["config"]
        .as_str()
        .unwrap()
        .contains("server: https://10.1.0.11:6443"));
}

#[test]
fn one_default_storage_class() {
    for dir in ["stacks/production", "stacks/staging"] {
        let s = stack(dir);
        let server = s
            .expanded
            .resources
            .iter()
            .find(|r| r.address.as_str().starts_with("k3s.main/server/"))
            .unwrap();
        let config: Value =
            serde_norway::from_str(server.attributes["config"].as_str().unwrap()).unwrap();
        assert!(
            config["disable"]
                .as_array()
                .unwrap()
                .contains(&"local-storage".into()),
            "{dir}: {config}"
        );
        assert_eq!(
            values(&s, "storage.longhorn/HelmChart")["persistence"]["defaultClass"],
            true
        );
        assert!(!s
            .warnings
            .iter()
            .any(|w| w.code == "ha/default-storage-class"));
    }
}

/// The dashboard selects series by labels; each must be one Prometheus
/// attaches to the app's series: the ServiceMonitor's target labels, or
/// those every scraped or cAdvisor/kube-state-metrics series carries.
#[test]
fn the_dashboard_selects_labels_the_series_carry() {
    let s = stack("stacks/production");
    let sm = attrs(&s, "app.my-microservice/ServiceMonitor");
    let mut attached: Vec<String> = sm["spec"]["targetLabels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    attached.extend(
        [
            "namespace",
            "pod",
            "container",
            "service",
            "job",
            "instance",
            "deployment",
        ]
        .iter()
        .map(|l| l.to_string()),
    );
    let cm = attrs(&s, "app.my-microservice/ConfigMap/dashboard");
    let dashboard: Value = serde_json::from_str(
        cm["data"]["my-microservice-dashboard.json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut exprs = Vec::new();
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(e)) = m.get("expr") {
                    out.push(e.clone());
                }
                m.values().for_each(|x| collect(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    collect(&dashboard, &mut exprs);
    assert!(!exprs.is_empty());
    let mut selected = Vec::new();
    for e in &exprs {
        for sel in e.split('{').skip(1) {
            let sel = sel.split('}').next().unwrap();
            for m in sel.split(',') {
                let name = m.split(['=', '!', '~']).next().unwrap().trim();
                if !name.is_empty() {
                    selected.push(name.to_string());
                }
            }
        }
    }
    assert!(selected.contains(&"app".to_string()), "{selected:?}");
    for l in &selected {
        assert!(
            attached.contains(l),
            "the dashboard selects `{l}`, which no series carries"
        );
    }
}

#[test]
fn every_app_has_one_owner() {
    let s = stack("stacks/production");
    let set = attrs(&s, "application_set.my-microservice/ApplicationSet");
    for e in set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap()
    {
        assert_ne!(e["url"], "https://kubernetes.default.svc");
        assert_ne!(e["url"], "https://10.0.0.10:6443");
    }
    assert_eq!(
        set["spec"]["template"]["spec"]["destination"]["namespace"],
        "{{namespace}}"
    );
    // Staging's microservice comes from Argo CD: Strata applies none of it.
    let staging = stack("stacks/staging");
    assert!(!staging
        .expanded
        .resources
        .iter()
        .any(|r| r.address.as_str().starts_with("app.")));
}

#[test]
fn versions_are_current() {
    let s = stack("stacks/production");
    assert_eq!(
        attrs(&s, "k3s.main/server/master-1")["version"],
        "v1.36.3+k3s1"
    );
    for (addr, chart, version) in [
        ("storage.longhorn/HelmChart", "longhorn", "1.12.1"),
        (
            "service.prometheus/HelmChart",
            "kube-prometheus-stack",
            "88.5.3",
        ),
        ("service.argocd/HelmChart", "argo-cd", "10.1.1"),
        ("service.kafka/HelmChart", "strimzi-kafka-operator", "1.2.0"),
        ("service.postgresql/HelmChart", "cloudnative-pg", "0.29.0"),
    ] {
        let spec = &attrs(&s, addr)["spec"];
        assert_eq!(
            (spec["chart"].as_str(), spec["version"].as_str()),
            (Some(chart), Some(version))
        );
    }
}

#[test]
fn postgresql_fails_over_and_the_app_writes_to_the_primary() {
    let s = stack("stacks/production");
    let c = attrs(&s, "service.postgresql/Cluster");
    assert_eq!(c["spec"]["instances"], 3);
    assert_eq!(
        c["spec"]["bootstrap"]["initdb"]["secret"]["name"],
        "postgresql-owner"
    );
    let owner = s
        .expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == "service.postgresql/Secret/owner")
        .unwrap();
    assert_eq!(owner.attributes["type"], "kubernetes.io/basic-auth");
    assert_eq!(owner.attributes["stringData"]["password"], "(sensitive)");
    assert!(owner
        .sensitive
        .iter()
        .any(|p| p.path.to_string() == "stringData.password"));
    let app = s
        .expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == "app.my-microservice/Secret")
        .unwrap();
    let url: String = app
        .sensitive
        .iter()
        .find(|p| p.path.to_string() == "stringData.DATABASE_URL")
        .unwrap()
        .parts
        .iter()
        .map(|p| match p {
            strata_engine::SecretPart::Literal(l) => l.clone(),
            strata_engine::SecretPart::Secret(n) => format!("<{n}>"),
        })
        .collect();
    assert_eq!(
        url,
        "postgresql://user:<pg_password>@postgresql-rw.postgresql.svc.cluster.local:5432/mydb"
    );
}
