//! `strata plan --format json` follows Terraform's JSON plan format
//! (<https://developer.hashicorp.com/terraform/internals/json-format>): every
//! object is checked field by field against the format's documented field
//! lists, for both stacks and for a plan that creates, updates, replaces and
//! deletes; and a second, independent reader of the format (Google's
//! `tftest`, from PyPI, installed by `scripts/install-pytools`) loads it.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strata_engine::state::{ResourceState, ResourceStatus, State};
use strata_engine::LocalBackend;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn strata() -> Command {
    let mut c = Command::cargo_bin("strata").unwrap();
    // The repository's stacks name real-looking hosts (10.0.0.x): these
    // tests plan from stack and state alone and never try to reach them.
    c.env_clear()
        .env("NO_COLOR", "1")
        .env("STRATA_OFFLINE", "1")
        .current_dir(root());
    c
}

fn json_plan(stack: &str, state: &Path, extra: &[&str]) -> Value {
    let out = strata()
        .args(["plan", stack, "--format", "json", "--state"])
        .arg(state)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The documented properties of each object of the format.
const PLAN_KEYS: &[&str] = &[
    "format_version",
    "terraform_version",
    "variables",
    "planned_values",
    "proposed_unknown",
    "resource_changes",
    "resource_drift",
    "relevant_attributes",
    "output_changes",
    "prior_state",
    "configuration",
    "checks",
    "timestamp",
    "applyable",
    "complete",
    "errored",
    "deferred_changes",
    "action_invocations",
];
const STATE_KEYS: &[&str] = &["format_version", "terraform_version", "values", "checks"];
const VALUES_KEYS: &[&str] = &["outputs", "root_module"];
const MODULE_KEYS: &[&str] = &["resources", "address", "child_modules"];
const STATE_RESOURCE_KEYS: &[&str] = &[
    "address",
    "mode",
    "type",
    "name",
    "index",
    "provider_name",
    "schema_version",
    "values",
    "sensitive_values",
    "depends_on",
    "tainted",
    "deposed_key",
];
const OUTPUT_KEYS: &[&str] = &["value", "type", "sensitive"];
const RESOURCE_CHANGE_KEYS: &[&str] = &[
    "address",
    "previous_address",
    "module_address",
    "mode",
    "type",
    "name",
    "index",
    "deposed",
    "provider_name",
    "change",
    "action_reason",
];
const CHANGE_KEYS: &[&str] = &[
    "actions",
    "before",
    "after",
    "after_unknown",
    "before_sensitive",
    "after_sensitive",
    "replace_paths",
    "importing",
    "generated_config",
    "before_identity",
    "after_identity",
];
const ACTIONS: &[&[&str]] = &[
    &["no-op"],
    &["create"],
    &["read"],
    &["update"],
    &["delete", "create"],
    &["create", "delete"],
    &["delete"],
];
const ACTION_REASONS: &[&str] = &[
    "replace_because_tainted",
    "replace_because_cannot_update",
    "replace_by_request",
    "delete_because_no_resource_config",
    "delete_because_no_module",
    "delete_because_wrong_repetition",
    "delete_because_count_index",
    "delete_because_each_key",
    "read_because_config_unknown",
    "read_because_dependency_pending",
];

/// Strata's own additions live under this one key, wherever they are.
const STRATA: &str = "strata";

fn keys_within(v: &Value, allowed: &[&str], what: &str, errors: &mut Vec<String>) {
    let Some(m) = v.as_object() else {
        errors.push(format!("{what} is not an object: {v}"));
        return;
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) && k != STRATA {
            errors.push(format!("{what} has undocumented property {k:?}"));
        }
    }
}

fn need(v: &Value, key: &str, what: &str, ok: fn(&Value) -> bool, errors: &mut Vec<String>) {
    match v.get(key) {
        Some(x) if ok(x) => {}
        Some(x) => errors.push(format!("{what}.{key} has the wrong type: {x}")),
        None => errors.push(format!("{what} lacks {key}")),
    }
}

fn is_str(v: &Value) -> bool {
    v.is_string()
}
fn is_obj(v: &Value) -> bool {
    v.is_object()
}
fn is_bool(v: &Value) -> bool {
    v.is_boolean()
}
fn is_arr(v: &Value) -> bool {
    v.is_array()
}
fn is_uint(v: &Value) -> bool {
    v.is_u64()
}
/// `after_unknown`, `before_sensitive`, `after_sensitive`: an object
/// mirroring the value, or a boolean for the whole value.
fn is_mirror(v: &Value) -> bool {
    v.is_object() || v.is_boolean()
}

/// A values representation: outputs and the root module's resources.
fn check_values(v: &Value, what: &str, errors: &mut Vec<String>) -> BTreeSet<String> {
    keys_within(v, VALUES_KEYS, what, errors);
    let mut addresses = BTreeSet::new();
    if let Some(outputs) = v.get("outputs").and_then(Value::as_object) {
        for (name, o) in outputs {
            let w = format!("{what}.outputs.{name}");
            keys_within(o, OUTPUT_KEYS, &w, errors);
            need(o, "sensitive", &w, is_bool, errors);
        }
    }
    let module = &v["root_module"];
    keys_within(module, MODULE_KEYS, &format!("{what}.root_module"), errors);
    for r in module["resources"].as_array().into_iter().flatten() {
        let w = format!("{what} resource {}", r["address"]);
        keys_within(r, STATE_RESOURCE_KEYS, &w, errors);
        for k in ["address", "type", "name", "provider_name"] {
            need(r, k, &w, is_str, errors);
        }
        need(r, "schema_version", &w, is_uint, errors);
        need(r, "values", &w, is_obj, errors);
        need(r, "sensitive_values", &w, is_obj, errors);
        if r["mode"] != "managed" && r["mode"] != "data" {
            errors.push(format!("{w}: mode {}", r["mode"]));
        }
        if !addresses.insert(r["address"].as_str().unwrap_or_default().to_string()) {
            errors.push(format!("{w} is listed twice"));
        }
    }
    addresses
}

/// Checks a plan against the format's field lists and its rules; returns
/// every deviation.
fn check_plan(p: &Value) -> Vec<String> {
    let mut e = Vec::new();
    keys_within(p, PLAN_KEYS, "plan", &mut e);
    let version = p["format_version"].as_str().unwrap_or_default();
    if !version.starts_with("1.") {
        e.push(format!("format_version {version:?} is not 1.x"));
    }
    for (name, var) in p["variables"].as_object().into_iter().flatten() {
        keys_within(var, &["value"], &format!("variables.{name}"), &mut e);
    }
    let planned = check_values(&p["planned_values"], "planned_values", &mut e);
    let mut will_exist = BTreeSet::new();
    let mut existed = BTreeSet::new();
    for c in p["resource_changes"].as_array().expect("resource_changes") {
        let addr = c["address"].as_str().unwrap_or_default().to_string();
        let w = format!("resource_changes {addr}");
        keys_within(c, RESOURCE_CHANGE_KEYS, &w, &mut e);
        for k in ["address", "type", "name", "provider_name"] {
            need(c, k, &w, is_str, &mut e);
        }
        if c["mode"] != "managed" {
            e.push(format!("{w}: mode {}", c["mode"]));
        }
        if let Some(i) = c.get("index") {
            if !i.is_string() && !i.is_u64() {
                e.push(format!("{w}: index {i}"));
            }
        }
        if let Some(r) = c.get("action_reason") {
            if !ACTION_REASONS.iter().any(|x| r == x) {
                e.push(format!("{w}: undocumented action_reason {r}"));
            }
        }
        let ch = &c["change"];
        keys_within(ch, CHANGE_KEYS, &format!("{w} change"), &mut e);
        let actions: Vec<&str> = ch["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !ACTIONS.contains(&actions.as_slice()) {
            e.push(format!("{w}: actions {actions:?}"));
        }
        for k in ["after_unknown", "before_sensitive", "after_sensitive"] {
            need(ch, k, &format!("{w} change"), is_mirror, &mut e);
        }
        if !ch.as_object().is_some_and(|m| m.contains_key("before")) {
            e.push(format!("{w}: change.before is missing"));
        }
        match actions.as_slice() {
            ["create"] if !ch["before"].is_null() => e.push(format!("{w}: a create has a before")),
            ["delete"] if !ch["after"].is_null() => e.push(format!("{w}: a delete has an after")),
            ["no-op"] if ch["before"] != ch["after"] => {
                e.push(format!("{w}: a no-op's before and after differ"))
            }
            _ => {}
        }
        if let Some(paths) = ch.get("replace_paths") {
            let ok = paths.as_array().is_some_and(|ps| {
                ps.iter().all(|p| {
                    p.as_array()
                        .is_some_and(|steps| steps.iter().all(|s| s.is_string() || s.is_u64()))
                })
            });
            if !ok || actions.len() != 2 {
                e.push(format!("{w}: replace_paths {paths} on {actions:?}"));
            }
        }
        if actions != ["delete"] {
            will_exist.insert(addr.clone());
        }
        if actions != ["create"] {
            existed.insert(addr);
        }
    }
    if planned != will_exist {
        e.push(format!(
            "planned_values lists {} resources, but {} exist after the plan",
            planned.len(),
            will_exist.len()
        ));
    }
    for (name, o) in p["output_changes"].as_object().expect("output_changes") {
        let w = format!("output_changes.{name}");
        keys_within(o, CHANGE_KEYS, &w, &mut e);
        let actions: Vec<&str> = o["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !matches!(
            actions.as_slice(),
            ["create"] | ["update"] | ["delete"] | ["no-op"]
        ) {
            e.push(format!("{w}: actions {actions:?}"));
        }
    }
    need(p, "resource_drift", "plan", is_arr, &mut e);
    match p.get("prior_state") {
        None => {
            if !existed.is_empty() {
                e.push("prior_state is absent, but resources exist".into());
            }
        }
        Some(s) => {
            keys_within(s, STATE_KEYS, "prior_state", &mut e);
            need(s, "format_version", "prior_state", is_str, &mut e);
            let prior = check_values(&s["values"], "prior_state.values", &mut e);
            if prior != existed {
                e.push(format!(
                    "prior_state lists {} resources, but the changes say {} existed",
                    prior.len(),
                    existed.len()
                ));
            }
        }
    }
    e
}

/// A state that records what the production stack wants, as if applied.
fn applied_state(dir: &Path) -> PathBuf {
    let stack = strata_stack::load(&root().join("stacks/production"), &Default::default()).unwrap();
    let mut state = State::new();
    state.serial = 3;
    for r in &stack.expanded.resources {
        state.resources.insert(
            r.address.clone(),
            ResourceState {
                rtype: r.rtype,
                attributes: r.attributes.clone(),
                sensitive: Default::default(),
                dependencies: r.depends_on.clone(),
                status: ResourceStatus::Ready,
                protect: r.lifecycle.protect,
            },
        );
    }
    for (k, o) in &stack.expanded.outputs {
        state.outputs.insert(
            k.clone(),
            strata_engine::state::OutputState {
                value: o.value.clone(),
                sensitive: o.sensitive,
            },
        );
    }
    // Staged changes: an update, a replacement and a delete.
    let node = state
        .resources
        .get_mut(&"node.worker-5".into())
        .expect("node.worker-5");
    node.attributes["address"] = json!("10.0.9.99");
    let mut gone = state.resources[&"app.my-microservice/Service".into()].clone();
    gone.attributes["metadata"]["name"] = json!("old-service");
    state
        .resources
        .insert("app.my-microservice/OldService".into(), gone);
    let path = dir.join("production.json");
    LocalBackend::new(&path).save(&state).unwrap();
    path
}

#[test]
fn both_stacks_follow_the_documented_format() {
    let none = Path::new("/nonexistent/state.json");
    for stack in ["stacks/production", "stacks/staging"] {
        let p = json_plan(stack, none, &[]);
        let errors = check_plan(&p);
        assert!(errors.is_empty(), "{stack}:\n{}", errors.join("\n"));
        assert!(p.get("prior_state").is_none(), "no state: no prior_state");
        let model = strata_stack::load(&root().join(stack), &Default::default())
            .unwrap()
            .model;
        let expected: serde_json::Map<String, Value> = model
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "value": v })))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(p["variables"], Value::Object(expected), "{stack}");
        let changes = p["resource_changes"].as_array().unwrap();
        // Every in-cluster object maps SECTION.NAME/REST to name NAME and
        // index REST, as docs/json-format.md says.
        let objects: Vec<&Value> = changes
            .iter()
            .filter(|c| c["type"] == "k8s_object")
            .collect();
        assert!(!objects.is_empty(), "{stack}: no in-cluster objects");
        for c in objects {
            let address = c["address"].as_str().unwrap();
            // A component's only resource (`namespace.kafka`) has no index.
            let (component, rest) = match address.split_once('/') {
                Some((c, r)) => (c, json!(r)),
                None => (address, Value::Null),
            };
            let (_, name) = component.split_once('.').unwrap();
            assert_eq!(
                (&c["name"], &c["index"], &c["provider_name"]),
                (&json!(name), &rest, &json!("strata/kube")),
                "{stack}: {address}"
            );
        }
        if stack == "stacks/production" {
            // The app is applied directly in production (Argo CD delivers it in staging).
            assert!(changes
                .iter()
                .any(|c| c["address"] == "app.my-microservice/Deployment"
                    && c["index"] == "Deployment"));
        }
        let node = changes.iter().find(|c| c["type"] == "node").unwrap();
        assert_eq!(
            format!("node.{}", node["name"].as_str().unwrap()),
            node["address"].as_str().unwrap()
        );
        assert!(node.get("index").is_none());
        assert_eq!(node["provider_name"], "strata/host");
        assert_eq!(p["strata"]["stack"], stack.trim_start_matches("stacks/"));
    }
}

#[test]
fn a_plan_with_every_action_follows_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let state = applied_state(dir.path());
    let p = json_plan(
        "stacks/production",
        &state,
        &[
            "--var",
            "image_tag=2.0.0",
            "--replace",
            "app.my-microservice/Service",
        ],
    );
    let errors = check_plan(&p);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let reasons: BTreeSet<String> = p["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["action_reason"].as_str().map(String::from))
        .collect();
    assert_eq!(
        reasons,
        [
            "delete_because_no_resource_config",
            "replace_because_cannot_update",
            "replace_by_request"
        ]
        .map(String::from)
        .into()
    );
    let prior = &p["prior_state"];
    assert_eq!(prior["format_version"], "1.0");
    assert_eq!(p["strata"]["state"]["serial"], 3);
    let before_node = prior["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "node.worker-5")
        .unwrap();
    assert_eq!(before_node["values"]["address"], "10.0.9.99");
    // The checker is not blind: a Strata-only field at the top is refused.
    let mut bad = p.clone();
    bad["summary"] = json!({});
    assert!(!check_plan(&bad).is_empty());
}

/// A tool installed by `scripts/install-pytools`, or `None` with the reason
/// printed (outside CI only).
fn venv_tool(name: &str) -> Option<PathBuf> {
    let path = root().join("target/venv/bin").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("STRATA_CI").is_none(),
        "{} is missing: scripts/test-all runs scripts/install-pytools",
        path.display()
    );
    eprintln!(
        "skipped: {} is missing (run scripts/install-pytools)",
        path.display()
    );
    None
}

/// Reads a plan with tftest's `TerraformPlanOutput` and reports what it saw.
const TFTEST_READER: &str = r#"
import json, sys, tftest
plan = tftest.TerraformPlanOutput(json.load(open(sys.argv[1])))
print(json.dumps({
    "resources": sorted(plan.resources.keys()),
    "changes": {a: c["change"]["actions"] for a, c in plan.resource_changes.items()},
    "variables": {k: plan.variables[k] for k in plan.variables},
    "outputs": sorted(plan.outputs.keys()),
    "prior_resources": sorted(plan.prior_resources.keys()),
    "format_version": plan.format_version,
}))
"#;

#[test]
fn tftest_reads_the_plans() {
    let Some(python) = venv_tool("python3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = applied_state(dir.path());
    let cases = [
        (
            "stacks/production",
            Path::new("/nonexistent/s.json").to_path_buf(),
        ),
        (
            "stacks/staging",
            Path::new("/nonexistent/s.json").to_path_buf(),
        ),
        ("stacks/production", state),
    ];
    for (stack, state) in cases {
        let p = json_plan(stack, &state, &["--var", "image_tag=2.0.0"]);
        let file = dir.path().join("plan.json");
        std::fs::write(&file, serde_json::to_vec(&p).unwrap()).unwrap();
        let out = std::process::Command::new(&python)
            .args(["-c", TFTEST_READER])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tftest could not read the plan of {stack}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
        let changes = p["resource_changes"].as_array().unwrap();
        let planned: Vec<&str> = changes
            .iter()
            .filter(|c| c["change"]["actions"] != json!(["delete"]))
            .map(|c| c["address"].as_str().unwrap())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(seen["resources"], json!(planned), "{stack}");
        assert_eq!(seen["changes"].as_object().unwrap().len(), changes.len());
        for c in changes {
            assert_eq!(
                seen["changes"][c["address"].as_str().unwrap()],
                c["change"]["actions"]
            );
        }
        assert_eq!(seen["variables"]["image_tag"], "2.0.0");
        assert_eq!(seen["format_version"], p["format_version"]);
        let outputs: BTreeSet<&String> = p["planned_values"]["outputs"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(seen["outputs"], json!(outputs));
        let prior = seen["prior_resources"].as_array().unwrap().len();
        let recorded = changes
            .iter()
            .filter(|c| c["change"]["actions"] != json!(["create"]))
            .count();
        assert_eq!(prior, recorded, "{stack}");
    }
}
