//! A prepared command (argv + user) and how it is started: like keepalived, argv is exec'd
//! directly (no shell), a bare program name is looked up in `PATH` as execvp does, and a
//! file the kernel cannot exec (ENOEXEC: no `#!` line) is run with `/bin/sh FILE ARGS...`.
//!
//! Each child gets its own process group (so that a timeout can kill all it started), and
//! `/dev/null` as stdin, stdout and stderr, as keepalived does.

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

/// A command ready to run: its argv (program first) and the user it runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// argv; never empty (guaranteed by [`CommandSpec::new`]).
    argv: Vec<String>,
    /// Who runs it.
    pub run_as: RunAs,
}

impl CommandSpec {
    /// A command from argv; `None` if argv is empty.
    pub fn new(argv: Vec<String>, run_as: RunAs) -> Option<CommandSpec> {
        (!argv.is_empty()).then_some(CommandSpec { argv, run_as })
    }

    /// argv, program first.
    pub fn argv(&self) -> &[String] {
        &self.argv
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

    /// Start it: resolve the program through `PATH`, exec with a fallback to
    /// [`FALLBACK_SHELL`] on ENOEXEC, own process group, null stdio, uid/gid switched if
    /// [`RunAs::is_switch`]. Errors are those of the exec (ENOENT, EACCES, EPERM...).
    pub fn spawn(&self) -> io::Result<Child> {
        let program = resolve_program(&self.argv[0])?;
        match self.command(program.as_os_str(), None).spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => self
                .command(OsStr::new(FALLBACK_SHELL), Some(&program))
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
        if self.run_as.is_switch() {
            // std sets the gid, clears supplementary groups (setgroups(0)), then the uid.
            c.gid(self.run_as.gid).uid(self.run_as.uid);
        }
        c
    }
}

/// Find `program` as execvp would: a name with a `/` is used as is; a bare name is looked
/// up in each `PATH` directory (an empty entry is the current directory), taking the
/// first executable regular file. ENOENT if there is none, EACCES if only non-executable
/// candidates were found.
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
        let c = CommandSpec::new(vec!["a".into()], RunAs::current()).unwrap();
        assert_eq!(c.with_args(["b", "c"]).argv(), ["a", "b", "c"]);
        assert!(CommandSpec::new(vec![], RunAs::current()).is_none());
    }
}
