//! Which crates are published, and in what order.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::manifest::{dependencies_among, is_unpublished, package_name};

/// A publishable crate of the workspace.
#[derive(Debug, Clone)]
pub(crate) struct Crate {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    /// The publishable crates it depends on (normal dependencies).
    pub(crate) internal_deps: Vec<String>,
}

/// The preferred order among crates that could go at the same time:
/// protocol, core, server/client, adapters, redis, test kit, cli.
const RANK: &[&str] = &[
    "zap-protocol",
    "zap-core",
    "zap-server",
    "zap-client",
    "zap-actix",
    "zap-axum",
    "zap-warp",
    "zap-redis",
    "zap-test",
    "zap-cli",
];

/// Every crate under `crates/` and `examples/` without `publish = false`.
pub(crate) fn publishable_crates(root: &Path) -> anyhow::Result<Vec<Crate>> {
    let mut found = Vec::new();
    for dir in ["crates", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let dir = entry?.path();
            let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            if is_unpublished(&manifest) {
                continue;
            }
            let name = package_name(&manifest)
                .with_context(|| format!("no package name in {}", dir.display()))?;
            found.push((name, dir, manifest));
        }
    }
    let names: Vec<String> = found.iter().map(|(name, _, _)| name.clone()).collect();
    Ok(found
        .into_iter()
        .map(|(name, dir, manifest)| Crate {
            internal_deps: dependencies_among(&manifest, &names),
            name,
            dir,
        })
        .collect())
}

/// Sorts crates so each comes after its dependencies (ties: [`RANK`], then name).
pub(crate) fn publish_order(mut pending: Vec<Crate>) -> anyhow::Result<Vec<Crate>> {
    let rank = |name: &str| RANK.iter().position(|r| *r == name).unwrap_or(RANK.len());
    pending.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
    let mut ordered: Vec<Crate> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|krate| {
            krate
                .internal_deps
                .iter()
                .all(|dep| ordered.iter().any(|done| &done.name == dep))
        });
        let Some(ready) = ready else {
            let stuck: Vec<&str> = pending.iter().map(|c| c.name.as_str()).collect();
            bail!("dependency cycle among: {}", stuck.join(", "));
        };
        ordered.push(pending.remove(ready));
    }
    Ok(ordered)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn krate(name: &str, deps: &[&str]) -> Crate {
        Crate {
            name: name.to_owned(),
            dir: PathBuf::new(),
            internal_deps: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn dependencies_come_first_then_the_preferred_order() {
        let crates = vec![
            krate(
                "zap-cli",
                &["zap-client", "zap-server", "zap-core", "zap-protocol"],
            ),
            krate("zap-redis", &["zap-core", "zap-protocol"]),
            krate("zap-client", &["zap-protocol"]),
            krate("zap-server", &["zap-core", "zap-protocol"]),
            krate("zap-core", &["zap-protocol"]),
            krate("zap-protocol", &[]),
        ];
        let order: Vec<String> = publish_order(crates)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            order,
            [
                "zap-protocol",
                "zap-core",
                "zap-server",
                "zap-client",
                "zap-redis",
                "zap-cli"
            ]
        );
    }

    #[test]
    fn a_cycle_is_an_error() {
        let crates = vec![krate("a", &["b"]), krate("b", &["a"])];
        assert!(publish_order(crates).is_err());
    }
}
