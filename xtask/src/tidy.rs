//! `cargo xtask tidy`: repository conventions no compiler checks — every
//! `.rs` file opens with a `//!` line, every internal path dependency of
//! the workspace and of publishable crates carries a version, every publishable crate has a README, a description,
//! a license and a repository, every install line of every README
//! resolves as written (`install_lines`), and every README's Rust code is
//! compiled as doc tests somewhere (`readme_code`); the Quick start and
//! the examples show their logs (`first_steps`).

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::release::{is_unpublished, publishable_crates};
use crate::{first_steps, install_lines, readme_code};

/// Directories never looked into.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules"];

/// Runs every check on the repository at `root`; lists all problems.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let mut rust_files = Vec::new();
    let mut manifests = Vec::new();
    let mut readmes = Vec::new();
    walk(
        root,
        &mut |path| match path.extension().and_then(|e| e.to_str()) {
            Some("rs") => rust_files.push(path.to_owned()),
            _ if path.file_name().is_some_and(|name| name == "Cargo.toml") => {
                manifests.push(path.to_owned());
            }
            _ if path.file_name().is_some_and(|name| name == "README.md") => {
                readmes.push(path.to_owned());
            }
            _ => {}
        },
    )?;
    let mut included = Vec::new();
    for file in &rust_files {
        let text = std::fs::read_to_string(file)?;
        included.extend(readme_code::included_files(file, &text));
        if !opens_with_doc_line(&text) {
            problems.push(format!(
                "{}: does not open with a `//!` line",
                shown(root, file)
            ));
        }
    }
    for manifest in &manifests {
        let text = std::fs::read_to_string(manifest)?;
        // Nothing is published from an unpublished crate (fuzz/, xtask/):
        // its path dependencies need no version.
        if is_unpublished(&text) {
            continue;
        }
        let dir = manifest.parent().unwrap_or(root);
        for (dependency, path) in path_dependencies_without_version(&text) {
            // A dependency on an unpublished crate (a dev-only suite, an
            // example) is never published either: it needs no version.
            let target = std::fs::read_to_string(dir.join(&path).join("Cargo.toml"));
            if target.is_ok_and(|target| is_unpublished(&target)) {
                continue;
            }
            problems.push(format!(
                "{}: path dependency `{dependency}` has no version",
                shown(root, manifest)
            ));
        }
    }
    for krate in publishable_crates(root)? {
        let text = std::fs::read_to_string(krate.dir.join("Cargo.toml"))?;
        let has_readme = krate.dir.join("README.md").exists();
        for missing in missing_metadata(&text, has_readme) {
            problems.push(format!("{}: publishable but has no {missing}", krate.name));
        }
    }
    let crates: Vec<String> = publishable_crates(root)?
        .into_iter()
        .map(|krate| krate.name)
        .collect();
    let workspace_manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let repository = repository(&workspace_manifest).unwrap_or_default();
    let workspace = install_lines::Workspace {
        repository: &repository,
        crates: &crates,
        root,
    };
    for readme in &readmes {
        let text = std::fs::read_to_string(readme)?;
        for problem in install_lines::problems(&text, &workspace) {
            problems.push(format!("{}: {problem}", shown(root, readme)));
        }
        let compiled = included.contains(&readme_code::normalize(readme));
        for problem in readme_code::problems(&text, compiled) {
            problems.push(format!("{}: {problem}", shown(root, readme)));
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    problems.extend(first_steps::quick_start_problems(&readme));
    for file in rust_files
        .iter()
        .filter(|file| file.ends_with("src/main.rs") && file.starts_with(root.join("examples")))
    {
        let text = std::fs::read_to_string(file)?;
        for problem in first_steps::example_problems(&text) {
            problems.push(format!("{}: {problem}", shown(root, file)));
        }
    }
    eprintln!(
        "tidy: {} .rs files, {} manifests, {} READMEs checked",
        rust_files.len(),
        manifests.len(),
        readmes.len()
    );
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("  {problem}");
        }
        bail!("{} tidy problem(s)", problems.len());
    }
    eprintln!("tidy: ok");
    Ok(())
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !SKIPPED_DIRS.contains(&name) {
                walk(&path, visit)?;
            }
        } else {
            visit(&path);
        }
    }
    Ok(())
}

fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map_or_else(|_| path.to_path_buf(), PathBuf::from)
        .display()
        .to_string()
}

/// `repository = "…"` of `[workspace.package]`.
fn repository(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("repository = \""))
        .and_then(|rest| rest.split_once('"'))
        .map(|(url, _)| url.to_owned())
}

/// Whether the first line is a `//!` inner doc comment.
pub(crate) fn opens_with_doc_line(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|line| line.starts_with("//!"))
}

/// The dependencies (inline tables of any `…dependencies` section but
/// `[dev-dependencies]`) that give a `path` but no `version`, with that path.
///
/// A version-less path dev-dependency is how a crate tests itself with a
/// crate that depends on it (zap-core's tests use zap-test): `cargo
/// publish` drops it, so the cycle never reaches crates.io.
pub(crate) fn path_dependencies_without_version(manifest: &str) -> Vec<(String, String)> {
    let mut in_deps = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let section = trimmed.trim_matches(['[', ']']);
            in_deps = section.ends_with("dependencies") && !section.ends_with("dev-dependencies");
            continue;
        }
        if in_deps && trimmed.contains("path = ") && !trimmed.contains("version = ") {
            let name = trimmed.split(['=', ' ']).next().unwrap_or(trimmed);
            let path = trimmed
                .split_once("path = \"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map_or("", |(path, _)| path);
            found.push((name.to_owned(), path.to_owned()));
        }
    }
    found
}

/// What a publishable crate's `[package]` lacks among description, license,
/// repository and README (a `readme` key or a README.md beside it).
pub(crate) fn missing_metadata(manifest: &str, has_readme_file: bool) -> Vec<&'static str> {
    let mut in_package = false;
    let mut keys = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
        } else if in_package && let Some((key, _)) = trimmed.split_once('=') {
            // `license.workspace = true` counts as `license`.
            keys.push(key.trim().split('.').next().unwrap_or("").to_owned());
        }
    }
    let mut missing = Vec::new();
    for key in ["description", "license", "repository"] {
        if !keys.iter().any(|k| k == key) {
            missing.push(key);
        }
    }
    if !has_readme_file && !keys.iter().any(|k| k == "readme") {
        missing.push("README");
    }
    missing
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn files_must_open_with_an_inner_doc_line() {
        assert!(opens_with_doc_line("//! What this is.\nfn f() {}\n"));
        assert!(!opens_with_doc_line("// a comment\n//! late\n"));
        assert!(!opens_with_doc_line("#![allow(x)]\n//! late\n"));
        assert!(!opens_with_doc_line(""));
    }

    #[test]
    fn path_dependencies_need_a_version() {
        let manifest = "[package]\nname = \"x\"\n[[bin]]\npath = \"src/main.rs\"\n\
                        [dependencies]\na = { path = \"../a\", version = \"0.1.0\" }\nb = { path = \"../b\" }\n\
                        [dev-dependencies]\nd = { path = \"../d\" }\n\
                        [workspace.dependencies]\nc = { path = \"c\" }\n";
        let found = path_dependencies_without_version(manifest);
        assert_eq!(
            found,
            [
                ("b".to_owned(), "../b".to_owned()),
                ("c".to_owned(), "c".to_owned())
            ]
        );
    }

    #[test]
    fn publishable_crates_need_their_metadata() {
        let complete = "[package]\nname = \"x\"\ndescription = \"d\"\nlicense.workspace = true\n\
                        repository.workspace = true\nreadme = \"README.md\"\n";
        assert!(missing_metadata(complete, false).is_empty());
        let bare = "[package]\nname = \"x\"\n[dependencies]\nlicense = \"1\"\n";
        assert_eq!(
            missing_metadata(bare, false),
            ["description", "license", "repository", "README"]
        );
        assert_eq!(missing_metadata(bare, true).len(), 3);
    }
}
