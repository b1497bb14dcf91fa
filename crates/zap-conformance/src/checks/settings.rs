//! The settings every integration takes from the one `zap_core::Endpoint`:
//! the read buffer size, subprotocols and the connection cap.

use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zap_core::ConnectionConfig;

use crate::{Client, Endpoint, Integration, conformance_register, refused_status, within};

/// With the smallest read buffer (256 bytes), messages hundreds of times
/// larger, whole or fragmented, are read intact: the integration reads
/// through the configured buffer, chunk after chunk.
pub async fn a_small_read_buffer_reads_large_messages_whole(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let config = ConnectionConfig::default().read_buffer_size(256);
    let server = it.serve(Endpoint::new(register).config(config)).await;
    let mut client = Client::connect(server.url()).await;
    let text = "r".repeat(100 * 1024);
    assert_eq!(client.call("echo", json!(text)).await, json!(text));
    let frame = json!({"eventName": "echo", "payload": text}).to_string();
    client.send_fragmented(&frame, 1000).await;
    assert_eq!(client.expect("echo").await, json!(text));
}

/// The first subprotocol the client offers that the endpoint lists is
/// named in the upgrade response; a client that offers none gets none.
pub async fn an_offered_subprotocol_is_negotiated(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let config = ConnectionConfig::default().subprotocols(["zap.v1", "chat"]);
    let server = it.serve(Endpoint::new(register).config(config)).await;

    let mut request = server.url().into_client_request().unwrap();
    let offer = "other, chat, zap.v1".parse().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", offer);
    let (ws, response) = within("connect", crate::client::connect_async(request))
        .await
        .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    Client::greeted(ws)
        .await
        .assert_echoes("with a subprotocol")
        .await;

    let (ws, response) = within("connect", crate::client::connect_async(server.url()))
        .await
        .unwrap();
    assert!(!response.headers().contains_key("sec-websocket-protocol"));
    Client::greeted(ws).await.assert_echoes("without").await;
}

/// Past `max_connections`, upgrades are answered 503; a slot freed by a
/// connection that leaves is taken by the next client.
pub async fn upgrades_past_max_connections_are_answered_503(it: &impl Integration) {
    let (register, _probe) = conformance_register();
    let server = it.serve(Endpoint::new(register).max_connections(2)).await;
    let mut first = Client::connect(server.url()).await;
    let _second = Client::connect(server.url()).await;
    assert_eq!(refused_status(server.url()).await, 503);
    first.assert_echoes("the first still works").await;
    first.ws.close(None).await.unwrap();
    // Reads the server's close reply to the end of the stream.
    let _ = crate::client::recv_close(&mut first.ws).await;
    within("a slot to free up", async {
        loop {
            if let Ok((ws, _)) = crate::client::connect_async(server.url()).await {
                Client::greeted(ws)
                    .await
                    .assert_echoes("the third got the slot")
                    .await;
                break;
            }
            // The slot frees once the first session has run `disconnected`.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
}
