//! The `strata` command line: parse arguments and hand over to a command.

mod cli;
mod commands;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = commands::run(cli);
    std::process::exit(code);
}
