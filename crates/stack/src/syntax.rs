//! The syntax of strings that are not Kubernetes names: host addresses,
//! URLs, container image references, durations and k3s versions.

/// An HTTP path for a probe or a metrics endpoint.
pub fn check_http_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("must start with '/'".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("must not contain {c:?}"));
    }
    if s.contains('#') {
        return Err("must not contain '#' (a fragment is never sent to the server)".into());
    }
    Ok(())
}

/// A Prometheus duration: `0`, or numbers with units in the order
/// y w d h m s ms (`1h30m`, `15s`).
pub fn check_duration(s: &str) -> Result<(), String> {
    if s == "0" {
        return Ok(());
    }
    const UNITS: &[&str] = &["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = s;
    let mut next_unit = 0;
    if rest.is_empty() {
        return Err("it is empty".into());
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err("expected a number followed by a unit (y, w, d, h, m, s, ms)".into());
        }
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") {
            "ms"
        } else {
            match rest.chars().next() {
                Some(c) if "ywdhms".contains(c) => &rest[..1],
                Some(c) => return Err(format!("unknown unit {c:?}")),
                None => return Err("the last number has no unit".into()),
            }
        };
        let at = UNITS.iter().position(|u| *u == unit).expect("known unit");
        if at < next_unit {
            return Err("units must go from largest to smallest, each at most once".into());
        }
        next_unit = at + 1;
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// The host (and port) of a URL after its scheme, and the rest.
fn split_authority(rest: &str) -> (&str, &str) {
    match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

/// `HOST` or `HOST:PORT` (`[IPv6]:PORT`); returns whether a port was given.
fn check_host_port(authority: &str) -> Result<bool, String> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((ip, after)) = inner.split_once(']') else {
            return Err("an IPv6 address needs a closing ']'".into());
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{ip}` is not an IPv6 address"));
        }
        (None, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(authority), None),
        }
    };
    if let Some(h) = host {
        if h.is_empty() {
            return Err("it names no host".into());
        }
        check_address(h)?;
    }
    match port {
        None => Ok(false),
        Some(p) => match p.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(true),
            _ => Err(format!("`{p}` is not a port (1..65535)")),
        },
    }
}

/// A chart repository: `https://HOST[:PORT][/PATH]` or `oci://HOST/PATH`.
pub fn check_chart_repo(s: &str) -> Result<(), String> {
    let rest = if let Some(r) = s.strip_prefix("https://") {
        r
    } else if let Some(r) = s.strip_prefix("oci://") {
        r
    } else if s.starts_with("http://") {
        return Err("plain http is not accepted; use https://".into());
    } else {
        return Err("it must start with https:// or oci://".into());
    };
    if s.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    check_host_port(split_authority(rest).0).map(|_| ())
}

/// A Git repository as Argo CD reads it.
pub fn check_git_repo(s: &str) -> Result<(), String> {
    if s.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    for scheme in ["https://", "http://", "ssh://", "git://"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            let authority = split_authority(rest).0;
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            return check_host_port(host).map(|_| ());
        }
    }
    match s.split_once('@').and_then(|(_, r)| r.split_once(':')) {
        Some((host, path)) if !path.is_empty() => check_address(host),
        _ => Err("it must be https://..., ssh://... or USER@HOST:PATH".into()),
    }
}

/// A Kubernetes API server URL: `https://HOST[:PORT][/PATH]`.
pub fn check_server_url(s: &str) -> Result<(), String> {
    let Some(rest) = s.strip_prefix("https://") else {
        return Err("it must start with https://".into());
    };
    check_host_port(split_authority(rest).0).map(|_| ())
}

/// The k3s API endpoint: exactly `https://HOST:PORT`.
pub fn check_api_endpoint(s: &str) -> Result<(), String> {
    let Some(rest) = s.strip_prefix("https://") else {
        return Err("it must start with https://".into());
    };
    let (authority, path) = split_authority(rest);
    if !path.is_empty() && path != "/" {
        return Err(format!(
            "it has a path `{path}`; the endpoint is only HOST:PORT"
        ));
    }
    if !check_host_port(authority)? {
        return Err("it has no port (k3s serves the API on 6443)".into());
    }
    Ok(())
}

/// An IP address or a DNS name.
pub fn check_address(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if s.contains(':') {
        return Err("it is not an IPv6 address".into());
    }
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.len() > 253 {
        return Err(format!(
            "it is {} characters long, at most 253 are allowed",
            name.len()
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) {
        return Err(
            "it looks like an IPv4 address but is not one (each part is 0..255, four parts)".into(),
        );
    }
    for l in labels {
        if l.is_empty() {
            return Err("it has an empty part between dots".into());
        }
        if l.len() > 63 {
            return Err(format!("the part `{l}` is longer than 63 characters"));
        }
        if let Some(c) = l
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("it contains {c:?}"));
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Err(format!("the part `{l}` starts or ends with '-'"));
        }
    }
    Ok(())
}

/// A k3s release: `vMAJOR.MINOR.PATCH[-rcN]+k3sN`.
pub fn check_k3s_version(s: &str) -> Result<(), String> {
    let bad = || Err("expected vMAJOR.MINOR.PATCH+k3sN".to_string());
    let Some(rest) = s.strip_prefix('v') else {
        return bad();
    };
    let Some((version, build)) = rest.split_once("+k3s") else {
        return bad();
    };
    if build.is_empty() || !build.chars().all(|c| c.is_ascii_digit()) {
        return bad();
    }
    let version = version
        .split_once('-')
        .map_or(version, |(v, pre)| if pre.is_empty() { "" } else { v });
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return bad();
    }
    Ok(())
}

/// A container image reference in the OCI distribution grammar:
/// `[DOMAIN/]PATH[:TAG][@ALGORITHM:HEX]`, the path in lower case.
pub fn check_image(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("it contains {c:?}"));
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        check_digest(d)?;
    }
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if let Some(t) = tag {
        let valid = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(format!(
                "the tag `{t}` must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
            ));
        }
    }
    if name.len() > 255 {
        return Err(format!(
            "the name is {} characters long, at most 255 are allowed",
            name.len()
        ));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 {
        let first = components[0];
        let is_domain = first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase());
        if is_domain {
            check_host_port(first)
                .map_err(|why| format!("the registry `{first}` is invalid: {why}"))?;
            components.remove(0);
        }
    }
    for c in components {
        if c.is_empty() {
            return Err("the repository has an empty path component".into());
        }
        if c.chars().any(|x| x.is_ascii_uppercase()) {
            return Err(format!("the repository path `{c}` must be lower-case"));
        }
        // alnum+ ((\.|_|__|-+) alnum+)*
        let bytes = c.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let mut i = 0;
        let mut ok = !bytes.is_empty() && alnum(bytes[0]) && alnum(bytes[bytes.len() - 1]);
        while ok && i < bytes.len() {
            if alnum(bytes[i]) {
                i += 1;
                continue;
            }
            let sep_start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let sep = &c[sep_start..i];
            ok = matches!(sep, "." | "_" | "__") || sep.chars().all(|x| x == '-');
        }
        if !ok {
            return Err(format!(
                "the repository path `{c}` may only hold lower-case letters and digits separated by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}

fn check_digest(d: &str) -> Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!(
            "the digest `{d}` must be ALGORITHM:HEX, e.g. sha256:..."
        ));
    };
    let algo_ok = !algo.is_empty()
        && algo.split(['+', '.', '_', '-']).all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if !algo_ok {
        return Err(format!("the digest algorithm `{algo}` is invalid"));
    }
    if hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the digest must hold at least 32 hexadecimal digits".into());
    }
    if algo == "sha256" && hex.len() != 64 {
        return Err(format!(
            "a sha256 digest has 64 hexadecimal digits, not {}",
            hex.len()
        ));
    }
    if algo == "sha256" && hex.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("a sha256 digest is written in lower case".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for ok in [
            "nginx",
            "nginx:1.27",
            "registry.example.com/my-microservice:1.4.2",
            "localhost:5000/a/b_c__d-e.f:v1",
            "Registry.Example.com/app:1",
            "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(check_image(ok).is_ok(), "{ok}: {:?}", check_image(ok));
        }
        for bad in [
            "",
            "registry.example.com/MyApp:1.0",
            "app:",
            "app:.1",
            "app:1.0 beta",
            "app@sha256:xyz",
            "app@sha256:0123456789abcdef0123456789abcdef",
            "a//b",
            "app-:1",
            "registry.example.com:99999/app",
        ] {
            assert!(check_image(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_and_urls() {
        for ok in ["10.0.0.11", "fd00::1", "node-1.example.com", "localhost"] {
            assert!(check_address(ok).is_ok(), "{ok}");
        }
        for bad in ["10.0.0.300", "my host", "-a.example.com", "a..b", "1.2.3"] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
        assert!(check_api_endpoint("https://10.0.0.10:6443").is_ok());
        assert!(check_api_endpoint("https://[fd00::1]:6443").is_ok());
        for bad in [
            "https://10.0.0.10",
            "http://10.0.0.10:6443",
            "https://10.0.0.10:6443/api",
            "https://:6443",
        ] {
            assert!(check_api_endpoint(bad).is_err(), "{bad}");
        }
        assert!(check_chart_repo("https://charts.longhorn.io").is_ok());
        assert!(check_chart_repo("oci://registry-1.docker.io/bitnamicharts").is_ok());
        assert!(check_chart_repo("http://charts.example.com").is_err());
        assert!(check_chart_repo("charts.example.com").is_err());
        assert!(check_git_repo("git@gitlab.com:group/project.git").is_ok());
        assert!(check_git_repo("https://gitlab.com/your-repo.git").is_ok());
        assert!(check_git_repo("gitlab.com/x").is_err());
    }
}
