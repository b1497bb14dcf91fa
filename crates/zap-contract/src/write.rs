//! Writing the contract's two files, on request from the application.

use std::path::{Path, PathBuf};

use crate::Contract;

/// The environment variable [`Contract::write_if_requested`] reads: the
/// directory to write the contract into.
pub const CONTRACT_DIR_ENV: &str = "ZAP_CONTRACT_DIR";

/// The files [`Contract::write_to`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFiles {
    /// The AsyncAPI 3.0 document, `asyncapi.json`.
    pub asyncapi: PathBuf,
    /// The TypeScript declarations, `events.d.ts`.
    pub typescript: PathBuf,
}

/// The contract could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the contract file {path}")]
pub struct WriteError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

impl Contract {
    /// Writes `asyncapi.json` and `events.d.ts` into `dir` (created if
    /// missing), replacing earlier versions.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<ContractFiles, WriteError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| WriteError {
            path: dir.to_owned(),
            source,
        })?;
        let files = ContractFiles {
            asyncapi: dir.join("asyncapi.json"),
            typescript: dir.join("events.d.ts"),
        };
        write(&files.asyncapi, &self.asyncapi_json())?;
        write(&files.typescript, &self.typescript())?;
        Ok(files)
    }

    /// When the environment variable [`CONTRACT_DIR_ENV`] (`ZAP_CONTRACT_DIR`)
    /// names a directory, writes the contract there and returns `true` (the
    /// application should then exit); otherwise does nothing and returns
    /// `false`.
    pub fn write_if_requested(&self) -> Result<bool, WriteError> {
        match std::env::var_os(CONTRACT_DIR_ENV) {
            Some(dir) if !dir.is_empty() => {
                let files = self.write_to(dir)?;
                report_written(&files);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), WriteError> {
    std::fs::write(path, text).map_err(|source| WriteError {
        path: path.to_owned(),
        source,
    })
}

/// Says on stderr what was written: the caller asked for files and exits.
#[allow(clippy::print_stderr)]
fn report_written(files: &ContractFiles) {
    eprintln!(
        "contract written: {} and {}",
        files.asyncapi.display(),
        files.typescript.display()
    );
}
