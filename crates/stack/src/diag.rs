//! Source files, spans and diagnostics. Every problem found in a stack is a
//! [`Diagnostic`] pointing at file:line:col with a snippet and a fix hint; all
//! of them are collected and reported at once.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
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
        let before = &f.text[..span.start.min(f.text.len())];
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
}

/// A miette view of one diagnostic at one location.
struct View {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
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

fn view_at(
    sources: &Sources,
    span: Span,
    message: String,
    label: String,
    severity: miette::Severity,
) -> (Option<NamedSource<String>>, Option<LabeledSpan>, String) {
    let f = sources.get(span.file);
    let name = sources.location(span);
    let src = NamedSource::new(f.path.display().to_string(), f.text.to_string());
    let len = span
        .end
        .saturating_sub(span.start)
        .max(1)
        .min(f.text.len().saturating_sub(span.start).max(1));
    let lab = LabeledSpan::new_with_span(
        (!label.is_empty()).then_some(label),
        SourceSpan::new(span.start.min(f.text.len()).into(), len),
    );
    let _ = severity;
    (Some(src), Some(lab), format!("{message}\n  at {name}"))
}

/// Renders diagnostics for a terminal (colors when `color`), errors first in
/// the order found, then a count.
pub fn render(sources: &Sources, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diags {
        let severity = match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let (source, label, message) = match &d.primary {
            Some((span, text)) => {
                view_at(sources, *span, d.message.clone(), text.clone(), severity)
            }
            None => (None, None, d.message.clone()),
        };
        let related = d
            .related
            .iter()
            .map(|(span, text)| {
                let (source, label, message) = view_at(
                    sources,
                    *span,
                    text.clone(),
                    String::new(),
                    miette::Severity::Advice,
                );
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
    let warnings = diags.len() - errors;
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
    fn suggestions() {
        assert_eq!(did_you_mean("adress", ["address", "role"]), Some("address"));
        assert_eq!(did_you_mean("zzz", ["address", "role"]), None);
    }
}
