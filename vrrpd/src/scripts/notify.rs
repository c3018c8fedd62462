//! Notify scripts: the hooks run on state transitions, in order and one at a time per
//! instance or sync group.
//!
//! [`NotifyScripts`] holds the prepared hooks of one instance or group (from
//! [`crate::config::Notify`]) and builds the jobs of one transition as keepalived does.
//! [`NotifyRunner`] runs jobs: per key (instance or group name) a queue with at most one
//! child running; jobs run in submission order, each killed at the runner's timeout, and
//! jobs of different keys ready together start in the order they were queued.
//! [`NotifyRunner::submit`] makes the newest transition win: jobs of the key not yet
//! started are dropped and reported as [`OutcomeKind::Skipped`], so the last state's
//! scripts always run and stale ones never run late. [`NotifyRunner::enqueue_event`]
//! queues an event's job, folded into the same hook's job if one is already waiting, so
//! that no key ever has more than one waiting job per event hook.
//!
//! Driving it from a poll loop: after `submit`, call [`NotifyRunner::poll`] (it starts,
//! reaps and kills children, and returns every [`Outcome`]); use
//! [`NotifyRunner::next_deadline`] in the poll timeout. At shutdown, submit the STOP
//! transition and call [`NotifyRunner::finish`].

use super::child::{ExitKind, Running};
use super::command::CommandSpec;
use super::env::ScriptEnv;
use super::error::ScriptError;
use crate::config::tree::Statement;
use crate::config::{ConfigError, Notify, NotifyLine};
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::time::{Duration, Instant};

/// keepalived's default limit for a notify script.
pub const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which hook a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// `notify_master`.
    Master,
    /// `notify_backup`.
    Backup,
    /// `notify_fault`.
    Fault,
    /// `notify_stop`.
    Stop,
    /// `notify` (generic, with TYPE NAME STATE PRIORITY appended).
    Generic,
    /// `notify_master_rx_lower_pri`.
    MasterRxLowerPri,
    /// `notify_deleted` (an instance removed by a reload).
    Deleted,
}

impl Hook {
    /// The configuration keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Hook::Master => "notify_master",
            Hook::Backup => "notify_backup",
            Hook::Fault => "notify_fault",
            Hook::Stop => "notify_stop",
            Hook::Generic => "notify",
            Hook::MasterRxLowerPri => "notify_master_rx_lower_pri",
            Hook::Deleted => "notify_deleted",
        }
    }
}

/// A state announced to notify scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyState {
    /// MASTER.
    Master,
    /// BACKUP.
    Backup,
    /// FAULT.
    Fault,
    /// STOP (the daemon is shutting down).
    Stop,
    /// DELETED (removed by a reload, with `notify_deleted`).
    Deleted,
}

impl NotifyState {
    /// The word passed to the generic `notify` script.
    pub fn word(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
        }
    }

    /// The hook specific to this state.
    pub fn hook(self) -> Hook {
        match self {
            NotifyState::Master => Hook::Master,
            NotifyState::Backup => Hook::Backup,
            NotifyState::Fault => Hook::Fault,
            NotifyState::Stop => Hook::Stop,
            NotifyState::Deleted => Hook::Deleted,
        }
    }
}

/// Whose transition: first argument of the generic `notify` script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A `vrrp_instance` (`INSTANCE`).
    Instance,
    /// A `vrrp_sync_group` (`GROUP`).
    Group,
}

impl Subject {
    /// `INSTANCE` or `GROUP`.
    pub fn word(self) -> &'static str {
        match self {
            Subject::Instance => "INSTANCE",
            Subject::Group => "GROUP",
        }
    }
}

/// One script to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Which hook.
    pub hook: Hook,
    /// The full command (arguments included) and its user.
    pub command: CommandSpec,
}

/// The prepared notify hooks of one instance or sync group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyScripts {
    master: Option<CommandSpec>,
    backup: Option<CommandSpec>,
    fault: Option<CommandSpec>,
    stop: Option<CommandSpec>,
    generic: Option<CommandSpec>,
    master_rx_lower_pri: Option<CommandSpec>,
    deleted: Option<CommandSpec>,
}

impl NotifyScripts {
    /// Prepare the hooks of `notify`; `owner` names the instance or group in errors (e.g.
    /// `vrrp_instance VI_1`). Each script runs as the user of its line, else as the
    /// environment's default user (`script_user`, or keepalived's default); an unknown
    /// user or group is an error, and `enable_script_security` checks the script for the
    /// user it runs as.
    pub fn prepare(
        notify: &Notify,
        owner: &str,
        env: &ScriptEnv,
    ) -> Result<NotifyScripts, ScriptError> {
        let p = |hook: Hook,
                 line: &Option<Box<NotifyLine>>|
         -> Result<Option<CommandSpec>, ScriptError> {
            line.as_ref()
                .map(|l| {
                    env.prepare(
                        &format!("{owner} {}", hook.keyword()),
                        &l.command,
                        l.user.as_ref(),
                    )
                })
                .transpose()
        };
        Ok(NotifyScripts {
            master: p(Hook::Master, &notify.master)?,
            backup: p(Hook::Backup, &notify.backup)?,
            fault: p(Hook::Fault, &notify.fault)?,
            stop: p(Hook::Stop, &notify.stop)?,
            generic: p(Hook::Generic, &notify.generic)?,
            master_rx_lower_pri: p(Hook::MasterRxLowerPri, &notify.master_rx_lower_pri)?,
            deleted: p(Hook::Deleted, &notify.deleted)?,
        })
    }

    /// The prepared command of `hook`, without the generic hook's extra arguments.
    pub fn get(&self, hook: Hook) -> Option<&CommandSpec> {
        match hook {
            Hook::Master => self.master.as_ref(),
            Hook::Backup => self.backup.as_ref(),
            Hook::Fault => self.fault.as_ref(),
            Hook::Stop => self.stop.as_ref(),
            Hook::Generic => self.generic.as_ref(),
            Hook::MasterRxLowerPri => self.master_rx_lower_pri.as_ref(),
            Hook::Deleted => self.deleted.as_ref(),
        }
    }

    /// The jobs of a transition of `subject` `name` to `state`, as keepalived runs them:
    /// the state's own hook as written (nothing appended), then the generic `notify` with
    /// `INSTANCE|GROUP NAME STATE PRIORITY` appended. `priority` is the instance's
    /// effective priority; for a group, the caller passes what it wants announced.
    /// Possibly empty: submit it anyway, so that stale queued jobs are dropped.
    pub fn transition_jobs(
        &self,
        subject: Subject,
        name: &str,
        state: NotifyState,
        priority: u8,
    ) -> Vec<Job> {
        let mut jobs = Vec::new();
        if let Some(c) = self.get(state.hook()) {
            jobs.push(Job {
                hook: state.hook(),
                command: c.clone(),
            });
        }
        if let Some(c) = &self.generic {
            let extra = [
                subject.word().to_string(),
                name.to_string(),
                state.word().to_string(),
                priority.to_string(),
            ];
            jobs.push(Job {
                hook: Hook::Generic,
                command: c.with_args(extra),
            });
        }
        jobs
    }
}

/// Read a `notify* SCRIPT [USERNAME [GROUPNAME]]` line as keepalived does
/// (`notify_script_init`): the first word is the script, with its arguments if quoted
/// (split into argv when prepared, by [`super::split_command`]); the next two are the user
/// and group it runs as, looked up when prepared. keepalived ignores words after the
/// group; so does vrrpd, with the warning returned. A line with no script is an error.
pub fn parse_line(s: &Statement) -> Result<(NotifyLine, Option<String>), ConfigError> {
    let (command, rest) = s.args.split_first().ok_or_else(|| {
        ConfigError::invalid(
            &s.loc,
            format!("'{}' takes SCRIPT [USERNAME [GROUPNAME]]", s.keyword),
        )
    })?;
    let user = match rest {
        [] => None,
        [u] => Some((u.clone(), None)),
        [u, g, ..] => Some((u.clone(), Some(g.clone()))),
    };
    let warning = (rest.len() > 2).then(|| {
        format!(
            "'{}': words after SCRIPT USERNAME GROUPNAME ignored, as keepalived does: '{}' \
             (quote the script with its arguments: \"{} ARGS...\")",
            s.keyword,
            rest[2..].join(" "),
            command
        )
    });
    Ok((
        NotifyLine {
            command: command.clone(),
            user,
        },
        warning,
    ))
}

/// How a job ended.
#[derive(Debug)]
pub enum OutcomeKind {
    /// It ran and ended; `timed_out`: it was killed at the timeout.
    Finished {
        /// Exit code or signal.
        exit: ExitKind,
        /// Killed because it ran past the timeout.
        timed_out: bool,
    },
    /// It could not be started (missing file, not executable, user switch refused...).
    SpawnError(io::Error),
    /// It was started but could not be waited for (the child was reaped elsewhere).
    WaitError(io::Error),
    /// Dropped before it started: a newer transition of the same key superseded it, or
    /// [`NotifyRunner::finish`] ran out of time.
    Skipped,
}

/// The result of one job, returned by [`NotifyRunner::poll`].
#[derive(Debug)]
pub struct Outcome {
    /// The instance or group name the job was submitted under.
    pub key: String,
    /// Which hook.
    pub hook: Hook,
    /// The full argv.
    pub argv: Vec<String>,
    /// How it ended.
    pub kind: OutcomeKind,
    /// From start to reap (zero for spawn errors and skipped jobs).
    pub duration: Duration,
}

impl Outcome {
    /// Exited with status 0 within its timeout.
    pub fn is_ok(&self) -> bool {
        matches!(
            self.kind,
            OutcomeKind::Finished {
                exit: ExitKind::Code(0),
                timed_out: false
            }
        )
    }
}

vrrp_fsm::counter_table! {
    /// Running totals of a [`NotifyRunner`] (named `notify_…` in every output).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Counters (prefix "notify_") {
        /// Jobs started.
        run,
        /// Jobs that exited 0 in time.
        ok,
        /// Jobs that exited non-zero or by a signal (not a timeout), or could not be waited for.
        failed,
        /// Jobs killed at their timeout.
        timed_out,
        /// Jobs dropped before they started.
        skipped,
        /// Jobs that could not be started.
        spawn_errors,
        /// Events folded into a job of the same hook already queued (at most one queued
        /// `notify_master_rx_lower_pri` / refresh `notify_master` per key).
        coalesced,
    }
}

#[derive(Debug, Default)]
struct KeyQueue {
    running: Option<(Job, Running)>,
    /// Jobs not started, each with its submission number.
    pending: VecDeque<(u64, Job)>,
}

/// Runs notify jobs: one at a time per key, in order, with a timeout. See the module docs.
#[derive(Debug)]
pub struct NotifyRunner {
    timeout: Duration,
    queues: BTreeMap<String, KeyQueue>,
    done: Vec<Outcome>,
    counters: Counters,
    /// Submission number of the next job queued (jobs of different keys start in it).
    next_seq: u64,
}

impl NotifyRunner {
    /// A runner killing each job after `timeout` ([`DEFAULT_NOTIFY_TIMEOUT`] as keepalived).
    pub fn new(timeout: Duration) -> NotifyRunner {
        NotifyRunner {
            timeout,
            queues: BTreeMap::new(),
            done: Vec::new(),
            counters: Counters::default(),
            next_seq: 0,
        }
    }

    /// Queue the jobs of a new transition of `key`; jobs of `key` not yet started are
    /// dropped (reported as skipped by the next [`poll`](Self::poll)). A running job goes
    /// on until it ends or times out. Nothing starts before the next `poll`.
    pub fn submit(&mut self, key: &str, jobs: Vec<Job>) {
        let q = self.queues.entry(key.to_string()).or_default();
        for (_, job) in q.pending.drain(..) {
            self.counters.skipped += 1;
            self.done.push(Outcome {
                key: key.to_string(),
                hook: job.hook,
                argv: job.command.argv().to_vec(),
                kind: OutcomeKind::Skipped,
                duration: Duration::ZERO,
            });
        }
        let seq = &mut self.next_seq;
        q.pending.extend(jobs.into_iter().map(|j| (next(seq), j)));
    }

    /// Queue jobs after those of `key` without dropping any (for events that are not
    /// transitions, like `notify_master_rx_lower_pri`).
    pub fn enqueue(&mut self, key: &str, jobs: Vec<Job>) {
        let seq = &mut self.next_seq;
        self.queues
            .entry(key.to_string())
            .or_default()
            .pending
            .extend(jobs.into_iter().map(|j| (next(seq), j)));
    }

    /// Queue the job of an event that is not a transition (`notify_master_rx_lower_pri`,
    /// a `notify_master_refresh` run) after those of `key`, unless a job of the same hook
    /// is already queued and not started: the event is then folded into that run (counted
    /// as coalesced), which runs after it anyway. So at most one run per hook waits per
    /// key, however fast the events come: a flood of forged adverts costs a counter
    /// increment each, not a queued job (and a script run) each.
    /// The job is `hook` running `command` (built only when it is queued).
    pub fn enqueue_event(&mut self, key: &str, hook: Hook, command: &CommandSpec) {
        let job = || Job {
            hook,
            command: command.clone(),
        };
        match self.queues.get_mut(key) {
            Some(q) if q.pending.iter().any(|(_, j)| j.hook == hook) => {
                self.counters.coalesced += 1
            }
            Some(q) => q.pending.push_back((next(&mut self.next_seq), job())),
            None => self.enqueue(key, vec![job()]),
        }
    }

    /// Reap finished children, kill those past their timeout, start the next job of each
    /// idle key (keys in the order their jobs were queued: keepalived forks an instance's
    /// STOP scripts before its group's, as they were asked for); return every outcome
    /// since the last call (skipped ones included).
    pub fn poll(&mut self, now: Instant) -> Vec<Outcome> {
        let timeout = self.timeout;
        for (key, q) in self.queues.iter_mut() {
            let Some((job, child)) = &mut q.running else {
                continue;
            };
            let (kind, duration) = match child.poll(now) {
                Ok(None) => continue,
                Ok(Some(exit)) => {
                    if exit.timed_out {
                        self.counters.timed_out += 1;
                    } else if exit.kind.success() {
                        self.counters.ok += 1;
                    } else {
                        self.counters.failed += 1;
                    }
                    (
                        OutcomeKind::Finished {
                            exit: exit.kind,
                            timed_out: exit.timed_out,
                        },
                        exit.duration,
                    )
                }
                Err(e) => {
                    self.counters.failed += 1;
                    let d = now.saturating_duration_since(child.started());
                    (OutcomeKind::WaitError(e), d)
                }
            };
            self.done.push(Outcome {
                key: key.clone(),
                hook: job.hook,
                argv: job.command.argv().to_vec(),
                kind,
                duration,
            });
            q.running = None;
        }
        let mut idle: Vec<(u64, String)> = self
            .queues
            .iter()
            .filter(|(_, q)| q.running.is_none())
            .filter_map(|(k, q)| q.pending.front().map(|(seq, _)| (*seq, k.clone())))
            .collect();
        idle.sort_unstable();
        for (_, key) in idle {
            let Some(q) = self.queues.get_mut(&key) else {
                continue;
            };
            while let Some((_, job)) = q.pending.pop_front() {
                match Running::start(&job.command, now, timeout) {
                    Ok(child) => {
                        self.counters.run += 1;
                        q.running = Some((job, child));
                        break;
                    }
                    Err(e) => {
                        self.counters.spawn_errors += 1;
                        self.done.push(Outcome {
                            key: key.clone(),
                            hook: job.hook,
                            argv: job.command.argv().to_vec(),
                            kind: OutcomeKind::SpawnError(e),
                            duration: Duration::ZERO,
                        });
                    }
                }
            }
        }
        self.queues
            .retain(|_, q| q.running.is_some() || !q.pending.is_empty());
        std::mem::take(&mut self.done)
    }

    /// When [`poll`](Self::poll) should next be called: `now` if there is something to
    /// start or report, soon while children run, `None` when idle.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if !self.done.is_empty() {
            return Some(now);
        }
        let mut next: Option<Instant> = None;
        for q in self.queues.values() {
            let d = match &q.running {
                Some((_, child)) => child.next_deadline(now),
                None if !q.pending.is_empty() => now,
                None => continue,
            };
            next = Some(next.map_or(d, |n| n.min(d)));
        }
        next
    }

    /// Nothing running, queued or left to report.
    pub fn is_idle(&self) -> bool {
        self.done.is_empty()
            && self
                .queues
                .values()
                .all(|q| q.running.is_none() && q.pending.is_empty())
    }

    /// Totals so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// At shutdown: run everything queued to the end, blocking, each job bounded by the
    /// timeout. If `deadline` passes first, running children are killed (reported as
    /// timed out) and jobs not started are reported skipped. Returns all outcomes.
    pub fn finish(&mut self, deadline: Instant) -> Vec<Outcome> {
        let mut out = Vec::new();
        loop {
            let now = Instant::now();
            out.extend(self.poll(now));
            if self.is_idle() {
                return out;
            }
            if now >= deadline {
                break;
            }
            let next = self.next_deadline(now).unwrap_or(now).min(deadline);
            std::thread::sleep(next.saturating_duration_since(now));
        }
        // Out of time: drop what has not started, kill what runs, reap it.
        let keys: Vec<String> = self.queues.keys().cloned().collect();
        for key in keys {
            self.submit(&key, Vec::new());
        }
        let now = Instant::now();
        for q in self.queues.values_mut() {
            if let Some((_, child)) = &mut q.running {
                child.kill_now(now);
            }
        }
        // SIGKILL is not ignorable; give the kernel a little time to deliver it.
        let reap_by = Instant::now() + Duration::from_secs(2);
        loop {
            let now = Instant::now();
            out.extend(self.poll(now));
            if self.is_idle() || now >= reap_by {
                return out;
            }
            std::thread::sleep(super::child::POLL_TICK);
        }
    }
}

/// The submission number `seq` holds, moving it on.
fn next(seq: &mut u64) -> u64 {
    let n = *seq;
    *seq = seq.wrapping_add(1);
    n
}

impl Default for NotifyRunner {
    fn default() -> Self {
        NotifyRunner::new(DEFAULT_NOTIFY_TIMEOUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripts::RunAs;

    fn cmd(argv: &[&str]) -> CommandSpec {
        let program = crate::scripts::resolve_program(argv[0])
            .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOENT));
        CommandSpec::new(
            argv.iter().map(|s| s.to_string()).collect(),
            program,
            RunAs::current(),
            None,
        )
        .unwrap()
    }

    /// Poll until idle (bounded), returning every outcome.
    fn finish(r: &mut NotifyRunner) -> Vec<Outcome> {
        let until = Instant::now() + Duration::from_secs(20);
        let mut out = Vec::new();
        while !r.is_idle() {
            assert!(Instant::now() < until, "runner not idle: {out:?}");
            out.extend(r.poll(Instant::now()));
            std::thread::sleep(Duration::from_millis(10));
        }
        out
    }

    /// Jobs of different keys start in the order they were queued, not in key order:
    /// keepalived forks an instance's STOP scripts before its group's. Seen through spawn
    /// errors, reported as each start is tried.
    #[test]
    fn keys_start_in_submission_order() {
        let missing = |name: &str| {
            CommandSpec::new(
                vec![name.to_string()],
                Err(libc::ENOENT),
                RunAs::current(),
                None,
            )
            .unwrap()
        };
        let job = |name: &str| Job {
            hook: Hook::Stop,
            command: missing(name),
        };
        let mut r = NotifyRunner::new(Duration::from_secs(5));
        r.submit("yy", vec![job("0")]);
        r.submit("zz", vec![job("1")]);
        r.submit("group aa", vec![job("2")]);
        r.enqueue("mm", vec![job("3")]);
        r.submit("yy", vec![job("4"), job("5")]);
        let order: Vec<String> = finish(&mut r)
            .into_iter()
            .filter(|o| matches!(o.kind, OutcomeKind::SpawnError(_)))
            .map(|o| o.argv[0].clone())
            .collect();
        // In key order it was 2 3 4 5 1; "0" was replaced by "4" "5" before it started.
        assert_eq!(order, ["1", "2", "3", "4", "5"]);
        assert_eq!(r.counters().skipped, 1);
    }

    /// Before: `enqueue` queued one job per event, so 200 events ran the script 200 times
    /// one after the other. Now at most one waits: one run for the burst before it started,
    /// one for the burst while it ran, the other 198 events coalesced.
    #[test]
    fn events_coalesce_into_the_run_waiting_for_them() {
        let rx = cmd(&["sleep", "0.2"]);
        let mut r = NotifyRunner::new(Duration::from_secs(5));
        for _ in 0..100 {
            r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        }
        let started = r.poll(Instant::now());
        assert!(started.is_empty(), "{started:?}");
        assert_eq!(r.counters().run, 1);
        for _ in 0..100 {
            r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        }
        // Another instance has its own queue.
        r.enqueue_event("VI_2", Hook::MasterRxLowerPri, &rx);
        let out = finish(&mut r);
        let c = r.counters();
        assert_eq!((c.run, c.ok, c.coalesced), (3, 3, 198), "{out:?}");
        assert_eq!(
            c.run - 1 + c.coalesced,
            200,
            "every VI_1 event ran or coalesced"
        );
    }

    #[test]
    fn coalescing_keeps_order_and_a_transition_still_drops_what_waits() {
        let slow = cmd(&["sleep", "0.2"]);
        let master = cmd(&["true", "master"]);
        let rx = cmd(&["true", "rx"]);
        let mut r = NotifyRunner::new(Duration::from_secs(5));
        r.enqueue(
            "VI_1",
            vec![Job {
                hook: Hook::Backup,
                command: slow,
            }],
        );
        r.poll(Instant::now());
        r.enqueue_event("VI_1", Hook::Master, &master);
        r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        r.enqueue_event("VI_1", Hook::Master, &master);
        r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        let order: Vec<Hook> = finish(&mut r).iter().map(|o| o.hook).collect();
        assert_eq!(order, [Hook::Backup, Hook::Master, Hook::MasterRxLowerPri]);
        assert_eq!(r.counters().coalesced, 2);

        // A transition drops the waiting event run (skipped), as it drops everything
        // not started; the next event queues again.
        r.enqueue(
            "VI_1",
            vec![Job {
                hook: Hook::Backup,
                command: cmd(&["sleep", "0.2"]),
            }],
        );
        r.poll(Instant::now());
        r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        r.submit("VI_1", Vec::new());
        r.enqueue_event("VI_1", Hook::MasterRxLowerPri, &rx);
        let out = finish(&mut r);
        let kinds: Vec<(Hook, bool)> = out
            .iter()
            .map(|o| (o.hook, matches!(o.kind, OutcomeKind::Skipped)))
            .collect();
        assert_eq!(
            kinds,
            [
                (Hook::MasterRxLowerPri, true),
                (Hook::Backup, false),
                (Hook::MasterRxLowerPri, false)
            ]
        );
    }
}
