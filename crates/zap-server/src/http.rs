//! The HTTP side of the upgrade: reading the request head with httparse and
//! writing plain responses (400, 401/403, 431, 503, the fallback's page, 101).

use std::fmt::Write as _;

use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head accepted before answering 431.
const MAX_HEAD: usize = 16 * 1024;
/// Most headers accepted in one request.
const MAX_HEADERS: usize = 64;

/// Why a request head could not be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The peer closed or the socket failed before a full head arrived.
    Io,
    /// The head is not valid HTTP/1.x.
    Malformed(String),
    /// The head exceeds [`MAX_HEAD`] or [`MAX_HEADERS`].
    TooLarge,
}

/// Reads one request head; returns it with any bytes read past its end.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(Request<()>, Vec<u8>), HeadError> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        let read = stream.read_buf(&mut buf).await.map_err(|_| HeadError::Io)?;
        if read == 0 {
            return Err(HeadError::Io);
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Partial) => continue,
            Ok(httparse::Status::Complete(end)) => {
                let request = to_request(&parsed)?;
                let leftover = buf.split_off(end);
                return Ok((request, leftover));
            }
            Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
            Err(err) => return Err(HeadError::Malformed(err.to_string())),
        }
    }
}

fn to_request(parsed: &httparse::Request<'_, '_>) -> Result<Request<()>, HeadError> {
    let malformed = |what: &str| HeadError::Malformed(what.to_owned());
    let mut builder = Request::builder()
        .method(parsed.method.ok_or_else(|| malformed("no method"))?)
        .uri(parsed.path.ok_or_else(|| malformed("no request target"))?)
        .version(match parsed.version {
            Some(0) => http::Version::HTTP_10,
            _ => http::Version::HTTP_11,
        });
    let headers = builder
        .headers_mut()
        .ok_or_else(|| malformed("invalid method or request target"))?;
    for header in parsed.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| malformed("invalid header name"))?;
        let value =
            HeaderValue::from_bytes(header.value).map_err(|_| malformed("invalid header value"))?;
        headers.append(name, value);
    }
    builder
        .body(())
        .map_err(|err| HeadError::Malformed(err.to_string()))
}

/// Writes a complete plain-text response and closes the exchange.
pub(crate) async fn write_plain<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: StatusCode,
    body: &str,
) -> std::io::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    write_response(stream, status, &headers, body.as_bytes()).await
}

/// Writes a response given by the application's HTTP fallback.
pub(crate) async fn write_custom<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: Response<String>,
) -> std::io::Result<()> {
    let (parts, body) = response.into_parts();
    write_response(stream, parts.status, &parts.headers, body.as_bytes()).await
}

async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> std::io::Result<()> {
    // One write: a client that reads the status reads the body with it
    // (zap-client shows a refusal's body, which says why).
    let response = response_bytes(status, headers, body);
    stream.write_all(&response).await?;
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

/// A whole response, head and body, as bytes.
fn response_bytes(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut head = String::with_capacity(256);
    let reason = status.canonical_reason().unwrap_or("");
    let _ = write!(head, "HTTP/1.1 {} {reason}\r\n", status.as_u16());
    for (name, value) in headers {
        if name == http::header::CONTENT_LENGTH || name == http::header::CONNECTION {
            continue;
        }
        if let Ok(value) = value.to_str() {
            let _ = write!(head, "{name}: {value}\r\n");
        }
    }
    let _ = write!(
        head,
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    response
}

/// Writes the `101 Switching Protocols` response.
pub(crate) async fn write_switching<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: &Response<()>,
) -> std::io::Result<()> {
    let mut head = String::with_capacity(160);
    head.push_str("HTTP/1.1 101 Switching Protocols\r\n");
    for (name, value) in response.headers() {
        if let Ok(value) = value.to_str() {
            let _ = write!(head, "{name}: {value}\r\n");
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await
}
