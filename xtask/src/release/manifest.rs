//! Reading and rewriting `Cargo.toml` files line by line: the workspace
//! version, internal dependency versions, and what a crate depends on.
//! (Line-based on purpose: the manifests keep their layout and comments,
//! and xtask stays free of a TOML library.)

use anyhow::bail;

/// Sets `[workspace.package] version` and the `version` of every versioned
/// internal (`path = …`) entry of `[workspace.dependencies]` to `version`.
pub(crate) fn bump_workspace(manifest: &str, version: &str) -> anyhow::Result<String> {
    let mut section = String::new();
    let mut bumped_package = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let new = if section == "[workspace.package]" && key_of(trimmed) == Some("version") {
            bumped_package = true;
            format!("version = \"{version}\"")
        } else if section == "[workspace.dependencies]" && trimmed.contains("path = ") {
            // Entries without a version are unpublished, dev-only crates
            // (`cargo xtask tidy` requires versions for everything else).
            set_inline_version(line, version).unwrap_or_else(|| line.to_owned())
        } else {
            line.to_owned()
        };
        out.push(new);
    }
    if !bumped_package {
        bail!("no `version` in [workspace.package]");
    }
    let mut text = out.join("\n");
    if manifest.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The key of a `key = value` line.
pub(crate) fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    Some(key.trim())
}

/// Replaces `version = "…"` inside an inline table line.
fn set_inline_version(line: &str, version: &str) -> Option<String> {
    let start = line.find("version = \"")? + "version = \"".len();
    let end = start + line[start..].find('"')?;
    Some(format!("{}{version}{}", &line[..start], &line[end..]))
}

/// Whether a crate manifest says `publish = false`.
pub(crate) fn is_unpublished(manifest: &str) -> bool {
    manifest
        .lines()
        .any(|line| line.trim().replace(' ', "") == "publish=false")
}

/// The `name` of a crate manifest's `[package]`.
pub(crate) fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
        } else if in_package && key_of(trimmed) == Some("name") {
            return Some(trimmed.split('"').nth(1)?.to_owned());
        }
    }
    None
}

/// The dependencies (`[dependencies]` only) of a crate manifest whose
/// names are in `among`.
pub(crate) fn dependencies_among(manifest: &str, among: &[String]) -> Vec<String> {
    let mut in_deps = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_deps = trimmed == "[dependencies]";
            continue;
        }
        if !in_deps {
            continue;
        }
        // `zap-core.workspace = true` or `zap-core = { … }`
        let name = trimmed.split(['.', '=', ' ']).next().unwrap_or("");
        if among.iter().any(|candidate| candidate == name) && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ROOT: &str = r#"[workspace]
members = ["crates/*"]

[workspace.package]
version = "0.1.0"
edition = "2024"

[workspace.dependencies]
# internal
zap-protocol = { path = "crates/zap-protocol", version = "0.1.0" }
zap-core = { path = "crates/zap-core", version = "0.1.0" }
serde = { version = "1.0", features = ["derive"] }
"#;

    #[test]
    fn bumping_sets_the_package_version_and_every_internal_dependency() {
        let bumped = bump_workspace(ROOT, "0.2.0").unwrap();
        assert!(bumped.contains("[workspace.package]\nversion = \"0.2.0\"\n"));
        assert!(
            bumped
                .contains(r#"zap-protocol = { path = "crates/zap-protocol", version = "0.2.0" }"#)
        );
        assert!(bumped.contains(r#"zap-core = { path = "crates/zap-core", version = "0.2.0" }"#));
        assert!(bumped.contains(r#"serde = { version = "1.0", features = ["derive"] }"#));
        assert!(bumped.contains("# internal"));
        assert_eq!(bumped.lines().count(), ROOT.lines().count());
    }

    #[test]
    fn an_unpublished_internal_dependency_without_a_version_is_left_alone() {
        let root = format!("{ROOT}zap-conformance = {{ path = \"crates/zap-conformance\" }}\n");
        let bumped = bump_workspace(&root, "0.2.0").unwrap();
        assert!(bumped.contains("zap-conformance = { path = \"crates/zap-conformance\" }\n"));
        assert!(!bumped.contains("version = \"0.1.0\""));
    }

    #[test]
    fn crate_manifests_are_read() {
        let manifest = "[package]\nname = \"zap-server\"\n\n[dependencies]\nzap-core.workspace = true\n\
                        zap-protocol = { workspace = true }\ntokio.workspace = true\n\n\
                        [dev-dependencies]\nzap-client.workspace = true\n";
        assert_eq!(package_name(manifest).as_deref(), Some("zap-server"));
        let internal = ["zap-core", "zap-protocol", "zap-client"].map(String::from);
        assert_eq!(
            dependencies_among(manifest, &internal),
            ["zap-core", "zap-protocol"]
        );
        assert!(!is_unpublished(manifest));
        assert!(is_unpublished("[package]\npublish = false\n"));
    }
}
