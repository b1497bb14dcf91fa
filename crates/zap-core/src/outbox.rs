//! [`Outbox`]: a connection's bounded queue of outbound frames.
//!
//! Written here rather than taken from a channel crate for a measured
//! reason: tokio's bounded `mpsc` allocates its first 32-slot block per
//! channel up front (about 1.1 KiB for every idle connection) and flume
//! allocates a waiter on every pending receive. This queue allocates nothing
//! until a frame is queued, and nothing per wait.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use zap_protocol::Frame;

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushError {
    Full,
    Closed,
}

/// A capacity beyond which an emptied queue gives its memory back.
const SHRINK_ABOVE: usize = 64;

pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Frame>>,
    waker: AtomicWaker,
    capacity: usize,
    closed: AtomicBool,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Outbox {
            queue: Mutex::new(VecDeque::new()),
            waker: AtomicWaker::new(),
            capacity: capacity.max(1),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Frame>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame unless the queue is full or closed.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), PushError> {
        if self.is_closed() {
            return Err(PushError::Closed);
        }
        {
            let mut queue = self.lock();
            if queue.len() >= self.capacity {
                return Err(PushError::Full);
            }
            queue.push_back(frame);
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
        self.lock().push_back(frame);
        self.waker.wake();
    }

    /// Queues a frame ahead of every other (`zap.session`).
    pub(crate) fn push_front(&self, frame: Frame) {
        if self.is_closed() {
            return;
        }
        self.lock().push_front(frame);
        self.waker.wake();
    }

    /// The oldest frame, if any.
    pub(crate) fn try_pop(&self) -> Option<Frame> {
        let mut queue = self.lock();
        let frame = queue.pop_front();
        if queue.is_empty() && queue.capacity() > SHRINK_ABOVE {
            queue.shrink_to(SHRINK_ABOVE / 4);
        }
        frame
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
        self.lock().len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Refuses further frames and drops the queued ones.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.lock().clear();
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
        let outbox = Outbox::new(2);
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
        let outbox = Outbox::new(4);
        assert_eq!(outbox.push(frame(1)), Ok(()));
        outbox.close();
        assert_eq!(outbox.push(frame(2)), Err(PushError::Closed));
        assert_eq!(outbox.len(), 0);
    }

    #[test]
    fn a_drained_outbox_gives_memory_back() {
        let outbox = Outbox::new(1000);
        for n in 0..500 {
            assert_eq!(outbox.push(frame(n)), Ok(()));
        }
        while outbox.try_pop().is_some() {}
        assert!(outbox.lock().capacity() <= SHRINK_ABOVE);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_push() {
        let outbox = std::sync::Arc::new(Outbox::new(4));
        let waiting = {
            let outbox = outbox.clone();
            tokio::spawn(async move { std::future::poll_fn(|cx| outbox.poll_pop(cx)).await })
        };
        tokio::task::yield_now().await;
        assert_eq!(outbox.push(frame(7)), Ok(()));
        assert_eq!(waiting.await.expect("joins"), frame(7));
    }
}
