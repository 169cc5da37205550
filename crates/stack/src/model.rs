//! The typed stack: what each `[section.name]` table means once decoded.

use crate::diag::Span;
use crate::template::{Ref, Template};
use strata_engine::AttrPath;

/// Settings every component table accepts.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// `section.name`.
    pub address: String,
    /// The name after the dot.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Explicit dependencies (component or resource addresses).
    pub depends_on: Vec<(String, Span)>,
    /// Refuse destroy.
    pub protect: bool,
    /// Attribute paths whose changes are not planned.
    pub ignore_changes: Vec<AttrPath>,
    /// Every `${...}` reference written in the table.
    pub refs: Vec<Ref>,
    /// HA policy checks silenced for this component, with where each is written.
    pub allow: Vec<(String, Span)>,
}

impl Common {
    /// Whether the policy check `code` is silenced here.
    pub fn allows(&self, code: &str) -> bool {
        self.allow.iter().any(|(c, _)| c == code)
    }
}

/// The SSH defaults of `[ssh]`.
#[derive(Debug, Clone)]
pub struct SshDefaults {
    /// Login user.
    pub user: String,
    /// Private key file.
    pub key: Option<String>,
    /// Port.
    pub port: i64,
    /// known_hosts file used to verify host keys.
    pub known_hosts: Option<String>,
    /// Environment variable holding the private key's passphrase.
    pub key_passphrase_env: Option<String>,
    /// Jump host (`user@host:port`) every node is reached through.
    pub jump: Option<String>,
}

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file (`~` expanded); trailing newline removed.
    File(String),
    /// A command's standard output; trailing newline removed.
    Command(Vec<String>),
}

/// A `[secrets]` entry.
#[derive(Debug, Clone)]
pub struct SecretDecl {
    /// Its name.
    pub name: String,
    /// Its source.
    pub source: SecretSource,
    /// Where it is declared.
    pub span: Span,
}

/// What a node does in its k3s cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Control plane with embedded etcd.
    Server,
    /// Worker.
    Agent,
    /// Not part of a cluster.
    None,
}

/// One host, from `[node.NAME]` or one address of a `[node_group.NAME]`.
#[derive(Debug, Clone)]
pub struct NodeDecl {
    /// Component settings (of the node or its group).
    pub common: Common,
    /// Host name and node name.
    pub hostname: String,
    /// Address to reach it at.
    pub address: String,
    /// Where the address is written.
    pub address_span: Span,
    /// k3s role.
    pub role: Role,
    /// SSH settings.
    pub user: String,
    /// SSH port.
    pub port: i64,
    /// SSH private key.
    pub key: Option<String>,
    /// Pinned host key (`ssh-ed25519 AAAA...`).
    pub host_key: Option<String>,
    /// Where SSH reaches the node when that is not `address` (NAT, a
    /// published port): `ssh_address`.
    pub ssh_address: Option<String>,
    /// Packages to install.
    pub packages: Vec<String>,
    /// sysctl settings.
    pub sysctl: Vec<(String, String)>,
    /// Kubernetes node labels.
    pub labels: Vec<(String, String)>,
    /// Kubernetes node taints (`key=value:Effect`).
    pub taints: Vec<String>,
    /// Which `[k3s.*]` cluster it joins (needed with several clusters).
    pub cluster: Option<(String, Span)>,
    /// The group it came from.
    pub group: Option<String>,
}

/// `[k3s.NAME]`: an HA k3s cluster.
#[derive(Debug, Clone)]
pub struct K3sDecl {
    /// Component settings.
    pub common: Common,
    /// Pinned k3s version (`v1.31.4+k3s1`).
    pub version: String,
    /// Shared join token; read from the first server when absent.
    pub token: Option<Template>,
    /// The API endpoint clients use (a load balancer or VIP).
    pub api_endpoint: Option<String>,
    /// Where `api_endpoint` is written.
    pub api_endpoint_span: Option<Span>,
    /// kube-vip serving `api_endpoint` from the servers.
    pub vip: Option<Vip>,
    /// `api_endpoint` is served by a load balancer outside the cluster.
    pub external_load_balancer: bool,
    /// Packaged components to disable (`traefik`, `servicelb`).
    pub disable: Vec<String>,
    /// Mode of the kubeconfig k3s writes.
    pub write_kubeconfig_mode: String,
    /// Extra `config.yaml` keys passed through.
    pub config: Option<serde_json::Value>,
    /// Directory of an air-gap bundle (`k3s`, `install.sh`, images), resolved
    /// against the declaring file; `None` installs online.
    pub airgap_bundle: Option<String>,
    /// Where to write the fetched kubeconfig (mode 0600), resolved against
    /// the declaring file.
    pub kubeconfig_out: Option<String>,
    /// Kinds the cluster serves already (`group/Kind` or `group/*`).
    pub provides: Vec<(String, Span)>,
    /// Where the table is.
    pub span: Span,
}

/// `vip = { ... }` of `[k3s.*]`: kube-vip announcing `api_endpoint`.
#[derive(Debug, Clone)]
pub struct Vip {
    /// The network interface that announces the address.
    pub interface: String,
    /// The kube-vip image.
    pub image: String,
    /// Where the table is written.
    pub span: Span,
}

/// `[storage.NAME]`: Longhorn distributed block storage.
#[derive(Debug, Clone)]
pub struct StorageDecl {
    /// Component settings.
    pub common: Common,
    /// Longhorn chart version.
    pub version: String,
    /// Replicas per volume.
    pub replicas: i64,
    /// Where `replicas` is written (`None`: the default).
    pub replicas_span: Option<Span>,
    /// Namespace.
    pub namespace: String,
    /// Whether its StorageClass is the cluster default.
    pub default_class: bool,
    /// Chart values merged over the generated ones.
    pub values: Option<serde_json::Value>,
}

/// Chart presets that encode how to run a data service well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Apache Kafka in KRaft mode, run by the Strimzi operator.
    Kafka,
    /// PostgreSQL run by the CloudNativePG operator: a primary and replicas.
    Postgresql,
    /// MinIO object storage.
    Minio,
    /// Prometheus, Alertmanager and Grafana.
    KubePrometheusStack,
    /// Argo CD.
    ArgoCd,
}

impl Preset {
    /// Every preset by name.
    pub const ALL: &'static [(&'static str, Preset)] = &[
        ("kafka", Preset::Kafka),
        ("postgresql", Preset::Postgresql),
        ("minio", Preset::Minio),
        ("kube-prometheus-stack", Preset::KubePrometheusStack),
        ("argo-cd", Preset::ArgoCd),
    ];
}

/// A preset-specific setting of a service.
#[derive(Debug, Clone)]
pub enum Setting {
    /// A string (may reference secrets).
    Text(Template),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// `[service.NAME]`: a data service installed from a chart preset.
#[derive(Debug, Clone)]
pub struct ServiceDecl {
    /// Component settings.
    pub common: Common,
    /// Which preset.
    pub preset: Preset,
    /// Chart version (the preset's default when absent).
    pub version: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Instances (brokers, replicas, servers): as written, else the preset's default.
    pub replicas: Option<i64>,
    /// Where `replicas` is written (`None`: the preset's default).
    pub replicas_span: Option<Span>,
    /// Volume size per instance.
    pub storage: Option<String>,
    /// Preset settings such as `database`, `username`, `password`: as written,
    /// and the preset's defaults for those that are not.
    pub settings: Vec<(String, Setting)>,
    /// Where each written setting is.
    pub setting_spans: Vec<(String, Span)>,
    /// Resources per instance (`{ requests = {...}, limits = {...} }`).
    pub resources: Option<serde_json::Value>,
    /// Chart values merged over the preset's.
    pub values: Option<serde_json::Value>,
}

impl ServiceDecl {
    /// An integer setting (written or defaulted).
    pub fn int_setting(&self, key: &str) -> Option<i64> {
        self.settings.iter().find_map(|(k, v)| match v {
            Setting::Int(i) if k == key => Some(*i),
            _ => None,
        })
    }

    /// A text setting without references (written or defaulted).
    pub fn text_setting(&self, key: &str) -> Option<String> {
        self.settings.iter().find_map(|(k, v)| match v {
            Setting::Text(t) if k == key => t.as_literal(),
            _ => None,
        })
    }

    /// A boolean setting (written or defaulted).
    pub fn bool_setting(&self, key: &str) -> Option<bool> {
        self.settings.iter().find_map(|(k, v)| match v {
            Setting::Bool(b) if k == key => Some(*b),
            _ => None,
        })
    }

    /// Where a setting is written, if it is.
    pub fn setting_span(&self, key: &str) -> Option<Span> {
        self.setting_spans
            .iter()
            .find_map(|(k, s)| (k == key).then_some(*s))
    }
}

/// `[chart.NAME]`: any Helm chart.
#[derive(Debug, Clone)]
pub struct ChartDecl {
    /// Component settings.
    pub common: Common,
    /// Chart repository URL.
    pub repo: Option<String>,
    /// Chart name (or an `oci://` reference).
    pub chart: String,
    /// Chart version.
    pub version: Option<String>,
    /// Target namespace.
    pub namespace: String,
    /// Chart values.
    pub values: Option<serde_json::Value>,
    /// Kinds whose CRDs the chart installs.
    pub provides: Vec<(String, Span)>,
}

/// `[app.NAME]`: a microservice.
#[derive(Debug, Clone)]
pub struct AppDecl {
    /// Component settings.
    pub common: Common,
    /// Container image.
    pub image: Template,
    /// Namespace.
    pub namespace: String,
    /// Container port.
    pub port: i64,
    /// Health check path.
    pub health: String,
    /// Replicas (ignored by the Deployment when autoscaling is on).
    pub replicas: i64,
    /// Where `replicas` is written (`None`: the default).
    pub replicas_span: Option<Span>,
    /// HPA bounds and CPU target.
    pub autoscaling: Option<Autoscaling>,
    /// PDB: min_available or max_unavailable.
    pub disruption: Option<Disruption>,
    /// Pod anti-affinity: "required", "preferred" or "none".
    pub spread: String,
    /// Where `spread` is written (`None`: the default).
    pub spread_span: Option<Span>,
    /// Plain environment.
    pub env: Vec<EnvVar>,
    /// Secret environment.
    pub secret_env: Vec<EnvVar>,
    /// Container resources.
    pub resources: Option<serde_json::Value>,
    /// Metrics scraping and dashboard.
    pub monitoring: Option<Monitoring>,
    /// Image pull policy.
    pub image_pull_policy: String,
    /// An Ingress reaching the app from outside.
    pub expose: Option<Expose>,
    /// Who applies the app's objects.
    pub delivery: Delivery,
    /// Where `delivery` is written.
    pub delivery_span: Option<Span>,
}

/// Who applies an app's objects: one owner, never two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Strata applies them.
    Strata,
    /// Argo CD delivers them from Git; Strata applies none.
    Gitops,
}

/// `expose = { ... }` of an app: an Ingress.
#[derive(Debug, Clone)]
pub struct Expose {
    /// The host name clients use.
    pub host: String,
    /// The path prefix.
    pub path: String,
    /// The TLS Secret, when served over HTTPS.
    pub tls: Option<String>,
    /// The IngressClass.
    pub class: String,
    /// Where the `class` is written (`None`: the default).
    pub class_span: Option<Span>,
    /// Where the table is written.
    pub span: Span,
}

/// `autoscaling = { ... }` of an app.
#[derive(Debug, Clone)]
pub struct Autoscaling {
    /// Fewest replicas.
    pub min: i64,
    /// Most replicas.
    pub max: i64,
    /// Target CPU utilisation in percent.
    pub cpu: i64,
    /// Where the table is written.
    pub span: Span,
    /// Where `max` is written (`None`: it defaults to `min`).
    pub max_span: Option<Span>,
}

/// `disruption = { ... }` of an app: a PodDisruptionBudget.
#[derive(Debug, Clone)]
pub struct Disruption {
    /// `minAvailable` or `maxUnavailable`.
    pub field: &'static str,
    /// A count or a percentage.
    pub value: serde_json::Value,
    /// Where the value is written.
    pub span: Span,
}

/// One environment variable of an app.
#[derive(Debug, Clone)]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Its value.
    pub value: Template,
}

/// `monitoring = { ... }` of an app.
#[derive(Debug, Clone)]
pub struct Monitoring {
    /// Where the `monitoring` table is written.
    pub span: Span,
    /// Metrics path.
    pub path: String,
    /// Scrape interval.
    pub interval: String,
    /// Grafana dashboard JSON file (relative to the declaring file).
    pub dashboard: Option<(String, Span)>,
    /// Which `[service.*]` runs Prometheus (found automatically when one does).
    pub prometheus: Option<(String, Span)>,
}

/// `[manifest.NAME]`: Kubernetes objects from multi-document YAML files.
#[derive(Debug, Clone)]
pub struct ManifestDecl {
    /// Component settings.
    pub common: Common,
    /// File globs relative to the declaring file.
    pub files: Vec<(String, Span)>,
    /// Namespace for namespaced objects that name none.
    pub namespace: Option<String>,
}

/// Argo CD sync policy.
#[derive(Debug, Clone, Copy)]
pub struct AutoSync {
    /// Delete what Git no longer has.
    pub prune: bool,
    /// Undo manual changes.
    pub self_heal: bool,
}

/// `[application.NAME]`: an Argo CD Application.
#[derive(Debug, Clone)]
pub struct ApplicationDecl {
    /// Component settings.
    pub common: Common,
    /// Git repository.
    pub repo: String,
    /// Path in the repository.
    pub path: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Argo CD project.
    pub project: String,
    /// Destination API server.
    pub server: String,
    /// Destination namespace.
    pub destination_namespace: String,
    /// Where the destination namespace is written (the table when defaulted).
    pub destination_span: Span,
    /// Sync policy.
    pub auto_sync: Option<AutoSync>,
    /// `CreateNamespace=true`.
    pub create_namespace: bool,
}

/// One environment of an ApplicationSet.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Its name (`production`).
    pub name: String,
    /// Its API server URL.
    pub server: String,
    /// Its namespace.
    pub namespace: String,
    /// Where it is written.
    pub span: Span,
}

/// `[application_set.NAME]`: an Argo CD ApplicationSet over environments.
#[derive(Debug, Clone)]
pub struct AppSetDecl {
    /// Component settings.
    pub common: Common,
    /// Git repository.
    pub repo: String,
    /// Path of the Helm chart in the repository.
    pub path: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Argo CD project.
    pub project: String,
    /// Namespace the apps deploy to.
    pub namespace: String,
    /// The environments.
    pub environments: Vec<Environment>,
    /// Helm value files; `{{cluster}}` is the environment name.
    pub value_files: Vec<String>,
    /// Sync policy.
    pub auto_sync: Option<AutoSync>,
}

/// `[output.NAME]`.
#[derive(Debug, Clone)]
pub struct OutputDecl {
    /// Component settings.
    pub common: Common,
    /// The value.
    pub value: Template,
    /// Hide the value.
    pub sensitive: bool,
    /// What it is.
    pub description: Option<String>,
}

/// State storage settings of `[stack] state`.
#[derive(Debug, Clone, Default)]
pub struct StateConfig {
    /// Where state is kept.
    pub backend: StateBackend,
    /// The state file (local backend), relative to the stack directory.
    pub path: Option<String>,
    /// The workspace in a shared database (default: the stack's name).
    pub workspace: Option<String>,
}

/// `backend = "local" | "postgres"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StateBackend {
    /// A JSON file under `state/`.
    #[default]
    Local,
    /// A PostgreSQL database.
    Postgres {
        /// Where its URL comes from.
        url: StateUrl,
    },
}

/// Where the PostgreSQL URL of the state backend comes from. A password is
/// never written in the stack itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateUrl {
    /// `url = { env = "STRATA_PG_URL" }`.
    Env(String),
    /// `url = "${secret.NAME}"`.
    Secret(String),
    /// `url = "postgres://strata@db.internal/strata"` (no password).
    Literal(String),
}

/// An existing cluster the stack's in-cluster resources go to, instead of
/// one the stack installs: `[stack] cluster = { kubeconfig = "...", context = "..." }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTarget {
    /// The kubeconfig file (`~` expanded; relative paths are relative to the
    /// working directory, as for kubectl's `--kubeconfig`).
    pub kubeconfig: String,
    /// The context to use; the file's current context when absent.
    pub context: Option<String>,
    /// Kinds the cluster already serves (`group/Kind` or `group/*`).
    pub provides: Vec<(String, Span)>,
    /// Where it is declared.
    pub span: Span,
}

/// A decoded stack.
#[derive(Debug, Clone)]
pub struct StackModel {
    /// Its name.
    pub name: String,
    /// State settings.
    pub state: StateConfig,
    /// The existing cluster it targets, if it does not install one.
    pub cluster: Option<ClusterTarget>,
    /// SSH defaults.
    pub ssh: SshDefaults,
    /// Secrets by declaration order.
    pub secrets: Vec<SecretDecl>,
    /// Nodes (groups expanded).
    pub nodes: Vec<NodeDecl>,
    /// Node groups (name, common, member names).
    pub node_groups: Vec<(Common, Vec<String>)>,
    /// k3s clusters.
    pub clusters: Vec<K3sDecl>,
    /// Storage.
    pub storages: Vec<StorageDecl>,
    /// Data services.
    pub services: Vec<ServiceDecl>,
    /// Charts.
    pub charts: Vec<ChartDecl>,
    /// Apps.
    pub apps: Vec<AppDecl>,
    /// Manifests.
    pub manifests: Vec<ManifestDecl>,
    /// Argo CD Applications.
    pub applications: Vec<ApplicationDecl>,
    /// Argo CD ApplicationSets.
    pub application_sets: Vec<AppSetDecl>,
    /// Outputs.
    pub outputs: Vec<OutputDecl>,
    /// `[vars]` as resolved (overrides applied), by name.
    pub vars: std::collections::BTreeMap<String, serde_json::Value>,
}
