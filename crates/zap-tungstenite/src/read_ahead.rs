//! [`ReadAhead`]: an upgraded connection of unknown type (hyper's
//! `Upgraded` when the server wrapped its socket, as hyper-util's `auto`
//! builder does) that can still act as a [`ReadGate`](crate::ReadGate): it
//! asks for readiness by reading a few bytes ahead into a small inline
//! buffer, which it hands out first.
//!
//! Without a gate, every poll of the session reads through tungstenite,
//! which zero-fills its 4 KiB read buffer first: an idle connection keeps
//! those pages resident, and each write wake-up pays the `memset`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read ahead at most: a small event's whole frame.
const AHEAD: usize = 128;

/// `T`, read a little ahead when asked whether bytes are waiting.
#[derive(Debug)]
pub(crate) struct ReadAhead<T> {
    io: T,
    ahead: [u8; AHEAD],
    /// The unread part of `ahead`.
    start: u8,
    end: u8,
}

impl<T: AsyncRead + Unpin> ReadAhead<T> {
    pub(crate) fn new(io: T) -> Self {
        ReadAhead {
            io,
            ahead: [0; AHEAD],
            start: 0,
            end: 0,
        }
    }

    /// The [`ReadGate`](crate::ReadGate): `Ready` once bytes were read
    /// ahead (or the stream ended or failed: the next read says so),
    /// `Pending` while nothing is waiting.
    pub(crate) fn poll_gate(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.start < self.end {
            return Poll::Ready(());
        }
        let mut buf = ReadBuf::new(&mut self.ahead);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                // At most AHEAD (128) bytes.
                self.end = u8::try_from(buf.filled().len()).unwrap_or(u8::MAX);
                self.start = 0;
                Poll::Ready(())
            }
            // The error is the next read's to report (a failed socket
            // fails again, or ends).
            Poll::Ready(Err(_)) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ReadAhead<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.start < this.end {
            let waiting = &this.ahead[usize::from(this.start)..usize::from(this.end)];
            let take = waiting.len().min(buf.remaining());
            buf.put_slice(&waiting[..take]);
            // take ≤ AHEAD (128)
            this.start += take as u8;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ReadAhead<T> {
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

    #[tokio::test]
    async fn bytes_read_ahead_come_first_and_nothing_is_lost() {
        let (mut peer, io) = tokio::io::duplex(4096);
        let mut ahead = ReadAhead::new(io);
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert_eq!(ahead.poll_gate(&mut cx), Poll::Pending);
        let sent: Vec<u8> = (0..1000u32).map(|n| n as u8).collect();
        peer.write_all(&sent).await.unwrap();
        assert_eq!(ahead.poll_gate(&mut cx), Poll::Ready(()));
        let mut got = vec![0; sent.len()];
        ahead.read_exact(&mut got).await.unwrap();
        assert_eq!(got, sent);
        drop(peer);
        assert_eq!(ahead.poll_gate(&mut cx), Poll::Ready(()));
        assert_eq!(ahead.read(&mut got).await.unwrap(), 0);
    }
}
