//! [`ReadReady`]: whether a socket may have bytes to read, asked before
//! tungstenite is polled for the next message.
//!
//! tungstenite zero-fills the free part of its read buffer before every read
//! (4 KiB by default here), including reads that find nothing: measured with
//! callgrind, a fan-out delivery spent about a third of its instructions in
//! that `memset` plus a `recvfrom` answering `EAGAIN`, because every write
//! wake-up of a connection polled its read side too. Once a read has come
//! back empty, zap-tungstenite's `WsTransport` (given this as its read gate) waits for the
//! socket to become readable before reading again.

use std::task::{Context, Poll};

use tokio::net::TcpStream;

/// A stream that can tell when it may have bytes to read.
pub(crate) trait ReadReady {
    /// `Ready` when a read may find bytes (or an error); `Pending`, with
    /// `cx` registered, when the socket is known to be empty.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()>;
}

impl ReadReady for TcpStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        // An error is left for the read itself to report.
        TcpStream::poll_read_ready(self, cx).map(|_| ())
    }
}

/// rustls keeps decrypted bytes of its own: socket readiness says nothing
/// about them, so a TLS stream is always worth reading.
#[cfg(feature = "tls")]
impl ReadReady for tokio_rustls::server::TlsStream<TcpStream> {
    fn poll_read_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}
