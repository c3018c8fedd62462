//! What can stop the demo; every variant says which step failed.

use std::io;
use std::path::PathBuf;

use vrrp_net::NetError;

/// A failed or interrupted demo. Whatever it had created is removed before this is returned.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Creating network namespaces needs CAP_SYS_ADMIN.
    #[error("the demo creates network namespaces: run it as root")]
    NotRoot,
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// The step (e.g. "create namespace vrrpdemo-42-a").
        what: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Building, using or removing the namespace lab failed.
    #[error(transparent)]
    Lab(#[from] vrrp_lab::LabError),
    /// A netlink request failed.
    #[error("{what}: {source}")]
    Net {
        /// The step.
        what: String,
        /// The netlink error.
        #[source]
        source: NetError,
    },
    /// The daemon could not be started.
    #[error("start {exe} in {netns}: {source}")]
    Spawn {
        /// The program.
        exe: PathBuf,
        /// The namespace it was meant for.
        netns: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A daemon exited while it should have been running.
    #[error("daemon {node} exited early ({status}); the end of its log:\n{log_tail}")]
    DaemonExited {
        /// Router name (A or B).
        node: &'static str,
        /// Exit status as text.
        status: String,
        /// The last lines it wrote (its log goes with the temp dir).
        log_tail: String,
    },
    /// Something expected did not happen in time.
    #[error("timed out after {secs:.1} s waiting for {what}")]
    Timeout {
        /// What was awaited (e.g. "the VIP on router B").
        what: String,
        /// How long was waited.
        secs: f64,
    },
    /// The demo itself got SIGINT, SIGTERM or SIGHUP (it cleans up before returning this).
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
    /// The steps worked but removing what they made did not fully succeed.
    #[error("cleanup incomplete: {}", .0.join("; "))]
    Cleanup(Vec<String>),
    /// A bug in the demo (reported rather than panicking).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl DemoError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        DemoError::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn net(what: impl Into<String>, source: NetError) -> Self {
        DemoError::Net {
            what: what.into(),
            source,
        }
    }
}
