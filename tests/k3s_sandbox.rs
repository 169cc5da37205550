//! `stacks/sandbox` from bare hosts to running apps, on five real sshd nodes
//! in Docker (crates/testbed) with the simulated k3s air-gap bundle
//! (scripts/build-k3s-bundle): apply, a clean plan, the Node objects and
//! their labels through a real kubectl; drift on a config file and a stopped
//! service, repaired by apply; a rolling upgrade whose servers went strictly
//! one at a time (from what the nodes recorded) while an agent's container
//! is stopped mid-apply; the node back and converging; a changed host key
//! refused; destroy running the uninstall scripts.
//!
//! Strata logs in as a non-root user, so every command goes through `sudo -n`.
//! One fleet serves every step (starting one costs more than the steps).

mod common;

use common::{kubectl_path, root};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use strata_testbed::Fleet;

const V1: &str = "v1.36.3+k3s1";
const V2: &str = "v1.36.4+k3s1";
/// Fleet index → the stack's node names and their port variables.
const NODES: [(&str, &str); 5] = [
    ("server-1", "server_1"),
    ("server-2", "server_2"),
    ("server-3", "server_3"),
    ("agent-1", "agent_1"),
    ("agent-2", "agent_2"),
];

fn bundle() -> PathBuf {
    let dir = root().join("target/k3s-bundle");
    for v in [V1, V2] {
        assert!(
            dir.join(v).join("k3s").is_file(),
            "the simulated k3s bundle {} is missing: run scripts/build-k3s-bundle",
            dir.join(v).display()
        );
    }
    dir
}

/// Runs `strata` against the fleet: every address, port and path of the
/// sandbox stack comes from the fleet through `--var`.
struct Sandbox {
    fleet: Fleet,
    state: PathBuf,
    kubeconfig: PathBuf,
    version: &'static str,
    /// Another SSH key than the fleet's, when set.
    key: Option<PathBuf>,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Sandbox {
    fn vars(&self) -> Vec<String> {
        let mut v = vec![
            format!(
                "ssh_key={}",
                self.key
                    .clone()
                    .unwrap_or_else(|| self.fleet.key_path())
                    .display()
            ),
            format!("bundle={}", bundle().display()),
            format!("kubeconfig={}", self.kubeconfig.display()),
            format!("k3s_version={}", self.version),
            // Not root: every command goes through `sudo -n`.
            format!("ssh_user={}", strata_testbed::SUDO_USER),
        ];
        for (i, (_, var)) in NODES.iter().enumerate() {
            let n = &self.fleet.nodes()[i];
            v.push(format!("{var}={}", n.ip));
            v.push(format!("{var}_ssh_port={}", n.ssh_port));
        }
        v
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
        c.args(args)
            .arg("stacks/sandbox")
            .arg("--state")
            .arg(&self.state)
            .env_clear()
            .env("NO_COLOR", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(root());
        for v in self.vars() {
            c.arg("--var").arg(v);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("strata runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn expect(&self, code: i32, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, code,
            "strata {args:?} exited {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let home = self.fleet.scratch().join("kubectl-home");
        let out = Command::new(kubectl_path())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", home)
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `(timestamp, event, version)` lines a node's sim k3s recorded.
    fn events(&self, i: usize) -> Vec<(u128, String, String)> {
        let log = self
            .fleet
            .exec(i, "cat /var/log/k3s-sim-events.log 2>/dev/null || true")
            .expect("docker exec");
        log.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Some((
                    f.first()?.parse().ok()?,
                    f.get(1)?.to_string(),
                    f.last()?.to_string(),
                ))
            })
            .collect()
    }

    /// When node `i` started installing `version`, and when its Node was
    /// registered at that version afterwards.
    fn upgrade_window(&self, i: usize, version: &str) -> (u128, u128) {
        let ev = self.events(i);
        let start = ev
            .iter()
            .filter(|(_, e, v)| e == "install-start" && v == version)
            .map(|(t, _, _)| *t)
            .max()
            .unwrap_or_else(|| panic!("node {} never installed {version}: {ev:?}", NODES[i].0));
        let ready = ev
            .iter()
            .filter(|(t, e, v)| e == "registered" && v == version && *t > start)
            .map(|(t, _, _)| *t)
            .min()
            .unwrap_or_else(|| panic!("node {} never registered at {version}: {ev:?}", NODES[i].0));
        (start, ready)
    }
}

fn nodes_json(s: &Sandbox) -> Vec<Value> {
    let out = s.kubectl(&["get", "nodes", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).expect("kubectl prints JSON");
    v["items"].as_array().cloned().unwrap_or_default()
}

fn label<'a>(node: &'a Value, key: &str) -> Option<&'a str> {
    node["metadata"]["labels"][key].as_str()
}

#[test]
fn sandbox_from_bare_hosts_to_apps_drift_upgrade_node_loss_and_destroy() {
    let Some(fleet) = strata_testbed::fleet(5) else {
        return;
    };
    let scratch = fleet.scratch().to_path_buf();
    let mut s = Sandbox {
        fleet,
        state: scratch.join("state.json"),
        kubeconfig: scratch.join("kubeconfig"),
        version: V1,
        key: None,
    };

    // Bare hosts to running apps.
    let r = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        r.stdout.contains("Apply complete: 18 created"),
        "{}",
        r.stdout
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let mode = std::fs::metadata(&s.kubeconfig).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    let kubeconfig: Value =
        serde_norway::from_str(&std::fs::read_to_string(&s.kubeconfig).unwrap()).unwrap();
    assert_eq!(
        kubeconfig["clusters"][0]["cluster"]["server"],
        format!("https://{}:6443", s.fleet.nodes()[0].ip)
    );
    let first_kubeconfig = scratch.join("kubeconfig-first");
    std::fs::copy(&s.kubeconfig, &first_kubeconfig).unwrap();
    // The API is also published on 127.0.0.1 (its certificate covers it).
    let api = format!("https://127.0.0.1:{}", s.fleet.nodes()[0].api_port);
    assert!(s
        .kubectl(&["--server", &api, "get", "nodes"])
        .contains("server-1"));
    let nodes = nodes_json(&s);
    let mut names: Vec<&str> = nodes
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["agent-1", "agent-2", "server-1", "server-2", "server-3"]
    );
    for n in &nodes {
        let name = n["metadata"]["name"].as_str().unwrap();
        let zone = label(n, "topology.kubernetes.io/zone");
        assert!(zone.is_some(), "{name} has no zone label: {n}");
        let ready = n["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        assert!(ready, "{name} is not Ready");
        if name.starts_with("agent") {
            // Set through the API after the join, never as a kubelet label.
            assert_eq!(label(n, "node-role.kubernetes.io/worker"), Some("true"));
        } else {
            assert_eq!(
                label(n, "node-role.kubernetes.io/control-plane"),
                Some("true")
            );
            assert_eq!(label(n, "node-role.kubernetes.io/worker"), None);
        }
    }
    let agent_config = s.fleet.exec(3, "cat /etc/rancher/k3s/config.yaml").unwrap();
    assert!(!agent_config.contains("node-role"), "{agent_config}");
    let deploy = s.kubectl(&[
        "get",
        "deployment",
        "-n",
        "my-microservice",
        "my-microservice",
        "-o",
        "json",
    ]);
    let deploy: Value = serde_json::from_str(&deploy).unwrap();
    assert_eq!(deploy["status"]["availableReplicas"], 2, "{deploy}");
    // The token was read from the first server, never stored.
    let token = s
        .fleet
        .exec(0, "cat /var/lib/rancher/k3s/server/token")
        .unwrap();
    let secret = token.rsplit(':').next().unwrap();
    let state = std::fs::read_to_string(&s.state).unwrap();
    assert!(!state.contains(secret), "the join token reached state");

    // Drift: a hand-edited config on server-2, a stopped agent on agent-1.
    s.fleet
        .exec(
            1,
            "echo 'kubelet-arg: [max-pods=10]' >> /etc/rancher/k3s/config.yaml",
        )
        .unwrap();
    s.fleet.exec(3, "systemctl stop k3s-agent").unwrap();
    // ... and a label Strata set through the API, removed from agent-2's Node.
    s.kubectl(&[
        "label",
        "node",
        "agent-2",
        "node-role.kubernetes.io/worker-",
    ]);
    let r = s.expect(2, &["refresh", "--exit-code"]);
    assert!(
        r.stdout.contains("k3s.main/server/server-2"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("max-pods=10"), "{}", r.stdout);
    assert!(r.stdout.contains("k3s.main/agent/agent-1"), "{}", r.stdout);
    assert!(
        r.stdout.contains(r#"service: "active" → "inactive""#),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("k3s.main/agent/agent-2"), "{}", r.stdout);
    assert!(
        r.stdout.contains("node-role.kubernetes.io/worker"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Drift: 3 of 18"), "{}", r.stdout);
    let r = s.expect(0, &["apply", "--auto-approve"]);
    assert!(r.stdout.contains("0 created, 3 updated"), "{}", r.stdout);
    let agent_2 = nodes_json(&s)
        .into_iter()
        .find(|n| n["metadata"]["name"] == "agent-2")
        .unwrap();
    assert_eq!(
        label(&agent_2, "node-role.kubernetes.io/worker"),
        Some("true")
    );
    s.expect(0, &["refresh", "--exit-code"]);
    assert_eq!(
        s.fleet.exec(3, "systemctl is-active k3s-agent").unwrap(),
        "active"
    );
    assert!(!s
        .fleet
        .exec(1, "cat /etc/rancher/k3s/config.yaml")
        .unwrap()
        .contains("max-pods"));

    // The first server stopped: the API is down, yet refresh still audits
    // the nodes and says why, and apply starts it again.
    s.fleet.exec(0, "systemctl stop k3s").unwrap();
    let r = s.expect(1, &["refresh", "--exit-code"]);
    assert!(r.stdout.contains("k3s.main/server/server-1"), "{}", r.all());
    assert!(
        r.stdout.contains(r#"service: "active" → "inactive""#),
        "{}",
        r.all()
    );
    assert!(r.stderr.contains("cannot be reached"), "{}", r.stderr);
    let r = s.expect(0, &["apply", "--auto-approve"]);
    assert!(r.stdout.contains("0 created, 1 updated"), "{}", r.stdout);
    s.expect(0, &["refresh", "--exit-code"]);

    // A rolling upgrade, with agent-2's container stopped while the last
    // server upgrades: its branch fails with an SSH error, the rest completes.
    s.version = V2;
    let mut child = s
        .command(&["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s).unwrap();
        s
    });
    let mut stdout = String::new();
    let mut stopped = false;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if !stopped && line.contains("k3s.main/server/server-3: updating") {
            s.fleet.kill(4).expect("stop agent-2");
            stopped = true;
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().unwrap();
    let stderr = err_reader.join().unwrap();
    assert!(
        stopped,
        "the apply never upgraded server-3:\n{stdout}\n{stderr}"
    );
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    let failure = all
        .lines()
        .find(|l| l.contains("k3s.main/agent/agent-2") && l.contains("127.0.0.1"))
        .unwrap_or_else(|| panic!("no SSH error naming agent-2:\n{all}"));
    assert!(
        failure.contains("cannot connect")
            || failure.contains("lost")
            || failure.contains("timed out"),
        "{failure}"
    );
    assert!(
        stdout.contains("k3s.main/agent/agent-1: updated"),
        "{stdout}"
    );
    // Servers strictly one at a time: each started only after the one
    // before it was registered at the new version; agents after the last.
    let windows: Vec<(u128, u128)> = (0..4).map(|i| s.upgrade_window(i, V2)).collect();
    for i in 1..3 {
        assert!(
            windows[i].0 > windows[i - 1].1,
            "{} began upgrading before {} was ready again: {windows:?}",
            NODES[i].0,
            NODES[i - 1].0
        );
    }
    assert!(
        windows[3].0 > windows[2].1,
        "agent-1 upgraded before the servers: {windows:?}"
    );
    // State stayed consistent: only agent-2 is left to upgrade.
    let r = s.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        r.stdout
            .contains("0 to create, 1 to update, 0 to replace, 0 to delete"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("k3s.main/agent/agent-2 will be updated"),
        "{}",
        r.stdout
    );

    // The node comes back (on another published port, maybe): apply converges.
    s.fleet.restart(4).expect("start agent-2 again");
    s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.upgrade_window(4, V2);
    // The cluster's CA outlived the upgrade: the first kubeconfig still works.
    s.kubectl(&[
        "--kubeconfig",
        first_kubeconfig.to_str().unwrap(),
        "get",
        "nodes",
    ]);
    for n in nodes_json(&s) {
        assert_eq!(n["status"]["nodeInfo"]["kubeletVersion"], V2, "{n}");
    }

    // A node whose host key changed is refused, naming both fingerprints.
    s.fleet
        .exec(
            3,
            "mkdir -p /root/hostkeys && cp -a /etc/ssh/ssh_host_* /root/hostkeys/ && rm -f /etc/ssh/ssh_host_* && ssh-keygen -q -A && systemctl restart ssh",
        )
        .unwrap();
    let r = s.expect(1, &["refresh", "--exit-code"]);
    let changed = r
        .all()
        .lines()
        .find(|l| l.contains("host key") && l.contains("has changed"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no host key error:\n{}", r.all()));
    assert_eq!(changed.matches("SHA256:").count(), 2, "{changed}");
    s.fleet
        .exec(
            3,
            "cp -a /root/hostkeys/ssh_host_* /etc/ssh/ && systemctl restart ssh",
        )
        .unwrap();
    s.fleet
        .wait_ssh(3, std::time::Duration::from_secs(30))
        .unwrap();

    // A key the nodes do not accept gives a clear authentication error.
    let other = s.fleet.scratch().join("other_key");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(keygen.success());
    let good_key = s.fleet.key_path();
    s.key = Some(other);
    let r = s.expect(1, &["refresh", "--exit-code"]);
    assert!(
        r.all().contains("authentication as strata to 127.0.0.1:"),
        "{}",
        r.all()
    );
    s.key = None;
    assert!(good_key.is_file());

    // One agent leaves the cluster, and joins again.
    s.expect(
        0,
        &[
            "destroy",
            "--target",
            "k3s.main/agent/agent-2",
            "--auto-approve",
        ],
    );
    let names: Vec<String> = nodes_json(&s)
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(!names.contains(&"agent-2".to_string()), "{names:?}");
    assert_eq!(
        s.fleet
            .exec(4, "ls /usr/local/bin | grep -c k3s || true")
            .unwrap(),
        "0"
    );
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(nodes_json(&s).len(), 5);

    // Destroy runs the uninstall scripts.
    s.expect(0, &["destroy", "--auto-approve"]);
    for (i, (name, _)) in NODES.iter().enumerate() {
        let left = s
            .fleet
            .exec(i, "ls /usr/local/bin /etc/rancher/k3s 2>/dev/null; ls /etc/systemd/system | grep k3s || true")
            .unwrap();
        assert!(
            !left.contains("k3s"),
            "{} still has k3s: {left}",
            NODES[i].0
        );
        assert!(
            s.events(i).iter().any(|(_, e, _)| e == "uninstall"),
            "{name} ran no uninstall script"
        );
    }
}
