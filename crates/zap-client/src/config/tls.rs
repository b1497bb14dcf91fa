//! [`TlsConfig`]: which servers a `wss://` connection trusts (feature `tls`).

use std::fmt;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// The TLS settings of `wss://` connections: rustls with the `ring` crypto
/// provider, trusting the roots given here.
///
/// Without a `TlsConfig` on the builder, `wss://` trusts the operating
/// system's roots ([`TlsConfig::native_roots`], feature `tls-native-roots`),
/// else Mozilla's ([`TlsConfig::webpki_roots`], feature `tls-webpki-roots`),
/// else fails with [`ConnectError::Tls`](crate::ConnectError::Tls).
///
/// ```
/// # fn pem() -> Vec<u8> {
/// #     let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// #     key.cert.pem().into_bytes()
/// # }
/// use zap_client::{TlsConfig, ZapSubscriber};
///
/// // A private CA, or a test server's self-signed certificate:
/// let tls = TlsConfig::with_root_certificates_pem(&pem())?;
/// let client = ZapSubscriber::builder("wss://localhost:8443/").tls(tls).build();
/// # Ok::<(), zap_client::TlsConfigError>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
}

/// A [`TlsConfig`] could not be made from the given certificates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The PEM text holds no `CERTIFICATE` block.
    #[error("no certificate in the PEM data")]
    NoCertificate,
    /// The PEM text is malformed.
    #[error("invalid PEM data: {0}")]
    Pem(#[source] pem::Error),
    /// rustls refused a certificate (not DER X.509) or the configuration.
    #[error("rejected by rustls: {0}")]
    Rustls(#[source] rustls::Error),
    /// [`TlsConfig::native_roots`] found no usable root certificate in the
    /// operating system's store. Install the CA certificates (the
    /// `ca-certificates` package on Debian), point `SSL_CERT_FILE` at a PEM
    /// file, or give the roots explicitly.
    #[error("no usable root certificate in the platform's store: {reason}")]
    NoNativeRoots {
        /// What went wrong while reading the store.
        reason: String,
    },
}

impl TlsConfig {
    /// Trusts the certificates of a PEM text (one or more `CERTIFICATE`
    /// blocks; other blocks are skipped).
    pub fn with_root_certificates_pem(pem: &[u8]) -> Result<Self, TlsConfigError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(TlsConfigError::Pem)?;
        if certs.is_empty() {
            return Err(TlsConfigError::NoCertificate);
        }
        Self::with_root_certificates_der(certs)
    }

    /// Trusts the given DER-encoded certificates.
    pub fn with_root_certificates_der<I>(certs: I) -> Result<Self, TlsConfigError>
    where
        I: IntoIterator,
        I::Item: Into<CertificateDer<'static>>,
    {
        let mut roots = RootCertStore::empty();
        for cert in certs {
            roots.add(cert.into()).map_err(TlsConfigError::Rustls)?;
        }
        Self::with_roots(roots)
    }

    /// Trusts Mozilla's root certificates, as bundled by `webpki-roots`
    /// (feature `tls-webpki-roots`).
    #[cfg(feature = "tls-webpki-roots")]
    pub fn webpki_roots() -> Result<Self, TlsConfigError> {
        Self::with_roots(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
    }

    /// Trusts the operating system's root certificates, as found by
    /// `rustls-native-certs` (feature `tls-native-roots`): the system store,
    /// or only the PEM file in `SSL_CERT_FILE` and the directories in
    /// `SSL_CERT_DIR` when either is set. Unreadable sources and
    /// certificates rustls cannot parse are skipped (and logged); fails
    /// only when none is usable. Reads the store at each call.
    #[cfg(feature = "tls-native-roots")]
    pub fn native_roots() -> Result<Self, TlsConfigError> {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "skipped a source of platform root certificates");
        }
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        if ignored > 0 {
            tracing::debug!(
                ignored,
                "skipped platform root certificates rustls cannot use"
            );
        }
        if added == 0 {
            let reason = match found.errors.first() {
                Some(error) => error.to_string(),
                None if ignored > 0 => format!("none of its {ignored} certificates is usable"),
                None => "it holds no certificate".to_owned(),
            };
            return Err(TlsConfigError::NoNativeRoots { reason });
        }
        Self::with_roots(roots)
    }

    /// Uses a rustls configuration as it is (client certificates, custom
    /// verifiers, ALPN…). Its crypto provider is the caller's choice. Build
    /// it with [`zap_client::rustls`](crate::rustls), the rustls version
    /// this crate uses:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zap_client::TlsConfig;
    /// use zap_client::rustls::{ClientConfig, RootCertStore, crypto::ring};
    ///
    /// let roots = RootCertStore::empty(); // add your roots here
    /// let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
    ///     .with_safe_default_protocol_versions()?
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let tls = TlsConfig::from_rustls(Arc::new(config));
    /// # Ok::<(), zap_client::rustls::Error>(())
    /// ```
    pub fn from_rustls(config: Arc<ClientConfig>) -> Self {
        TlsConfig { config }
    }

    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    fn with_roots(roots: RootCertStore) -> Result<Self, TlsConfigError> {
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(TlsConfigError::Rustls)?
                .with_root_certificates(roots)
                .with_no_client_auth();
        Ok(TlsConfig {
            config: Arc::new(config),
        })
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}
