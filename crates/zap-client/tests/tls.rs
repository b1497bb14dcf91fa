//! `wss://` against a zap-server with TLS: a self-signed certificate made in
//! the test, trusted by the client through `TlsConfig` (feature `tls`).

mod common;

use common::{next_payload, register, within};
use serde_json::json;
use zap_client::{ConnectError, TlsConfig, ZapSubscriber};
use zap_server::ZapServer;

async fn tls_server() -> (ZapServer, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert_pem = certified.cert.pem();
    let tls = zap_server::TlsConfig::from_pem(
        cert_pem.as_bytes(),
        certified.signing_key.serialize_pem().as_bytes(),
    )
    .expect("server TLS config");
    let server = ZapServer::builder()
        .port(0)
        .register(register())
        .tls(tls)
        .start()
        .await
        .expect("server starts");
    (server, cert_pem)
}

#[tokio::test]
async fn wss_works_when_the_client_trusts_the_servers_certificate() {
    let (server, cert_pem) = tls_server().await;
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let tls = TlsConfig::with_root_certificates_pem(cert_pem.as_bytes()).expect("root");
    let client = within("connect", ZapSubscriber::builder(url).tls(tls).connect())
        .await
        .expect("connects over TLS");
    let mut echoes = client.subscribe_to_event("echo");
    client
        .send_event("echo", json!({"secure": true}), None)
        .expect("sent");
    assert_eq!(next_payload(&mut echoes).await, json!({"secure": true}));
}

#[tokio::test]
async fn wss_fails_with_a_tls_error_when_the_certificate_is_not_trusted() {
    let (server, _) = tls_server().await;
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let tls = TlsConfig::with_root_certificates_pem(other.cert.pem().as_bytes()).expect("root");
    let error = within("connect", ZapSubscriber::builder(url).tls(tls).connect())
        .await
        .expect_err("untrusted");
    assert!(matches!(error, ConnectError::Tls(_)), "{error:?}");
}

#[test]
fn pem_without_a_certificate_is_refused() {
    let error = TlsConfig::with_root_certificates_pem(b"not pem").expect_err("no cert");
    assert!(
        matches!(error, zap_client::TlsConfigError::NoCertificate),
        "{error:?}"
    );
}
