//! [`FrameLimit`]: checks the raw bytes from the client frame header by
//! frame header, before actix-http's codec sees them: the message size
//! limit (actix-http buffers a whole frame before comparing its length
//! with its limit), and the UTF-8 of close reasons (actix-http reports an
//! invalid one as it does an invalid close code, where RFC 6455 asks for
//! 1007 instead of 1002).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

/// A message announced larger than the limit (the error the stream yields).
#[derive(Debug, thiserror::Error)]
#[error("message of {size} bytes exceeds the limit of {max} bytes")]
pub(crate) struct TooLarge {
    pub(crate) size: u64,
    pub(crate) max: usize,
}

/// A close frame whose reason is not UTF-8 (the error the stream yields).
#[derive(Debug, thiserror::Error)]
#[error("the reason of the peer's close frame is not UTF-8")]
pub(crate) struct InvalidCloseReason;

/// What [`FrameLimit`] refuses.
#[derive(Debug)]
enum Refusal {
    TooLarge(TooLarge),
    InvalidCloseReason,
}

impl Refusal {
    fn into_error(self) -> PayloadError {
        let io = match self {
            Refusal::TooLarge(too_large) => io::Error::other(too_large),
            Refusal::InvalidCloseReason => io::Error::other(InvalidCloseReason),
        };
        PayloadError::Io(io)
    }
}

/// Where the stream stands after a refusal.
#[derive(Debug)]
enum Failed {
    /// The bytes before the refused frame were just passed on: pause once
    /// (the codec decodes them first), then fail.
    Pause(Refusal),
    /// Fail at the next poll.
    Fail(Refusal),
    /// Failed: the stream is over.
    Over,
}

/// Passes the client's bytes through unchanged, reading frame headers and
/// close payloads only: the first header that takes its message past
/// `max`, or a close frame whose reason is not UTF-8, ends the stream with
/// [`TooLarge`] or [`InvalidCloseReason`], after the frames before it and
/// without any of the refused frame.
pub(crate) struct FrameLimit {
    inner: Payload,
    max: u64,
    /// The frame header read so far (at most 14 bytes).
    header: Vec<u8>,
    /// Payload bytes of the current frame still to pass.
    remaining: u64,
    /// Data bytes announced by the frames of the current message.
    message: u64,
    /// The current frame is a close frame: its masking key and the payload
    /// read so far (at most 125 bytes).
    close: Option<([u8; 4], Vec<u8>)>,
    failed: Option<Failed>,
}

impl FrameLimit {
    /// `payload` limited to messages of `max` bytes, as a request payload.
    pub(crate) fn payload(payload: Payload, max: usize) -> Payload {
        let limited: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(FrameLimit {
                inner: payload,
                max: u64::try_from(max).unwrap_or(u64::MAX),
                header: Vec::with_capacity(14),
                remaining: 0,
                message: 0,
                close: None,
                failed: None,
            });
        Payload::from(limited)
    }

    /// Checks `chunk`; on a refusal, says where in `chunk` the refused
    /// frame starts (0 when it started in an earlier chunk).
    fn check(&mut self, chunk: &[u8]) -> Result<(), (usize, Refusal)> {
        let mut at = 0;
        // Where the current frame's header started in this chunk.
        let mut frame_start = 0;
        while at < chunk.len() {
            if self.remaining > 0 {
                let left = &chunk[at..];
                let take =
                    usize::try_from(self.remaining).map_or(left.len(), |r| r.min(left.len()));
                if let Some((_, payload)) = &mut self.close {
                    payload.extend_from_slice(&left[..take]);
                }
                self.remaining -= take as u64;
                at += take;
                if self.remaining == 0 {
                    self.check_close()
                        .map_err(|refusal| (frame_start, refusal))?;
                }
                continue;
            }
            if self.header.is_empty() {
                frame_start = at;
            }
            self.header.push(chunk[at]);
            at += 1;
            let Some(header) = parse_header(&self.header) else {
                continue;
            };
            self.header.clear();
            self.remaining = header.length;
            self.close = (header.opcode == 0x8).then(|| (header.mask, Vec::new()));
            // Control frames (opcode 8 and up) are not part of any message.
            if header.opcode < 8 {
                let before = if header.opcode == 0 { self.message } else { 0 };
                self.message = before.saturating_add(header.length);
                if self.message > self.max {
                    let too_large = TooLarge {
                        size: self.message,
                        max: usize::try_from(self.max).unwrap_or(usize::MAX),
                    };
                    return Err((frame_start, Refusal::TooLarge(too_large)));
                }
                if header.fin {
                    self.message = 0;
                }
            }
            if self.remaining == 0 {
                self.check_close()
                    .map_err(|refusal| (frame_start, refusal))?;
            }
        }
        Ok(())
    }

    /// Once a close frame's payload is whole: whether its reason is UTF-8.
    /// (An oversized close frame is actix-http's to refuse, with 1002.)
    fn check_close(&mut self) -> Result<(), Refusal> {
        let Some((mask, mut payload)) = self.close.take() else {
            return Ok(());
        };
        if payload.len() > 125 {
            return Ok(());
        }
        for (n, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[n % 4];
        }
        match payload.get(2..) {
            Some(reason) if std::str::from_utf8(reason).is_err() => {
                Err(Refusal::InvalidCloseReason)
            }
            _ => Ok(()),
        }
    }
}

/// A frame header's fields.
struct Header {
    fin: bool,
    opcode: u8,
    length: u64,
    mask: [u8; 4],
}

/// The header's fields once `header` holds a whole frame header.
fn parse_header(header: &[u8]) -> Option<Header> {
    let (&first, &second) = (header.first()?, header.get(1)?);
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let masked = second & 0x80 != 0;
    let end = 2 + extended + if masked { 4 } else { 0 };
    if header.len() < end {
        return None;
    }
    let length = match extended {
        0 => u64::from(second & 0x7F),
        _ => header[2..2 + extended]
            .iter()
            .fold(0, |length, &byte| length << 8 | u64::from(byte)),
    };
    let mut mask = [0; 4];
    if masked {
        mask.copy_from_slice(&header[end - 4..end]);
    }
    Some(Header {
        fin: first & 0x80 != 0,
        opcode: first & 0x0F,
        length,
        mask,
    })
}

impl Stream for FrameLimit {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.failed.take() {
            None => {}
            Some(Failed::Pause(refusal)) => {
                self.failed = Some(Failed::Fail(refusal));
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Some(Failed::Fail(refusal)) => {
                self.failed = Some(Failed::Over);
                return Poll::Ready(Some(Err(refusal.into_error())));
            }
            Some(Failed::Over) => {
                self.failed = Some(Failed::Over);
                return Poll::Ready(None);
            }
        }
        let chunk = match ready!(self.inner.poll_next_unpin(cx)) {
            Some(Ok(chunk)) => chunk,
            other => return Poll::Ready(other),
        };
        match self.check(&chunk) {
            Ok(()) => Poll::Ready(Some(Ok(chunk))),
            Err((0, refusal)) => {
                self.failed = Some(Failed::Over);
                Poll::Ready(Some(Err(refusal.into_error())))
            }
            Err((start, refusal)) => {
                self.failed = Some(Failed::Pause(refusal));
                Poll::Ready(Some(Ok(chunk.slice(..start))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use futures_util::StreamExt;

    use super::*;

    /// Runs `bytes`, cut into `chunk`-byte pieces, through a limit of
    /// `max`: the bytes passed, and the error that ended the stream.
    fn run_all(bytes: &[u8], chunk: usize, max: usize) -> (usize, Option<String>) {
        let pieces: Vec<Result<Bytes, PayloadError>> = bytes
            .chunks(chunk)
            .map(|piece| Ok(Bytes::copy_from_slice(piece)))
            .collect();
        let source: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(futures_util::stream::iter(pieces));
        let mut limited = FrameLimit::payload(Payload::from(source), max);
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        let mut passed = 0;
        // The source is always ready: the stream pauses once at most.
        for _ in 0..bytes.len() + 2 {
            match limited.poll_next_unpin(&mut cx) {
                Poll::Ready(Some(Ok(piece))) => passed += piece.len(),
                Poll::Ready(Some(Err(err))) => return (passed, Some(err.to_string())),
                Poll::Ready(None) => return (passed, None),
                Poll::Pending => {}
            }
        }
        panic!("the stream never ended")
    }

    /// The bytes passed, or the error that ended the stream.
    fn run(bytes: &[u8], chunk: usize, max: usize) -> Result<usize, String> {
        match run_all(bytes, chunk, max) {
            (passed, None) => Ok(passed),
            (_, Some(err)) => Err(err),
        }
    }

    /// A masked frame header (text unless `opcode` says otherwise) and its payload.
    fn frame(fin: bool, opcode: u8, length: usize) -> Vec<u8> {
        let mut bytes = vec![u8::from(fin) << 7 | opcode];
        match length {
            0..=125 => bytes.push(0x80 | length as u8),
            126..=0xFFFF => {
                bytes.push(0x80 | 126);
                bytes.extend_from_slice(&(length as u16).to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | 127);
                bytes.extend_from_slice(&(length as u64).to_be_bytes());
            }
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes.resize(bytes.len() + length, b'x');
        bytes
    }

    #[test]
    fn frames_within_the_limit_pass_unchanged_however_they_are_cut() {
        let mut bytes = frame(true, 1, 100);
        bytes.extend(frame(true, 1, 1000));
        bytes.extend(frame(false, 1, 600));
        bytes.extend(frame(true, 9, 5)); // a ping between fragments
        bytes.extend(frame(true, 0, 400));
        for chunk in [1, 3, 7, 64, 5000] {
            assert_eq!(
                run(&bytes, chunk, 1000),
                Ok(bytes.len()),
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header() {
        let mut bytes = frame(true, 1, 70_000);
        bytes.truncate(14); // the payload never needs to arrive
        for chunk in [1, 2, 14] {
            let err = run(&bytes, chunk, 1024).unwrap_err();
            assert!(
                err.contains("70000 bytes exceeds the limit of 1024"),
                "{err}"
            );
        }
    }

    #[test]
    fn fragments_count_towards_their_message() {
        let mut bytes = frame(false, 1, 600);
        bytes.extend(frame(false, 0, 600));
        let err = run(&bytes, 10, 1000).unwrap_err();
        assert!(err.contains("1200 bytes"), "{err}");
    }

    /// A masked close frame with code 1000 and `reason`, masked with a key
    /// that changes every byte.
    fn close_frame(reason: &[u8]) -> Vec<u8> {
        let mask = [0x11, 0x22, 0x33, 0x44];
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(reason);
        let mut bytes = vec![0x88, 0x80 | payload.len() as u8];
        bytes.extend_from_slice(&mask);
        bytes.extend(payload.iter().enumerate().map(|(n, b)| b ^ mask[n % 4]));
        bytes
    }

    #[test]
    fn a_close_reason_that_is_not_utf8_is_refused_however_it_is_cut() {
        let mut bytes = frame(true, 1, 10);
        let before = bytes.len();
        bytes.extend(close_frame(&[b'o', b'k', 0xFF, 0xFE]));
        for chunk in [1, 2, 5, 9, 64] {
            let (passed, err) = run_all(&bytes, chunk, 1000);
            let err = err.unwrap_or_else(|| panic!("chunks of {chunk}: not refused"));
            assert!(err.contains("not UTF-8"), "{err}");
            // The frame before it passes whole; none of the close frame does
            // past the chunk where its header started.
            assert!(
                passed >= before && passed < bytes.len(),
                "chunks of {chunk}: {passed}"
            );
        }
    }

    #[test]
    fn a_close_reason_in_utf8_passes() {
        let bytes = close_frame("byé".as_bytes());
        for chunk in [1, 3, 64] {
            assert_eq!(run(&bytes, chunk, 1000), Ok(bytes.len()));
        }
    }

    #[test]
    fn the_frames_before_a_refused_one_pass_first() {
        let mut bytes = frame(true, 1, 100);
        bytes.extend(frame(true, 9, 3));
        let before = bytes.len();
        let mut oversized = frame(true, 1, 5000);
        oversized.truncate(14);
        bytes.extend(oversized);
        let (passed, err) = run_all(&bytes, bytes.len(), 1000);
        assert_eq!(passed, before);
        assert!(err.unwrap().contains("5000 bytes"));
    }
}
