//! The upgrade: the authorization hook refuses with 401/403 before any
//! session exists, what it stores reaches the handlers, handshake data
//! reaches `connected`, id strategies hold, and plain HTTP is not upgraded.

use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zap_core::{EventRegister, Rejection};

use crate::{
    Client, Endpoint, Integration, Running, conformance_register, http_request, refused_status,
};

#[derive(Clone, Debug, PartialEq)]
struct User(String);

/// `Bearer good` passes and stores a `User`; another token is 403; none is 401.
fn with_auth(register: EventRegister) -> EventRegister {
    register
        .authorize(|hs| async move {
            match hs.bearer_token() {
                Some("good") => {
                    hs.extensions().insert(User("ada".into()));
                    Ok(())
                }
                Some(_) => Err(Rejection::forbidden().with_reason("token not allowed")),
                None => Err(Rejection::unauthorized().with_reason("missing token")),
            }
        })
        .on_event("user", |ctx| async move {
            let user = ctx.connection().extensions().get::<User>();
            ctx.reply(user.map(|User(name)| name))?;
            Ok(())
        })
}

fn request(server: &Running, token: Option<&str>) -> http::Request<()> {
    let mut request = server.url().into_client_request().unwrap();
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        request.headers_mut().insert("authorization", value);
    }
    request
}

/// A raw upgrade request for the server's path.
fn raw_upgrade(server: &Running) -> String {
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.path(),
        server.addr()
    )
}

/// The hook refuses with 401 (no token) or 403 (bad token), with its reason
/// as the body, and no connection is made.
pub async fn the_authorization_hook_refuses_with_401_and_403(it: &impl Integration) {
    let (register, mut probe) = conformance_register();
    let router = register.router().clone();
    let server = it.serve(Endpoint::new(with_auth(register))).await;
    assert_eq!(refused_status(request(&server, None)).await, 401);
    assert_eq!(refused_status(request(&server, Some("bad"))).await, 403);
    let raw = http_request(server.addr(), &raw_upgrade(&server)).await;
    assert!(raw.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\nmissing token\n"), "{raw}");
    assert_eq!(router.count(), 0);
    assert!(
        probe.drain().is_empty(),
        "no handler runs for a refused upgrade"
    );
}

/// What the hook stores in the handshake's extensions, handlers read.
pub async fn what_the_authorization_hook_stores_reaches_the_handlers(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let server = it.serve(Endpoint::new(with_auth(register))).await;
    let mut client = Client::connect_request(request(&server, Some("good"))).await;
    assert_eq!(client.call("user", json!(null)).await, json!("ada"));
}

/// Path, query, a header and the peer's IP reach the `connected` handler.
pub async fn handshake_data_reaches_the_connected_handler(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let server = it.serve(Endpoint::new(register)).await;
    let url = format!("{}?room=the%20lobby&n=1", server.url());
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-agent", "conformance/1.0".parse().unwrap());
    let client = Client::connect_request(request).await;
    let mut greeting = client.greeting.clone();
    greeting.as_object_mut().unwrap().remove("id");
    assert_eq!(
        greeting,
        json!({
            "path": server.path(),
            "query": "room=the%20lobby&n=1",
            "agent": "conformance/1.0",
            "peer_ip": "127.0.0.1",
        })
    );
}

/// An id strategy names connections; a second connection with a live id is
/// closed with 1008 and the first keeps working.
pub async fn an_id_strategy_names_connections_and_duplicates_are_refused(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let register = register
        .id_strategy(|hs| format!("user-{}", hs.query_param("name").unwrap_or_default()).into());
    let server = it.serve(Endpoint::new(register)).await;
    let url = format!("{}?name=ada", server.url());
    let mut first = Client::connect(&url).await;
    assert_eq!(first.id, "user-ada");
    let mut second = Client::open(&url).await;
    let close = crate::client::recv_close(&mut second)
        .await
        .expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "duplicate connection id");
    first.assert_echoes("first keeps its id").await;
}

/// A plain HTTP GET on the endpoint is answered 4xx and never upgraded.
pub async fn a_plain_http_request_is_not_upgraded(it: &impl Integration) {
    let (register, mut probe) = conformance_register();
    let server = it.serve(Endpoint::new(register)).await;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.path(),
        server.addr()
    );
    let response = http_request(server.addr(), &request).await;
    let status: u16 = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    assert!((400..500).contains(&status), "{response}");
    assert!(probe.drain().is_empty());
}
