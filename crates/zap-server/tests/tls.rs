//! `wss://`: a certificate generated in the test, a client trusting it.
#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::tungstenite::Message;
use zap_server::TlsConfig;

#[tokio::test]
async fn a_tls_client_trusting_the_certificate_exchanges_events() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tls = TlsConfig::from_pem(
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let server = builder(echo_register()).tls(tls).start().await.unwrap();
    assert!(server.url().starts_with("wss://"));

    let mut roots = RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let stream = TlsConnector::from(Arc::new(client_config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    ws.send(Message::text(r#"{"eventName":"echo","payload":"secret"}"#))
        .await
        .unwrap();
    let reply = within("the echo", ws.next()).await.unwrap().unwrap();
    assert_eq!(
        reply.to_text().unwrap(),
        r#"{"eventName":"echo","payload":"secret"}"#
    );
}

#[tokio::test]
async fn invalid_pem_is_a_typed_error() {
    let err = TlsConfig::from_pem(b"not a cert", b"not a key").unwrap_err();
    assert!(
        err.to_string().contains("invalid TLS configuration"),
        "{err}"
    );
}
