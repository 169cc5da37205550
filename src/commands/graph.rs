//! `strata graph`: the resource graph as Graphviz DOT, or drawn by Graphviz
//! as SVG or an HTML page.

use super::{load, write_stdout};
use crate::cli::{GraphArgs, GraphFormat};
use std::io::Write;
use std::process::{Command, Stdio};
use strata_engine::ResourceType;

/// Runs `strata graph`.
pub fn run(args: &GraphArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let g = strata_engine::ResourceGraph::build(&stack.expanded.resources).map_err(|errs| {
        errs.iter()
            .map(|e| format!("error[strata::graph]: {e}\n  hint: check depends_on and the references of the components named"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let dot = g.to_dot();
    let out = match args.format {
        GraphFormat::Dot => dot,
        GraphFormat::Svg => svg(&dot)?,
        GraphFormat::Html => html(&stack.model.name, &svg(&dot)?),
    };
    match &args.out {
        Some(path) => std::fs::write(path, out).map_err(|e| {
            format!(
                "error[strata::output]: writing {}: {e}\n  hint: check that the directory exists and is writable",
                path.display()
            )
        })?,
        None => write_stdout(&out, "the graph")?,
    }
    Ok(0)
}

/// Draws DOT text with Graphviz's `dot` (from `$STRATA_DOT`, else `PATH`).
fn svg(dot: &str) -> Result<String, String> {
    let program = std::env::var_os("STRATA_DOT").unwrap_or_else(|| "dot".into());
    let missing = |why: String| {
        format!(
            "error[strata::graphviz]: drawing the graph needs Graphviz's `dot`, which {why}\n  hint: install Graphviz (apt-get install graphviz, brew install graphviz, choco install graphviz), or print DOT with `strata graph DIR > graph.dot` and draw it elsewhere"
        )
    };
    let mut child = Command::new(&program)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => missing("is not installed (not found in PATH)".into()),
            _ => missing(format!("could not be started: {e}")),
        })?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| missing(format!("failed: {e}")))?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(format!(
            "error[strata::graphviz]: Graphviz's dot failed ({}): {}\n  hint: check the Graphviz installation with `dot -V`",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A page with the picture and a legend of the colours.
fn html(stack: &str, svg: &str) -> String {
    let svg = svg
        .find("<svg")
        .map_or(svg, |i| &svg[i..])
        .trim_end()
        .to_string();
    let legend: String = [
        (ResourceType::Node, "node: a Linux host reached over SSH"),
        (
            ResourceType::K3sServer,
            "k3s_server: control plane and etcd",
        ),
        (ResourceType::K3sAgent, "k3s_agent: a worker"),
        (ResourceType::K8sObject, "k8s_object: a Kubernetes object"),
    ]
    .iter()
    .map(|(t, what)| {
        let (_, fill) = strata_engine::graph::style_of(*t);
        format!("<li><span class=\"swatch\" style=\"background:{fill}\"></span>{what}</li>")
    })
    .collect();
    let title = escape(stack);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Strata graph of {title}</title>\n<style>\nbody {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; }}\nul.legend {{ list-style: none; padding: 0; display: flex; gap: 1.5em; flex-wrap: wrap; }}\n.swatch {{ display: inline-block; width: 1em; height: 1em; border: 1px solid #6b7280; margin-right: 0.4em; vertical-align: middle; }}\n.graph svg {{ max-width: 100%; height: auto; }}\n</style>\n</head>\n<body>\n<h1>Resources of stack <code>{title}</code></h1>\n<p>An arrow points from what must exist first to what needs it. Boxes group a component's resources; an arrow from or to a box stands for its resources.</p>\n<ul class=\"legend\">{legend}</ul>\n<div class=\"graph\">\n{svg}\n</div>\n</body>\n</html>\n"
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
