//! Messages whose JSON form is not an object of their fields: quantities, int-or-strings,
//! times, durations and embedded raw JSON, written as Go's `MarshalJSON` methods write them.

use std::time::{Duration, SystemTime};

use base64::Engine;
use serde_json::{json, Value};

use super::wire::{fields, Wire};

/// Reads a message's scalar fields: strings, integers and raw bytes by field number.
struct Scalars<'a> {
    ints: Vec<(u64, u64)>,
    bytes: Vec<(u64, &'a [u8])>,
}

impl<'a> Scalars<'a> {
    fn read(buf: &'a [u8]) -> Result<Self, String> {
        let mut s = Scalars {
            ints: vec![],
            bytes: vec![],
        };
        for (n, w) in fields(buf).ok_or("malformed message")? {
            match w {
                Wire::Varint(x) | Wire::Fixed64(x) => s.ints.push((n, x)),
                Wire::Fixed32(x) => s.ints.push((n, u64::from(x))),
                Wire::Bytes(b) => s.bytes.push((n, b)),
            }
        }
        Ok(s)
    }

    fn int(&self, n: u64) -> i64 {
        // Protobuf integers are two's complement in 64 bits: the cast restores the sign.
        self.ints
            .iter()
            .rev()
            .find(|(k, _)| *k == n)
            .map_or(0, |(_, x)| *x as i64)
    }

    fn bytes(&self, n: u64) -> Option<&'a [u8]> {
        self.bytes
            .iter()
            .rev()
            .find(|(k, _)| *k == n)
            .map(|(_, b)| *b)
    }

    fn text(&self, n: u64) -> String {
        String::from_utf8_lossy(self.bytes(n).unwrap_or_default()).into_owned()
    }
}

/// The JSON of a special message, `Ok(None)` for a message decoded field by field, and
/// `Value::Null` for a zero value Go omits (a zero time).
pub fn decode(name: &str, buf: &[u8]) -> Result<Option<Value>, String> {
    let short = name.rsplit('.').next().unwrap_or(name);
    let v = match (name, short) {
        ("apimachinery.pkg.api.resource.Quantity", _) => {
            let s = Scalars::read(buf)?.text(1);
            json!(crate::quantity::canonical(&s).unwrap_or(s))
        }
        ("apimachinery.pkg.util.intstr.IntOrString", _) => {
            let s = Scalars::read(buf)?;
            if s.int(1) == 1 {
                json!(s.text(3))
            } else {
                json!(s.int(2) as i32)
            }
        }
        ("apimachinery.pkg.apis.meta.v1.Time", _) => time(buf, false)?,
        ("apimachinery.pkg.apis.meta.v1.MicroTime", _) => time(buf, true)?,
        ("apimachinery.pkg.apis.meta.v1.Duration", _) => {
            json!(go_duration(Scalars::read(buf)?.int(1)))
        }
        ("apimachinery.pkg.apis.meta.v1.FieldsV1", _)
        | ("apiextensions_apiserver.pkg.apis.apiextensions.v1.Json", _)
        | ("apimachinery.pkg.runtime.RawExtension", _) => raw(Scalars::read(buf)?.bytes(1))?,
        (_, "JsonSchemaPropsOrArray" | "JsonSchemaPropsOrStringArray") => or_array(name, buf)?,
        (_, "JsonSchemaPropsOrBool") => {
            let props = name.replace("OrBool", "");
            let mut schema = None;
            let mut allows = false;
            for (n, w) in fields(buf).ok_or("malformed message")? {
                match (n, w) {
                    (1, Wire::Varint(x)) => allows = x != 0,
                    (2, Wire::Bytes(b)) => schema = Some(super::message(&props, b)?),
                    _ => {}
                }
            }
            schema.unwrap_or(json!(allows))
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// `JSONSchemaPropsOrArray` / `OrStringArray`: the schema, else the list.
fn or_array(name: &str, buf: &[u8]) -> Result<Value, String> {
    let props = name.replace("OrStringArray", "").replace("OrArray", "");
    let strings = name.ends_with("OrStringArray");
    let mut list = vec![];
    for (n, w) in fields(buf).ok_or("malformed message")? {
        match (n, w) {
            (1, Wire::Bytes(b)) => return super::message(&props, b),
            (2, Wire::Bytes(b)) if strings => list.push(json!(String::from_utf8_lossy(b))),
            (2, Wire::Bytes(b)) => list.push(super::message(&props, b)?),
            _ => {}
        }
    }
    Ok(Value::Array(list))
}

/// Embedded JSON (`FieldsV1`, `JSON`, `RawExtension`): parsed, or a base64 string when it is
/// not JSON.
fn raw(bytes: Option<&[u8]>) -> Result<Value, String> {
    let Some(b) = bytes.filter(|b| !b.is_empty()) else {
        return Ok(Value::Null);
    };
    Ok(serde_json::from_slice(b)
        .unwrap_or_else(|_| json!(base64::engine::general_purpose::STANDARD.encode(b))))
}

/// A `Time` (RFC 3339 in seconds) or `MicroTime` (in microseconds); the zero time is null.
fn time(buf: &[u8], micro: bool) -> Result<Value, String> {
    let s = Scalars::read(buf)?;
    let (secs, nanos) = (s.int(1), s.int(2));
    if secs == 0 && nanos == 0 {
        return Ok(Value::Null);
    }
    let offset = Duration::new(secs.unsigned_abs(), u32::try_from(nanos).unwrap_or(0));
    let t = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(offset)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
    .ok_or("time out of range")?;
    Ok(json!(if micro {
        humantime::format_rfc3339_micros(t).to_string()
    } else {
        humantime::format_rfc3339_seconds(t).to_string()
    }))
}

/// A duration as Go's `time.Duration.String` writes it (`1h0m0s`, `1.5s`, `300ms`).
fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        let (unit, div) = match n {
            n if n < 1_000 => ("ns", 1),
            n if n < 1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", fraction(n, div));
    }
    let (h, rest) = (n / 3_600_000_000_000, n % 3_600_000_000_000);
    let (m, s) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let secs = format!("{}s", fraction(s, 1_000_000_000));
    match (h, m) {
        (0, 0) => format!("{sign}{secs}"),
        (0, m) => format!("{sign}{m}m{secs}"),
        (h, m) => format!("{sign}{h}h{m}m{secs}"),
    }
}

/// `n / div` with the remainder as decimals, trailing zeros trimmed.
fn fraction(n: u64, div: u64) -> String {
    let (whole, rem) = (n / div, n % div);
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let decimals = format!("{rem:0width$}");
    format!("{whole}.{}", decimals.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(300_000_000), "300ms");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
    }
}
