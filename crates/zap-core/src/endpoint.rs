//! [`Endpoint`]: what an integration serves: a register, its connection
//! limits and its shutdown signal, with the two steps every upgrade takes.

use crate::{
    CancellationToken, ConnectionConfig, EndReason, EventRegister, Handshake, Rejection, Session,
    Transport,
};

/// A register ready to be served by an integration: the connection limits
/// and the shutdown token travel with it. Cheap to clone.
///
/// An adapter calls [`authorize`](Self::authorize) before upgrading (and
/// answers a [`Rejection`] with its status), then [`serve`](Self::serve)
/// with the upgraded socket. Nothing else is needed.
///
/// ```no_run
/// # async fn adapter<T: zap_core::Transport>(socket: T) {
/// use zap_core::{ConnectionConfig, Endpoint, EventRegister, Handshake};
/// let endpoint = Endpoint::new(EventRegister::new())
///     .config(ConnectionConfig::default().max_message_size(64 * 1024));
/// let handshake = Handshake::new("/ws", None, Default::default(), None);
/// if endpoint.authorize(&handshake).await.is_ok() {
///     endpoint.serve(handshake, socket).await;
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Endpoint {
    register: EventRegister,
    config: ConnectionConfig,
    shutdown: CancellationToken,
}

impl Endpoint {
    /// Serves `register` with the default [`ConnectionConfig`].
    pub fn new(register: EventRegister) -> Self {
        Endpoint {
            register,
            config: ConnectionConfig::default(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Sets the connection limits.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = config;
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

    /// The connection limits (apply `max_message_size` to the framework's
    /// own frame and message limits too).
    pub fn connection_config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Runs the register's authorization hook for an upgrade request.
    pub async fn authorize(&self, handshake: &Handshake) -> Result<(), Rejection> {
        let verdict = self.register.check_handshake(handshake).await;
        if let Err(rejection) = &verdict {
            tracing::debug!(peer = ?handshake.peer_addr(), %rejection, "upgrade refused by the authorization hook");
        }
        verdict
    }

    /// Runs one upgraded connection to its end.
    pub async fn serve<T: Transport>(&self, handshake: Handshake, transport: T) -> EndReason {
        let end = Session::new(self.register.clone(), handshake)
            .config(self.config.clone())
            .shutdown_token(self.shutdown.clone())
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
