//! [`upgrade`]: WebSocket upgrades taken out of actix-http's HTTP/1
//! dispatcher (`HttpServiceBuilder::upgrade`), so that the connection is
//! served by zap-tungstenite on the bare `TcpStream`, as in zap-server.
//!
//! Through an actix-web route ([`ZapHandler`](crate::ZapHandler)), the
//! WebSocket is the response body of a request that never ends: actix-http's
//! dispatcher (its two 8 KiB buffers, its task) and actix-ws's message
//! channel stay under every connection, about 12 KB per idle connection
//! more than zap-server. actix-web's `HttpServer` sets no upgrade service;
//! an actix-http `HttpService` built with this one hands the socket over
//! and its dispatcher ends.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Context;

use actix_codec::{Framed, FramedParts};
use actix_http::body::BoxBody;
use actix_http::{Request, Response, StatusCode, h1};
use actix_web::dev::{ServiceFactory, fn_service};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use zap_core::{Endpoint, Handshake, Rejection};
use zap_tungstenite::{WsTransport, accept_response, application_headers, websocket_config};

/// Why an upgrade could not be answered: the socket failed while the
/// response was written.
#[derive(Debug, thiserror::Error)]
#[error("writing the upgrade response failed: {0}")]
pub struct UpgradeError(#[from] io::Error);

impl From<UpgradeError> for Response<BoxBody> {
    fn from(_: UpgradeError) -> Self {
        Response::new(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The upgrade service of an actix-http `HttpService`
/// (`HttpService::build().upgrade(zap_actix::upgrade(endpoint, "/ws"))`):
/// actix-http hands it every request asking for a WebSocket (`Upgrade:
/// websocket`) with the connection itself. A request for `path` is
/// validated, admitted (connection cap, authorization hook) and answered
/// `101`, then `endpoint`'s session runs on the socket in a task of its own,
/// through zap-tungstenite's transport, and nothing of actix-http's
/// connection stays. A request for another path is answered 404, an
/// invalid upgrade 400 (426 for another WebSocket version), a refusal with
/// its status.
///
/// Every WebSocket upgrade of the server comes here, whatever the path:
/// other WebSocket routes of the app are not reached. Requests that are no
/// upgrade go to the app; route `path` to a [`ZapHandler`](crate::ZapHandler)
/// too, so that they get the same answers as from the other integrations.
///
/// ```no_run
/// use actix_http::HttpService;
/// use actix_web::dev::{AppConfig, Server};
/// use actix_web::{App, web};
/// use zap_core::{Endpoint, EventRegister};
///
/// # async fn demo() -> std::io::Result<()> {
/// let endpoint = Endpoint::new(EventRegister::new());
/// let ws = zap_actix::ZapHandler::new(endpoint.clone());
/// Server::build()
///     .bind("zap", ("127.0.0.1", 8000), move || {
///         let app = App::new().route("/ws", web::get().to(ws.clone()));
///         HttpService::build()
///             .upgrade(zap_actix::upgrade(endpoint.clone(), "/ws"))
///             .finish(actix_service::map_config(app, |_| AppConfig::default()))
///             .tcp()
///     })?
///     .run()
///     .await
/// # }
/// ```
pub fn upgrade(
    endpoint: Endpoint,
    path: impl Into<String>,
) -> impl ServiceFactory<
    (Request, Framed<TcpStream, h1::Codec>),
    Config = (),
    Response = (),
    Error = UpgradeError,
    InitError = (),
> + Clone {
    let endpoint = Arc::new(endpoint);
    let path: Arc<str> = path.into().into();
    fn_service(
        move |(request, framed): (Request, Framed<TcpStream, h1::Codec>)| {
            answer(endpoint.clone(), path.clone(), request, framed)
        },
    )
}

/// Answers one upgrade request and, once it is accepted, starts its
/// session.
async fn answer(
    endpoint: Arc<Endpoint>,
    path: Arc<str>,
    request: Request,
    framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), UpgradeError> {
    let FramedParts {
        io: mut tcp,
        read_buf,
        ..
    } = framed.into_parts();
    let head = request.head();
    if head.uri.path() != &*path {
        let refusal = Rejection::with_status(http::StatusCode::NOT_FOUND)
            .with_reason("no WebSocket endpoint at this path");
        return refuse(&mut tcp, refusal.to_response()).await;
    }
    let method =
        http::Method::from_bytes(head.method.as_str().as_bytes()).unwrap_or(http::Method::OPTIONS);
    let headers = headers_of(&head.headers);
    let accepted = match accept_response(&method, &headers, &endpoint) {
        Ok(accepted) => accepted,
        Err(not_an_upgrade) => {
            return refuse(&mut tcp, not_an_upgrade.rejection().to_response()).await;
        }
    };
    let query = head.uri.query().map(str::to_owned);
    let peer: Option<SocketAddr> = head.peer_addr;
    let handshake = Handshake::new(head.uri.path(), query, application_headers(headers), peer);
    let admission = match endpoint.admit(handshake).await {
        Ok(admission) => admission,
        Err(rejection) => return refuse(&mut tcp, rejection.to_response()).await,
    };
    tcp.write_all(&head_bytes(&accepted.map(|()| String::new())))
        .await?;
    let leftover = read_buf.to_vec();
    drop(read_buf);
    let config = websocket_config(endpoint.connection_config());
    let readiness = |tcp: &mut TcpStream, cx: &mut Context<'_>| tcp.poll_read_ready(cx).map(|_| ());
    // The transport is made in the session's task (tokio-tungstenite keeps
    // the waker of the task that makes a WebSocket until its first read),
    // and boxed (the session's future keeps its transport once per async fn
    // it passes through).
    actix_web::rt::spawn(async move {
        let transport = WsTransport::server(tcp, leftover, config, Some(readiness)).await;
        endpoint.serve(admission, Box::new(transport)).await;
    });
    Ok(())
}

/// actix-http's headers (`http` 0.2) as `http` 1's, all of them (the
/// upgrade's mechanics are checked, then dropped by `application_headers`).
fn headers_of(headers: &actix_http::header::HeaderMap) -> http::HeaderMap {
    let mut converted = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes());
        let value = http::HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            converted.append(name, value);
        }
    }
    converted
}

/// Writes a refusal and closes the connection.
async fn refuse(tcp: &mut TcpStream, response: http::Response<String>) -> Result<(), UpgradeError> {
    tcp.write_all(&head_bytes(&response)).await?;
    tcp.write_all(response.body().as_bytes()).await?;
    tcp.shutdown().await?;
    Ok(())
}

/// `response`'s status line and headers, then (but for a `101`) its
/// `Content-Length` and `Connection: close`: the body follows.
fn head_bytes(response: &http::Response<String>) -> Vec<u8> {
    let status = response.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in response.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if status != http::StatusCode::SWITCHING_PROTOCOLS {
        let length = format!(
            "content-length: {}\r\nconnection: close\r\n",
            response.body().len()
        );
        head.extend_from_slice(length.as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_its_length_and_closes() {
        let refusal = Rejection::with_status(http::StatusCode::NOT_FOUND).with_reason("gone");
        let response = refusal.to_response();
        let head = String::from_utf8(head_bytes(&response)).unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
        let length = format!("content-length: {}\r\n", response.body().len());
        assert!(head.contains(&length), "{head}");
        assert!(head.ends_with("connection: close\r\n\r\n"), "{head}");
    }
}
