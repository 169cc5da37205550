//! A no-op run on 8 real sshd nodes: Strata's full read plus a zero-change
//! plan, against Ansible running an equivalent playbook (same packages,
//! sysctl drop-in, modules-load.d entry, managed file and service) on the
//! same containers.
//!
//! `cargo bench -p strata-host --bench noop_read` (Ansible is taken from
//! target/venv when `pip install ansible-core` put it there; without it only
//! Strata is measured).

use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_engine::plan::NoSecrets;
use strata_engine::provider::{ApplyRequest, Provider};
use strata_engine::state::{ResourceState, ResourceStatus};
use strata_engine::{plan, Action, AttrPath, DesiredResource, PlanInput, ResourceType, State};
use strata_host::{HostProvider, SshOptions};

const NODES: usize = 8;
const RUNS: usize = 7;
const FILE: &str = "/etc/strata-bench/app.conf";
const CONTENT: &str = "listen = 0.0.0.0:8080\nworkers = 4\n";

fn desired(f: &strata_testbed::Fleet) -> Vec<DesiredResource> {
    f.nodes()
        .iter()
        .map(|n| {
            let attrs = json!({
                "hostname": n.hostname, "address": n.ip,
                "ssh": {"address": "127.0.0.1", "port": n.ssh_port, "user": "root", "key": f.key_path()},
                "role": "agent",
                "packages": ["nfs-common", "open-iscsi", "tree"],
                "kernel_modules": ["overlay"],
                "sysctl": {"net.ipv4.ip_forward": "1", "vm.overcommit_memory": "0"},
                "swap": "off",
                "services": ["rpcbind"],
                "files": {FILE: {"content": CONTENT, "mode": "0644", "owner": "root", "group": "root"}},
                "facts": null,
            });
            let mut d = DesiredResource::new(format!("node.{}", n.hostname), ResourceType::Node, attrs);
            d.computed = ["facts", "host_key_observed", "undo"]
                .iter()
                .map(|p| AttrPath::parse(p).unwrap())
                .collect();
            d
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn playbook(f: &strata_testbed::Fleet, dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let mut inv = String::from("[nodes]\n");
    for n in f.nodes() {
        inv.push_str(&format!(
            "{} ansible_host=127.0.0.1 ansible_port={} ansible_user=root ansible_ssh_private_key_file={} ansible_python_interpreter=/usr/bin/python3\n",
            n.hostname, n.ssh_port, f.key_path().display()
        ));
    }
    let inventory = dir.join("inventory.ini");
    std::fs::write(&inventory, inv).unwrap();
    let play = format!(
        r##"- hosts: nodes
  gather_facts: true
  tasks:
    - name: packages
      ansible.builtin.apt:
        name: [nfs-common, open-iscsi, tree]
        state: present
    - name: sysctl drop-in
      ansible.builtin.copy:
        dest: /etc/sysctl.d/90-strata.conf
        content: "# Managed by Strata; changes made by hand are reported as drift.\nnet.ipv4.ip_forward = 1\nvm.overcommit_memory = 0\n"
        mode: "0644"
    - name: sysctl live values
      ansible.builtin.command: sysctl -n net.ipv4.ip_forward vm.overcommit_memory
      register: live
      changed_when: false
      failed_when: live.stdout_lines != ["1", "0"]
    - name: kernel modules at boot
      ansible.builtin.copy:
        dest: /etc/modules-load.d/strata.conf
        content: "# Managed by Strata; changes made by hand are reported as drift.\noverlay\n"
        mode: "0644"
    - name: module loaded
      ansible.builtin.stat:
        path: /sys/module/overlay
      register: mod
      failed_when: not mod.stat.exists
    - name: managed file
      ansible.builtin.copy:
        dest: {FILE}
        content: "{content}"
        mode: "0644"
        owner: root
        group: root
    - name: swap is off
      ansible.builtin.command: cat /proc/swaps
      register: swaps
      changed_when: false
      failed_when: swaps.stdout_lines | length > 1
    - name: service
      ansible.builtin.systemd:
        name: rpcbind
        state: started
        enabled: true
"##,
        content = CONTENT.replace('\n', "\\n")
    );
    let path = dir.join("playbook.yml");
    std::fs::write(&path, play).unwrap();
    (inventory, path)
}

fn main() {
    if let Some(why) = strata_testbed::docker_unavailable() {
        eprintln!("noop_read: skipped, {why}");
        return;
    }
    let t = Instant::now();
    let f = strata_testbed::Fleet::start(NODES).expect("fleet");
    println!(
        "{NODES} nodes started (sshd answering) in {:.1?}",
        t.elapsed()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let desired = desired(&f);
    // Set-up: apply once, recording state as apply would.
    let provider = Arc::new(HostProvider::new(SshOptions::default()));
    let mut state = State::new();
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for d in desired.clone() {
            let p = provider.clone();
            tasks.push(tokio::spawn(async move {
                let a = p
                    .apply(ApplyRequest {
                        desired: &d,
                        prior: None,
                        action: Action::Create,
                        secrets: &Default::default(),
                    })
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                (d.address.clone(), a)
            }));
        }
        for t in tasks {
            let (addr, attrs) = t.await.unwrap();
            state.resources.insert(
                addr,
                ResourceState {
                    rtype: ResourceType::Node,
                    attributes: attrs,
                    sensitive: Default::default(),
                    dependencies: Vec::new(),
                    status: ResourceStatus::Ready,
                    protect: false,
                },
            );
        }
    });
    println!(
        "first apply on {NODES} nodes (installs packages): {:.1?}",
        t.elapsed()
    );

    // Strata: a fresh provider per run (new connections, as a new process
    // would open), read every node in parallel, then plan.
    let mut strata = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let refreshed = rt.block_on(async {
            let p = Arc::new(HostProvider::new(SshOptions::default()));
            let mut tasks = Vec::new();
            for (addr, rs) in state.resources.clone() {
                let p = p.clone();
                tasks.push(tokio::spawn(async move {
                    let v = p.read(&addr, &rs).await.unwrap_or_else(|e| panic!("{e}"));
                    (addr, rs, v.expect("exists"))
                }));
            }
            let mut s = state.clone();
            for t in tasks {
                let (addr, mut rs, v) = t.await.unwrap();
                rs.attributes = v;
                s.resources.insert(addr, rs);
            }
            s
        });
        let p = plan(
            PlanInput {
                stack: "bench",
                stack_sha256: "",
                desired: desired.clone(),
                outputs: Default::default(),
                secrets: &NoSecrets,
                destroy: false,
            },
            Some(&refreshed),
        )
        .unwrap();
        assert!(p.changed().next().is_none(), "a no-op run planned changes");
        strata.push(t.elapsed());
    }
    let s = median(strata.clone());
    println!(
        "strata no-op (read {NODES} nodes + plan): median {s:.3?} over {RUNS} runs {strata:.3?}"
    );

    let ansible = crate_root().join("../../target/venv/bin/ansible-playbook");
    if !ansible.exists() {
        println!(
            "ansible: not measured ({} missing; pip install ansible-core into target/venv)",
            ansible.display()
        );
        return;
    }
    let (inventory, play) = playbook(&f, f.scratch());
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(&ansible)
            .arg("-i")
            .arg(&inventory)
            .arg(&play)
            .args(["--forks", "8"])
            .env("ANSIBLE_HOST_KEY_CHECKING", "False")
            .env("ANSIBLE_PIPELINING", "True")
            .env("ANSIBLE_NOCOLOR", "1")
            .output()
            .unwrap();
        let took = t.elapsed();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "ansible failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("changed=0"),
            "ansible changed something:\n{text}"
        );
        times.push(took);
    }
    let a = median(times.clone());
    println!("ansible no-op (same checks, --forks 8, pipelining): median {a:.3?} over {RUNS} runs {times:.3?}");
    println!("strata is {:.1}x faster", a.as_secs_f64() / s.as_secs_f64());
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
