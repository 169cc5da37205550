//! `docs/reference.md` is generated from the key tables: the committed file
//! must equal the generated text, and every example in it (and in the
//! README) must be a valid stack without warnings. Regenerate with
//! `STRATA_WRITE_REFERENCE=1 cargo test -p strata-stack --test reference`.

use std::path::{Path, PathBuf};
use strata_stack::{load, load_with, LoadOptions, VarOverrides};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_reference_is_generated_from_the_key_tables() {
    let path = repo().join("docs/reference.md");
    let generated = strata_stack::reference::markdown();
    if std::env::var_os("STRATA_WRITE_REFERENCE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/reference.md is not what the key tables generate; run\n  STRATA_WRITE_REFERENCE=1 cargo test -p strata-stack --test reference\nand commit the result"
    );
}

fn check_examples(file: &str) -> usize {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let examples = strata_stack::reference::examples(&text);
    let mut failures = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stack.toml"), example).unwrap();
        let options = LoadOptions { strict: true };
        match load_with(dir.path(), &VarOverrides::default(), &options) {
            Ok(stack) if stack.warnings.is_empty() => {}
            Ok(stack) => failures.push(format!(
                "example #{} of {file} warns:\n{example}\n{}",
                i + 1,
                strata_stack::diag::render(&stack.sources, &stack.warnings, false)
            )),
            Err(e) => failures.push(format!(
                "example #{} of {file} is not valid:\n{example}\n{}",
                i + 1,
                strata_stack::diag::render(&e.sources, &e.diagnostics, false)
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    examples.len()
}

#[test]
fn every_reference_example_is_a_valid_stack() {
    let n = check_examples("docs/reference.md");
    assert!(n >= 12, "only {n} examples found");
}

#[test]
fn every_readme_example_is_a_valid_stack() {
    assert!(check_examples("README.md") >= 1);
}

/// What the reference says an app gets is what expansion makes.
#[test]
fn app_defaults_are_what_the_reference_says() {
    let dir = tempfile::tempdir().unwrap();
    let stack = format!(
        "{}\n[app.api]\nimage = \"registry.example.com/api:1\"\nreplicas = 1\n",
        strata_stack::schema::EXAMPLE_PRELUDE
    );
    std::fs::write(dir.path().join("stack.toml"), stack).unwrap();
    let s = load(dir.path(), &VarOverrides::default()).expect("a valid stack");
    let get = |addr: &str| {
        s.expanded
            .resources
            .iter()
            .find(|r| r.address.as_str() == addr)
            .unwrap_or_else(|| panic!("{addr}"))
            .attributes
            .clone()
    };
    let app = strata_stack::schema::section("app").unwrap();
    let default = |k: &str| app.keys.iter().find(|x| x.name == k).unwrap().default;
    use strata_stack::schema::DefaultValue as D;
    let d = get("app.api/Deployment");
    assert_eq!(d["metadata"]["namespace"], "api");
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let D::Int(port) = default("port") else {
        panic!()
    };
    assert_eq!(c["ports"][0]["containerPort"], port);
    assert_eq!(c["ports"][0]["name"], "http");
    let D::Str(health) = default("health") else {
        panic!()
    };
    let D::Str(pull) = default("image_pull_policy") else {
        panic!()
    };
    assert_eq!(c["imagePullPolicy"], pull);
    for (probe, (delay, period)) in [
        ("livenessProbe", strata_stack::schema::LIVENESS_PROBE),
        ("readinessProbe", strata_stack::schema::READINESS_PROBE),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"], health);
        assert_eq!(c[probe]["initialDelaySeconds"], delay);
        assert_eq!(c[probe]["periodSeconds"], period);
    }
    assert_eq!(default("spread"), D::Str("required"));
    assert_eq!(
        d["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
    let annotations = &d["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], port.to_string());
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
    let rolling = &d["spec"]["strategy"]["rollingUpdate"];
    assert_eq!(
        (
            rolling["maxSurge"].clone(),
            rolling["maxUnavailable"].clone()
        ),
        (1.into(), 0.into())
    );
    assert_eq!(d["spec"]["revisionHistoryLimit"], 3);
    assert_eq!(get("app.api/Service")["spec"]["ports"][0]["port"], port);
    assert_eq!(
        get("app.api/ServiceAccount")["automountServiceAccountToken"],
        false
    );
    // The default replica count, on a stack with room for it.
    let D::Int(replicas) = default("replicas") else {
        panic!()
    };
    let two_nodes = format!(
        "{}\n[node.agent-1]\naddress = \"10.0.0.12\"\nrole = \"agent\"\n\n[app.api]\nimage = \"registry.example.com/api:1\"\n",
        strata_stack::schema::EXAMPLE_PRELUDE
    );
    std::fs::write(dir.path().join("stack.toml"), two_nodes).unwrap();
    let s = load(dir.path(), &VarOverrides::default()).expect("a valid stack");
    assert!(s.warnings.is_empty());
    let d = s
        .expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == "app.api/Deployment")
        .unwrap();
    assert_eq!(d.attributes["spec"]["replicas"], replicas);
}
