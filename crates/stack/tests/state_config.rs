//! `[stack] state`: backends, URL sources, and a default state path that does
//! not depend on the working directory.

use std::path::Path;
use strata_stack::model::{StateBackend, StateUrl};

fn stack(dir: &Path, state: &str) -> strata_stack::Stack {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        format!("[stack]\nname = \"shop\"\n{state}\n\n[secrets]\npg = {{ env = \"PG\" }}\n\n[node.server-1]\naddress = \"10.0.0.11\"\nrole = \"server\"\n\n[k3s.main]\nversion = \"v1.31.4+k3s1\"\n"),
    )
    .unwrap();
    strata_stack::load(dir, &Default::default()).unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

#[test]
fn postgres_urls_come_from_the_environment_a_secret_or_a_url_without_password() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "state = { backend = \"postgres\", url = { env = \"STRATA_PG_URL\" } }",
            StateUrl::Env("STRATA_PG_URL".into()),
        ),
        (
            "state = { backend = \"postgres\", url = \"${secret.pg}\", workspace = \"shop-eu\" }",
            StateUrl::Secret("pg".into()),
        ),
        (
            "state = { backend = \"postgres\", url = \"postgres://strata@db.internal/strata\" }",
            StateUrl::Literal("postgres://strata@db.internal/strata".into()),
        ),
    ];
    for (line, want) in cases {
        let s = stack(dir.path(), line);
        assert_eq!(
            s.model.state.backend,
            StateBackend::Postgres { url: want },
            "{line}"
        );
        let workspace = line.contains("shop-eu").then_some("shop-eu");
        assert_eq!(s.model.state.workspace.as_deref(), workspace);
    }
}

#[test]
fn the_default_state_path_follows_the_stack_not_the_working_directory() {
    let root = tempfile::tempdir().unwrap();
    // A repository with a state/ directory and the stack two levels below.
    std::fs::create_dir_all(root.path().join("state")).unwrap();
    let s = stack(&root.path().join("stacks/shop"), "");
    let want = std::path::absolute(root.path().join("state/shop.json")).unwrap();
    assert_eq!(s.default_state_path(), want);
    // Without a state/ directory above, it is the stack's own.
    let lone = tempfile::tempdir().unwrap();
    let s = stack(lone.path(), "");
    assert_eq!(
        s.default_state_path(),
        std::path::absolute(lone.path().join("state/shop.json")).unwrap()
    );
    // `path` is relative to the stack directory.
    let s = stack(
        lone.path(),
        "state = { backend = \"local\", path = \"../elsewhere/s.json\" }",
    );
    assert_eq!(
        s.default_state_path(),
        std::path::absolute(lone.path())
            .unwrap()
            .join("../elsewhere/s.json")
    );
}
