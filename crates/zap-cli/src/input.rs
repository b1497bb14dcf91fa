//! Parsing what the user typed: JSON payloads, event headers, durations.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;
use zap_client::Headers;

/// A JSON value typed on the command line, with an error that says what to do.
pub(crate) fn parse_json(what: &str, text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).map_err(|error| {
        anyhow!(
            "{what} is not valid JSON ({error}): {text}\n\
             hint: quote JSON strings twice on a shell, e.g. '\"hello\"' or '{{\"text\": \"hi\"}}'"
        )
    })
}

/// `key=value` (a string) or `key:=JSON` (any JSON value), into `headers`.
pub(crate) fn parse_header(spec: &str, headers: &mut Headers) -> anyhow::Result<()> {
    if let Some((key, json)) = spec.split_once(":=") {
        let key = header_key(key, spec)?;
        let value = parse_json(&format!("header `{key}`"), json)?;
        headers.insert(key, value);
        return Ok(());
    }
    let Some((key, value)) = spec.split_once('=') else {
        bail!("header `{spec}` is not key=value or key:=JSON");
    };
    let key = header_key(key, spec)?;
    headers.insert(key, Value::String(value.to_owned()));
    Ok(())
}

fn header_key(key: &str, spec: &str) -> anyhow::Result<String> {
    let key = key.trim();
    if key.is_empty() {
        bail!("header `{spec}` has an empty key");
    }
    Ok(key.to_owned())
}

/// `NAME: VALUE`, an HTTP header for the handshake.
pub(crate) fn parse_http_header(spec: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = spec
        .split_once(':')
        .with_context(|| format!("HTTP header `{spec}` is not `NAME: VALUE`"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// `10s`, `500ms`, `2m`, `1h`, or a plain number of seconds (`1.5`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 10s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn headers_are_strings_or_json() {
        let mut headers = Headers::new();
        parse_header("room=lobby", &mut headers).expect("a string header");
        parse_header("n:=3", &mut headers).expect("a JSON header");
        parse_header("eq=a=b", &mut headers).expect("value with =");
        assert_eq!(headers["room"], "lobby");
        assert_eq!(headers["n"], 3);
        assert_eq!(headers["eq"], "a=b");
        assert!(parse_header("novalue", &mut headers).is_err());
        assert!(parse_header("n:={", &mut headers).is_err());
    }

    #[test]
    fn bad_json_names_what_was_wrong() {
        let error = parse_json("PAYLOAD_JSON", "{oops").expect_err("invalid");
        assert!(error.to_string().contains("PAYLOAD_JSON is not valid JSON"));
    }
}
