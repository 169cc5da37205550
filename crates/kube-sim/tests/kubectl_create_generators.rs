//! kubectl's typed `create` generators send protobuf bodies; each one creates the object a
//! real server stores, defaulted and validated as a JSON body would be.

mod common;

use common::{server, Kubectl};
use serde_json::{json, Value};

fn create(k: &Kubectl, args: &[&str], expect: &str) {
    let mut full = vec!["create"];
    full.extend_from_slice(args);
    assert_eq!(k.ok(&full).trim(), expect, "kubectl {full:?}");
}

/// The protobuf body really is what kubectl sent (so these tests cover the decoder).
fn sends_protobuf(k: &Kubectl, args: &[&str]) {
    let mut full = vec!["create", "--dry-run=server", "-v=8"];
    full.extend_from_slice(args);
    let out = k.run(&full);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "{log}"
    );
}

#[test]
fn workload_generators() {
    let srv = server();
    let k = Kubectl::new(&srv);
    sends_protobuf(&k, &["job", "probe", "--image=busybox"]);
    create(
        &k,
        &["job", "hello", "--image=busybox:1.36", "--", "echo", "hi"],
        "job.batch/hello created",
    );
    let job = k.get_json(&["job", "hello"]);
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "hello");
    assert_eq!(c["image"], "busybox:1.36");
    assert_eq!(c["command"], json!(["echo", "hi"]));
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    // Defaulted as a JSON body: counts and the generated selector.
    assert_eq!(job["spec"]["backoffLimit"], 6);
    assert!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"].is_string()
    );

    create(
        &k,
        &[
            "cronjob",
            "tick",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--",
            "date",
        ],
        "cronjob.batch/tick created",
    );
    let cj = k.get_json(&["cronjob", "tick"]);
    assert_eq!(cj["spec"]["schedule"], "*/5 * * * *");
    assert_eq!(cj["spec"]["concurrencyPolicy"], "Allow");
    assert_eq!(cj["spec"]["jobTemplate"]["metadata"]["name"], "tick");
    let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "OnFailure");
    assert_eq!(pod["containers"][0]["command"], json!(["date"]));

    create(
        &k,
        &[
            "deployment",
            "idle",
            "--image=nginx:1.27",
            "--replicas=0",
            "--port=80",
        ],
        "deployment.apps/idle created",
    );
    let d = k.get_json(&["deployment", "idle"]);
    assert_eq!(d["spec"]["replicas"], 0, "an explicit zero is kept");
    assert_eq!(
        d["spec"]["template"]["metadata"],
        json!({ "labels": { "app": "idle" } })
    );
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["ports"],
        json!([{ "containerPort": 80, "protocol": "TCP" }])
    );
    assert_eq!(c["resources"], json!({}));

    create(
        &k,
        &[
            "poddisruptionbudget",
            "keep",
            "--selector=app=idle",
            "--min-available=50%",
        ],
        "poddisruptionbudget.policy/keep created",
    );
    let pdb = k.get_json(&["pdb", "keep"]);
    assert_eq!(
        pdb["spec"],
        json!({ "minAvailable": "50%", "selector": { "matchLabels": { "app": "idle" } } })
    );

    let out = k.ok(&[
        "autoscale",
        "deployment",
        "idle",
        "--min=2",
        "--max=5",
        "--cpu=70%",
    ]);
    assert_eq!(
        out.trim(),
        "horizontalpodautoscaler.autoscaling/idle autoscaled"
    );
    let hpa = k.get_json(&["horizontalpodautoscalers.v1.autoscaling", "idle"]);
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 5);
    assert_eq!(hpa["spec"]["targetCPUUtilizationPercentage"], 70);
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({ "kind": "Deployment", "name": "idle", "apiVersion": "apps/v1" })
    );
}

fn port(svc: &Value) -> &Value {
    &svc["spec"]["ports"][0]
}

#[test]
fn service_generators() {
    let srv = server();
    let k = Kubectl::new(&srv);
    sends_protobuf(&k, &["service", "clusterip", "probe", "--tcp=80"]);
    create(
        &k,
        &["service", "clusterip", "web", "--tcp=80:8080"],
        "service/web created",
    );
    let svc = k.get_json(&["service", "web"]);
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    assert_eq!(svc["spec"]["selector"], json!({ "app": "web" }));
    assert_eq!(
        port(&svc),
        &json!({ "name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080 })
    );
    assert!(svc["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .starts_with("10.43."));

    create(
        &k,
        &["service", "nodeport", "np", "--tcp=443:8443"],
        "service/np created",
    );
    let svc = k.get_json(&["service", "np"]);
    assert_eq!(svc["spec"]["type"], "NodePort");
    let node_port = port(&svc)["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&node_port), "{svc}");
    assert_eq!(port(&svc)["targetPort"], 8443);

    create(
        &k,
        &["service", "loadbalancer", "lb", "--tcp=5432"],
        "service/lb created",
    );
    let svc = k.get_json(&["service", "lb"]);
    assert_eq!(svc["spec"]["type"], "LoadBalancer");
    // No target port given: the server defaults it to the port.
    assert_eq!(port(&svc)["targetPort"], 5432);
    assert_eq!(svc["spec"]["allocateLoadBalancerNodePorts"], true);

    create(
        &k,
        &[
            "service",
            "externalname",
            "ext",
            "--external-name=db.example.com",
        ],
        "service/ext created",
    );
    let svc = k.get_json(&["service", "ext"]);
    assert_eq!(svc["spec"]["type"], "ExternalName");
    assert_eq!(svc["spec"]["externalName"], "db.example.com");
    assert!(svc["spec"].get("clusterIP").is_none(), "{svc}");

    create(
        &k,
        &[
            "ingress",
            "site",
            "--class=nginx",
            "--rule=foo.com/bar*=web:8080,tls=site-cert",
        ],
        "ingress.networking.k8s.io/site created",
    );
    let ing = k.get_json(&["ingress", "site"]);
    assert_eq!(
        ing["spec"],
        json!({
            "ingressClassName": "nginx",
            "rules": [{ "host": "foo.com", "http": { "paths": [{
                "path": "/bar", "pathType": "Prefix",
                "backend": { "service": { "name": "web", "port": { "number": 8080 } } },
            }] } }],
            "tls": [{ "hosts": ["foo.com"], "secretName": "site-cert" }],
        })
    );
}

#[test]
fn rbac_and_policy_generators() {
    let srv = server();
    let k = Kubectl::new(&srv);
    sends_protobuf(&k, &["role", "probe", "--verb=get", "--resource=pods"]);
    create(
        &k,
        &[
            "role",
            "reader",
            "--verb=get,list",
            "--resource=pods,deployments.apps",
        ],
        "role.rbac.authorization.k8s.io/reader created",
    );
    assert_eq!(
        k.get_json(&["role", "reader"])["rules"],
        json!([
            { "verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"] },
            { "verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"] },
        ])
    );
    create(
        &k,
        &[
            "clusterrole",
            "logs",
            "--verb=get",
            "--non-resource-url=/logs/*",
        ],
        "clusterrole.rbac.authorization.k8s.io/logs created",
    );
    assert_eq!(
        k.get_json(&["clusterrole", "logs"])["rules"],
        json!([{ "verbs": ["get"], "nonResourceURLs": ["/logs/*"] }])
    );
    create(&k, &["serviceaccount", "bot"], "serviceaccount/bot created");
    assert_eq!(
        k.get_json(&["serviceaccount", "bot"])["metadata"]["name"],
        "bot"
    );
    create(
        &k,
        &[
            "rolebinding",
            "read",
            "--role=reader",
            "--user=alice",
            "--serviceaccount=default:bot",
        ],
        "rolebinding.rbac.authorization.k8s.io/read created",
    );
    let rb = k.get_json(&["rolebinding", "read"]);
    assert_eq!(
        rb["roleRef"],
        json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader" })
    );
    assert_eq!(
        rb["subjects"],
        json!([
            { "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice" },
            { "kind": "ServiceAccount", "name": "bot", "namespace": "default" },
        ])
    );
    create(
        &k,
        &[
            "clusterrolebinding",
            "logs",
            "--clusterrole=logs",
            "--group=ops",
        ],
        "clusterrolebinding.rbac.authorization.k8s.io/logs created",
    );
    assert_eq!(
        k.get_json(&["clusterrolebinding", "logs"])["subjects"],
        json!([{ "kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ops" }])
    );

    create(
        &k,
        &[
            "priorityclass",
            "high",
            "--value=1000",
            "--description=important",
            "--preemption-policy=Never",
        ],
        "priorityclass.scheduling.k8s.io/high created",
    );
    let pc = k.get_json(&["priorityclass", "high"]);
    assert_eq!(pc["value"], 1000);
    assert_eq!(pc["description"], "important");
    assert_eq!(pc["preemptionPolicy"], "Never");
    assert!(pc.get("globalDefault").is_none(), "{pc}");

    create(
        &k,
        &[
            "quota",
            "compute",
            "--hard=cpu=1000m,memory=1024Mi,pods=10",
            "--scopes=BestEffort",
        ],
        "resourcequota/compute created",
    );
    let q = k.get_json(&["quota", "compute"]);
    // Quantities in canonical form, as the real server writes them back.
    assert_eq!(
        q["spec"]["hard"],
        json!({ "cpu": "1", "memory": "1Gi", "pods": "10" })
    );
    assert_eq!(q["spec"]["scopes"], json!(["BestEffort"]));
}

#[test]
fn decoded_bodies_are_validated_like_json() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let err = k.fails(&["create", "service", "clusterip", "Bad_Name", "--tcp=80"]);
    assert!(err.contains("is invalid"), "{err}");
    let err = k.fails(&["create", "job", "hello", "--image=busybox", "-n", "missing"]);
    assert!(err.contains("namespaces \"missing\" not found"), "{err}");
    create(
        &k,
        &["job", "hello", "--image=busybox"],
        "job.batch/hello created",
    );
    let err = k.fails(&["create", "job", "hello", "--image=busybox"]);
    assert!(err.contains("jobs.batch \"hello\" already exists"), "{err}");
}
