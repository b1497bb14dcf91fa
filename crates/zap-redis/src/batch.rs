//! [`Batch`]: commands to send in one round trip per slot. On one server
//! everything goes in one pipeline, in order; on a cluster, commands are
//! grouped by hash tag (in order within a group) and the groups go to
//! their shards at once, since a pipeline must stay in one slot there.

use futures_util::future::join_all;
use redis::{Pipeline, RedisResult, Value};

use crate::conn::Commands;
use crate::keys::{Keys, hash_tag};

pub(crate) struct Batch {
    sharded: bool,
    groups: Vec<(String, Pipeline)>,
}

impl Batch {
    pub(crate) fn new(keys: &Keys) -> Self {
        Batch {
            sharded: keys.sharded(),
            groups: Vec::new(),
        }
    }

    /// The pipeline for commands on `key` (and its group's index).
    pub(crate) fn on(&mut self, key: &str) -> &mut Pipeline {
        self.group(key).1
    }

    /// The pipeline for commands on `key`, with its group's index (see
    /// [`Self::run_values`]).
    pub(crate) fn group(&mut self, key: &str) -> (usize, &mut Pipeline) {
        let tag = if self.sharded { hash_tag(key) } else { "" };
        let index = match self.groups.iter().position(|(t, _)| t == tag) {
            Some(index) => index,
            None => {
                self.groups.push((tag.to_owned(), redis::pipe()));
                self.groups.len() - 1
            }
        };
        (index, &mut self.groups[index].1)
    }

    /// Sends every group (at once); fails if any group failed.
    pub(crate) async fn run(self, conn: &Commands) -> RedisResult<()> {
        for result in self.run_values(conn).await {
            result?;
        }
        Ok(())
    }

    /// Sends every group (at once) and returns each group's replies (those
    /// not ignored), by group index.
    pub(crate) async fn run_values(self, conn: &Commands) -> Vec<RedisResult<Vec<Value>>> {
        let runs = self.groups.into_iter().map(|(_, pipe)| {
            let mut conn = conn.clone();
            async move { pipe.query_async::<Vec<Value>>(&mut conn).await }
        });
        join_all(runs).await
    }
}
