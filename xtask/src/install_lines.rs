//! Install lines in READMEs must resolve as written: the crates are not on
//! crates.io (and some of their names belong to other people there), so a
//! dependency on a workspace crate comes from the repository (`git = …`) or
//! a path, and `cargo install` of a workspace binary goes through `--git` or
//! `--path`. A registry install (`cargo install cargo-fuzz`) may only name a
//! crate that is not ours.

use std::path::Path;

/// What the checks need to know about the workspace.
#[derive(Debug)]
pub(crate) struct Workspace<'a> {
    /// The repository URL every `git = …` must name.
    pub(crate) repository: &'a str,
    /// The crates a README may depend on (the publishable ones).
    pub(crate) crates: &'a [String],
    /// The repository root, to resolve `--path`.
    pub(crate) root: &'a Path,
}

/// The problems of one README's install lines, as `line N: …`.
pub(crate) fn problems(readme: &str, workspace: &Workspace<'_>) -> Vec<String> {
    let mut found = Vec::new();
    let mut fence: Option<String> = None;
    for (index, line) in readme.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(info.trim().to_owned()),
            };
            continue;
        }
        if fence.as_deref() == Some("toml")
            && let Some(problem) = toml_dependency(trimmed, workspace)
        {
            found.push(format!("line {number}: {problem}"));
        }
        let mut rest = line;
        while let Some(at) = rest.find("cargo install") {
            let after = &rest[at + "cargo install".len()..];
            let command: String = after
                .chars()
                .take_while(|c| !matches!(c, '`' | '#' | ';' | '&' | '|' | ')'))
                .collect();
            if let Some(problem) = cargo_install(&command, workspace) {
                found.push(format!(
                    "line {number}: `cargo install{command}`: {problem}"
                ));
            }
            rest = after;
        }
    }
    found
}

/// A `name = value` line of a TOML block naming a workspace crate must take
/// it from the repository or a path.
fn toml_dependency(line: &str, workspace: &Workspace<'_>) -> Option<String> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    let ours = workspace.crates.iter().any(|krate| krate == name);
    if !ours && !name.starts_with("zap-") {
        return None;
    }
    if !ours {
        return Some(format!(
            "`{name}` is no publishable crate of this workspace"
        ));
    }
    let value = value.trim();
    let git = format!("git = \"{}\"", workspace.repository);
    if value.starts_with('{') && (value.contains(&git) || value.contains("path = \"")) {
        return None;
    }
    Some(format!(
        "`{name} = {value}` does not resolve (the crate is not on crates.io): \
         write `{name} = {{ {git} }}`"
    ))
}

/// One `cargo install` command line (the words after `install`).
fn cargo_install(command: &str, workspace: &Workspace<'_>) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut git = None;
    let mut path = None;
    let mut names = Vec::new();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        match *word {
            "--git" => git = iter.next().copied(),
            "--path" => path = iter.next().copied(),
            "--branch" | "--rev" | "--tag" | "--root" | "--features" | "-F" | "--bin" => {
                iter.next();
            }
            flag if flag.starts_with('-') => {}
            name => names.push(name),
        }
    }
    if let Some(path) = path {
        if workspace.root.join(path).join("Cargo.toml").is_file() {
            return None;
        }
        return Some(format!("`{path}` holds no crate of this repository"));
    }
    let ours: Vec<&&str> = names
        .iter()
        .filter(|name| workspace.crates.iter().any(|krate| krate == **name))
        .collect();
    match git {
        Some(url) if url != workspace.repository => Some(format!(
            "`--git {url}` is not this repository ({})",
            workspace.repository
        )),
        Some(_) if ours.is_empty() => {
            Some("`--git` names no crate of this workspace to install".to_owned())
        }
        Some(_) => None,
        None if ours.is_empty() => None,
        None => Some(format!(
            "installs `{}` from crates.io, where that name is not ours: use \
             `--git {} {}` or `--path crates/{}`",
            ours[0], workspace.repository, ours[0], ours[0]
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(readme: &str) -> Vec<String> {
        let crates = vec!["zap-axum".to_owned(), "zap-cli".to_owned()];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let workspace = Workspace {
            repository: "https://github.com/zaptools/zaptools-rs",
            crates: &crates,
            root: &root,
        };
        problems(readme, &workspace)
    }

    #[test]
    fn a_registry_version_of_a_workspace_crate_is_refused() {
        let found = check("```toml\nzap-axum = \"0.1\"\ntokio = \"1\"\n```\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("line 2: `zap-axum = \"0.1\"`"),
            "{found:?}"
        );
    }

    #[test]
    fn git_and_path_dependencies_resolve() {
        let readme = "```toml\n\
                      zap-axum = { git = \"https://github.com/zaptools/zaptools-rs\" }\n\
                      zap-cli = { path = \"../zap-cli\" }\n```\n";
        assert_eq!(check(readme), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_zap_crate_is_refused() {
        let found = check("```toml\nzap-nothing = { git = \"x\" }\n```\n");
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn installing_a_workspace_binary_from_crates_io_is_refused() {
        let found = check("```sh\ncargo install zap-cli     # the tool\n```\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("--git"), "{found:?}");
        let inline = check("Run `cargo install --locked zap-cli`.\n");
        assert_eq!(inline.len(), 1, "{inline:?}");
    }

    #[test]
    fn git_and_path_installs_resolve_and_other_tools_pass() {
        let readme = "`cargo install --locked --git https://github.com/zaptools/zaptools-rs zap-cli`\n\
                      ```sh\ncargo install --locked --path crates/zap-cli # here\n\
                      cargo install cargo-fuzz\n```\n";
        assert_eq!(check(readme), Vec::<String>::new());
    }

    #[test]
    fn a_wrong_path_or_repository_is_refused() {
        assert_eq!(check("cargo install --path crates/nowhere\n").len(), 1);
        assert_eq!(
            check("cargo install --git https://example.com/other zap-cli\n").len(),
            1
        );
    }
}
