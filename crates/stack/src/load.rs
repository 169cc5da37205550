//! Reading a stack directory: every `*.toml` in it plus the files its
//! `include` globs name, merged into one set of sections. A table declared in
//! two places is an error naming both.

use crate::diag::{did_you_mean, Diagnostic, Sources, Span};
use crate::value::{from_toml, Entry, Table, Val};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The component sections of the stack language, in the order they are documented.
pub const SECTIONS: &[&str] = &[
    "node",
    "node_group",
    "k3s",
    "storage",
    "service",
    "chart",
    "app",
    "manifest",
    "application",
    "application_set",
    "output",
];

/// The sections whose components run on the Kubernetes cluster.
pub const K8S_SECTIONS: &[&str] = &[
    "storage",
    "service",
    "chart",
    "app",
    "manifest",
    "application",
    "application_set",
];

/// The code of the error for a directory that holds no stack.
pub const NOT_A_STACK: &str = "strata::not-a-stack";

/// Top-level tables that are not components.
pub const SETTINGS: &[&str] = &["stack", "vars", "secrets", "ssh"];

/// One `[section.name]` table.
#[derive(Debug, Clone)]
pub struct Item {
    /// The section: `node`, `app`, ...
    pub section: &'static str,
    /// The name after the dot.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The table's contents.
    pub table: Table,
}

impl Item {
    /// `section.name`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }
}

/// All files of a stack, merged.
#[derive(Debug, Default)]
pub struct RawStack {
    /// Every file read.
    pub sources: Sources,
    /// The directory given on the command line.
    pub dir: PathBuf,
    /// `[stack]` and where its header is.
    pub stack: Option<(Table, Span)>,
    /// `[ssh]`.
    pub ssh: Option<(Table, Span)>,
    /// `[vars]` entries from every file.
    pub vars: Vec<Entry>,
    /// `[secrets]` entries from every file.
    pub secrets: Vec<Entry>,
    /// Component tables in file order.
    pub items: Vec<Item>,
    /// Objects read from `[manifest.*]` files, by component address.
    pub manifest_docs: std::collections::HashMap<String, Vec<ManifestDoc>>,
}

/// One object from a manifest file.
#[derive(Debug, Clone)]
pub struct ManifestDoc {
    /// The object.
    pub value: serde_json::Value,
    /// Where its `kind:` is written (or the document start).
    pub span: Span,
    /// Where its `namespace:` is written, if it is.
    pub namespace_span: Option<Span>,
}

/// Reads a file into `sources`. Text that is not UTF-8 is reported at the
/// first invalid byte (the file is still added, so that the location shows)
/// and `None` is returned; so is a file that cannot be read, reported at
/// `via` (what names it) when given.
pub fn read_source(
    sources: &mut Sources,
    path: &Path,
    via: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let message = format!("cannot read {}: {e}", normalize(path).display());
            diags.push(match via {
                Some(span) => Diagnostic::error("strata::read", span, message),
                None => Diagnostic::global("strata::read", message),
            });
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(sources.add(&normalize(path), text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = sources.add(&normalize(path), text);
            diags.push(
                Diagnostic::error(
                    "strata::encoding",
                    Span::new(file, at..at + 1),
                    format!("{} is not valid UTF-8 text", normalize(path).display()),
                )
                .label(format!("byte 0x{byte:02x} is not UTF-8"))
                .help("save the file as UTF-8"),
            );
            None
        }
    }
}

/// Reads `dir` and everything it includes. Problems go to `diags`.
pub fn read_stack(dir: &Path, diags: &mut Vec<Diagnostic>) -> RawStack {
    let mut raw = RawStack {
        dir: dir.to_path_buf(),
        ..Default::default()
    };
    let mut files = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect::<Vec<_>>(),
        Err(e) => {
            diags.push(
                Diagnostic::global("strata::stack-dir", format!("cannot read stack directory {}: {e}", dir.display()))
                    .help("pass the directory that holds the stack's *.toml files, e.g. `strata plan stacks/production`"),
            );
            return raw;
        }
    };
    files.sort();
    if files.is_empty() {
        diags.push(
            Diagnostic::global(
                "strata::stack-dir",
                format!("{} holds no *.toml files", dir.display()),
            )
            .help("a stack is a directory of TOML files with one [stack] table; see README.md"),
        );
        return raw;
    }
    let first_diag = diags.len();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut queue: Vec<(PathBuf, Option<Span>)> = files.into_iter().map(|f| (f, None)).collect();
    let mut idx = 0;
    let mut decls: BTreeMap<String, Span> = BTreeMap::new();
    let mut unreadable = false;
    while idx < queue.len() {
        let (path, via) = queue[idx].clone();
        idx += 1;
        let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.contains(&canon) {
            continue;
        }
        seen.push(canon);
        let Some(file) = read_source(&mut raw.sources, &path, via, diags) else {
            unreadable = true;
            continue;
        };
        let text = raw.sources.get(file).text.clone();
        let (doc, errors) = toml::de::DeTable::parse_recoverable(&text);
        for e in &errors {
            let span = e
                .span()
                .map_or(Span::new(file, 0..0), |r| Span::new(file, r));
            diags.push(
                Diagnostic::error(
                    "strata::toml-syntax",
                    span,
                    format!("TOML syntax error: {}", e.message().trim_end()),
                )
                .label("here")
                .help("fix the TOML syntax; see https://toml.io for the format"),
            );
        }
        if !errors.is_empty() {
            unreadable = true;
            continue;
        }
        let table = from_toml(file, doc.get_ref());
        for entry in table.entries {
            merge_entry(&mut raw, entry, &mut decls, &mut queue, diags);
        }
    }
    // A directory none of whose files declares any Strata table is not a
    // stack at all (a project's root, a chart): one short error, not one per
    // foreign table.
    let strata_tables = raw.stack.is_some()
        || raw.ssh.is_some()
        || !raw.vars.is_empty()
        || !raw.secrets.is_empty()
        || !raw.items.is_empty();
    if !strata_tables && !unreadable {
        diags.truncate(first_diag);
        let n = raw.sources.files().len();
        diags.push(
            Diagnostic::error(
                NOT_A_STACK,
                Span::new(0, 0..0),
                format!(
                    "{} is not a stack: no [stack] or other Strata table in its {n} *.toml file{}",
                    dir.display(),
                    if n == 1 { "" } else { "s" }
                ),
            )
            .label("not a stack file")
            .help(
                "pass a stack's directory (`strata plan stacks/production`) or run from inside one",
            ),
        );
        return raw;
    }
    // A file with TOML syntax errors may hold the [stack] table: its syntax
    // errors are the problem to report, not a missing [stack].
    if raw.stack.is_none() && !raw.sources.files().is_empty() && !unreadable {
        let suggested: String = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_lowercase()))
            .map(|n| {
                n.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect::<String>()
                    .trim_matches('-')
                    .to_string()
            })
            .filter(|n| crate::k8s::check_label(n).is_ok())
            .unwrap_or_else(|| "production".into());
        diags.push(
            Diagnostic::error(
                "strata::no-stack-table",
                Span::new(0, 0..0),
                format!("{} is not a stack: none of its files declares [stack]", dir.display()),
            )
            .label("the stack's first file")
            .help(format!(
                "add a [stack] table to one file of the directory (e.g. stack.toml):\n  [stack]\n  name = \"{suggested}\""
            )),
        );
    }
    raw
}

fn merge_entry(
    raw: &mut RawStack,
    entry: Entry,
    decls: &mut BTreeMap<String, Span>,
    queue: &mut Vec<(PathBuf, Option<Span>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let key = entry.key.as_str();
    let mut declare = |name: String, span: Span, diags: &mut Vec<Diagnostic>| -> bool {
        if let Some(first) = decls.get(&name) {
            diags.push(
                Diagnostic::error(
                    "strata::duplicate",
                    span,
                    format!("[{name}] is declared twice"),
                )
                .label("declared again here")
                .also(*first, format!("[{name}] is first declared here"))
                .help("keep one declaration: merge the two tables, or rename one of them"),
            );
            return false;
        }
        decls.insert(name, span);
        true
    };
    let Val::Table(table) = entry.value.val else {
        let what = if SECTIONS.contains(&key) || SETTINGS.contains(&key) {
            format!("`{key}` must be a table such as [{key}]")
        } else {
            format!("unknown top-level key `{key}`")
        };
        diags.push(Diagnostic::error("strata::top-level", entry.key_span, what).help(
            "top-level entries are the tables [stack], [vars], [secrets], [ssh] and [SECTION.NAME] components",
        ));
        return;
    };
    match key {
        "stack" => {
            if declare("stack".into(), entry.key_span, diags) {
                queue_includes(raw, &table, queue, diags);
                raw.stack = Some((table, entry.key_span));
            }
        }
        "ssh" => {
            if declare("ssh".into(), entry.key_span, diags) {
                raw.ssh = Some((table, entry.key_span));
            }
        }
        "vars" | "secrets" => {
            for e in table.entries {
                if declare(format!("{key}.{}", e.key), e.key_span, diags) {
                    if key == "vars" {
                        raw.vars.push(e);
                    } else {
                        raw.secrets.push(e);
                    }
                }
            }
        }
        _ => {
            let Some(section) = SECTIONS.iter().find(|s| **s == key) else {
                let mut d = Diagnostic::error(
                    "strata::top-level",
                    entry.key_span,
                    format!("unknown table [{key}]"),
                );
                let all = SECTIONS.iter().chain(SETTINGS).copied();
                d = match did_you_mean(key, all) {
                    Some(s) => d
                        .label(format!("did you mean [{s}]?"))
                        .help(format!("rename it to [{s}]")),
                    None => d.label("not a Strata table").help(format!(
                        "Strata reads [stack], [vars], [secrets], [ssh] and components: {}",
                        SECTIONS
                            .iter()
                            .map(|s| format!("[{s}.NAME]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                diags.push(d);
                return;
            };
            for e in table.entries {
                let Val::Table(t) = e.value.val else {
                    diags.push(
                        Diagnostic::error(
                            "strata::wrong-type",
                            e.key_span,
                            format!("`{key}.{}` must be a table", e.key),
                        )
                        .label("expected a table")
                        .help(format!("declare it as\n  [{key}.{}]\n  ...", e.key)),
                    );
                    continue;
                };
                if declare(format!("{key}.{}", e.key), e.key_span, diags) {
                    raw.items.push(Item {
                        section,
                        name: e.key,
                        name_span: e.key_span,
                        table: t,
                    });
                }
            }
        }
    }
}

fn queue_includes(
    raw: &RawStack,
    stack: &Table,
    queue: &mut Vec<(PathBuf, Option<Span>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(inc) = stack.get("include") else {
        return;
    };
    let Val::Array(items) = &inc.value.val else {
        return;
    };
    for item in items {
        let Val::Str(pattern) = &item.val else {
            continue;
        };
        let base = raw
            .sources
            .get(item.span.file)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let full = base.join(pattern);
        let matches: Vec<PathBuf> = match glob::glob(&full.to_string_lossy()) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "strata::include",
                        item.span,
                        format!("invalid include pattern: {e}"),
                    )
                    .help("use a glob such as \"../common/*.toml\""),
                );
                continue;
            }
        };
        if matches.is_empty() {
            diags.push(
                Diagnostic::error(
                    "strata::include",
                    item.span,
                    format!("include `{pattern}` matches no file"),
                )
                .label(format!("looked for {}", normalize(&full).display()))
                .help("include paths are relative to the file that declares them"),
            );
        }
        let mut sorted = matches;
        sorted.sort();
        queue.extend(sorted.into_iter().map(|p| (p, Some(item.span))));
    }
}

/// Removes `.` and `a/..` from a path without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
