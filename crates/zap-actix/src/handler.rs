//! [`ZapHandler`]: the actix-web handler that upgrades a request and runs an
//! [`EventRegister`] on the WebSocket.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister, Handshake};

use crate::limit::FrameLimit;
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
    ZapHandler {
        endpoint: Endpoint::new(register).config(config),
    }
}

/// The actix-web [`Handler`] made by [`handler`] and
/// [`handler_with_config`]: route it with `web::get().to(…)`.
#[derive(Debug, Clone)]
#[must_use = "a handler does nothing until it is routed"]
pub struct ZapHandler {
    endpoint: Endpoint,
}

impl ZapHandler {
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
        let (response, session, stream) = match actix_ws::handle(&request, body) {
            Ok(upgrade) => upgrade,
            Err(err) => return err.error_response(),
        };
        let peer = request.peer_addr();
        let query = request.uri().query().map(str::to_owned);
        let handshake = Handshake::new(request.path(), query, headers(&request), peer);
        if let Err(rejection) = self.endpoint.authorize(&handshake).await {
            let status = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::FORBIDDEN);
            return HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(format!("{}\n", rejection.reason()));
        }
        // The codec's own limits (64 KiB frames by default) are raised to
        // the configured one; `FrameLimit` refuses oversized frames earlier.
        let stream = stream
            .max_frame_size(max)
            .aggregate_continuations()
            .max_continuation_size(max);
        // actix-ws's stream is not `Send`: the session stays on this worker.
        actix_web::rt::spawn(async move {
            self.endpoint
                .serve(handshake, ActixTransport::new(session, stream))
                .await;
        });
        response
    }
}

/// actix-web 4 is on `http` 0.2; zap-core's handshake on `http` 1.
fn headers(request: &HttpRequest) -> http::HeaderMap {
    let convert = |(name, value): (
        &actix_web::http::header::HeaderName,
        &actix_web::http::header::HeaderValue,
    )| {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
        Some((name, http::HeaderValue::from_bytes(value.as_bytes()).ok()?))
    };
    request.headers().iter().filter_map(convert).collect()
}

impl Handler<(HttpRequest, web::Payload)> for ZapHandler {
    type Output = HttpResponse;
    type Future = LocalBoxFuture<'static, HttpResponse>;

    fn call(&self, (request, body): (HttpRequest, web::Payload)) -> Self::Future {
        Box::pin(self.clone().upgrade(request, body))
    }
}
