//! [`Pooled`]: a socket whose reads go through a chunk borrowed from a
//! per-thread pool only while bytes are waiting, so an idle connection
//! holds no read buffer of its own.
//!
//! tungstenite allocates its read buffer when the WebSocket is made and
//! keeps it for the connection's whole life (4 KiB per connection here,
//! most of an idle connection's memory). Under [`Pooled`], tungstenite is
//! given a small buffer of its own ([`TUNGSTENITE_READ`] bytes): the socket
//! is read a chunk at a time ([`ConnectionConfig::read_buffer_size`]) into a
//! chunk taken from the thread's pool, tungstenite copies from it what it
//! asks for, and the chunk goes back to the pool as soon as it is drained.
//! A chunk is zero-filled once, when first allocated, instead of
//! tungstenite's zero-filling its whole free buffer before every read.
//!
//! [`ConnectionConfig::read_buffer_size`]: zap_core::ConnectionConfig::read_buffer_size

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::ReadGate;

/// The read buffer tungstenite allocates for itself under [`Pooled`]: what
/// an idle connection keeps. tungstenite asks for at most this many bytes
/// more than it already holds at each read; a small event's frame (about a
/// hundred bytes) comes in one or two such reads.
pub(crate) const TUNGSTENITE_READ: usize = 64;

/// The largest chunk read at a time: offsets in a chunk are `u32`s, which
/// keeps each connection's state small.
const MAX_CHUNK: usize = 1 << 20;

/// Free chunks kept per thread at most: one per connection of the thread
/// that is in the middle of reading at the same time.
const POOL_MAX: usize = 64;

thread_local! {
    /// The free chunks of this thread (all of one size in practice: one
    /// server's configuration).
    static FREE: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// A free chunk of `size` bytes: from the pool, or a new one (zero-filled
/// once).
fn take(size: usize) -> Box<[u8]> {
    // `try_with`: a thread being torn down has no pool any more.
    FREE.try_with(|free| free.borrow_mut().pop())
        .ok()
        .flatten()
        .filter(|chunk| chunk.len() == size)
        .unwrap_or_else(|| vec![0; size].into_boxed_slice())
}

/// Gives a drained chunk of `size` bytes back to the pool.
fn give(chunk: Box<[u8]>, size: usize) {
    if chunk.len() != size {
        return;
    }
    let _ = FREE.try_with(|free| {
        let mut free = free.borrow_mut();
        if free.len() < POOL_MAX {
            free.push(chunk);
        }
    });
}

/// `S`, read through chunks borrowed from a per-thread pool only while
/// bytes are waiting (see [`WsTransport::server`](crate::WsTransport::server)).
#[derive(Debug)]
pub struct Pooled<S> {
    io: S,
    /// Whether `io` may have bytes, when it can tell.
    readiness: Option<ReadGate<S>>,
    /// The bytes read but not yet handed out: `chunk[start..end]`. `None`
    /// when there are none.
    chunk: Option<Box<[u8]>>,
    start: u32,
    end: u32,
    /// Bytes read from `io` at a time.
    size: u32,
}

/// `n`, an offset in a chunk or in the leftover bytes (see [`Pooled::new`]).
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<S: AsyncRead + Unpin> Pooled<S> {
    /// `io`, read `size` bytes at a time (at most 1 MiB), with `leftover`
    /// (bytes read past the upgrade request: less than 4 GiB) read first.
    /// `readiness` tells whether `io` may have bytes; without it,
    /// [`Pooled::poll_gate`] reads ahead.
    pub(crate) fn new(
        io: S,
        leftover: Vec<u8>,
        size: usize,
        readiness: Option<ReadGate<S>>,
    ) -> Self {
        let end = index(leftover.len());
        Pooled {
            io,
            readiness,
            chunk: (end > 0).then(|| leftover.into_boxed_slice()),
            start: 0,
            end,
            size: index(size.clamp(1, MAX_CHUNK)),
        }
    }

    /// The [`ReadGate`] of the transport: `Ready` when bytes are held, or
    /// when the socket may have some (as its `readiness` says, or by reading
    /// ahead into a chunk when it has none); `Pending` with `cx` registered
    /// when nothing is waiting. A read that ends the stream or fails also
    /// opens the gate: the next read says so.
    pub(crate) fn poll_gate(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.chunk.is_some() {
            return Poll::Ready(());
        }
        if let Some(readiness) = self.readiness {
            return readiness(&mut self.io, cx);
        }
        let mut chunk = take(self.size as usize);
        let mut buf = ReadBuf::new(&mut chunk);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len();
                if read > 0 {
                    self.hold(chunk, 0, index(read));
                } else {
                    give(chunk, self.size as usize);
                }
                Poll::Ready(())
            }
            Poll::Ready(Err(_)) => {
                give(chunk, self.size as usize);
                Poll::Ready(())
            }
            Poll::Pending => {
                give(chunk, self.size as usize);
                Poll::Pending
            }
        }
    }

    /// Keeps `chunk[start..end]` to hand out (nothing is held).
    fn hold(&mut self, chunk: Box<[u8]>, start: u32, end: u32) {
        self.chunk = Some(chunk);
        self.start = start;
        self.end = end;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Pooled<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(chunk) = &this.chunk {
            let waiting = &chunk[this.start as usize..this.end as usize];
            let taken = waiting.len().min(buf.remaining());
            buf.put_slice(&waiting[..taken]);
            this.start += index(taken);
            if this.start == this.end
                && let Some(chunk) = this.chunk.take()
            {
                give(chunk, this.size as usize);
            }
            return Poll::Ready(Ok(()));
        }
        let mut chunk = take(this.size as usize);
        let mut ahead = ReadBuf::new(&mut chunk);
        let polled = Pin::new(&mut this.io).poll_read(cx, &mut ahead);
        let read = ahead.filled().len();
        if matches!(polled, Poll::Ready(Ok(()))) && read > 0 {
            let taken = read.min(buf.remaining());
            buf.put_slice(&chunk[..taken]);
            if taken < read {
                this.hold(chunk, index(taken), index(read));
                return polled;
            }
        }
        give(chunk, this.size as usize);
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Pooled<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn noop() -> Context<'static> {
        Context::from_waker(futures_util::task::noop_waker_ref())
    }

    #[tokio::test]
    async fn bytes_read_ahead_come_first_and_nothing_is_lost() {
        let (mut peer, io) = tokio::io::duplex(4096);
        let mut pooled = Pooled::new(io, Vec::new(), 256, None);
        assert_eq!(pooled.poll_gate(&mut noop()), Poll::Pending);
        let sent: Vec<u8> = (0..1000u32).map(|n| n as u8).collect();
        peer.write_all(&sent).await.unwrap();
        assert_eq!(pooled.poll_gate(&mut noop()), Poll::Ready(()));
        let mut got = vec![0; sent.len()];
        pooled.read_exact(&mut got).await.unwrap();
        assert_eq!(got, sent);
        drop(peer);
        assert_eq!(pooled.poll_gate(&mut noop()), Poll::Ready(()));
        assert_eq!(pooled.read(&mut got).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn leftover_bytes_are_read_before_the_socket() {
        let (mut peer, io) = tokio::io::duplex(4096);
        let mut pooled = Pooled::new(io, b"early".to_vec(), 256, None);
        assert_eq!(pooled.poll_gate(&mut noop()), Poll::Ready(()));
        peer.write_all(b" late").await.unwrap();
        let mut got = [0; 10];
        pooled.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"early late");
    }

    #[tokio::test]
    async fn a_drained_connection_holds_no_chunk() {
        let (mut peer, io) = tokio::io::duplex(4096);
        let mut pooled = Pooled::new(io, Vec::new(), 256, None);
        peer.write_all(&[7; 100]).await.unwrap();
        let mut first = [0; 30];
        pooled.read_exact(&mut first).await.unwrap();
        assert!(pooled.chunk.is_some(), "70 bytes are still waiting");
        let mut rest = [0; 70];
        pooled.read_exact(&mut rest).await.unwrap();
        assert!(
            pooled.chunk.is_none(),
            "the drained chunk went back to the pool"
        );
        assert_eq!(pooled.poll_gate(&mut noop()), Poll::Pending);
        assert!(
            pooled.chunk.is_none(),
            "a gate that found nothing keeps nothing"
        );
    }
}
