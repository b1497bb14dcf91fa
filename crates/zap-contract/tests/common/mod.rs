//! The contract fixture shared by the tests: a small chat register with a
//! received event, a sent event, a request, optional fields and an enum;
//! and the Node tools (`tsc`, the AsyncAPI schema) that `cargo xtask setup`
//! installs into `.ci/npm`.
#![allow(dead_code, unreachable_pub)] // each test binary uses a subset
#![allow(clippy::print_stderr)] // a skipped check says so loudly

use std::path::PathBuf;
use std::process::Command;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zap_core::extract::{Data, Reply};
use zap_core::{Event, EventRegister};

/// A message said in a room.
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "chat.say")]
pub struct Say {
    pub room: String,
    pub text: String,
    /// Who the message is for, when private.
    pub to: Option<String>,
}

/// A message as members receive it.
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "chat.said")]
pub struct Said {
    pub room: String,
    pub from: String,
    pub text: String,
    pub mood: Mood,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mood {
    Happy,
    Grumpy,
}

/// Asks for a room's last messages.
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "chat.history", response = History)]
pub struct HistoryQuery {
    pub room: String,
    pub limit: u32,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct History {
    pub messages: Vec<Said>,
}

/// The fixture's register.
pub fn register() -> EventRegister {
    EventRegister::new()
        .on_typed(|Data(_say): Data<Say>| async move {})
        .on_typed(
            |Data(_query): Data<HistoryQuery>, reply: Reply<HistoryQuery>| async move {
                reply.send(History {
                    messages: Vec::new(),
                })
            },
        )
        .sends::<Said>()
}

/// The contract of [`register`].
pub fn contract() -> zap_contract::Contract {
    zap_contract::Contract::from_register(&register())
        .title("chat")
        .version("1.0.0")
        .address("/ws")
}

/// `.ci/npm/node_modules`, where `cargo xtask setup` installs typescript, ajv and
/// @asyncapi/specs (or `ZAP_NODE_MODULES`). `None` outside CI when they
/// are missing, after saying so loudly; in CI their absence fails the test.
pub fn node_modules() -> Option<PathBuf> {
    let dir = std::env::var_os("ZAP_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/npm/node_modules")
        });
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if node && dir.join("typescript").is_dir() && dir.join("@asyncapi/specs").is_dir() {
        return Some(dir);
    }
    let message = format!(
        "node, or typescript / ajv / @asyncapi/specs in {}, missing: install them with `npm install --prefix .ci/npm typescript@5 @asyncapi/specs@6 ajv@8 ajv-formats@3` (or run `cargo xtask setup`)",
        dir.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
    None
}
