//! [`ConnectError`]: why a Redis backend could not start.

/// A [`RedisBackend`](crate::RedisBackend) could not start. The message
/// names Redis and the URL (its password, if any, shown as `***`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a Redis URL (`redis://host:port/db`).
    #[error("`{url}` is not a Redis URL: {source}")]
    InvalidUrl {
        /// The URL as given, password hidden.
        url: String,
        /// What the Redis client found wrong.
        #[source]
        source: redis::RedisError,
    },
    /// The URL names no deployment zap-redis knows (see
    /// [`Topology`](crate::Topology)): a cluster without nodes, a Sentinel
    /// URL without a master name.
    #[error("`{url}` is not a zap-redis URL: {reason}")]
    InvalidTopology {
        /// The URL as given, password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Redis did not answer within the connect timeout, or refused us.
    /// Check that it runs and is reachable at that URL, then try again.
    #[error("cannot reach Redis at {url}: {reason}")]
    Unreachable {
        /// The URL tried, password hidden.
        url: String,
        /// What went wrong (refused, timeout, authentication).
        reason: String,
    },
}

/// `url` with the password of its user part replaced by `***`, so an error
/// message can be logged.
pub(crate) fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = match user.split_once(':') {
                Some((name, _password)) => format!("{name}:***"),
                None => user.to_owned(),
            };
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn a_password_in_the_url_is_hidden() {
        assert_eq!(
            shown_url("redis://:secret@10.0.0.1:6379/0"),
            "redis://:***@10.0.0.1:6379/0"
        );
        assert_eq!(shown_url("rediss://ada:pw@host/"), "rediss://ada:***@host/");
        assert_eq!(
            shown_url("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/"
        );
        assert_eq!(shown_url("not a url"), "not a url");
    }
}
