//! Every README's Rust code compiles: a README holding a Rust block (a
//! fence whose info string is empty or starts with `rust`, which rustdoc
//! runs) must be included as doc tests somewhere
//! (`#[doc = include_str!("…/README.md")]`, usually in zap-conformance's
//! `crate_readmes`), and a block marked `ignore` must say why in an
//! `<!-- ignore: reason -->` line right above it.

use std::path::{Component, Path, PathBuf};

/// A Rust code block of a README.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RustBlock {
    /// The line of its opening fence (1-based).
    pub(crate) line: usize,
    /// The fence's info string (`rust,no_run`, empty…).
    pub(crate) info: String,
    /// The non-empty line above the fence.
    pub(crate) above: String,
}

/// The Rust blocks of a Markdown text.
pub(crate) fn rust_blocks(text: &str) -> Vec<RustBlock> {
    let mut blocks = Vec::new();
    let mut open = false;
    let mut above = String::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if !open {
                let info = info.trim().to_owned();
                if info.is_empty() || info.starts_with("rust") {
                    blocks.push(RustBlock {
                        line: index + 1,
                        info,
                        above: above.clone(),
                    });
                }
            }
            open = !open;
        } else if !open && !trimmed.is_empty() {
            above = trimmed.to_owned();
        }
    }
    blocks
}

/// The files a Rust source includes with `include_str!("…")`, resolved
/// against its folder.
pub(crate) fn included_files(source: &Path, text: &str) -> Vec<PathBuf> {
    let dir = source.parent().unwrap_or(Path::new("."));
    text.split("include_str!(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(path, _)| normalize(&dir.join(path)))
        .collect()
}

/// `a/b/../c` as `a/c`, without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The problems of one README, given whether a doc test includes it.
pub(crate) fn problems(text: &str, included: bool) -> Vec<String> {
    let blocks = rust_blocks(text);
    let mut found = Vec::new();
    if !blocks.is_empty() && !included {
        found.push(format!(
            "{} Rust block(s) (first at line {}) are compiled nowhere: include the README as \
             doc tests (zap-conformance's `crate_readmes`)",
            blocks.len(),
            blocks[0].line
        ));
    }
    for block in &blocks {
        let ignored = block.info.split(',').any(|word| word.trim() == "ignore");
        if ignored && !block.above.starts_with("<!-- ignore:") {
            found.push(format!(
                "line {}: a `{}` block needs `<!-- ignore: why -->` right above it",
                block.line, block.info
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_and_bare_fences_are_rust_blocks_others_are_not() {
        let text = "# T\n```rust,no_run\nlet a = 1;\n```\n```sh\nls\n```\n```\nbare\n```\n";
        let blocks = rust_blocks(text);
        assert_eq!(
            blocks
                .iter()
                .map(|b| (b.line, b.info.as_str()))
                .collect::<Vec<_>>(),
            [(2, "rust,no_run"), (8, "")]
        );
    }

    #[test]
    fn a_readme_with_rust_code_must_be_included() {
        let text = "```rust\nfn main() {}\n```\n";
        assert_eq!(problems(text, false).len(), 1);
        assert!(problems(text, true).is_empty());
        assert!(problems("```toml\nx = 1\n```\n", false).is_empty());
    }

    #[test]
    fn an_ignored_block_must_say_why() {
        let silent = "Some text.\n\n```rust,ignore\nnope\n```\n";
        assert_eq!(problems(silent, true).len(), 1);
        let said = "<!-- ignore: needs a GPU -->\n```rust,ignore\nnope\n```\n";
        assert!(problems(said, true).is_empty());
    }

    #[test]
    fn include_paths_resolve_against_the_source_folder() {
        let source = Path::new("/repo/crates/x/src/lib.rs");
        let text =
            r#"#[doc = include_str!("../../../README.md")] #[doc = include_str!("../README.md")]"#;
        assert_eq!(
            included_files(source, text),
            [
                PathBuf::from("/repo/README.md"),
                PathBuf::from("/repo/crates/x/README.md")
            ]
        );
    }
}
