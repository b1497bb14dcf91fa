//! What a new user runs first shows them what goes wrong: the README's
//! Quick start installs a `tracing` subscriber (without one a failed
//! handler's error is invisible), mentions `RUST_LOG`, says where handler
//! errors go, and serves on a port of its own (not the chat demo's 8000,
//! so both run at once); every example's `main` installs a subscriber and
//! mentions `RUST_LOG`.

/// The problems of the README's Quick start section.
pub(crate) fn quick_start_problems(readme: &str) -> Vec<String> {
    let Some(section) = readme.split("\n## Quick start\n").nth(1) else {
        return vec!["README.md has no `## Quick start` section".to_owned()];
    };
    let section = section.split("\n## ").next().unwrap_or(section);
    let Some(code) = section
        .split("```rust")
        .nth(1)
        .and_then(|block| block.split("\n```").next())
    else {
        return vec!["README.md's Quick start has no Rust block".to_owned()];
    };
    let mut found = Vec::new();
    if !code.contains("tracing_subscriber::") {
        found.push("README.md's Quick start installs no tracing subscriber".to_owned());
    }
    if !code.contains("RUST_LOG") && !section.contains("RUST_LOG") {
        found.push("README.md's Quick start does not mention RUST_LOG".to_owned());
    }
    if !section.contains("Where errors go") {
        found.push("README.md's Quick start does not say where errors go".to_owned());
    }
    if code.contains(".port(8000)") || section.contains("127.0.0.1:8000") {
        found.push("README.md's Quick start uses port 8000, the chat demo's".to_owned());
    }
    found
}

/// The problems of one example's `main.rs`.
pub(crate) fn example_problems(main: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    if !main.contains("tracing_subscriber::") {
        found.push("installs no tracing subscriber");
    }
    if !main.contains("RUST_LOG") {
        found.push("does not mention RUST_LOG");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# x\n\n## Quick start\n\nWhere errors go: the log.\n\n```rust,no_run\n\
                        tracing_subscriber::fmt().init(); // RUST_LOG=debug\nZapServer::builder().port(8080);\n```\n\n## Next\n";

    #[test]
    fn the_quick_start_of_the_readme_passes() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md");
        assert_eq!(quick_start_problems(&readme), Vec::<String>::new());
        assert!(quick_start_problems(GOOD).is_empty());
    }

    #[test]
    fn a_quick_start_without_subscriber_or_on_8000_is_refused() {
        let bare = GOOD.replace("tracing_subscriber::fmt().init(); // RUST_LOG=debug", "");
        assert_eq!(
            quick_start_problems(&bare).len(),
            2,
            "{:?}",
            quick_start_problems(&bare)
        );
        let clash = GOOD.replace("8080", "8000");
        assert_eq!(quick_start_problems(&clash).len(), 1);
    }

    #[test]
    fn an_example_must_install_a_subscriber() {
        assert_eq!(example_problems("fn main() {}").len(), 2);
        assert!(example_problems("tracing_subscriber::fmt() // RUST_LOG").is_empty());
    }
}
