//! The typed faces of the client against a zap-server: the consumer's
//! `on_typed`, and a typed request whose reply is not its response type.

mod common;

use common::within;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use zap_client::{Event, TypedRequestError, ZapConsumer};
use zap_core::extract::{Data, Reply};
use zap_core::{Connection, EventRegister};
use zap_server::ZapServer;

#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "ping")]
struct Ping {
    n: u32,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "pong")]
struct Pong {
    n: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "count", response = Count)]
struct CountQuery;

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Count(u64);

async fn server(register: EventRegister) -> ZapServer {
    ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .expect("server starts")
}

#[tokio::test]
async fn the_consumer_calls_a_typed_callback_with_the_decoded_event() {
    let register =
        EventRegister::new().on_typed(|Data(ping): Data<Ping>, conn: Connection| async move {
            conn.emit(&Pong { n: ping.n + 1 })
        });
    let server = server(register).await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut rx) = mpsc::unbounded_channel();
    consumer.on_typed(move |pong: Result<Pong, _>| {
        let _ = tx.send(pong.map_err(|err| err.to_string()));
    });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    consumer.emit(&Ping { n: 41 }).expect("sent");
    let pong = within("pong", rx.recv()).await.expect("callback ran");
    assert_eq!(pong, Ok(Pong { n: 42 }));
}

#[tokio::test]
async fn a_reply_of_the_wrong_type_is_a_response_error() {
    // The server answers `count` with a string, not the `Count` it promised.
    let register =
        EventRegister::new().on("count", |reply: Reply| async move { reply.send("many") });
    let server = server(register).await;
    let consumer = ZapConsumer::new(server.url());
    within("connect", consumer.connect())
        .await
        .expect("connects");
    let err = within("reply", consumer.request_typed(&CountQuery))
        .await
        .expect_err("a string is not a Count");
    assert!(
        matches!(err, TypedRequestError::Response { event: "count", .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the reply to \"count\" is not the expected response"
    );
}
