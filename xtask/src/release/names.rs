//! The crates.io names check of `cargo xtask release`: a crate is published
//! only under a name recorded as ours (or verified free) in
//! `xtask/crates-io-names.txt`, a list kept by hand because CI runs offline.

use std::path::Path;

use anyhow::Context;

/// Where the verified names are recorded, relative to the repository root.
pub(crate) const NAMES_FILE: &str = "xtask/crates-io-names.txt";

/// What the list says about one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Published by this project: later versions may follow.
    Ours,
    /// Verified free on crates.io (the first publish claims it).
    Free,
    /// Someone else's crate: never publish under it.
    Taken(String),
    /// Not in the list: nobody checked.
    Unverified,
}

/// The list: `(status, name, note)` per line; `#` starts a comment.
#[derive(Debug, Default)]
pub(crate) struct Names(Vec<(String, String, String)>);

impl Names {
    /// Reads the list from the repository at `root`.
    pub(crate) fn load(root: &Path) -> anyhow::Result<Names> {
        let path = root.join(NAMES_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Names::parse(&text)
    }

    pub(crate) fn parse(text: &str) -> anyhow::Result<Names> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (status, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim_start();
            let (name, note) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let note = note.trim();
            if !matches!(status, "ours" | "free" | "taken") || name.is_empty() {
                anyhow::bail!(
                    "{NAMES_FILE}:{}: expected `ours|free|taken NAME note`, found `{line}`",
                    n + 1
                );
            }
            entries.push((status.to_owned(), name.to_owned(), note.to_owned()));
        }
        Ok(Names(entries))
    }

    /// Who owns `name` according to the list.
    pub(crate) fn owner(&self, name: &str) -> Owner {
        match self.0.iter().find(|(_, listed, _)| listed == name) {
            Some((status, _, note)) => match status.as_str() {
                "ours" => Owner::Ours,
                "free" => Owner::Free,
                _ => Owner::Taken(note.clone()),
            },
            None => Owner::Unverified,
        }
    }

    /// Why each of `names` must not be published, one line per refusal.
    pub(crate) fn refusals<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        names
            .into_iter()
            .filter_map(|name| match self.owner(name) {
                Owner::Ours | Owner::Free => None,
                Owner::Taken(note) => Some(format!(
                    "{name}: the name belongs to someone else on crates.io: {note}; rename the crate"
                )),
                Owner::Unverified => Some(format!(
                    "{name}: nobody verified who owns this name on crates.io; check it and record it in {NAMES_FILE}"
                )),
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LIST: &str = "# comment\n\
                        taken  zap-core   unrelated crate\n\
                        ours   zap-mine   published 0.1.0\n\
                        free   zap-new    checked 2026-11-29\n";

    #[test]
    fn a_taken_name_is_refused_with_its_note() {
        let names = Names::parse(LIST).unwrap();
        let refusals = names.refusals(["zap-core"]);
        assert_eq!(refusals.len(), 1);
        assert!(
            refusals[0].contains("belongs to someone else"),
            "{refusals:?}"
        );
        assert!(refusals[0].contains("unrelated crate"), "{refusals:?}");
    }

    #[test]
    fn an_unlisted_name_is_refused_as_unverified() {
        let names = Names::parse(LIST).unwrap();
        let refusals = names.refusals(["zap-other"]);
        assert!(refusals[0].contains("nobody verified"), "{refusals:?}");
    }

    #[test]
    fn our_names_and_verified_free_ones_pass() {
        let names = Names::parse(LIST).unwrap();
        assert!(names.refusals(["zap-mine", "zap-new"]).is_empty());
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        let err = Names::parse("mine zap-x\n").unwrap_err();
        assert!(err.to_string().contains(":1:"), "{err}");
    }

    #[test]
    fn the_repository_list_parses_and_refuses_the_names_issue_14_found_taken() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let names = Names::load(&root).unwrap();
        for name in ["zap-core", "zap-protocol", "zap-cli"] {
            assert!(matches!(names.owner(name), Owner::Taken(_)), "{name}");
        }
    }
}
