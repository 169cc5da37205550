//! What each string [`Format`] of the key tables accepts, and the message
//! for a value that does not fit.

use crate::diag::{Diagnostic, Span};
use crate::k8s;
use crate::schema::Format;

/// Checks a literal string against its format: the problem, naming the key,
/// or `None` when it is valid.
pub fn check_format(format: Format, key: &str, v: &str, span: Span) -> Option<Diagnostic> {
    check(format, key, v, span).err().map(|mut d| {
        // Long values are cut in the message; the snippet shows where.
        if v.chars().count() > 60 {
            d.message = d.message.replace(v, &crate::diag::elide(v));
        }
        d
    })
}

// The error is turned into an `Option` at once by `check_format`.
#[allow(clippy::result_large_err)]
fn check(format: Format, key: &str, v: &str, span: Span) -> Result<(), Diagnostic> {
    let invalid = |what: &str, why: String| {
        Diagnostic::error(
            "strata::invalid-value",
            span,
            format!("`{v}` is not {what}: {why}"),
        )
    };
    match format {
        Format::Text | Format::File | Format::Target | Format::Expression => Ok(()),
        Format::Label => k8s::check_label(v).map_err(|why| crate::decode::name_error(span, v, &why)),
        Format::Quantity => k8s::check_quantity(v).map_err(|why| {
            Diagnostic::error(
                "strata::quantity",
                span,
                format!("`{v}` is not a valid Kubernetes quantity: {why}"),
            )
            .label("invalid quantity")
            .help("write sizes like \"10Gi\", \"512Mi\" and CPU like \"500m\" or \"2\"")
        }),
        Format::HttpPath => crate::syntax::check_http_path(v).map_err(|why| {
            let noun = if key == "path" {
                "metrics path".to_string()
            } else {
                format!("{key} path")
            };
            Diagnostic::error("strata::http-path", span, format!("{noun} `{v}` {why}"))
                .label("not an HTTP path")
                .help(format!("e.g. {key} = \"/health\""))
        }),
        Format::Duration => crate::syntax::check_duration(v).map_err(|why| {
            invalid("a duration", why).label("expected e.g. \"30s\", \"1m30s\" or \"15d\"")
        }),
        Format::ChartRepo => crate::syntax::check_chart_repo(v).map_err(|why| {
            invalid("a chart repository URL", why)
                .label("expected https://... or oci://...")
                .help("k3s's Helm controller fetches charts over HTTPS or from an OCI registry")
        }),
        Format::GitRepo => crate::syntax::check_git_repo(v).map_err(|why| {
            invalid("a Git repository URL", why)
                .label("expected https://..., ssh://... or git@host:path")
        }),
        Format::ServerUrl => crate::syntax::check_server_url(v)
            .map_err(|why| invalid("an API server URL", why).label("expected https://HOST[:PORT]")),
        Format::ApiEndpoint => crate::syntax::check_api_endpoint(v).map_err(|why| {
            invalid("an API endpoint", why)
                .label("expected https://HOST:PORT")
                .help("e.g. api_endpoint = \"https://10.0.0.10:6443\" (a load balancer or VIP in front of the servers)")
        }),
        Format::Address => crate::syntax::check_address(v).map_err(|why| {
            invalid("an IP address or DNS name", why)
                .label("not an address")
                .help("e.g. address = \"10.0.0.11\" or \"node-1.example.com\"")
        }),
        Format::Image => crate::syntax::check_image(v).map_err(|why| image_error(v, &why, span)),
        Format::K3sVersion => crate::syntax::check_k3s_version(v).map_err(|_| {
            Diagnostic::error(
                "strata::k3s-version",
                span,
                format!("`{v}` is not a k3s release version"),
            )
            .label("expected vMAJOR.MINOR.PATCH+k3sN")
            .help("k3s versions look like \"v1.31.4+k3s1\"")
        }),
        Format::FileMode => {
            let ok = (3..=4).contains(&v.len()) && v.chars().all(|c| ('0'..='7').contains(&c));
            if ok {
                Ok(())
            } else {
                Err(invalid("a file mode", "write octal digits".into()).label("expected e.g. \"0600\""))
            }
        }
        Format::LabelKey => k8s::check_label_key(v).map_err(|why| {
            invalid("a valid label key", why)
                .label("invalid label key")
                .help("label keys are NAME or PREFIX/NAME: NAME up to 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric; PREFIX a DNS subdomain")
        }),
        Format::LabelValue => k8s::check_label_value(v).map_err(|why| {
            invalid("a valid label value", why)
                .label("invalid label value")
                .help("label values are up to 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric (or empty)")
        }),
        Format::Taint => k8s::check_taint(v).map_err(|why| {
            invalid("a valid taint", why)
                .label("expected key[=value]:Effect")
                .help("e.g. \"dedicated=db:NoSchedule\"; Effect is NoSchedule, PreferNoSchedule or NoExecute")
        }),
        Format::EnvName => k8s::check_env_name(v).map_err(|why| {
            invalid("a valid environment variable name", why)
                .label("invalid name")
                .help("use letters, digits, '_', '-' and '.', not starting with a digit, e.g. LOG_LEVEL")
        }),
        Format::GroupKind => {
            if v.split_once('/').is_none_or(|(g, k)| g.is_empty() || k.is_empty()) {
                Err(Diagnostic::error(
                    "strata::provides",
                    span,
                    format!("`{v}` is not GROUP/KIND"),
                )
                .label("expected e.g. \"cert-manager.io/Certificate\" or \"cert-manager.io/*\""))
            } else {
                Ok(())
            }
        }
        Format::AttrPath => strata_engine::AttrPath::parse(v).map(|_| ()).map_err(|e| {
            Diagnostic::error("strata::ignore-changes", span, e.to_string())
                .label("not an attribute path")
                .help("write paths like \"spec.replicas\" or \"data[\\\"key.json\\\"]\"")
        }),
    }
}

/// The diagnostic for an invalid image reference.
pub fn image_error(v: &str, why: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "strata::image",
        span,
        format!("`{v}` is not a valid image reference: {why}"),
    )
    .label("the kubelet would refuse to pull it")
    .help("write REGISTRY/REPOSITORY:TAG or REPOSITORY@sha256:DIGEST; the repository is lower-case")
}
