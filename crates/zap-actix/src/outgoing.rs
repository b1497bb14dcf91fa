//! [`Outgoing`]: the frames a session writes, handed to actix-http through
//! the response body ([`OutgoingBody`]) with a bounded buffer in between.
//!
//! actix-ws puts a 32-message channel and a body that encodes everything
//! the channel holds between its `Session` and the socket: with 1 MB events
//! a reader that stops reading holds about 33 MB there on top of the
//! session's bounded outbound queue, and the 1008 close frame of an
//! overflow waits behind all of it (a slow reader never reaches it within
//! the close timeout). Here the session sees the socket's pace: the
//! transport accepts frames while less than [`HIGH_WATER`] bytes wait for
//! actix-http, which itself takes more only once its write buffer is below
//! 32 KiB.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::mem;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use bytes::{BufMut, Bytes, BytesMut};

/// Bytes that may wait for actix-http before the transport stops accepting
/// frames (a frame is accepted whole, so one large frame may exceed it).
pub(crate) const HIGH_WATER: usize = 64 * 1024;

/// Payloads up to this size are copied next to their header (small frames
/// go out together in one chunk); larger ones are handed over as they are.
const COPY_MAX: usize = 4 * 1024;

/// WebSocket opcodes the server writes.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum OpCode {
    Text = 0x1,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// The state the transport and the response body share.
#[derive(Debug, Default)]
struct State {
    /// Whole chunks ready for the body, oldest first.
    chunks: VecDeque<Bytes>,
    /// Small frames being gathered into one chunk.
    tail: BytesMut,
    /// Bytes in `chunks` and `tail`.
    queued: usize,
    /// A close frame was written: nothing follows it.
    closed: bool,
    /// The body was dropped: the connection is over.
    gone: bool,
    /// The body, waiting for frames.
    body: Option<Waker>,
    /// The transport, waiting for the body to take frames.
    writer: Option<Waker>,
}

/// The writing end: frames written here reach the response body.
#[derive(Debug)]
pub(crate) struct Outgoing(Rc<RefCell<State>>);

/// Why a frame cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unwritable {
    /// Our close frame was written already.
    Closed,
    /// The connection is gone.
    Gone,
}

impl Outgoing {
    /// A writer and the response body it feeds. `keep` is dropped with the
    /// body (actix-ws's own body, whose drop tells its reader that the
    /// connection is over).
    pub(crate) fn new(keep: BoxBody) -> (Outgoing, OutgoingBody) {
        let state = Rc::new(RefCell::new(State::default()));
        let body = OutgoingBody {
            state: state.clone(),
            _keep: keep,
        };
        (Outgoing(state), body)
    }

    /// Whether another frame may be written now; if not, the caller is
    /// woken when it may.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Unwritable>> {
        let mut state = self.0.borrow_mut();
        if state.gone {
            return Poll::Ready(Err(Unwritable::Gone));
        }
        if state.queued >= HIGH_WATER {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes one whole, unfragmented frame (ready or not: control frames
    /// are small and always go in). A close frame is the last one.
    pub(crate) fn write(&self, opcode: OpCode, payload: Bytes) -> Result<(), Unwritable> {
        let mut state = self.0.borrow_mut();
        if state.gone {
            return Err(Unwritable::Gone);
        }
        if state.closed {
            return Err(Unwritable::Closed);
        }
        let state = &mut *state;
        let header = header(opcode, payload.len());
        state.queued += header.len() + payload.len();
        state.tail.extend_from_slice(&header);
        if payload.len() <= COPY_MAX {
            state.tail.extend_from_slice(&payload);
        } else {
            state.chunks.push_back(mem::take(&mut state.tail).freeze());
            state.chunks.push_back(payload);
        }
        if matches!(opcode, OpCode::Close) {
            state.closed = true;
        }
        if let Some(body) = state.body.take() {
            body.wake();
        }
        Ok(())
    }

    /// Ready once the body has taken every frame written (or the connection
    /// is gone).
    pub(crate) fn poll_taken(&self, cx: &mut Context<'_>) -> Poll<Result<(), Unwritable>> {
        let mut state = self.0.borrow_mut();
        if state.gone {
            return Poll::Ready(Err(Unwritable::Gone));
        }
        if state.queued > 0 {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    /// Ends the body after the frames written (with no close frame if none
    /// was written).
    pub(crate) fn finish(&self) {
        let mut state = self.0.borrow_mut();
        state.closed = true;
        if let Some(body) = state.body.take() {
            body.wake();
        }
    }
}

/// The header of an unmasked, final server frame with `len` payload bytes.
fn header(opcode: OpCode, len: usize) -> BytesMut {
    let mut header = BytesMut::with_capacity(10);
    header.put_u8(0x80 | opcode as u8);
    match len {
        0..=125 => header.put_u8(len as u8),
        126..=0xFFFF => {
            header.put_u8(126);
            header.put_u16(len as u16);
        }
        _ => {
            header.put_u8(127);
            header.put_u64(len as u64);
        }
    }
    header
}

/// The response body of an upgraded connection: the frames the transport
/// writes, in order, ending after a close frame.
pub(crate) struct OutgoingBody {
    state: Rc<RefCell<State>>,
    _keep: BoxBody,
}

impl MessageBody for OutgoingBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let mut state = self.state.borrow_mut();
        let chunk = match state.chunks.pop_front() {
            Some(chunk) => chunk,
            None if !state.tail.is_empty() => mem::take(&mut state.tail).freeze(),
            None if state.closed => return Poll::Ready(None),
            None => {
                state.body = Some(cx.waker().clone());
                return Poll::Pending;
            }
        };
        state.queued -= chunk.len();
        if let Some(writer) = state.writer.take() {
            writer.wake();
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl Drop for OutgoingBody {
    fn drop(&mut self) {
        let mut state = self.state.borrow_mut();
        state.gone = true;
        state.chunks.clear();
        state.tail = BytesMut::new();
        state.queued = 0;
        if let Some(writer) = state.writer.take() {
            writer.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use futures_util::task::noop_waker_ref;

    use super::*;

    fn next(body: &mut OutgoingBody) -> Poll<Option<Bytes>> {
        let mut cx = Context::from_waker(noop_waker_ref());
        Pin::new(body)
            .poll_next(&mut cx)
            .map(|chunk| chunk.map(|chunk| chunk.unwrap()))
    }

    #[test]
    fn frames_are_encoded_in_order_and_the_body_ends_after_the_close() {
        let (out, mut body) = Outgoing::new(BoxBody::new(()));
        assert_eq!(next(&mut body), Poll::Pending);
        out.write(OpCode::Text, Bytes::from_static(b"hi")).unwrap();
        out.write(OpCode::Close, Bytes::from_static(&[0x03, 0xE8]))
            .unwrap();
        assert_eq!(
            out.write(OpCode::Text, Bytes::new()),
            Err(Unwritable::Closed)
        );
        let chunk = next(&mut body);
        assert_eq!(
            chunk,
            Poll::Ready(Some(Bytes::from_static(&[
                0x81, 2, b'h', b'i', 0x88, 2, 0x03, 0xE8
            ])))
        );
        assert_eq!(next(&mut body), Poll::Ready(None));
    }

    #[test]
    fn the_writer_waits_above_the_high_water_mark_until_the_body_takes_frames() {
        let (out, mut body) = Outgoing::new(BoxBody::new(()));
        let mut cx = Context::from_waker(noop_waker_ref());
        let large = Bytes::from(vec![b'x'; 70_000]);
        out.write(OpCode::Text, large.clone()).unwrap();
        assert_eq!(out.poll_ready(&mut cx), Poll::Pending);
        assert_eq!(out.poll_taken(&mut cx), Poll::Pending);
        let Poll::Ready(Some(header)) = next(&mut body) else {
            panic!("a header chunk")
        };
        assert_eq!(&header[..], &[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        // The large payload is handed over as it is, not copied.
        assert_eq!(next(&mut body), Poll::Ready(Some(large)));
        assert_eq!(out.poll_ready(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(out.poll_taken(&mut cx), Poll::Ready(Ok(())));
    }

    #[test]
    fn a_dropped_body_makes_writes_fail() {
        let (out, body) = Outgoing::new(BoxBody::new(()));
        drop(body);
        let mut cx = Context::from_waker(noop_waker_ref());
        assert_eq!(out.poll_ready(&mut cx), Poll::Ready(Err(Unwritable::Gone)));
        assert_eq!(out.write(OpCode::Ping, Bytes::new()), Err(Unwritable::Gone));
    }
}
