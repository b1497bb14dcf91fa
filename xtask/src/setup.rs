//! `cargo xtask setup` (and the first step of `cargo xtask ci`): installs
//! what the tests need and the machine lacks, saying what and why before
//! each command. The list is data: adding a prerequisite is one line of
//! [`PREREQUISITES`].
//!
//! Each prerequisite is probed with a shell command; only those whose probe
//! fails are installed: Debian packages first (one `apt-get update`, one
//! `apt-get install`), then pip specs, then npm specs (into the gitignored
//! `.ci/npm`, where the tests look for them). Without `apt-get` (or without
//! root and `sudo`), what cannot be installed is listed and the tests that
//! need it skip (or fail, with `CI` set).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// One thing the tests need.
#[derive(Debug)]
pub(crate) struct Prerequisite {
    /// What it is for, printed when it is installed.
    pub(crate) why: &'static str,
    /// A shell command (run with `sh -c` at the repository root) that
    /// succeeds when it is already there.
    pub(crate) probe: &'static str,
    /// Debian packages that provide it.
    pub(crate) debian: &'static [&'static str],
    /// `rustup component add` names.
    pub(crate) rustup: &'static [&'static str],
    /// `pip install` specs.
    pub(crate) pip: &'static [&'static str],
    /// `npm install --prefix .ci/npm` specs.
    pub(crate) npm: &'static [&'static str],
}

/// The folder npm packages go to (gitignored); tests look there.
pub(crate) const NPM_PREFIX: &str = ".ci/npm";

/// Everything the workspace's tests use beyond cargo, in install order.
pub(crate) const PREREQUISITES: &[Prerequisite] = &[
    Prerequisite {
        why: "`cargo xtask ci`'s format and clippy steps",
        probe: "cargo fmt --version && cargo clippy --version",
        debian: &[],
        rustup: &["rustfmt", "clippy"],
        pip: &[],
        npm: &[],
    },
    Prerequisite {
        why: "the zap-redis tests (each starts its own Redis on a free port)",
        probe: "command -v redis-server",
        debian: &["redis-server"],
        rustup: &[],
        pip: &[],
        npm: &[],
    },
    Prerequisite {
        why: "the chat page in headless Chromium (examples/chat/tests/browser.rs)",
        probe: "command -v chromium && command -v chromedriver",
        debian: &["chromium", "chromium-driver"],
        rustup: &[],
        pip: &[],
        npm: &[],
    },
    Prerequisite {
        why: "pip, for the Python interop peers below",
        probe: "python3 -m pip --version",
        debian: &["python3-pip"],
        rustup: &[],
        pip: &[],
        npm: &[],
    },
    Prerequisite {
        why: "the Python zaptools client against zap-server (zap-server's python_interop)",
        probe: "python3 -c 'import zaptools.client'",
        debian: &[],
        rustup: &[],
        pip: &["zaptools==0.5.2"],
        npm: &[],
    },
    Prerequisite {
        why: "the zap CLI against a Python zaptools server (zap-cli's python_interop)",
        probe: "python3 -c 'import fastapi, uvicorn, websockets'",
        debian: &[],
        rustup: &[],
        pip: &["fastapi==0.165.0", "uvicorn==0.54.0", "websockets"],
        npm: &[],
    },
    Prerequisite {
        why: "node and npm, for the TypeScript and AsyncAPI checks below",
        probe: "command -v node && command -v npm",
        debian: &["nodejs", "npm"],
        rustup: &[],
        pip: &[],
        npm: &[],
    },
    Prerequisite {
        why: "zap-contract's tests: tsc type-checks the generated declarations, ajv \
              validates the AsyncAPI document against the official 3.0 schema",
        probe: "test -e .ci/npm/node_modules/typescript/bin/tsc \
                && test -e .ci/npm/node_modules/@asyncapi/specs/package.json \
                && test -e .ci/npm/node_modules/ajv/package.json \
                && test -e .ci/npm/node_modules/ajv-formats/package.json",
        debian: &[],
        rustup: &[],
        pip: &[],
        npm: &[
            "typescript@5",
            "@asyncapi/specs@6",
            "ajv@8",
            "ajv-formats@3",
        ],
    },
];

/// Probes every prerequisite and installs the missing ones.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let missing: Vec<&Prerequisite> = PREREQUISITES
        .iter()
        .filter(|item| !present(root, item.probe))
        .collect();
    if missing.is_empty() {
        eprintln!("setup: every prerequisite is installed");
        return Ok(());
    }
    for item in &missing {
        eprintln!("setup: missing, for {}", item.why);
    }
    let plan = Plan::of(&missing);
    if !plan.debian.is_empty() {
        match apt_get() {
            Ok(sudo) => {
                run_logged(root, &sudo, "apt-get", &["update"])?;
                let mut args = vec!["install", "-y"];
                args.extend(plan.debian.iter().copied());
                run_logged(root, &sudo, "apt-get", &args)?;
            }
            // In CI a missing prerequisite is an error; on a developer's
            // machine the tests that need it skip, saying so.
            Err(why) if std::env::var_os("CI").is_some() => return Err(why),
            Err(why) => eprintln!(
                "setup: cannot install the Debian packages {} ({why:#}); the tests that \
                 need them will be skipped",
                plan.debian.join(" ")
            ),
        }
    }
    if !plan.rustup.is_empty() {
        let mut args = vec!["component", "add"];
        args.extend(plan.rustup.iter().copied());
        run_logged(root, &[], "rustup", &args)?;
    }
    if !plan.pip.is_empty() {
        let mut args = vec![
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
        ];
        args.extend(plan.pip.iter().copied());
        run_logged(root, &[], "python3", &args)?;
    }
    if !plan.npm.is_empty() {
        let mut args = vec![
            "install",
            "--prefix",
            NPM_PREFIX,
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ];
        args.extend(plan.npm.iter().copied());
        run_logged(root, &[], "npm", &args)?;
    }
    let still: Vec<&str> = missing
        .iter()
        .filter(|item| !present(root, item.probe))
        .map(|item| item.probe)
        .collect();
    if !still.is_empty() && std::env::var_os("CI").is_some() {
        bail!("still missing after installing: {}", still.join("; "));
    }
    for probe in &still {
        eprintln!("setup: still missing (its tests will be skipped): {probe}");
    }
    eprintln!("setup: done");
    Ok(())
}

/// The install commands' arguments for the missing prerequisites.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) debian: Vec<&'static str>,
    pub(crate) rustup: Vec<&'static str>,
    pub(crate) pip: Vec<&'static str>,
    pub(crate) npm: Vec<&'static str>,
}

impl Plan {
    pub(crate) fn of(missing: &[&Prerequisite]) -> Plan {
        let mut plan = Plan::default();
        for item in missing {
            plan.debian.extend(item.debian);
            plan.rustup.extend(item.rustup);
            plan.pip.extend(item.pip);
            plan.npm.extend(item.npm);
        }
        plan
    }
}

fn present(root: &Path, probe: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("{{ {probe}; }} >/dev/null 2>&1")])
        .current_dir(root)
        .status()
        .is_ok_and(|status| status.success())
}

/// How to run `apt-get`: `[]` as root, `["sudo"]` otherwise when sudo
/// exists; an error without `apt-get` or the rights.
fn apt_get() -> anyhow::Result<Vec<&'static str>> {
    if !present(Path::new("."), "command -v apt-get") {
        bail!("no apt-get on this machine: install them with its package manager");
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if root {
        return Ok(Vec::new());
    }
    if present(Path::new("."), "command -v sudo") {
        return Ok(vec!["sudo"]);
    }
    bail!("not root, and no sudo")
}

fn run_logged(root: &Path, prefix: &[&str], program: &str, args: &[&str]) -> anyhow::Result<()> {
    let mut words: Vec<&str> = prefix.to_vec();
    words.push(program);
    words.extend(args);
    eprintln!("setup: {}", words.join(" "));
    let status = Command::new(words[0])
        .args(&words[1..])
        .current_dir(root)
        // Debian's Python refuses pip installs outside a virtualenv; the
        // packages are test peers only (older pip ignores the variable).
        .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{}` failed ({status})", words.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_prerequisite_adds_only_its_own_packages() {
        let redis = &PREREQUISITES[1];
        let npm = &PREREQUISITES[PREREQUISITES.len() - 1];
        let plan = Plan::of(&[redis, npm]);
        assert_eq!(plan.debian, ["redis-server"]);
        assert!(plan.pip.is_empty() && plan.rustup.is_empty());
        assert_eq!(plan.npm.first(), Some(&"typescript@5"));
    }

    #[test]
    fn every_prerequisite_installs_something_and_says_why() {
        for item in PREREQUISITES {
            let installs = item.debian.len() + item.rustup.len() + item.pip.len() + item.npm.len();
            assert!(installs > 0, "{} installs nothing", item.probe);
            assert!(!item.why.is_empty());
        }
    }

    #[test]
    fn probes_tell_present_from_missing() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(present(root, "command -v sh"));
        assert!(!present(root, "command -v zap-no-such-program-anywhere"));
    }
}
