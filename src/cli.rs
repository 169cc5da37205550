//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Strata plans, applies and audits fault-tolerant k3s platforms described as
/// TOML stacks: nodes over SSH, an HA k3s cluster, Longhorn, data services
/// and microservices.
#[derive(Parser, Debug)]
#[command(
    name = "strata",
    version,
    propagate_version = true,
    after_help = "Examples:\n  strata validate stacks/production\n  strata plan stacks/production\n  strata plan stacks/production --format markdown > plan.md\n  strata graph stacks/production | dot -Tsvg > graph.svg"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a stack: syntax, keys, types, references, names, quantities, cycles.
    #[command(
        after_help = "Example:\n  strata validate stacks/production\n\nEvery problem is reported at once with file:line:col; the exit code is 1 if any is found."
    )]
    Validate(StackArgs),
    /// Show what applying the stack would change, without changing anything.
    #[command(
        after_help = "Examples:\n  strata plan stacks/production\n  strata plan stacks/production --format markdown --gitlab-report report.json\n  strata plan stacks/production -o prod.plan --detailed-exitcode\n\nExit codes: 0 success, 1 error; with --detailed-exitcode 2 means changes are present.\nPlan never writes state."
    )]
    Plan(PlanArgs),
    /// Print the resource dependency graph in Graphviz DOT.
    #[command(after_help = "Example:\n  strata graph stacks/production | dot -Tsvg > graph.svg")]
    Graph(StackArgs),
    /// Render a plan saved with `strata plan -o FILE`.
    #[command(
        after_help = "Examples:\n  strata show prod.plan\n  strata show prod.plan --format json"
    )]
    Show(ShowArgs),
    /// Inspect state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the version.
    #[command(after_help = "Example:\n  strata version")]
    Version,
}

/// Arguments naming a stack.
#[derive(Args, Debug)]
pub struct StackArgs {
    /// The stack directory.
    pub dir: PathBuf,
    /// Override a variable of [vars]: --var image_tag=1.5.0 (repeatable). STRATA_VAR_<name> works too.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Treat HA policy warnings (ha/...) as errors.
    #[arg(long)]
    pub strict: bool,
}

/// Output formats of a plan.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For terminals (colors on a TTY unless NO_COLOR is set).
    Text,
    /// For a merge-request comment.
    Markdown,
    /// Machine-readable, modelled on `terraform show -json`.
    Json,
}

/// `strata plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The stack.
    #[command(flatten)]
    pub stack: StackArgs,
    /// State file (default: the stack's, usually state/<stack name>.json).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write {"create":N,"update":N,"delete":N} for GitLab's Terraform report.
    #[arg(long, value_name = "FILE")]
    pub gitlab_report: Option<PathBuf>,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan (with the state's lineage and serial and the stack's SHA-256).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `strata show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A plan file from `strata plan -o`.
    pub planfile: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Where to find state for `strata state`.
#[derive(Args, Debug)]
pub struct StateLocation {
    /// State file to read.
    #[arg(long, value_name = "PATH", conflicts_with = "stack")]
    pub state: Option<PathBuf>,
    /// Read the state of this stack directory (default: the current directory's stack).
    #[arg(long, value_name = "DIR")]
    pub stack: Option<PathBuf>,
}

/// `strata state ...`.
#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the addresses of every resource in state.
    #[command(
        after_help = "Examples:\n  strata state list --stack stacks/production\n  strata state list --state state/production.json"
    )]
    List(StateLocation),
    /// Show one resource as recorded in state (sensitive values stay hidden).
    #[command(
        after_help = "Example:\n  strata state show node.master-1 --stack stacks/production"
    )]
    Show {
        /// The resource address.
        address: String,
        /// Where the state is.
        #[command(flatten)]
        location: StateLocation,
    },
}
