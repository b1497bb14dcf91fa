//! The conformance suite against the in-memory integration: zap-core's
//! `Endpoint` over `tokio::io::duplex` pipes, no socket and no port.

use zap_conformance::{Endpoint, Running, serve_in_memory};

async fn serve(endpoint: Endpoint) -> Running {
    serve_in_memory(endpoint).await
}

zap_conformance::conformance_tests!(serve);
