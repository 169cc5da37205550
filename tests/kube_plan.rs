//! Planning and applying against kube-sim: adoption of objects that exist but
//! are not in state, an unreachable cluster, drift on fields Strata owns,
//! saved plans, --target and --replace, confirmation and Ctrl-C.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A stack of raw manifests targeting the cluster given as `--var kubeconfig=`.
fn write_stack(dir: &Path, yaml: &str) {
    std::fs::write(dir.join("objects.yaml"), yaml).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        "[stack]\nname = \"kplan\"\ncluster = { kubeconfig = \"${vars.kubeconfig}\" }\n\n[vars]\nkubeconfig = \"\"\n\n[manifest.objects]\nfiles = [\"objects.yaml\"]\n",
    )
    .unwrap();
}

fn configmaps(n: usize, ns: &str, value: &str) -> String {
    (0..n)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\ndata:\n  value: \"{value}\"\n"))
        .collect()
}

const DEPLOYMENT: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources:\n          limits: {memory: 1024Mi, cpu: 1000m}\n";

/// Arguments shared by every command of a test: the stack, the cluster and the state.
struct Ctx {
    stack: String,
    kc: String,
    st: String,
    dir: tempfile::TempDir,
}

impl Ctx {
    fn new(kubeconfig: &Path) -> Ctx {
        let dir = tempfile::tempdir().unwrap();
        Ctx {
            stack: dir.path().to_str().unwrap().to_string(),
            kc: format!("kubeconfig={}", kubeconfig.display()),
            st: dir.path().join("state.json").to_str().unwrap().to_string(),
            dir,
        }
    }

    fn args<'a>(&'a self, cmd: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![cmd, &self.stack, "--var", &self.kc, "--state", &self.st];
        a.extend_from_slice(extra);
        a
    }

    fn expect(&self, code: i32, cmd: &str, extra: &[&str]) -> String {
        expect(code, &self.args(cmd, extra))
    }

    fn run(&self, cmd: &str, extra: &[&str]) -> (i32, String, String) {
        run(&self.args(cmd, extra))
    }
}

#[test]
fn an_object_that_exists_but_is_not_in_state_is_adopted_and_named() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    let ctx = Ctx::new(sim.kubeconfig_path());
    let yaml = configmaps(1, "default", "from-strata");
    write_stack(ctx.dir.path(), &yaml);
    // Someone created it first, with client-side apply.
    let existing = ctx.dir.path().join("existing.yaml");
    std::fs::write(&existing, configmaps(1, "default", "by-hand")).unwrap();
    kubectl.run(&["apply", "-f", existing.to_str().unwrap()]);
    let plan = ctx.expect(2, "plan", &["--detailed-exitcode"]);
    assert!(
        plan.contains("already exists but is not in state: Strata adopts it"),
        "{plan}"
    );
    assert!(plan.contains("kubectl-client-side-apply"), "{plan}");
    assert!(
        plan.contains("data.value = \"by-hand\" -> \"from-strata\""),
        "{plan}"
    );
    ctx.expect(0, "apply", &["--auto-approve"]);
    let cm = kubectl.json(&["get", "configmap", "cm-0"]);
    assert_eq!(cm["data"]["value"], "from-strata");
    ctx.expect(0, "plan", &["--detailed-exitcode"]);
}

#[test]
fn an_unreachable_cluster_plans_from_the_stack_and_says_why() {
    // A kubeconfig whose server nothing listens on.
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sim.kubeconfig_path()).unwrap();
    let dead = text.replace(&sim.url().to_string(), "https://127.0.0.1:9");
    assert_ne!(dead, text);
    let kc = dir.path().join("dead.kubeconfig");
    std::fs::write(&kc, dead).unwrap();
    let ctx = Ctx::new(&kc);
    write_stack(ctx.dir.path(), &configmaps(2, "default", "x"));
    let out = ctx.expect(2, "plan", &["--detailed-exitcode"]);
    assert!(out.contains("Plan: 2 to create"), "{out}");
    assert!(out.contains("the cluster cannot be reached"), "{out}");
    assert!(out.contains("known after apply"), "{out}");
    // Apply and refresh cannot work without the cluster: clear errors, nothing written.
    let (code, _, err) = ctx.run("apply", &["--auto-approve"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the cluster cannot be reached") && err.contains("nothing was changed"),
        "{err}"
    );
    let (code, _, err) = ctx.run("refresh", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no state"), "{err}");
    assert!(!Path::new(&ctx.st).exists());
}

#[test]
fn drift_on_a_field_strata_owns_is_named_and_restored() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    let ctx = Ctx::new(sim.kubeconfig_path());
    write_stack(ctx.dir.path(), DEPLOYMENT);
    ctx.expect(0, "apply", &["--auto-approve"]);
    // Server defaults and canonical quantities (1024Mi -> 1Gi) are no drift.
    ctx.expect(0, "plan", &["--detailed-exitcode"]);
    ctx.expect(0, "refresh", &["--exit-code"]);
    kubectl.run(&["scale", "deployment/web", "--replicas=4"]);
    let drift = ctx.expect(2, "refresh", &["--exit-code"]);
    assert!(drift.contains("spec.replicas: 2 → 4 (kubectl"), "{drift}");
    let plan = ctx.expect(2, "plan", &["--detailed-exitcode"]);
    assert!(
        plan.contains("changed outside Strata; applying restores it"),
        "{plan}"
    );
    assert!(plan.contains("spec.replicas = 4 -> 2"), "{plan}");
    ctx.expect(0, "apply", &["--auto-approve"]);
    assert_eq!(
        kubectl.json(&["get", "deployment", "web"])["spec"]["replicas"],
        2
    );
    ctx.expect(0, "refresh", &["--exit-code"]);
    // Deleted out of band: reported missing, then created again.
    kubectl.run(&["delete", "deployment", "web"]);
    let drift = ctx.expect(2, "refresh", &["--exit-code"]);
    assert!(
        drift.contains("is missing: it was deleted outside Strata"),
        "{drift}"
    );
    let plan = ctx.expect(2, "plan", &["--detailed-exitcode"]);
    assert!(
        plan.contains("deleted outside Strata; it is created again"),
        "{plan}"
    );
    ctx.expect(0, "apply", &["--auto-approve"]);
    ctx.expect(0, "plan", &["--detailed-exitcode"]);
}

#[test]
fn saved_plans_apply_as_reviewed_and_stale_ones_are_refused() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    let ctx = Ctx::new(sim.kubeconfig_path());
    write_stack(ctx.dir.path(), &configmaps(3, "default", "one"));
    let planfile = ctx.dir.path().join("reviewed.plan");
    let pf = planfile.to_str().unwrap();
    ctx.expect(0, "plan", &["-o", pf]);
    // Applied without a question, from another working directory.
    let out = strata()
        .current_dir(ctx.dir.path())
        .args(["apply", pf, "--state", &ctx.st])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        kubectl.json(&["get", "configmap", "cm-2"])["data"]["value"],
        "one"
    );
    // The same plan again: state moved on.
    let (code, _, err) = run(&["apply", pf, "--state", &ctx.st]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the saved plan is stale") && err.contains("serial"),
        "{err}"
    );
    // A plan made before the stack changed.
    ctx.expect(0, "plan", &["-o", pf]);
    write_stack(ctx.dir.path(), &configmaps(3, "default", "two"));
    let (code, _, err) = run(&["apply", pf, "--state", &ctx.st]);
    assert_eq!(code, 1);
    assert!(err.contains("stack's files changed"), "{err}");
}

#[test]
fn target_and_replace_narrow_what_happens() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    let ctx = Ctx::new(sim.kubeconfig_path());
    write_stack(ctx.dir.path(), &configmaps(3, "team", "v"));
    let out = ctx.expect(
        0,
        "apply",
        &[
            "--auto-approve",
            "--target",
            "manifest.objects/ConfigMap/team/cm-1",
        ],
    );
    assert!(
        out.contains("2 created"),
        "the ConfigMap and its namespace: {out}"
    );
    let names: Vec<String> = kubectl.json(&["-n", "team", "get", "configmaps"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .filter(|n| n.starts_with("cm-"))
        .collect();
    assert_eq!(names, vec!["cm-1".to_string()]);
    let (code, _, err) = ctx.run(
        "plan",
        &["--target", "manifest.objects/ConfigMap/team/cm-9"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("names no resource"), "{err}");
    ctx.expect(0, "apply", &["--auto-approve"]);
    let uid = |k: &Kubectl| {
        k.json(&["-n", "team", "get", "configmap", "cm-0"])["metadata"]["uid"].clone()
    };
    let before = uid(&kubectl);
    let out = ctx.expect(
        0,
        "apply",
        &[
            "--auto-approve",
            "--replace",
            "manifest.objects/ConfigMap/team/cm-0",
        ],
    );
    assert!(out.contains("1 replaced"), "{out}");
    assert_ne!(uid(&kubectl), before);
    ctx.expect(0, "plan", &["--detailed-exitcode"]);
    // Destroy of one resource leaves the others.
    ctx.expect(
        0,
        "destroy",
        &[
            "--auto-approve",
            "--target",
            "manifest.objects/ConfigMap/team/cm-2",
        ],
    );
    assert_eq!(
        kubectl.json(&["-n", "team", "get", "configmaps", "-l", "x!=y"])["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["metadata"]["name"].as_str().unwrap().starts_with("cm-"))
            .count(),
        2
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let sim = sim();
    let ctx = Ctx::new(sim.kubeconfig_path());
    write_stack(ctx.dir.path(), &configmaps(1, "default", "v"));
    let (code, out, err) = ctx.run("apply", &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Plan: 1 to create"),
        "the plan is shown first: {out}"
    );
    assert!(
        err.contains("refusing to apply without confirmation") && err.contains("--auto-approve"),
        "{err}"
    );
    assert!(!Path::new(&ctx.st).exists() || state(Path::new(&ctx.st)).resources.is_empty());
}

#[test]
fn ctrl_c_stops_scheduling_saves_and_the_next_apply_finishes() {
    let sim = sim_with(|c| c.faults.latency = Duration::from_millis(40));
    let kubectl = Kubectl::new(&sim);
    let ctx = Ctx::new(sim.kubeconfig_path());
    write_stack(ctx.dir.path(), &configmaps(60, "default", "v"));
    let bin = assert_cmd::cargo::cargo_bin("strata");
    let mut child = Command::new(bin)
        .args(ctx.args("apply", &["--auto-approve", "--parallelism", "2"]))
        .envs(SECRETS.iter().copied())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once a few changes are done.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stdout = String::new();
    let mut created = 0;
    while created < 5 {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut lines, &mut line).unwrap() == 0 {
            break;
        }
        created += usize::from(line.contains(": created"));
        stdout += &line;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::io::Read::read_to_string(&mut lines, &mut stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Interrupted: no new changes start"),
        "{stderr}"
    );
    assert!(stdout.contains("Apply stopped (interrupted)"), "{stdout}");
    let saved = state(Path::new(&ctx.st));
    let done = saved.resources.len();
    assert!(done > 0 && done < 60, "{done} of 60 recorded");
    // Nothing half-done: what state records as applied is in the API.
    let live = kubectl.json(&["get", "configmaps"])["items"]
        .as_array()
        .unwrap()
        .len();
    assert!(live >= done, "{live} live, {done} recorded");
    ctx.expect(0, "apply", &["--auto-approve"]);
    ctx.expect(0, "plan", &["--detailed-exitcode"]);
}
