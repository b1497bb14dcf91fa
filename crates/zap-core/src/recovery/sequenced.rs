//! Rooms with history shared by several instances: a [`HistoryStore`]
//! (such as `zap-redis`) gives each event its offset centrally and hands it
//! back to every instance, which records it in its local log and delivers it
//! to its own members, in offset order.

use std::fmt;

use zap_protocol::Frame;

use super::history::{History, Position};
use super::stamp;
use crate::{BackendError, BackendFuture, ConnectionId};

/// Where the events of rooms with history get their offsets when several
/// server instances share the rooms (for example `zap_redis::RedisBackend`,
/// with Redis Streams). Without one, each process keeps its own history.
pub trait HistoryStore: Send + Sync + fmt::Debug + 'static {
    /// Takes an event (its plain frame) for `room`: the store gives it the
    /// room's next offset, records it within `history`'s limits, and every
    /// instance, this one included, receives it through
    /// [`ConnectionRouter::deliver_sequenced`](crate::ConnectionRouter::deliver_sequenced). Must not wait.
    fn append(
        &self,
        room: &str,
        except: &[ConnectionId],
        frame: &Frame,
        history: &History,
    ) -> Result<(), BackendError>;

    /// The events of `room` after `after` that were for connection `reader`
    /// (not excluded), oldest first, with their offsets, stamped (see
    /// [`stamp_room`]); `None` when they are no longer all there (another
    /// epoch, or trimmed).
    fn read(
        &self,
        room: &str,
        after: &Position,
        reader: &ConnectionId,
    ) -> BackendFuture<Option<Vec<(u64, Frame)>>>;
}

/// Re-encodes a plain event with its room stamp (`zap-room`, `zap-epoch`,
/// `zap-offset`); `None` if the frame is not an event.
pub fn stamp_room(frame: &Frame, room: &str, epoch: &str, offset: u64) -> Option<Frame> {
    let event = zap_protocol::decode(frame.as_str()).ok()?;
    let headers = (!event.headers().is_empty()).then(|| event.headers());
    stamp::encode_room(
        event.event_name(),
        event.payload(),
        headers,
        (room, epoch, offset),
    )
    .ok()
}
