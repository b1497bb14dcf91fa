//! One register served at once by zap-server, axum, warp and actix-web:
//! rooms and connection handles span every integration in the process.

use std::net::SocketAddr;

use serde_json::json;
use warp::Filter;
use zap_conformance::{Client, conformance_register};
use zap_core::EventRegister;

async fn zap_server(register: EventRegister) -> String {
    let server = zap_server::ZapServer::builder()
        .port(0)
        .path("/ws")
        .register(register)
        .start()
        .await
        .expect("bind 127.0.0.1:0");
    let url = server.url().to_owned();
    tokio::spawn(server.run_until(std::future::pending::<()>()));
    url
}

async fn axum(register: EventRegister) -> String {
    let app = axum::Router::new().route("/ws", axum::routing::get(zap_axum::handler(register)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    format!("ws://{addr}/ws")
}

async fn warp(register: EventRegister) -> String {
    let routes = warp::path("ws").and(zap_warp::filter(register));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    format!("ws://{addr}/ws")
}

/// actix-web on a thread of its own with two workers.
async fn actix(register: EventRegister) -> String {
    use actix_web::{App, HttpServer, web};
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let ws = zap_actix::handler(register);
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("an address");
            let server =
                HttpServer::new(move || App::new().route("/ws", web::get().to(ws.clone())))
                    .workers(2)
                    .disable_signals()
                    .listen(listener)
                    .expect("listen")
                    .run();
            let _ = tx.send(addr);
            server.await
        })
    });
    let addr = zap_conformance::within("actix to start", rx)
        .await
        .expect("started");
    format!("ws://{addr}/ws")
}

#[tokio::test]
async fn rooms_and_connections_span_every_integration() {
    let (register, _probe) = conformance_register();
    let router = register.router().clone();
    let urls = [
        zap_server(register.clone()).await,
        axum(register.clone()).await,
        warp(register.clone()).await,
        actix(register.clone()).await,
        actix(register).await,
    ];
    let mut clients = Vec::new();
    for url in &urls {
        let mut client = Client::connect(url).await;
        assert_eq!(client.call("join", json!("everywhere")).await, json!(true));
        clients.push(client);
    }
    assert_eq!(router.room_size("everywhere"), urls.len());

    // A broadcast from each integration reaches every other one, once.
    for sender in 0..clients.len() {
        let text = format!("from {sender}");
        let delivered = clients[sender]
            .call("say", json!(["everywhere", text]))
            .await;
        assert_eq!(delivered, json!(urls.len() - 1));
        for (n, client) in clients.iter_mut().enumerate() {
            if n != sender {
                assert_eq!(client.expect("said").await, json!(text));
            }
        }
    }

    // A connection held by one integration is sent to from another's handler.
    let ids: Vec<String> = clients.iter().map(|client| client.id.clone()).collect();
    for (from, to) in [(0, 4), (4, 1), (1, 2), (2, 3), (3, 0)] {
        clients[from].send("poke", json!(ids[to])).await;
        assert_eq!(clients[to].expect("poked").await, json!(ids[from]));
    }
}
