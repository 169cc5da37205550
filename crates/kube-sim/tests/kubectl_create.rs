//! kubectl's typed `create` generators send protobuf bodies; the ones kube-sim decodes create
//! the same objects a real server stores.

mod common;

use common::{server, Kubectl};

#[test]
fn create_deployment_sends_protobuf_and_is_stored() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=2",
        "--port=8080",
        "-n",
        "default",
    ]);
    assert_eq!(out.trim(), "deployment.apps/web created");
    let d = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(d["metadata"]["labels"]["app"], "web");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["selector"]["matchLabels"]["app"], "web");
    assert_eq!(d["spec"]["template"]["metadata"]["labels"]["app"], "web");
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "nginx");
    assert_eq!(c["image"], "nginx:1.27");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    // The server's defaults apply as to a JSON body.
    assert_eq!(c["ports"][0]["protocol"], "TCP");
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");

    let err = k.fails(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "-n",
        "default",
    ]);
    assert!(
        err.contains("failed to create deployment: deployments.apps \"web\" already exists"),
        "{err}"
    );
}
