//! [`RedisConfig`]: where Redis is, the key prefix, and the timings of the
//! heartbeat, the reaper and cluster queries.

use std::time::Duration;

/// Settings of a [`RedisBackend`](crate::RedisBackend).
///
/// ```
/// use std::time::Duration;
/// let config = zap_redis::RedisConfig::new("redis://127.0.0.1:6379/")
///     .prefix("chat-prod")
///     .heartbeat(Duration::from_secs(1))
///     .instance_ttl(Duration::from_secs(5));
/// assert_eq!(config.prefix, "chat-prod");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisConfig {
    /// The Redis URL: `redis://host:port/db` (or `redis+unix:///path`) for
    /// one server, `redis+cluster://host:port,host:port` for a Redis
    /// Cluster, `redis+sentinel://host:port,host:port/master-name` for a
    /// master behind Sentinel (see [`Topology`](crate::Topology)).
    pub url: String,
    /// Prefix of every key and channel, so that applications can share one
    /// Redis. Default: `zap`.
    pub prefix: String,
    /// How often this instance says it is alive and looks for dead ones.
    /// Default: 2 s.
    pub heartbeat: Duration,
    /// An instance silent for this long is dead: its members disappear from
    /// cluster-wide membership and, with presence events on, their rooms are
    /// told they left. Default: 10 s.
    pub instance_ttl: Duration,
    /// Longest wait for a cluster-wide query. Default: 2 s.
    pub query_timeout: Duration,
    /// Capacity of the queue of writes to Redis (publishes and membership
    /// changes). A publish that finds it full is dropped and counted.
    /// Default: 8192.
    pub queue: usize,
    /// Longest wait for a connection to Redis. Default: 2 s.
    pub connect_timeout: Duration,
}

impl RedisConfig {
    /// The defaults, for Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            prefix: "zap".to_owned(),
            heartbeat: Duration::from_secs(2),
            instance_ttl: Duration::from_secs(10),
            query_timeout: Duration::from_secs(2),
            queue: 8192,
            connect_timeout: Duration::from_secs(2),
        }
    }

    /// The defaults, for a Redis Cluster reached through these seed nodes
    /// (`host:port`).
    ///
    /// ```
    /// let config = zap_redis::RedisConfig::cluster(["10.0.0.1:7000", "10.0.0.2:7000"]);
    /// assert_eq!(config.url, "redis+cluster://10.0.0.1:7000,10.0.0.2:7000");
    /// ```
    pub fn cluster<I, S>(nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes: Vec<String> = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        RedisConfig::new(format!("redis+cluster://{}", nodes.join(",")))
    }

    /// The defaults, for the master that these Sentinels (`host:port`)
    /// know as `master`.
    ///
    /// ```
    /// let config = zap_redis::RedisConfig::sentinel(["10.0.0.1:26379", "10.0.0.2:26379"], "chat");
    /// assert_eq!(config.url, "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/chat");
    /// ```
    pub fn sentinel<I, S>(sentinels: I, master: &str) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let sentinels: Vec<String> = sentinels
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect();
        RedisConfig::new(format!("redis+sentinel://{}/{master}", sentinels.join(",")))
    }

    /// The deployment [`Self::url`] names.
    pub fn topology(&self) -> Result<crate::Topology, crate::ConnectError> {
        crate::Topology::parse(&self.url)
    }

    /// Sets [`Self::prefix`].
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`Self::heartbeat`].
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Sets [`Self::instance_ttl`].
    pub fn instance_ttl(mut self, ttl: Duration) -> Self {
        self.instance_ttl = ttl;
        self
    }

    /// Sets [`Self::query_timeout`].
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = timeout;
        self
    }

    /// Sets [`Self::queue`] (at least 1).
    pub fn queue(mut self, capacity: usize) -> Self {
        self.queue = capacity.max(1);
        self
    }

    /// Sets [`Self::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}
