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
    /// Apply a stack (or a plan saved with `strata plan -o`): make the real world match it.
    #[command(
        after_help = "Examples:\n  strata apply stacks/production\n  strata apply stacks/production --target app.my-microservice\n  strata apply prod.plan\n  strata apply examples/existing-cluster --var kubeconfig=$HOME/.kube/config --auto-approve\n\nThe plan is shown first. On a terminal Strata asks for confirmation; elsewhere it refuses\nunless --auto-approve is given. A saved plan is applied as reviewed, without asking, and\nrefused if the state or the stack's files changed since it was made.\nEach change's intent is saved in state before it runs and its result right after.\nCtrl-C stops starting new changes and saves; a second Ctrl-C aborts at once.\nExit codes: 0 success, 1 error or a failed change."
    )]
    Apply(ApplyArgs),
    /// Compare what Strata last applied with the real world and report drift.
    #[command(
        after_help = "Examples:\n  strata refresh stacks/production\n  strata refresh stacks/production --exit-code --format markdown > drift.md\n  strata refresh stacks/production --write\n\nRead-only unless --write is given. Every drifted attribute names the field manager that\nchanged it and when, e.g. `spec.replicas: 3 → 5 (kubectl, 10:42)`; objects deleted out of\nband are reported as missing. Kubernetes objects are read with one LIST per kind and\nnamespace.\nExit codes: 0 no drift, 1 error, 2 drift (with --exit-code)."
    )]
    Refresh(RefreshArgs),
    /// Delete everything the stack's state records, in reverse dependency order.
    #[command(
        after_help = "Examples:\n  strata destroy stacks/staging\n  strata destroy stacks/staging --target app.my-microservice --auto-approve\n\nResources with protect = true (in the stack or remembered in state) are refused.\nExit codes: 0 success, 1 error or a failed delete."
    )]
    Destroy(DestroyArgs),
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
    /// Plan only the resources at these addresses (and what they need); repeatable.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Plan these resources as replacements (delete, then create); repeatable.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// Plan from the stack and state alone, without asking the cluster (no dry-run diffs).
    #[arg(long)]
    pub offline: bool,
}

/// `strata apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// A stack directory, or a plan file saved with `strata plan -o`.
    #[arg(value_name = "DIR|PLANFILE")]
    pub source: PathBuf,
    /// Override a variable of [vars] (only with a stack directory; repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// State file (default: the stack's, usually state/<stack name>.json).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// The stack a plan file was made from, when it moved since `strata plan`.
    #[arg(long, value_name = "DIR")]
    pub stack: Option<PathBuf>,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Apply only the resources at these addresses (and what they need); repeatable.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Replace these resources (delete, then create) even if unchanged; repeatable.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// How many changes may run at once.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
}

/// `strata refresh`.
#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// The stack.
    #[command(flatten)]
    pub stack: StackArgs,
    /// State file (default: the stack's, usually state/<stack name>.json).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Record what was observed in state (drifted values, missing objects forgotten).
    #[arg(long)]
    pub write: bool,
    /// Exit 2 when anything drifted, 0 when nothing did, 1 on error.
    #[arg(long)]
    pub exit_code: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// `strata destroy`.
#[derive(Args, Debug)]
pub struct DestroyArgs {
    /// The stack.
    #[command(flatten)]
    pub stack: StackArgs,
    /// State file (default: the stack's, usually state/<stack name>.json).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Destroy without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Destroy only these resources (and what depends on them); repeatable.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// How many deletes may run at once.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
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
