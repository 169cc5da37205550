//! Node resources through the engine's Provider trait on real containers:
//! apply, read back, plan again with no change, drift made by hand found
//! by read, and delete undoing what apply did.

mod common;

use common::{quick, rt};
use serde_json::{json, Value};
use strata_engine::plan::NoSecrets;
use strata_engine::provider::{ApplyRequest, Provider};
use strata_engine::state::{ResourceState, ResourceStatus};
use strata_engine::{plan, Action, DesiredResource, PlanInput, ResourceType, State};
use strata_host::HostProvider;
use strata_testbed::{fleet, Fleet};

const FILE: &str = "/etc/strata-test/app.conf";

fn desired(f: &Fleet, i: usize, user: &str) -> DesiredResource {
    let n = &f.nodes()[i];
    let attrs = json!({
        "hostname": n.hostname,
        "address": n.ip,
        "ssh": {"address": "127.0.0.1", "port": n.ssh_port, "user": user, "key": f.key_path()},
        "role": "server",
        // From the node's own apt repository (the containers reach no mirror).
        "packages": ["nfs-common", "tree"],
        "kernel_modules": ["overlay"],
        // Values the container already has live: its /proc/sys is read-only,
        // so only settings that already hold can be applied here.
        "sysctl": {"net.ipv4.ip_forward": "1", "vm.overcommit_memory": "0"},
        "swap": "off",
        "services": ["rpcbind"],
        "files": {FILE: {"content": "listen = 0.0.0.0:8080\nname = 'it''s'\n", "mode": "0640", "owner": "root", "group": "strata"}},
        "facts": null,
    });
    let mut d = DesiredResource::new(format!("node.{}", n.hostname), ResourceType::Node, attrs);
    d.computed = ["facts", "host_key_observed", "undo"]
        .iter()
        .map(|p| strata_engine::AttrPath::parse(p).unwrap())
        .collect();
    d
}

fn recorded(attrs: Value) -> ResourceState {
    ResourceState {
        rtype: ResourceType::Node,
        attributes: attrs,
        sensitive: Default::default(),
        dependencies: Vec::new(),
        status: ResourceStatus::Ready,
        protect: false,
    }
}

fn plan_against(d: &DesiredResource, attrs: &Value) -> strata_engine::Plan {
    let mut state = State::new();
    state
        .resources
        .insert(d.address.clone(), recorded(attrs.clone()));
    plan(
        PlanInput {
            stack: "test",
            stack_sha256: "",
            desired: vec![d.clone()],
            outputs: Default::default(),
            secrets: &NoSecrets,
            destroy: false,
        },
        Some(&state),
    )
    .unwrap()
}

fn changed_paths(p: &strata_engine::Plan) -> Vec<String> {
    p.changes[0]
        .attribute_changes()
        .iter()
        .map(|c| c.path.to_string())
        .collect()
}

#[test]
fn apply_read_plan_drift_and_delete_on_a_real_node() {
    let Some(f) = fleet(1) else { return };
    // A non-root user, so every command goes through sudo -n.
    let d = desired(&f, 0, "strata");
    let provider = HostProvider::new(quick());
    let rt = rt();
    let applied = rt
        .block_on(provider.apply(ApplyRequest {
            desired: &d,
            prior: None,
            action: Action::Create,
            secrets: &Default::default(),
        }))
        .unwrap();
    assert_eq!(applied["facts"]["os_id"], "debian");
    assert_eq!(applied["facts"]["os_version"], "12");
    assert_eq!(applied["facts"]["hostname"], "node-1");
    assert!(applied["facts"]["cpus"].as_u64().unwrap() >= 1);
    assert!(applied["facts"]["memory_mb"].as_u64().unwrap() > 0);
    assert!(applied["host_key_observed"]
        .as_str()
        .unwrap()
        .starts_with("SHA256:"));
    // tree and nfs-common came from apply; Strata remembers it installed them.
    assert_eq!(applied["undo"]["packages"], json!(["nfs-common", "tree"]));
    // What the container shows, checked without Strata.
    assert_eq!(
        f.exec(0, "dpkg-query -W -f='${db:Status-Abbrev}' tree")
            .unwrap(),
        "ii"
    );
    let sysctl = f.exec(0, "cat /etc/sysctl.d/90-strata.conf").unwrap();
    assert!(
        sysctl.contains("net.ipv4.ip_forward = 1\nvm.overcommit_memory = 0"),
        "{sysctl}"
    );
    assert!(f
        .exec(0, "cat /etc/modules-load.d/strata.conf")
        .unwrap()
        .ends_with("\noverlay"));
    assert_eq!(
        f.exec(0, &format!("stat -c '%a %U %G' {FILE}")).unwrap(),
        "640 root strata"
    );
    assert_eq!(f.exec(0, "systemctl is-active rpcbind").unwrap(), "active");

    // Read back: the same attributes, so a plan has nothing to do.
    let state = recorded(applied.clone());
    let read = rt
        .block_on(provider.read(&d.address, &state))
        .unwrap()
        .unwrap();
    assert_eq!(read, applied, "read differs from what apply recorded");
    let p = plan_against(&d, &read);
    assert_eq!(p.changes[0].action, Action::NoOp, "{:?}", changed_paths(&p));
    // And applying again changes nothing on the node.
    let again = rt
        .block_on(provider.apply(ApplyRequest {
            desired: &d,
            prior: Some(&state),
            action: Action::Update,
            secrets: &Default::default(),
        }))
        .unwrap();
    assert_eq!(again, applied);

    // Drift made by hand.
    f.exec(0, "apt-get remove -y -q tree >/dev/null 2>&1")
        .unwrap();
    f.exec(0, "sed -i 's/vm.overcommit_memory = 0/vm.overcommit_memory = 1/' /etc/sysctl.d/90-strata.conf").unwrap();
    f.exec(0, &format!("echo 'debug = true' >> {FILE}"))
        .unwrap();
    f.exec(0, "systemctl stop rpcbind.socket rpcbind.service")
        .unwrap();
    let drifted = rt
        .block_on(provider.read(&d.address, &state))
        .unwrap()
        .unwrap();
    assert_eq!(drifted["packages"], json!(["nfs-common"]));
    assert_eq!(drifted["sysctl"]["vm.overcommit_memory"], "1 (live: 0)");
    assert!(drifted["files"][FILE]["content"]
        .as_str()
        .unwrap()
        .ends_with("debug = true\n"));
    assert_eq!(drifted["services"][0], "rpcbind (inactive, enabled)");
    let p = plan_against(&d, &drifted);
    assert_eq!(p.changes[0].action, Action::Update);
    let paths = changed_paths(&p);
    for want in [
        "packages[1]",
        "sysctl[\"vm.overcommit_memory\"]",
        "services[0]",
    ] {
        assert!(paths.iter().any(|x| x == want), "{want} not in {paths:?}");
    }
    assert!(
        paths.contains(&format!("files[\"{FILE}\"].content")),
        "{paths:?}"
    );

    // Apply repairs it; read then shows no drift.
    let repaired = rt
        .block_on(provider.apply(ApplyRequest {
            desired: &d,
            prior: Some(&recorded(drifted)),
            action: Action::Update,
            secrets: &Default::default(),
        }))
        .unwrap();
    let read = rt
        .block_on(provider.read(&d.address, &recorded(repaired.clone())))
        .unwrap()
        .unwrap();
    let p = plan_against(&d, &read);
    assert_eq!(p.changes[0].action, Action::NoOp, "{:?}", changed_paths(&p));
    assert_eq!(repaired["undo"]["packages"], json!(["nfs-common", "tree"]));

    // Delete undoes it all.
    rt.block_on(provider.delete(&d.address, &recorded(repaired)))
        .unwrap();
    let left = f
        .exec(0, &format!("for p in /etc/sysctl.d/90-strata.conf /etc/modules-load.d/strata.conf {FILE}; do test -e $p && echo $p; done; dpkg-query -W -f='${{db:Status-Abbrev}}' tree nfs-common 2>/dev/null | grep -c ii || true"))
        .unwrap();
    assert_eq!(left, "0", "left behind: {left}");
    // One connection served every call.
    assert_eq!(rt.block_on(provider.pool().open_connections()), 1);
}

#[test]
fn what_a_container_cannot_do_is_reported_clearly() {
    let Some(f) = fleet(1) else { return };
    let mut d = desired(&f, 0, "root");
    d.attributes["packages"] = json!([]);
    d.attributes["services"] = json!([]);
    d.attributes["files"] = json!({});
    d.attributes["sysctl"] = json!({"vm.overcommit_memory": "1"});
    d.attributes["kernel_modules"] = json!(["iscsi_tcp"]);
    let provider = HostProvider::new(quick());
    let e = rt()
        .block_on(provider.apply(ApplyRequest {
            desired: &d,
            prior: None,
            action: Action::Create,
            secrets: &Default::default(),
        }))
        .unwrap_err();
    let m = e.message;
    assert!(
        m.contains("sysctl vm.overcommit_memory could not be applied: /proc/sys is read-only in this container"),
        "{m}"
    );
    assert!(
        m.contains("kernel module iscsi_tcp is not loaded and could not be loaded"),
        "{m}"
    );
    // The persistent settings were still written for the next boot.
    assert!(f
        .exec(0, "cat /etc/sysctl.d/90-strata.conf")
        .unwrap()
        .contains("vm.overcommit_memory = 1"));
    assert!(f
        .exec(0, "cat /etc/modules-load.d/strata.conf")
        .unwrap()
        .contains("iscsi_tcp"));
}

#[test]
fn trust_on_first_use_is_recorded_and_then_enforced() {
    let Some(f) = fleet(1) else { return };
    let mut d = desired(&f, 0, "root");
    d.attributes["packages"] = json!([]);
    d.attributes["services"] = json!([]);
    let provider = HostProvider::new(quick());
    let rt = rt();
    let applied = rt
        .block_on(provider.apply(ApplyRequest {
            desired: &d,
            prior: None,
            action: Action::Create,
            secrets: &Default::default(),
        }))
        .unwrap();
    let first = applied["host_key_observed"].as_str().unwrap().to_string();
    f.exec(
        0,
        "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh",
    )
    .unwrap();
    f.wait_ssh(0, std::time::Duration::from_secs(30)).unwrap();
    // A new provider (a new run) reads with the fingerprint state recorded.
    let e = rt
        .block_on(HostProvider::new(quick()).read(&d.address, &recorded(applied)))
        .unwrap_err();
    let now = f
        .exec(
            0,
            "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2",
        )
        .unwrap();
    assert!(
        e.message.contains(&first) && e.message.contains(&now),
        "{}",
        e.message
    );
    assert!(
        e.message.starts_with("node.node-1: host key of"),
        "{}",
        e.message
    );
    assert!(!e.retryable);
}
