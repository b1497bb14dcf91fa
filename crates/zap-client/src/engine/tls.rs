//! Wrapping a TCP stream in TLS for `wss://` (feature `tls`).

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use super::dial::Io;
use crate::{ConnectError, TlsConfig};

/// Runs the TLS handshake for `host` with `config`, or with the default
/// roots: the platform's (`tls-native-roots`), else Mozilla's
/// (`tls-webpki-roots`).
pub(crate) async fn wrap(
    tcp: TcpStream,
    host: &str,
    config: Option<&TlsConfig>,
) -> Result<Box<dyn Io>, ConnectError> {
    let config = match config {
        Some(config) => config.client_config(),
        None => default_config()?,
    };
    let name = ServerName::try_from(host.to_owned()).map_err(|_| {
        tls_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{host}` is not a valid TLS server name"),
        ))
    })?;
    let stream = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(tls_error)?;
    Ok(Box::new(stream))
}

fn tls_error(error: io::Error) -> ConnectError {
    ConnectError::Tls(Arc::new(error))
}

/// The platform's roots, read once per process.
#[cfg(feature = "tls-native-roots")]
fn default_config() -> Result<Arc<tokio_rustls::rustls::ClientConfig>, ConnectError> {
    static NATIVE: std::sync::OnceLock<Arc<tokio_rustls::rustls::ClientConfig>> =
        std::sync::OnceLock::new();
    if let Some(config) = NATIVE.get() {
        return Ok(Arc::clone(config));
    }
    let config = TlsConfig::native_roots()
        .map(|config| config.client_config())
        .map_err(|e| tls_error(io::Error::other(e)))?;
    Ok(Arc::clone(NATIVE.get_or_init(|| config)))
}

#[cfg(all(feature = "tls-webpki-roots", not(feature = "tls-native-roots")))]
fn default_config() -> Result<Arc<tokio_rustls::rustls::ClientConfig>, ConnectError> {
    TlsConfig::webpki_roots()
        .map(|config| config.client_config())
        .map_err(|e| tls_error(io::Error::other(e)))
}

#[cfg(not(any(feature = "tls-webpki-roots", feature = "tls-native-roots")))]
fn default_config() -> Result<Arc<tokio_rustls::rustls::ClientConfig>, ConnectError> {
    Err(tls_error(io::Error::new(
        io::ErrorKind::NotFound,
        "no trusted roots: pass a TlsConfig to the builder, or enable `tls-native-roots` or `tls-webpki-roots`",
    )))
}
