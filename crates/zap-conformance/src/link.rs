//! [`Link`]: what a suite client's WebSocket runs over: a TCP connection to
//! a real server, or an in-memory pipe to the in-memory integration.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;

/// The byte stream under a [`Ws`](crate::Ws).
#[derive(Debug)]
pub enum Link {
    /// A TCP connection (every integration but the in-memory one).
    Tcp(MaybeTlsStream<TcpStream>),
    /// A pipe to [`serve_in_memory`](crate::serve_in_memory): no socket.
    Memory(DuplexStream),
}

impl AsyncRead for Link {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Link::Memory(pipe) => Pin::new(pipe).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Link {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Link::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Link::Memory(pipe) => Pin::new(pipe).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Link::Memory(pipe) => Pin::new(pipe).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Link::Memory(pipe) => Pin::new(pipe).poll_shutdown(cx),
        }
    }
}
