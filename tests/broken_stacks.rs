//! A corpus of broken stacks under `tests/broken/<case>/`, each failing for
//! one named reason. Every case directory holds the stack's files and an
//! `expect.toml`:
//!
//! ```toml
//! message = "a substring the error output must contain"
//! location = "stack.toml:7:11"   # FILE:LINE:COL, relative to the case dir
//!
//! flags = "--strict"             # optional: extra arguments for both commands
//! max_lines = "60"               # optional: the error output's longest allowed length
//!
//! [[also]]                       # optional: further message/location pairs
//! message = "..."
//! location = "..."
//! ```
//!
//! Each case is copied (without `expect.toml`, which would be read as part
//! of the stack) into a fresh temporary directory, and both `strata validate`
//! and `strata plan` run on the copy from that directory. Both must exit with
//! 1, print every expected message and location, never panic, and leave no
//! state behind. All failures are collected and reported together.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Fewer cases than this means the corpus was lost or not found.
const MIN_CASES: usize = 135;

/// One expected diagnostic: a message substring and a `FILE:LINE:COL`.
#[derive(Debug, Clone)]
struct Expect {
    message: String,
    location: String,
}

/// Everything `expect.toml` says about a case.
#[derive(Debug, Clone, Default)]
struct Case {
    expects: Vec<Expect>,
    /// Extra command-line arguments (`--strict`).
    flags: Vec<String>,
    /// The most lines the error output may have.
    max_lines: Option<usize>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

/// Reads the value of a `key = "string"` line (a TOML basic string, whose
/// escapes are those of JSON).
fn string_value(line: &str, file: &Path) -> Result<(String, String), String> {
    let (key, value) = line.split_once('=').ok_or_else(|| {
        format!(
            "{}: expected `key = \"value\"`, got {line:?}",
            file.display()
        )
    })?;
    let value: String = serde_json::from_str(value.trim()).map_err(|e| {
        format!(
            "{}: the value of `{}` must be a double-quoted string: {e}",
            file.display(),
            key.trim()
        )
    })?;
    Ok((key.trim().to_string(), value))
}

/// Parses `expect.toml`: top-level `message`, `location` and optional
/// `flags` and `max_lines`, then any number of `[[also]]` tables with
/// `message` and `location`.
fn read_expect(file: &Path) -> Result<Case, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut tables: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    let mut case = Case::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[also]]" {
            tables.push((None, None));
            continue;
        }
        let (key, value) = string_value(line, file)?;
        let top = tables.len() == 1;
        let current = tables.last_mut().expect("at least the top-level table");
        let slot = match key.as_str() {
            "message" => &mut current.0,
            "location" => &mut current.1,
            "flags" if top => {
                case.flags = value.split_whitespace().map(str::to_string).collect();
                continue;
            }
            "max_lines" if top => {
                case.max_lines =
                    Some(value.parse().map_err(|e| {
                        format!("{}: max_lines must be a number: {e}", file.display())
                    })?);
                continue;
            }
            other => {
                return Err(format!(
                    "{}: unknown key `{other}` (expected message, location, flags or max_lines)",
                    file.display()
                ))
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("{}: `{key}` is given twice", file.display()));
        }
    }
    case.expects = tables
        .into_iter()
        .enumerate()
        .map(|(i, t)| match t {
            (Some(message), Some(location)) => Ok(Expect { message, location }),
            _ => Err(format!(
                "{}: {} needs both message and location",
                file.display(),
                if i == 0 {
                    "the top level".to_string()
                } else {
                    format!("[[also]] #{i}")
                }
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(case)
}

/// Copies `from` into `to`, leaving out `expect.toml` at the top.
fn copy_case(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if top && entry.file_name() == "expect.toml" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_case(&path, &target, false)?;
        } else {
            fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Every file under `dir`.
fn files_under(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        }
        out.insert(path);
    }
}

/// Whether `haystack` contains `needle` not followed by a digit, so that
/// `stack.toml:13:1` does not match `stack.toml:13:15`.
fn contains_location(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        !haystack[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// The output with messages that the renderer wrapped (continued on lines
/// starting with `│`) joined again, so that a message is found whole.
fn unwrap_lines(stderr: &str) -> String {
    let mut out = String::with_capacity(stderr.len());
    for line in stderr.lines() {
        match line.trim_start().strip_prefix("│ ") {
            Some(rest) if !out.is_empty() => {
                out.push(' ');
                out.push_str(rest.trim_start());
            }
            _ => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
    }
    out
}

/// Runs one case; returns its problems (empty when it passes).
fn run_case(case_dir: &Path) -> Vec<String> {
    let name = case_dir
        .file_name()
        .expect("case directory has a name")
        .to_string_lossy()
        .to_string();
    let case = match read_expect(&case_dir.join("expect.toml")) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let expects = &case.expects;
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let stack = tmp.path().join(&name);
    if let Err(e) = copy_case(case_dir, &stack, true) {
        return vec![format!("cannot copy the case: {e}")];
    }
    let mut before = BTreeSet::new();
    files_under(tmp.path(), &mut before);

    let mut problems = Vec::new();
    for command in ["validate", "plan"] {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("strata");
        cmd.arg(command)
            .args(&case.flags)
            .arg(&stack)
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("STRATA_VAR_") {
                cmd.env_remove(key);
            }
        }
        let output = match cmd.output() {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("`strata {command}` did not run: {e}"));
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        let messages = unwrap_lines(&stderr);
        let mut wrong = Vec::new();
        if output.status.code() != Some(1) {
            wrong.push(format!("exit code {:?}, expected 1", output.status.code()));
        }
        if stderr.contains("panicked") {
            wrong.push("it panicked".to_string());
        }
        if let Some(max) = case.max_lines {
            let lines = stderr.lines().count();
            if lines > max {
                wrong.push(format!("{lines} lines of output, at most {max} expected"));
            }
        }
        for e in expects {
            if !messages.contains(&e.message) {
                wrong.push(format!("no message {:?}", e.message));
            }
            let location = format!("/{name}/{}", e.location);
            if !contains_location(&stderr, &location) {
                wrong.push(format!("no location {name}/{}", e.location));
            }
        }
        if !wrong.is_empty() {
            problems.push(format!(
                "`strata {command}`: {}\n--- stderr ---\n{}",
                wrong.join("; "),
                stderr.trim_end()
            ));
        }
    }

    let mut after = BTreeSet::new();
    files_under(tmp.path(), &mut after);
    for path in after.difference(&before) {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        if file == "state" || file.ends_with(".json") {
            problems.push(format!("created {}", path.display()));
        }
    }
    problems
}

#[test]
fn broken_stacks_fail_with_located_diagnostics() {
    let dir = corpus_dir();
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= MIN_CASES,
        "expected at least {MIN_CASES} cases in {}, found {}",
        dir.display(),
        cases.len()
    );

    let mut failures = Vec::new();
    for case in &cases {
        let problems = run_case(case);
        if !problems.is_empty() {
            let name = case.file_name().unwrap_or_default().to_string_lossy();
            failures.push(format!("== {name}\n{}", problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} broken stacks did not fail as expected:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn expect_files_parse() {
    let e = read_expect(&corpus_dir().join("dependency-cycle/expect.toml"))
        .expect("the dependency-cycle case has a valid expect.toml");
    assert_eq!(e.expects.len(), 2);
    assert!(e.flags.is_empty() && e.max_lines.is_none());
    assert!(contains_location("a/b.toml:13:1\n", "/b.toml:13:1"));
    assert!(!contains_location("a/b.toml:13:15\n", "/b.toml:13:1"));
    let wrapped = "  × a long\n  │ message\n  │   at a/b.toml:1:2\n 1 │ x = 1\n";
    assert!(unwrap_lines(wrapped).contains("a long message"));
    assert!(unwrap_lines(wrapped).contains(" 1 │ x = 1"));
}

/// Copies `stacks/` into `to`.
fn copy_stacks(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks");
    copy_case(&from, to, false).expect("copy stacks/");
}

/// The binary on mutated copies of the production stack: every line that
/// sets a value gets a tricky value instead. Each run exits 0 or 1, never
/// panics, and every error it prints is located.
#[test]
fn mutated_production_stacks_exit_zero_or_one_with_located_errors() {
    const VALUES: &[&str] = &[
        "\"\"",
        "-1",
        "3000000000",
        "[]",
        "{ a = 1 }",
        "\"${vars.nope}\"",
        "\"${\"",
        "\"${node_group.worker.addresses}\"",
        "\"${secret.pg_password}\"",
        "\"10.0.0.300\"",
    ];
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let stacks = tmp.path().join("stacks");
    copy_stacks(&stacks);
    let files = [
        "production/stack.toml",
        "common/platform.toml",
        "common/app.toml",
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for file in files {
        let path = stacks.join(file);
        let original = fs::read_to_string(&path).expect("read the stack file");
        let lines: Vec<&str> = original.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((key, _)) = line.split_once(" = ") else {
                continue;
            };
            let value = VALUES[(i + runs) % VALUES.len()];
            let mut mutated: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            mutated[i] = format!("{key} = {value}");
            fs::write(&path, mutated.join("\n")).expect("write the mutated file");
            runs += 1;
            let out = assert_cmd::cargo::cargo_bin_cmd!("strata")
                .args(["validate", "production"])
                .current_dir(&stacks)
                .env("NO_COLOR", "1")
                .timeout(Duration::from_secs(60))
                .output()
                .expect("strata runs");
            let stderr = unwrap_lines(&String::from_utf8_lossy(&out.stderr));
            let what = format!("{file}:{} = {value}", i + 1);
            match out.status.code() {
                Some(0) | Some(1) => {}
                other => failures.push(format!("{what}: exit code {other:?}\n{stderr}")),
            }
            if stderr.contains("panicked") {
                failures.push(format!("{what}: panicked\n{stderr}"));
            }
            for block in stderr.split("\n\n").filter(|b| b.contains("× ")) {
                // "at FILE:LINE:COL" (joined onto the message by unwrap_lines).
                let located = block.split("at ").skip(1).any(|rest| {
                    rest.split_whitespace().next().is_some_and(|t| {
                        let mut parts = t.rsplitn(3, ':');
                        parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
                            && parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                            && parts.next().is_some()
                    })
                });
                if !located {
                    failures.push(format!("{what}: an error without a location:\n{block}"));
                }
            }
        }
        fs::write(&path, original).expect("restore the file");
    }
    assert!(runs >= 40, "only {runs} mutations");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
