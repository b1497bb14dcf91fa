//! [`RecoveryStatus`]: what a recoverable connection was told in
//! `zap.session`, and what its handlers can read.

/// How a connection that asked for recovery started.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryStatus {
    /// A fresh session; `connected` ran.
    New(NewReason),
    /// A resumed session: every missed event was delivered.
    Recovered,
    /// A resumed session, but events were lost: the application should
    /// reload these rooms (and, if `direct`, direct events) from its own
    /// source of truth.
    Gaps {
        /// Rooms whose history no longer reached the client's position, or
        /// whose epoch changed.
        rooms: Vec<String>,
        /// Direct events were lost.
        direct: bool,
    },
}

/// Why a session is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NewReason {
    /// The client gave no session token.
    Fresh,
    /// The token is not known here (never issued, or lost with a restart).
    Unknown,
    /// The session's window expired before the client came back.
    Expired,
}

impl RecoveryStatus {
    /// Whether the connection resumed an earlier session.
    pub fn is_resumed(&self) -> bool {
        !matches!(self, RecoveryStatus::New(_))
    }

    /// `(status, reason, gaps, directGap)` as written in `zap.session`.
    pub(crate) fn wire(&self) -> (&'static str, Option<&'static str>, &[String], bool) {
        match self {
            RecoveryStatus::New(reason) => {
                let reason = match reason {
                    NewReason::Fresh => None,
                    NewReason::Unknown => Some("unknown"),
                    NewReason::Expired => Some("expired"),
                };
                ("new", reason, &[], false)
            }
            RecoveryStatus::Recovered => ("recovered", None, &[], false),
            RecoveryStatus::Gaps { rooms, direct } => ("gaps", None, rooms, *direct),
        }
    }
}
