//! [`Endpoint`]: what an integration serves: a register, its connection
//! settings, its connection cap and its shutdown signal, with the two steps
//! every upgrade takes ([`admit`](Endpoint::admit), then
//! [`serve`](Endpoint::serve)).

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, header::SEC_WEBSOCKET_PROTOCOL};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;

use crate::{
    CancellationToken, ConnectionConfig, EndReason, EventRegister, Handshake, Rejection, Session,
    Transport,
};

/// Most simultaneous connections of an endpoint unless
/// [`Endpoint::max_connections`] says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// A register ready to be served by an integration: the connection settings
/// ([`ConnectionConfig`]: limits, read buffer, subprotocols), the connection
/// cap and the shutdown token travel with it, so every integration applies
/// the same ones. Cheap to clone; clones share the cap.
///
/// An integration calls [`admit`](Self::admit) before upgrading (and
/// answers a [`Rejection`] with [`Rejection::to_response`]), names
/// [`subprotocol`](Self::subprotocol) in its `101` response, then calls
/// [`serve`](Self::serve) with the upgraded socket. Nothing else is needed.
///
/// ```no_run
/// # async fn adapter<T: zap_core::Transport>(socket: T) {
/// use zap_core::{ConnectionConfig, Endpoint, EventRegister, Handshake};
/// let endpoint = Endpoint::new(EventRegister::new())
///     .config(ConnectionConfig::default().max_message_size(64 * 1024))
///     .max_connections(5_000);
/// let handshake = Handshake::new("/ws", None, Default::default(), None);
/// match endpoint.admit(handshake).await {
///     Ok(admission) => {
///         endpoint.serve(admission, socket).await;
///     }
///     Err(rejection) => {
///         let _response: http::Response<String> = rejection.to_response();
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Endpoint {
    register: EventRegister,
    /// Shared by every session (one pointer each, not a copy).
    config: Arc<ConnectionConfig>,
    shutdown: CancellationToken,
    slots: Arc<Semaphore>,
    /// Sessions parked for a resume wait out their window here, so that a
    /// shutdown waits for them ([`Endpoint::closed`]).
    parked: TaskTracker,
}

/// An upgrade request the endpoint accepted: its [`Handshake`] and one of
/// the endpoint's connection slots, given back when the connection ends.
#[derive(Debug)]
pub struct Admission {
    handshake: Handshake,
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    /// The accepted request.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }
}

impl Endpoint {
    /// Serves `register` with the default [`ConnectionConfig`] and at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections.
    ///
    /// # Panics
    ///
    /// When a handler takes a `State<T>` the register was not given
    /// ([`EventRegister::check_state`]): a mistake to fix before serving.
    #[track_caller]
    pub fn new(register: EventRegister) -> Self {
        if let Err(err) = register.check_state() {
            panic!("{err}");
        }
        Endpoint {
            register,
            config: Arc::new(ConnectionConfig::default()),
            shutdown: CancellationToken::new(),
            slots: Arc::new(Semaphore::new(DEFAULT_MAX_CONNECTIONS)),
            parked: TaskTracker::new(),
        }
    }

    /// Sets the connection settings.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// Most simultaneous connections; further upgrades are answered
    /// `503 Service Unavailable`. Default: [`DEFAULT_MAX_CONNECTIONS`].
    pub fn max_connections(mut self, max: usize) -> Self {
        self.slots = Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS)));
        self
    }

    /// Closes every session with code 1001 when `token` is cancelled.
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }

    /// The register served.
    pub fn register(&self) -> &EventRegister {
        &self.register
    }

    /// The connection settings (an integration applies `max_message_size`
    /// to its frame and message limits and `read_buffer_size` to its reads).
    pub fn connection_config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The shutdown token.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Admits an upgrade request: a connection slot (or
    /// [`Rejection::too_many_connections`], 503), then the register's
    /// authorization hook (or its 401/403).
    pub async fn admit(&self, handshake: Handshake) -> Result<Admission, Rejection> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            tracing::warn!(peer = ?handshake.peer_addr(), "max connections reached: refusing upgrade");
            return Err(Rejection::too_many_connections());
        };
        self.authorize(&handshake).await?;
        Ok(Admission {
            handshake,
            _slot: slot,
        })
    }

    /// Runs the register's authorization hook only (no connection slot is
    /// taken: integrations call [`admit`](Self::admit)).
    pub async fn authorize(&self, handshake: &Handshake) -> Result<(), Rejection> {
        let verdict = self.register.check_handshake(handshake).await;
        if let Err(rejection) = &verdict {
            tracing::debug!(peer = ?handshake.peer_addr(), %rejection, "upgrade refused by the authorization hook");
        }
        verdict
    }

    /// The subprotocol to name in the `101` response: the first one the
    /// request's `Sec-WebSocket-Protocol` headers offer that
    /// [`ConnectionConfig::subprotocols`] lists.
    ///
    /// ```
    /// use zap_core::{ConnectionConfig, Endpoint, EventRegister};
    /// let endpoint = Endpoint::new(EventRegister::new())
    ///     .config(ConnectionConfig::default().subprotocols(["zap.v2", "zap.v1"]));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("sec-websocket-protocol", "chat, zap.v1".parse().unwrap());
    /// assert_eq!(endpoint.subprotocol(&headers).unwrap(), "zap.v1");
    /// ```
    pub fn subprotocol(&self, request_headers: &HeaderMap) -> Option<HeaderValue> {
        let supported = &self.config.subprotocols;
        if supported.is_empty() {
            return None;
        }
        request_headers
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .find(|offered| supported.iter().any(|ours| ours == offered))
            .and_then(|chosen| HeaderValue::from_str(chosen).ok())
    }

    /// Waits until every session parked for a resume by this endpoint has
    /// ended for good (`disconnected` ran) or was handed to a shared store.
    /// Call it after cancelling the shutdown token and waiting for the
    /// connections (`ZapServer::shutdown` does both): at shutdown, a session
    /// kept in this process ends at once, one in a shared store (Redis)
    /// stays there for another instance.
    pub async fn closed(&self) {
        self.parked.close();
        self.parked.wait().await;
    }

    /// Runs one admitted connection to its end, then frees its slot.
    pub async fn serve<T: Transport>(&self, admission: Admission, transport: T) -> EndReason {
        let Admission { handshake, _slot } = admission;
        let end = Session::new(self.register.clone(), handshake)
            .shared_config(self.config.clone())
            .shutdown_token(self.shutdown.clone())
            .parked_tasks(self.parked.clone())
            .run(transport)
            .await;
        tracing::debug!(?end, "websocket session ended");
        end
    }
}

impl From<EventRegister> for Endpoint {
    fn from(register: EventRegister) -> Self {
        Endpoint::new(register)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn handshake() -> Handshake {
        Handshake::new("/ws", None, HeaderMap::new(), None)
    }

    #[tokio::test]
    async fn past_max_connections_the_endpoint_answers_503_until_a_slot_frees() {
        let endpoint = Endpoint::new(EventRegister::new()).max_connections(1);
        let first = endpoint.admit(handshake()).await.unwrap();
        let refused = endpoint.clone().admit(handshake()).await.unwrap_err();
        assert_eq!(refused.status(), 503);
        drop(first);
        assert!(endpoint.admit(handshake()).await.is_ok());
    }

    #[test]
    fn no_subprotocol_is_named_when_none_is_configured() {
        let endpoint = Endpoint::new(EventRegister::new());
        let mut headers = HeaderMap::new();
        headers.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("zap.v1"));
        assert_eq!(endpoint.subprotocol(&headers), None);
    }
}
