//! One running script: started, reaped without blocking, killed at its timeout.
//!
//! At the timeout the child's whole process group gets SIGTERM, and SIGKILL
//! [`KILL_GRACE`] later if the leader has not exited. When a timed-out leader has exited,
//! what is left of its group is killed too before the leader is reaped (the zombie leader
//! keeps the group id from being reused, so this never hits another process).
//!
//! Reaping is by pid (`waitid` on this child only): the daemon must not reap with
//! `waitpid(-1)` or set SIGCHLD to SIG_IGN, or these children are lost.

use super::command::CommandSpec;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Time between SIGTERM and SIGKILL for a script past its timeout.
pub const KILL_GRACE: Duration = Duration::from_secs(1);

/// How soon the event loop should poll again while a child runs (there is no SIGCHLD
/// handler: children are reaped by polling).
pub const POLL_TICK: Duration = Duration::from_millis(20);

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal number.
    Signal(i32),
}

impl ExitKind {
    fn from_status(s: ExitStatus) -> ExitKind {
        match (s.code(), s.signal()) {
            (Some(c), _) => ExitKind::Code(c),
            (None, Some(sig)) => ExitKind::Signal(sig),
            // Neither: not possible for a reaped (not stopped) child; report as a failure.
            (None, None) => ExitKind::Code(-1),
        }
    }

    /// Exit code 0.
    pub fn success(self) -> bool {
        self == ExitKind::Code(0)
    }
}

impl std::fmt::Display for ExitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitKind::Code(c) => write!(f, "exit status {c}"),
            ExitKind::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// A finished child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exit {
    pub kind: ExitKind,
    pub timed_out: bool,
    pub duration: Duration,
}

/// A started child.
#[derive(Debug)]
pub(crate) struct Running {
    child: Child,
    pid: Pid,
    started: Instant,
    /// The real clock at spawn, for the measured duration (the `now` given to `start` and
    /// `poll` may be a loop's earlier reading, or simulated).
    spawned: std::time::Instant,
    timeout_at: Instant,
    term_sent: Option<Instant>,
    kill_sent: bool,
    reaped: bool,
}

impl Running {
    /// Spawn `cmd` at `now`, to be stopped `timeout` later.
    pub fn start(cmd: &CommandSpec, now: Instant, timeout: Duration) -> io::Result<Running> {
        let child = cmd.spawn()?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        Ok(Running {
            child,
            pid,
            started: now,
            spawned: std::time::Instant::now(),
            timeout_at: now.checked_add(timeout).unwrap_or(now),
            term_sent: None,
            kill_sent: false,
            reaped: false,
        })
    }

    /// When it was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Reap if exited; else send SIGTERM / SIGKILL when due. `Ok(None)`: still running.
    pub fn poll(&mut self, now: Instant) -> io::Result<Option<Exit>> {
        if self.reaped {
            return Err(io::Error::other("child already reaped"));
        }
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        match waitid(Id::Pid(self.pid), flags).map_err(io::Error::from)? {
            WaitStatus::StillAlive => {
                if self.term_sent.is_none() && now >= self.timeout_at {
                    self.signal(Signal::SIGTERM);
                    self.term_sent = Some(now);
                } else if let Some(t) = self.term_sent {
                    if !self.kill_sent && now >= t + KILL_GRACE {
                        self.signal(Signal::SIGKILL);
                        self.kill_sent = true;
                    }
                }
                Ok(None)
            }
            _ => {
                let timed_out = self.term_sent.is_some();
                if timed_out {
                    // Leftovers of the group; the zombie leader still holds the group id.
                    let _ = killpg(self.pid, Signal::SIGKILL);
                }
                match self.child.try_wait()? {
                    Some(status) => {
                        self.reaped = true;
                        Ok(Some(Exit {
                            kind: ExitKind::from_status(status),
                            timed_out,
                            duration: self.spawned.elapsed(),
                        }))
                    }
                    None => Ok(None),
                }
            }
        }
    }

    /// When this child next needs attention: soon (to reap it), and no later than its
    /// timeout or kill time.
    pub fn next_deadline(&self, now: Instant) -> Instant {
        let tick = now + POLL_TICK;
        let due = match self.term_sent {
            None => self.timeout_at,
            Some(t) if !self.kill_sent => t + KILL_GRACE,
            Some(_) => tick,
        };
        tick.min(due.max(now))
    }

    /// Kill it now (SIGKILL to the group); it will be reported as timed out.
    pub fn kill_now(&mut self, now: Instant) {
        if !self.reaped && !self.kill_sent {
            self.signal(Signal::SIGKILL);
            self.term_sent.get_or_insert(now);
            self.kill_sent = true;
        }
    }

    fn signal(&self, sig: Signal) {
        // The group, and the leader itself in case it left the group.
        let _ = killpg(self.pid, sig);
        let _ = kill(self.pid, sig);
    }
}

impl Drop for Running {
    /// A child still running when dropped is killed and reaped.
    fn drop(&mut self) {
        if !self.reaped {
            self.signal(Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}
