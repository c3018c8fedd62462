//! Which user scripts run as: `script_user USER [GROUP]`, per-script `user USER [GROUP]`,
//! and keepalived's default (`keepalived_script` if that user exists, else the daemon's own).

use super::error::ScriptError;
use nix::unistd::{getegid, geteuid, Group, User};

/// The name of the user keepalived runs scripts as by default, when it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// A uid/gid pair a script runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    /// User name, for messages (`#UID` when the uid has no name).
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Group id: the script's gid and its only supplementary group, as keepalived sets
    /// them (the user's other groups are not added).
    pub gid: u32,
}

impl RunAs {
    /// The daemon's own effective user and group.
    pub fn current() -> RunAs {
        let uid = geteuid();
        let name = match User::from_uid(uid) {
            Ok(Some(u)) => u.name,
            _ => format!("#{uid}"),
        };
        RunAs {
            name,
            uid: uid.as_raw(),
            gid: getegid().as_raw(),
        }
    }

    /// Resolve `user [group]` (group defaults to the user's primary group). `what` names
    /// the setting in errors, e.g. `global_defs script_user`.
    pub fn resolve(what: &str, user: &str, group: Option<&str>) -> Result<RunAs, ScriptError> {
        let lookup = |source| ScriptError::Lookup {
            what: what.to_string(),
            name: user.to_string(),
            source,
        };
        let u = User::from_name(user)
            .map_err(lookup)?
            .ok_or_else(|| ScriptError::UnknownUser {
                what: what.to_string(),
                user: user.to_string(),
            })?;
        let gid = match group {
            None => u.gid.as_raw(),
            Some(g) => Group::from_name(g)
                .map_err(|source| ScriptError::Lookup {
                    what: what.to_string(),
                    name: g.to_string(),
                    source,
                })?
                .ok_or_else(|| ScriptError::UnknownGroup {
                    what: what.to_string(),
                    group: g.to_string(),
                })?
                .gid
                .as_raw(),
        };
        Ok(RunAs {
            name: u.name,
            uid: u.uid.as_raw(),
            gid,
        })
    }

    /// From a configuration pair `(USER, Option<GROUP>)`.
    pub fn from_pair(what: &str, pair: &(String, Option<String>)) -> Result<RunAs, ScriptError> {
        RunAs::resolve(what, &pair.0, pair.1.as_deref())
    }

    /// keepalived's default when no `script_user` is set: [`DEFAULT_SCRIPT_USER`] if it
    /// exists (and the daemon can switch to it, i.e. is root), else the daemon's own user
    /// (the daemon's script preparation warns of that).
    pub fn default_for_scripts() -> RunAs {
        if geteuid().is_root() {
            if let Ok(r) = RunAs::resolve("default script user", DEFAULT_SCRIPT_USER, None) {
                return r;
            }
        }
        RunAs::current()
    }

    /// Whether this is uid 0.
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// Whether running as this needs a uid/gid switch from the daemon's own.
    pub fn is_switch(&self) -> bool {
        self.uid != geteuid().as_raw() || self.gid != getegid().as_raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves() {
        let r = RunAs::resolve("t", "root", None).unwrap();
        assert_eq!((r.uid, r.gid, r.name.as_str()), (0, 0, "root"));
    }

    #[test]
    fn unknown_user_and_group_are_errors() {
        let e = RunAs::resolve("t", "no-such-user-vrrpd", None).unwrap_err();
        assert!(matches!(e, ScriptError::UnknownUser { .. }), "{e}");
        assert!(e.to_string().contains("no-such-user-vrrpd"));
        let e = RunAs::resolve("t", "root", Some("no-such-group-vrrpd")).unwrap_err();
        assert!(matches!(e, ScriptError::UnknownGroup { .. }), "{e}");
    }

    #[test]
    fn current_is_not_a_switch() {
        assert!(!RunAs::current().is_switch());
    }
}
