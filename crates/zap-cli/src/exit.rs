//! Exit codes, and the error type that carries one to `main`.

use std::fmt;
use std::process::ExitCode;

/// The exit-code table, shown by every `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success (listen and repl: stopped by Ctrl-C, end of input or --count)
  1  the connection was lost or closed by the server; bench: nothing came back;
     or another failure
  2  usage: bad arguments, bad JSON, bad header, bad URL
  3  could not connect (refused, unreachable, handshake refused, timeout)
  4  --wait or --request: no reply within --timeout";

/// A failure and the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    /// Code 2: the command line is wrong.
    pub(crate) fn usage(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: 2,
            error: error.into(),
        }
    }

    /// Code 3: the server could not be reached.
    pub(crate) fn connect(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: 3,
            error: error.into(),
        }
    }

    /// Code 4: no reply in time.
    pub(crate) fn timeout(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: 4,
            error: error.into(),
        }
    }

    pub(crate) fn code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// Code 1: anything else.
impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { code: 1, error }
    }
}

/// The error and its causes, each cause left out when the message before
/// it already says it (many errors print their source themselves).
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.error.to_string();
        f.write_str(&said)?;
        for cause in self.error.chain().skip(1) {
            let cause = cause.to_string();
            if !said.contains(&cause) {
                write!(f, ": {cause}")?;
                said = cause;
            }
        }
        Ok(())
    }
}
