//! Extractors, state and typed events end to end: a zap-server on
//! 127.0.0.1 and a zap-client, one behaviour per test.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zap_client::{Subscription, ZapSubscriber};
use zap_core::extract::{Data, Extension, Reply, State};
use zap_core::{
    Connection, ConnectionRouter, EventContext, EventRegister, Headers, InProcess, TypedEvent,
};
use zap_server::ZapServer;

const LIMIT: Duration = Duration::from_secs(10);

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Serves `register`, with an `error` handler that forwards the error's
/// message to the peer as the event `failed`, and connects a client.
async fn serve(register: EventRegister) -> (ZapServer, ZapSubscriber) {
    let register = register.on_error(|ctx: EventContext| async move {
        let message = ctx.error().map(|info| info.message.clone());
        let _ = ctx.connection().send("failed", message);
    });
    let server = ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .expect("server starts");
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    (server, client)
}

async fn next(subscription: &mut Subscription) -> Value {
    within("an event", subscription.next())
        .await
        .expect("subscription open")
        .payload()
        .to_value()
        .expect("json")
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq, zap_core::Event)]
#[event(name = "chat.say")]
struct Say {
    room: String,
    text: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq, zap_core::Event)]
#[event(name = "chat.said")]
struct Said {
    room: String,
    text: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, zap_core::Event)]
#[event(name = "math.add", response = Sum)]
struct Add {
    a: i64,
    b: i64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
struct Sum {
    sum: i64,
}

#[tokio::test]
async fn data_decodes_the_payload_and_reply_answers_the_request() {
    let register = EventRegister::new().on(
        "add",
        |Data((a, b)): Data<(i64, i64)>, reply: Reply| async move { reply.send(a + b) },
    );
    let (_server, client) = serve(register).await;
    let reply = within("reply", client.request("add", (2, 3)))
        .await
        .unwrap();
    assert_eq!(reply.payload().to_value().unwrap(), json!(5));
}

#[tokio::test]
async fn a_bad_payload_reaches_the_error_handler_named_once_without_rust_types() {
    let register = EventRegister::new().on("chat.say", |Data(_say): Data<Say>| async move {});
    let (_server, client) = serve(register).await;
    let mut failed = client.subscribe_to_event("failed");
    client.send_event("chat.say", json!({"room": 1})).unwrap();
    let message = next(&mut failed).await;
    assert_eq!(
        message,
        json!(
            "invalid payload for event \"chat.say\": invalid type: integer `1`, expected a string at line 1 column 9"
        )
    );
}

#[tokio::test]
async fn payload_as_errors_say_the_cause_once_without_rust_types() {
    let register = EventRegister::new().on_event("chat.say", |ctx: EventContext| async move {
        let _say: Say = ctx.payload_as()?;
        Ok(())
    });
    let (_server, client) = serve(register).await;
    let mut failed = client.subscribe_to_event("failed");
    client
        .send_event("chat.say", json!({"text": "hi"}))
        .unwrap();
    assert_eq!(
        next(&mut failed).await,
        json!("invalid payload: missing field `room` at line 1 column 13")
    );
}

#[tokio::test]
async fn state_is_shared_by_every_handler() {
    #[derive(Clone, Default)]
    struct Hits(Arc<AtomicU64>);

    let register = EventRegister::new().with_state(Hits::default()).on(
        "hit",
        |State(hits): State<Hits>, reply: Reply| async move {
            reply.send(hits.0.fetch_add(1, Ordering::SeqCst) + 1)
        },
    );
    let (_server, client) = serve(register).await;
    for expected in 1..=3 {
        let reply = within("reply", client.request("hit", ())).await.unwrap();
        assert_eq!(reply.payload().to_value().unwrap(), json!(expected));
    }
}

#[tokio::test]
async fn missing_state_goes_to_the_error_handler() {
    let register = EventRegister::new().on("hit", |State(_n): State<u64>| async move {});
    let (_server, client) = serve(register).await;
    let mut failed = client.subscribe_to_event("failed");
    client.send_event("hit", ()).unwrap();
    let message = next(&mut failed).await;
    assert_eq!(
        message,
        json!("no application state of type `u64`: give it with `EventRegister::with_state`")
    );
}

#[tokio::test]
async fn connection_headers_and_extensions_are_extracted() {
    #[derive(Clone)]
    struct Nick(String);

    let register = EventRegister::new()
        .on_connected(|ctx: EventContext| async move {
            ctx.connection().extensions().insert(Nick("ada".into()));
        })
        .on(
            "who",
            |conn: Connection, headers: Headers, Extension(nick): Extension<Nick>| async move {
                let tag = headers.get("tag").cloned().unwrap_or_default();
                conn.send("you", json!({"nick": nick.0, "tag": tag}))
            },
        );
    let (_server, client) = serve(register).await;
    let mut you = client.subscribe_to_event("you");
    let mut headers = Headers::new();
    headers.insert("tag".into(), "t1".into());
    client.send_event_with_headers("who", (), headers).unwrap();
    assert_eq!(next(&mut you).await, json!({"nick": "ada", "tag": "t1"}));
}

#[tokio::test]
async fn a_handler_may_return_any_error_type() {
    // `ctx.reply` returns `Result<(), SendError>`: a handler as it is.
    let register =
        EventRegister::new().on("ask", |ctx: EventContext| async move { ctx.reply("yes") });
    let (_server, client) = serve(register).await;
    let reply = within("reply", client.request("ask", ())).await.unwrap();
    assert_eq!(reply.payload().to_value().unwrap(), json!("yes"));
}

#[tokio::test]
async fn a_typed_handler_receives_and_a_typed_emit_reaches_the_client() {
    let register = EventRegister::new().sends::<Said>().on_typed(
        |Data(say): Data<Say>, conn: Connection| async move {
            conn.emit(&Said {
                room: say.room,
                text: say.text.to_uppercase(),
            })
        },
    );
    let (_server, client) = serve(register).await;
    let mut said = client.subscribe::<Said>();
    client
        .emit(&Say {
            room: "lobby".into(),
            text: "hi".into(),
        })
        .unwrap();
    let got = within("said", said.next()).await.unwrap().unwrap();
    assert_eq!(
        got,
        Said {
            room: "lobby".into(),
            text: "HI".into()
        }
    );
}

#[tokio::test]
async fn a_typed_room_broadcast_reaches_members() {
    let register = EventRegister::new()
        .on(
            "join",
            |ctx: EventContext, Data(room): Data<String>| async move {
                ctx.join(&room);
                ctx.reply(())
            },
        )
        .on_typed(|Data(say): Data<Say>, ctx: EventContext| async move {
            let said = Said {
                room: say.room,
                text: say.text,
            };
            ctx.router().to(&said.room).emit(&said).map(drop)
        });
    let (server, member) = serve(register).await;
    let sender = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .unwrap();
    within("join", member.request("join", "lobby"))
        .await
        .unwrap();
    let mut said = member.subscribe::<Said>();
    sender
        .emit(&Say {
            room: "lobby".into(),
            text: "hello".into(),
        })
        .unwrap();
    let got = within("said", said.next()).await.unwrap().unwrap();
    assert_eq!(got.text, "hello");
}

#[tokio::test]
async fn a_typed_request_resolves_to_its_response_type() {
    let register =
        EventRegister::new().on_typed(|Data(add): Data<Add>, reply: Reply<Add>| async move {
            reply.send(Sum { sum: add.a + add.b })
        });
    let (_server, client) = serve(register).await;
    let sum: Sum = within("reply", client.request_typed(&Add { a: 20, b: 22 }))
        .await
        .unwrap();
    assert_eq!(sum, Sum { sum: 42 });
}

#[tokio::test]
async fn a_typed_subscription_yields_an_error_for_a_bad_payload_and_goes_on() {
    let register = EventRegister::new().on_event("raw", |ctx: EventContext| async move {
        ctx.connection().send("chat.said", json!({"room": 5}))?;
        ctx.connection()
            .send("chat.said", json!({"room": "r", "text": "ok"}))?;
        Ok(())
    });
    let (_server, client) = serve(register).await;
    let mut said = client.subscribe::<Said>();
    client.send_event("raw", ()).unwrap();
    let first = within("first", said.next()).await.unwrap();
    assert!(first.is_err(), "a bad payload is an Err: {first:?}");
    let second = within("second", said.next()).await.unwrap().unwrap();
    assert_eq!(second.text, "ok");
}

#[test]
fn the_register_declares_its_typed_events() {
    let register = EventRegister::new()
        .on_typed(|Data(_say): Data<Say>| async move {})
        .sends::<Said>()
        .sends::<Said>();
    let names: Vec<(&str, zap_core::Direction)> = register
        .declared_events()
        .iter()
        .map(|event| (event.name(), event.direction()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("chat.say", zap_core::Direction::Receives),
            ("chat.said", zap_core::Direction::Sends)
        ]
    );
    assert_eq!(<Say as TypedEvent>::NAME, "chat.say");
}

#[test]
#[should_panic(expected = "would drop the shared router")]
fn backend_after_with_router_is_refused() {
    let _ = EventRegister::with_router(ConnectionRouter::new()).backend(InProcess::default());
}
