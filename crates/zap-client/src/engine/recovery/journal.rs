//! [`Journal`]: the events written in this session and not yet acknowledged
//! by the server, in id order, bounded.

use std::collections::VecDeque;

use zap_protocol::Frame;

/// Unacknowledged events, oldest first, each as it was written (with its
/// `zap-id`), ready to be written again after a reconnect.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: VecDeque<(u64, Frame)>,
}

impl Journal {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn push(&mut self, id: u64, frame: Frame) {
        self.entries.push_back((id, frame));
    }

    /// Drops every entry up to `id` (the server handled them).
    pub(crate) fn acknowledge(&mut self, id: u64) {
        while self.entries.front().is_some_and(|(first, _)| *first <= id) {
            self.entries.pop_front();
        }
    }

    /// The entries, in order, to write again.
    pub(crate) fn frames(&self) -> Vec<Frame> {
        self.entries
            .iter()
            .map(|(_, frame)| frame.clone())
            .collect()
    }

    /// The entries from `id` on, in order, to write again after a refusal.
    pub(crate) fn frames_from(&self, id: u64) -> Vec<Frame> {
        self.entries
            .iter()
            .filter(|(entry, _)| *entry >= id)
            .map(|(_, frame)| frame.clone())
            .collect()
    }

    /// Empties the journal; returns how many entries it held.
    pub(crate) fn clear(&mut self) -> usize {
        let count = self.entries.len();
        self.entries.clear();
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_trims_up_to_its_id_and_no_further() {
        let mut journal = Journal::default();
        for id in 1..=5 {
            journal.push(id, Frame::from_text(id.to_string()));
        }
        journal.acknowledge(3);
        let left: Vec<String> = journal
            .frames()
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect();
        assert_eq!(left, ["4", "5"]);
        journal.acknowledge(2);
        assert_eq!(journal.len(), 2);
        assert_eq!(journal.frames_from(5).len(), 1);
        assert_eq!(journal.frames_from(1).len(), 2);
        assert_eq!(journal.clear(), 2);
    }
}
