//! A prepared command (argv, the program found at load, user) and how it is started: like
//! keepalived, argv is exec'd directly (no shell), and a file the kernel cannot exec
//! (ENOEXEC: no `#!` line) is run with `/bin/sh FILE ARGS...`.
//!
//! The program is looked up once, at load ([`resolve_program`]: `PATH` for a bare name, as
//! execvp does; then its real path, see [`super::security::trace`]); that real path is what
//! every run execs, as keepalived does, while argv\[0\] stays as the configuration wrote it.
//!
//! Each child gets its own process group (so that a timeout can kill all it started), and
//! `/dev/null` as stdin, stdout and stderr, as keepalived does. A daemon running as root
//! sets each child's gid, supplementary groups (that gid alone) and uid, as keepalived does.

use super::user::RunAs;
use std::ffi::OsStr;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The shell used when a file has no interpreter line.
pub const FALLBACK_SHELL: &str = "/bin/sh";

/// What `PATH` is taken to be when the variable is unset (glibc's execvp default).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// A command ready to run: its argv (program first), the file it execs and the user it
/// runs as. Made by [`super::ScriptEnv::prepare`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// argv; never empty.
    argv: Vec<String>,
    /// The real path of the program found at load, or the errno of the failed lookup
    /// (every run then fails with it, until a reload looks again).
    program: Result<PathBuf, i32>,
    /// Who runs it.
    pub run_as: RunAs,
    /// What the load found worth a warning (a script `enable_script_security` would
    /// refuse, a program not found); the caller reports it with its file and line.
    pub warning: Option<String>,
}

impl CommandSpec {
    /// A command from argv and the program found for it; `None` if argv is empty.
    pub(super) fn new(
        argv: Vec<String>,
        program: Result<PathBuf, i32>,
        run_as: RunAs,
        warning: Option<String>,
    ) -> Option<CommandSpec> {
        (!argv.is_empty()).then_some(CommandSpec {
            argv,
            program,
            run_as,
            warning,
        })
    }

    /// argv, program first.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// What every run execs: the program's real path found at load (or the errno of the
    /// failed lookup).
    pub fn program(&self) -> Result<&Path, i32> {
        self.program.as_deref().map_err(|e| *e)
    }

    /// The same command with `extra` arguments appended.
    pub fn with_args<I, S>(&self, extra: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut c = self.clone();
        c.argv.extend(extra.into_iter().map(Into::into));
        c
    }

    /// Start it: exec the program found at load (no `PATH` lookup now) with argv\[0\] as
    /// written, with a fallback to [`FALLBACK_SHELL`] on ENOEXEC, own process group, null
    /// stdio, uid/gid switched if [`RunAs::is_switch`]. Errors are those of the exec
    /// (ENOENT, EACCES, EPERM...), or of the lookup at load.
    pub fn spawn(&self) -> io::Result<Child> {
        let program = self.program().map_err(io::Error::from_raw_os_error)?;
        match self.command(program.as_os_str(), None).spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => self
                .command(OsStr::new(FALLBACK_SHELL), Some(program))
                .spawn(),
            r => r,
        }
    }

    fn command(&self, program: &OsStr, script: Option<&Path>) -> Command {
        let mut c = Command::new(program);
        match script {
            // `/bin/sh SCRIPT ARGS...`, as execvp does on ENOEXEC.
            Some(s) => {
                c.arg(s);
            }
            None => {
                c.arg0(&self.argv[0]);
            }
        }
        c.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        if self.run_as.is_switch() || nix::unistd::geteuid().is_root() {
            let uid = nix::unistd::Uid::from_raw(self.run_as.uid);
            let gid = nix::unistd::Gid::from_raw(self.run_as.gid);
            // keepalived's order (`set_script_env`): the gid, the supplementary groups set
            // to that gid alone (none of the daemon's kept), then the uid.
            // SAFETY: the closure runs in the forked child before exec and only makes
            // three system calls (no allocation, no lock); an error aborts the spawn.
            unsafe {
                c.pre_exec(move || {
                    nix::unistd::setgid(gid)?;
                    nix::unistd::setgroups(&[gid])?;
                    nix::unistd::setuid(uid)?;
                    Ok(())
                });
            }
        }
        c
    }
}

/// Find `program` as execvp would: a name with a `/` is used as is; a bare name is looked
/// up in each `PATH` directory (an empty entry is the current directory), taking the
/// first executable regular file. ENOENT if there is none, EACCES if only non-executable
/// candidates were found. Called at load only.
pub fn resolve_program(program: &str) -> io::Result<PathBuf> {
    if program.is_empty() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    let mut denied = false;
    for dir in std::env::split_paths(&path) {
        let candidate = if dir.as_os_str().is_empty() {
            PathBuf::from(program)
        } else {
            dir.join(program)
        };
        match std::fs::metadata(&candidate) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => return Ok(candidate),
            Ok(_) => denied = true,
            Err(_) => {}
        }
    }
    Err(io::Error::from_raw_os_error(if denied {
        libc::EACCES
    } else {
        libc::ENOENT
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lookup() {
        let sh = resolve_program("sh").unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(resolve_program("./x").unwrap(), PathBuf::from("./x"));
        let e = resolve_program("no-such-program-vrrpd").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        assert!(resolve_program("").is_err());
    }

    #[test]
    fn with_args_appends() {
        let c =
            CommandSpec::new(vec!["a".into()], Err(libc::ENOENT), RunAs::current(), None).unwrap();
        assert_eq!(c.with_args(["b", "c"]).argv(), ["a", "b", "c"]);
        assert!(CommandSpec::new(vec![], Err(libc::ENOENT), RunAs::current(), None).is_none());
    }
}
