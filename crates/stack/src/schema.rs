//! The stack language's keys as data: every section, every key with its type,
//! whether it is required, its default, where `${...}` references may appear
//! and one line of documentation.
//!
//! The decoder reads and checks every table against these tables (see
//! [`crate::fields`]), `docs/reference.md` is generated from them (see
//! [`crate::reference`]), and editors' JSON Schemas can be too. A key the
//! decoder reads must be listed here, or the debug build panics.

use crate::model::Preset;

/// What a key's value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A string in the given format.
    Str(Format),
    /// An integer between `min` and `max` (inclusive).
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A TCP port, 1 to 65535.
    Port,
    /// `true` or `false`.
    Bool,
    /// One of a fixed set of strings.
    Enum {
        /// What the value is, for messages ("node role").
        noun: &'static str,
        /// The allowed values.
        values: &'static [&'static str],
    },
    /// A non-negative integer or a percentage such as `"50%"`.
    IntOrPercent,
    /// A string, an integer or a boolean, used as text.
    Scalar,
    /// An array of values of one type.
    List(&'static Type),
    /// A table with free keys in the given format, each holding a value of one type.
    Map(Format, &'static Type),
    /// A table with the given keys.
    Table(&'static [Key]),
    /// A string, or a table with the given keys (`url = "..."` or `url = { env = "..." }`).
    StrOrTable(&'static [Key]),
    /// Any TOML value, passed through (chart values, k3s config).
    Any,
}

/// What a string must look like. The decoder checks every literal string
/// (after `${vars.*}` substitution); strings that still hold references to
/// components are checked once those are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Any text.
    Text,
    /// An RFC 1123 label: lower-case letters, digits and '-', at most 63.
    Label,
    /// A Kubernetes quantity (`10Gi`, `500m`), not negative.
    Quantity,
    /// An HTTP path starting with '/'.
    HttpPath,
    /// A Prometheus duration such as `15s` or `1m30s`.
    Duration,
    /// A chart repository: an `https://` or `oci://` URL.
    ChartRepo,
    /// A Git repository URL (`https://...`, `ssh://...` or `git@host:path`).
    GitRepo,
    /// A Kubernetes API server URL `https://HOST[:PORT]`.
    ServerUrl,
    /// The k3s API endpoint: `https://HOST:PORT`.
    ApiEndpoint,
    /// An IP address or a DNS name.
    Address,
    /// A container image reference (`registry/repo:tag` or `@sha256:...`).
    Image,
    /// A k3s release (`v1.36.3+k3s1`).
    K3sVersion,
    /// An octal file mode such as `0600`.
    FileMode,
    /// A Kubernetes label key (`[prefix/]name`).
    LabelKey,
    /// A Kubernetes label value.
    LabelValue,
    /// A node taint `key[=value]:Effect`.
    Taint,
    /// An environment variable name.
    EnvName,
    /// `group/Kind` or `group/*`.
    GroupKind,
    /// An attribute path such as `spec.replicas`.
    AttrPath,
    /// A file path or glob, relative to the declaring file.
    File,
    /// A `[section.NAME]` or resource address.
    Target,
    /// Text, or a single reference that keeps the referenced value's type
    /// (a list, a number).
    Expression,
}

/// Whether a key must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// It may be left out.
    No,
    /// It must be written.
    Yes,
    /// It must be written and hold a non-empty array.
    NonEmpty,
}

/// Where `${...}` references may appear in a key's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refs {
    /// None at all: the value is read before variables are known.
    None,
    /// Only `${vars.NAME}`: the value must be known before anything is created.
    Vars,
    /// Variables and other components' attributes, but no secrets: the value
    /// is stored in plain text in the named place.
    Plain(&'static str),
    /// Anything, secrets included (they are stored in a Secret or never stored).
    Any,
}

/// A key's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// No default: absent means absent.
    None,
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// A default computed from elsewhere, described in words.
    Computed(&'static str),
}

/// One key of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Whether it must be written.
    pub required: Required,
    /// Its default.
    pub default: DefaultValue,
    /// Where references may appear in it.
    pub refs: Refs,
    /// What it is, in one line.
    pub doc: &'static str,
    /// An example value as TOML text (empty when none).
    pub example: &'static str,
}

impl Key {
    /// An optional key with no default, allowing `${vars.*}` only.
    pub const fn new(name: &'static str, ty: Type, doc: &'static str) -> Key {
        Key {
            name,
            ty,
            required: Required::No,
            default: DefaultValue::None,
            refs: Refs::Vars,
            doc,
            example: "",
        }
    }

    /// The key must be written.
    pub const fn required(mut self) -> Key {
        self.required = Required::Yes;
        self
    }

    /// The key must be written as a non-empty array.
    pub const fn non_empty(mut self) -> Key {
        self.required = Required::NonEmpty;
        self
    }

    /// Sets the default.
    pub const fn default(mut self, d: DefaultValue) -> Key {
        self.default = d;
        self
    }

    /// Sets where references may appear.
    pub const fn refs(mut self, r: Refs) -> Key {
        self.refs = r;
        self
    }

    /// Sets the example value (TOML text).
    pub const fn example(mut self, e: &'static str) -> Key {
        self.example = e;
        self
    }
}

/// How a top-level table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// One table, `[stack]` or `[ssh]`.
    Settings,
    /// One table of free entries, `[vars]` or `[secrets]`; each entry has the section's keys
    /// (none for `[vars]`, whose entries are values).
    Entries,
    /// Named components, `[node.NAME]`.
    Component,
}

/// An attribute a component exports to `${SECTION.NAME.ATTRIBUTE}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// The attribute.
    pub name: &'static str,
    /// What it holds.
    pub doc: &'static str,
}

/// A top-level table of the language.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Its name: `stack`, `node`, ...
    pub name: &'static str,
    /// How it is written.
    pub kind: SectionKind,
    /// What it declares, in a paragraph.
    pub doc: &'static str,
    /// Its keys (for components, besides [`COMMON_KEYS`]).
    pub keys: &'static [Key],
    /// What references to it can read.
    pub exports: &'static [Export],
    /// An example (TOML) that validates together with [`EXAMPLE_PRELUDE`].
    pub example: &'static str,
}

/// The keys and defaults of one `[service.*]` preset.
#[derive(Debug, Clone, Copy)]
pub struct PresetSchema {
    /// The preset's name (`preset = "kafka"`).
    pub name: &'static str,
    /// Which preset.
    pub preset: Preset,
    /// What it installs and how.
    pub doc: &'static str,
    /// Its own keys, besides the service keys.
    pub keys: &'static [Key],
    /// `replicas` when the stack does not say.
    pub replicas: Option<i64>,
    /// `storage` when the stack does not say.
    pub storage: &'static str,
    /// What references to a service of this preset can read.
    pub exports: &'static [Export],
}

const TEXT: Type = Type::Str(Format::Text);
const LABEL: Type = Type::Str(Format::Label);
const INT32: i64 = i32::MAX as i64;
const COUNT: Type = Type::Int { min: 0, max: INT32 };
const POSITIVE: Type = Type::Int { min: 1, max: INT32 };
const TEXTS: Type = Type::List(&TEXT);

/// A stack that every section example completes: one server node and the cluster.
pub const EXAMPLE_PRELUDE: &str = "[stack]\nname = \"example\"\n\n[node.server-1]\naddress = \"10.0.0.11\"\nrole = \"server\"\n\n[k3s.main]\nversion = \"v1.36.3+k3s1\"\n";

/// Keys every component table accepts.
pub const COMMON_KEYS: &[Key] = &[
    Key::new(
        "depends_on",
        Type::List(&Type::Str(Format::Target)),
        "Explicit dependencies: component addresses (`service.postgresql`) or resource addresses (`app.api/Deployment`).",
    )
    .example("[\"service.postgresql\"]"),
    Key::new(
        "protect",
        Type::Bool,
        "Refuse to delete or replace this component's resources; remembered in state.",
    )
    .default(DefaultValue::Bool(false)),
    Key::new(
        "ignore_changes",
        Type::List(&Type::Str(Format::AttrPath)),
        "Attribute paths whose changes are not planned.",
    )
    .example("[\"spec.replicas\"]"),
    Key::new(
        "allow",
        Type::List(&Type::Enum {
            noun: "policy check",
            values: crate::policy::CODES,
        }),
        "HA policy checks silenced for this component (see HA policy checks).",
    )
    .example("[\"ha/spread-replicas\"]"),
];

const STATE_KEYS: &[Key] = &[
    Key::new(
        "backend",
        Type::Enum {
            noun: "state backend",
            values: &["local", "postgres"],
        },
        "Where state is kept: `local` is a JSON file; `postgres` a PostgreSQL database shared by a team (locks, serial-checked writes).",
    )
    .default(DefaultValue::Str("local")),
    Key::new(
        "path",
        Type::Str(Format::File),
        "The state file of the local backend, relative to the stack directory.",
    )
    .default(DefaultValue::Computed("NAME.json in the nearest state/ directory at or above the stack")),
    Key::new(
        "url",
        Type::StrOrTable(&[Key::new(
            "env",
            TEXT,
            "The environment variable holding the URL.",
        )
        .required()]),
        "The PostgreSQL URL: `{ env = \"NAME\" }`, `\"${secret.NAME}\"`, or a URL without a password.",
    )
    .refs(Refs::Any)
    .example("{ env = \"STRATA_PG_URL\" }"),
    Key::new(
        "workspace",
        TEXT,
        "The workspace in a shared database, so one database serves many stacks.",
    )
    .default(DefaultValue::Computed("the stack's name")),
];

const STACK_KEYS: &[Key] = &[
    Key::new(
        "name",
        LABEL,
        "The stack's name (an RFC 1123 label); it also names the default state file.",
    )
    .required()
    .example("\"production\""),
    Key::new(
        "include",
        Type::List(&Type::Str(Format::File)),
        "More files to read: globs relative to this file. Read before variables are known, so references cannot be used.",
    )
    .refs(Refs::None)
    .example("[\"../common/*.toml\"]"),
    Key::new("description", TEXT, "What the stack is, for people."),
    Key::new("state", Type::Table(STATE_KEYS), "Where state is kept."),
    Key::new(
        "cluster",
        Type::Table(CLUSTER_KEYS),
        "An existing Kubernetes cluster the stack's in-cluster resources go to, instead of a [k3s.*] it installs. Charts need k3s's Helm controller (helm.cattle.io), which k3s and RKE2 run.",
    )
    .example("{ kubeconfig = \"${vars.kubeconfig}\" }"),
];

const CLUSTER_KEYS: &[Key] = &[
    Key::new(
        "kubeconfig",
        Type::Str(Format::Text),
        "The cluster's kubeconfig file (`~/` is the home directory; other relative paths are relative to the working directory, as for kubectl).",
    )
    .required()
    .example("\"${vars.kubeconfig}\""),
    Key::new(
        "context",
        TEXT,
        "The kubeconfig context to use (default: its current context).",
    ),
    Key::new(
        "provides",
        Type::List(&Type::Str(Format::GroupKind)),
        "Kinds the cluster serves already, `group/Kind` or `group/*`.",
    )
    .example("[\"cert-manager.io/*\"]"),
];

const SECRET_KEYS: &[Key] = &[
    Key::new(
        "env",
        TEXT,
        "Read the value from this environment variable (unset: the value is unknown, and a plan keeps the recorded one).",
    )
    .example("\"PG_PASSWORD\""),
    Key::new(
        "file",
        Type::Str(Format::File),
        "Read the value from this file (`~/` is the home directory, other relative paths are relative to the declaring file); a trailing newline is dropped.",
    )
    .example("\"~/.secrets/pg\""),
    Key::new(
        "command",
        TEXTS,
        "Run this command (no shell) and read its standard output; a trailing newline is dropped. A command that fails is an error.",
    )
    .example("[\"pass\", \"show\", \"pg\"]"),
];

const SSH_KEYS: &[Key] = &[
    Key::new("user", TEXT, "Login user on every node.").default(DefaultValue::Str("root")),
    Key::new("key", Type::Str(Format::File), "Private key file.").example("\"~/.ssh/id_ed25519\""),
    Key::new("port", Type::Port, "SSH port.").default(DefaultValue::Int(22)),
    Key::new(
        "known_hosts",
        Type::Str(Format::File),
        "known_hosts file that verifies host keys (otherwise: trust on first use, recorded in state).",
    ),
    Key::new(
        "key_passphrase_env",
        TEXT,
        "Environment variable holding the private key's passphrase.",
    )
    .example("\"SSH_KEY_PASSPHRASE\""),
    Key::new(
        "jump",
        TEXT,
        "Jump host every node is reached through, `user@host:port`.",
    )
    .example("\"ubuntu@bastion.example.com:22\""),
];

const ROLE: Key = Key::new(
    "role",
    Type::Enum {
        noun: "node role",
        values: &["server", "agent", "none"],
    },
    "k3s role: `server` (control plane with embedded etcd), `agent` (worker) or `none`.",
)
.default(DefaultValue::Str("none"));

/// Keys shared by `[node.*]` and `[node_group.*]`.
macro_rules! host_keys {
    ($first:expr) => {
        &[
            $first,
            ROLE,
            Key::new("user", TEXT, "SSH login user.").default(DefaultValue::Computed("[ssh] user")),
            Key::new("port", Type::Port, "SSH port.").default(DefaultValue::Computed("[ssh] port")),
            Key::new("key", Type::Str(Format::File), "SSH private key file.")
                .default(DefaultValue::Computed("[ssh] key")),
            Key::new(
                "host_key",
                TEXT,
                "The host's public key, pinned (`ssh-ed25519 AAAA...`).",
            ),
            Key::new(
                "ssh_address",
                TEXT,
                "Where SSH reaches the host when that is not its cluster address (NAT, a published port's host).",
            ),
            Key::new("packages", TEXTS, "Debian packages to install.").example("[\"open-iscsi\"]"),
            Key::new(
                "sysctl",
                Type::Map(Format::Text, &Type::Scalar),
                "sysctl settings.",
            )
            .example("{ \"vm.max_map_count\" = 262144 }"),
            Key::new(
                "labels",
                Type::Map(Format::LabelKey, &Type::Str(Format::LabelValue)),
                "Kubernetes node labels.",
            )
            .example("{ \"topology.kubernetes.io/zone\" = \"a\" }"),
            Key::new(
                "taints",
                Type::List(&Type::Str(Format::Taint)),
                "Kubernetes node taints, `key[=value]:Effect`.",
            )
            .example("[\"dedicated=db:NoSchedule\"]"),
            Key::new(
                "cluster",
                TEXT,
                "The `[k3s.NAME]` cluster it joins (the stack's only cluster when absent).",
            ),
        ]
    };
}

const NODE_KEYS: &[Key] = host_keys!(Key::new(
    "address",
    Type::Str(Format::Address),
    "IP address or DNS name to reach the host at; unique in the stack.",
)
.required()
.example("\"10.0.0.11\""));

const NODE_GROUP_KEYS: &[Key] = host_keys!(Key::new(
    "addresses",
    Type::List(&Type::Str(Format::Address)),
    "One host per address; members are named NAME-1, NAME-2, ... in this order.",
)
.non_empty()
.example("[\"10.0.1.21\", \"10.0.1.22\"]"));

/// The packaged k3s components `disable` accepts.
pub const K3S_COMPONENTS: &[&str] = &[
    "coredns",
    "servicelb",
    "traefik",
    "local-storage",
    "metrics-server",
    "runtimes",
];

const K3S_KEYS: &[Key] = &[
    Key::new(
        "version",
        Type::Str(Format::K3sVersion),
        "The pinned k3s release.",
    )
    .required()
    .example("\"v1.36.3+k3s1\""),
    Key::new(
        "token",
        TEXT,
        "Shared join token; by default it is read from the first server and never stored.",
    )
    .refs(Refs::Any)
    .example("\"${secret.k3s_token}\""),
    Key::new(
        "api_endpoint",
        Type::Str(Format::ApiEndpoint),
        "The API endpoint clients use (a load balancer or VIP), `https://HOST:PORT`; added to tls-san.",
    )
    .default(DefaultValue::Computed("https://FIRST-SERVER:6443"))
    .example("\"https://10.0.0.10:6443\""),
    Key::new(
        "vip",
        Type::Table(VIP_KEYS),
        "Serve `api_endpoint` (an IP address) from the servers with kube-vip: a DaemonSet in k3s's auto-deploy directory, ARP mode, leader election; agents and further servers join through it.",
    )
    .example("{ interface = \"eth0\" }"),
    Key::new(
        "external_load_balancer",
        Type::Bool,
        "`api_endpoint` is served by a load balancer outside the cluster (forwarding TCP 6443 to every server); agents and further servers join through it.",
    )
    .default(DefaultValue::Bool(false)),
    Key::new(
        "disable",
        Type::List(&Type::Enum {
            noun: "k3s component",
            values: K3S_COMPONENTS,
        }),
        "Packaged components not to deploy. `local-storage` is added when a Longhorn StorageClass is the default, so that the cluster has one default StorageClass.",
    )
    .example("[\"traefik\", \"local-storage\"]"),
    Key::new(
        "write_kubeconfig_mode",
        Type::Str(Format::FileMode),
        "Mode of the kubeconfig k3s writes on servers.",
    )
    .default(DefaultValue::Str("0600")),
    Key::new(
        "config",
        Type::Any,
        "Extra `config.yaml` keys, passed through.",
    )
    .refs(Refs::Plain("plain text in k3s's config"))
    .example("{ \"etcd-snapshot-retention\" = 10 }"),
    Key::new(
        "airgap_bundle",
        Type::Str(Format::File),
        "Install air-gapped from this directory (a k3s release's `k3s`, `install.sh` and `k3s-airgap-images-*.tar*`, or one such directory per version named after it): uploaded over SSH and installed with INSTALL_K3S_SKIP_DOWNLOAD. Without it the official script downloads the pinned version.",
    )
    .example("\"../../airgap/k3s\""),
    Key::new(
        "kubeconfig",
        Type::Str(Format::File),
        "Write the cluster's kubeconfig here (mode 0600) whenever Strata fetches it from the first server, its server set to `api_endpoint`.",
    )
    .example("\"~/.kube/strata-production.yaml\""),
    Key::new(
        "provides",
        Type::List(&Type::Str(Format::GroupKind)),
        "Kinds the cluster serves already, `group/Kind` or `group/*`.",
    )
    .example("[\"cert-manager.io/*\"]"),
];

/// The Longhorn chart `[storage.*]` installs unless `version` says otherwise.
pub const LONGHORN_VERSION: &str = "1.12.1";

/// The kube-vip image `vip` runs on the servers.
pub const KUBE_VIP_IMAGE: &str = "ghcr.io/kube-vip/kube-vip:v1.2.2";

const VIP_KEYS: &[Key] = &[
    Key::new(
        "interface",
        TEXT,
        "The servers' network interface that announces the address (ARP).",
    )
    .default(DefaultValue::Str("eth0")),
    Key::new("image", Type::Str(Format::Image), "The kube-vip image.")
        .default(DefaultValue::Str(KUBE_VIP_IMAGE)),
];

const STORAGE_KEYS: &[Key] = &[
    Key::new("version", TEXT, "Longhorn chart version.")
        .default(DefaultValue::Str(LONGHORN_VERSION)),
    Key::new(
        "replicas",
        POSITIVE,
        "Replicas of each volume, on different nodes.",
    )
    .default(DefaultValue::Int(3)),
    Key::new("namespace", LABEL, "Namespace.").default(DefaultValue::Str("longhorn-system")),
    Key::new(
        "default_class",
        Type::Bool,
        "Make the `longhorn` StorageClass the cluster default.",
    )
    .default(DefaultValue::Bool(true)),
    Key::new(
        "values",
        Type::Any,
        "Chart values merged over the generated ones.",
    )
    .refs(Refs::Plain("plain text in the HelmChart object")),
];

const QUANTITIES: &[Key] = &[
    Key::new(
        "cpu",
        Type::Str(Format::Quantity),
        "CPU, e.g. `500m` or `2`.",
    ),
    Key::new(
        "memory",
        Type::Str(Format::Quantity),
        "Memory, e.g. `256Mi`.",
    ),
    Key::new(
        "ephemeral-storage",
        Type::Str(Format::Quantity),
        "Local scratch space, e.g. `1Gi`.",
    ),
];

const RESOURCES: Key = Key::new(
    "resources",
    Type::Table(&[
        Key::new("requests", Type::Table(QUANTITIES), "What is reserved."),
        Key::new(
            "limits",
            Type::Table(QUANTITIES),
            "The most that may be used; at least the request.",
        ),
    ]),
    "Resources per container: `requests` and `limits` of `cpu`, `memory`, `ephemeral-storage`.",
)
.example("{ requests = { cpu = \"100m\", memory = \"128Mi\" } }");

const SERVICE_KEYS: &[Key] = &[
    Key::new(
        "preset",
        Type::Enum {
            noun: "preset",
            values: &[
                "kafka",
                "postgresql",
                "minio",
                "kube-prometheus-stack",
                "argo-cd",
            ],
        },
        "Which preset (see the presets below).",
    )
    .required()
    .example("\"postgresql\""),
    Key::new("version", TEXT, "Chart version.").default(DefaultValue::Computed("the preset's")),
    Key::new("namespace", LABEL, "Namespace.").default(DefaultValue::Computed("NAME")),
    Key::new(
        "replicas",
        POSITIVE,
        "Instances (brokers, servers, replicas).",
    )
    .default(DefaultValue::Computed("the preset's")),
    Key::new(
        "storage",
        Type::Str(Format::Quantity),
        "Volume size per instance.",
    )
    .default(DefaultValue::Computed("the preset's")),
    RESOURCES,
    Key::new(
        "values",
        Type::Any,
        "Chart values merged over the preset's (for `kafka` and `postgresql`: the operator chart's, read from the first service of the preset).",
    )
    .refs(Refs::Plain("plain text in the HelmChart object")),
];

const CHART_KEYS: &[Key] = &[
    Key::new(
        "repo",
        Type::Str(Format::ChartRepo),
        "Chart repository, an `https://` or `oci://` URL (not needed when `chart` is an `oci://` reference).",
    )
    .example("\"https://kubernetes.github.io/ingress-nginx\""),
    Key::new("chart", TEXT, "Chart name, or an `oci://` reference.")
        .required()
        .example("\"ingress-nginx\""),
    Key::new("version", TEXT, "Chart version.").default(DefaultValue::Computed("the latest")),
    Key::new("namespace", LABEL, "Target namespace.").default(DefaultValue::Computed("NAME")),
    Key::new("values", Type::Any, "Chart values.")
        .refs(Refs::Plain("plain text in the HelmChart object"))
        .example("{ controller = { replicaCount = 2 } }"),
    Key::new(
        "provides",
        Type::List(&Type::Str(Format::GroupKind)),
        "Kinds whose CRDs the chart installs, `group/Kind` or `group/*`.",
    )
    .example("[\"cert-manager.io/*\"]"),
];

/// Liveness probe of an app's container: initial delay and period in seconds.
pub const LIVENESS_PROBE: (i64, i64) = (15, 10);
/// Readiness probe of an app's container: initial delay and period in seconds.
pub const READINESS_PROBE: (i64, i64) = (5, 5);

const SPREAD: Type = Type::Enum {
    noun: "spread",
    values: &["required", "preferred", "none"],
};

const APP_KEYS: &[Key] = &[
    Key::new("image", Type::Str(Format::Image), "Container image.")
        .required()
        .refs(Refs::Plain("plain text in the Deployment"))
        .example("\"registry.example.com/api:${vars.image_tag}\""),
    Key::new("namespace", LABEL, "Namespace.").default(DefaultValue::Computed("NAME")),
    Key::new("port", Type::Port, "Container port, named `http`, also the Service port.")
        .default(DefaultValue::Int(8080)),
    Key::new(
        "health",
        Type::Str(Format::HttpPath),
        "HTTP path of the liveness and readiness probes.",
    )
    .default(DefaultValue::Str("/healthz")),
    Key::new("replicas", COUNT, "Replicas (the autoscaler owns them when `autoscaling` is set).")
        .default(DefaultValue::Int(2)),
    Key::new(
        "autoscaling",
        Type::Table(&[
            Key::new("min", POSITIVE, "Fewest replicas.").default(DefaultValue::Int(1)),
            Key::new("max", POSITIVE, "Most replicas; at least `min`.")
                .default(DefaultValue::Computed("min")),
            Key::new("cpu", POSITIVE, "Target average CPU utilisation, in percent.")
                .default(DefaultValue::Int(80)),
        ]),
        "A HorizontalPodAutoscaler; it then owns `spec.replicas`.",
    )
    .example("{ min = 3, max = 10, cpu = 70 }"),
    Key::new(
        "disruption",
        Type::Table(&[
            Key::new("min_available", Type::IntOrPercent, "Pods that must stay up."),
            Key::new(
                "max_unavailable",
                Type::IntOrPercent,
                "Pods that may be down at once.",
            ),
        ]),
        "A PodDisruptionBudget: exactly one of `min_available` or `max_unavailable`.",
    )
    .example("{ min_available = 1 }"),
    Key::new(
        "spread",
        SPREAD,
        "Pod anti-affinity on `kubernetes.io/hostname`: `required` (one replica per node), `preferred` or `none`.",
    )
    .default(DefaultValue::Str("required")),
    Key::new(
        "env",
        Type::Map(Format::EnvName, &TEXT),
        "Environment, stored in the app's ConfigMap.",
    )
    .refs(Refs::Plain("a ConfigMap"))
    .example("{ LOG_LEVEL = \"info\" }"),
    Key::new(
        "secret_env",
        Type::Map(Format::EnvName, &TEXT),
        "Environment stored in the app's Secret; may reference secrets.",
    )
    .refs(Refs::Any)
    .example("{ DATABASE_URL = \"${secret.database_url}\" }"),
    RESOURCES,
    Key::new(
        "monitoring",
        Type::Table(&[
            Key::new("path", Type::Str(Format::HttpPath), "Metrics path.")
                .default(DefaultValue::Str("/metrics")),
            Key::new(
                "interval",
                Type::Str(Format::Duration),
                "Scrape interval.",
            )
            .default(DefaultValue::Str("15s")),
            Key::new(
                "dashboard",
                Type::Str(Format::File),
                "Grafana dashboard JSON, relative to the declaring file; becomes a ConfigMap Grafana's sidecar loads.",
            ),
            Key::new(
                "prometheus",
                TEXT,
                "Which `[service.NAME]` with preset `kube-prometheus-stack` scrapes it.",
            )
            .default(DefaultValue::Computed("the only one")),
        ]),
        "A ServiceMonitor (and a dashboard); needs a kube-prometheus-stack service.",
    )
    .example("{ path = \"/metrics\" }"),
    Key::new(
        "image_pull_policy",
        Type::Enum {
            noun: "image pull policy",
            values: &["Always", "IfNotPresent", "Never"],
        },
        "Image pull policy.",
    )
    .default(DefaultValue::Str("IfNotPresent")),
    Key::new(
        "expose",
        Type::Table(EXPOSE_KEYS),
        "Reach the app from outside the cluster: an Ingress for `host` and `path` to the app's Service.",
    )
    .example("{ host = \"api.example.com\", tls = \"api-tls\" }"),
    Key::new(
        "delivery",
        Type::Enum {
            noun: "delivery",
            values: &["strata", "gitops"],
        },
        "Who applies the app's objects: `strata`, or `gitops` when Argo CD delivers it from Git (then Strata applies none of them; an `[application.*]` or `[application_set.*]` of this or another stack does). Never both.",
    )
    .default(DefaultValue::Str("strata")),
];

const EXPOSE_KEYS: &[Key] = &[
    Key::new("host", Type::Str(Format::Address), "The host name clients use.")
        .required()
        .example("\"api.example.com\""),
    Key::new("path", Type::Str(Format::HttpPath), "The path prefix routed to the app.")
        .default(DefaultValue::Str("/")),
    Key::new(
        "tls",
        LABEL,
        "The TLS Secret (in the app's namespace) for `host`, e.g. one cert-manager issues; without it the Ingress serves plain HTTP.",
    ),
    Key::new(
        "class",
        LABEL,
        "The IngressClass: k3s's packaged Traefik unless `traefik` is disabled.",
    )
    .default(DefaultValue::Str("traefik")),
];

const MANIFEST_KEYS: &[Key] = &[
    Key::new(
        "files",
        Type::List(&Type::Str(Format::File)),
        "Multi-document YAML files, globs relative to the declaring file.",
    )
    .non_empty()
    .example("[\"manifests/*.yaml\"]"),
    Key::new(
        "namespace",
        LABEL,
        "Namespace of namespaced objects that name none.",
    )
    .default(DefaultValue::Str("default")),
];

const AUTO_SYNC: Key = Key::new(
    "auto_sync",
    Type::Table(&[
        Key::new("prune", Type::Bool, "Delete what Git no longer has.")
            .default(DefaultValue::Bool(false)),
        Key::new("self_heal", Type::Bool, "Undo changes made outside Git.")
            .default(DefaultValue::Bool(false)),
    ]),
    "Automated sync.",
)
.example("{ self_heal = true, prune = true }");

const APPLICATION_KEYS: &[Key] = &[
    Key::new("repo", Type::Str(Format::GitRepo), "Git repository.")
        .required()
        .example("\"https://gitlab.com/group/infra.git\""),
    Key::new("path", TEXT, "Path in the repository.").default(DefaultValue::Str(".")),
    Key::new("revision", TEXT, "Branch, tag or commit.").default(DefaultValue::Str("HEAD")),
    Key::new("project", TEXT, "Argo CD project.").default(DefaultValue::Str("default")),
    Key::new(
        "server",
        Type::Str(Format::ServerUrl),
        "Destination API server.",
    )
    .default(DefaultValue::Str("https://kubernetes.default.svc")),
    Key::new("destination_namespace", LABEL, "Destination namespace.")
        .default(DefaultValue::Computed("NAME")),
    AUTO_SYNC,
    Key::new(
        "create_namespace",
        Type::Bool,
        "Let Argo CD create the destination namespace.",
    )
    .default(DefaultValue::Bool(false)),
];

const ENVIRONMENT_KEYS: &[Key] = &[
    Key::new(
        "name",
        LABEL,
        "The environment, `{{cluster}}` in value files.",
    )
    .required()
    .example("\"production\""),
    Key::new("server", Type::Str(Format::ServerUrl), "Its API server.")
        .default(DefaultValue::Str("https://kubernetes.default.svc")),
    Key::new(
        "namespace",
        LABEL,
        "Its namespace; no two environments share a cluster and namespace.",
    )
    .default(DefaultValue::Computed("the set's `namespace`")),
];

const APPLICATION_SET_KEYS: &[Key] = &[
    Key::new("repo", Type::Str(Format::GitRepo), "Git repository.")
        .required()
        .example("\"https://gitlab.com/group/api.git\""),
    Key::new("path", TEXT, "Path of the Helm chart in the repository.")
        .default(DefaultValue::Str(".")),
    Key::new("revision", TEXT, "Branch, tag or commit.").default(DefaultValue::Str("HEAD")),
    Key::new("project", TEXT, "Argo CD project.").default(DefaultValue::Str("default")),
    Key::new("namespace", LABEL, "Namespace the apps deploy to.")
        .default(DefaultValue::Computed("NAME")),
    Key::new(
        "environments",
        Type::List(&Type::Table(ENVIRONMENT_KEYS)),
        "One Application per environment.",
    )
    .non_empty()
    .example("[{ name = \"production\" }, { name = \"staging\" }]"),
    Key::new(
        "value_files",
        TEXTS,
        "Helm value files; `{{cluster}}` is the environment's name.",
    )
    .example("[\"values-{{cluster}}.yaml\"]"),
    AUTO_SYNC,
];

const OUTPUT_KEYS: &[Key] = &[
    Key::new(
        "value",
        Type::Str(Format::Expression),
        "The value; a single reference keeps its type.",
    )
    .required()
    .refs(Refs::Any)
    .example("\"${k3s.main.api_endpoint}\""),
    Key::new(
        "sensitive",
        Type::Bool,
        "Hide the value; required when it contains a secret.",
    )
    .default(DefaultValue::Bool(false)),
    Key::new("description", TEXT, "What it is."),
];

/// Every top-level table, in the order they are documented.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "stack",
        kind: SectionKind::Settings,
        doc: "The stack itself. Exactly one file of the stack declares it.",
        keys: STACK_KEYS,
        exports: &[],
        example: "[stack]\nname = \"production\"\nstate = { backend = \"local\" }\n",
    },
    Section {
        name: "vars",
        kind: SectionKind::Entries,
        doc: "Variables: strings, numbers, booleans or arrays. A variable may be built from others (`url = \"https://${vars.host}\"`); references to anything but variables, dangling references and cycles are errors. Override one with `--var NAME=VALUE` or the environment variable `STRATA_VAR_NAME`.",
        keys: &[],
        exports: &[],
        example: "[vars]\nimage_tag = \"1.4.2\"\nregistry = \"registry.example.com\"\nimage = \"${vars.registry}/api:${vars.image_tag}\"\nbrokers = 3\n",
    },
    Section {
        name: "secrets",
        kind: SectionKind::Entries,
        doc: "Secrets: where each value is read from, exactly one of `env`, `file` or `command`. Values are read only when needed and never written to state, plan files, logs or output. A file that cannot be read or a command that fails is reported at its declaration when the stack is loaded.",
        keys: SECRET_KEYS,
        exports: &[],
        example: "[secrets]\npg_password = { env = \"PG_PASSWORD\" }\n",
    },
    Section {
        name: "ssh",
        kind: SectionKind::Settings,
        doc: "SSH defaults for every node.",
        keys: SSH_KEYS,
        exports: &[],
        example: "[ssh]\nuser = \"ubuntu\"\nkey = \"~/.ssh/id_ed25519\"\n",
    },
    Section {
        name: "node",
        kind: SectionKind::Component,
        doc: "One Linux host reached over SSH. Its name is its host name and Kubernetes node name.",
        keys: NODE_KEYS,
        exports: &[
            Export { name: "address", doc: "the address" },
            Export { name: "hostname", doc: "the host name" },
            Export { name: "user", doc: "the SSH user" },
            Export { name: "port", doc: "the SSH port" },
        ],
        example: "[node.worker-1]\naddress = \"10.0.1.21\"\nrole = \"agent\"\nlabels = { \"topology.kubernetes.io/zone\" = \"a\" }\n",
    },
    Section {
        name: "node_group",
        kind: SectionKind::Component,
        doc: "Identical hosts, one per address, named NAME-1, NAME-2, ...; each member is also `node.NAME-N` (`${node.worker-2.address}`), and a member name that is also a `[node.*]` is an error.",
        keys: NODE_GROUP_KEYS,
        exports: &[
            Export { name: "addresses", doc: "every member's address (a list: only as a whole value, never inside a string)" },
            Export { name: "hostnames", doc: "every member's name (a list)" },
        ],
        example: "[node_group.worker]\naddresses = [\"10.0.1.21\", \"10.0.1.22\", \"10.0.1.23\"]\nrole = \"agent\"\n",
    },
    Section {
        name: "k3s",
        kind: SectionKind::Component,
        doc: "The k3s cluster (one per stack): the first server initialises embedded etcd, further servers join one at a time, then agents. An odd number of servers is required.",
        keys: K3S_KEYS,
        exports: &[
            Export { name: "api_endpoint", doc: "the API endpoint" },
            Export { name: "version", doc: "the k3s version" },
        ],
        example: "[k3s.main]\nversion = \"v1.36.3+k3s1\"\napi_endpoint = \"https://10.0.0.10:6443\"\nvip = { interface = \"eth0\" }\n",
    },
    Section {
        name: "storage",
        kind: SectionKind::Component,
        doc: "Longhorn replicated block storage. It also installs open-iscsi and nfs-common and loads iscsi_tcp and dm_crypt on every node.",
        keys: STORAGE_KEYS,
        exports: &[
            Export { name: "storage_class", doc: "`longhorn`" },
            Export { name: "namespace", doc: "the namespace" },
        ],
        example: "[storage.longhorn]\nreplicas = 1\n",
    },
    Section {
        name: "service",
        kind: SectionKind::Component,
        doc: "A data service installed from a chart preset; the preset's own keys are listed below.",
        keys: SERVICE_KEYS,
        exports: &[
            Export { name: "namespace", doc: "the namespace" },
            Export { name: "release", doc: "the Helm release name" },
            Export { name: "(preset)", doc: "the preset's attributes, listed with each preset" },
        ],
        example: "[service.postgresql]\npreset = \"postgresql\"\nstorage = \"10Gi\"\nread_replicas = 0\nallow = [\"ha/database-replica\"]\n",
    },
    Section {
        name: "chart",
        kind: SectionKind::Component,
        doc: "Any Helm chart, as a `helm.cattle.io/v1` HelmChart run by k3s's Helm controller.",
        keys: CHART_KEYS,
        exports: &[
            Export { name: "namespace", doc: "the namespace" },
            Export { name: "release", doc: "the Helm release name" },
        ],
        example: "[chart.ingress-nginx]\nrepo = \"https://kubernetes.github.io/ingress-nginx\"\nchart = \"ingress-nginx\"\nversion = \"4.11.3\"\nvalues = { controller = { replicaCount = 1 } }\n",
    },
    Section {
        name: "app",
        kind: SectionKind::Component,
        doc: "A microservice: ServiceAccount, ConfigMap (`env`), Secret (`secret_env`), Deployment, Service, and when asked an HPA, a PDB, a ServiceMonitor and a dashboard ConfigMap. See \"What an app gets\" for the defaults.",
        keys: APP_KEYS,
        exports: &[
            Export { name: "host", doc: "the Service's cluster DNS name" },
            Export { name: "port", doc: "the port" },
            Export { name: "url", doc: "`http://HOST:PORT`" },
            Export { name: "namespace", doc: "the namespace" },
        ],
        example: "[app.api]\nimage = \"registry.example.com/api:1.4.2\"\nport = 8000\nhealth = \"/health\"\nreplicas = 1\nenv = { LOG_LEVEL = \"info\" }\n",
    },
    Section {
        name: "manifest",
        kind: SectionKind::Component,
        doc: "Kubernetes objects from multi-document YAML files. Each object's address is `manifest.NAME/KIND/NAMESPACE/NAME`, or `manifest.NAME/KIND/NAME` for cluster-scoped kinds (built in, or a CRD with `scope: Cluster`).",
        keys: MANIFEST_KEYS,
        exports: &[],
        example: "",
    },
    Section {
        name: "application",
        kind: SectionKind::Component,
        doc: "An Argo CD Application (needs an `argo-cd` service).",
        keys: APPLICATION_KEYS,
        exports: &[Export { name: "name", doc: "the Application's name" }],
        example: "[service.argocd]\npreset = \"argo-cd\"\nha = false\n\n[application.infra]\nrepo = \"https://gitlab.com/group/infra.git\"\npath = \"infra\"\nauto_sync = { self_heal = true, prune = true }\n",
    },
    Section {
        name: "application_set",
        kind: SectionKind::Component,
        doc: "An Argo CD ApplicationSet generating one Application per environment.",
        keys: APPLICATION_SET_KEYS,
        exports: &[Export { name: "name", doc: "the ApplicationSet's name" }],
        example: "[service.argocd]\npreset = \"argo-cd\"\nha = false\n\n[application_set.api]\nrepo = \"https://gitlab.com/group/api.git\"\npath = \"helm/api\"\nenvironments = [\n  { name = \"production\", server = \"https://prod.example.com:6443\" },\n  { name = \"staging\", server = \"https://staging.example.com:6443\" },\n]\nvalue_files = [\"values-{{cluster}}.yaml\"]\n",
    },
    Section {
        name: "output",
        kind: SectionKind::Component,
        doc: "A value shown after apply and kept in state.",
        keys: OUTPUT_KEYS,
        exports: &[],
        example: "[output.api_endpoint]\nvalue = \"${k3s.main.api_endpoint}\"\n",
    },
];

const SERVICE_EXPORTS: [Export; 2] = [
    Export {
        name: "host",
        doc: "the service's cluster DNS name",
    },
    Export {
        name: "port",
        doc: "its port",
    },
];

/// Every preset, in the order they are documented.
pub const PRESETS: &[PresetSchema] = &[
    PresetSchema {
        name: "kafka",
        preset: Preset::Kafka,
        doc: "Apache Kafka in KRaft mode, run by the Strimzi operator (chart `strimzi-kafka-operator`, installed once per stack): a `Kafka` and its `KafkaNodePool`s (`kafka.strimzi.io/v1`). Brokers are also the KRaft controllers unless `controllers` asks for a pool of their own. Clients reach a plain listener on 9092 and a TLS one on 9093 inside the cluster.",
        keys: &[
            Key::new(
                "controllers",
                POSITIVE,
                "KRaft controllers in a pool of their own; without it every broker is also a controller.",
            ),
            Key::new(
                "replication_factor",
                POSITIVE,
                "Default replication factor of topics (also of the offsets and transaction topics).",
            )
            .default(DefaultValue::Computed("min(replicas, 3)")),
            Key::new(
                "min_insync_replicas",
                POSITIVE,
                "`min.insync.replicas`: replicas that must acknowledge a write; below the replication factor.",
            )
            .default(DefaultValue::Computed("replication_factor - 1, at least 1")),
        ],
        replicas: Some(3),
        storage: "10Gi",
        exports: &[
            Export { name: "host", doc: "the bootstrap Service's DNS name" },
            SERVICE_EXPORTS[1],
            Export { name: "bootstrap_servers", doc: "`HOST:9092`, the plain listener" },
            Export { name: "tls_bootstrap_servers", doc: "`HOST:9093`, the TLS listener (the cluster CA is in the Secret `NAME-cluster-ca-cert` of the service's namespace)" },
        ],
    },
    PresetSchema {
        name: "postgresql",
        preset: Preset::Postgresql,
        doc: "PostgreSQL run by the CloudNativePG operator (chart `cloudnative-pg`, installed once per stack): a `Cluster` (`postgresql.cnpg.io/v1`) of one primary and `read_replicas` streaming replicas, one per node, with automatic failover. Writers connect to `host` (the `-rw` Service, always the primary), readers to `read_host` (`-ro`). Without `password` the operator generates the owner's credentials into the Secret `NAME-app` (keys `uri`, `host`, `username`, `password`) of the service's namespace.",
        keys: &[
            Key::new("database", TEXT, "Database created at start.").default(DefaultValue::Str("app")),
            Key::new("username", TEXT, "Its owner.").default(DefaultValue::Str("app")),
            Key::new("password", TEXT, "The owner's password; goes to a basic-auth Secret the operator reads.")
                .refs(Refs::Any)
                .example("\"${secret.pg_password}\""),
            Key::new(
                "postgres_password",
                TEXT,
                "The `postgres` superuser's password; without it superuser access over the network is off.",
            )
            .refs(Refs::Any),
            Key::new("read_replicas", COUNT, "Streaming replicas beside the primary; one is promoted when the primary fails.")
                .default(DefaultValue::Int(2)),
        ],
        replicas: None,
        storage: "10Gi",
        exports: &[
            Export { name: "host", doc: "the primary's DNS name (the `-rw` Service)" },
            SERVICE_EXPORTS[1],
            Export { name: "read_host", doc: "the replicas' DNS name (the `-ro` Service)" },
            Export { name: "database", doc: "the database" },
            Export { name: "username", doc: "the owner" },
            Export { name: "app_secret", doc: "the Secret holding the owner's credentials and `uri`, in the service's namespace" },
        ],
    },
    PresetSchema {
        name: "minio",
        preset: Preset::Minio,
        doc: "MinIO object storage (Bitnami chart `minio`) with metrics scraped by a monitoring service. Upstream MinIO publishes no community images since October 2025 and Bitnami's moved to the frozen `docker.io/bitnamilegacy` in August 2025: the preset pins the last one there, and `plan` warns about it.",
        keys: &[
            Key::new("root_user", TEXT, "Root user.")
                .refs(Refs::Any)
                .default(DefaultValue::Str("admin")),
            Key::new("root_password", TEXT, "Root password.").refs(Refs::Any),
            Key::new(
                "mode",
                Type::Enum {
                    noun: "MinIO mode",
                    values: &["standalone", "distributed"],
                },
                "`standalone` (one server) or `distributed`.",
            )
            .default(DefaultValue::Str("distributed")),
        ],
        replicas: Some(4),
        storage: "10Gi",
        exports: &[
            SERVICE_EXPORTS[0],
            SERVICE_EXPORTS[1],
            Export { name: "endpoint", doc: "`http://HOST:9000`" },
            Export { name: "credentials_secret", doc: "the Secret with `root-user` and `root-password`, in the service's namespace (when `root_password` is set)" },
        ],
    },
    PresetSchema {
        name: "kube-prometheus-stack",
        preset: Preset::KubePrometheusStack,
        doc: "Prometheus, Alertmanager and Grafana; ServiceMonitors and PodMonitors of the whole cluster are selected.",
        keys: &[
            Key::new(
                "retention",
                Type::Str(Format::Duration),
                "How long Prometheus keeps data.",
            )
            .default(DefaultValue::Str("15d")),
            Key::new("grafana_admin_user", TEXT, "Grafana admin user.")
                .refs(Refs::Any)
                .default(DefaultValue::Str("admin")),
            Key::new("grafana_admin_password", TEXT, "Grafana admin password.")
                .refs(Refs::Any),
            Key::new("alertmanager", Type::Bool, "Run Alertmanager.")
                .default(DefaultValue::Bool(true)),
        ],
        replicas: Some(2),
        storage: "50Gi",
        exports: &[
            SERVICE_EXPORTS[0],
            SERVICE_EXPORTS[1],
            Export { name: "grafana_host", doc: "Grafana's DNS name" },
        ],
    },
    PresetSchema {
        name: "argo-cd",
        preset: Preset::ArgoCd,
        doc: "Argo CD.",
        keys: &[Key::new(
            "ha",
            Type::Bool,
            "High availability: redis-ha and two replicas of each server; needs three nodes.",
        )
        .default(DefaultValue::Bool(true))],
        replicas: None,
        storage: "",
        exports: &[SERVICE_EXPORTS[0], SERVICE_EXPORTS[1]],
    },
];

/// The section called `name`.
pub fn section(name: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.name == name)
}

/// The schema of a preset.
pub fn preset(p: Preset) -> &'static PresetSchema {
    PRESETS
        .iter()
        .find(|s| s.preset == p)
        .expect("every preset has a schema")
}

impl Type {
    /// What a value of this type is, for messages ("an integer").
    pub fn describe(&self) -> String {
        match self {
            Type::Str(_) => "a string".into(),
            Type::Int { .. } | Type::Port => "an integer".into(),
            Type::Bool => "a boolean".into(),
            Type::Enum { .. } => "a string".into(),
            Type::IntOrPercent => "an integer or a percentage such as \"50%\"".into(),
            Type::Scalar => "a string, an integer or a boolean".into(),
            Type::List(inner) => match inner {
                Type::Table(_) => "an array of tables".into(),
                Type::Str(_) | Type::Enum { .. } => "an array of strings".into(),
                other => format!("an array of {}", other.describe()),
            },
            Type::Map(..) | Type::Table(_) | Type::Any => "a table".into(),
            Type::StrOrTable(_) => "a string or a table".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_keys(keys: &'static [Key], out: &mut Vec<&'static Key>) {
        for k in keys {
            out.push(k);
            let mut ty = &k.ty;
            while let Type::List(inner) | Type::Map(_, inner) = ty {
                ty = inner;
            }
            if let Type::Table(inner) = ty {
                all_keys(inner, out);
            }
        }
    }

    #[test]
    fn every_key_is_documented_and_unique() {
        let mut tables: Vec<&'static [Key]> = SECTIONS.iter().map(|s| s.keys).collect();
        tables.push(COMMON_KEYS);
        tables.extend(PRESETS.iter().map(|p| p.keys));
        for t in tables {
            let mut names: Vec<&str> = t.iter().map(|k| k.name).collect();
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "a key is listed twice: {names:?}");
            let mut keys = Vec::new();
            all_keys(t, &mut keys);
            for k in keys {
                assert!(k.doc.ends_with('.'), "`{}` needs a one-line doc", k.name);
            }
        }
    }

    #[test]
    fn sections_match_the_reader() {
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.retain(|n| !crate::load::SETTINGS.contains(n));
        assert_eq!(names, crate::load::SECTIONS);
        for p in Preset::ALL {
            assert_eq!(preset(p.1).name, p.0);
        }
    }
}
