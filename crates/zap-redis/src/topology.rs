//! [`Topology`]: which Redis deployment a URL names: one server, a Redis
//! Cluster (by seed nodes) or a master found through Sentinel.

use crate::error::{ConnectError, shown_url};

/// The Redis deployment a [`RedisConfig`](crate::RedisConfig) names, parsed
/// from its URL:
///
/// - `redis://host:port/db` (also `rediss://`, `redis+unix://`): one server;
/// - `redis+cluster://host:port,host:port`: a Redis Cluster (7.0 or later),
///   reached through any of these seed nodes;
/// - `redis+sentinel://host:port,host:port/master-name`: the master that
///   these Sentinels name `master-name` (followed after a failover).
///
/// A password (`redis+cluster://:secret@a:7000,b:7001`) applies to every
/// node (and, for Sentinel, to the master, not to the Sentinels).
///
/// ```
/// use zap_redis::Topology;
/// let cluster = Topology::parse("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")?;
/// assert_eq!(
///     cluster,
///     Topology::Cluster(vec!["redis://10.0.0.1:7000/".into(), "redis://10.0.0.2:7000/".into()])
/// );
/// let sentinel = Topology::parse("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/chat")?;
/// assert!(matches!(sentinel, Topology::Sentinel { ref master, .. } if master == "chat"));
/// # Ok::<(), zap_redis::ConnectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topology {
    /// One `redis-server`, at this URL.
    Single(String),
    /// A Redis Cluster: the URLs of its seed nodes.
    Cluster(Vec<String>),
    /// A master watched by Sentinels.
    Sentinel {
        /// The URLs of the Sentinels.
        sentinels: Vec<String>,
        /// The name the Sentinels know the master by.
        master: String,
        /// The password of the master (and its replicas), if any.
        password: Option<String>,
        /// The database number on the master.
        db: i64,
    },
}

impl Topology {
    /// Parses a URL of one of the three forms above.
    pub fn parse(url: &str) -> Result<Topology, ConnectError> {
        let invalid = |reason: &str| ConnectError::InvalidTopology {
            url: shown_url(url),
            reason: reason.to_owned(),
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            // The Redis client says what is wrong with it.
            return Ok(Topology::Single(url.to_owned()));
        };
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((userinfo, rest)) => (Some(userinfo), rest),
            None => (None, rest),
        };
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let nodes = |scheme: &str| -> Result<Vec<String>, ConnectError> {
            let nodes: Vec<String> = hosts
                .split(',')
                .map(str::trim)
                .filter(|host| !host.is_empty())
                .map(|host| match userinfo {
                    Some(userinfo) => format!("{scheme}://{userinfo}@{host}/"),
                    None => format!("{scheme}://{host}/"),
                })
                .collect();
            if nodes.is_empty() {
                return Err(invalid("no host:port"));
            }
            Ok(nodes)
        };
        match scheme {
            "redis+cluster" => Ok(Topology::Cluster(nodes("redis")?)),
            "rediss+cluster" => Ok(Topology::Cluster(nodes("rediss")?)),
            "redis+sentinel" => {
                let mut parts = path.split('/').filter(|part| !part.is_empty());
                let master = parts
                    .next()
                    .ok_or_else(|| {
                        invalid("no master name (redis+sentinel://host:port/master-name)")
                    })?
                    .to_owned();
                let db = match parts.next() {
                    Some(db) => db
                        .parse()
                        .map_err(|_| invalid("the database is not a number"))?,
                    None => 0,
                };
                let password = userinfo
                    .and_then(|userinfo| userinfo.split_once(':'))
                    .map(|(_, password)| password.to_owned())
                    .filter(|password| !password.is_empty());
                let sentinels = hosts
                    .split(',')
                    .map(str::trim)
                    .filter(|host| !host.is_empty())
                    .map(|host| format!("redis://{host}/"))
                    .collect::<Vec<_>>();
                if sentinels.is_empty() {
                    return Err(invalid("no sentinel host:port"));
                }
                Ok(Topology::Sentinel {
                    sentinels,
                    master,
                    password,
                    db,
                })
            }
            _ => Ok(Topology::Single(url.to_owned())),
        }
    }

    /// Whether this is a Redis Cluster (keys and channels are sharded).
    pub fn is_cluster(&self) -> bool {
        matches!(self, Topology::Cluster(_))
    }
}

#[cfg(test)]
mod tests {
    use super::Topology;

    #[test]
    fn a_plain_url_is_one_server() {
        assert_eq!(
            Topology::parse("redis://127.0.0.1:6379/2").expect("parses"),
            Topology::Single("redis://127.0.0.1:6379/2".into())
        );
    }

    #[test]
    fn a_cluster_url_lists_its_seed_nodes_with_the_password_on_each() {
        assert_eq!(
            Topology::parse("redis+cluster://:pw@a:7000, b:7001").expect("parses"),
            Topology::Cluster(vec![
                "redis://:pw@a:7000/".into(),
                "redis://:pw@b:7001/".into()
            ])
        );
    }

    #[test]
    fn a_sentinel_url_names_the_master_and_the_database() {
        assert_eq!(
            Topology::parse("redis+sentinel://:pw@s1:26379,s2:26379/chat/3").expect("parses"),
            Topology::Sentinel {
                sentinels: vec!["redis://s1:26379/".into(), "redis://s2:26379/".into()],
                master: "chat".into(),
                password: Some("pw".into()),
                db: 3,
            }
        );
    }

    #[test]
    fn a_sentinel_url_without_a_master_name_is_refused_with_the_password_hidden() {
        let err = Topology::parse("redis+sentinel://:secret@s1:26379").expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("no master name"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn a_cluster_url_without_hosts_is_refused() {
        assert!(Topology::parse("redis+cluster:///").is_err());
    }
}
