//! Commands and processes: run one to completion, or start one inside a namespace.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::LabError;

/// Run `argv` to completion; its stdout, or an error naming the command and its stderr.
pub fn run(argv: &[&str]) -> Result<String, LabError> {
    let what = argv.join(" ");
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| LabError::io("run", std::io::ErrorKind::InvalidInput.into()))?;
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LabError::io(&what, e))?;
    if !out.status.success() {
        return Err(LabError::Command {
            what,
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `ip ARGS` (iproute2), to completion; its stdout.
pub fn ip(args: &[&str]) -> Result<String, LabError> {
    let mut argv = vec!["ip"];
    argv.extend_from_slice(args);
    run(&argv)
}

/// A [`Command`] that runs `program` inside namespace `ns` (by name): `ip netns exec NS
/// program`, which execs it, so the child's pid is the program's own. Add arguments and
/// stdio as for any command.
pub fn in_netns(ns: &str, program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).arg(program);
    c
}

/// Start `program args` inside namespace `ns` (by name), see [`in_netns`]. Its stdout and
/// stderr go to `log`; stdin is closed.
pub fn spawn_in(ns: &str, program: &Path, args: &[String], log: File) -> Result<Child, LabError> {
    let what = format!("start {} in {ns}", program.display());
    let err = log.try_clone().map_err(|e| LabError::io(&what, e))?;
    in_netns(ns, program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| LabError::io(what, e))
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::LabError;

    #[test]
    fn a_failing_command_is_an_error_with_its_stderr() {
        assert_eq!(run(&["echo", "hi"]).unwrap(), "hi\n");
        match run(&["sh", "-c", "echo oops >&2; exit 3"]) {
            Err(LabError::Command { stderr, status, .. }) => {
                assert_eq!(stderr, "oops");
                assert_eq!(status.code(), Some(3));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            run(&["/nonexistent/vrrp-lab"]),
            Err(LabError::Io { .. })
        ));
        assert!(run(&[]).is_err());
    }
}
