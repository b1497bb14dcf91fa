//! [`Session`]: the one event-processing loop that every integration runs,
//! from `connected` to `disconnected`.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::future::CatchUnwind;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zap_protocol::{
    EventData, Frame, Headers, Payload, REQUEST_ID_HEADER, RESPONSE_TO_HEADER, ext, lifecycle,
};

use crate::connection::{CloseRequest, ConnectionReceiver};
use crate::context::HandlerEnv;
use crate::grace;
use crate::handler::{BoxFuture, BoxedHandler, panic_message};
use crate::heartbeat::{Beat, Heartbeat};
use crate::rate::{Exceeded, Limiter};
use crate::recovery;
use crate::resume;
use crate::telemetry;
use crate::transport::close_code;
use crate::{
    CloseFrame, Connection, ConnectionConfig, ErrorInfo, ErrorKind, EventContext, EventRegister,
    FloodPolicy, HandlerResult, Handshake, Inbound, Outbound, Transport, TransportError,
};

/// The default settings, made once and shared.
fn default_config() -> Arc<ConnectionConfig> {
    static DEFAULT: std::sync::OnceLock<Arc<ConnectionConfig>> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Default::default).clone()
}

/// How long a closing handshake may take before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Most frames handled from the transport's buffer before writing and
/// looking at the other signals again.
const READ_BUDGET: usize = 64;

/// The name of the lifecycle event of a resumed session.
const RESUMED: &str = "resumed";

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// The peer sent a close frame.
    PeerClosed(Option<CloseFrame>),
    /// The stream ended without a close frame (network drop, reset).
    PeerGone,
    /// The server closed the connection: [`Connection::close`], a full
    /// outbound queue, or an oversized message.
    Closed(CloseFrame),
    /// The server is shutting down.
    Shutdown,
    /// The peer sent nothing, or accepted no data, for the idle timeout.
    IdleTimeout,
    /// The connection was refused before `connected`: its id was taken.
    DuplicateId,
    /// The transport failed.
    Transport(String),
}

/// One connection's life: registers it with the router, runs `connected`,
/// reads, decodes and dispatches its events one at a time, writes its
/// outbound queue in batches, pings it, and finally runs `disconnected`
/// exactly once and removes it from the router.
///
/// Integrations build a [`Handshake`], call
/// [`EventRegister::check_handshake`], upgrade, then hand their socket,
/// adapted to a [`Transport`], to [`Session::run`]. They contain no dispatch
/// logic of their own, so every integration behaves the same.
///
/// ```no_run
/// # async fn adapter<T: zap_core::Transport>(socket: T, register: zap_core::EventRegister) {
/// use zap_core::{ConnectionConfig, Handshake, Session};
/// let handshake = Handshake::new("/", None, Default::default(), None);
/// let end = Session::new(register, handshake)
///     .config(ConnectionConfig::default())
///     .run(socket)
///     .await;
/// tracing::debug!(?end, "connection ended");
/// # }
/// ```
#[derive(Debug)]
pub struct Session {
    register: EventRegister,
    handshake: Handshake,
    /// Shared with the endpoint: an idle connection holds a pointer, not
    /// a copy of the settings.
    config: Arc<ConnectionConfig>,
    shutdown: CancellationToken,
    parked: TaskTracker,
}

/// Which handler a running future belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Event,
    Lifecycle,
    Error,
}

/// A handler in flight, with what is needed to report its failure and to
/// acknowledge its event once it finished.
struct Running {
    stage: Stage,
    event: Arc<str>,
    future: CatchUnwind<AssertUnwindSafe<BoxFuture<HandlerResult>>>,
    /// Times the handler when durations are recorded.
    timer: Option<telemetry::HandlerTimer>,
    /// The client event's `zap-id` (ids start at 1; 0: none): acknowledged
    /// once the handler finished.
    zap_id: u64,
    /// The request being handled, to answer it if the handler fails.
    request: Option<Box<PendingRequest>>,
}

/// A request (`zap-request-id`) whose handler is running.
struct PendingRequest {
    id: String,
    /// The connection's reply count when the handler started: a handler
    /// that already answered is not answered again.
    replies: u64,
}

type Outcome = Result<HandlerResult, Box<dyn Any + Send>>;

/// The mutable state of one connection's loop.
struct LoopState {
    running: Option<Running>,
    closing: Option<(CloseFrame, EndReason)>,
    last_seen: Instant,
    /// A frame arrived since `last_seen` was set: the clock is read once
    /// per turn of the loop, not once per frame.
    heard: bool,
    /// When handlers still running at shutdown are aborted.
    grace: Option<grace::Timer>,
    /// The inbound rate limiter, made on the first event (`None` inside
    /// when nothing is limited).
    limiter: Option<Option<Box<Limiter>>>,
}

impl LoopState {
    /// Moves `last_seen` to now if a frame arrived since it was set: the
    /// clock is read once per turn of the loop, not once per frame.
    fn note_heard(&mut self) {
        if std::mem::take(&mut self.heard) {
            self.last_seen = Instant::now();
        }
    }
}

enum Action {
    Close(CloseFrame, EndReason),
    Finished(Outcome),
    Write(Frame),
    Read(Option<Result<Inbound, TransportError>>),
    Tick,
    GraceOver,
}

impl Session {
    /// A session for one accepted upgrade.
    pub fn new(register: EventRegister, handshake: Handshake) -> Self {
        Session {
            register,
            handshake,
            config: default_config(),
            shutdown: CancellationToken::new(),
            parked: TaskTracker::new(),
        }
    }

    /// Sets the connection's limits.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// Sets the connection's limits, shared with other sessions (what an
    /// [`Endpoint`](crate::Endpoint) does: each session holds a pointer).
    pub fn shared_config(mut self, config: Arc<ConnectionConfig>) -> Self {
        self.config = config;
        self
    }

    /// Ends the session (close code 1001) when `token` is cancelled.
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }

    /// Runs a session parked for a resume on `tracker` (an [`Endpoint`]'s,
    /// so that its shutdown waits for it; default: a tracker of its own).
    ///
    /// [`Endpoint`]: crate::Endpoint
    pub fn parked_tasks(mut self, tracker: TaskTracker) -> Self {
        self.parked = tracker;
        self
    }

    /// Finds the session a recoverable connection resumes (reading it from
    /// the first frame when the client asked so), or starts a new one.
    /// Returns it with the first frame when that was an ordinary event (the
    /// loop handles it first).
    async fn open_recoverable<T: Transport>(
        &self,
        transport: &mut T,
        mut request: recovery::ResumeRequest,
    ) -> (Option<Box<resume::Attach>>, Option<Box<FirstFrame>>) {
        let first = match request.in_frame {
            true => read_resume(transport, &mut request).await,
            false => None,
        };
        let attach = resume::prepare(&self.register, &self.handshake, request).await;
        (Some(Box::new(attach)), first)
    }

    /// Runs the connection to its end and says why it ended.
    pub async fn run<T: Transport>(self, mut transport: T) -> EndReason {
        // Boxed: only a recoverable connection pays for finding its
        // session, and every session's future stays small.
        let (attach, first) = match resume::request(&self.register, &self.handshake) {
            Some(request) => Box::pin(self.open_recoverable(&mut transport, request)).await,
            None => (None, None),
        };
        let (id, session) = match &attach {
            Some(attach) => (attach.id(), Some(attach.session())),
            None => (self.register.connection_id(&self.handshake), None),
        };
        let (connection, receiver) =
            Connection::new(id, self.handshake.clone(), &self.config, session);
        let router = self.register.router().clone();
        if !router.add(&connection) {
            tracing::warn!(id = %connection.id(), "connection id already in use: refusing");
            if let Some(attach) = attach {
                attach.abandon(&router).await;
            }
            let frame = CloseFrame::new(close_code::POLICY, "duplicate connection id");
            close_transport(&mut transport, &receiver, frame).await;
            return EndReason::DuplicateId;
        }
        let resumed = attach.as_ref().is_some_and(|attach| attach.is_resume());
        if let Some(attach) = attach {
            // Boxed: only a recoverable connection pays for it, and every
            // session's future stays small.
            Box::pin(attach.attach(&router, &connection)).await;
        }
        tracing::debug!(id = %connection.id(), path = self.handshake.path(), "connected");
        telemetry::connection_opened();
        let driver = Driver::new(&self.register, connection, &self.config);
        let connected = match resumed {
            true => driver.lifecycle(RESUMED, driver.register.resumed_handler()),
            false => driver.lifecycle(lifecycle::CONNECTED, driver.register.connected_handler()),
        };
        driver.run_to_end(connected).await;
        let (end, running) = driver
            .event_loop(&mut transport, receiver, first, &self.shutdown)
            .await;

        // The end: no more sends, let an in-flight handler finish, then
        // `disconnected` exactly once, then out of the router and its rooms.
        driver.connection.mark_closed();
        driver.run_to_end_or_grace(running, &self.shutdown).await;
        if let Some(session) = driver.connection.session().cloned() {
            let shared = router.hub().store().is_shared();
            if resume::should_park(&end, &driver.connection, &session, shared) {
                // The peer sees the end now; once this returns the session
                // is in the store (a resume finds it) and the connection's
                // slot is free: the window is waited out by a task of its own.
                drop(transport);
                let parked = Box::pin(resume::park(&router, &driver.connection, &session)).await;
                let (register, config) = (self.register.clone(), self.config.clone());
                let (connection, shutdown) = (driver.connection.clone(), self.shutdown.clone());
                let ended = end.clone();
                self.parked.spawn(async move {
                    let parking = match parked {
                        Ok(parked) => {
                            resume::wait_out(parked, &router, &connection, &session, &shutdown)
                                .await
                        }
                        Err(parking) => parking,
                    };
                    match parking {
                        resume::Parking::Ended => {
                            let driver = Driver::new(&register, connection, &config);
                            driver.disconnected(&router, &shutdown, &ended).await;
                        }
                        // The resumed connection counts as a new one.
                        resume::Parking::Resumed => telemetry::connection_closed(&ended),
                    }
                });
                return end;
            }
            let _ = resume::end(&router, &driver.connection, &session).await;
        }
        driver.disconnected(&router, &self.shutdown, &end).await;
        tracing::debug!(id = %driver.connection.id(), reason = ?end, "disconnected");
        end
    }
}

struct Driver<'a> {
    register: &'a EventRegister,
    connection: Connection,
    config: &'a ConnectionConfig,
    /// What every handler context of this connection shares.
    env: Arc<HandlerEnv>,
}

impl<'a> Driver<'a> {
    fn new(
        register: &'a EventRegister,
        connection: Connection,
        config: &'a ConnectionConfig,
    ) -> Self {
        let env = HandlerEnv::new(connection.clone(), register);
        Driver {
            register,
            connection,
            config,
            env,
        }
    }
}

impl Driver<'_> {
    /// The session is over for good: `disconnected`, then out of the router.
    /// `disconnected` (bounded by the shutdown grace), then out of the
    /// router and its rooms.
    async fn disconnected(
        &self,
        router: &crate::ConnectionRouter,
        shutdown: &CancellationToken,
        end: &EndReason,
    ) {
        let disconnected = self.lifecycle(
            lifecycle::DISCONNECTED,
            self.register.disconnected_handler(),
        );
        self.run_to_end_or_grace(disconnected, shutdown).await;
        telemetry::connection_closed(end);
        router.remove(&self.connection);
    }
}

impl Driver<'_> {
    fn context(&self, event: EventData) -> EventContext {
        EventContext::in_env(event, &self.env)
    }

    fn start(
        &self,
        stage: Stage,
        event: Arc<str>,
        handler: &BoxedHandler,
        ctx: EventContext,
    ) -> Running {
        Running {
            stage,
            event,
            future: AssertUnwindSafe(handler(ctx)).catch_unwind(),
            timer: None,
            zap_id: 0,
            request: None,
        }
    }

    fn lifecycle(&self, name: &'static str, handler: Option<&BoxedHandler>) -> Option<Running> {
        let handler = handler?;
        let ctx = self.context(EventData::new(name, Payload::null(), None));
        Some(self.start(Stage::Lifecycle, Arc::from(name), handler, ctx))
    }

    /// A client event that passed recovery and flood control: its handler
    /// starts. An event with no handler counts as handled at once (a
    /// request is answered with a `no_handler` error).
    fn dispatch(&self, event: EventData, zap_id: Option<u64>) -> Option<Running> {
        let request = self.pending_request(&event);
        let Some(route) = self.register.route_for(event.event_name()) else {
            tracing::debug!(id = %self.connection.id(), event = event.event_name(), "no handler for event");
            if let Some(request) = request {
                let message = format!("no handler for event \"{}\"", event.event_name());
                self.error_reply(
                    event.event_name(),
                    &request.id,
                    ErrorKind::NoHandler,
                    &message,
                );
            }
            resume::handled(&self.connection, zap_id);
            return None;
        };
        let name = match &route.name {
            Some(name) => name.clone(),
            None => event.shared_event_name(),
        };
        let timer = route.meter.event_in();
        let mut running = self.start(Stage::Event, name, &route.handler, self.context(event));
        running.timer = timer;
        running.zap_id = zap_id.unwrap_or(0);
        running.request = request;
        Some(running)
    }

    fn pending_request(&self, event: &EventData) -> Option<Box<PendingRequest>> {
        let id = event.header_str(REQUEST_ID_HEADER)?;
        Some(Box::new(PendingRequest {
            id: id.to_owned(),
            replies: self.connection.replies(),
        }))
    }

    /// Answers a failed request with an error reply (`zap-error`).
    fn error_reply(&self, event: &str, request_id: &str, kind: ErrorKind, message: &str) {
        let mut headers = Headers::new();
        headers.insert(RESPONSE_TO_HEADER.to_owned(), request_id.into());
        headers.insert(
            ext::ERROR_HEADER.to_owned(),
            serde_json::json!({"kind": kind.wire_name(), "message": message}),
        );
        if let Err(err) = self.connection.send_with_headers(event, (), headers) {
            tracing::debug!(id = %self.connection.id(), %err, "error reply not sent");
        }
    }

    /// Starts the `error` handler for `info` (logging it either way).
    fn report(&self, info: ErrorInfo) -> Option<Running> {
        if info.kind == ErrorKind::RateLimited {
            // A flood would flood the log too.
            tracing::debug!(id = %self.connection.id(), event = ?info.event, "rate limited");
        } else {
            tracing::warn!(id = %self.connection.id(), event = ?info.event, kind = ?info.kind,
                message = %info.message, "error on connection");
        }
        let handler = self.register.error_handler()?;
        let ctx = EventContext::for_error(info, &self.env);
        Some(self.start(Stage::Error, Arc::from(lifecycle::ERROR), handler, ctx))
    }

    /// What follows a finished handler: nothing, or the `error` handler
    /// (and an error reply to a failed request). A client event counts as
    /// handled from here: returned, or failed and reported.
    fn finished(&self, running: Running, outcome: Outcome) -> Option<Running> {
        if let Some(timer) = running.timer {
            timer.finish();
        }
        let (kind, message) = match outcome {
            Ok(Ok(())) => {
                resume::handled(&self.connection, Some(running.zap_id).filter(|id| *id > 0));
                return None;
            }
            Ok(Err(err)) => (failure_kind(&err), err.to_string()),
            Err(panic) => (ErrorKind::Panic, panic_message(&*panic)),
        };
        telemetry::handler_failed(if kind == ErrorKind::Panic {
            "panic"
        } else {
            "handler"
        });
        if running.stage == Stage::Error {
            tracing::error!(id = %self.connection.id(), ?kind, %message, "the error handler itself failed");
            return None;
        }
        if let Some(request) = &running.request
            && self.connection.replies() == request.replies
        {
            self.error_reply(&running.event, &request.id, kind, &message);
        }
        let report = self.report(ErrorInfo::new(Some(&*running.event), kind, message));
        resume::handled(&self.connection, Some(running.zap_id).filter(|id| *id > 0));
        report
    }

    /// Awaits a handler and any `error` handler it leads to.
    async fn run_to_end(&self, mut running: Option<Running>) {
        while let Some(mut current) = running.take() {
            let outcome = (&mut current.future).await;
            running = self.finished(current, outcome);
        }
    }

    /// [`Self::run_to_end`], aborted once `shutdown` was cancelled for
    /// longer than the shutdown grace.
    async fn run_to_end_or_grace(&self, running: Option<Running>, shutdown: &CancellationToken) {
        if running.is_none() {
            return;
        }
        // Boxed: only a connection ending with a handler to run pays for
        // them, and every session's future stays small.
        let grace = Box::pin(grace::after_shutdown(shutdown, self.config.shutdown_grace));
        let work = Box::pin(self.run_to_end(running));
        tokio::select! {
            () = work => {}
            () = grace => grace::aborted(self.connection.id()),
        }
    }

    async fn event_loop<T: Transport>(
        &self,
        transport: &mut T,
        receiver: ConnectionReceiver,
        first: Option<Box<FirstFrame>>,
        shutdown: &CancellationToken,
    ) -> (EndReason, Option<Running>) {
        let rx = &receiver;
        let mut state = LoopState {
            running: None,
            closing: None,
            last_seen: Instant::now(),
            heard: false,
            grace: None,
            limiter: None,
        };
        if let Some(inbound) = first
            && let Some(end) = Box::pin(self.on_read(*inbound, transport, &mut state)).await
        {
            return (end, state.running);
        }
        let mut heartbeat = Heartbeat::new(
            self.config.ping_interval,
            self.config.idle_timeout,
            state.last_seen,
        );
        // Long-lived signals, pinned once: re-creating them on every turn
        // would register and drop a waiter under a lock each time.
        let close_signal = self.connection.close_requested();
        tokio::pin!(close_signal);
        let shutdown_signal = shutdown.cancelled();
        tokio::pin!(shutdown_signal);

        loop {
            if state.grace.is_none() && shutdown.is_cancelled() {
                state.grace = Some(grace::Timer::start(self.config.shutdown_grace));
            }
            if state.running.is_none()
                && let Some((frame, reason)) = state.closing.take()
            {
                close_transport(transport, rx, frame).await;
                return (reason, None);
            }

            // Ready work first, without waiting: handle the frames already
            // received for as long as their handlers finish at once, then
            // write every queued reply with a single flush.
            let mut budget = READ_BUDGET;
            while budget > 0 && state.running.is_none() && state.closing.is_none() {
                let Some(inbound) = transport.next().now_or_never() else {
                    break;
                };
                budget -= 1;
                if let Some(end) = self.on_read(inbound, transport, &mut state).await {
                    return (end, state.running);
                }
                self.poll_now(&mut state.running);
            }
            state.note_heard();
            resume::queue_ack(&self.connection);
            if state.closing.is_some() && state.running.is_none() {
                continue; // a frame asked to close (too large, rate limit): do it now
            }
            if !rx.is_empty() {
                let signals = (close_signal.as_mut(), shutdown_signal.as_mut());
                let written = self.write_queued(transport, rx, None, signals, &mut state.closing);
                if let Some(end) = written.await {
                    return (end, state.running);
                }
                if state.closing.is_some() {
                    continue; // a close arrived during the write: carry it out
                }
            }
            if budget == 0 {
                // More frames are waiting (a flood?): let every other task
                // of this thread run first. Tokio's own budget would yield
                // only after about 128 socket reads, thousands of small frames.
                tokio::task::yield_now().await;
            }
            let watch = state.closing.is_none();

            let action = tokio::select! {
                request = &mut close_signal, if watch => {
                    let reason = EndReason::Closed(request.frame.clone());
                    if request.abort {
                        // Boxed: a rare path, kept out of every session's future.
                        Box::pin(overflow_close(transport, rx, request.frame)).await;
                        return (reason, state.running);
                    }
                    Action::Close(request.frame, reason)
                }
                () = &mut shutdown_signal, if watch || state.grace.is_none() => {
                    // Seen once: the grace starts (at the top of the loop).
                    let (frame, reason) = shutdown_close();
                    Action::Close(frame, reason)
                }
                outcome = poll_running(&mut state.running), if state.running.is_some() => {
                    Action::Finished(outcome)
                }
                frame = rx.recv() => Action::Write(frame),
                inbound = transport.next(), if state.running.is_none() && watch => Action::Read(inbound),
                () = heartbeat.fired(), if heartbeat.is_armed() => Action::Tick,
                () = grace::Timer::over(&mut state.grace),
                    if state.running.is_some() && state.grace.is_some() => Action::GraceOver,
            };
            match action {
                Action::Close(frame, reason) => {
                    // A shutdown seen after a normal close keeps that close.
                    state.closing.get_or_insert((frame, reason));
                }
                Action::Finished(outcome) => {
                    if let Some(done) = state.running.take() {
                        state.running = self.finished(done, outcome);
                        self.poll_now(&mut state.running);
                    }
                    // We did not read while the handler ran: restart the clock.
                    state.last_seen = Instant::now();
                }
                Action::Write(first) => {
                    let signals = (close_signal.as_mut(), shutdown_signal.as_mut());
                    let written =
                        self.write_queued(transport, rx, Some(first), signals, &mut state.closing);
                    if let Some(end) = written.await {
                        return (end, state.running);
                    }
                }
                Action::Read(inbound) => {
                    if let Some(end) = self.on_read(inbound, transport, &mut state).await {
                        return (end, state.running);
                    }
                    self.poll_now(&mut state.running);
                }
                Action::GraceOver => {
                    grace::aborted(self.connection.id());
                    state.running = None;
                }
                Action::Tick => {
                    state.note_heard();
                    let beat = heartbeat.on_fired(state.last_seen, state.running.is_some());
                    if let Some(end) = self.on_tick(transport, beat).await {
                        return (end, state.running);
                    }
                }
            }
        }
    }

    /// Handles one message from the transport; `Some` ends the session.
    async fn on_read<T: Transport>(
        &self,
        inbound: Option<Result<Inbound, TransportError>>,
        transport: &mut T,
        state: &mut LoopState,
    ) -> Option<EndReason> {
        let inbound = match inbound {
            None => return Some(EndReason::PeerGone),
            Some(Err(TransportError::TooLarge { size, max })) => {
                state.running = self.too_large(size, max);
                state.closing = Some(too_large_close());
                return None;
            }
            Some(Err(TransportError::Protocol { code, source })) => {
                let info = ErrorInfo::new(None, ErrorKind::Protocol, source.to_string());
                state.running = self.report(info);
                let frame = CloseFrame::new(code, "protocol error");
                state.closing = Some((frame.clone(), EndReason::Closed(frame)));
                return None;
            }
            Some(Err(err)) => return Some(EndReason::Transport(err.to_string())),
            Some(Ok(inbound)) => inbound,
        };
        state.heard = true;
        match inbound {
            Inbound::Text(text) if text.len() > self.config.max_message_size => {
                state.running = self.too_large(text.len(), self.config.max_message_size);
                state.closing = Some(too_large_close());
            }
            Inbound::Text(text) => {
                let len = text.len();
                state.running = match zap_protocol::decode_text(&text) {
                    Ok(event) => match resume::admit(&self.connection, &event) {
                        resume::Admission::Skip => None,
                        resume::Admission::Run(zap_id) => {
                            match self.admit(state, event.event_name(), len) {
                                Ok(()) => self.dispatch(event, zap_id),
                                Err(exceeded) => self.rate_limited(state, &event, zap_id, exceeded),
                            }
                        }
                    },
                    Err(err) => self.report(ErrorInfo::new(
                        None,
                        ErrorKind::InvalidFrame,
                        err.to_string(),
                    )),
                };
            }
            Inbound::Binary(len) => {
                state.running = self.report(ErrorInfo::new(
                    None,
                    ErrorKind::BinaryFrame,
                    format!(
                        "binary frame of {len} bytes ignored: zaptools events are JSON text frames"
                    ),
                ));
            }
            Inbound::Ping | Inbound::Pong => {}
            Inbound::Close(frame) => {
                // Let the transport send its close reply.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, transport.close()).await;
                return Some(EndReason::PeerClosed(frame));
            }
        }
        None
    }

    /// Polls a just-started handler once: most finish at once, which saves a
    /// turn of the loop per event. A pending one is polled again by `select!`.
    fn poll_now(&self, running: &mut Option<Running>) {
        while let Some(current) = running.as_mut() {
            let Some(outcome) = (&mut current.future).now_or_never() else {
                return;
            };
            let Some(done) = running.take() else { return };
            *running = self.finished(done, outcome);
        }
    }

    /// Writes queued frames (starting with `first`) in one batch and flush.
    ///
    /// A write can stall when the peer stops reading. Meanwhile an abortive
    /// close request (its queue overflowed) abandons the write and sends the
    /// close frame in place of the queue (bounded by [`CLOSE_TIMEOUT`]); a
    /// normal close request is recorded in `closing` and the write goes on,
    /// so everything queued before `close()` is written before the close
    /// frame; a shutdown gives the write [`CLOSE_TIMEOUT`] more.
    async fn write_queued<T, C, S>(
        &self,
        transport: &mut T,
        rx: &ConnectionReceiver,
        first: Option<Frame>,
        (mut close_signal, mut shutdown_signal): (Pin<&mut C>, Pin<&mut S>),
        closing: &mut Option<(CloseFrame, EndReason)>,
    ) -> Option<EndReason>
    where
        T: Transport,
        C: Future<Output = CloseRequest>,
        S: Future<Output = ()>,
    {
        let batch = self.config.write_batch;
        let outcome = {
            let write = within(
                self.config.idle_timeout,
                write_batch(transport, rx, first, batch),
            );
            tokio::pin!(write);
            loop {
                let watch = closing.is_none();
                tokio::select! {
                    biased;
                    written = &mut write => break Ok(written),
                    request = close_signal.as_mut(), if watch => {
                        let reason = EndReason::Closed(request.frame.clone());
                        if request.abort {
                            break Err(request.frame);
                        }
                        *closing = Some((request.frame, reason));
                    }
                    () = shutdown_signal.as_mut(), if watch => {
                        *closing = Some(shutdown_close());
                        match tokio::time::timeout(CLOSE_TIMEOUT, &mut write).await {
                            Ok(written) => break Ok(written),
                            Err(_) => return Some(EndReason::Shutdown),
                        }
                    }
                }
            }
        };
        let written = match outcome {
            Ok(written) => written,
            Err(frame) => {
                // The stalled write is abandoned: the close frame goes next.
                Box::pin(overflow_close(transport, rx, frame.clone())).await;
                return Some(EndReason::Closed(frame));
            }
        };
        match written {
            Some(Ok(())) => None,
            Some(Err(err)) => Some(EndReason::Transport(err.to_string())),
            None => Some(EndReason::IdleTimeout),
        }
    }

    /// Pings a quiet peer, and drops one silent past the idle timeout.
    async fn on_tick<T: Transport>(&self, transport: &mut T, beat: Beat) -> Option<EndReason> {
        if beat == Beat::Idle {
            let frame = CloseFrame::new(close_code::GOING_AWAY, "idle timeout");
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                transport.send(Outbound::Close(frame)),
            )
            .await;
            return Some(EndReason::IdleTimeout);
        }
        if beat == Beat::Ping {
            return match within(self.config.idle_timeout, transport.send(Outbound::Ping)).await {
                Some(Ok(())) => None,
                Some(Err(err)) => Some(EndReason::Transport(err.to_string())),
                None => Some(EndReason::IdleTimeout),
            };
        }
        None
    }

    /// Takes the rate limiter's tokens for one inbound event.
    fn admit(&self, state: &mut LoopState, name: &str, len: usize) -> Result<(), Exceeded> {
        let limits = &self.config.rate_limit;
        match state.limiter.get_or_insert_with(|| Limiter::new(limits)) {
            Some(limiter) => limiter.admit(limits, name, len),
            None => Ok(()),
        }
    }

    /// An event over the rate limit: dropped, `error` raised, and the
    /// connection closed with 1008 under [`FloodPolicy::Close`]. A client
    /// event with a `zap-id` is never acknowledged: the client is told to
    /// resend it (`zap.nack`); a request without one gets an error reply.
    fn rate_limited(
        &self,
        state: &mut LoopState,
        event: &EventData,
        zap_id: Option<u64>,
        exceeded: Exceeded,
    ) -> Option<Running> {
        let name = event.event_name();
        if self.config.rate_limit.policy == FloodPolicy::Close {
            let frame = CloseFrame::new(close_code::POLICY, "rate limit exceeded");
            state.closing = Some((frame.clone(), EndReason::Closed(frame)));
        }
        match self.register.route_for(name) {
            Some(route) => route.meter.rate_limited(),
            None => telemetry::EventMeter::other().rate_limited(),
        }
        let message = exceeded.describe(name);
        match zap_id {
            Some(id) => resume::refused(&self.connection, id, exceeded.retry_after),
            None => {
                if let Some(request) = event.header_str(REQUEST_ID_HEADER) {
                    self.error_reply(name, request, ErrorKind::RateLimited, &message);
                }
            }
        }
        self.report(ErrorInfo::new(Some(name), ErrorKind::RateLimited, message))
    }

    fn too_large(&self, size: usize, max: usize) -> Option<Running> {
        self.report(ErrorInfo::new(
            None,
            ErrorKind::TooLarge,
            format!("message of {size} bytes exceeds the limit of {max} bytes"),
        ))
    }
}

/// The kind of a handler's error: a payload that did not decode into what
/// the handler takes is told apart from the handler's own failures.
fn failure_kind(err: &crate::HandlerError) -> ErrorKind {
    let source = err.get_ref();
    match source.is::<crate::extract::DataRejection>() || source.is::<zap_protocol::PayloadError>()
    {
        true => ErrorKind::InvalidPayload,
        false => ErrorKind::Handler,
    }
}

/// What the transport gave first.
type FirstFrame = Option<Result<Inbound, TransportError>>;

/// How long a client that asked to resume in its first frame has to send it.
const RESUME_FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the client's first frame for a resume (`zap_resume=frame`). A
/// `zap.resume` fills `request`; anything else (or nothing in time) leaves
/// it a new session, and what was read is returned to be handled as usual.
async fn read_resume<T: Transport>(
    transport: &mut T,
    request: &mut recovery::ResumeRequest,
) -> Option<Box<FirstFrame>> {
    let first = async {
        loop {
            match transport.next().await {
                Some(Ok(Inbound::Ping | Inbound::Pong)) => continue,
                other => return other,
            }
        }
    };
    let Ok(inbound) = tokio::time::timeout(RESUME_FRAME_TIMEOUT, first).await else {
        tracing::debug!("no resume frame in time: a new session");
        return None;
    };
    if let Some(Ok(Inbound::Text(text))) = &inbound
        && let Ok(event) = zap_protocol::decode_text(text)
        && event.event_name() == ext::RESUME_EVENT
    {
        // A malformed one is a new session: never an application event.
        if !request.read_frame(&event) {
            tracing::debug!("malformed resume frame: a new session");
        }
        return None;
    }
    Some(Box::new(inbound))
}

fn shutdown_close() -> (CloseFrame, EndReason) {
    let frame = CloseFrame::new(close_code::GOING_AWAY, "server shutting down");
    (frame, EndReason::Shutdown)
}

fn too_large_close() -> (CloseFrame, EndReason) {
    let frame = CloseFrame::new(close_code::TOO_BIG, "message too large");
    (frame.clone(), EndReason::Closed(frame))
}

async fn poll_running(running: &mut Option<Running>) -> Outcome {
    match running {
        Some(current) => (&mut current.future).await,
        None => std::future::pending().await,
    }
}

/// `future` bounded by `limit` (unbounded when `None`); `None` on timeout.
///
/// The clock starts when the future first waits: a write that completes at
/// once (the usual case) reads no clock and arms no timer.
async fn within<F: Future>(limit: Option<Duration>, future: F) -> Option<F::Output> {
    let Some(limit) = limit else {
        return Some(future.await);
    };
    let mut future = std::pin::pin!(future);
    let mut deadline: Option<Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        let deadline = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        deadline.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// Writes `first` (if any) and queued frames, up to `batch`, then flushes once.
async fn write_batch<T: Transport>(
    transport: &mut T,
    rx: &ConnectionReceiver,
    first: Option<Frame>,
    batch: usize,
) -> Result<(), TransportError> {
    let mut written = 0;
    if let Some(first) = first {
        transport.feed(Outbound::Text(first)).await?;
        written += 1;
    }
    while written < batch {
        match rx.try_recv() {
            Some(frame) => transport.feed(Outbound::Text(frame)).await?,
            None => break,
        }
        written += 1;
    }
    rx.report();
    transport.flush().await
}

/// Closes the connection of a peer too slow to read (code 1008): what is
/// queued for it is dropped, so the close frame does not wait behind it
/// (only behind what the transport already buffered), all within
/// [`CLOSE_TIMEOUT`].
async fn overflow_close<T: Transport>(
    transport: &mut T,
    rx: &ConnectionReceiver,
    frame: CloseFrame,
) {
    rx.discard();
    close_transport(transport, rx, frame).await;
}

/// Writes what is still queued, sends `frame`, and waits (bounded) for the
/// peer's close reply.
async fn close_transport<T: Transport>(
    transport: &mut T,
    rx: &ConnectionReceiver,
    frame: CloseFrame,
) {
    let handshake = async {
        while let Some(queued) = rx.try_recv() {
            transport.feed(Outbound::Text(queued)).await?;
        }
        transport.feed(Outbound::Close(frame)).await?;
        transport.flush().await?;
        while let Some(message) = transport.next().await {
            if matches!(message, Ok(Inbound::Close(_)) | Err(_)) {
                break;
            }
        }
        Ok::<(), TransportError>(())
    };
    if let Ok(Err(err)) = tokio::time::timeout(CLOSE_TIMEOUT, handshake).await {
        tracing::debug!(%err, "closing handshake failed");
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), transport.close()).await;
}
