//! [`TestServer`]: a register served in memory, exactly as an integration
//! serves it (authorization hook, then zap-core's session loop), with no
//! socket and no port.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::task::AbortHandle;
use zap_core::{
    CancellationToken, ConnectionConfig, ConnectionId, ConnectionRouter, Endpoint, EventRegister,
    Rejection,
};

use crate::client::{CutClient, TestClient, WAIT};
use crate::inbox::Inbox;
use crate::recovery::Recovery;
use crate::transport::link;
use crate::{Connect, RoomView};

/// A register served in memory.
///
/// Each [`connect`](Self::connect) runs one zap-core session over an
/// in-memory link, after the register's authorization hook, just as
/// `zap-server` and the framework adapters do: handlers, rooms, limits,
/// heartbeats and close codes behave as in production. Nothing binds a
/// port, and everything works under tokio's paused clock
/// (`#[tokio::test(start_paused = true)]`), where timeouts and heartbeats
/// pass in virtual time.
///
/// ```
/// use zap_core::EventRegister;
/// use zap_test::TestServer;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let register = EventRegister::new().on_event("ping", |ctx| async move {
///     ctx.connection().send("pong", ctx.payload())?;
///     Ok(())
/// });
/// let server = TestServer::new(register);
/// let mut client = server.connect().await;
/// client.send("ping", 42);
/// client.expect_payload("pong", 42).await;
/// # }
/// ```
#[derive(Debug)]
pub struct TestServer {
    endpoint: Endpoint,
    shutdown: CancellationToken,
    next_tag: AtomicU64,
    /// Every session started, to abort them when the node is killed.
    sessions: Mutex<Vec<AbortHandle>>,
    /// Every client connected, for room views.
    clients: Mutex<Vec<(ConnectionId, Weak<Inbox>)>>,
}

/// Marks the connection a test client opened, to find it in the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClientTag(u64);

impl TestServer {
    /// Serves `register` with the default [`ConnectionConfig`].
    pub fn new(register: EventRegister) -> Self {
        TestServer::with_config(register, ConnectionConfig::default())
    }

    /// Serves `register` with these connection limits.
    pub fn with_config(register: EventRegister, config: ConnectionConfig) -> Self {
        let shutdown = CancellationToken::new();
        let endpoint = Endpoint::new(register)
            .config(config)
            .shutdown_token(shutdown.clone());
        TestServer {
            endpoint,
            shutdown,
            next_tag: AtomicU64::new(1),
            sessions: Mutex::default(),
            clients: Mutex::default(),
        }
    }

    /// The router of the register served: its connections and rooms.
    pub fn router(&self) -> &ConnectionRouter {
        self.endpoint.register().router()
    }

    /// Connects to `/` and waits until `connected` has run.
    ///
    /// # Panics
    /// If the authorization hook refuses the connection.
    pub async fn connect(&self) -> TestClient {
        match self.connect_with(Connect::new()).await {
            Ok(client) => client,
            Err(rejection) => panic!("the authorization hook refused the connection: {rejection}"),
        }
    }

    /// Connects with this request and waits until `connected` has run; the
    /// authorization hook's refusal is an `Err`.
    pub async fn connect_with(&self, options: Connect) -> Result<TestClient, Rejection> {
        let inbox = Arc::new(Inbox::new(Recovery::new(options.recover)));
        self.open(options, inbox, WAIT).await
    }

    /// Reconnects a client whose link was cut, with everything it
    /// received so far. A client that asked for recovery
    /// ([`Connect::recover`]) resumes its session: it names its session
    /// token and last offsets, drops duplicates and resends what the
    /// server did not acknowledge; the server's first event then is
    /// `zap.session` saying whether everything missed follows.
    pub async fn resume(&self, cut: CutClient) -> Result<TestClient, Rejection> {
        self.open(cut.options, cut.inbox, cut.wait).await
    }

    async fn open(
        &self,
        options: Connect,
        inbox: Arc<Inbox>,
        wait: std::time::Duration,
    ) -> Result<TestClient, Rejection> {
        let recovery = inbox.lock().recovery.query_pairs();
        let handshake = options.handshake(&recovery);
        let admission = self.endpoint.admit(handshake).await?;
        let tag = ClientTag(self.next_tag.fetch_add(1, Ordering::Relaxed));
        admission.handshake().extensions().insert(tag);

        let (transport, peer) = link(options.answer_pings);
        inbox.attach(peer.to_server);
        let reader = tokio::spawn({
            let inbox = inbox.clone();
            async move { inbox.pump(peer.from_server).await }
        });
        let endpoint = self.endpoint.clone();
        let session = tokio::spawn(async move { endpoint.serve(admission, transport).await });
        self.lock_sessions().push(session.abort_handle());

        // The loop reads once `connected` has run (or the session is over).
        if tokio::time::timeout(wait, peer.reading).await.is_err() {
            panic!("the `connected` handler did not finish within {wait:?}");
        }
        let connection = self
            .router()
            .connections()
            .into_iter()
            .find(|c| c.extensions().get::<ClientTag>() == Some(tag));
        if let Some(connection) = &connection {
            self.clients
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((connection.id().clone(), Arc::downgrade(&inbox)));
        }
        Ok(TestClient {
            inbox,
            options,
            connection,
            session: Some(session),
            reader,
            wait,
            next_request: 0,
        })
    }

    /// A view of `room` on this server: its members among the connected
    /// test clients, and what they receive from now on.
    pub fn room(&self, room: &str) -> RoomView {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let members = clients
            .iter()
            .filter(|(id, _)| self.router().is_member(room, id.as_str()))
            .filter_map(|(id, inbox)| Some((id.clone(), inbox.upgrade()?)))
            .collect();
        RoomView::new(room, members)
    }

    /// Shuts the server down as an integration's shutdown token does:
    /// every session closes with 1001; returns once every `disconnected`
    /// handler has run.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.router().until_empty().await;
    }

    /// Ends every session at once, as a crashed process would: no close
    /// frame, no `disconnected` handler.
    pub(crate) fn abort_sessions(&self) {
        for session in self.lock_sessions().drain(..) {
            session.abort();
        }
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, Vec<AbortHandle>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
