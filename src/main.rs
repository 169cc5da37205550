//! The `strata` command line: parse arguments and hand over to a command.

mod cli;
mod commands;

use clap::Parser;

/// Plans of large stacks are allocation-heavy; mimalloc makes them markedly faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cli::Cli::parse();
    let code = commands::run(cli);
    std::process::exit(code);
}
