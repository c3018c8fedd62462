//! `vrrp_script` checks: run a script every `interval`, judge it by its exit code, and
//! report when the tracked status goes down or comes back up.
//!
//! Semantics, as keepalived: the first run is at start; a run is killed after `timeout`
//! (default: the interval), which counts as a failure, as does a script that cannot be
//! started; exit code 0 is a success, anything else a failure. The status starts up
//! (down with `init_fail`); after `fall` failures in a row it goes down, after `rise`
//! successes in a row it comes back up. Only these changes are reported.
//!
//! A run never overlaps the previous one: the next run starts `interval` after the start
//! of the previous one, or as soon as it ends if it took longer.
//!
//! # Weights (not applied here)
//!
//! [`CheckEvent::weight`] carries the `vrrp_script`'s `weight N [reverse]` for reference;
//! what a status does to an instance's priority is decided in one place, the state
//! machine's tracked objects (`vrrp_fsm::Track`), fed by the daemon's plan
//! (`crate::daemon::plan`), which also maps `reverse` and `track_script ... weight M`.

use super::child::{ExitKind, Running};
use super::command::CommandSpec;
use super::env::ScriptEnv;
use super::error::ScriptError;
use crate::config::VrrpScript;
use std::time::{Duration, Instant};

/// `weight N [reverse]` of a tracked script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weight {
    /// N, -254..=254; 0 means "failure is a FAULT".
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
}

/// A change of a script's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckEvent {
    /// The `vrrp_script` name.
    pub name: String,
    /// The new status.
    pub up: bool,
    /// The script's configured weight (see the module docs).
    pub weight: Weight,
}

/// The result of the last run of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastRun {
    /// Ended (`timed_out`: killed at the timeout).
    Exited {
        /// Exit code or signal.
        exit: ExitKind,
        /// Killed at the timeout.
        timed_out: bool,
    },
    /// Could not be started (errno), or not waited for.
    Error(Option<i32>),
}

/// One `vrrp_script` being checked.
#[derive(Debug)]
pub struct Checker {
    name: String,
    command: CommandSpec,
    interval: Duration,
    timeout: Duration,
    fall: u32,
    rise: u32,
    weight: Weight,
    up: bool,
    /// Consecutive results against the current status (failures while up, successes
    /// while down).
    streak: u32,
    running: Option<Running>,
    next_run: Instant,
    last: Option<LastRun>,
}

impl Checker {
    /// Prepare the check of `script` (errors as [`ScriptEnv::prepare`]); its first run is
    /// due at `now`.
    pub fn new(script: &VrrpScript, env: &ScriptEnv, now: Instant) -> Result<Checker, ScriptError> {
        Ok(Checker::with_command(
            script,
            Checker::prepare(script, env)?,
            now,
        ))
    }

    /// The command of `script`, prepared by [`ScriptEnv::prepare`].
    pub fn prepare(script: &VrrpScript, env: &ScriptEnv) -> Result<CommandSpec, ScriptError> {
        env.prepare(
            &format!("vrrp_script {}", script.name),
            &script.script,
            script.user.as_ref(),
        )
    }

    /// The check of `script` running `command` (from [`Checker::prepare`]); its first run
    /// is due at `now`.
    pub fn with_command(script: &VrrpScript, command: CommandSpec, now: Instant) -> Checker {
        Checker::from_parts(
            &script.name,
            command,
            script.interval,
            script.timeout,
            script.fall,
            script.rise,
            script.init_fail,
            Weight {
                weight: script.weight,
                reverse: script.weight_reverse,
            },
            now,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn from_parts(
        name: &str,
        command: CommandSpec,
        interval: Duration,
        timeout: Option<Duration>,
        fall: u32,
        rise: u32,
        init_fail: bool,
        weight: Weight,
        now: Instant,
    ) -> Checker {
        // Zero intervals are refused by the configuration; guard anyway against a busy loop.
        let interval = interval.max(Duration::from_millis(10));
        Checker {
            name: name.to_string(),
            command,
            interval,
            timeout: timeout.unwrap_or(interval),
            fall: fall.max(1),
            rise: rise.max(1),
            weight,
            up: !init_fail,
            streak: 0,
            running: None,
            next_run: now,
            last: None,
        }
    }

    /// The `vrrp_script` name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Current status.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// The configured weight.
    pub fn weight(&self) -> Weight {
        self.weight
    }

    /// The prepared command.
    pub fn command(&self) -> &CommandSpec {
        &self.command
    }

    /// How the last finished run went (`None` before the first one ends).
    pub fn last_run(&self) -> Option<LastRun> {
        self.last
    }

    /// Whether a run is in progress.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// When [`poll`](Self::poll) should next be called.
    pub fn next_deadline(&self, now: Instant) -> Instant {
        match &self.running {
            Some(child) => child.next_deadline(now),
            None => self.next_run,
        }
    }

    /// Reap / kill the running check, start the next one when due; returns the status
    /// change, if any.
    pub fn poll(&mut self, now: Instant) -> Option<CheckEvent> {
        let mut event = None;
        if let Some(child) = &mut self.running {
            let result = match child.poll(now) {
                Ok(None) => return None,
                Ok(Some(exit)) => LastRun::Exited {
                    exit: exit.kind,
                    timed_out: exit.timed_out,
                },
                Err(e) => LastRun::Error(e.raw_os_error()),
            };
            self.running = None;
            event = self.record(result);
        }
        if now >= self.next_run {
            self.next_run = now + self.interval;
            match Running::start(&self.command, now, self.timeout) {
                Ok(child) => self.running = Some(child),
                Err(e) => {
                    log::debug!("vrrp_script {}: cannot start: {e}", self.name);
                    // Only one change per run, so this cannot overwrite one from above
                    // unless both happen; keep the latest.
                    if let Some(ev) = self.record(LastRun::Error(e.raw_os_error())) {
                        event = Some(ev);
                    }
                }
            }
        }
        event
    }

    /// Kill a run in progress (at shutdown); the status is left as it is.
    pub fn stop(&mut self) {
        // Dropping a Running kills its group and reaps it.
        self.running = None;
    }

    fn record(&mut self, result: LastRun) -> Option<CheckEvent> {
        self.last = Some(result);
        let success = matches!(
            result,
            LastRun::Exited {
                exit: ExitKind::Code(0),
                timed_out: false
            }
        );
        if success == self.up {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if self.up { self.fall } else { self.rise };
        if self.streak < needed {
            return None;
        }
        self.up = !self.up;
        self.streak = 0;
        Some(CheckEvent {
            name: self.name.clone(),
            up: self.up,
            weight: self.weight,
        })
    }
}

/// All the checks of a configuration, polled together.
#[derive(Debug, Default)]
pub struct Checkers {
    list: Vec<Checker>,
}

impl Checkers {
    /// One [`Checker`] per script (pass only the scripts some instance tracks, if unused
    /// ones should not run); all first runs due at `now`.
    pub fn new(
        scripts: &[VrrpScript],
        env: &ScriptEnv,
        now: Instant,
    ) -> Result<Checkers, ScriptError> {
        let list = scripts
            .iter()
            .map(|s| Checker::new(s, env, now))
            .collect::<Result<_, _>>()?;
        Ok(Checkers { list })
    }

    /// The check of the `vrrp_script` named `name`.
    pub fn get(&self, name: &str) -> Option<&Checker> {
        self.list.iter().find(|c| c.name == name)
    }

    /// All checks, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &Checker> {
        self.list.iter()
    }

    /// Poll every check; the status changes, in configuration order.
    pub fn poll(&mut self, now: Instant) -> Vec<CheckEvent> {
        self.list.iter_mut().filter_map(|c| c.poll(now)).collect()
    }

    /// The earliest deadline of all checks (`None` if there are none).
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.list.iter().map(|c| c.next_deadline(now)).min()
    }

    /// Kill all runs in progress.
    pub fn stop(&mut self) {
        self.list.iter_mut().for_each(Checker::stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(fall: u32, rise: u32, init_fail: bool) -> Checker {
        let cmd = CommandSpec::new(
            vec!["true".into()],
            Err(libc::ENOENT),
            super::super::RunAs::current(),
            None,
        )
        .unwrap();
        Checker::from_parts(
            "t",
            cmd,
            Duration::from_secs(1),
            None,
            fall,
            rise,
            init_fail,
            Weight::default(),
            Instant::now(),
        )
    }

    const OK: LastRun = LastRun::Exited {
        exit: ExitKind::Code(0),
        timed_out: false,
    };
    const FAIL: LastRun = LastRun::Exited {
        exit: ExitKind::Code(1),
        timed_out: false,
    };
    const TIMEOUT: LastRun = LastRun::Exited {
        exit: ExitKind::Code(0),
        timed_out: true,
    };

    /// Feed results; return the status after each, and whether it was reported.
    fn run(c: &mut Checker, results: &[LastRun]) -> Vec<(bool, bool)> {
        results
            .iter()
            .map(|r| {
                let ev = c.record(*r);
                if let Some(e) = &ev {
                    assert_eq!(e.up, c.is_up());
                }
                (c.is_up(), ev.is_some())
            })
            .collect()
    }

    #[test]
    fn fall_and_rise_count_in_a_row() {
        let mut c = checker(2, 3, false);
        assert!(c.is_up());
        let got = run(&mut c, &[FAIL, OK, FAIL, FAIL, OK, OK, FAIL, OK, OK, OK]);
        let want = [
            (true, false),
            (true, false),
            (true, false),
            (false, true),
            (false, false),
            (false, false),
            (false, false),
            (false, false),
            (false, false),
            (true, true),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn init_fail_starts_down_and_timeouts_fail() {
        let mut c = checker(1, 1, true);
        assert!(!c.is_up());
        assert_eq!(
            run(&mut c, &[FAIL, OK, TIMEOUT]),
            [(false, false), (true, true), (false, true)]
        );
        assert_eq!(run(&mut c, &[LastRun::Error(Some(2))]), [(false, false)]);
    }
}
