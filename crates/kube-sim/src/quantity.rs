//! Resource quantities (`500m`, `1Gi`, `2e3`) in the canonical form the API server stores:
//! the same value, its format kept (binary SI, decimal SI or decimal exponent), with the
//! largest suffix that keeps the number whole (`1000m` -> `1`, `1024Mi` -> `1Gi`).

/// How a quantity was written, which decides how it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    BinarySi,
    DecimalSi,
    DecimalExponent,
}

/// A parsed quantity: `mantissa * 10^scale` (exact), and its format.
#[derive(Debug, Clone, Copy)]
struct Parsed {
    mantissa: i128,
    scale: i32,
    format: Format,
}

/// Whether `s` parses as a quantity.
pub fn is_valid(s: &str) -> bool {
    parse(s).is_some()
}

/// The canonical form of quantity `s`, or `None` when `s` is not a quantity (or too large to
/// handle exactly, in which case callers keep it as written).
pub fn canonical(s: &str) -> Option<String> {
    let p = parse(s)?;
    Some(format(p))
}

fn decimal_suffix(s: &str) -> Option<i32> {
    Some(match s {
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "" => 0,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        _ => return None,
    })
}

fn binary_suffix(s: &str) -> Option<u32> {
    Some(match s {
        "Ki" => 1,
        "Mi" => 2,
        "Gi" => 3,
        "Ti" => 4,
        "Pi" => 5,
        "Ei" => 6,
        _ => return None,
    })
}

fn parse(s: &str) -> Option<Parsed> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut scale = -(frac.len() as i32);
    let format = if let Some(e) = decimal_suffix(suffix) {
        scale += e;
        Format::DecimalSi
    } else if let Some(b) = binary_suffix(suffix) {
        mantissa = mantissa.checked_mul(1i128 << (10 * b))?;
        Format::BinarySi
    } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
        let e: i32 = exp.parse().ok()?;
        if !(-100..=100).contains(&e) {
            return None;
        }
        scale += e;
        Format::DecimalExponent
    } else {
        return None;
    };
    if negative {
        mantissa = -mantissa;
    }
    Some(normalise(Parsed {
        mantissa,
        scale,
        format,
    }))
}

/// Rounds up to nano precision and strips trailing zeros into the scale.
fn normalise(mut p: Parsed) -> Parsed {
    if p.scale < -9 {
        let shift = (-9 - p.scale) as u32;
        let div = 10i128.checked_pow(shift).unwrap_or(i128::MAX);
        let q = p.mantissa / div;
        let r = p.mantissa % div;
        p.mantissa = if r > 0 { q + 1 } else { q };
        p.scale = -9;
    }
    if p.mantissa == 0 {
        p.scale = 0;
        return p;
    }
    while p.mantissa % 10 == 0 {
        p.mantissa /= 10;
        p.scale += 1;
    }
    p
}

fn format(p: Parsed) -> String {
    if p.mantissa == 0 {
        return "0".into();
    }
    if p.format == Format::BinarySi {
        if let Some(s) = format_binary(p) {
            return s;
        }
    }
    // Decimal: the largest multiple of three not above the scale keeps the mantissa whole.
    let mut exp = p.scale.div_euclid(3) * 3;
    exp = exp.clamp(-9, 18);
    let Some(m) = 10i128
        .checked_pow((p.scale - exp) as u32)
        .and_then(|f| p.mantissa.checked_mul(f))
    else {
        return format!("{}e{}", p.mantissa, p.scale);
    };
    match p.format {
        Format::DecimalExponent => {
            if exp == 0 {
                m.to_string()
            } else {
                format!("{m}e{exp}")
            }
        }
        _ => {
            let suffix = match exp {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                18 => "E",
                _ => "",
            };
            format!("{m}{suffix}")
        }
    }
}

/// Binary SI when the value is a whole number of at least 1024 in magnitude.
fn format_binary(p: Parsed) -> Option<String> {
    if p.scale < 0 {
        return None;
    }
    let value = p
        .mantissa
        .checked_mul(10i128.checked_pow(p.scale as u32)?)?;
    if value.abs() < 1024 {
        return None;
    }
    let mut k = 0;
    let mut v = value;
    while k < 6 && v % 1024 == 0 {
        v /= 1024;
        k += 1;
    }
    let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
    Some(format!("{v}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_forms_match_the_api_server() {
        for (input, want) in [
            ("1000m", "1"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("500m", "500m"),
            ("0.5", "500m"),
            ("0.1", "100m"),
            ("1", "1"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("1G", "1G"),
            ("1000M", "1G"),
            ("10Gi", "10Gi"),
            ("1.5Gi", "1536Mi"),
            ("1.1Gi", "1181116006400m"),
            ("512Ki", "512Ki"),
            ("0.5Ki", "512"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("1e3", "1e3"),
            ("100m", "100m"),
            ("0", "0"),
            ("0Mi", "0"),
            ("0.0000000001", "1n"),
            ("-1000m", "-1"),
        ] {
            assert_eq!(canonical(input).as_deref(), Some(want), "{input}");
        }
        for bad in ["", "1.2.3", "abc", "1Xi", "Mi", "1 Gi"] {
            assert_eq!(canonical(bad), None, "{bad}");
        }
    }
}
