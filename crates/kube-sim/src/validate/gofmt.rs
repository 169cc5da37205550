//! How Go prints JSON values in field errors: `%v` for numbers and booleans, `%q` for strings,
//! `encoding/json` (sorted keys, HTML-escaped) for objects and arrays.

use serde_json::Value;

/// A value as `field.Error` prints its bad value.
pub fn value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => number(n),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => json(other),
    }
}

/// A JSON number as Go's `%v` prints an `int64` or a `float64`.
pub fn number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i.to_string(),
        (_, Some(u)) => u.to_string(),
        _ => float(n.as_f64().unwrap_or(0.0)),
    }
}

/// Go's `%v` of a `float64`: the shortest digits, in exponent form below 1e-4 or from 1e6.
pub fn float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{f:e}");
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", e.abs());
    }
    let s = format!("{f}");
    s.strip_suffix(".0").map(String::from).unwrap_or(s)
}

/// Go's `json.Marshal` of a decoded JSON value.
pub fn json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !(n.is_i64() || n.is_u64()) => {
                let exp = if f == 0.0 {
                    0
                } else {
                    f.abs().log10().floor() as i32
                };
                if (-6..21).contains(&exp) {
                    let s = format!("{f}");
                    out.push_str(s.strip_suffix(".0").unwrap_or(&s));
                } else {
                    out.push_str(&float(f));
                }
            }
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                write_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn values_print_as_go_prints_them() {
        assert_eq!(super::value(&json!("a")), "\"a\"");
        assert_eq!(super::value(&json!(7)), "7");
        assert_eq!(super::value(&json!(7.5)), "7.5");
        assert_eq!(super::float(5.0), "5");
        assert_eq!(super::float(1e21), "1e+21");
        assert_eq!(super::float(1234567.0), "1.234567e+06");
        assert_eq!(super::float(123456.0), "123456");
        assert_eq!(
            super::value(&json!({"b": 1, "a": "<"})),
            r#"{"a":"\u003c","b":1}"#
        );
    }
}
