//! Deployments through a real kubectl: ReplicaSets and pods appear behind them, `kubectl
//! rollout status|history|undo` work, scaling reaches the pods, and deleting the Deployment
//! collects everything it owned.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{eventually, server, Kubectl};
use serde_json::Value;

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
  annotations:
    team: blue
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
"#;

const TIMEOUT: Duration = Duration::from_secs(30);

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// The ReplicaSets and pods labelled `app=<app>`, from one `kubectl get rs,pods`.
fn rs_and_pods(k: &Kubectl, app: &str) -> (Vec<Value>, Vec<Value>) {
    let all = k.get_json(&["rs,pods", "-l", &format!("app={app}")]);
    let (rs, pods): (Vec<Value>, Vec<Value>) = items(&all)
        .into_iter()
        .partition(|o| o["kind"] == "ReplicaSet");
    assert!(pods.iter().all(|p| p["kind"] == "Pod"), "{all}");
    (rs, pods)
}

fn annotation<'a>(o: &'a Value, key: &str) -> &'a str {
    o["metadata"]["annotations"][key].as_str().unwrap_or("")
}

fn rs_by_revision(rs: &[Value], revision: &str) -> Value {
    rs.iter()
        .find(|r| annotation(r, "deployment.kubernetes.io/revision") == revision)
        .cloned()
        .unwrap_or_else(|| panic!("no ReplicaSet of revision {revision}: {rs:?}"))
}

fn rollout_status(k: &Kubectl, name: &str) {
    let out = k.ok(&[
        "rollout",
        "status",
        &format!("deployment/{name}"),
        "--timeout=60s",
    ]);
    assert!(
        out.trim_end()
            .ends_with(&format!("deployment \"{name}\" successfully rolled out")),
        "{out}"
    );
}

/// Pods that run the image, all Running and ready, controlled by `rs`.
fn assert_pods_of(pods: &[Value], rs: &Value, image: &str) {
    let rs_name = rs["metadata"]["name"].as_str().unwrap();
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap();
    let mut ips = HashSet::new();
    for p in pods {
        let name = p["metadata"]["name"].as_str().unwrap();
        let suffix = name
            .strip_prefix(&format!("{rs_name}-"))
            .unwrap_or_else(|| panic!("{name} is not named after {rs_name}"));
        assert_eq!(suffix.len(), 5, "{name}");
        assert_eq!(p["metadata"]["generateName"], format!("{rs_name}-"));
        assert_eq!(p["metadata"]["labels"]["app"], "web");
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash);
        let owner = &p["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "ReplicaSet");
        assert_eq!(owner["name"], rs_name);
        assert_eq!(owner["uid"], rs["metadata"]["uid"]);
        assert_eq!(owner["controller"], true);
        assert_eq!(owner["blockOwnerDeletion"], true);
        assert_eq!(p["spec"]["containers"][0]["image"], image);
        assert_eq!(
            p["spec"]["nodeName"], "kube-sim-node",
            "bound to the only node"
        );
        let s = &p["status"];
        assert_eq!(s["phase"], "Running", "{p}");
        for t in ["Initialized", "Ready", "ContainersReady", "PodScheduled"] {
            assert!(
                s["conditions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["type"] == t && c["status"] == "True"),
                "{t}: {s}"
            );
        }
        let ip = s["podIP"].as_str().unwrap();
        assert!(ip.starts_with("10.42."), "{ip}");
        assert!(ips.insert(ip.to_string()), "pod IP {ip} handed out twice");
        assert_eq!(s["podIPs"][0]["ip"], ip);
        assert!(s["hostIP"].is_string() && s["startTime"].is_string(), "{s}");
        assert_eq!(s["qosClass"], "BestEffort");
        let c = &s["containerStatuses"][0];
        assert_eq!(c["name"], "web");
        assert_eq!(c["ready"], true);
        assert_eq!(c["started"], true);
        assert_eq!(c["image"], format!("docker.io/library/{image}"));
        assert!(c["state"]["running"]["startedAt"].is_string(), "{c}");
    }
}

#[test]
fn rollout_history_undo_scale_and_delete() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("web.yaml", DEPLOYMENT);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    rollout_status(&k, "web");

    // One ReplicaSet, named after the Deployment and its pod-template-hash, with three pods.
    let dep = k.get_json(&["deployment", "web"]);
    let (rs, pods) = rs_and_pods(&k, "web");
    assert_eq!(rs.len(), 1, "{rs:?}");
    let first = rs[0].clone();
    let hash = first["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first["metadata"]["name"], format!("web-{hash}"));
    assert_eq!(
        first["spec"]["selector"]["matchLabels"]["pod-template-hash"],
        hash.as_str()
    );
    assert_eq!(
        first["spec"]["template"]["metadata"]["labels"]["pod-template-hash"],
        hash.as_str()
    );
    let owner = &first["metadata"]["ownerReferences"][0];
    assert_eq!(owner["apiVersion"], "apps/v1");
    assert_eq!(owner["kind"], "Deployment");
    assert_eq!(owner["name"], "web");
    assert_eq!(owner["uid"], dep["metadata"]["uid"]);
    assert_eq!(owner["controller"], true);
    assert_eq!(owner["blockOwnerDeletion"], true);
    assert_eq!(annotation(&first, "deployment.kubernetes.io/revision"), "1");
    assert_eq!(
        annotation(&first, "deployment.kubernetes.io/desired-replicas"),
        "3"
    );
    assert_eq!(
        annotation(&first, "deployment.kubernetes.io/max-replicas"),
        "4"
    );
    assert_eq!(
        annotation(&first, "team"),
        "blue",
        "the Deployment's annotations are copied"
    );
    assert_eq!(first["status"]["replicas"], 3);
    assert_eq!(first["status"]["readyReplicas"], 3);
    assert_eq!(first["status"]["availableReplicas"], 3);
    assert_eq!(
        first["status"]["observedGeneration"],
        first["metadata"]["generation"]
    );
    assert_eq!(pods.len(), 3);
    assert_pods_of(&pods, &first, "nginx:1.27");

    // The tables show the columns a real server's printers fill.
    let table = k.ok(&["get", "deploy,rs,pods", "-l", "app=web", "-o", "wide"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let row = |first: &str| rows.iter().find(|r| r.first() == Some(&first)).cloned();
    let header = |col: &str| {
        rows.iter()
            .any(|r| r.first() == Some(&"NAME") && r.contains(&col))
    };
    for col in [
        "UP-TO-DATE",
        "DESIRED",
        "CURRENT",
        "RESTARTS",
        "STATUS",
        "IMAGES",
        "SELECTOR",
        "IP",
    ] {
        assert!(header(col), "{col}: {table}");
    }
    let d = row("deployment.apps/web").unwrap_or_default();
    assert_eq!(d[1..4], ["3/3", "3", "3"], "{table}");
    let r = row(&format!("replicaset.apps/web-{hash}")).unwrap_or_default();
    assert_eq!(r[1..4], ["3", "3", "3"], "{table}");
    assert_eq!(
        r[5..],
        [
            "web",
            "nginx:1.27",
            &format!("app=web,pod-template-hash={hash}")
        ]
    );
    for p in &pods {
        let name = format!("pod/{}", p["metadata"]["name"].as_str().unwrap());
        let cells = row(&name).unwrap_or_default();
        assert_eq!(cells[1..4], ["1/1", "Running", "0"], "{table}");
        assert_eq!(cells[5], p["status"]["podIP"]);
    }

    // The Deployment's status comes from its ReplicaSet.
    assert_eq!(annotation(&dep, "deployment.kubernetes.io/revision"), "1");
    let s = &dep["status"];
    assert_eq!(s["observedGeneration"], dep["metadata"]["generation"]);
    for f in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        assert_eq!(s[f], 3, "{f}: {s}");
    }
    assert!(s.get("unavailableReplicas").is_none(), "{s}");
    let conds = s["conditions"].as_array().unwrap();
    assert_eq!(conds[0]["type"], "Available");
    assert_eq!(conds[0]["reason"], "MinimumReplicasAvailable");
    assert_eq!(conds[1]["type"], "Progressing");
    assert_eq!(conds[1]["reason"], "NewReplicaSetAvailable");
    assert_eq!(
        conds[1]["message"],
        format!("ReplicaSet \"web-{hash}\" has successfully progressed.")
    );

    // A new image makes a second ReplicaSet; the first is scaled to zero and kept.
    k.ok(&["set", "image", "deployment/web", "web=nginx:1.28"]);
    rollout_status(&k, "web");
    assert!(eventually(TIMEOUT, || rs_and_pods(&k, "web").1.len() == 3));
    let (rs, pods) = rs_and_pods(&k, "web");
    assert_eq!(rs.len(), 2, "{rs:?}");
    let second = rs_by_revision(&rs, "2");
    let old = rs_by_revision(&rs, "1");
    assert_eq!(old["metadata"]["uid"], first["metadata"]["uid"]);
    assert_eq!(old["spec"]["replicas"], 0);
    assert_eq!(old["status"]["replicas"], 0);
    assert_ne!(second["metadata"]["name"], first["metadata"]["name"]);
    assert_eq!(second["spec"]["replicas"], 3);
    assert_pods_of(&pods, &second, "nginx:1.28");

    let history = k.ok(&["rollout", "history", "deployment/web"]);
    let revisions: Vec<&str> = history
        .lines()
        .skip_while(|l| !l.starts_with("REVISION"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    let one = k.ok(&["rollout", "history", "deployment/web", "--revision=1"]);
    assert!(
        one.contains("nginx:1.27") && one.contains(&format!("pod-template-hash={hash}")),
        "{one}"
    );

    // Undo goes back to the first template: its ReplicaSet is re-used under revision 3.
    let out = k.ok(&["rollout", "undo", "deployment/web"]);
    assert_eq!(out.trim(), "deployment.apps/web rolled back");
    rollout_status(&k, "web");
    assert!(eventually(TIMEOUT, || rs_and_pods(&k, "web").1.len() == 3));
    let (rs, pods) = rs_and_pods(&k, "web");
    assert_eq!(rs.len(), 2, "no new ReplicaSet for an old template: {rs:?}");
    let back = rs_by_revision(&rs, "3");
    assert_eq!(back["metadata"]["uid"], first["metadata"]["uid"]);
    assert_eq!(
        annotation(&back, "deployment.kubernetes.io/revision-history"),
        "1"
    );
    assert_eq!(back["spec"]["replicas"], 3);
    assert_eq!(rs_by_revision(&rs, "2")["spec"]["replicas"], 0);
    assert_pods_of(&pods, &back, "nginx:1.27");
    let dep = k.get_json(&["deployment", "web"]);
    assert_eq!(annotation(&dep, "deployment.kubernetes.io/revision"), "3");
    let history = k.ok(&["rollout", "history", "deployment/web"]);
    assert!(
        history.contains("\n2 ") && history.contains("\n3 ") && !history.contains("\n1 "),
        "{history}"
    );
    let again = k.ok(&["rollout", "undo", "deployment/web", "--to-revision=3"]);
    assert!(
        again.contains("skipped rollback (current template already matches revision 3)"),
        "{again}"
    );

    // Scaling reaches the ReplicaSet and its pods.
    k.ok(&["scale", "deployment/web", "--replicas=5"]);
    rollout_status(&k, "web");
    assert!(eventually(TIMEOUT, || {
        let (rs, pods) = rs_and_pods(&k, "web");
        let back = rs_by_revision(&rs, "3");
        pods.len() == 5 && back["spec"]["replicas"] == 5 && back["status"]["availableReplicas"] == 5
    }));
    let (rs, pods) = rs_and_pods(&k, "web");
    let back = rs_by_revision(&rs, "3");
    assert_eq!(
        annotation(&back, "deployment.kubernetes.io/desired-replicas"),
        "5"
    );
    assert_eq!(
        annotation(&back, "deployment.kubernetes.io/max-replicas"),
        "7"
    );
    assert_pods_of(&pods, &back, "nginx:1.27");
    k.ok(&["scale", "deployment/web", "--replicas=1"]);
    assert!(eventually(TIMEOUT, || rs_and_pods(&k, "web").1.len() == 1));
    let dep = k.get_json(&["deployment", "web"]);
    assert_eq!(dep["status"]["replicas"], 1, "{dep}");

    // Deleting the Deployment collects its ReplicaSets and pods.
    k.ok(&["delete", "deployment", "web"]);
    assert!(eventually(TIMEOUT, || {
        let (rs, pods) = rs_and_pods(&k, "web");
        rs.is_empty() && pods.is_empty()
    }));
}

const RECREATE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: batch
  namespace: default
spec:
  replicas: 2
  revisionHistoryLimit: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app: batch
  template:
    metadata:
      labels:
        app: batch
    spec:
      containers:
      - name: batch
        image: busybox:1.36
        resources:
          limits: {cpu: 100m, memory: 64Mi}
"#;

#[test]
fn recreate_history_limit_and_foreground_deletion() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("batch.yaml", RECREATE);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    rollout_status(&k, "batch");
    for tag in ["1.37", "1.38"] {
        k.ok(&[
            "set",
            "image",
            "deployment/batch",
            &format!("batch=busybox:{tag}"),
        ]);
        rollout_status(&k, "batch");
    }
    // Only one old ReplicaSet is kept; the oldest revision went.
    assert!(eventually(TIMEOUT, || rs_and_pods(&k, "batch").0.len() == 2));
    let (rs, pods) = rs_and_pods(&k, "batch");
    let mut revisions: Vec<&str> = rs
        .iter()
        .map(|r| annotation(r, "deployment.kubernetes.io/revision"))
        .collect();
    revisions.sort();
    assert_eq!(revisions, ["2", "3"]);
    // Recreate sizes the new set fully and records no surge.
    let new = rs_by_revision(&rs, "3");
    assert_eq!(
        annotation(&new, "deployment.kubernetes.io/max-replicas"),
        "2"
    );
    assert_eq!(pods.len(), 2);
    assert!(pods
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "busybox:1.38"
            && p["status"]["qosClass"] == "Guaranteed"
            && p["status"]["phase"] == "Running"));

    k.ok(&[
        "delete",
        "deployment",
        "batch",
        "--cascade=foreground",
        "--wait=true",
        "--timeout=60s",
    ]);
    assert!(eventually(TIMEOUT, || {
        let (rs, pods) = rs_and_pods(&k, "batch");
        rs.is_empty() && pods.is_empty()
    }));
    assert!(k
        .fails(&["get", "deployment", "batch"])
        .contains("NotFound"));
}

#[test]
fn pods_wait_for_the_rollout_delay() {
    let srv = common::server_with(|c| c.rollout_delay = Duration::from_secs(600));
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("web.yaml", DEPLOYMENT);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    assert!(eventually(TIMEOUT, || {
        let (_, pods) = rs_and_pods(&k, "web");
        pods.len() == 3 && pods.iter().all(|p| p["status"]["phase"] == "Pending")
    }));
    let (_, pods) = rs_and_pods(&k, "web");
    let s = &pods[0]["status"];
    assert!(s.get("podIP").is_none(), "{s}");
    assert_eq!(
        s["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ContainerCreating"
    );
    let ready = s["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "ContainersNotReady");
    assert_eq!(ready["message"], "containers with unready status: [web]");

    let dep = k.get_json(&["deployment", "web"]);
    let s = &dep["status"];
    assert_eq!(s["replicas"], 3, "{s}");
    assert_eq!(s["updatedReplicas"], 3, "{s}");
    assert_eq!(s["unavailableReplicas"], 3, "{s}");
    assert!(s.get("availableReplicas").is_none(), "{s}");
    let available = s["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Available")
        .unwrap()
        .clone();
    assert_eq!(available["status"], "False");
    assert_eq!(available["reason"], "MinimumReplicasUnavailable");
    let out = k.run(&["rollout", "status", "deployment/web", "--timeout=2s"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Waiting for deployment \"web\" rollout to finish: 0 of 3 updated replicas are available..."),
        "{text}"
    );
}

#[test]
fn a_paused_deployment_rolls_out_when_resumed() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("web.yaml", DEPLOYMENT);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    rollout_status(&k, "web");
    k.ok(&["rollout", "pause", "deployment/web"]);
    k.ok(&["set", "image", "deployment/web", "web=nginx:1.28"]);
    let progressing = |k: &Kubectl| {
        let d = k.get_json(&["deployment", "web"]);
        let c = d["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Progressing")
            .cloned();
        (d, c.unwrap_or_default())
    };
    assert!(eventually(TIMEOUT, || {
        let (d, c) = progressing(&k);
        c["reason"] == "DeploymentPaused"
            && d["status"]["observedGeneration"] == d["metadata"]["generation"]
    }));
    let (_, c) = progressing(&k);
    assert_eq!(c["status"], "Unknown");
    assert_eq!(c["message"], "Deployment is paused");
    let (rs, _) = rs_and_pods(&k, "web");
    assert_eq!(
        rs.len(),
        1,
        "a paused Deployment makes no new ReplicaSet: {rs:?}"
    );
    // With one revision there is nothing to go back to (kubectl looks before it checks pause).
    let err = k.fails(&["rollout", "undo", "deployment/web"]);
    assert!(
        err.contains("error: no rollout history found for deployment \"web\""),
        "{err}"
    );

    k.ok(&["rollout", "resume", "deployment/web"]);
    rollout_status(&k, "web");
    assert!(eventually(TIMEOUT, || {
        let (rs, pods) = rs_and_pods(&k, "web");
        rs.len() == 2
            && pods.len() == 3
            && pods
                .iter()
                .all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.28")
    }));
    let (_, c) = progressing(&k);
    assert_eq!(c["reason"], "NewReplicaSetAvailable");
}

#[test]
fn a_rolling_update_stays_within_max_surge_and_max_unavailable() {
    let srv = common::server_with(|c| c.rollout_delay = Duration::from_millis(1500));
    let k = Kubectl::new(&srv);
    let manifest = DEPLOYMENT.replace("replicas: 3", "replicas: 4");
    let file = k.write_manifest("web.yaml", &manifest);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    rollout_status(&k, "web");
    k.ok(&["set", "image", "deployment/web", "web=nginx:1.28"]);
    // 25% of 4: one pod above and one below the desired count at any time.
    let mut both_active = false;
    assert!(eventually(Duration::from_secs(60), || {
        let (rs, pods) = rs_and_pods(&k, "web");
        let sizes: Vec<i64> = rs
            .iter()
            .map(|r| r["spec"]["replicas"].as_i64().unwrap())
            .collect();
        let available: i64 = rs
            .iter()
            .map(|r| r["status"]["availableReplicas"].as_i64().unwrap_or(0))
            .sum();
        assert!(
            sizes.iter().sum::<i64>() <= 5,
            "more than maxSurge: {sizes:?}"
        );
        assert!(pods.len() <= 5, "{} pods", pods.len());
        assert!(
            available >= 3,
            "fewer than 4 - maxUnavailable available: {available}"
        );
        both_active |= sizes.iter().filter(|s| **s > 0).count() == 2;
        let new = rs
            .iter()
            .find(|r| annotation(r, "deployment.kubernetes.io/revision") == "2");
        sizes.iter().sum::<i64>() == 4 && new.is_some_and(|n| n["status"]["availableReplicas"] == 4)
    }));
    assert!(
        both_active,
        "the old and the new ReplicaSet ran side by side"
    );
    rollout_status(&k, "web");
}

#[test]
fn pods_that_never_start_exceed_the_progress_deadline() {
    let srv = common::server_with(|c| c.rollout_delay = Duration::from_secs(600));
    let k = Kubectl::new(&srv);
    let manifest = DEPLOYMENT.replace("replicas: 3", "replicas: 1\n  progressDeadlineSeconds: 1");
    let file = k.write_manifest("web.yaml", &manifest);
    k.ok(&["apply", "-f", file.to_str().unwrap()]);
    let out = k.run(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: deployment \"web\" exceeded its progress deadline"),
        "{err}"
    );
    let d = k.get_json(&["deployment", "web"]);
    let (rs, _) = rs_and_pods(&k, "web");
    let c = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .unwrap();
    assert_eq!(c["status"], "False");
    assert_eq!(c["reason"], "ProgressDeadlineExceeded");
    assert_eq!(
        c["message"],
        format!(
            "ReplicaSet {:?} has timed out progressing.",
            rs[0]["metadata"]["name"].as_str().unwrap()
        )
    );
}

#[test]
fn a_recreated_deployment_adopts_the_replica_set_it_orphaned() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("web.yaml", DEPLOYMENT);
    let file = file.to_str().unwrap();
    k.ok(&["apply", "-f", file]);
    rollout_status(&k, "web");
    let (rs, pods) = rs_and_pods(&k, "web");
    let names = |pods: &[Value]| {
        let mut n: Vec<String> = pods
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    k.ok(&["delete", "deployment", "web", "--cascade=orphan"]);
    assert!(eventually(TIMEOUT, || {
        let (rs, _) = rs_and_pods(&k, "web");
        rs.len() == 1 && rs[0]["metadata"].get("ownerReferences").is_none()
    }));

    k.ok(&["apply", "-f", file]);
    rollout_status(&k, "web");
    let dep = k.get_json(&["deployment", "web"]);
    assert!(eventually(TIMEOUT, || {
        let (now, _) = rs_and_pods(&k, "web");
        now.len() == 1 && now[0]["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
    }));
    let (now, now_pods) = rs_and_pods(&k, "web");
    assert_eq!(now[0]["metadata"]["uid"], rs[0]["metadata"]["uid"]);
    assert_eq!(names(&now_pods), names(&pods), "the pods were kept");
}
