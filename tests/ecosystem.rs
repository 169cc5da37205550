//! Where Strata meets its users' tools: the example pipelines (valid for
//! GitLab's and GitHub's own schemas, every `strata` line in them accepted by
//! the real CLI, the merge-request plan job run for real), the stack
//! language's JSON Schema (generated, committed, agreeing with `validate`),
//! shell completions and the man page, the graph, and the CLI's errors.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

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

/// Runs strata; returns (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tool installed by `scripts/install-pytools` (or on PATH for `bash` and
/// `dot`), or `None` with the reason printed (outside CI only).
fn tool(path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("STRATA_CI").is_none(),
        "{} is missing: scripts/test-all installs it",
        path.display()
    );
    eprintln!("skipped: {} is missing", path.display());
    None
}

fn check_jsonschema() -> Option<PathBuf> {
    tool(root().join("target/venv/bin/check-jsonschema"))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    tool(found.unwrap_or_else(|| PathBuf::from(format!("(no {name} on PATH)"))))
}

const GITLAB: &str = "examples/gitlab-ci/.gitlab-ci.yml";
const GITHUB: &str = "examples/github-actions/strata.yml";

#[test]
fn pipelines_are_valid_for_their_vendors_schemas() {
    let Some(check) = check_jsonschema() else {
        return;
    };
    for (file, schema) in [
        (GITLAB, "vendor.gitlab-ci"),
        (GITHUB, "vendor.github-workflows"),
    ] {
        let out = std::process::Command::new(&check)
            .args(["--builtin-schema", schema])
            .arg(root().join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file} is not valid for {schema}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The check is not blind: a misspelt keyword fails it.
    let bad = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(GITLAB)).unwrap();
    let file = bad.path().join(".gitlab-ci.yml");
    std::fs::write(&file, text.replace("  script:\n", "  scripts:\n")).unwrap();
    let out = std::process::Command::new(&check)
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Every shell line of a pipeline: GitLab's `script` items and GitHub's
/// `run` blocks, with `\` continuations joined.
fn shell_lines(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let mut blocks = Vec::new();
    collect_scripts(&doc, &mut blocks);
    let mut lines = Vec::new();
    for b in blocks {
        let joined = b.replace("\\\n", " ");
        lines.extend(joined.lines().map(|l| l.trim().to_string()));
    }
    lines
}

fn collect_scripts(v: &serde_norway::Value, out: &mut Vec<String>) {
    use serde_norway::Value as Y;
    match v {
        Y::Mapping(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    (Some("script" | "before_script" | "run"), Y::String(s)) => out.push(s.clone()),
                    (Some("script" | "before_script"), Y::Sequence(items)) => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(String::from)))
                    }
                    _ => collect_scripts(x, out),
                }
            }
        }
        Y::Sequence(items) => items.iter().for_each(|i| collect_scripts(i, out)),
        _ => {}
    }
}

/// The `strata` invocations among `lines`: arguments up to a redirection or
/// the next command, with variables replaced by `vars` or a placeholder.
fn strata_commands(lines: &[String], vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in lines {
        let mut line = line.clone();
        while let Some(i) = line.find("${{") {
            let end = line[i..].find("}}").map_or(line.len(), |j| i + j + 2);
            line.replace_range(i..end, "x");
        }
        let Some(words) = shlex::split(&line) else {
            continue;
        };
        let Some(start) = words.iter().position(|w| w == "strata") else {
            continue;
        };
        let mut args = Vec::new();
        for w in &words[start + 1..] {
            if [">", ">>", "|", "||", "&&", ";", "2>"].contains(&w.as_str()) {
                break;
            }
            let mut w = w.clone();
            for (k, v) in vars {
                w = w
                    .replace(&format!("${{{k}}}"), v)
                    .replace(&format!("${k}"), v);
            }
            args.push(w);
        }
        out.push(args);
    }
    out
}

#[test]
fn every_strata_line_in_the_pipelines_is_accepted_by_the_cli() {
    let vars = [
        ("STACK", "stacks/production"),
        ("PLAN_FILE", "production.plan"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for file in [GITLAB, GITHUB] {
        let commands = strata_commands(&shell_lines(file), &vars);
        assert!(commands.len() >= 5, "{file}: {commands:?}");
        for args in commands {
            seen.insert(args[0].clone());
            // `--help` after the arguments: clap checks every flag and
            // value before it prints help, and exits 0 only if all parse.
            let (code, out, err) = run(strata().args(&args).arg("--help"));
            assert_eq!(code, 0, "{file}: strata {args:?} does not parse:\n{err}");
            assert!(out.contains("Usage: strata"), "{out}");
        }
    }
    for cmd in ["validate", "plan", "show", "apply", "refresh"] {
        assert!(seen.contains(cmd), "no pipeline runs strata {cmd}");
    }
    // And a wrong flag would have been caught.
    let (code, _, _) = run(strata().args(["plan", "--no-such-flag", "--help"]));
    assert_ne!(code, 0);
}

#[test]
fn the_merge_request_plan_job_runs() {
    // The plan job's strata lines, run for real in a scratch directory
    // (as the job's working directory) against the repository's stack.
    let work = tempfile::tempdir().unwrap();
    let stack = root().join("stacks/production");
    let vars = [
        ("STACK", stack.to_str().unwrap()),
        ("PLAN_FILE", "production.plan"),
        ("CI_JOB_URL", "https://gitlab.example.com/job/1"),
    ];
    let lines = shell_lines(GITLAB);
    let commands: Vec<Vec<String>> = strata_commands(&lines, &vars)
        .into_iter()
        .filter(|a| a[0] == "plan" || a[0] == "show")
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let mut outputs = Vec::new();
    for args in &commands {
        let mut cmd = strata();
        cmd.current_dir(work.path())
            .env("STRATA_VAR_unused_elsewhere", "1")
            .args(args);
        if args[0] == "plan" {
            cmd.args(["--state", "/nonexistent/state.json"]);
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "strata {args:?}: {err}");
        outputs.push(out);
    }
    assert!(outputs[0].starts_with("### Strata plan for `production`"));
    let n = production_resources();
    assert!(outputs[1].starts_with(&format!("Plan: {n} to create")));
    let report: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("plan-report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report,
        serde_json::json!({"create": n, "update": 0, "delete": 0})
    );
    assert!(work.path().join("production.plan").is_file());
}

fn stack_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["stacks", "examples", "crates/stack/tests/stacks"] {
        walk(&root().join(dir), &mut files);
    }
    files.sort();
    files
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn committed_schema_is_what_strata_schema_prints() {
    let (code, printed, _) = run(strata().arg("schema"));
    assert_eq!(code, 0);
    let path = root().join("schema/stack.schema.json");
    if std::env::var_os("STRATA_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &printed).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == printed,
        "schema/stack.schema.json is not what `strata schema` prints; run\n  STRATA_WRITE_SCHEMA=1 cargo test --test ecosystem committed_schema\nand commit the result"
    );
    // The repository's stacks point editors at it.
    for f in ["stacks/production/stack.toml", "stacks/staging/stack.toml"] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        assert!(
            text.starts_with("#:schema ../../schema/stack.schema.json\n"),
            "{f}"
        );
    }
}

#[test]
fn every_stack_in_the_repository_validates_against_the_schema() {
    let Some(check) = check_jsonschema() else {
        return;
    };
    let schema = root().join("schema/stack.schema.json");
    let out = std::process::Command::new(&check)
        .arg("--check-metaschema")
        .arg(&schema)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let files = stack_files();
    assert!(files.len() >= 9, "{files:?}");
    let out = std::process::Command::new(&check)
        .arg("--schemafile")
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The schema refuses what `validate` refuses for unknown keys, wrong types,
/// unknown values, missing keys and ranges: every broken stack whose
/// diagnostics are of those kinds fails the schema too (unless the wrong
/// value comes from a `${vars.*}` reference, which only `validate` resolves).
#[test]
fn the_schema_refuses_what_validate_refuses_for_keys_and_types() {
    let Some(check) = check_jsonschema() else {
        return;
    };
    let schema = root().join("schema/stack.schema.json");
    let kinds = [
        "strata::unknown-key",
        "strata::wrong-type",
        "strata::unknown-value",
        "strata::missing-key",
        "strata::out-of-range",
        "strata::invalid-port",
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/broken"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    for case in cases {
        let scratch = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for e in std::fs::read_dir(&case).unwrap().flatten() {
            let name = e.file_name();
            if name == "expect.toml" || !e.path().is_file() {
                continue;
            }
            std::fs::copy(e.path(), scratch.path().join(&name)).unwrap();
            if e.path().extension().is_some_and(|x| x == "toml") {
                files.push(scratch.path().join(&name));
            }
        }
        let (code, _, err) = run(strata().arg("validate").arg(scratch.path()));
        // Cases that need flags (--strict) are about policy, not keys.
        if code != 1 || !kinds.iter().any(|k| err.contains(k)) || files.is_empty() {
            continue;
        }
        let expect = std::fs::read_to_string(case.join("expect.toml")).unwrap();
        let at_var = expect
            .lines()
            .find_map(|l| l.strip_prefix("location = \""))
            .and_then(|l| {
                let (file, rest) = l.split_once(':')?;
                let line: usize = rest.split(':').next()?.parse().ok()?;
                let text = std::fs::read_to_string(case.join(file)).ok()?;
                Some(text.lines().nth(line - 1)?.contains("${vars."))
            })
            .unwrap_or(false);
        if at_var {
            continue;
        }
        checked += 1;
        let out = std::process::Command::new(&check)
            .arg("--schemafile")
            .arg(&schema)
            .args(&files)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        if out.status.success() || !said.contains("Schema validation errors") {
            failures.push(format!("{}: {said}", case.display()));
        }
    }
    assert!(checked >= 30, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "the schema accepts:\n{}",
        failures.join("\n")
    );
}

#[test]
fn completions_for_every_shell_and_bash_loads_them() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(strata().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["strata", "plan", "comment-limit", "full-plan-url"] {
            assert!(out.contains(word), "{shell} completions lack {word}");
        }
    }
    let Some(bash) = on_path("bash") else {
        return;
    };
    let exe = assert_cmd::cargo::cargo_bin("strata");
    let script = format!(
        "source <({exe} completions bash) && complete -p strata && COMP_WORDS=(strata pl) && COMP_CWORD=1 && _strata strata pl strata && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        exe = exe.display()
    );
    let out = std::process::Command::new(bash)
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-F _strata strata"), "{text}");
    assert!(text.lines().any(|l| l == "plan"), "completing `pl`: {text}");
}

#[test]
fn man_page_documents_every_command_and_flag() {
    let (code, out, err) = run(strata().arg("man"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH strata"),
        "{out}"
    );
    for section in [
        "STRATA PLAN",
        "STRATA GRAPH",
        "STRATA STATE PUSH",
        "STRATA SCHEMA",
    ] {
        assert!(out.contains(section), "no section {section}");
    }
    for flag in [
        "\\-\\-full",
        "\\-\\-comment\\-limit",
        "\\-\\-detailed\\-exitcode",
    ] {
        assert!(out.contains(flag), "no {flag}");
    }
}

#[test]
fn graph_groups_components_and_draws_one_edge_from_the_cluster() {
    let (code, dot, err) = run(strata().args(["graph", "stacks/production"]));
    assert_eq!(code, 0, "{err}");
    assert!(dot.contains("subgraph \"cluster_k3s.main\" {"));
    assert!(dot.contains("subgraph \"cluster_app.my-microservice\" {"));
    // One edge from the k3s box to the namespace, not one per server.
    let to_ns: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("-> \"namespace.kafka\""))
        .collect();
    assert_eq!(to_ns.len(), 1, "{to_ns:?}");
    assert!(to_ns[0].contains("ltail=\"cluster_k3s.main\""), "{to_ns:?}");
    // Types have their colours.
    assert!(dot.contains(
        "\"node.master-1\" [label=\"node.master-1\", shape=box3d, fillcolor=\"#bfdbfe\"]"
    ));
    // Without Graphviz, SVG says how to get it.
    let (code, _, err) = run(strata().env("STRATA_DOT", "/nonexistent/dot").args([
        "graph",
        "stacks/production",
        "--format",
        "svg",
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("install Graphviz (apt-get install graphviz"),
        "{err}"
    );
}

#[test]
fn graph_draws_svg_and_html_with_graphviz() {
    let Some(dot) = on_path("dot") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("graph.svg");
    let (code, _, err) = run(strata()
        .env("STRATA_DOT", &dot)
        .args(["graph", "stacks/production", "--format", "svg", "-o"])
        .arg(&svg));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("k3s.main"), "{text}");
    assert!(!err.contains("Warning"), "graphviz complained: {err}");
    let (code, html, err) =
        run(strata()
            .env("STRATA_DOT", &dot)
            .args(["graph", "stacks/staging", "--format", "html"]));
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("k3s_server: control plane"));
}

#[test]
fn environment_variables_the_stack_does_not_declare_are_noted_not_fatal() {
    let (code, _, err) = run(strata()
        .env("STRATA_VAR_not_declared_here", "1")
        .args(["validate", "stacks/production"]));
    assert_eq!(code, 0, "{err}");
    let said = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        said.contains("environment variable STRATA_VAR_not_declared_here sets `not_declared_here`, which the stack does not declare in [vars]; it is ignored"),
        "{err}"
    );
    let (code, _, err) = run(strata().args([
        "validate",
        "stacks/production",
        "--var",
        "not_declared_here=1",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("declares no such variable"), "{err}");
}

#[test]
fn dir_defaults_to_the_current_directory() {
    let (code, out, err) = run(strata()
        .current_dir(root().join("stacks/production"))
        .arg("validate"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Stack \"production\" is valid"), "{out}");
    for cmd in [
        &["plan"][..],
        &["graph"],
        &["refresh"],
        &["destroy"],
        &["apply"],
    ] {
        let (_, help, _) = run(strata().args(cmd).arg("--help"));
        assert!(help.contains("[default: .]"), "{cmd:?}: {help}");
    }
}

#[test]
fn a_directory_without_a_stack_gets_one_short_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\n[dependencies]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"y\"\n[tool.black]\n",
    )
    .unwrap();
    let (code, _, err) = run(strata().current_dir(dir.path()).arg("plan"));
    assert_eq!(code, 1);
    assert_eq!(err.matches('×').count(), 1, "{err}");
    assert!(
        err.contains(". is not a stack: no [stack] or other Strata table in its 2 *.toml files"),
        "{err}"
    );
    assert!(!err.contains("unknown table"), "{err}");
    assert!(err.lines().count() <= 14, "{err}");
}

#[test]
fn errors_share_one_style_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("state.json");
    std::fs::write(&not_json, "not json").unwrap();
    let bad_plan = dir.path().join("bad.plan");
    std::fs::write(&bad_plan, "{}").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "plan".into(),
                "stacks/production".into(),
                "--state".into(),
                not_json.display().to_string(),
            ],
            "strata::state",
        ),
        (
            vec!["show".into(), bad_plan.display().to_string()],
            "strata::plan-file",
        ),
        (
            vec![
                "plan".into(),
                "stacks/production".into(),
                "--var".into(),
                "image_tag".into(),
            ],
            "strata::var",
        ),
        (
            vec![
                "state".into(),
                "list".into(),
                "--state".into(),
                dir.path().join("none.json").display().to_string(),
            ],
            "",
        ),
    ];
    for (args, code_name) in cases {
        let (code, _, err) = run(strata().args(&args));
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("  × "), "{args:?} is not a diagnostic:\n{err}");
        assert!(err.contains("help: "), "{args:?} has no hint:\n{err}");
        assert!(err.contains(code_name), "{args:?}:\n{err}");
        assert!(!err.contains("error: "), "{args:?}: old style:\n{err}");
    }
}

#[test]
fn plan_out_never_overwrites_what_is_not_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    let stack_file = root().join("stacks/staging/stack.toml");
    let before = std::fs::read(&stack_file).unwrap();
    for target in [
        notes.clone(),
        stack_file.clone(),
        dir.path().join("new.toml"),
    ] {
        let (code, _, err) = run(strata()
            .args([
                "plan",
                "stacks/staging",
                "--state",
                "/nonexistent/s.json",
                "-o",
            ])
            .arg(&target));
        assert_eq!(code, 1, "{}", target.display());
        assert!(err.contains("refusing to write the plan to"), "{err}");
        assert!(err.contains("-o staging.plan"), "{err}");
    }
    assert_eq!(std::fs::read(&notes).unwrap(), b"my notes");
    assert_eq!(std::fs::read(&stack_file).unwrap(), before);
    assert!(!dir.path().join("new.toml").exists());
    // A plan file is overwritten by a newer plan.
    let plan = dir.path().join("staging.plan");
    for _ in 0..2 {
        let (code, _, err) = run(strata()
            .args([
                "plan",
                "stacks/staging",
                "--state",
                "/nonexistent/s.json",
                "-o",
            ])
            .arg(&plan));
        assert_eq!(code, 0, "{err}");
    }
    // No hint suggests writing a plan over a stack file.
    let (code, _, err) = run(strata().arg("show").arg(&stack_file));
    assert_eq!(code, 1);
    assert!(
        !err.contains("-o ") || err.contains("-o NAME.plan"),
        "{err}"
    );
    assert!(err.contains("pass the stack's directory"), "{err}");
}

#[test]
fn text_plans_open_with_the_summary_and_fold_large_values() {
    let (code, text, err) = run(strata().args([
        "plan",
        "stacks/production",
        "--state",
        "/nonexistent/s.json",
    ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Plan: {} to create, 0 to update, 0 to replace, 0 to delete.",
            production_resources()
        )
    );
    assert_eq!(
        lines[1],
        "Stack \"production\" against no state yet (/nonexistent/s.json does not exist)."
    );
    assert!(
        lines[2].starts_with("Warning: secrets not available"),
        "{}",
        lines[2]
    );
    assert!(text.contains("lines, sha256:"), "large values are folded");
    let (code, full, _) = run(strata().args([
        "plan",
        "stacks/production",
        "--state",
        "/nonexistent/s.json",
        "--full",
    ]));
    assert_eq!(code, 0);
    assert!(!full.contains("lines, sha256:"));
    assert!(
        full.contains("Requests per second"),
        "the dashboard in full"
    );
    assert!(full.len() > text.len());
}

#[test]
fn markdown_too_long_for_a_comment_is_shortened_with_a_pointer() {
    let base = [
        "plan",
        "stacks/production",
        "--state",
        "/nonexistent/s.json",
        "--format",
        "markdown",
    ];
    let (_, whole, _) = run(strata().args(base).args(["--comment-limit", "gitlab"]));
    assert!(!whole.contains("too long"));
    assert!(whole.chars().count() > 20_000, "the test needs a long plan");
    for limit in [4000usize, 12_000, 20_000] {
        let (code, md, err) = run(strata().args(base).args([
            "--comment-limit",
            &limit.to_string(),
            "--full-plan-url",
            "https://ci.example.com/job/7/artifacts",
        ]));
        assert_eq!(code, 0, "{err}");
        assert!(
            md.chars().count() <= limit,
            "{} > {limit}",
            md.chars().count()
        );
        assert!(md.starts_with("### Strata plan for `production`"));
        assert!(
            md.contains(&format!("**Plan: {} to create", production_resources())),
            "the summary stays"
        );
        assert!(
            md.contains("This plan is too long for one comment")
                && md.contains("https://ci.example.com/job/7/artifacts"),
            "{md}"
        );
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }
    let (_, gh, _) = run(strata().args(base).args(["--full"]));
    assert!(gh.chars().count() <= 65_536);
}

/// How many resources the production stack declares, as the stack crate counts them.
fn production_resources() -> usize {
    strata_stack::load(&root().join("stacks/production"), &Default::default())
        .expect("production is a valid stack")
        .expanded
        .resources
        .len()
}
