//! `strata completions SHELL` and `strata man`: generated from the same
//! argument definitions the CLI parses with, so they never go stale.

use super::write_stdout;
use crate::cli::Cli;
use clap::CommandFactory;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<i32, String> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "strata", &mut out);
    write_stdout(&String::from_utf8_lossy(&out), "the completion script")?;
    Ok(0)
}

/// Prints the manual page (roff): the main page, then a section per
/// command (synopsis, options, examples), so `man strata` documents every flag.
pub fn man() -> Result<i32, String> {
    let fail = |e: std::io::Error| {
        format!("error[strata::output]: rendering the manual page: {e}\n  hint: this is a bug in Strata; please report it")
    };
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(fail)?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(&mut text, sub, "strata").map_err(fail)?;
    }
    write_stdout(&text, "the manual page")?;
    Ok(0)
}

/// One command's section: `.SH "strata plan"` with its own sub-sections.
fn command_section(text: &mut String, cmd: &clap::Command, parent: &str) -> std::io::Result<()> {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.get_name() == "help" {
        return Ok(());
    }
    let page = clap_mangen::Man::new(cmd.clone().bin_name(name.clone()));
    let mut buf = Vec::new();
    page.render_synopsis_section(&mut buf)?;
    page.render_options_section(&mut buf)?;
    if cmd.get_after_help().is_some() {
        page.render_extra_section(&mut buf)?;
    }
    let body = String::from_utf8_lossy(&buf)
        .replace(".SH SYNOPSIS", ".SS Synopsis")
        .replace(".SH OPTIONS", ".SS Options")
        .replace(".SH EXTRA", ".SS Examples");
    let about = cmd.get_about().map(ToString::to_string).unwrap_or_default();
    text.push_str(&format!(
        ".SH \"{}\"\n{}\n",
        name.to_uppercase(),
        about.replace('\\', "\\\\")
    ));
    text.push_str(&body);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(text, sub, &name)?;
    }
    Ok(())
}
