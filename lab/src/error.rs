//! The lab's one error type.

use std::io;

/// What went wrong while building, using or removing a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A system call, file operation or process start failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: io::Error,
    },
    /// A command ran but failed.
    #[error("{what}: {status}: {stderr}")]
    Command {
        /// The command line.
        what: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it wrote to stderr.
        stderr: String,
    },
    /// An address outside the documentation ranges, or not an address at all.
    #[error("{0}: not an address/prefix in 192.0.2.0/24, 198.51.100.0/24 or 2001:db8::/32")]
    Address(String),
    /// A link did not come up in time.
    #[error("{what} not up within {secs:.1} s")]
    Timeout {
        /// Which link, in which namespace.
        what: String,
        /// How long we waited.
        secs: f64,
    },
    /// A helper thread (one that entered a namespace) panicked.
    #[error("{0}: helper thread panicked")]
    Thread(String),
    /// `ip`'s JSON output could not be read as a data-plane snapshot.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// Removal left something behind.
    #[error("cleanup incomplete: {}", .0.join("; "))]
    Cleanup(Vec<String>),
}

impl LabError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        LabError::Io {
            what: what.into(),
            source,
        }
    }
}
