//! Defaulting, checked with a real kubectl: objects come back with the defaults a real API
//! server adds, server-side apply does not hand those fields to the applier, dry runs show
//! them too, and an identical second apply changes nothing.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

const APP: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: registry.example.com/web:1.4.2
        ports:
        - containerPort: 8000
        resources:
          requests: {cpu: 1000m, memory: 1024Mi}
          limits: {cpu: "2", memory: 0.5Gi}
        readinessProbe:
          httpGet: {port: 8000}
      - name: sidecar
        image: busybox
        volumeMounts:
        - {name: config, mountPath: /etc/config}
      volumes:
      - name: config
        configMap: {name: web}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
  - name: metrics
    port: 9090
    targetPort: metrics
---
apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: shop
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 443
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: s3cret
"#;

fn managed_by(obj: &Value, manager: &str) -> Value {
    obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["manager"] == manager)
        .map(|m| m["fieldsV1"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn built_in_kinds_come_back_defaulted_and_reapply_is_a_no_op() {
    let srv = server_with(|c| c.rollout_delay = Duration::from_secs(600));
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("app.yaml", APP);
    let file = file.to_str().unwrap();

    // A dry run already shows the defaults (Strata's plan compares it with the live object).
    k.ok(&["create", "namespace", "shop"]);
    let dry = k.ok(&[
        "apply",
        "--server-side",
        "--dry-run=server",
        "-f",
        file,
        "-o",
        "json",
    ]);
    let dry: Value = serde_json::from_str(&dry).unwrap();
    let dry_dep = dry["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap()
        .clone();
    assert_eq!(dry_dep["spec"]["progressDeadlineSeconds"], 600);

    k.ok(&["apply", "--server-side", "-f", file]);
    let dep = k.get_json(&["deployment", "web", "-n", "shop", "--show-managed-fields"]);
    let spec = &dep["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    assert_eq!(
        spec["strategy"],
        serde_json::json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(pod["dnsPolicy"], "ClusterFirst");
    assert_eq!(pod["schedulerName"], "default-scheduler");
    assert_eq!(pod["terminationGracePeriodSeconds"], 30);
    assert_eq!(pod["securityContext"], serde_json::json!({}));
    assert_eq!(pod["serviceAccount"], "web");
    assert_eq!(pod["volumes"][0]["configMap"]["defaultMode"], 420);
    let web = &pod["containers"][0];
    assert_eq!(web["imagePullPolicy"], "IfNotPresent");
    assert_eq!(web["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(web["terminationMessagePolicy"], "File");
    assert_eq!(web["ports"][0]["protocol"], "TCP");
    assert_eq!(
        web["resources"],
        serde_json::json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "512Mi"}})
    );
    assert_eq!(
        web["readinessProbe"],
        serde_json::json!({"httpGet": {"port": 8000, "path": "/", "scheme": "HTTP"},
            "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    let sidecar = &pod["containers"][1];
    assert_eq!(sidecar["imagePullPolicy"], "Always");
    assert_eq!(sidecar["resources"], serde_json::json!({}));
    // The dry run and the real apply agree on every defaulted field.
    assert_eq!(dry_dep["spec"], dep["spec"]);

    // Defaulted fields belong to nobody: the applier owns only what it sent.
    let owned = managed_by(&dep, "kubectl");
    assert!(owned["f:spec"].get("f:selector").is_some(), "{owned}");
    for defaulted in [
        "f:replicas",
        "f:strategy",
        "f:revisionHistoryLimit",
        "f:progressDeadlineSeconds",
    ] {
        assert!(
            owned["f:spec"].get(defaulted).is_none(),
            "{defaulted} must not be owned by the applier: {owned}"
        );
    }
    let pod_owned = &owned["f:spec"]["f:template"]["f:spec"];
    assert!(pod_owned.get("f:restartPolicy").is_none(), "{pod_owned}");
    assert!(pod_owned.get("f:dnsPolicy").is_none(), "{pod_owned}");

    // Services: type, affinity, families, target ports, an allocated cluster IP and node port.
    let svc = k.get_json(&["service", "web", "-n", "shop"]);
    let s = &svc["spec"];
    assert_eq!(s["type"], "ClusterIP");
    assert_eq!(s["sessionAffinity"], "None");
    assert_eq!(s["ipFamilies"], serde_json::json!(["IPv4"]));
    assert_eq!(s["ipFamilyPolicy"], "SingleStack");
    assert_eq!(s["internalTrafficPolicy"], "Cluster");
    assert_eq!(s["ports"][0]["targetPort"], 80);
    assert_eq!(s["ports"][0]["protocol"], "TCP");
    assert_eq!(s["ports"][1]["targetPort"], "metrics");
    let ip = s["clusterIP"].as_str().unwrap();
    assert!(ip.starts_with("10.43."), "{ip}");
    assert_eq!(s["clusterIPs"], serde_json::json!([ip]));
    let edge = k.get_json(&["service", "edge", "-n", "shop"]);
    let node_port = edge["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&node_port), "{node_port}");
    assert_eq!(edge["spec"]["externalTrafficPolicy"], "Cluster");
    assert_ne!(edge["spec"]["clusterIP"], s["clusterIP"]);

    let ns = k.get_json(&["namespace", "shop"]);
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "shop"
    );
    let secret = k.get_json(&["secret", "creds", "-n", "shop"]);
    assert_eq!(secret["data"]["password"], "czNjcmV0");
    assert_eq!(secret["type"], "Opaque");
    assert!(secret.get("stringData").is_none(), "{secret}");

    // An identical second apply changes nothing: same resourceVersions, clean diff.
    let versions = |k: &Kubectl| {
        k.get_json(&["deployment,service,secret,namespace", "-n", "shop"])["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                format!(
                    "{}/{}={}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap(),
                    o["metadata"]["resourceVersion"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    std::thread::sleep(Duration::from_millis(500));
    let before = versions(&k);
    k.ok(&["apply", "--server-side", "-f", file]);
    assert_eq!(versions(&k), before);
    let out = k.run(&["diff", "--server-side", "-f", file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let again = k.get_json(&["service", "edge", "-n", "shop"]);
    assert_eq!(again["spec"]["ports"][0]["nodePort"], node_port);
}

const WORKLOADS: &str = r#"apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:17
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 10240Mi}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: default
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent@sha256:0000000000000000000000000000000000000000000000000000000000000000
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: default
spec:
  template:
    metadata:
      labels: {app: migrate}
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: migrate:latest
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: default
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 60
"#;

#[test]
fn workloads_jobs_and_autoscalers_are_defaulted() {
    let srv = server_with(|c| c.rollout_delay = Duration::from_secs(600));
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("workloads.yaml", WORKLOADS);
    k.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);

    let sts = k.get_json(&["statefulset", "db"])["spec"].clone();
    assert_eq!(sts["replicas"], 1);
    assert_eq!(sts["podManagementPolicy"], "OrderedReady");
    assert_eq!(
        sts["updateStrategy"],
        serde_json::json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
    assert_eq!(sts["revisionHistoryLimit"], 10);
    assert_eq!(
        sts["persistentVolumeClaimRetentionPolicy"],
        serde_json::json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    let claim = &sts["volumeClaimTemplates"][0];
    assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "10Gi");
    assert_eq!(claim["status"]["phase"], "Pending");

    let ds = k.get_json(&["daemonset", "agent"])["spec"].clone();
    assert_eq!(
        ds["updateStrategy"],
        serde_json::json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(
        ds["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );

    let job = k.get_json(&["job", "migrate"]);
    let uid = job["metadata"]["uid"].as_str().unwrap();
    let js = &job["spec"];
    assert_eq!(js["completions"], 1);
    assert_eq!(js["parallelism"], 1);
    assert_eq!(js["backoffLimit"], 6);
    assert_eq!(js["completionMode"], "NonIndexed");
    assert_eq!(js["suspend"], false);
    assert_eq!(js["podReplacementPolicy"], "TerminatingOrFailed");
    assert_eq!(
        js["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid
    );
    let labels = &js["template"]["metadata"]["labels"];
    assert_eq!(labels["job-name"], "migrate");
    assert_eq!(labels["controller-uid"], uid);
    assert_eq!(labels["app"], "migrate");
    assert_eq!(job["metadata"]["labels"]["app"], "migrate");
    assert_eq!(
        js["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );

    let hpa = k.get_json(&["hpa", "web"])["spec"].clone();
    assert_eq!(hpa["minReplicas"], 1);
    assert_eq!(
        hpa["metrics"][0]["resource"]["target"]["averageUtilization"],
        80
    );
    assert_eq!(
        hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        60
    );
    assert_eq!(hpa["behavior"]["scaleDown"]["selectPolicy"], "Max");
    assert_eq!(hpa["behavior"]["scaleUp"]["policies"][0]["value"], 4);

    let out = k.run(&["diff", "--server-side", "-f", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn includes(live: &Value, want: &Value) -> bool {
    match (live, want) {
        (Value::Object(l), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| l.get(k).is_some_and(|lv| includes(lv, v))),
        _ => live == want,
    }
}

#[test]
fn custom_resources_get_their_crd_schema_defaults() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let crd_file = fixtures().join("crd-cnpg-clusters.yaml");
    k.ok(&["apply", "--server-side", "-f", crd_file.to_str().unwrap()]);
    let crd = &kube_sim::manifests::load(&crd_file).unwrap()[0];
    let spec_schema =
        &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let defaults: Vec<(String, Value)> = spec_schema["properties"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "instances" | "storage"))
        .filter_map(|(k, p)| p.get("default").map(|d| (k.clone(), d.clone())))
        .collect();
    assert!(defaults.len() >= 5, "{defaults:?}");

    let cluster = k.write_manifest(
        "cluster.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: default\nspec:\n  instances: 3\n  storage:\n    size: 1Gi\n",
    );
    k.ok(&["apply", "--server-side", "-f", cluster.to_str().unwrap()]);
    let live = k.get_json(&["clusters.postgresql.cnpg.io", "db", "--show-managed-fields"]);
    for (field, value) in &defaults {
        // A default that is an object is itself defaulted further, so it may grow.
        assert!(
            includes(&live["spec"][field], value),
            "spec.{field}: {} lacks {value}",
            live["spec"][field]
        );
    }
    let owned = managed_by(&live, "kubectl");
    for (field, _) in &defaults {
        assert!(
            owned["f:spec"].get(format!("f:{field}")).is_none(),
            "defaulted spec.{field} is not the applier's"
        );
    }
    let rv = live["metadata"]["resourceVersion"].clone();
    k.ok(&["apply", "--server-side", "-f", cluster.to_str().unwrap()]);
    assert_eq!(
        k.get_json(&["clusters.postgresql.cnpg.io", "db"])["metadata"]["resourceVersion"],
        rv
    );
}
