//! [`Outbox`]: a connection's bounded queue of outbound frames, bounded in
//! frames and in bytes.
//!
//! A broadcast frame is one shared buffer: every queue holding it counts its
//! full length (that is what it keeps alive), and the buffer is freed when
//! the last queue lets go of it.
//!
//! Written here rather than taken from a channel crate for a measured
//! reason: tokio's bounded `mpsc` allocates its first 32-slot block per
//! channel up front (about 1.1 KiB for every idle connection) and flume
//! allocates a waiter on every pending receive. This queue allocates nothing
//! until a frame is queued, and nothing per wait.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use zap_protocol::Frame;

use crate::telemetry;

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushError {
    Full,
    Closed,
}

/// A capacity beyond which an emptied queue gives its memory back.
const SHRINK_ABOVE: usize = 64;

pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    /// How many frames are queued, readable without the lock: the loop
    /// looks at an empty queue on every wake-up.
    queued: AtomicUsize,
    waker: AtomicWaker,
    capacity: usize,
    max_bytes: usize,
    closed: AtomicBool,
}

/// The frames and the sum of their lengths.
#[derive(Default)]
struct Queue {
    frames: VecDeque<Frame>,
    bytes: usize,
    /// The bytes last added to the process-wide queued-bytes gauge: it is
    /// brought up to date once per write batch, not on every push and pop.
    reported: usize,
}

impl Queue {
    /// Queues `frame` at the back (or the front), counting its bytes.
    fn push(&mut self, frame: Frame, front: bool) {
        self.bytes += frame.len();
        if front {
            self.frames.push_front(frame);
        } else {
            self.frames.push_back(frame);
        }
    }

    fn clear(&mut self) {
        // Gives the buffer back too: a closed queue holds no memory (the
        // outbox sets its count to zero).
        self.frames = VecDeque::new();
        self.bytes = 0;
        self.report();
    }

    /// Brings the queued-bytes gauge up to date with this queue (nothing
    /// to do while no recorder is installed: `reported` stays what the
    /// gauge holds).
    fn report(&mut self) {
        if !telemetry::recording() {
            return;
        }
        telemetry::queued_bytes(self.bytes as isize - self.reported as isize);
        self.reported = self.bytes;
    }
}

impl Outbox {
    /// A queue of at most `capacity` frames and `max_bytes` bytes (a single
    /// frame larger than `max_bytes` is accepted into an empty queue, so
    /// that every frame the connection may send can be sent).
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        Outbox {
            queue: Mutex::new(Queue::default()),
            queued: AtomicUsize::new(0),
            waker: AtomicWaker::new(),
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame unless the queue is full (in frames or bytes) or closed.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), PushError> {
        if self.is_closed() {
            return Err(PushError::Closed);
        }
        {
            let mut queue = self.lock();
            let over_bytes = !queue.frames.is_empty() && queue.bytes + frame.len() > self.max_bytes;
            if queue.frames.len() >= self.capacity || over_bytes {
                return Err(PushError::Full);
            }
            queue.push(frame, false);
            self.queued.store(queue.frames.len(), Ordering::Release);
        }
        self.waker.wake();
        Ok(())
    }

    /// Queues a frame past the capacity (a resume's replay, bounded by the
    /// history it comes from).
    pub(crate) fn push_unbounded(&self, frame: Frame) {
        if self.is_closed() {
            return;
        }
        let mut queue = self.lock();
        queue.push(frame, false);
        self.queued.store(queue.frames.len(), Ordering::Release);
        drop(queue);
        self.waker.wake();
    }

    /// Queues a frame ahead of every other (`zap.session`).
    pub(crate) fn push_front(&self, frame: Frame) {
        if self.is_closed() {
            return;
        }
        let mut queue = self.lock();
        queue.push(frame, true);
        self.queued.store(queue.frames.len(), Ordering::Release);
        drop(queue);
        self.waker.wake();
    }

    /// The oldest frame, if any (an empty queue is seen without the lock).
    pub(crate) fn try_pop(&self) -> Option<Frame> {
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut queue = self.lock();
        let frame = queue.frames.pop_front()?;
        queue.bytes -= frame.len();
        self.queued.store(queue.frames.len(), Ordering::Release);
        if queue.frames.is_empty() && queue.frames.capacity() > SHRINK_ABOVE {
            queue.frames.shrink_to(SHRINK_ABOVE / 4);
        }
        Some(frame)
    }

    /// Brings the queued-bytes gauge up to date (once per write batch;
    /// without a recorder, not even the lock is taken).
    pub(crate) fn report(&self) {
        if telemetry::recording() {
            self.lock().report();
        }
    }

    /// Waits for the oldest frame (one waiter: the connection's loop).
    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Frame> {
        if let Some(frame) = self.try_pop() {
            return Poll::Ready(frame);
        }
        self.waker.register(cx.waker());
        match self.try_pop() {
            Some(frame) => Poll::Ready(frame),
            None => Poll::Pending,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// The bytes held by queued frames.
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Drops the queued frames (and the queue's buffer), keeping the queue open.
    pub(crate) fn discard(&self) {
        let mut queue = self.lock();
        queue.clear();
        self.queued.store(0, Ordering::Release);
    }

    /// Refuses further frames and drops the queued ones.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.discard();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u32) -> Frame {
        zap_protocol::encode("n", &n, None).expect("encodes")
    }

    #[test]
    fn frames_come_out_in_order_up_to_the_capacity() {
        let outbox = Outbox::new(2, 1 << 20);
        assert_eq!(outbox.push(frame(1)), Ok(()));
        assert_eq!(outbox.push(frame(2)), Ok(()));
        assert_eq!(outbox.push(frame(3)), Err(PushError::Full));
        assert_eq!(outbox.try_pop(), Some(frame(1)));
        assert_eq!(outbox.push(frame(4)), Ok(()));
        assert_eq!(outbox.try_pop(), Some(frame(2)));
        assert_eq!(outbox.try_pop(), Some(frame(4)));
        assert_eq!(outbox.try_pop(), None);
    }

    #[test]
    fn a_closed_outbox_refuses_and_forgets() {
        let outbox = Outbox::new(4, 1 << 20);
        assert_eq!(outbox.push(frame(1)), Ok(()));
        outbox.close();
        assert_eq!(outbox.push(frame(2)), Err(PushError::Closed));
        assert_eq!(outbox.len(), 0);
    }

    #[test]
    fn a_drained_outbox_gives_memory_back() {
        let outbox = Outbox::new(1000, 1 << 20);
        for n in 0..500 {
            assert_eq!(outbox.push(frame(n)), Ok(()));
        }
        while outbox.try_pop().is_some() {}
        assert!(outbox.lock().frames.capacity() <= SHRINK_ABOVE);
    }

    fn sized(len: usize) -> Frame {
        Frame::from_text("x".repeat(len))
    }

    #[test]
    fn the_queue_is_bounded_in_bytes_as_well_as_in_frames() {
        let outbox = Outbox::new(100, 1000);
        assert_eq!(outbox.push(sized(600)), Ok(()));
        assert_eq!(outbox.push(sized(400)), Ok(()));
        assert_eq!(outbox.push(sized(1)), Err(PushError::Full));
        assert_eq!(outbox.bytes(), 1000);
        assert_eq!(outbox.try_pop().map(|f| f.len()), Some(600));
        assert_eq!(outbox.bytes(), 400);
        assert_eq!(outbox.push(sized(600)), Ok(()));
    }

    #[test]
    fn a_frame_larger_than_the_byte_bound_fits_an_empty_queue_only() {
        let outbox = Outbox::new(100, 1000);
        assert_eq!(outbox.push(sized(5000)), Ok(()));
        assert_eq!(outbox.push(sized(1)), Err(PushError::Full));
        assert!(outbox.try_pop().is_some());
        assert_eq!(outbox.bytes(), 0);
    }

    #[test]
    fn a_shared_frame_is_freed_when_the_last_queue_drops_it() {
        let frame = sized(4096);
        let bytes = frame.clone().into_bytes();
        let (a, b) = (Outbox::new(8, 1 << 20), Outbox::new(8, 1 << 20));
        assert_eq!(a.push(frame.clone()), Ok(()));
        assert_eq!(b.push(frame), Ok(()));
        assert_eq!((a.bytes(), b.bytes()), (4096, 4096));
        a.close();
        b.discard();
        // Only our own handle is left: the buffer is uniquely owned again.
        assert!(bytes.is_unique());
        assert_eq!(b.push(sized(1)), Ok(()));
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_push() {
        let outbox = std::sync::Arc::new(Outbox::new(4, 1 << 20));
        let waiting = {
            let outbox = outbox.clone();
            tokio::spawn(async move { std::future::poll_fn(|cx| outbox.poll_pop(cx)).await })
        };
        tokio::task::yield_now().await;
        assert_eq!(outbox.push(frame(7)), Ok(()));
        assert_eq!(waiting.await.expect("joins"), frame(7));
    }
}
