//! Every public way of sending, table-driven: each send API × {v1 client,
//! recovering client} × {connected, link dropped before the send, resumed
//! on another instance}, over a real redis-server with two instances and a
//! spec-following raw client. What arrives is checked: exactly once, and
//! stamped as docs/protocol.md says (nothing `zap-*` for a v1 client).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../zap-server/tests/support/proxy.rs"]
mod proxy;
#[path = "../../zap-server/tests/support/raw_client.rs"]
mod raw_client;

use futures_util::{SinkExt, StreamExt};
use proxy::Proxy;
use raw_client::RawClient;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use zap_core::extract::{Data, Reply};
use zap_core::schemars::JsonSchema;
use zap_core::{EventData, EventRegister, Headers, History};
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

use common::{Redis, prefix, within};

/// The typed event every typed API sends.
#[derive(Debug, Serialize, Deserialize, JsonSchema, zap_core::Event)]
#[schemars(crate = "zap_core::schemars")]
#[event(name = "m")]
struct M {
    n: u64,
}

/// A typed request answered with an `M`.
#[derive(Debug, Serialize, Deserialize, JsonSchema, zap_core::Event)]
#[schemars(crate = "zap_core::schemars")]
#[event(name = "typed-ask", response = M)]
struct TypedAsk {
    n: u64,
}

/// The ways to send, each delivering `{"n": n}` to the client (`m`, or the
/// requested event's name for the reply APIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    ConnSend,
    ConnSendWithHeaders,
    ConnEmit,
    SendTo,
    SendToWithHeaders,
    EmitTo,
    RoomSend,
    RoomSendWithHeaders,
    RoomEmit,
    CtxReply,
    ReplyExtractor,
    TypedReply,
}

const APIS: [Api; 12] = [
    Api::ConnSend,
    Api::ConnSendWithHeaders,
    Api::ConnEmit,
    Api::SendTo,
    Api::SendToWithHeaders,
    Api::EmitTo,
    Api::RoomSend,
    Api::RoomSendWithHeaders,
    Api::RoomEmit,
    Api::CtxReply,
    Api::ReplyExtractor,
    Api::TypedReply,
];

impl Api {
    fn is_reply(self) -> bool {
        matches!(self, Api::CtxReply | Api::ReplyExtractor | Api::TypedReply)
    }

    fn is_room(self) -> bool {
        matches!(
            self,
            Api::RoomSend | Api::RoomSendWithHeaders | Api::RoomEmit
        )
    }

    fn with_headers(self) -> bool {
        matches!(
            self,
            Api::ConnSendWithHeaders | Api::SendToWithHeaders | Api::RoomSendWithHeaders
        )
    }

    /// The request a reply API answers.
    fn request_event(self) -> &'static str {
        match self {
            Api::CtxReply => "ask-ctx",
            Api::ReplyExtractor => "ask-reply",
            _ => "typed-ask",
        }
    }
}

fn headers() -> Headers {
    let mut headers = Headers::new();
    headers.insert("app".into(), json!("h"));
    headers
}

/// Sends `n` with `api` from instance `from` to connection `id` (a
/// `conn.*` API uses the handle `conn` kept from when it was live).
fn send(api: Api, from: &ZapServer, conn: &zap_core::Connection, id: &str, n: u64) {
    let router = from.router();
    let payload = json!({"n": n});
    match api {
        Api::ConnSend => conn.send("m", payload).map(drop),
        Api::ConnSendWithHeaders => conn.send_with_headers("m", payload, headers()).map(drop),
        Api::ConnEmit => conn.emit(&M { n }).map(drop),
        Api::SendTo => router.send_to(id, "m", payload).map(drop),
        Api::SendToWithHeaders => router
            .send_to_with_headers(id, "m", payload, headers())
            .map(drop),
        Api::EmitTo => router.emit_to(id, &M { n }).map(drop),
        Api::RoomSend => router.to("room").send("m", payload).map(drop),
        Api::RoomSendWithHeaders => router
            .to("room")
            .send_with_headers("m", payload, headers())
            .map(drop),
        Api::RoomEmit => router.to("room").emit(&M { n }).map(drop),
        Api::CtxReply | Api::ReplyExtractor | Api::TypedReply => unreachable!("a reply"),
    }
    .unwrap_or_else(|err| panic!("{api:?} failed: {err}"));
}

/// Handlers answering requests with each reply API once `release` says so
/// (so that the answer can be sent while the link is down).
fn register(release: watch::Receiver<bool>) -> EventRegister {
    let (r1, r2, r3) = (release.clone(), release.clone(), release);
    EventRegister::new()
        .history("room", History::last(100))
        .on_event("join", |ctx| async move {
            ctx.join("room");
            ctx.reply("joined")?;
            Ok(())
        })
        .on_event("ask-ctx", move |ctx| {
            let mut release = r1.clone();
            async move {
                release.wait_for(|go| *go).await?;
                let n: u64 = ctx.payload_as()?;
                ctx.reply(json!({"n": n}))?;
                Ok(())
            }
        })
        .on("ask-reply", move |Data(n): Data<u64>, reply: Reply| {
            let mut release = r2.clone();
            async move {
                release
                    .wait_for(|go| *go)
                    .await
                    .map_err(zap_core::HandlerError::from)?;
                reply
                    .send(json!({"n": n}))
                    .map_err(zap_core::HandlerError::from)
            }
        })
        .on_typed(move |Data(ask): Data<TypedAsk>, reply: Reply<TypedAsk>| {
            let mut release = r3.clone();
            async move {
                release
                    .wait_for(|go| *go)
                    .await
                    .map_err(zap_core::HandlerError::from)?;
                reply
                    .send(M { n: ask.n })
                    .map_err(zap_core::HandlerError::from)
            }
        })
}

async fn instance(redis: &Redis, prefix: &str, release: watch::Receiver<bool>) -> ZapServer {
    let config = RedisConfig::new(redis.url())
        .prefix(prefix)
        .heartbeat(std::time::Duration::from_millis(200))
        .instance_ttl(std::time::Duration::from_secs(1));
    let backend = RedisBackend::connect_with_config(config).await.unwrap();
    ZapServer::builder()
        .port(0)
        .register(register(release).backend(backend))
        .start()
        .await
        .unwrap()
}

/// Checks one arrival of `n` through `api` at a recovering client.
fn check_stamped(api: Api, event: &EventData, n: u64) {
    assert_eq!(
        event.payload().to_value().unwrap(),
        json!({"n": n}),
        "{api:?}"
    );
    let headers = event.headers();
    if api.is_room() {
        assert_eq!(headers["zap-room"], "room", "{api:?}: {headers:?}");
        assert!(headers["zap-offset"].is_u64(), "{api:?}: {headers:?}");
        assert!(!headers.contains_key("zap-seq"), "{api:?}: {headers:?}");
    } else {
        assert!(headers["zap-seq"].is_u64(), "{api:?}: {headers:?}");
    }
    if api.with_headers() {
        assert_eq!(headers["app"], "h", "{api:?}: {headers:?}");
    }
    if api.is_reply() {
        assert!(
            headers.contains_key("zap-response-to"),
            "{api:?}: {headers:?}"
        );
    }
}

/// Reads until the event carrying `n` arrives; fails on a second copy of
/// anything (the raw client drops what it has seen by its stamps: any
/// duplicate shows in `duplicates`).
async fn expect(client: &mut RawClient, api: Api, n: u64) {
    loop {
        let event = within("the event", client.next()).await.unwrap();
        if event.payload().to_value().unwrap() == json!({"n": n}) {
            check_stamped(api, &event, n);
            return;
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Connected,
    DroppedBeforeTheSend,
    ResumedOnAnotherInstance,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_api_delivers_exactly_once_stamped_to_a_recovering_client() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("send-api");
    let (release_tx, release) = watch::channel(false);
    let a = instance(&redis, &prefix, release.clone()).await;
    let b = instance(&redis, &prefix, release).await;
    let mut n = 0;
    for state in [
        State::Connected,
        State::DroppedBeforeTheSend,
        State::ResumedOnAnotherInstance,
    ] {
        for api in APIS {
            n += 1;
            release_tx.send_replace(false);
            let proxy = Proxy::start(a.local_addr()).await;
            let mut client = RawClient::new(proxy.url());
            let session = client.connect().await.unwrap();
            let id = session["id"].as_str().unwrap().to_owned();
            client.send("join", Value::Null).await.unwrap();
            client.flush().await.unwrap();
            assert_eq!(client.next().await.unwrap().event_name(), "join");
            let conn = a.router().connection(&id).unwrap();
            if api.is_reply() {
                let request = match api {
                    Api::TypedReply => json!({"n": n}),
                    _ => json!(n),
                };
                client
                    .request(api.request_event(), request, "r")
                    .await
                    .unwrap();
                client.flush().await.unwrap();
            }
            if !matches!(state, State::Connected) {
                proxy.cut();
                client.drain_until_lost().await;
            }
            // Room and id sends come from the other instance too.
            let from = if n % 2 == 0 { &a } else { &b };
            match api.is_reply() {
                true => {
                    release_tx.send_replace(true);
                }
                false => send(api, from, &conn, &id, n),
            }
            match state {
                State::Connected => {}
                State::DroppedBeforeTheSend => {
                    proxy.restore();
                    let resumed = client.connect().await.unwrap();
                    assert_eq!(resumed["status"], "recovered", "{api:?}: {resumed}");
                }
                State::ResumedOnAnotherInstance => {
                    proxy.set_upstream(b.local_addr());
                    proxy.restore();
                    let resumed = client.connect().await.unwrap();
                    assert_eq!(resumed["status"], "recovered", "{api:?}: {resumed}");
                    assert_eq!(resumed["id"], id.as_str());
                }
            }
            expect(&mut client, api, n).await;
            assert_eq!(client.duplicates, 0, "{api:?} {state:?}");
            client.until_acked().await.unwrap();
            client.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_api_delivers_plain_v1_frames_to_a_v1_client() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("send-api-v1");
    let (release_tx, release) = watch::channel(true);
    let a = instance(&redis, &prefix, release.clone()).await;
    let b = instance(&redis, &prefix, release).await;
    let _ = release_tx;
    for (n, api) in (1u64..).zip(APIS) {
        let (mut ws, _) = tokio_tungstenite::connect_async(a.url()).await.unwrap();
        ws.send(Message::text(r#"{"eventName":"join","payload":null}"#))
            .await
            .unwrap();
        let joined = loop {
            if let Message::Text(text) = within("joined", ws.next()).await.unwrap().unwrap() {
                break text.as_str().to_owned();
            }
        };
        assert_eq!(joined, r#"{"eventName":"join","payload":"joined"}"#);
        let id = a
            .router()
            .connections()
            .into_iter()
            .next()
            .unwrap()
            .id()
            .to_string();
        let conn = a.router().connection(&id).unwrap();
        if api.is_reply() {
            let request = match api {
                Api::TypedReply => json!({"n": n}),
                _ => json!(n),
            };
            let frame = json!({"eventName": api.request_event(), "payload": request});
            ws.send(Message::text(frame.to_string())).await.unwrap();
        } else {
            let from = if n % 2 == 0 { &a } else { &b };
            send(api, from, &conn, &id, n);
        }
        let text = loop {
            if let Message::Text(text) = within("the event", ws.next()).await.unwrap().unwrap() {
                break text.as_str().to_owned();
            }
        };
        let event = zap_protocol::decode(&text).unwrap();
        assert_eq!(
            event.payload().to_value().unwrap(),
            json!({"n": n}),
            "{api:?}"
        );
        // Exactly what v1 expects: no `zap-*` header, no headers key at all
        // unless the application gave some.
        match api.with_headers() {
            true => assert_eq!(event.headers().len(), 1, "{api:?}: {text}"),
            false => assert!(!text.contains("\"headers\""), "{api:?}: {text}"),
        }
        assert!(!text.contains("zap-"), "{api:?}: {text}");
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
        common::eventually("the connection gone", || async { a.router().count() == 0 }).await;
    }
}
