//! [`RoomView`]: what the members of a room received, for assertions on a
//! broadcast as a whole.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use zap_core::ConnectionId;

use crate::Received;
use crate::client::WAIT;
use crate::inbox::Inbox;
use crate::received::listing;

/// The members of a room among the connected test clients, taken by
/// [`TestServer::room`](crate::TestServer::room), and what each receives
/// from then on.
///
/// Its assertions read the members' history and take nothing from their
/// mailboxes: the same events can still be expected client by client.
#[derive(Debug)]
pub struct RoomView {
    room: String,
    /// Each member, with how many events it had received when the view was taken.
    members: Vec<(ConnectionId, Arc<Inbox>, usize)>,
    except: Vec<ConnectionId>,
}

impl RoomView {
    pub(crate) fn new(room: &str, members: Vec<(ConnectionId, Arc<Inbox>)>) -> Self {
        let members = members
            .into_iter()
            .map(|(id, inbox)| {
                let seen = inbox.lock().history.len();
                (id, inbox, seen)
            })
            .collect();
        RoomView {
            room: room.to_owned(),
            members,
            except: Vec::new(),
        }
    }

    /// The member ids, sorted.
    pub fn members(&self) -> Vec<ConnectionId> {
        let mut ids: Vec<ConnectionId> = self.members.iter().map(|(id, ..)| id.clone()).collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids
    }

    /// Leaves this member out of the assertions (a broadcast's sender);
    /// [`expect_nothing`](Self::expect_nothing) then checks it received
    /// nothing either way.
    pub fn except(mut self, id: &ConnectionId) -> Self {
        self.except.push(id.clone());
        self
    }

    /// Waits until every member (but the excepted) received an event named
    /// `event` since the view was taken; returns them, one per member.
    pub async fn expect(&self, event: &str) -> Vec<Received> {
        self.expect_where(&format!("`{event}`"), |e| e.name == event)
            .await
    }

    /// Waits until every member (but the excepted) received `event` with
    /// exactly this payload since the view was taken.
    pub async fn expect_payload(&self, event: &str, payload: impl Serialize) -> Vec<Received> {
        let payload = serde_json::to_value(payload).unwrap_or(Value::Null);
        self.expect_where(&format!("`{event}` {payload}"), |e| {
            e.name == event && e.payload == payload
        })
        .await
    }

    async fn expect_where(
        &self,
        wanted: &str,
        matches: impl Fn(&Received) -> bool,
    ) -> Vec<Received> {
        if self.members.is_empty() {
            panic!("room `{}` has no test client among its members", self.room);
        }
        let mut found = Vec::new();
        for (id, inbox, seen) in &self.members {
            if self.except.contains(id) {
                continue;
            }
            let got = inbox
                .wait_for(WAIT, true, |state| {
                    state.history[*seen..].iter().find(|e| matches(e)).cloned()
                })
                .await;
            match got {
                Ok(event) => found.push(event),
                Err(_) => panic!(
                    "room `{}`: member {id} did not receive {wanted} within {WAIT:?}; it received:{}",
                    self.room,
                    listing(&inbox.lock().history[*seen..])
                ),
            }
        }
        found
    }

    /// Asserts that no member (excepted ones included) received anything
    /// since the view was taken, after a quiet period of
    /// [`QUIET`](crate::QUIET).
    pub async fn expect_nothing(&self) {
        tokio::time::sleep(crate::QUIET).await;
        for (id, inbox, seen) in &self.members {
            let state = inbox.lock();
            let since = &state.history[*seen..];
            if !since.is_empty() {
                panic!(
                    "room `{}`: expected nothing, member {id} received:{}",
                    self.room,
                    listing(since)
                );
            }
        }
    }
}
