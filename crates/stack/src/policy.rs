//! HA policy checks: stacks that are valid for Kubernetes but lose
//! availability in an outage (replicas that cannot spread, budgets that
//! block every drain, quorums that cannot survive a failure).
//!
//! Each check has a stable code; a component silences one with
//! `allow = ["ha/..."]`. They are warnings, or errors with `--strict`. The
//! numbers come from the decoded settings (replicas, read replicas,
//! replication factor), never from a chart's values, so that the checks hold
//! whichever chart a preset installs.

use crate::diag::{Diagnostic, Span};
use crate::expand::Expanded;
use crate::model::{Common, Preset, Role, ServiceDecl, StackModel};
use serde_json::Value;

/// One policy check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Its stable code, as written in `allow`.
    pub code: &'static str,
    /// What it catches, in one sentence.
    pub doc: &'static str,
}

/// Every check's code (the values `allow` accepts).
pub const CODES: &[&str] = &[
    "ha/spread-replicas",
    "ha/pdb-blocks-drain",
    "ha/longhorn-replicas",
    "ha/kraft-controllers",
    "ha/replication-factor",
    "ha/database-replica",
    "ha/argocd-nodes",
    "ha/default-storage-class",
    "ha/api-endpoint",
];

/// Every check, in the order of [`CODES`].
pub const CHECKS: &[Check] = &[
    Check {
        code: "ha/spread-replicas",
        doc: "More replicas (or a higher autoscaler maximum) than schedulable nodes for an app with spread = \"required\", or more instances of a data service than nodes to put them on.",
    },
    Check {
        code: "ha/pdb-blocks-drain",
        doc: "A PodDisruptionBudget that lets no pod go (`min_available` at least the replicas, or `max_unavailable = 0`): every node drain blocks.",
    },
    Check {
        code: "ha/longhorn-replicas",
        doc: "Longhorn volume replicas above the number of nodes: volumes stay degraded.",
    },
    Check {
        code: "ha/kraft-controllers",
        doc: "An even number, or fewer than three, of Kafka KRaft controllers: the quorum survives no more failures than with one fewer.",
    },
    Check {
        code: "ha/replication-factor",
        doc: "A Kafka replication factor above the broker count, or `min_insync_replicas` not below the replication factor (one broker down blocks writes).",
    },
    Check {
        code: "ha/database-replica",
        doc: "A PostgreSQL service without a read replica to fail over to.",
    },
    Check {
        code: "ha/argocd-nodes",
        doc: "Argo CD in HA mode on fewer than three nodes (redis-ha needs three).",
    },
    Check {
        code: "ha/default-storage-class",
        doc: "Two default StorageClasses, e.g. k3s's local-path (unless `local-storage` is in `disable`, as it is when Longhorn's class is the default) and one from a manifest.",
    },
    Check {
        code: "ha/api-endpoint",
        doc: "An `api_endpoint` that nothing in the stack serves: neither `vip` nor `external_load_balancer` is set and it is no node's address. Nodes then join the first server, and clients of the kubeconfig reach nothing.",
    },
];

struct Ctx<'a> {
    strict: bool,
    out: Vec<Diagnostic>,
    m: &'a StackModel,
}

impl Ctx<'_> {
    fn report(&mut self, code: &'static str, owners: &[&Common], mut d: Diagnostic) {
        if owners.iter().any(|c| c.allows(code)) {
            return;
        }
        d.code = code;
        d.help = Some(format!(
            "{}; or, if this is intended, add allow = [\"{code}\"] to [{}]",
            d.help.take().unwrap_or_default(),
            owners.first().map_or("", |c| c.address.as_str())
        ));
        self.out.push(if self.strict { d } else { d.warning() });
    }
}

/// Runs every check on a decoded and expanded stack.
pub fn check(m: &StackModel, e: &Expanded, strict: bool) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        strict,
        out: Vec::new(),
        m,
    };
    if m.clusters.is_empty() {
        return cx.out;
    }
    let nodes = schedulable_nodes(m);
    spread(&mut cx, nodes);
    disruption(&mut cx);
    for s in &m.storages {
        if s.replicas > nodes as i64 {
            let d = Diagnostic::error(
                "",
                s.replicas_span.unwrap_or(s.common.span),
                format!(
                    "[{}] keeps {} replicas of each volume{}, but the cluster has {nodes} node{}",
                    s.common.address,
                    s.replicas,
                    defaulted(s.replicas_span),
                    plural(nodes)
                ),
            )
            .label("replicas that find no node leave volumes degraded")
            .help(format!("set replicas = {nodes} or add nodes"));
            cx.report("ha/longhorn-replicas", &[&s.common], d);
        }
    }
    for s in &m.services {
        match s.preset {
            Preset::Kafka => kafka(&mut cx, s),
            Preset::Postgresql if s.int_setting("read_replicas") == Some(0) => {
                let d = Diagnostic::error(
                    "",
                    s.setting_span("read_replicas").unwrap_or(s.common.span),
                    format!("[{}] runs PostgreSQL without a replica", s.common.address),
                )
                .label("nothing to fail over to")
                .help("set read_replicas = 1 or more");
                cx.report("ha/database-replica", &[&s.common], d);
            }
            Preset::ArgoCd if s.bool_setting("ha") == Some(true) && nodes < 3 => {
                let d = Diagnostic::error(
                    "",
                    s.setting_span("ha").unwrap_or(s.common.span),
                    format!(
                        "[{}] runs Argo CD in HA mode{} on {nodes} node{}; redis-ha needs 3",
                        s.common.address,
                        defaulted(s.setting_span("ha")),
                        plural(nodes)
                    ),
                )
                .label("its pods cannot all be scheduled")
                .help("set ha = false, or add nodes");
                cx.report("ha/argocd-nodes", &[&s.common], d);
            }
            _ => {}
        }
    }
    default_storage_classes(&mut cx, e);
    api_endpoint(&mut cx);
    cx.out
}

fn api_endpoint(cx: &mut Ctx) {
    let m = cx.m;
    for k in &m.clusters {
        let Some(endpoint) = &k.api_endpoint else {
            continue;
        };
        if k.vip.is_some() || k.external_load_balancer {
            continue;
        }
        let host = endpoint
            .trim_start_matches("https://")
            .rsplit_once(':')
            .map_or(endpoint.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        if m.nodes.iter().any(|n| n.address == host) {
            continue;
        }
        let d = Diagnostic::error(
            "",
            k.api_endpoint_span.unwrap_or(k.span),
            format!("nothing in the stack serves api_endpoint {endpoint}"),
        )
        .label("no VIP and no load balancer declared")
        .help("add vip = { interface = \"eth0\" } to run kube-vip on the servers, or external_load_balancer = true when a load balancer forwards it to every server; until then nodes join the first server");
        cx.report("ha/api-endpoint", &[&k.common], d);
    }
}

/// Nodes in the cluster that take ordinary pods (no NoSchedule/NoExecute taint).
fn schedulable_nodes(m: &StackModel) -> usize {
    m.nodes
        .iter()
        .filter(|n| n.role != Role::None)
        .filter(|n| {
            !n.taints
                .iter()
                .any(|t| t.ends_with(":NoSchedule") || t.ends_with(":NoExecute"))
        })
        .count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn defaulted(span: Option<Span>) -> &'static str {
    if span.is_none() {
        " (the default)"
    } else {
        ""
    }
}

fn spread(cx: &mut Ctx, nodes: usize) {
    for a in &cx.m.apps {
        if a.spread != "required" {
            continue;
        }
        let (n, span, what) = match &a.autoscaling {
            Some(s) => (
                s.max,
                s.max_span.unwrap_or(s.span),
                format!("scales up to {} replicas", s.max),
            ),
            None => (
                a.replicas,
                a.replicas_span.or(a.spread_span).unwrap_or(a.common.span),
                format!("runs {} replicas{}", a.replicas, defaulted(a.replicas_span)),
            ),
        };
        if n as usize <= nodes {
            continue;
        }
        let d = Diagnostic::error(
            "",
            span,
            format!(
                "[{}] {what} with spread = \"required\"{}, but the cluster has {nodes} schedulable node{}",
                a.common.address,
                defaulted(a.spread_span),
                plural(nodes)
            ),
        )
        .label(format!("replicas beyond {nodes} stay Pending"))
        .help(format!(
            "use at most {nodes} replica{}, add nodes, or set spread = \"preferred\"",
            plural(nodes)
        ));
        cx.report("ha/spread-replicas", &[&a.common], d);
    }
    for s in &cx.m.services {
        let (n, what) = match s.preset {
            Preset::Kafka => (s.replicas.unwrap_or(0), "brokers"),
            Preset::Postgresql => (
                1 + s.int_setting("read_replicas").unwrap_or(0),
                "instances (the primary and its read replicas)",
            ),
            Preset::Minio if minio_distributed(s) => (s.replicas.unwrap_or(0), "servers"),
            _ => continue,
        };
        if n as usize <= nodes {
            continue;
        }
        let span = match s.preset {
            Preset::Postgresql => s.setting_span("read_replicas"),
            _ => s.replicas_span,
        };
        let d = Diagnostic::error(
            "",
            span.unwrap_or(s.common.span),
            format!(
                "[{}] runs {n} {what}{}, but the cluster has {nodes} schedulable node{}",
                s.common.address,
                defaulted(span),
                plural(nodes)
            ),
        )
        .label("one node failure would take down more than one of them")
        .help(format!("run at most {nodes}, or add nodes"));
        cx.report("ha/spread-replicas", &[&s.common], d);
    }
}

fn minio_distributed(s: &ServiceDecl) -> bool {
    s.text_setting("mode").is_none_or(|m| m == "distributed")
}

fn disruption(cx: &mut Ctx) {
    for a in &cx.m.apps {
        let Some(d) = &a.disruption else { continue };
        let replicas = a.autoscaling.as_ref().map_or(a.replicas, |s| s.min);
        let blocks = match (d.field, &d.value) {
            ("minAvailable", Value::Number(n)) => n.as_i64().is_some_and(|m| m >= replicas),
            ("minAvailable", Value::String(p)) => p == "100%",
            ("maxUnavailable", Value::Number(n)) => n.as_i64() == Some(0),
            ("maxUnavailable", Value::String(p)) => p == "0%",
            _ => false,
        };
        if !blocks {
            continue;
        }
        let diag = Diagnostic::error(
            "",
            d.span,
            format!(
                "[{}]'s PodDisruptionBudget lets none of its {replicas} replicas go",
                a.common.address
            ),
        )
        .label("every node drain (upgrade, maintenance) would wait forever")
        .help(format!(
            "allow one pod down: min_available = {} or max_unavailable = 1",
            (replicas - 1).max(0)
        ));
        cx.report("ha/pdb-blocks-drain", &[&a.common], diag);
    }
}

fn kafka(cx: &mut Ctx, s: &ServiceDecl) {
    let brokers = s.replicas.unwrap_or(0);
    let controllers = s.int_setting("controllers").unwrap_or(brokers);
    if controllers < 3 || controllers % 2 == 0 {
        let span = s
            .setting_span("controllers")
            .or(s.replicas_span)
            .unwrap_or(s.common.span);
        let why = if controllers % 2 == 0 && controllers > 0 {
            format!(
                "an even count tolerates no more failures than {}",
                controllers - 1
            )
        } else {
            "one failure stops the quorum".to_string()
        };
        let d = Diagnostic::error(
            "",
            span,
            format!(
                "[{}] has {controllers} KRaft controller{}; a quorum needs an odd number, at least 3",
                s.common.address,
                plural(controllers.max(0) as usize)
            ),
        )
        .label(why)
        .help("run 3 or 5 controllers");
        cx.report("ha/kraft-controllers", &[&s.common], d);
    }
    let rf = s
        .int_setting("replication_factor")
        .unwrap_or(brokers.min(3));
    let min_isr = s
        .int_setting("min_insync_replicas")
        .unwrap_or((rf - 1).max(1));
    let rf_span = s
        .setting_span("replication_factor")
        .unwrap_or(s.common.span);
    if rf > brokers {
        let d = Diagnostic::error(
            "",
            rf_span,
            format!(
                "[{}] replicates topics {rf} times, but has {brokers} broker{}",
                s.common.address,
                plural(brokers.max(0) as usize)
            ),
        )
        .label("topics cannot be created")
        .help(format!("set replication_factor to at most {brokers}"));
        cx.report("ha/replication-factor", &[&s.common], d);
    } else if rf >= 2 && min_isr >= rf {
        let span = s.setting_span("min_insync_replicas").unwrap_or(rf_span);
        let d = Diagnostic::error(
            "",
            span,
            format!(
                "[{}] needs {min_isr} in-sync replicas of {rf}: one broker down blocks every write",
                s.common.address
            ),
        )
        .label("min.insync.replicas must be below the replication factor")
        .help(format!("set min_insync_replicas = {}", rf - 1));
        cx.report("ha/replication-factor", &[&s.common], d);
    }
}

fn default_storage_classes(cx: &mut Ctx, e: &Expanded) {
    let m = cx.m;
    let mut defaults: Vec<(String, Span, &Common)> = Vec::new();
    let longhorn_default = m.storages.iter().any(|s| {
        s.values
            .as_ref()
            .and_then(|v| v.pointer("/persistence/defaultClass"))
            .and_then(Value::as_bool)
            .unwrap_or(s.default_class)
    });
    for k in &m.clusters {
        // With Longhorn's class the default, k3s's local-storage is disabled.
        if !longhorn_default && !k.disable.iter().any(|d| d == "local-storage") {
            defaults.push((
                "k3s's `local-path` (k3s makes it the default unless disable includes \"local-storage\")".into(),
                k.common.span,
                &k.common,
            ));
        }
    }
    for s in &m.storages {
        let overridden = s
            .values
            .as_ref()
            .and_then(|v| v.pointer("/persistence/defaultClass"))
            .and_then(Value::as_bool);
        if overridden.unwrap_or(s.default_class) {
            defaults.push(("Longhorn's `longhorn`".into(), s.common.span, &s.common));
        }
    }
    for r in &e.resources {
        if r.attributes["kind"] != "StorageClass" {
            continue;
        }
        let component = r.address.as_str().split('/').next().unwrap_or_default();
        let Some(mf) = m.manifests.iter().find(|mf| mf.common.address == component) else {
            continue;
        };
        let annotation =
            &r.attributes["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"];
        if annotation == "true" {
            let name = r.attributes["metadata"]["name"]
                .as_str()
                .unwrap_or_default();
            let span = e.origins.get(&r.address).copied().unwrap_or(mf.common.span);
            defaults.push((
                format!("`{name}` from [{}]", mf.common.address),
                span,
                &mf.common,
            ));
        }
    }
    if defaults.len() < 2 {
        return;
    }
    let owners: Vec<&Common> = defaults.iter().map(|d| d.2).collect();
    let last = &defaults[defaults.len() - 1];
    let mut d = Diagnostic::error(
        "",
        last.1,
        format!(
            "the cluster would have {} default StorageClasses",
            defaults.len()
        ),
    )
    .label(format!("{} is a default", last.0))
    .help("keep one default: add \"local-storage\" to the k3s disable list, or set default_class = false on the storage");
    for other in &defaults[..defaults.len() - 1] {
        d = d.also(other.1, format!("{} is a default too", other.0));
    }
    cx.report("ha/default-storage-class", &owners, d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_check() {
        let codes: Vec<&str> = CHECKS.iter().map(|c| c.code).collect();
        assert_eq!(codes, CODES);
    }
}
