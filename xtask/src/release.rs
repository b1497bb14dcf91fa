//! `cargo xtask release VERSION [--dry-run]`: bumps every publishable crate
//! to VERSION (the workspace version and the internal entries of
//! `[workspace.dependencies]` together), moves each crate's changelog
//! `## [Unreleased]` section under `## [VERSION] - DATE`, then checks that
//! each crate packages, in dependency order.
//!
//! It never uploads anything: publishing stays a human step (the commands
//! are printed at the end). With `--dry-run` no file is written either.
//!
//! It refuses a crate whose crates.io name is someone else's or was never
//! checked, per the hand-kept list `xtask/crates-io-names.txt` (CI runs
//! offline, so the list is the only source; a dry run reports every
//! refusal, then fails).

mod changelog;
mod manifest;
mod names;
mod order;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

pub(crate) use manifest::is_unpublished;
pub(crate) use order::{Crate, publish_order, publishable_crates};

/// Runs the release task from the repository at `root`.
pub(crate) fn run(root: &Path, version: &str, dry_run: bool) -> anyhow::Result<()> {
    check_version(version)?;
    let crates = publish_order(publishable_crates(root)?)?;
    let names: Vec<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    eprintln!(
        "publishable crates, in publish order: {}",
        names.join(" → ")
    );
    let refusals = names::Names::load(root)?.refusals(names.iter().copied());
    for refusal in &refusals {
        eprintln!("refused: {refusal}");
    }
    if !refusals.is_empty() && !dry_run {
        bail!(
            "{} crate name(s) cannot be published (see {}); nothing was changed",
            refusals.len(),
            names::NAMES_FILE
        );
    }

    let date = changelog::today();
    let edits = plan(root, &crates, version, &date)?;
    for (path, _) in &edits {
        let verb = if dry_run { "would update" } else { "updating" };
        eprintln!(
            "{verb} {}",
            path.strip_prefix(root).unwrap_or(path).display()
        );
    }
    if !dry_run {
        for (path, text) in &edits {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }

    let mut failed = Vec::new();
    for krate in &crates {
        if let Err(error) = check_package(root, krate) {
            eprintln!("    {}: {error:#}", krate.name);
            failed.push(krate.name.as_str());
        }
    }
    if !failed.is_empty() {
        bail!("packaging failed for: {}", failed.join(", "));
    }
    if !refusals.is_empty() {
        bail!(
            "dry run: {} crate name(s) cannot be published (see above and {})",
            refusals.len(),
            names::NAMES_FILE
        );
    }
    eprintln!("\nto publish, in this order (after committing and tagging v{version}):");
    for krate in &crates {
        eprintln!("    cargo publish -p {}", krate.name);
    }
    Ok(())
}

/// The new text of every file the release changes.
pub(crate) fn plan(
    root: &Path,
    crates: &[Crate],
    version: &str,
    date: &str,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let workspace = root.join("Cargo.toml");
    let text = read(&workspace)?;
    let mut edits = vec![(workspace, manifest::bump_workspace(&text, version)?)];
    for krate in crates {
        let path = krate.dir.join("CHANGELOG.md");
        let text = read(&path)?;
        let released = changelog::release(&text, version, date)
            .with_context(|| format!("in {}", path.display()))?;
        edits.push((path, released));
    }
    Ok(edits)
}

/// Packages one crate: `cargo publish --dry-run`, which needs its internal
/// dependencies at this version on crates.io; when they are not there yet
/// (before the first publish of the series), `cargo package --list`
/// still checks what would be uploaded.
fn check_package(root: &Path, krate: &Crate) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let publish = [
        "publish",
        "--dry-run",
        "--no-verify",
        "--allow-dirty",
        "--package",
    ];
    eprintln!("==> cargo {} {}", publish.join(" "), krate.name);
    let output = Command::new(&cargo)
        .current_dir(root)
        .args(publish)
        .arg(&krate.name)
        .output()
        .context("cannot run cargo")?;
    if output.status.success() {
        eprintln!("<== {}: publish dry-run ok", krate.name);
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    for taken in stderr
        .lines()
        .filter(|line| line.contains("already exists"))
    {
        eprintln!("    {taken} (the name may belong to someone else)");
    }
    let reason = stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .unwrap_or("cargo publish --dry-run failed");
    if krate.internal_deps.is_empty() {
        bail!("{reason}");
    }
    eprintln!(
        "    publish dry-run not possible here ({reason}); internal dependencies ({}) \
         must be on crates.io first. Checking the package contents instead:",
        krate.internal_deps.join(", ")
    );
    let list = ["package", "--list", "--allow-dirty", "--package"];
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(list)
        .arg(&krate.name)
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo package --list failed ({status})");
    }
    eprintln!(
        "<== {}: package contents ok (cargo package --list)",
        krate.name
    );
    Ok(())
}

/// `MAJOR.MINOR.PATCH`, optionally `-PRERELEASE`.
fn check_version(version: &str) -> anyhow::Result<()> {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        bail!("`{version}` is not a version like 1.2.3 or 1.2.3-rc.1");
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A temporary copy of the repository's manifests and changelogs.
    fn copy_of_repository() -> tempfile::TempDir {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(root.join("Cargo.toml"), copy.path().join("Cargo.toml")).unwrap();
        for dir in ["crates", "examples"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let entry = entry.unwrap();
                let target = copy.path().join(dir).join(entry.file_name());
                std::fs::create_dir_all(&target).unwrap();
                for file in ["Cargo.toml", "CHANGELOG.md"] {
                    if entry.path().join(file).exists() {
                        std::fs::copy(entry.path().join(file), target.join(file)).unwrap();
                    }
                }
            }
        }
        copy
    }

    #[test]
    fn versions_are_checked() {
        assert!(check_version("0.2.0").is_ok());
        assert!(check_version("1.0.0-rc.1").is_ok());
        assert!(check_version("1.0").is_err());
        assert!(check_version("v1.0.0").is_err());
    }

    #[test]
    fn the_plan_on_a_copy_bumps_every_version_and_changelog() {
        let copy = copy_of_repository();
        let crates = publish_order(publishable_crates(copy.path()).unwrap()).unwrap();
        let edits = plan(copy.path(), &crates, "9.8.7", "2030-01-02").unwrap();
        assert_eq!(edits.len(), crates.len() + 1);
        let (_, workspace) = &edits[0];
        assert!(workspace.contains("[workspace.package]\nversion = \"9.8.7\""));
        for name in ["zap-protocol", "zap-core", "zap-server", "zap-client"] {
            assert!(
                workspace.contains(&format!("crates/{name}\", version = \"9.8.7\" }}")),
                "{name} not bumped"
            );
        }
        for (path, text) in &edits[1..] {
            assert!(
                text.contains("## [Unreleased]\n\n## [9.8.7] - 2030-01-02\n"),
                "{}",
                path.display()
            );
        }
        // Planning writes nothing: the copy still holds the old text.
        let on_disk = std::fs::read_to_string(copy.path().join("Cargo.toml")).unwrap();
        assert!(!on_disk.contains("9.8.7"));
    }
}
