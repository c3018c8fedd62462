//! Errors found while preparing scripts at load time.

use super::split::SplitError;
use std::path::PathBuf;

/// A script that cannot be used; every variant names the script (`what`: e.g.
/// `vrrp_script chk_web` or `vrrp_instance VI_1 notify_master`).
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The command line cannot be split into words.
    #[error("{what}: bad command line: {source}")]
    Split {
        /// Which script.
        what: String,
        /// Why.
        source: SplitError,
    },
    /// `script_user` / `user` names a user that does not exist.
    #[error("{what}: unknown user '{user}'")]
    UnknownUser {
        /// Which setting.
        what: String,
        /// The name given.
        user: String,
    },
    /// `script_user` / `user` names a group that does not exist.
    #[error("{what}: unknown group '{group}'")]
    UnknownGroup {
        /// Which setting.
        what: String,
        /// The name given.
        group: String,
    },
    /// The user database could not be read.
    #[error("{what}: looking up '{name}': {source}")]
    Lookup {
        /// Which setting.
        what: String,
        /// The user or group name.
        name: String,
        /// The error from getpwnam_r / getgrnam_r.
        source: nix::Error,
    },
    /// Running as another user needs root, and the daemon is not root.
    #[error("{what}: cannot run as uid {uid} without being root")]
    NotRoot {
        /// Which script.
        what: String,
        /// The uid asked for.
        uid: u32,
    },
    /// `enable_script_security` refuses this script.
    #[error("{what}: refused by enable_script_security: {path}: {reason}", path = path.display())]
    Insecure {
        /// Which script.
        what: String,
        /// The file or directory at fault.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
