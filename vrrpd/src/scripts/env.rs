//! Load-time preparation of scripts: the global user and security settings, and turning
//! one configured command line into a [`CommandSpec`] (split, user resolved, program found
//! and checked).

use super::command::{resolve_program, CommandSpec};
use super::error::ScriptError;
use super::security::{check, needs_protection, trace, Untraceable};
use super::split::split_command;
use super::user::RunAs;
use crate::config::GlobalDefs;
use std::path::PathBuf;

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
    /// `user` if given (a per-script `user USER [GROUP]`), else as the default user. The
    /// program is looked up here, once ([`resolve_program`], then [`trace`]); every run
    /// execs what was found.
    ///
    /// Errors: a line that cannot be split, an unknown user or group, a user switch while
    /// not root, and, with `enable_script_security`, a script needing protection (see
    /// [`super::security`]) that is not secure or cannot be found to be checked. Without
    /// `enable_script_security` such a script is accepted, as keepalived does, and so is a
    /// program not found (its runs fail); both come with a [`CommandSpec::warning`].
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
        let found = resolve_program(&argv[0])
            .map_err(|error| Untraceable {
                path: argv[0].clone().into(),
                error,
            })
            .and_then(|p| trace(&p));
        let refuse = |path: PathBuf, reason: String| ScriptError::Insecure {
            what: what.to_string(),
            path,
            reason,
        };
        let (program, warning) = match found {
            Ok(t) => {
                let insecure = needs_protection(&run_as, &t.file)
                    .then(|| check(&t).err())
                    .flatten();
                let warning = match insecure {
                    Some(bad) if self.script_security => return Err(refuse(bad.path, bad.reason)),
                    Some(bad) => Some(format!(
                        "{what}: runs with root's rights and enable_script_security would refuse it: {}: {}",
                        bad.path.display(),
                        bad.reason
                    )),
                    None => None,
                };
                (Ok(t.real), warning)
            }
            Err(e) => {
                if self.script_security && (run_as.uid == 0 || run_as.gid == 0) {
                    return Err(refuse(e.path, e.error.to_string()));
                }
                let warning = format!(
                    "{what}: cannot find '{}': {}: {}; it fails until the configuration is reloaded",
                    argv[0],
                    e.path.display(),
                    e.error
                );
                (
                    Err(e.error.raw_os_error().unwrap_or(libc::ENOENT)),
                    Some(warning),
                )
            }
        };
        // split_command never returns an empty argv.
        CommandSpec::new(argv, program, run_as, warning).ok_or_else(|| ScriptError::Split {
            what: what.to_string(),
            source: super::split::SplitError::Empty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The program a bare name stands for is looked up in `PATH` once, at load: planting
    /// a program of the same name earlier in `PATH`, or changing `PATH`, afterwards does
    /// not change what runs. (Before, `spawn` looked the name up again at every run, so
    /// this ran the planted `C`.)
    #[test]
    fn the_program_found_at_load_is_the_one_run() {
        let base = std::env::temp_dir().join(format!("vrrpd-path-once-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let out = base.join("ran");
        let plant = |dir: &str| {
            let d = base.join(dir);
            std::fs::create_dir_all(&d).unwrap();
            let p = d.join("vrrpd-probe");
            std::fs::write(&p, format!("#!/bin/sh\necho {dir} > '{}'\n", out.display())).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let dirs = |names: &[&str], rest: &std::ffi::OsStr| {
            let mut v: Vec<PathBuf> = names.iter().map(|n| base.join(n)).collect();
            v.extend(std::env::split_paths(rest));
            std::env::join_paths(v).unwrap()
        };
        let saved = std::env::var_os("PATH").unwrap_or_default();
        let a = plant("A");
        // B comes first but holds nothing yet.
        std::env::set_var("PATH", dirs(&["B", "A"], &saved));
        let env = ScriptEnv {
            default_user: RunAs::current(),
            script_security: false,
        };
        let cmd = env.prepare("test", "vrrpd-probe arg", None);
        // Afterwards: one planted where the lookup would now find it first, and PATH
        // changed to put another first still.
        plant("B");
        plant("C");
        std::env::set_var("PATH", dirs(&["C", "B", "A"], &saved));
        let ran = cmd
            .as_ref()
            .map(|c| c.spawn().and_then(|mut child| child.wait()))
            .map_err(|e| e.to_string());
        std::env::set_var("PATH", &saved);
        let cmd = cmd.unwrap();
        assert_eq!(cmd.argv(), ["vrrpd-probe", "arg"]);
        assert_eq!(
            cmd.program(),
            Ok(std::fs::canonicalize(&a).unwrap().as_path())
        );
        assert!(ran.unwrap().unwrap().success());
        let text = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(text, "A\n");
    }
}
