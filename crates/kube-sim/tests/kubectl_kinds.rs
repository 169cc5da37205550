//! The less common built-in kinds charts and operators install (quotas, persistent volumes,
//! endpoints, webhook configurations, API services, ...) are discovered and stored by a real
//! kubectl, each with the scope the real server gives it.

mod common;

use common::{server, Kubectl};

/// (resource, group, namespaced, short name) as `kubectl api-resources` prints them.
const KINDS: &[(&str, &str, bool, &str)] = &[
    ("resourcequotas", "", true, "quota"),
    ("limitranges", "", true, "limits"),
    ("persistentvolumes", "", false, "pv"),
    ("endpoints", "", true, "ep"),
    ("endpointslices", "discovery.k8s.io", true, ""),
    ("ingressclasses", "networking.k8s.io", false, ""),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        false,
        "",
    ),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        false,
        "",
    ),
    ("apiservices", "apiregistration.k8s.io", false, ""),
    ("csidrivers", "storage.k8s.io", false, ""),
    ("runtimeclasses", "node.k8s.io", false, ""),
];

const MANIFEST: &str = r#"apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: default}
spec:
  hard: {pods: "10", requests.cpu: "4"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: default}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data/local-1}
---
apiVersion: v1
kind: Endpoints
metadata: {name: external-db, namespace: default}
subsets:
- addresses: [{ip: 10.0.0.5}]
  ports: [{port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: external-db-1, namespace: default, labels: {kubernetes.io/service-name: external-db}}
addressType: IPv4
endpoints:
- addresses: [10.0.0.5]
ports:
- {name: pg, port: 5432, protocol: TCP}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: validate.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {name: policy, namespace: default, path: /validate}}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: injector}
webhooks:
- name: inject.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {name: injector, namespace: default}}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: metrics-server, namespace: kube-system}
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: driver.longhorn.io}
spec: {attachRequired: true, podInfoOnMount: true}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
"#;

#[test]
fn api_resources_lists_the_kinds_with_their_scope() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&["api-resources", "--no-headers"]);
    for (plural, group, namespaced, short) in KINDS {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(plural))
            .unwrap_or_else(|| panic!("{plural} missing from api-resources:\n{out}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        let expect_ns = if *namespaced { "true" } else { "false" };
        assert!(cols.contains(&expect_ns), "{plural} scope: {line}");
        if !short.is_empty() {
            assert_eq!(cols[1], *short, "{plural} short name: {line}");
        }
        if !group.is_empty() {
            assert!(
                cols.iter().any(|c| c.starts_with(&format!("{group}/"))),
                "{plural} group: {line}"
            );
        }
    }
}

#[test]
fn kinds_are_created_read_and_deleted() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest("kinds.yaml", MANIFEST);
    let path = m.to_str().unwrap();
    let out = k.ok(&["apply", "-f", path]);
    assert!(
        out.contains("apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io created"),
        "{out}"
    );
    // Server-side apply of the same objects takes them over without conflicts on a re-apply.
    k.ok(&["apply", "--server-side", "--force-conflicts", "-f", path]);

    let pv = k.get_json(&["pv", "local-1"]);
    assert_eq!(pv["metadata"]["namespace"], serde_json::Value::Null);
    assert_eq!(pv["spec"]["capacity"]["storage"], "1Gi");
    let quota = k.get_json(&["quota", "compute", "-n", "default"]);
    assert_eq!(quota["spec"]["hard"]["requests.cpu"], "4");
    let slice = k.get_json(&[
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=external-db",
    ]);
    assert_eq!(
        slice["items"][0]["endpoints"][0]["addresses"][0],
        "10.0.0.5"
    );
    let webhook = k.get_json(&["validatingwebhookconfiguration", "policy"]);
    assert_eq!(webhook["metadata"]["generation"], 1);
    let rc = k.get_json(&["runtimeclass", "gvisor"]);
    assert_eq!(rc["handler"], "runsc");

    // Cluster-scoped kinds do not exist inside a namespace; namespaced ones are not found in
    // another one.
    let err = k.fails(&["get", "ep", "external-db", "-n", "kube-system"]);
    assert!(
        err.contains("Error from server (NotFound): endpoints \"external-db\" not found"),
        "{err}"
    );
    k.ok(&["delete", "-f", path]);
    let err = k.fails(&["get", "csidriver", "driver.longhorn.io"]);
    assert!(
        err.contains(
            "Error from server (NotFound): csidrivers.storage.k8s.io \"driver.longhorn.io\" not found"
        ),
        "{err}"
    );
}

#[test]
fn unknown_fields_in_new_kinds_are_refused() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "bad.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: bad}\nspec: {controler: x}\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    assert!(
        err.contains(
            "Error from server (BadRequest): .spec.controler: field not declared in schema"
        ),
        "{err}"
    );
    let err = k.fails(&["create", "-f", m.to_str().unwrap()]);
    assert!(
        err.contains("strict decoding error: unknown field \"spec.controler\""),
        "{err}"
    );
}
