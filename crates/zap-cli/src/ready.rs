//! Readiness files: `zap listen --ready-file FILE` writes FILE (holding its
//! process id) once it is subscribed and online, and removes it when it
//! ends; `zap wait FILE` returns once the file exists and names a running
//! process, so a file left behind by a killed run is not taken for a live one.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A written readiness file, removed when dropped.
#[derive(Debug)]
pub(crate) struct ReadyFile {
    path: PathBuf,
}

impl ReadyFile {
    /// Writes `path` atomically (a temporary file renamed into place), so a
    /// waiter never reads it half written.
    pub(crate) fn write(path: &Path) -> anyhow::Result<ReadyFile> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".{}.tmp", std::process::id()));
        let temporary = PathBuf::from(temporary);
        std::fs::write(&temporary, format!("{}\n", std::process::id()))
            .with_context(|| format!("cannot write the ready file {}", temporary.display()))?;
        std::fs::rename(&temporary, path)
            .with_context(|| format!("cannot write the ready file {}", path.display()))?;
        Ok(ReadyFile {
            path: path.to_owned(),
        })
    }
}

impl Drop for ReadyFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::debug!(%error, path = %self.path.display(), "cannot remove the ready file");
        }
    }
}

/// Whether `path` exists and, when it names a process (a number) and the
/// system shows processes in `/proc`, that process is running.
pub(crate) fn is_ready(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let proc = Path::new("/proc");
    match text.trim().parse::<u32>() {
        Ok(pid) if proc.join("self").exists() => proc.join(pid.to_string()).exists(),
        _ => true,
    }
}
