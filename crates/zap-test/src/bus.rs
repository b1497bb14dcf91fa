//! [`MemoryBus`]: an in-memory backend shared by the nodes of a test
//! cluster, behind zap-core's [`Backend`] trait (the one `zap-redis`
//! implements), with the faults a real bus has: a node cut off, a node dead.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use zap_core::protocol::Frame;
use zap_core::{
    Backend, BackendError, BackendFuture, ConnectionId, ConnectionRouter, MemberInfo, Membership,
    MetaTag, Target, WeakRouter,
};

use crate::Received;

/// The bus several nodes share. Cheap to clone.
///
/// Each node's register gets its own [`BusNode`] as its backend
/// ([`TestCluster`](crate::TestCluster) does this for you). A publish is
/// delivered to every other live, connected node before `publish` returns,
/// so tests are deterministic. Membership is recorded per node, as
/// `zap-redis` records it in Redis, and answers the cluster queries.
#[derive(Debug, Clone, Default)]
pub struct MemoryBus(Arc<Mutex<BusState>>);

#[derive(Debug, Default)]
struct BusState {
    nodes: Vec<NodeState>,
    log: Vec<Published>,
    /// The session store the nodes share (as instances share Redis), so a
    /// session resumes on any node.
    sessions: Arc<zap_core::InMemorySessions>,
}

#[derive(Debug)]
struct NodeState {
    router: Option<WeakRouter>,
    alive: bool,
    linked: bool,
    connections: BTreeSet<ConnectionId>,
    rooms: BTreeMap<String, BTreeMap<ConnectionId, Option<MetaTag>>>,
}

/// One frame published on the bus.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Published {
    /// The node that published it.
    pub from: usize,
    /// Who it was for.
    pub target: Target,
    /// The connections left out.
    pub except: Vec<ConnectionId>,
    /// The event.
    pub event: Received,
}

/// One node's handle on a [`MemoryBus`]: the [`Backend`] of its register.
#[derive(Debug, Clone)]
pub struct BusNode {
    bus: MemoryBus,
    index: usize,
}

impl MemoryBus {
    /// An empty bus.
    pub fn new() -> Self {
        MemoryBus::default()
    }

    fn lock(&self) -> MutexGuard<'_, BusState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new node on the bus (the backend of one register).
    pub fn node(&self) -> BusNode {
        let mut state = self.lock();
        state.nodes.push(NodeState {
            router: None,
            alive: true,
            linked: true,
            connections: BTreeSet::new(),
            rooms: BTreeMap::new(),
        });
        BusNode {
            bus: self.clone(),
            index: state.nodes.len() - 1,
        }
    }

    /// Every frame published so far, in order.
    pub fn published(&self) -> Vec<Published> {
        self.lock().log.clone()
    }

    /// Cuts node `index` off the bus: what it publishes is dropped
    /// ([`BackendError::Unavailable`]), it receives nothing, its cluster
    /// queries fail and its membership changes are not recorded; the
    /// others still see the membership it had.
    pub fn cut_off(&self, index: usize) {
        self.lock().nodes[index].linked = false;
    }

    /// Connects node `index` again; its membership is rewritten from its
    /// router, as `zap-redis` does after an outage.
    pub fn restore(&self, index: usize) {
        let router = {
            let mut state = self.lock();
            let node = &mut state.nodes[index];
            node.linked = true;
            node.router.as_ref().and_then(WeakRouter::upgrade)
        };
        let Some(router) = router else { return };
        let connections = router
            .connections()
            .iter()
            .map(|c| c.id().clone())
            .collect();
        let mut rooms: BTreeMap<String, BTreeMap<ConnectionId, Option<MetaTag>>> = BTreeMap::new();
        for (room, id, meta) in router.memberships() {
            rooms.entry(room).or_default().insert(id, meta);
        }
        let mut state = self.lock();
        let node = &mut state.nodes[index];
        node.connections = connections;
        node.rooms = rooms;
    }

    /// Declares node `index` dead: it is off the bus, its connections and
    /// memberships disappear, and (with presence events) the rooms it had
    /// members in are told they left, by a live node, as `zap-redis`
    /// reaps a crashed instance.
    pub fn kill(&self, index: usize) {
        let (rooms, announcer) = {
            let mut state = self.lock();
            let node = &mut state.nodes[index];
            node.alive = false;
            node.linked = false;
            node.connections.clear();
            let rooms = std::mem::take(&mut node.rooms);
            let announcer = state
                .nodes
                .iter()
                .filter(|n| n.alive && n.linked)
                .find_map(|n| n.router.as_ref()?.upgrade());
            (rooms, announcer)
        };
        let Some(announcer) = announcer else { return };
        for (room, members) in rooms {
            for (id, meta) in members {
                announcer.announce(&room, &id, "leave", meta.as_ref());
            }
        }
    }

    /// The live, connected routers other than `from`, or `None` when
    /// `from` itself is off the bus.
    fn peers(&self, from: usize) -> Option<Vec<ConnectionRouter>> {
        let state = self.lock();
        let me = &state.nodes[from];
        if !me.alive || !me.linked {
            return None;
        }
        let routers = state
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| *i != from && n.alive && n.linked)
            .filter_map(|(_, n)| n.router.as_ref()?.upgrade())
            .collect();
        Some(routers)
    }

    fn reachable(&self, from: usize) -> Result<(), BackendError> {
        let state = self.lock();
        let me = &state.nodes[from];
        if me.alive && me.linked {
            Ok(())
        } else {
            Err(BackendError::Unavailable(
                "node is cut off the bus".to_owned(),
            ))
        }
    }
}

impl BusNode {
    /// This node's index on the bus.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Backend for BusNode {
    fn attach(&self, router: WeakRouter) {
        self.bus.lock().nodes[self.index].router = Some(router);
    }

    fn is_distributed(&self) -> bool {
        true
    }

    fn session_store(&self) -> Option<Arc<dyn zap_core::SessionStore>> {
        Some(self.bus.lock().sessions.clone())
    }

    fn publish(
        &self,
        target: Target,
        except: &[ConnectionId],
        frame: &Frame,
    ) -> Result<(), BackendError> {
        let Some(peers) = self.bus.peers(self.index) else {
            return Err(BackendError::Unavailable(
                "node is cut off the bus".to_owned(),
            ));
        };
        if let Some(event) = Received::decode(frame.as_str()) {
            self.bus.lock().log.push(Published {
                from: self.index,
                target: target.clone(),
                except: except.to_vec(),
                event,
            });
        }
        for router in peers {
            router.deliver_local(&target, except, frame);
        }
        Ok(())
    }

    fn record(&self, change: Membership) {
        let mut state = self.bus.lock();
        let node = &mut state.nodes[self.index];
        if !node.alive || !node.linked {
            return; // rewritten from the router by `restore`
        }
        match change {
            Membership::Connected(id) => {
                node.connections.insert(id);
            }
            Membership::Disconnected(id) => {
                node.connections.remove(&id);
            }
            Membership::Joined { room, id, meta } => {
                node.rooms.entry(room).or_default().insert(id, meta);
            }
            Membership::Left { room, id } => {
                if let Some(members) = node.rooms.get_mut(&room) {
                    members.remove(&id);
                    if members.is_empty() {
                        node.rooms.remove(&room);
                    }
                }
            }
            _ => {}
        }
    }

    fn members(&self, room: &str) -> BackendFuture<Vec<MemberInfo>> {
        let answer = self.bus.reachable(self.index).map(|()| {
            let state = self.bus.lock();
            state
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.alive)
                .filter_map(|(i, n)| Some((i, n.rooms.get(room)?)))
                .flat_map(|(i, members)| {
                    members.iter().map(move |(id, meta)| {
                        MemberInfo::new(id.clone(), meta.clone(), i == self.index)
                    })
                })
                .collect()
        });
        Box::pin(async move { answer })
    }

    fn connection_count(&self) -> BackendFuture<usize> {
        let answer = self.bus.reachable(self.index).map(|()| {
            let state = self.bus.lock();
            state
                .nodes
                .iter()
                .filter(|n| n.alive)
                .map(|n| n.connections.len())
                .sum()
        });
        Box::pin(async move { answer })
    }
}
