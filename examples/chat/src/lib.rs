//! The chat example as a library: its register, its page, and a function
//! that starts it, so tests (and the browser test) run exactly what
//! `cargo run -p example-chat` runs.
//!
//! Events from the page: `join {room, name}`, `message {text}`, `leave`.
//! Events to the page: `joined {room, members}`, `left {room}`,
//! `message {room, name, text}`, `user-joined {room, name, members}`,
//! `user-left {room, name, members}`, `chat-error {message}`, and, after a
//! page's session resumed (its missed events replayed just before),
//! `caught-up {room, members}`.

pub mod contract;
pub mod events;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use zap_core::extract::Data;
use zap_core::{
    Connection, ConnectionRouter, EventContext, EventRegister, HandlerResult, History, MetaTag,
};
use zap_server::{ServerError, ZapServer};

/// The page served at `/`, built on [`ZAPTOOLS_MODULES`].
pub const INDEX_HTML: &str = include_str!("../static/index.html");

/// Includes one module of the `zaptools` npm package's build.
macro_rules! module {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../clients/typescript/dist/", $name)),
        )
    };
}

/// The `zaptools` npm package's build (`clients/typescript/dist`, ES
/// modules, no dependencies), served at `/zaptools/<name>`: the zaptools
/// protocol with reconnection, session recovery and at-least-once sends.
/// The page imports `/zaptools/index.js`; no bundler involved.
pub const ZAPTOOLS_MODULES: &[(&str, &str)] = &[
    module!("backoff.js"),
    module!("client.js"),
    module!("contract.js"),
    module!("environment.js"),
    module!("errors.js"),
    module!("index.js"),
    module!("listeners.js"),
    module!("persist.js"),
    module!("protocol.js"),
    module!("recovery.js"),
    module!("socket.js"),
];

/// Longest accepted name, room or message, in characters.
const MAX_NAME: usize = 32;
const MAX_TEXT: usize = 2000;

/// Who a connection is and where it chats (stored in its extensions, and
/// carried over when its session resumes after a dropped link).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Seat {
    name: String,
    room: String,
}

use events::{CaughtUp, ChatError, Join, Joined, Leave, Left, Message, Said, UserJoined, UserLeft};

fn checked(what: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.chars().count() > max {
        return Err(format!("{what} is longer than {max} characters"));
    }
    Ok(value.to_owned())
}

fn member_names(router: &ConnectionRouter, room: &str) -> Vec<String> {
    let mut names: Vec<String> = router
        .members(room)
        .into_iter()
        .filter(|member| !member.connection.is_closed())
        .filter_map(|member| member.meta.map(|meta| meta.name))
        .collect();
    names.sort();
    names
}

/// Whether someone else in `room` already goes by `name` (any case).
fn name_taken(router: &ConnectionRouter, room: &str, name: &str, me: &Connection) -> bool {
    router.members(room).into_iter().any(|member| {
        member.connection.id() != me.id()
            && !member.connection.is_closed()
            && member
                .meta
                .is_some_and(|meta| meta.name.to_lowercase() == name.to_lowercase())
    })
}

/// Takes `connection` out of its room and tells the others.
fn vacate(router: &ConnectionRouter, connection: &Connection) -> Option<Seat> {
    let seat = connection.extensions().remove::<Seat>()?;
    router.leave(&seat.room, connection);
    let members = member_names(router, &seat.room);
    let _ = router
        .to(&seat.room)
        .except(connection.id())
        .emit(&UserLeft {
            room: seat.room.clone(),
            name: seat.name.clone(),
            members,
        });
    Some(seat)
}

async fn join(Data(request): Data<Join>, ctx: EventContext) -> HandlerResult {
    let seat = Seat {
        name: checked("name", &request.name, MAX_NAME)?,
        room: checked("room", &request.room, MAX_NAME)?,
    };
    if name_taken(ctx.router(), &seat.room, &seat.name, ctx.connection()) {
        return Err(format!("the name {} is taken in {}", seat.name, seat.room).into());
    }
    vacate(ctx.router(), ctx.connection());
    ctx.join_with_meta(&seat.room, MetaTag::new(&seat.name));
    ctx.connection().extensions().insert(seat.clone());
    let members = member_names(ctx.router(), &seat.room);
    ctx.connection().emit(&Joined {
        room: seat.room.clone(),
        members: members.clone(),
    })?;
    ctx.router()
        .to(&seat.room)
        .except(ctx.connection().id())
        .emit(&UserJoined {
            room: seat.room,
            name: seat.name,
            members,
        })?;
    Ok(())
}

async fn message(Data(message): Data<Message>, ctx: EventContext) -> HandlerResult {
    let text = checked("message", &message.text, MAX_TEXT)?;
    let seat = ctx
        .connection()
        .extensions()
        .get::<Seat>()
        .ok_or("join a room before sending messages")?;
    ctx.router()
        .to(&seat.room)
        .except(ctx.connection().id())
        .emit(&Said {
            room: seat.room,
            name: seat.name,
            text,
        })?;
    Ok(())
}

async fn leave(Data(Leave): Data<Leave>, ctx: EventContext) -> HandlerResult {
    if let Some(seat) = vacate(ctx.router(), ctx.connection()) {
        ctx.connection().emit(&Left { room: seat.room })?;
    }
    Ok(())
}

/// A resumed session: its missed events are already queued, so this tells
/// the page where the replay ends, with the members as they are now.
async fn caught_up(ctx: EventContext) -> HandlerResult {
    let Some(seat) = ctx.connection().extensions().get::<Seat>() else {
        return Ok(());
    };
    let members = member_names(ctx.router(), &seat.room);
    ctx.connection().emit(&CaughtUp {
        room: seat.room,
        members,
    })?;
    Ok(())
}

/// The chat's handlers. Every room keeps its last 500 events for two
/// minutes, so a page whose link dropped gets what it missed when it comes
/// back (its seat is kept meanwhile: nobody sees it leave and rejoin).
pub fn register() -> EventRegister {
    EventRegister::new()
        .history("*", History::last(500).max_age(Duration::from_secs(120)))
        .keep_on_resume::<Seat>("seat")
        .on_typed(join)
        .on_typed(message)
        .on_typed(leave)
        .sends::<Joined>()
        .sends::<Left>()
        .sends::<Said>()
        .sends::<UserJoined>()
        .sends::<UserLeft>()
        .sends::<ChatError>()
        .sends::<CaughtUp>()
        .on_resumed(caught_up)
        .on_disconnected(|ctx| async move {
            vacate(ctx.router(), ctx.connection());
        })
        .on_error(|ctx| async move {
            let Some(info) = ctx.error() else { return };
            tracing::info!(id = %ctx.connection().id(), error = %info, "chat request refused");
            let _ = ctx.connection().emit(&ChatError {
                message: info.message.clone(),
            });
        })
}

mod metrics;

/// The page and its modules, by path.
fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    if path == "/" {
        return Some((INDEX_HTML, "text/html; charset=utf-8"));
    }
    let name = path.strip_prefix("/zaptools/")?;
    ZAPTOOLS_MODULES
        .iter()
        .find(|(module, _)| *module == name)
        .map(|(_, body)| (*body, "text/javascript; charset=utf-8"))
}

/// Starts the chat on `address:port`: WebSocket at `/ws`, page at `/`,
/// Prometheus metrics at `/metrics`.
pub async fn start(address: &str, port: u16) -> Result<ZapServer, ServerError> {
    metrics::install();
    ZapServer::builder()
        .address(address)
        .port(port)
        .path("/ws")
        .register(register())
        .http_fallback(|request| {
            if request.uri().path() == "/metrics" {
                return metrics::response();
            }
            asset(request.uri().path()).map(|(body, kind)| {
                let mut page = http::Response::new(body.to_owned());
                page.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(kind),
                );
                page
            })
        })
        .start()
        .await
}
