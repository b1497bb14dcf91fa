//! The names of every extension this implementation adds on top of v1
//! (`docs/protocol.md`, "Extensions"), defined once and used by the server
//! (`zap-core`) and the client (`zap-client`) alike.
//!
//! Event names starting with `zap.` and header names starting with `zap-`
//! are reserved for them.
//!
//! ```
//! use zap_protocol::ext;
//! assert!(ext::is_reserved_event(ext::SESSION_EVENT));
//! assert!(!ext::is_reserved_event("chat.say"));
//! ```

pub use crate::headers::{REQUEST_ID_HEADER, RESPONSE_TO_HEADER};

/// Header of an error reply to a request: `{"kind", "message"}`.
pub const ERROR_HEADER: &str = "zap-error";

/// Header carrying a client event's id, for exactly-once handling.
pub const ID_HEADER: &str = "zap-id";
/// Header carrying the sequence number of a direct event of a session.
pub const SEQ_HEADER: &str = "zap-seq";
/// Header naming the room an event with history was delivered through.
pub const ROOM_HEADER: &str = "zap-room";
/// Header carrying the epoch of that room's history.
pub const EPOCH_HEADER: &str = "zap-epoch";
/// Header carrying the event's offset in that room's history.
pub const OFFSET_HEADER: &str = "zap-offset";

/// The server's first event on a connection that asked for recovery.
pub const SESSION_EVENT: &str = "zap.session";
/// The server's cumulative acknowledgement of handled client events.
pub const ACK_EVENT: &str = "zap.ack";
/// The server refused a client event (flood control): resend from its id.
pub const NACK_EVENT: &str = "zap.nack";
/// The client's resume, sent as its first frame (`zap_resume=frame`).
pub const RESUME_EVENT: &str = "zap.resume";

/// Query parameter: "I speak the recovery extension" (`1`).
pub const RECOVER_PARAM: &str = "zap_recover";
/// Query parameter: `frame` when the resume comes in the first frame.
pub const RESUME_PARAM: &str = "zap_resume";
/// Query parameter: the session token to resume.
pub const SESSION_PARAM: &str = "zap_session";
/// Query parameter: the highest `zap-seq` received.
pub const SEQ_PARAM: &str = "zap_seq";
/// Query parameter, repeated: `<epoch>:<offset>:<room>`.
pub const ROOM_PARAM: &str = "zap_room";

/// Whether an event name is reserved for the extensions (`zap.*`): such
/// events are never handed to an application's handlers.
pub fn is_reserved_event(name: &str) -> bool {
    name.starts_with("zap.")
}

/// Whether a header name is reserved for the extensions (`zap-*`).
pub fn is_reserved_header(name: &str) -> bool {
    name.starts_with("zap-")
}

/// The error kinds of an error reply (`zap-error` header's `kind`).
pub mod error_kind {
    /// The payload did not decode into what the handler takes.
    pub const INVALID_PAYLOAD: &str = "invalid_payload";
    /// The handler returned an error.
    pub const HANDLER: &str = "handler";
    /// The handler panicked.
    pub const PANIC: &str = "panic";
    /// No handler for the event.
    pub const NO_HANDLER: &str = "no_handler";
    /// Flood control refused the event.
    pub const RATE_LIMITED: &str = "rate_limited";
}
