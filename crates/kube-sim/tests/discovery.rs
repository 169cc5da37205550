//! Discovery and OpenAPI documents over raw HTTPS: exact content types, the aggregated switch,
//! OpenAPI v3 index and documents, and the 404 for OpenAPI v2.

mod common;

use serde_json::Value;

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

async fn get_accept(srv: &kube_sim::SimServer, path: &str, accept: &str) -> common::RawResponse {
    let token = srv.token().to_string();
    let body = None;
    let resp = common::raw_request_accept(srv, "GET", path, Some(&token), body, accept)
        .await
        .unwrap();
    assert!(resp.status < 500, "{path}: {}", resp.body);
    resp
}

fn json(resp: &common::RawResponse) -> Value {
    serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("{e}: {}", resp.body))
}

#[tokio::test]
async fn aggregated_discovery_content_types_and_switch() {
    let srv = common::server();
    let accept = format!("{AGGREGATED},application/json");
    let apis = get_accept(&srv, "/apis", &accept).await;
    assert_eq!(apis.header("content-type"), Some(AGGREGATED));
    let doc = json(&apis);
    assert_eq!(doc["kind"], "APIGroupDiscoveryList");
    assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
    let apps = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    let deploy = apps["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .unwrap();
    assert_eq!(deploy["scope"], "Namespaced");
    assert_eq!(deploy["responseKind"]["kind"], "Deployment");
    let subs: Vec<&str> = deploy["subresources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subresource"].as_str().unwrap())
        .collect();
    assert_eq!(subs, vec!["status", "scale"]);

    let core = get_accept(&srv, "/api", &accept).await;
    assert_eq!(core.header("content-type"), Some(AGGREGATED));
    assert_eq!(json(&core)["items"][0]["versions"][0]["version"], "v1");

    let legacy = get_accept(&srv, "/apis", "application/json").await;
    assert_eq!(legacy.header("content-type"), Some("application/json"));
    assert_eq!(json(&legacy)["kind"], "APIGroupList");

    let off = common::server_with(|c| c.aggregated_discovery = false);
    let resp = get_accept(&off, "/apis", &accept).await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(json(&resp)["kind"], "APIGroupList");
    let list = json(&get_accept(&off, "/apis/apps/v1", "application/json").await);
    assert_eq!(list["kind"], "APIResourceList");
    assert!(list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "deployments/scale" && r["kind"] == "Scale"));
}

#[tokio::test]
async fn openapi_v3_documents_carry_kinds_and_crd_schemas() {
    let srv = common::server();
    let index = json(&get_accept(&srv, "/openapi/v3", "application/json").await);
    let paths = index["paths"].as_object().unwrap();
    assert!(paths.contains_key("api/v1"));
    assert!(paths.contains_key("apis/apps/v1"));
    let helm_url = paths["apis/helm.cattle.io/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(helm_url.starts_with("/openapi/v3/apis/helm.cattle.io/v1?hash="));

    let doc = json(&get_accept(&srv, &helm_url, "application/json").await);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let chart = schemas
        .values()
        .find(|s| s["x-kubernetes-group-version-kind"][0]["kind"] == "HelmChart")
        .unwrap();
    assert_eq!(
        chart["properties"]["spec"]["properties"]["chart"]["type"], "string",
        "the CRD's own schema is served"
    );

    let core = json(&get_accept(&srv, "/openapi/v3/api/v1", "application/json").await);
    let cm = core["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["x-kubernetes-group-version-kind"][0]["kind"] == "ConfigMap")
        .unwrap();
    assert_eq!(
        cm["properties"]["data"]["additionalProperties"]["type"], "string",
        "the built-in kind's real definition is served"
    );
    assert_eq!(
        cm["properties"]["metadata"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    let core_url = paths["api/v1"]["serverRelativeURL"].as_str().unwrap();
    let again = json(&get_accept(&srv, core_url, "application/json").await);
    assert_eq!(again, core, "the hashed URL serves the same document");

    let v2 = get_accept(&srv, "/openapi/v2", "application/json").await;
    assert_eq!(v2.status, 404);
    let version = json(&get_accept(&srv, "/version", "application/json").await);
    assert!(version["gitVersion"].as_str().unwrap().starts_with("v1."));
}
