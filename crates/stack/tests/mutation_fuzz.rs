//! Mutation fuzzing: copies of the repository's stacks (and of this crate's
//! valid test stacks) with lines deleted, duplicated, swapped or replaced,
//! values swapped for tricky ones, bytes inserted (invalid UTF-8 too) and
//! files truncated. Loading such a stack must never panic; it either loads
//! (the CLI exits 0) or fails (exit 1) with every error located at
//! file:line:col, and rendering the diagnostics must not panic either.
//! Bounded by a fixed number of cases.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use strata_stack::diag::{render, Severity};
use strata_stack::{load_with, LoadOptions, VarOverrides};

/// A stack to mutate: its directory (relative to the copied tree) and the
/// files that may be mutated.
struct Corpus {
    /// Every file of the tree: path relative to the tree, contents.
    files: Vec<(PathBuf, Vec<u8>)>,
    /// (stack directory, indexes of its mutable files) per stack.
    stacks: Vec<(PathBuf, Vec<usize>)>,
}

fn read_tree(root: &Path, prefix: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(root).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        let rel = prefix.join(e.file_name());
        if p.is_dir() {
            read_tree(&p, &rel, out);
        } else {
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

fn corpus() -> Corpus {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    read_tree(
        &crate_dir.join("../../stacks"),
        Path::new("stacks"),
        &mut files,
    );
    read_tree(
        &crate_dir.join("tests/stacks"),
        Path::new("valid"),
        &mut files,
    );
    let mutable = |dirs: &[&str]| -> Vec<usize> {
        files
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| {
                dirs.iter().any(|d| p.starts_with(d))
                    && p.extension()
                        .is_some_and(|x| x == "toml" || x == "yaml" || x == "json")
            })
            .map(|(i, _)| i)
            .collect()
    };
    let stacks = vec![
        (
            PathBuf::from("stacks/production"),
            mutable(&["stacks/production", "stacks/common"]),
        ),
        (
            PathBuf::from("stacks/staging"),
            mutable(&["stacks/staging", "stacks/common"]),
        ),
        (
            PathBuf::from("valid/vars-references"),
            mutable(&["valid/vars-references"]),
        ),
        (
            PathBuf::from("valid/group-members"),
            mutable(&["valid/group-members"]),
        ),
        (
            PathBuf::from("valid/cluster-scoped-manifests"),
            mutable(&["valid/cluster-scoped-manifests"]),
        ),
        (
            PathBuf::from("valid/one-node"),
            mutable(&["valid/one-node"]),
        ),
    ];
    Corpus { files, stacks }
}

/// Values that stress the decoder where a value is written.
const VALUES: &[&str] = &[
    "\"\"",
    "0",
    "-1",
    "3000000000",
    "99999999999999999999",
    "true",
    "1.5",
    "2024-01-01",
    "[]",
    "{}",
    "[1, \"a\"]",
    "{ a = 1 }",
    "\"${vars.nope}\"",
    "\"${\"",
    "\"$${x}\"",
    "\"${}\"",
    "\"${vars.image_tag}${vars.image_tag}\"",
    "\"${node_group.worker.addresses}\"",
    "\"${secret.pg_password}\"",
    "\"${service.postgresql.host}\"",
    "\"${node.worker-2.address}\"",
    "\"${app.my-microservice.url}\"",
    "\"10.0.0.300\"",
    "\"https://\"",
    "\"ü\u{301}\"",
    "\"-128Mi\"",
    "\"/he alth\"",
    "\"UPPER/Case:tag\"",
];

/// Lines that stress the decoder where a line is inserted.
const LINES: &[&str] = &[
    "[vars]",
    "[stack]",
    "[node.worker-2]",
    "[app.x]",
    "[service.extra]",
    "replicas = 0",
    "allow = [\"ha/spread-replicas\", \"ha/nope\"]",
    "x = \"${vars.x}\"",
    "a = \"${vars.b}\"\nb = \"${vars.a}\"",
    "depends_on = [\"app.my-microservice\"]",
    "depends_on = [\"node.nope/x\"]",
    "labels = { \"-bad\" = \"x y\" }",
    "token = { command = [\"false\"] }",
    "include = [\"../nowhere/*.toml\"]",
    "spread = \"required\"",
    "disable = [\"local-storage\"]",
    "kind: Deployment",
    "apiVersion: v1",
    "  namespace: Bad_NS",
    "metadata: [",
    "---",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceValue(usize, usize),
    InsertLine(usize, usize),
    InsertBytes(usize, Vec<u8>),
    Truncate(usize),
    FlipByte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0..VALUES.len()).prop_map(|(a, v)| Mutation::ReplaceValue(a, v)),
        (any::<usize>(), 0..LINES.len()).prop_map(|(a, l)| Mutation::InsertLine(a, l)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(a, b)| Mutation::InsertBytes(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0x20u8..0x7f).prop_map(|(a, b)| Mutation::FlipByte(a, b)),
    ]
}

fn apply(text: &mut Vec<u8>, m: &Mutation) {
    let s = String::from_utf8_lossy(text).into_owned();
    let mut lines: Vec<String> = s.split('\n').map(str::to_string).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::DeleteLine(a) => {
            lines.remove(a % n);
        }
        Mutation::DuplicateLine(a) => {
            let l = lines[a % n].clone();
            lines.insert(a % n, l);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::ReplaceValue(a, v) => {
            let l = &mut lines[a % n];
            let sep = if l.contains(" = ") { " = " } else { ": " };
            if let Some((k, _)) = l.split_once(sep) {
                *l = format!("{k}{sep}{}", VALUES[*v]);
            }
        }
        Mutation::InsertLine(a, l) => lines.insert(a % n, LINES[*l].to_string()),
        Mutation::InsertBytes(a, bytes) => {
            let at = a % (text.len() + 1);
            text.splice(at..at, bytes.iter().copied());
            return;
        }
        Mutation::Truncate(a) => {
            let at = a % (text.len() + 1);
            text.truncate(at);
            return;
        }
        Mutation::FlipByte(a, b) => {
            if !text.is_empty() {
                let at = a % text.len();
                text[at] = *b;
            }
            return;
        }
    }
    *text = lines.join("\n").into_bytes();
}

fn run(
    corpus: &Corpus,
    stack: usize,
    edits: &[(usize, Mutation)],
    strict: bool,
) -> Result<(), TestCaseError> {
    let (stack_dir, mutable) = &corpus.stacks[stack % corpus.stacks.len()];
    let mut files = corpus.files.clone();
    for (f, m) in edits {
        let i = mutable[f % mutable.len()];
        apply(&mut files[i].1, m);
    }
    let tmp = tempfile::tempdir().unwrap();
    for (path, bytes) in &files {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let dir = tmp.path().join(stack_dir);
    match load_with(&dir, &VarOverrides::default(), &LoadOptions { strict }) {
        Ok(s) => {
            // Exit 0: warnings only, and they render.
            prop_assert!(s.warnings.iter().all(|w| w.severity == Severity::Warning));
            let _ = render(&s.sources, &s.warnings, false);
        }
        Err(e) => {
            // Exit 1: at least one error, each located.
            let errors: Vec<_> = e
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            prop_assert!(!errors.is_empty(), "a failed load reports no error");
            for d in &errors {
                prop_assert!(
                    d.primary.is_some(),
                    "error without a location: {} {}",
                    d.code,
                    d.message
                );
            }
            let out = render(&e.sources, &e.diagnostics, false);
            prop_assert!(out.contains("error"), "{out}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_stacks_load_or_fail_with_located_errors(
        stack in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), mutation()), 1..5),
        strict in any::<bool>(),
    ) {
        thread_local! {
            static CORPUS: Corpus = corpus();
        }
        CORPUS.with(|c| run(c, stack, &edits, strict))?;
    }
}

/// Every single-line deletion of the production stack's files: the most
/// common slip, tried exhaustively.
#[test]
fn every_deleted_line_of_production_is_handled() {
    let c = corpus();
    let mutable = c.stacks[0].1.clone();
    for (k, &file) in mutable.iter().enumerate() {
        let lines = String::from_utf8_lossy(&c.files[file].1).lines().count();
        for line in 0..lines {
            run(&c, 0, &[(k, Mutation::DeleteLine(line))], false).unwrap_or_else(|e| {
                panic!("deleting line {} of {:?}: {e}", line + 1, c.files[file].0)
            });
        }
    }
}
