//! Source files, spans and diagnostics. Every problem found in a stack is a
//! [`Diagnostic`] pointing at file:line:col with a snippet and a fix hint; all
//! of them are collected and reported at once.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A location in one of the stack's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Index into [`Sources`].
    pub file: usize,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
}

impl Span {
    /// A span in `file` over `range`.
    pub fn new(file: usize, range: std::ops::Range<usize>) -> Self {
        Span {
            file,
            start: range.start,
            end: range.end,
        }
    }
}

/// One file read for the stack.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to the user.
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
}

/// Every file read for the stack, addressed by [`Span::file`].
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its index.
    pub fn add(&mut self, path: &Path, text: String) -> usize {
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            text: text.into(),
        });
        self.files.len() - 1
    }

    /// The file at `index`.
    pub fn get(&self, index: usize) -> &SourceFile {
        &self.files[index]
    }

    /// All files in the order they were read.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// `path:line:col` of a span (1-based, columns in characters).
    pub fn location(&self, span: Span) -> String {
        let f = &self.files[span.file];
        let before = &f.text[..floor_char(&f.text, span.start)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", f.path.display())
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The stack cannot be used.
    Error,
    /// Worth knowing; the stack can still be used.
    Warning,
    /// For information: something was set aside, nothing is wrong.
    Note,
}

/// A problem in a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code such as `strata::unknown-key`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The primary location and what to say there.
    pub primary: Option<(Span, String)>,
    /// Other places involved (the first declaration of a duplicate, ...).
    pub related: Vec<(Span, String)>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: Some((span, String::new())),
            related: Vec::new(),
            help: None,
        }
    }

    /// An error with no location (a missing directory, ...).
    pub fn global(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: None,
            related: Vec::new(),
            help: None,
        }
    }

    /// Sets the text shown at the primary location.
    pub fn label(mut self, text: impl Into<String>) -> Self {
        if let Some(p) = &mut self.primary {
            p.1 = text.into();
        }
        self
    }

    /// Adds a fix hint.
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    /// Adds another location.
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push((span, text.into()));
        self
    }

    /// Turns the diagnostic into a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Turns the diagnostic into a note.
    pub fn note(mut self) -> Self {
        self.severity = Severity::Note;
        self
    }
}

/// A miette view of one diagnostic at one location.
struct View {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    label: Option<LabeledSpan>,
    related: Vec<View>,
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View {}

impl miette::Diagnostic for View {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<_>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Longest line shown in a snippet; longer lines are cut around the span.
const MAX_LINE: usize = 100;
/// Most lines a span covers in a snippet.
const MAX_SPAN_LINES: usize = 6;
/// Longest message or label; longer ones are cut in the middle.
const MAX_MESSAGE: usize = 300;

/// The few lines around a span, with long lines cut to a window, so that a
/// snippet stays short whatever the file holds. Line numbers are those of
/// the file.
struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the file where the excerpt starts.
    first_line: usize,
    /// Where the primary span starts in the excerpt, and its real column.
    anchor: (usize, usize),
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self.text.as_str().read_span(span, before, after)?;
        let column = if span.offset() == self.anchor.0 {
            self.anchor.1
        } else {
            c.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line() + self.first_line,
            column,
            c.line_count(),
        )))
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Builds the excerpt of `text` around `start..end`; returns it with the
/// span's place in it.
fn excerpt(name: &str, text: &str, start: usize, end: usize) -> (Excerpt, usize, usize) {
    let start = floor_char(text, start);
    let mut end = ceil_char(text, end.max(start));
    let line_of = |i: usize| text[..i].matches('\n').count();
    let (l0, mut l1) = (line_of(start), line_of(end));
    let lines: Vec<&str> = text.split('\n').collect();
    if l1 > l0 + MAX_SPAN_LINES {
        l1 = l0 + MAX_SPAN_LINES;
        let line_end: usize = lines[..=l1].iter().map(|l| l.len() + 1).sum::<usize>() - 1;
        end = line_end.min(text.len());
    }
    let first = l0.saturating_sub(1);
    let last = (l1 + 1).min(lines.len().saturating_sub(1));
    let mut offset: usize = lines[..first].iter().map(|l| l.len() + 1).sum();
    let mut out = String::new();
    let (mut new_start, mut new_end) = (0, 0);
    let mut column = 0;
    for (i, line) in lines.iter().enumerate().take(last + 1).skip(first) {
        let line_start = offset;
        offset += line.len() + 1;
        let chars = line.chars().count();
        let (from, to) = if chars <= MAX_LINE {
            (0, line.len())
        } else {
            // A window around the span's start on its line, the head of others.
            let at = if i == l0 { start - line_start } else { 0 };
            let at_char = line[..at].chars().count();
            let from_char = at_char.saturating_sub(MAX_LINE / 3);
            let to_char = (from_char + MAX_LINE).min(chars);
            let byte = |c: usize| line.char_indices().nth(c).map_or(line.len(), |x| x.0);
            (byte(from_char), byte(to_char))
        };
        let prefix = if from > 0 { "…" } else { "" };
        let suffix = if to < line.len() { "…" } else { "" };
        let here = out.len() + prefix.len();
        let map = |abs: usize| here + abs.saturating_sub(line_start).clamp(from, to) - from;
        if i == l0 {
            new_start = map(start);
            column = line[..start - line_start].chars().count();
        }
        if i == l1 {
            new_end = map(end);
        }
        out.push_str(prefix);
        out.push_str(&line[from..to]);
        out.push_str(suffix);
        if i < last {
            out.push('\n');
        }
    }
    if l1 > last || new_end < new_start {
        new_end = new_start;
    }
    let ex = Excerpt {
        name: name.to_string(),
        text: out,
        first_line: first,
        anchor: (new_start, column),
    };
    (ex, new_start, new_end)
}

/// A user's value as shown in a message: long ones are cut in the middle.
pub fn elide(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        return value.to_string();
    }
    let head: String = value.chars().take(40).collect();
    let tail: Vec<char> = value.chars().rev().take(15).collect();
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// Cuts a long message in the middle.
fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_MESSAGE * 2 / 3).collect();
    let tail: String = {
        let rev: Vec<char> = s.chars().rev().take(MAX_MESSAGE / 4).collect();
        rev.into_iter().rev().collect()
    };
    format!("{head} … {tail}")
}

fn view_at(
    sources: &Sources,
    span: Span,
    message: String,
    label: String,
) -> (Option<Excerpt>, Option<LabeledSpan>, String) {
    let f = sources.get(span.file);
    let name = sources.location(span);
    let (src, start, end) = excerpt(&f.path.display().to_string(), &f.text, span.start, span.end);
    let len = end
        .saturating_sub(start)
        .max(1)
        .min(src.text.len().saturating_sub(start).max(1));
    let lab = LabeledSpan::new_with_span(
        (!label.is_empty()).then(|| shorten(&label)),
        SourceSpan::new(start.min(src.text.len()).into(), len),
    );
    (
        Some(src),
        Some(lab),
        format!("{}\n  at {name}", shorten(&message)),
    )
}

/// Renders diagnostics for a terminal (colors when `color`), errors first in
/// the order found, then a count.
pub fn render(sources: &Sources, diags: &[Diagnostic], color: bool) -> String {
    render_width(sources, diags, color, 100)
}

/// Renders diagnostics with messages and hints wrapped at `width` columns
/// (`usize::MAX`: never, so that commands in hints stay on one line).
pub fn render_width(sources: &Sources, diags: &[Diagnostic], color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diags {
        let severity = match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        };
        let (source, label, message) = match &d.primary {
            Some((span, text)) => view_at(sources, *span, d.message.clone(), text.clone()),
            None => (None, None, shorten(&d.message)),
        };
        let related = d
            .related
            .iter()
            .map(|(span, text)| {
                let (source, label, message) = view_at(sources, *span, text.clone(), String::new());
                View {
                    message,
                    code: "",
                    severity: miette::Severity::Advice,
                    help: None,
                    source,
                    label,
                    related: Vec::new(),
                }
            })
            .collect();
        let view = View {
            message,
            code: d.code,
            severity,
            help: d.help.clone(),
            source,
            label,
            related,
        };
        let _ = handler.render_report(&mut out, &view);
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if errors > 0 {
        out.push_str(&format!(
            "{errors} error{} found{}\n",
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            }
        ));
    }
    out
}

/// Suggests the closest of `candidates` to `word`, if any is close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based() {
        let mut s = Sources::default();
        let f = s.add(Path::new("a.toml"), "x = 1\ny = é2\n".into());
        assert_eq!(s.location(Span::new(f, 0..1)), "a.toml:1:1");
        assert_eq!(s.location(Span::new(f, 12..13)), "a.toml:2:6");
    }

    #[test]
    fn long_lines_make_short_snippets() {
        let mut s = Sources::default();
        let long = format!(
            "x = \"{}\"\nimage = \"{}BAD{}\"\ny = 1\n",
            "a".repeat(5000),
            "b".repeat(3000),
            "c".repeat(3000)
        );
        let f = s.add(Path::new("stack.toml"), long.clone());
        let at = long.find("BAD").unwrap();
        let d =
            Diagnostic::error("strata::test", Span::new(f, at..at + 3), "a problem").label("here");
        let out = render(&s, &[d], false);
        assert!(out.contains("stack.toml:2:3010"), "{out}");
        assert!(out.contains("BAD"), "{out}");
        assert!(
            out.contains("2 │") && out.contains("1 │") && out.contains("3 │"),
            "{out}"
        );
        assert!(out.len() < 1500, "{} bytes:\n{out}", out.len());
        let huge = Diagnostic::error(
            "strata::test",
            Span::new(f, 0..long.len()),
            "x".repeat(10_000),
        );
        let out = render(&s, &[huge], false);
        assert!(out.len() < 3000, "{} bytes", out.len());
    }

    #[test]
    fn spans_inside_a_character_are_safe() {
        let mut s = Sources::default();
        let f = s.add(Path::new("a.toml"), "é\u{fffd}x".into());
        let d = Diagnostic::error("strata::test", Span::new(f, 1..3), "inside a character");
        assert!(render(&s, &[d], false).contains("a.toml:1:1"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("adress", ["address", "role"]), Some("address"));
        assert_eq!(did_you_mean("zzz", ["address", "role"]), None);
    }
}
