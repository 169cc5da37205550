//! The string formats custom resources are checked against, as kube-openapi's `strfmt.Default`
//! registry validates them, limited to the formats apiextensions-apiserver keeps in CRD schemas
//! (`formats.go`; others are stripped and never checked).

use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;

/// Whether the server keeps (and so checks) `format` on a node of type `ty`: others are
/// stripped from the schema and never checked.
pub fn kept(format: &str, ty: &str) -> bool {
    match ty {
        "" | "string" => {
            let normalized = format.replace('-', "");
            !format.is_empty()
                && STRING_FORMATS
                    .iter()
                    .any(|f| f.replace('-', "") == normalized)
        }
        "integer" => matches!(format, "int32" | "int64"),
        "number" => matches!(format, "float" | "double"),
        _ => false,
    }
}

const STRING_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "k8s-short-name",
    "k8s-long-name",
];

fn re(p: &str) -> Regex {
    Regex::new(p).expect("built-in format pattern")
}

static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$",
    )
});
static UUID: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    [
        re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"),
        re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$"),
        re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"),
        re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"),
    ]
});
static CREDIT_CARD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$",
    )
});
static HEX_COLOR: LazyLock<Regex> = LazyLock::new(|| re(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"));
static RGB_COLOR: LazyLock<Regex> = LazyLock::new(|| {
    let c = r"\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*";
    re(&format!(r"^rgb\({c},{c},{c}\)$"))
});
static BASE64: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
});
static SSN: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$"));
static TIME_OF_DAY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
});
static DURATION_PART: LazyLock<Regex> = LazyLock::new(|| re(r"((\d+)\s*([A-Za-zµ]+))"));
static GO_DURATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"));
static SHORT_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
static LONG_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));

/// Whether `s` is valid for `format` (one [`kept`] for a string type; dashes are ignored).
pub fn valid(format: &str, s: &str) -> bool {
    match format.replace('-', "").as_str() {
        "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => request_uri(s),
        "email" => email(s),
        "hostname" => HOSTNAME.is_match(s) && s.len() <= 255 && s.split('.').all(|p| p.len() <= 63),
        "ipv4" => ipv4_sloppy(s) || (s.contains('.') && s.parse::<Ipv6Addr>().is_ok()),
        "ipv6" => s.contains(':') && (s.parse::<Ipv6Addr>().is_ok()),
        "cidr" => cidr(s),
        "mac" => mac(s),
        "uuid" => UUID[0].is_match(s),
        "uuid3" => UUID[1].is_match(s),
        "uuid4" => UUID[2].is_match(s),
        "uuid5" => UUID[3].is_match(s),
        "isbn" => isbn(s, 10) || isbn(s, 13),
        "isbn10" => isbn(s, 10),
        "isbn13" => isbn(s, 13),
        "creditcard" => credit_card(s),
        "ssn" => s.len() == 11 && SSN.is_match(s),
        "hexcolor" => HEX_COLOR.is_match(s),
        "rgbcolor" => RGB_COLOR.is_match(s),
        "byte" => BASE64.is_match(s),
        "date" => date(s),
        "datetime" => date_time(s),
        "duration" => duration(s),
        "k8sshortname" => s.len() <= 63 && SHORT_NAME.is_match(s),
        "k8slongname" => s.len() <= 253 && LONG_NAME.is_match(s),
        _ => true,
    }
}

/// Go's `net.ParseIP` for IPv4, tolerating leading zeros as `ParseIPSloppy` does.
fn ipv4_sloppy(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

fn cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let max = if ipv4_sloppy(ip) {
        32
    } else if ip.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx..`, `xx-xx..` or `xxxx.xxxx..`.
fn mac(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
    let octets_ok = |n: usize| matches!(n, 6 | 8 | 20);
    if s.contains(':') || s.contains('-') {
        let sep = if s.contains(':') { ':' } else { '-' };
        let parts: Vec<&str> = s.split(sep).collect();
        octets_ok(parts.len()) && parts.iter().all(|p| hex(p, 2))
    } else {
        let parts: Vec<&str> = s.split('.').collect();
        octets_ok(parts.len() * 2) && parts.iter().all(|p| hex(p, 4))
    }
}

/// Go's `url.ParseRequestURI`: an absolute URI or an absolute path, without control bytes or
/// bad percent-escapes.
fn request_uri(s: &str) -> bool {
    if s.is_empty() || s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    if s.starts_with('/') {
        return true;
    }
    match s.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Go's `net/mail.ParseAddress` for the common shapes: `local@domain`, optionally as
/// `Name <local@domain>`.
fn email(s: &str) -> bool {
    let s = s.trim();
    let addr = match (s.find('<'), s.ends_with('>')) {
        (Some(i), true) => &s[i + 1..s.len() - 1],
        (None, false) => s,
        _ => return false,
    };
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom =
        |p: &str| !p.is_empty() && p.split('.').all(|w| !w.is_empty() && w.chars().all(atext));
    let local_ok =
        dot_atom(local) || (local.len() >= 2 && local.starts_with('"') && local.ends_with('"'));
    let domain_ok = dot_atom(domain) || (domain.starts_with('[') && domain.ends_with(']'));
    local_ok && domain_ok
}

fn isbn(s: &str, version: u8) -> bool {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let d: Vec<u32> = clean
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(99))
        .collect();
    if version == 10 {
        let shape = clean.len() == 10
            && d[..9].iter().all(|x| *x < 10)
            && (d[9] < 10 || clean.ends_with('X'));
        if !shape {
            return false;
        }
        let mut sum: u32 = (0..9).map(|i| (i as u32 + 1) * d[i]).sum();
        sum += 10 * if clean.ends_with('X') { 10 } else { d[9] };
        sum % 11 == 0
    } else {
        if clean.len() != 13 || d.iter().any(|x| *x >= 10) {
            return false;
        }
        let sum: u32 = (0..12).map(|i| [1, 3][i % 2] * d[i]).sum();
        d[12] == (10 - sum % 10) % 10
    }
}

fn credit_card(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if !CREDIT_CARD.is_match(&digits) {
        return false;
    }
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut n = u32::from(c - b'0');
        if i % 2 == 1 {
            n *= 2;
            if n >= 10 {
                n = n % 10 + 1;
            }
        }
        sum += n;
    }
    sum % 10 == 0
}

/// `time.Parse("2006-01-02", s)`.
fn date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let p = &s[r];
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// kube-openapi's `IsDateTime`: a date, `t`, and a time of day with a zone.
fn date_time(s: &str) -> bool {
    if s.len() < 4 {
        return false;
    }
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if parts.len() < 2 || !date(parts[0]) {
        return false;
    }
    match TIME_OF_DAY.captures(parts[1]) {
        Some(c) => &c[1] <= "23" && &c[2] <= "59" && &c[3] <= "59",
        None => false,
    }
}

/// Go's `time.ParseDuration`, or kube-openapi's lenient `<n> <unit>` sequences.
fn duration(s: &str) -> bool {
    if GO_DURATION.is_match(s) {
        return true;
    }
    const UNITS: &[&[&str]] = &[
        &["ns", "nano"],
        &["us", "µs", "micro"],
        &["ms", "milli"],
        &["s", "sec"],
        &["m", "min"],
        &["h", "hr", "hour"],
        &["d", "day"],
        &["w", "wk", "week"],
    ];
    DURATION_PART.captures_iter(s).any(|c| {
        let unit = c[3].trim().to_lowercase();
        UNITS.iter().any(|variants| {
            let last = variants.len() - 1;
            variants
                .iter()
                .enumerate()
                .any(|(i, v)| (i == last && unit.starts_with(v)) || unit == *v)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{kept, valid};

    #[test]
    fn formats_behave_like_strfmt() {
        assert!(kept("date-time", "string") && kept("int32", "integer"));
        assert!(!kept("int-or-string", "string") && !kept("int32", "string"));
        assert!(valid("email", "a.b@example.com") && !valid("email", "nope"));
        assert!(valid("ipv4", "10.0.0.1") && !valid("ipv4", "::1") && !valid("ipv4", "1.2.3"));
        assert!(valid("ipv6", "::1") && !valid("ipv6", "10.0.0.1"));
        assert!(valid("cidr", "10.0.0.0/8") && !valid("cidr", "10.0.0.0/33"));
        assert!(valid("mac", "00:1a:2b:3c:4d:5e") && !valid("mac", "00:1a"));
        assert!(valid("uri", "https://x.io/a") && valid("uri", "/a") && !valid("uri", "a b"));
        assert!(valid("date", "2024-02-29") && !valid("date", "2023-02-29"));
        assert!(valid("date-time", "2024-01-01T10:00:00Z") && !valid("datetime", "2024-01-01"));
        assert!(
            valid("duration", "1h30m") && valid("duration", "3 days") && !valid("duration", "x")
        );
        assert!(valid("byte", "aGVsbG8=") && !valid("byte", "") && !valid("byte", "abc"));
        assert!(valid("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(valid("isbn13", "978-0321751041") && valid("isbn10", "0321751043"));
        assert!(valid("creditcard", "4111 1111 1111 1111") && !valid("creditcard", "4111"));
        assert!(valid("hostname", "a.example.com") && !valid("hostname", "-a"));
        assert!(valid("k8s-short-name", "web-1") && !valid("k8s-short-name", "Web"));
    }
}
