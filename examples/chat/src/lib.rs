//! The chat example as a library: its register, its page, and a function
//! that starts it, so tests (and the browser test) run exactly what
//! `cargo run -p example-chat` runs.
//!
//! Events from the page: `join {room, name}`, `message {text}`, `leave`.
//! Events to the page: `joined {room, members}`, `left {room}`,
//! `message {room, name, text}`, `user-joined {room, name, members}`,
//! `user-left {room, name, members}`, `chat-error {message}`.

pub mod contract;
pub mod events;

use zap_core::extract::Data;
use zap_core::{Connection, ConnectionRouter, EventContext, EventRegister, HandlerResult, MetaTag};
use zap_server::{ServerError, ZapServer};

/// The page served at `/`: plain JavaScript speaking the zaptools protocol.
pub const INDEX_HTML: &str = include_str!("../static/index.html");

/// Longest accepted name, room or message, in characters.
const MAX_NAME: usize = 32;
const MAX_TEXT: usize = 2000;

/// Who a connection is and where it chats (stored in its extensions).
#[derive(Clone, Debug)]
struct Seat {
    name: String,
    room: String,
}

use events::{ChatError, Join, Joined, Leave, Left, Message, Said, UserJoined, UserLeft};

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

/// The chat's handlers.
pub fn register() -> EventRegister {
    EventRegister::new()
        .on_typed(join)
        .on_typed(message)
        .on_typed(leave)
        .sends::<Joined>()
        .sends::<Left>()
        .sends::<Said>()
        .sends::<UserJoined>()
        .sends::<UserLeft>()
        .sends::<ChatError>()
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

/// Starts the chat on `address:port`: WebSocket at `/ws`, page at `/`.
pub async fn start(address: &str, port: u16) -> Result<ZapServer, ServerError> {
    ZapServer::builder()
        .address(address)
        .port(port)
        .path("/ws")
        .register(register())
        .http_fallback(|request| {
            (request.uri().path() == "/").then(|| {
                let mut page = http::Response::new(INDEX_HTML.to_owned());
                page.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("text/html; charset=utf-8"),
                );
                page
            })
        })
        .start()
        .await
}
