//! [`Dial`]: opening one WebSocket connection (TCP, optional TLS, handshake).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::ConnectError;
use crate::config::Options;

/// Any byte stream a WebSocket can run over (TCP, TLS over TCP, in-memory).
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An open WebSocket, whatever the transport under it.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// What a dial returns.
pub(crate) type Dialing<'a> = Pin<Box<dyn Future<Output = Result<Ws, ConnectError>> + Send + 'a>>;

/// Opens connections. The engine takes one so tests can dial in memory.
pub(crate) trait Dial: Send + Sync + 'static {
    /// Opens one connection to `url` (`options.url`, plus the recovery
    /// query). The caller applies the connect timeout.
    fn dial<'a>(&'a self, url: &'a str, options: &'a Options) -> Dialing<'a>;
}

/// Dials over the network.
#[derive(Debug)]
pub(crate) struct NetDialer;

impl Dial for NetDialer {
    fn dial<'a>(&'a self, url: &'a str, options: &'a Options) -> Dialing<'a> {
        Box::pin(dial(url, options))
    }
}

async fn dial(url: &str, options: &Options) -> Result<Ws, ConnectError> {
    let request = request(url, options)?;
    let uri = request.uri();
    let secure = match uri.scheme_str() {
        Some("ws") => false,
        Some("wss") => true,
        _ => return Err(invalid_url(options, "the scheme must be ws:// or wss://")),
    };
    let host = uri
        .host()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
        .filter(|host| !host.is_empty())
        .ok_or_else(|| invalid_url(options, "no host"))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });

    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| ConnectError::Io(Arc::new(e)))?;
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot disable Nagle's algorithm");
    }
    let io: Box<dyn Io> = if secure {
        secure_stream(tcp, &host, options).await?
    } else {
        Box::new(tcp)
    };

    let config = WebSocketConfig::default().max_message_size(options.max_message_size);
    let (ws, response) = client_async_with_config(request, io, Some(config))
        .await
        .map_err(handshake_error)?;
    tracing::debug!(url = %options.url, status = %response.status(), "WebSocket handshake done");
    Ok(ws)
}

#[cfg(feature = "tls")]
async fn secure_stream(
    tcp: TcpStream,
    host: &str,
    options: &Options,
) -> Result<Box<dyn Io>, ConnectError> {
    super::tls::wrap(tcp, host, options.tls.as_ref()).await
}

#[cfg(not(feature = "tls"))]
async fn secure_stream(
    _tcp: TcpStream,
    _host: &str,
    _options: &Options,
) -> Result<Box<dyn Io>, ConnectError> {
    Err(ConnectError::TlsNotEnabled)
}

/// The upgrade request: the URL, the extra headers, the subprotocols.
fn request(url: &str, options: &Options) -> Result<Request, ConnectError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| invalid_url(options, &e.to_string()))?;
    let headers = request.headers_mut();
    for (name, value) in &options.headers {
        let invalid = || ConnectError::InvalidHeader { name: name.clone() };
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        headers.append(header, value);
    }
    if !options.subprotocols.is_empty() {
        let offered = options.subprotocols.join(", ");
        let value = HeaderValue::from_str(&offered).map_err(|_| ConnectError::InvalidHeader {
            name: "sec-websocket-protocol".to_owned(),
        })?;
        headers.insert("sec-websocket-protocol", value);
    }
    Ok(request)
}

fn invalid_url(options: &Options, reason: &str) -> ConnectError {
    ConnectError::InvalidUrl {
        url: options.url.clone(),
        reason: reason.to_owned(),
    }
}

fn handshake_error(error: WsError) -> ConnectError {
    match error {
        WsError::Http(response) => ConnectError::Rejected {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_deref()
                .map(crate::error::body_text)
                .unwrap_or_default(),
        },
        WsError::Io(error) => ConnectError::Io(Arc::new(error)),
        WsError::ConnectionClosed | WsError::AlreadyClosed => ConnectError::Io(Arc::new(
            io::Error::new(io::ErrorKind::UnexpectedEof, "closed during the handshake"),
        )),
        other => ConnectError::Handshake(Arc::new(other)),
    }
}
