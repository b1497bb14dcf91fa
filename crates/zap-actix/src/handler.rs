//! [`ZapHandler`]: the actix-web handler that upgrades a request and runs an
//! [`EventRegister`] on the WebSocket.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister, Handshake};

use crate::limit::FrameLimit;
use crate::outgoing::Outgoing;
use crate::transport::ActixTransport;

/// An actix-web handler serving `register` with the default
/// [`ConnectionConfig`].
///
/// ```
/// use actix_web::{App, web};
/// # let register = zap_core::EventRegister::new();
/// let app = App::new().route("/ws", web::get().to(zap_actix::handler(register)));
/// # drop(app);
/// ```
pub fn handler(register: EventRegister) -> ZapHandler {
    handler_with_config(register, ConnectionConfig::default())
}

/// An actix-web handler serving `register` with these connection limits.
///
/// ```
/// use actix_web::{App, web};
/// use zap_core::ConnectionConfig;
/// # let register = zap_core::EventRegister::new();
/// let config = ConnectionConfig::default().max_message_size(256 * 1024);
/// let app = App::new().route("/ws", web::get().to(zap_actix::handler_with_config(register, config)));
/// # drop(app);
/// ```
pub fn handler_with_config(register: EventRegister, config: ConnectionConfig) -> ZapHandler {
    ZapHandler::new(Endpoint::new(register).config(config))
}

/// The actix-web [`Handler`] made by [`handler`], [`handler_with_config`]
/// and [`ZapHandler::new`]: route it with `web::get().to(…)`.
#[derive(Debug, Clone)]
#[must_use = "a handler does nothing until it is routed"]
pub struct ZapHandler {
    endpoint: Endpoint,
}

impl ZapHandler {
    /// A handler serving `endpoint`: its register, [`ConnectionConfig`],
    /// connection cap and shutdown token.
    ///
    /// ```
    /// use actix_web::{App, web};
    /// use zap_core::{Endpoint, EventRegister};
    /// let endpoint = Endpoint::new(EventRegister::new()).max_connections(5_000);
    /// let ws = zap_actix::ZapHandler::new(endpoint);
    /// let app = App::new().route("/ws", web::get().to(ws));
    /// # drop(app);
    /// ```
    pub fn new(endpoint: Endpoint) -> Self {
        ZapHandler { endpoint }
    }

    /// Closes every session of this handler with code 1001 when `token` is
    /// cancelled (see [graceful shutdown](crate#graceful-shutdown)).
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.endpoint = self.endpoint.shutdown_token(token);
        self
    }

    async fn upgrade(self, request: HttpRequest, body: web::Payload) -> HttpResponse {
        let max = self.endpoint.connection_config().max_message_size;
        let mut limited = FrameLimit::payload(body.into_inner(), max);
        let body = match web::Payload::from_request(&request, &mut limited).await {
            Ok(body) => body,
            Err(err) => return err.error_response(),
        };
        // actix-ws validates the upgrade and reads the frames; its `Session`
        // (and the body it feeds) is replaced by `Outgoing`.
        let (mut response, _session, stream) = match actix_ws::handle(&request, body) {
            Ok(upgrade) => upgrade,
            Err(err) => return err.error_response(),
        };
        let peer = request.peer_addr();
        let query = request.uri().query().map(str::to_owned);
        let headers = headers(&request);
        if let Some(chosen) = self.endpoint.subprotocol(&headers)
            && let Ok(value) = HeaderValue::from_bytes(chosen.as_bytes())
        {
            response.headers_mut().insert(SEC_WEBSOCKET_PROTOCOL, value);
        }
        let handshake = Handshake::new(request.path(), query, headers, peer);
        let admission = match self.endpoint.admit(handshake).await {
            Ok(admission) => admission,
            Err(rejection) => return actix_response(rejection.to_response()),
        };
        // The codec's own limits (64 KiB frames by default) are raised to
        // the configured one; `FrameLimit` refuses oversized frames earlier.
        let stream = stream
            .max_frame_size(max)
            .aggregate_continuations()
            .max_continuation_size(max);
        let (response, actix_ws_body) = response.into_parts();
        let (out, body) = Outgoing::new(actix_ws_body);
        // actix-ws's stream is not `Send`: the session stays on this worker.
        // The transport is boxed: the session's future keeps it once per
        // async fn it passes through (their arguments are not overlapped
        // with their later states), a box only 8 bytes each time.
        actix_web::rt::spawn(async move {
            let transport = Box::new(ActixTransport::new(out, stream));
            self.endpoint.serve(admission, transport).await;
        });
        response.set_body(body).map_into_boxed_body()
    }
}

/// zap-core's response (`http` 1) as actix-web's (`http` 0.2).
fn actix_response(response: http::Response<String>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::FORBIDDEN);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        builder.insert_header((name.as_str(), value.as_bytes()));
    }
    builder.body(body)
}

/// The request's headers for the handshake, without the WebSocket
/// upgrade's own mechanics (`Sec-WebSocket-Key`, `Upgrade`, …), as the other
/// integrations keep them: actix-web 4 is on `http` 0.2, zap-core's
/// handshake on `http` 1. The values are copied into one buffer and the map
/// sized to what it holds, since it lives as long as the connection.
fn headers(request: &HttpRequest) -> http::HeaderMap {
    use actix_web::http::header;
    let mechanics = [
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_KEY,
        header::SEC_WEBSOCKET_VERSION,
        header::SEC_WEBSOCKET_EXTENSIONS,
    ];
    let kept = || {
        request
            .headers()
            .iter()
            .filter(|(name, _)| !mechanics.contains(name))
    };
    let (count, bytes) = kept().fold((0, 0), |(count, bytes), (_, value)| {
        (count + 1, bytes + value.len())
    });
    let mut values = bytes::BytesMut::with_capacity(bytes);
    for (_, value) in kept() {
        values.extend_from_slice(value.as_bytes());
    }
    let mut values = values.freeze();
    let mut headers = http::HeaderMap::with_capacity(count);
    for (name, value) in kept() {
        let copied = values.split_to(value.len());
        let Ok(name) = http::HeaderName::from_bytes(name.as_str().as_bytes()) else {
            continue;
        };
        if let Ok(value) = http::HeaderValue::from_maybe_shared(copied) {
            headers.append(name, value);
        }
    }
    headers
}

impl Handler<(HttpRequest, web::Payload)> for ZapHandler {
    type Output = HttpResponse;
    type Future = LocalBoxFuture<'static, HttpResponse>;

    fn call(&self, (request, body): (HttpRequest, web::Payload)) -> Self::Future {
        Box::pin(self.clone().upgrade(request, body))
    }
}
