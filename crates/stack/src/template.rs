//! `${...}` templates inside strings: `${vars.name}`, `${secret.name}` and
//! references to other components such as `${node.master-1.address}` or
//! `${service.postgresql.host}`. `$${` writes a literal `${`.

use crate::diag::{Diagnostic, Span};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text copied as is.
    Lit(String),
    /// A reference to resolve.
    Ref(Ref),
}

/// A `${a.b.c}` reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    /// The dotted parts: `["node", "master-1", "address"]`.
    pub parts: Vec<String>,
    /// Where the `${...}` is written.
    pub span: Span,
    /// Whether the referenced value must be text: the reference is part of a
    /// longer string, or the key takes only strings. A list or a table cannot
    /// stand there.
    pub in_text: bool,
}

impl Ref {
    /// The reference as written, without `${}`.
    pub fn text(&self) -> String {
        self.parts.join(".")
    }
}

/// A parsed string with its references.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Literal text and references, in order.
    pub pieces: Vec<Piece>,
    /// Where the whole string is written.
    pub span: Span,
}

impl Template {
    /// A template without references.
    pub fn literal(s: &str, span: Span) -> Self {
        Template {
            pieces: vec![Piece::Lit(s.to_string())],
            span,
        }
    }

    /// The single reference when the string is exactly `${...}`.
    pub fn sole_ref(&self) -> Option<&Ref> {
        match self.pieces.as_slice() {
            [Piece::Ref(r)] => Some(r),
            _ => None,
        }
    }

    /// Every reference.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Ref(r) => Some(r),
            Piece::Lit(_) => None,
        })
    }

    /// The text when there are no references.
    pub fn as_literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(l) => s.push_str(l),
                Piece::Ref(_) => return None,
            }
        }
        Some(s)
    }
}

/// Parses `value` (written at `span`; `raw` is the source text of that span,
/// used to place each reference exactly).
pub fn parse(value: &str, span: Span, raw: &str, diags: &mut Vec<Diagnostic>) -> Template {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut rest = value;
    let mut search_from = 0;
    while let Some(pos) = rest.find('$') {
        lit.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            lit.push_str("${");
            rest = tail;
            continue;
        }
        if !after.starts_with("${") {
            lit.push('$');
            rest = &after[1..];
            continue;
        }
        let Some(close) = after.find('}') else {
            diags.push(
                Diagnostic::error("strata::template", span, "`${` is never closed with `}`")
                    .label("unclosed reference")
                    .help("write references as ${vars.name}, ${secret.name} or ${node.NAME.address}; write $${ for a literal ${"),
            );
            lit.push_str(after);
            rest = "";
            break;
        };
        let inner = after[2..close].trim();
        let written = &after[..=close];
        let ref_span = match raw[search_from.min(raw.len())..].find(written) {
            Some(off) => {
                let start = span.start + search_from + off;
                search_from += off + written.len();
                Span::new(span.file, start..start + written.len())
            }
            None => span,
        };
        let parts: Vec<String> = inner.split('.').map(str::to_string).collect();
        if inner.is_empty() || parts.iter().any(String::is_empty) {
            diags.push(
                Diagnostic::error("strata::template", ref_span, format!("`{written}` is not a valid reference"))
                    .label("empty name")
                    .help("a reference names a dotted path such as ${vars.image_tag} or ${service.postgresql.host}"),
            );
        } else {
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(Piece::Ref(Ref {
                parts,
                span: ref_span,
                in_text: true,
            }));
        }
        rest = &after[close + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Template { pieces, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (Template, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let raw = format!("\"{s}\"");
        let t = parse(s, Span::new(0, 10..10 + raw.len()), &raw, &mut d);
        (t, d)
    }

    #[test]
    fn pieces_and_spans() {
        let (t, d) = p("img:${vars.tag}-x");
        assert!(d.is_empty());
        assert_eq!(t.pieces.len(), 3);
        let r = t.refs().next().unwrap();
        assert_eq!(r.parts, ["vars", "tag"]);
        assert_eq!((r.span.start, r.span.end), (15, 26));
        assert_eq!(p("$${x} $5").0.as_literal().unwrap(), "${x} $5");
        assert!(p("${vars.a}").0.sole_ref().is_some());
    }

    #[test]
    fn errors() {
        assert_eq!(p("${vars.a").1.len(), 1);
        assert_eq!(p("${}").1.len(), 1);
        assert_eq!(p("${a..b}").1.len(), 1);
    }
}
