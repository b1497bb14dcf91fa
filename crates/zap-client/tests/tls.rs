//! `wss://` against a zap-server with TLS: a self-signed certificate made in
//! the test, trusted by the client through `TlsConfig` (feature `tls`), a
//! rustls config built with the re-exported `zap_client::rustls`, or the
//! platform's roots (feature `tls-native-roots`).

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
        .send_event("echo", json!({"secure": true}))
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

#[tokio::test]
async fn a_rustls_config_built_with_the_reexport_is_accepted() {
    use std::sync::Arc;
    use zap_client::rustls::pki_types::CertificateDer;
    use zap_client::rustls::pki_types::pem::PemObject;
    use zap_client::rustls::{ClientConfig, RootCertStore, crypto::ring};

    let (server, cert_pem) = tls_server().await;
    let mut roots = RootCertStore::empty();
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("PEM");
    roots.add(cert).expect("root");
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let tls = TlsConfig::from_rustls(Arc::new(config));
    within("connect", ZapSubscriber::builder(url).tls(tls).connect())
        .await
        .expect("connects over TLS");
}

/// Set in the child process of the test below: the URL to connect to.
#[cfg(feature = "tls-native-roots")]
const NATIVE_ROOTS_CHILD: &str = "ZAP_CLIENT_TEST_NATIVE_ROOTS_URL";

#[cfg(feature = "tls-native-roots")]
#[tokio::test]
async fn without_a_tls_config_wss_trusts_the_platform_roots() {
    // The child: `SSL_CERT_FILE` points at the test server's certificate,
    // which rustls-native-certs then reads as the platform's roots.
    if let Ok(url) = std::env::var(NATIVE_ROOTS_CHILD) {
        let client = within("connect", ZapSubscriber::builder(url).connect())
            .await
            .expect("connects, trusting SSL_CERT_FILE");
        assert!(client.is_connected());
        return;
    }
    // The parent cannot set the variable for itself (that needs `unsafe`),
    // so it runs this test again in a child process that has it.
    let (server, cert_pem) = tls_server().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let cert_file = dir.path().join("roots.pem");
    std::fs::write(&cert_file, cert_pem).expect("writes the certificate");
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let exe = std::env::current_exe().expect("test binary");
    let child = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args([
                "--exact",
                "without_a_tls_config_wss_trusts_the_platform_roots",
            ])
            .env(NATIVE_ROOTS_CHILD, url)
            .env("SSL_CERT_FILE", cert_file)
            .env_remove("SSL_CERT_DIR")
            .output()
    });
    let output = within("the child test", child)
        .await
        .expect("task")
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
