//! [`TestCluster`]: several nodes of one application on a shared
//! in-memory bus, with faults: a node cut off the bus, a node killed, a
//! client's link cut and resumed elsewhere.

use zap_core::{ConnectionConfig, EventRegister};

use crate::{MemoryBus, TestServer};

/// `n` nodes serving the same register, sharing a [`MemoryBus`] as
/// `zap-redis` instances share Redis: rooms, broadcasts, `send_to`,
/// presence and cluster queries span the nodes.
///
/// ```
/// use serde_json::json;
/// use zap_core::EventRegister;
/// use zap_test::TestCluster;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let register = EventRegister::new()
///     .on_event("join", |ctx| async move {
///         ctx.join("lobby");
///         ctx.connection().send("joined", ())?;
///         Ok(())
///     })
///     .on_event("say", |ctx| async move {
///         ctx.router().to("lobby").send("said", ctx.payload())?;
///         Ok(())
///     });
/// let cluster = TestCluster::new(2, register);
/// let mut ada = cluster.node(0).connect().await;
/// let mut bob = cluster.node(1).connect().await;
/// for client in [&mut ada, &mut bob] {
///     client.send("join", ());
///     client.expect("joined").await;
/// }
/// ada.send("say", "hi");
/// bob.expect_payload("said", "hi").await;
///
/// cluster.cut_off(1); // node 1 loses the bus: bob hears nothing
/// ada.send("say", "anyone?");
/// ada.expect_payload("said", "anyone?").await;
/// bob.expect_nothing().await;
/// # }
/// ```
#[derive(Debug)]
pub struct TestCluster {
    bus: MemoryBus,
    nodes: Vec<TestServer>,
}

impl TestCluster {
    /// `nodes` nodes serving `register` with the default limits. Each node
    /// gets its own copy of the register with a [`BusNode`](crate::BusNode)
    /// backend (replacing the register's backend; presence events stay).
    ///
    /// The copies share the register's recovery settings, session store
    /// and room histories (as instances share `zap_redis::RedisSessions`),
    /// so a client that asked for recovery ([`Connect::recover`](crate::Connect::recover))
    /// resumes its session on any node.
    pub fn new(nodes: usize, register: EventRegister) -> Self {
        TestCluster::with_config(nodes, register, ConnectionConfig::default())
    }

    /// `nodes` nodes serving `register` with these connection limits.
    pub fn with_config(nodes: usize, register: EventRegister, config: ConnectionConfig) -> Self {
        let bus = MemoryBus::new();
        let nodes = (0..nodes)
            .map(|_| {
                let register = register.clone().backend(bus.node());
                TestServer::with_config(register, config.clone())
            })
            .collect();
        TestCluster { bus, nodes }
    }

    /// Node `index`.
    ///
    /// # Panics
    /// If there is no such node.
    #[track_caller]
    pub fn node(&self, index: usize) -> &TestServer {
        &self.nodes[index]
    }

    /// Every node.
    pub fn nodes(&self) -> &[TestServer] {
        &self.nodes
    }

    /// The bus: what was published on it.
    pub fn bus(&self) -> &MemoryBus {
        &self.bus
    }

    /// Cuts node `index` off the bus (see [`MemoryBus::cut_off`]); its own
    /// clients keep working with each other.
    pub fn cut_off(&self, index: usize) {
        self.bus.cut_off(index);
    }

    /// Puts node `index` back on the bus (see [`MemoryBus::restore`]).
    pub fn restore(&self, index: usize) {
        self.bus.restore(index);
    }

    /// Kills node `index` as a crash would: its connections drop without a
    /// close frame and without `disconnected`; the bus forgets its members
    /// and, with presence events, tells their rooms on the other nodes that
    /// they left.
    pub fn kill(&self, index: usize) {
        self.nodes[index].abort_sessions();
        self.bus.kill(index);
    }
}
