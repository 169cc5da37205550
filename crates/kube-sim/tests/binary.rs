//! The `kube-sim` binary: port 0 picks a free port and says which, the kubeconfig works with
//! kubectl, SIGTERM saves the state file, and the plain-HTTP debug flag serves HTTP without
//! authentication.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the child process on drop, so a failing test leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sim"))
        .args(["--listen", "127.0.0.1:0", "--rollout-delay-ms", "100"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kube-sim starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut first = String::new();
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut first).unwrap();
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    let url = first
        .trim()
        .strip_prefix("kube-sim listening on ")
        .expect("startup line names the URL")
        .to_string();
    (running, url)
}

fn terminate(mut r: Running) {
    let pid = r.0.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = r.0.wait().unwrap();
    assert!(exit.success(), "kube-sim exits cleanly on SIGTERM: {exit}");
}

#[test]
fn binary_serves_kubectl_and_persists_state() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let state = dir.path().join("state.json");
    let fixtures = common::fixtures();
    let args = [
        "--kubeconfig-out",
        kc.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--fixtures",
        fixtures.to_str().unwrap(),
    ];
    let (srv, url) = start(&args);
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    assert!(url.starts_with("https://127.0.0.1:"));
    let kubeconfig = std::fs::read_to_string(&kc).unwrap();
    assert!(
        kubeconfig.contains(&url),
        "kubeconfig names the chosen port"
    );
    let k = common::Kubectl::with_kubeconfig(&kc);
    let m = k.write_manifest("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: survivor\n  namespace: default\ndata:\n  x: hello\n");
    k.ok(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    terminate(srv);

    let (_srv, url2) = start(&args);
    let k = common::Kubectl::with_kubeconfig(&kc);
    assert!(std::fs::read_to_string(&kc).unwrap().contains(&url2));
    let live = k.get_json(&["cm", "survivor", "-n", "default"]);
    assert_eq!(live["data"]["x"], "hello");
}

#[test]
fn plain_http_flag_serves_http() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let (_srv, url) = start(&[
        "--insecure-plain-http",
        "--kubeconfig-out",
        kc.to_str().unwrap(),
        "--token",
        "debug-token",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"));
    let k = common::Kubectl::with_kubeconfig(&kc);
    let out = k.ok(&["get", "namespaces", "-o", "name"]);
    assert!(out.contains("namespace/kube-system"), "{out}");
    // kubectl sends no bearer token over plain HTTP; debug mode therefore skips authentication.
    let kubeconfig = std::fs::read_to_string(&kc).unwrap();
    assert!(kubeconfig.contains("token: debug-token"));
}
