//! [`Commands`]: the connection the backend's tasks send commands on, for
//! each deployment: a reconnecting connection to one server, a cluster
//! connection that follows slots and failovers, or a connection to the
//! master named by Sentinel that asks the Sentinels again when the master
//! stops answering as one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::RedisConfig;
use crate::topology::Topology;

/// A cloneable handle on the commands connection.
#[derive(Clone)]
pub(crate) enum Commands {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(Arc<SentinelMaster>),
}

impl ConnectionLike for Commands {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Commands::Single(conn) => conn.req_packed_command(cmd),
            Commands::Cluster(conn) => conn.req_packed_command(cmd),
            Commands::Sentinel(master) => Box::pin(async move {
                let mut conn = master.connection().await?;
                let reply = conn.req_packed_command(cmd).await;
                master.check(&reply);
                reply
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Commands::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Commands::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
            Commands::Sentinel(master) => Box::pin(async move {
                let mut conn = master.connection().await?;
                let reply = conn.req_packed_commands(pipeline, offset, count).await;
                master.check(&reply);
                reply
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Commands::Single(conn) => conn.get_db(),
            Commands::Cluster(_) => 0,
            Commands::Sentinel(master) => master.db,
        }
    }
}

/// The master of a Sentinel-watched set: asked of the Sentinels on first
/// use, and again after a request fails in a way that says it is gone or
/// no longer the master (connection lost, timeout, `READONLY`).
pub(crate) struct SentinelMaster {
    sentinels: tokio::sync::Mutex<SentinelClient>,
    current: Mutex<Option<MultiplexedConnection>>,
    config: redis::AsyncConnectionConfig,
    connect_timeout: Duration,
    db: i64,
}

impl SentinelMaster {
    fn new(
        sentinels: &[String],
        master: &str,
        password: Option<&str>,
        db: i64,
        config: &RedisConfig,
    ) -> RedisResult<Self> {
        let mut info = redis::RedisConnectionInfo::default().set_db(db);
        if let Some(password) = password {
            info = info.set_password(password);
        }
        let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(info);
        let client = SentinelClient::build(
            sentinels.to_vec(),
            master.to_owned(),
            Some(node),
            SentinelServerType::Master,
        )?;
        Ok(SentinelMaster {
            sentinels: tokio::sync::Mutex::new(client),
            current: Mutex::new(None),
            config: redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(config.connect_timeout))
                .set_response_timeout(Some(config.query_timeout)),
            connect_timeout: config.connect_timeout,
            db,
        })
    }

    /// A client for the current master (asked of the Sentinels now).
    pub(crate) async fn client(&self) -> RedisResult<redis::Client> {
        let mut sentinels = self.sentinels.lock().await;
        match tokio::time::timeout(self.connect_timeout, sentinels.async_get_client()).await {
            Ok(client) => client,
            Err(_) => Err(timed_out()),
        }
    }

    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let client = self.client().await?;
        let connecting = client.get_multiplexed_async_connection_with_config(&self.config);
        let conn = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(conn) => conn?,
            Err(_) => return Err(timed_out()),
        };
        tracing::info!(master = ?client.get_connection_info().addr(), "connected to the master named by sentinel");
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the master after a failure that says it is gone or demoted.
    fn check<T>(&self, reply: &RedisResult<T>) {
        if let Err(err) = reply
            && master_lost(err)
        {
            self.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
        }
    }
}

fn master_lost(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_timeout()
        || err.code() == Some("READONLY")
}

fn timed_out() -> RedisError {
    std::io::Error::from(std::io::ErrorKind::TimedOut).into()
}

/// Where the subscriber listens.
#[derive(Clone)]
pub(crate) enum Listen {
    /// A pub/sub connection to this server.
    Single(redis::Client),
    /// Sharded pub/sub through a RESP3 cluster connection of its own.
    Cluster(Vec<String>),
    /// A pub/sub connection to the master named by Sentinel.
    Sentinel(Arc<SentinelMaster>),
}

/// Opens the commands connection for `topology` (bounded by the connect
/// timeout) and says where to listen.
pub(crate) async fn open(
    topology: &Topology,
    config: &RedisConfig,
) -> Result<(Commands, Listen), OpenError> {
    match topology {
        Topology::Single(url) => {
            let client = redis::Client::open(url.as_str()).map_err(OpenError::Invalid)?;
            let manager_config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(config.connect_timeout))
                .set_response_timeout(Some(config.query_timeout))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(500));
            let connecting = client.get_connection_manager_with_config(manager_config);
            let manager = bounded(config, connecting).await?;
            Ok((Commands::Single(manager), Listen::Single(client)))
        }
        Topology::Cluster(nodes) => {
            let client = cluster_client(nodes, config, None).map_err(OpenError::Invalid)?;
            let conn = bounded(config, client.get_async_connection()).await?;
            Ok((Commands::Cluster(conn), Listen::Cluster(nodes.clone())))
        }
        Topology::Sentinel {
            sentinels,
            master,
            password,
            db,
        } => {
            let master = SentinelMaster::new(sentinels, master, password.as_deref(), *db, config)
                .map_err(OpenError::Invalid)?;
            let master = Arc::new(master);
            master.connection().await.map_err(OpenError::Unreachable)?;
            Ok((Commands::Sentinel(master.clone()), Listen::Sentinel(master)))
        }
    }
}

/// A cluster client: commands (without `push`), or sharded pub/sub (RESP3,
/// pushes sent to `push`).
pub(crate) fn cluster_client(
    nodes: &[String],
    config: &RedisConfig,
    push: Option<tokio::sync::mpsc::UnboundedSender<redis::PushInfo>>,
) -> RedisResult<redis::cluster::ClusterClient> {
    let mut builder = redis::cluster::ClusterClientBuilder::new(nodes.to_vec())
        .connection_timeout(config.connect_timeout)
        .response_timeout(config.query_timeout)
        .retries(3)
        .min_retry_wait(50)
        .max_retry_wait(500);
    if let Some(push) = push {
        builder = builder
            .use_protocol(redis::ProtocolVersion::RESP3)
            .push_sender(push);
    }
    builder.build()
}

/// Why [`open`] failed.
pub(crate) enum OpenError {
    Invalid(RedisError),
    Unreachable(RedisError),
    TimedOut,
}

async fn bounded<T>(
    config: &RedisConfig,
    connecting: impl Future<Output = RedisResult<T>>,
) -> Result<T, OpenError> {
    match tokio::time::timeout(config.connect_timeout, connecting).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(err)) => Err(OpenError::Unreachable(err)),
        Err(_) => Err(OpenError::TimedOut),
    }
}
