//! One VRRP daemon per router: started inside the router's namespace, asked for its state,
//! stopped with SIGTERM (SIGKILL only if it does not exit in time).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sched::{setns, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::error::DemoError;
use vrrp_lab::{Netns, WorkDir};

/// How long a daemon gets to exit after SIGTERM before it is killed.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// How many log lines an early exit shows.
const LOG_TAIL_LINES: usize = 8;
/// How long a `status` query may take.
const STATUS_WAIT: Duration = Duration::from_secs(2);

/// Which daemon the demo runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// vrrpd: `EXE -n -l -f CONF --control SOCK`, state from `EXE status --json --control SOCK`.
    Vrrpd(PathBuf),
    /// keepalived, for comparison: `EXE -n -l -D -f CONF -p PID -r VRRP_PID -c CHECK_PID`
    /// (it has no status query; the demo's measurements do not need one).
    Keepalived(PathBuf),
}

impl Program {
    /// The executable.
    pub fn exe(&self) -> &Path {
        match self {
            Program::Vrrpd(p) | Program::Keepalived(p) => p,
        }
    }

    /// "vrrpd" or "keepalived".
    pub fn kind(&self) -> &'static str {
        match self {
            Program::Vrrpd(_) => "vrrpd",
            Program::Keepalived(_) => "keepalived",
        }
    }
}

/// A running daemon (stopped on drop).
#[derive(Debug)]
pub struct Daemon {
    /// Router label ("A" or "B").
    pub label: &'static str,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    program: Program,
    control: PathBuf,
    child: Option<Child>,
    /// How far the log has been shown.
    log_shown: u64,
}

impl Daemon {
    /// Start `program` with config `conf` inside `ns`; its files go in `dir`.
    pub fn spawn(
        program: &Program,
        label: &'static str,
        ns: &Netns,
        dir: &WorkDir,
        conf: &Path,
    ) -> Result<Daemon, DemoError> {
        let stem = label.to_lowercase();
        let file = |ext: &str| dir.path().join(format!("{stem}.{ext}"));
        let log = file("log");
        let control = file("sock");
        let spawn_err = |source| DemoError::Spawn {
            exe: program.exe().to_owned(),
            netns: ns.name().to_owned(),
            source,
        };
        let out = File::create(&log).map_err(spawn_err)?;
        let err = out.try_clone().map_err(spawn_err)?;
        let mut cmd = Command::new(program.exe());
        match program {
            Program::Vrrpd(_) => {
                cmd.args(["-n", "-l", "-f"])
                    .arg(conf)
                    .arg("--control")
                    .arg(&control)
                    .arg("-p")
                    .arg(file("pid"));
            }
            Program::Keepalived(_) => {
                cmd.args(["-n", "-l", "-D", "-f"])
                    .arg(conf)
                    .arg("-p")
                    .arg(file("pid"))
                    .arg("-r")
                    .arg(file("vrrp.pid"))
                    .arg("-c")
                    .arg(file("check.pid"));
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            // Its own process group: a Ctrl-C at the terminal reaches the demo only, which
            // then stops the daemons in order.
            .process_group(0);
        let netns = ns.clone_fd()?;
        // SAFETY: the closure runs in the forked child before exec, where only
        // async-signal-safe work is allowed. It makes two system calls (setns(2) into the
        // router's namespace; prctl(2) so the daemon gets SIGTERM if the thread that started
        // it dies without stopping it) and neither allocates nor takes a lock.
        unsafe {
            cmd.pre_exec(move || {
                setns(&netns, CloneFlags::CLONE_NEWNET)?;
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(spawn_err)?;
        Ok(Daemon {
            label,
            log,
            program: program.clone(),
            control,
            child: Some(child),
            log_shown: 0,
        })
    }

    /// Its process id (0 once stopped).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// An error if it has exited.
    pub fn ensure_running(&mut self) -> Result<(), DemoError> {
        let exited = match self.child.as_mut() {
            None => Some("stopped".to_owned()),
            Some(c) => match c.try_wait() {
                Ok(None) => None,
                Ok(Some(st)) => Some(describe(st)),
                Err(e) => Some(format!("wait failed: {e}")),
            },
        };
        match exited {
            None => Ok(()),
            Some(status) => Err(DemoError::DaemonExited {
                node: self.label,
                status,
                log_tail: self.log_tail(LOG_TAIL_LINES),
            }),
        }
    }

    /// The state of instance VI_1 as the daemon reports it (`vrrpd status --json`), or
    /// `None` where the program has no status query or did not answer in time.
    pub fn state(&self) -> Option<String> {
        let Program::Vrrpd(exe) = &self.program else {
            return None;
        };
        let mut child = Command::new(exe)
            .args(["status", "--json", "--control"])
            .arg(&self.control)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let end = Instant::now() + STATUS_WAIT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        };
        let mut text = String::new();
        child.stdout.take()?.read_to_string(&mut text).ok()?;
        if !status.success() {
            return None;
        }
        instance_state(&text, "VI_1")
    }

    /// The last `n` lines of its log (or a note that there is none).
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return "  (empty)".to_owned();
        }
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// State-change lines (`... Entering MASTER STATE`) logged since the last call.
    pub fn new_state_lines(&mut self) -> Vec<String> {
        let Ok(mut f) = File::open(&self.log) else {
            return Vec::new();
        };
        if f.seek(SeekFrom::Start(self.log_shown)).is_err() {
            return Vec::new();
        }
        let mut lines = Vec::new();
        let mut reader = BufReader::new(f);
        let mut line = String::new();
        // Only whole lines: a line still being written is shown next time.
        while let Ok(n) = reader.read_line(&mut line) {
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            self.log_shown += n as u64;
            if line.contains("Entering") && line.contains("STATE") {
                lines.push(line.trim_end().to_owned());
            }
            line.clear();
        }
        lines
    }

    /// Send SIGTERM and wait (bounded) for it to exit; SIGKILL after [`STOP_WAIT`].
    /// Returns how it ended ("exit 0", "killed after 5 s: signal 9", ...). Idempotent.
    pub fn stop(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return "stopped".to_owned();
        };
        if let Ok(Some(st)) = child.try_wait() {
            return format!("had already exited: {}", describe(st));
        }
        let pid = i32::try_from(child.id()).map(Pid::from_raw);
        if let Ok(pid) = pid {
            let _ = kill(pid, Signal::SIGTERM);
        }
        let end = Instant::now() + STOP_WAIT;
        loop {
            match child.try_wait() {
                Ok(Some(st)) => return describe(st),
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = child.kill();
                    return match child.wait() {
                        Ok(st) => {
                            format!("killed after {} s: {}", STOP_WAIT.as_secs(), describe(st))
                        }
                        Err(e) => format!("could not be reaped: {e}"),
                    };
                }
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

fn describe(st: ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!("signal {s}"),
        (None, None) => st.to_string(),
    }
}

/// `instances[name == NAME].state` from a `vrrpd status --json` document.
fn instance_state(json: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get("instances")?
        .as_array()?
        .iter()
        .find(|i| i.get("name").and_then(|n| n.as_str()) == Some(name))?
        .get("state")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::instance_state;

    #[test]
    fn state_is_read_from_the_status_document() {
        let doc = r#"{"instances":[{"name":"VI_2","state":"BACKUP"},
            {"name":"VI_1","interface":"veth0","state":"MASTER","priority":150}],"pid":7}"#;
        assert_eq!(instance_state(doc, "VI_1").as_deref(), Some("MASTER"));
        assert_eq!(instance_state(doc, "VI_3"), None);
        assert_eq!(instance_state("not json", "VI_1"), None);
        assert_eq!(instance_state(r#"{"instances":{}}"#, "VI_1"), None);
    }
}
