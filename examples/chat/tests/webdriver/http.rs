//! One WebDriver command over HTTP/1.1: a blocking request (run on tokio's
//! blocking pool), `Connection: close`, JSON in and out.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

/// The longest one command may take (the page waits inside are shorter).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends `method path` with an optional JSON body; returns the `value` of
/// the answer, or the WebDriver error it holds.
pub fn call_blocking(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect_timeout(&addr, COMMAND_TIMEOUT)
        .with_context(|| format!("cannot reach chromedriver at {addr}"))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let body = read_body(&mut stream)
        .with_context(|| format!("no answer from chromedriver to {method} {path}"))?;
    let answer: Value = serde_json::from_str(&body)
        .with_context(|| format!("answer to {method} {path} is not JSON: {body}"))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("{method} {path}: {error}: {message}");
    }
    Ok(value)
}

/// Reads one response's body, by its `Content-Length` (chromedriver keeps
/// the connection open, so reading to the end would wait for the timeout).
fn read_body(stream: &mut TcpStream) -> anyhow::Result<String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the connection closed before the headers ended");
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    if head.contains("transfer-encoding: chunked") {
        bail!("chromedriver answered with a chunked body, which this client does not read");
    }
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .context("an answer without Content-Length")?
        .trim()
        .parse()?;
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the connection closed before the body ended");
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(String::from_utf8_lossy(&buffer[head_end..head_end + length]).into_owned())
}

/// [`call_blocking`] on tokio's blocking pool.
pub async fn call(
    addr: SocketAddr,
    method: &'static str,
    path: String,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    tokio::task::spawn_blocking(move || call_blocking(addr, method, &path, body.as_ref()))
        .await
        .context("the WebDriver call panicked")?
}
