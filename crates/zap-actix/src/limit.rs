//! [`FrameLimit`]: enforces the message size limit on the raw bytes from
//! the client, frame header by frame header, because actix-http buffers a
//! whole frame before comparing its length with the limit.

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

/// Passes the client's bytes through unchanged, reading only frame headers:
/// the first header that takes its message past `max` ends the stream with
/// [`TooLarge`], before any of that frame's payload is buffered.
pub(crate) struct FrameLimit {
    inner: Payload,
    max: u64,
    /// The frame header read so far (at most 14 bytes).
    header: Vec<u8>,
    /// Payload bytes of the current frame still to pass.
    remaining: u64,
    /// Data bytes announced by the frames of the current message.
    message: u64,
    failed: bool,
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
                failed: false,
            });
        Payload::from(limited)
    }

    fn check(&mut self, mut bytes: &[u8]) -> Result<(), TooLarge> {
        while let Some((&byte, rest)) = bytes.split_first() {
            if self.remaining > 0 {
                let skip =
                    usize::try_from(self.remaining).map_or(bytes.len(), |r| r.min(bytes.len()));
                self.remaining -= skip as u64;
                bytes = &bytes[skip..];
                continue;
            }
            self.header.push(byte);
            bytes = rest;
            let Some((fin, opcode, length)) = parse_header(&self.header) else {
                continue;
            };
            self.header.clear();
            self.remaining = length;
            // Control frames (opcode 8 and up) are not part of any message.
            if opcode < 8 {
                let before = if opcode == 0 { self.message } else { 0 };
                self.message = before.saturating_add(length);
                if self.message > self.max {
                    return Err(TooLarge {
                        size: self.message,
                        max: usize::try_from(self.max).unwrap_or(usize::MAX),
                    });
                }
                if fin {
                    self.message = 0;
                }
            }
        }
        Ok(())
    }
}

/// `(fin, opcode, payload length)` once `header` holds a whole frame header.
fn parse_header(header: &[u8]) -> Option<(bool, u8, u64)> {
    let (&first, &second) = (header.first()?, header.get(1)?);
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 == 0 { 0 } else { 4 };
    if header.len() < 2 + extended + mask {
        return None;
    }
    let length = match extended {
        0 => u64::from(second & 0x7F),
        _ => header[2..2 + extended]
            .iter()
            .fold(0, |length, &byte| length << 8 | u64::from(byte)),
    };
    Some((first & 0x80 != 0, first & 0x0F, length))
}

impl Stream for FrameLimit {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        let chunk = match ready!(self.inner.poll_next_unpin(cx)) {
            Some(Ok(chunk)) => chunk,
            other => return Poll::Ready(other),
        };
        if let Err(too_large) = self.check(&chunk) {
            self.failed = true;
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::other(too_large)))));
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use futures_util::StreamExt;

    use super::*;

    /// Runs `bytes`, cut into `chunk`-byte pieces, through a limit of `max`.
    fn run(bytes: &[u8], chunk: usize, max: usize) -> Result<usize, String> {
        let pieces: Vec<Result<Bytes, PayloadError>> = bytes
            .chunks(chunk)
            .map(|piece| Ok(Bytes::copy_from_slice(piece)))
            .collect();
        let source: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(futures_util::stream::iter(pieces));
        let limited = FrameLimit::payload(Payload::from(source), max);
        let total = limited.fold(Ok(0), |passed, piece| async move {
            Ok(passed? + piece.map_err(|err| err.to_string())?.len())
        });
        // The source is always ready: so is the whole stream.
        futures_util::FutureExt::now_or_never(total).unwrap()
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
}
