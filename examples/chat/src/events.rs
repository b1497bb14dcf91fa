//! The chat's events as types: what the page sends, what the server sends
//! back. They are the chat's contract (see [`crate::contract`]); their JSON
//! is exactly what the page speaks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zap_core::Event;

/// Page → server: take a seat in a room under a name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "join")]
pub struct Join {
    /// The room to join.
    pub room: String,
    /// The name to show to the other members.
    pub name: String,
}

/// Page → server: say something in the room joined.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "message")]
pub struct Message {
    /// The text.
    pub text: String,
}

/// Page → server: leave the room (payload `null`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "leave")]
pub struct Leave;

/// Server → page: you joined `room`; these are its members.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "joined")]
pub struct Joined {
    /// The room joined.
    pub room: String,
    /// Every member's name, sorted.
    pub members: Vec<String>,
}

/// Server → page: you left `room`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "left")]
pub struct Left {
    /// The room left.
    pub room: String,
}

/// Server → page: a member said something.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "message")]
pub struct Said {
    /// The room it was said in.
    pub room: String,
    /// Who said it.
    pub name: String,
    /// What was said.
    pub text: String,
}

/// Server → page: someone joined your room.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "user-joined")]
pub struct UserJoined {
    /// The room.
    pub room: String,
    /// Who joined.
    pub name: String,
    /// Every member's name now, sorted.
    pub members: Vec<String>,
}

/// Server → page: someone left your room.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "user-left")]
pub struct UserLeft {
    /// The room.
    pub room: String,
    /// Who left.
    pub name: String,
    /// Every member's name now, sorted.
    pub members: Vec<String>,
}

/// Server → page: a request was refused (bad payload, not in a room, …).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "chat-error")]
pub struct ChatError {
    /// Why, in words meant for the user.
    pub message: String,
}

/// Server → page: the session resumed after a dropped link and every
/// missed event was sent just before this one; the room's members now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "caught-up")]
pub struct CaughtUp {
    /// The room the page is in.
    pub room: String,
    /// Every member's name, sorted.
    pub members: Vec<String>,
}
