//! [`TlsConfig`]: the certificate and key of a `wss://` server (feature `tls`).

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::ServerError;

/// A server certificate chain and private key, for `wss://`.
///
/// Uses rustls with the *ring* provider.
///
/// ```no_run
/// # fn demo() -> Result<(), zap_server::ServerError> {
/// let tls = zap_server::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let builder = zap_server::ZapServer::builder().tls(tls);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TlsConfig(Arc<ServerConfig>);

impl TlsConfig {
    /// Reads a PEM certificate chain and a PEM private key.
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<Self, ServerError> {
        let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &*cert_chain)
            .collect::<Result<_, _>>()
            .map_err(|err| ServerError::Tls(format!("certificate chain: {err}")))?;
        if certs.is_empty() {
            return Err(ServerError::Tls("no certificate in the PEM data".into()));
        }
        let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut &*private_key)
            .map_err(|err| ServerError::Tls(format!("private key: {err}")))?
            .ok_or_else(|| ServerError::Tls("no private key in the PEM data".into()))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| ServerError::Tls(err.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|err| ServerError::Tls(err.to_string()))?;
        Ok(TlsConfig(Arc::new(config)))
    }

    /// Reads the certificate chain and key from PEM files.
    pub fn from_pem_files(
        cert_chain: impl AsRef<std::path::Path>,
        private_key: impl AsRef<std::path::Path>,
    ) -> Result<Self, ServerError> {
        let read = |path: &std::path::Path| {
            std::fs::read(path)
                .map_err(|err| ServerError::Tls(format!("{}: {err}", path.display())))
        };
        TlsConfig::from_pem(&read(cert_chain.as_ref())?, &read(private_key.as_ref())?)
    }

    /// Uses a rustls configuration built by the caller (client
    /// authentication, ALPN, another crypto provider…).
    pub fn from_rustls(config: Arc<ServerConfig>) -> Self {
        TlsConfig(config)
    }

    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.0.clone())
    }
}
