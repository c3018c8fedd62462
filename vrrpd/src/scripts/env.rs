//! Load-time preparation of scripts: the global user and security settings, and turning
//! one configured command line into a [`CommandSpec`] (split, user resolved, checked).

use super::command::CommandSpec;
use super::error::ScriptError;
use super::security::check_program;
use super::split::split_command;
use super::user::RunAs;
use crate::config::GlobalDefs;

/// What applies to every script: from `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptEnv {
    /// `script_user`, or keepalived's default ([`RunAs::default_for_scripts`]).
    pub default_user: RunAs,
    /// `enable_script_security`.
    pub script_security: bool,
}

impl ScriptEnv {
    /// From `global_defs`; an unknown `script_user` is an error.
    pub fn from_globals(g: &GlobalDefs) -> Result<ScriptEnv, ScriptError> {
        let default_user = match &g.script_user {
            Some(pair) => RunAs::from_pair("global_defs script_user", pair)?,
            None => RunAs::default_for_scripts(),
        };
        Ok(ScriptEnv {
            default_user,
            script_security: g.enable_script_security,
        })
    }

    /// Prepare the command line `line` of the script named `what` (used in errors), run as
    /// `user` if given (a per-script `user USER [GROUP]`), else as the default user.
    ///
    /// Errors: a line that cannot be split, an unknown user or group, a user switch while
    /// not root, and, with `enable_script_security`, a script running as root that is not
    /// secure (see [`super::security`]), or cannot be found to be checked. Without
    /// `enable_script_security` such a script is accepted with a warning, as keepalived
    /// does, and a missing program only fails when it is run.
    pub fn prepare(
        &self,
        what: &str,
        line: &str,
        user: Option<&(String, Option<String>)>,
    ) -> Result<CommandSpec, ScriptError> {
        let argv = split_command(line).map_err(|source| ScriptError::Split {
            what: what.to_string(),
            source,
        })?;
        let run_as = match user {
            Some(pair) => RunAs::from_pair(&format!("{what} user"), pair)?,
            None => self.default_user.clone(),
        };
        if run_as.is_switch() && !RunAs::current().is_root() {
            return Err(ScriptError::NotRoot {
                what: what.to_string(),
                uid: run_as.uid,
            });
        }
        if run_as.is_root() {
            if let Err(bad) = check_program(&argv[0]) {
                if self.script_security {
                    return Err(ScriptError::Insecure {
                        what: what.to_string(),
                        path: bad.path,
                        reason: bad.reason,
                    });
                }
                log::warn!(
                    "{what}: runs as root and enable_script_security would refuse it: {}: {}",
                    bad.path.display(),
                    bad.reason
                );
            }
        }
        // split_command never returns an empty argv.
        CommandSpec::new(argv, run_as).ok_or_else(|| ScriptError::Split {
            what: what.to_string(),
            source: super::split::SplitError::Empty,
        })
    }
}
