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
    after_help = "Examples:\n  strata validate stacks/production\n  strata plan stacks/production\n  strata plan stacks/production --format markdown > plan.md\n  strata graph stacks/production --format svg > graph.svg\n\nDIR defaults to the current directory."
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
    /// Draw the resource dependency graph: Graphviz DOT, SVG or an HTML page.
    #[command(
        after_help = "Examples:\n  strata graph stacks/production > graph.dot\n  strata graph stacks/production --format svg -o graph.svg\n  strata graph stacks/production --format html -o graph.html\n\nResources are grouped by component and coloured by type; an edge from a whole\ncomponent (every k3s server) is drawn once, from its box. SVG and HTML need\nGraphviz's `dot` (apt-get install graphviz, brew install graphviz)."
    )]
    Graph(GraphArgs),
    /// Render a plan saved with `strata plan -o FILE`.
    #[command(
        after_help = "Examples:\n  strata show prod.plan\n  strata show prod.plan --format json"
    )]
    Show(ShowArgs),
    /// Read and repair state: list, show, pull, push, rm, mv, migrate.
    #[command(
        subcommand,
        after_help = "State is read from the stack's backend ([stack] state: a local file by default, or PostgreSQL),\nor from --state PATH. Commands that change state take the stack's lock first.\n\nExamples:\n  strata state list --stack stacks/production\n  strata state pull --stack stacks/production > backup.json\n  strata state migrate --stack stacks/production --to env:STRATA_PG_URL"
    )]
    State(StateCommand),
    /// Clear a lock left by a run that can no longer finish.
    #[command(
        after_help = "Examples:\n  strata force-unlock 0d6f8c3e-7b1a-4d2e-9a43-5f1c2b3d4e5f --stack stacks/production\n  strata force-unlock 0d6f8c3e-7b1a-4d2e-9a43-5f1c2b3d4e5f --state state/production.json\n\nThe ID is printed by the command that found the state locked. Only clear a lock when\nthe run holding it is certainly gone: a local lock whose process died is reported as\nstale; on PostgreSQL a dead holder's lock is released by the server by itself, and\nforce-unlock ends the holder's database session."
    )]
    ForceUnlock(ForceUnlockArgs),
    /// Print a JSON Schema of the stack language, for editors and CI.
    #[command(
        after_help = "Examples:\n  strata schema > stack.schema.json\n  check-jsonschema --schemafile stack.schema.json stacks/production/*.toml\n\nThe schema is generated from the same key tables as the decoder. Point a stack file at\nit with Taplo's directive on its first line (Even Better TOML then completes keys and\nshows their documentation):\n  #:schema ../../schema/stack.schema.json"
    )]
    Schema,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  strata completions bash > ~/.local/share/bash-completion/completions/strata\n  strata completions zsh > ~/.zfunc/_strata\n  strata completions fish > ~/.config/fish/completions/strata.fish\n  strata completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(
        after_help = "Examples:\n  strata man > strata.1 && man ./strata.1\n  strata man | gzip > /usr/local/share/man/man1/strata.1.gz"
    )]
    Man,
    /// Print the version.
    #[command(after_help = "Example:\n  strata version")]
    Version,
}

/// Arguments naming a stack.
#[derive(Args, Debug)]
pub struct StackArgs {
    /// The stack directory.
    #[arg(default_value = ".", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
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

/// How a plan is shown.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Show large values (dashboards, chart values) in full instead of a line count and digest.
    #[arg(long)]
    pub full: bool,
    /// Markdown: the longest comment in characters, or `github` (65536) or `gitlab` (1000000);
    /// a longer plan is shortened and points at the full one.
    #[arg(long, value_name = "CHARS", default_value = "github", value_parser = parse_comment_limit)]
    pub comment_limit: usize,
    /// Markdown: where the full plan can be read (a pipeline artifact's URL), named when the
    /// comment is shortened.
    #[arg(long, value_name = "URL")]
    pub full_plan_url: Option<String>,
}

/// `github`, `gitlab` or a number of characters.
fn parse_comment_limit(s: &str) -> Result<usize, String> {
    match s {
        "github" => Ok(strata_engine::render::GITHUB_COMMENT_LIMIT),
        "gitlab" => Ok(strata_engine::render::GITLAB_COMMENT_LIMIT),
        n => match n.parse::<usize>() {
            Ok(n) if n >= 1000 => Ok(n),
            _ => Err(format!(
                "{s:?} is not a comment limit; write github, gitlab or a number of characters (at least 1000)"
            )),
        },
    }
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
    /// How to show the plan.
    #[command(flatten)]
    pub render: RenderArgs,
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
    /// Plan from the stack and state alone, without asking the nodes or the cluster
    /// (no dry-run diffs); for review jobs that cannot reach the infrastructure.
    #[arg(long, env = "STRATA_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
}

/// `strata apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// A stack directory, or a plan file saved with `strata plan -o`.
    #[arg(value_name = "DIR|PLANFILE", default_value = ".", value_hint = clap::ValueHint::AnyPath)]
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
    /// Waiting for the state lock.
    #[command(flatten)]
    pub lock: LockArgs,
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
    /// Waiting for the state lock (taken with --write).
    #[command(flatten)]
    pub lock: LockArgs,
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
    /// Waiting for the state lock.
    #[command(flatten)]
    pub lock: LockArgs,
}

/// `strata show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A plan file from `strata plan -o`.
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub planfile: PathBuf,
    /// How to show the plan.
    #[command(flatten)]
    pub render: RenderArgs,
}

/// Output formats of the graph.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT text.
    Dot,
    /// The picture, drawn by Graphviz's `dot`.
    Svg,
    /// A web page with the picture and a legend.
    Html,
}

/// `strata graph`.
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The stack.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Where to find state for `strata state` and `force-unlock`.
#[derive(Args, Debug, Clone)]
pub struct StateLocation {
    /// A local state file, instead of the stack's backend.
    #[arg(long, value_name = "PATH", conflicts_with = "stack")]
    pub state: Option<PathBuf>,
    /// The stack whose state to use (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub stack: Option<PathBuf>,
}

/// How long to wait for a lock.
#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// Wait this long for the lock when someone else holds it (e.g. 30s, 5m; default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
}

/// `30s`, `5m`, `1h`, `500ms`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a duration; write e.g. 30s, 5m or 1h"))?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}; use ms, s, m or h")),
    };
    Ok(std::time::Duration::from_millis(ms))
}

/// `strata force-unlock`.
#[derive(Args, Debug)]
pub struct ForceUnlockArgs {
    /// The lock's ID, as printed by the command that found the state locked.
    pub id: String,
    /// Where the state is.
    #[command(flatten)]
    pub location: StateLocation,
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
    /// Print the whole state as JSON (a journal left by an interrupted run included).
    #[command(
        after_help = "Examples:\n  strata state pull --stack stacks/production > backup.json\n  strata state pull --stack stacks/production | jq '.resources | keys'"
    )]
    Pull(StateLocation),
    /// Replace the state with a JSON document (from `state pull`), under the lock.
    #[command(
        after_help = "Examples:\n  strata state push backup.json --stack stacks/production\n  strata state pull --stack stacks/production | jq ... | strata state push - --stack stacks/production\n\nA document of another lineage, or older than the stored state, is refused unless --force is given.\nThe stored serial becomes one more than both, so saved plans made before are refused."
    )]
    Push {
        /// The state document, or - for standard input.
        file: PathBuf,
        /// Push even when lineage differs or the document is older than the stored state.
        #[arg(long)]
        force: bool,
        /// Where the state is.
        #[command(flatten)]
        location: StateLocation,
        /// Lock waiting.
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Forget resources: Strata stops managing them; the real objects are left alone.
    #[command(
        after_help = "Examples:\n  strata state rm app.legacy/Deployment --stack stacks/production\n  strata state rm node.worker-5 node.worker-6 --stack stacks/production"
    )]
    Rm {
        /// Addresses to remove.
        #[arg(required = true)]
        addresses: Vec<String>,
        /// Where the state is.
        #[command(flatten)]
        location: StateLocation,
        /// Lock waiting.
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Rename a resource in state (after renaming it in the stack), so it is not replaced.
    #[command(
        after_help = "Example:\n  strata state mv app.api/Deployment app.gateway/Deployment --stack stacks/production\n\nDependencies recorded on the old address follow it to the new one."
    )]
    Mv {
        /// The address in state now.
        from: String,
        /// The new address.
        to: String,
        /// Where the state is.
        #[command(flatten)]
        location: StateLocation,
        /// Lock waiting.
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Copy state to another backend, keeping its lineage (the serial goes up by one).
    #[command(
        after_help = "Examples:\n  strata state migrate --stack stacks/production --to env:STRATA_PG_URL\n  strata state migrate --stack stacks/production --from env:STRATA_PG_URL --to state/production.json\n\nLOCATION is a state file path, a postgres:// URL, or env:NAME for a URL in an environment\nvariable (keeps the password off the command line). --from defaults to the stack's backend.\nThe workspace in a database is the stack's name. The source is left as it was: point\n[stack] state at the new backend afterwards. A target that already holds state is\nrefused unless --force is given."
    )]
    Migrate {
        /// Where to copy the state to.
        #[arg(long, value_name = "LOCATION")]
        to: String,
        /// Where to copy it from (default: the stack's backend, or --state).
        #[arg(long, value_name = "LOCATION")]
        from: Option<String>,
        /// Overwrite state the target already holds.
        #[arg(long)]
        force: bool,
        /// The stack (names the workspace; default: the current directory).
        #[command(flatten)]
        location: StateLocation,
        /// Lock waiting.
        #[command(flatten)]
        lock: LockArgs,
    },
}
