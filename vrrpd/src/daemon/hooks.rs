//! The daemon's scripts: notify hooks of instances and sync groups, and `vrrp_script`
//! checks, prepared from the configuration and driven from the event loop through
//! [`crate::scripts`]. Outcomes are logged (exit code, duration) and counted.

use std::collections::HashMap;
use std::time::Instant;

use super::rate_limit::{RateLimit, Suppressed};
use log::{info, warn};
use vrrp_fsm::{Event, State};

use super::group_hooks::GroupHooks;
use super::status::ScriptStatus;
use crate::config::{Config, Loc, Notify, VrrpInstance, VrrpScript, Warning};
use crate::scripts::{
    Checker, CommandSpec, Hook, NotifyRunner, NotifyScripts, NotifyState, Outcome, OutcomeKind,
    RunAs, ScriptEnv, ScriptError, Subject, DEFAULT_NOTIFY_TIMEOUT, DEFAULT_SCRIPT_USER,
};

/// Every script of a configuration, prepared as the daemon runs them. [`Hooks`] and
/// `vrrpd -t` ([`check_scripts`]) both prepare through [`Prepared::new`], so `-t` refuses
/// exactly what the daemon refuses, with the same message.
struct Prepared {
    /// Notify hooks of the instances that have one.
    instances: HashMap<String, NotifyScripts>,
    /// Notify hooks of the sync groups that have one, in configuration order.
    groups: Vec<(String, NotifyScripts)>,
    /// The `vrrp_script`s some instance tracks (keepalived runs only those), with their
    /// commands.
    checks: Vec<(VrrpScript, CommandSpec)>,
    /// What the preparation found worth a warning, at the block it is about.
    warnings: Vec<Warning>,
}

impl Prepared {
    /// Prepare every script of `config`; `instances` are its `vrrp_instance`s. An error
    /// names the file and line of the block at fault.
    fn new(config: &Config, instances: &[&VrrpInstance]) -> Result<Prepared, PrepareError> {
        let mut p = Prepared {
            instances: HashMap::new(),
            groups: Vec::new(),
            checks: Vec::new(),
            warnings: Vec::new(),
        };
        let tracked = |name: &str| {
            instances
                .iter()
                .any(|i| i.script_tracks.iter().any(|t| t.script == name))
        };
        let none = Notify::default();
        let notified_instances: Vec<_> = instances.iter().filter(|i| i.notify != none).collect();
        let notified_groups: Vec<_> = config
            .sync_groups
            .iter()
            .filter(|g| g.notify != none)
            .collect();
        let checks: Vec<_> = config.scripts.iter().filter(|s| tracked(&s.name)).collect();
        let Some(first) = notified_instances
            .iter()
            .map(|i| &i.loc)
            .chain(notified_groups.iter().map(|g| &g.loc))
            .chain(checks.iter().map(|s| &s.loc))
            .next()
        else {
            // No script: no user to look up (that would load the NSS modules, a third of a
            // MiB resident, for nothing), but for `script_user`, refused if unknown as
            // keepalived does ("Error setting global script uid/gid").
            if let (Some(_), Some(loc)) = (&config.global.script_user, &config.global.loc) {
                ScriptEnv::from_globals(&config.global).map_err(PrepareError::at(loc))?;
            }
            return Ok(p);
        };
        let global = config.global.loc.as_ref().unwrap_or(first);
        let env = ScriptEnv::from_globals(&config.global).map_err(PrepareError::at(global))?;
        if config.global.script_user.is_none()
            && env.default_user.name != DEFAULT_SCRIPT_USER
            && RunAs::current().is_root()
        {
            p.warn(
                global,
                Some(format!(
                    "default user '{DEFAULT_SCRIPT_USER}' for script execution does not exist; \
                     scripts run as root unless script_user is set"
                )),
            );
        }
        for i in notified_instances {
            let n = NotifyScripts::prepare(&i.notify, &format!("vrrp_instance {}", i.name), &env)
                .map_err(PrepareError::at(&i.loc))?;
            p.warn_hooks(&n, &i.loc);
            p.instances.insert(i.name.clone(), n);
        }
        for g in notified_groups {
            let n = NotifyScripts::prepare(&g.notify, &format!("vrrp_sync_group {}", g.name), &env)
                .map_err(PrepareError::at(&g.loc))?;
            p.warn_hooks(&n, &g.loc);
            p.groups.push((g.name.clone(), n));
        }
        for s in checks {
            let c = Checker::prepare(s, &env).map_err(PrepareError::at(&s.loc))?;
            p.warn(&s.loc, c.warning.clone());
            p.checks.push((s.clone(), c));
        }
        Ok(p)
    }

    fn warn(&mut self, loc: &Loc, message: Option<String>) {
        if let Some(message) = message {
            self.warnings.push(Warning {
                loc: loc.clone(),
                message,
            });
        }
    }

    fn warn_hooks(&mut self, n: &NotifyScripts, loc: &Loc) {
        for hook in HOOKS {
            self.warn(loc, n.get(hook).and_then(|c| c.warning.clone()));
        }
    }
}

/// A script that cannot be prepared (unknown user, insecure script...), at the block that
/// names it (`global_defs` for `script_user`).
#[derive(Debug, thiserror::Error)]
#[error("{loc}: {source}")]
pub struct PrepareError {
    /// Where.
    pub loc: Loc,
    /// What.
    #[source]
    pub source: ScriptError,
}

impl PrepareError {
    /// `map_err` helper: the error `e` at `loc`.
    pub(super) fn at(loc: &Loc) -> impl FnOnce(ScriptError) -> PrepareError + '_ {
        move |source| PrepareError {
            loc: loc.clone(),
            source,
        }
    }
}

/// Every notify hook.
const HOOKS: [Hook; 6] = [
    Hook::Master,
    Hook::Backup,
    Hook::Fault,
    Hook::Stop,
    Hook::Generic,
    Hook::MasterRxLowerPri,
];

/// `vrrpd -t`: prepare every script of `config` (with its `vrrp_instance`s as written) as
/// the daemon does at start and reload, running none; the warnings, or the error that
/// would stop the daemon.
pub fn check_scripts(config: &Config) -> Result<Vec<Warning>, PrepareError> {
    let instances: Vec<&VrrpInstance> = config.instances.iter().collect();
    super::fifo::check(config)?;
    Prepared::new(config, &instances).map(|p| p.warnings)
}

/// The instance scripts of the configuration a reload replaced.
pub struct Retired(HashMap<String, NotifyScripts>);

/// Notify hooks and checks of the configuration in force.
pub struct Hooks {
    instances: HashMap<String, NotifyScripts>,
    groups: GroupHooks,
    checks: Vec<(VrrpScript, Checker)>,
    runner: NotifyRunner,
    /// Per instance, the limiter of its `notify_master_rx_lower_pri` outcome lines: a
    /// flood of forged adverts runs a fast script back to back (one waiting run at most,
    /// but a new one as soon as the last ends).
    rx_logs: HashMap<String, RateLimit>,
}

/// Outcome lines of packet-driven runs: as many as vrrp-net writes per instance and kind
/// of per-packet line (5 a minute), then one saying how many were suppressed.
const RX_LOG: RateLimit = RateLimit::new(5, std::time::Duration::from_secs(60));

impl Hooks {
    /// Prepare every script of `config` (unknown users and insecure scripts are errors).
    pub fn new(config: &Config, instances: &[&VrrpInstance]) -> Result<Hooks, PrepareError> {
        let mut h = Hooks {
            instances: HashMap::new(),
            groups: GroupHooks::default(),
            checks: Vec::new(),
            runner: NotifyRunner::new(DEFAULT_NOTIFY_TIMEOUT),
            rx_logs: HashMap::new(),
        };
        h.reload(config, instances)?;
        Ok(h)
    }

    /// Prepare the scripts of a new configuration ([`Prepared::new`], warnings logged); on
    /// error nothing changes. A check whose `vrrp_script` block and prepared command (the
    /// program found, the user) did not change keeps running with its status.
    /// `instances` are the configuration's `vrrp_instance`s (the plans own them).
    /// Returns the previous configuration's instance scripts: a removed instance is
    /// announced with its old scripts ([`Hooks::on_removed`]).
    pub fn reload(
        &mut self,
        config: &Config,
        instances: &[&VrrpInstance],
    ) -> Result<Retired, PrepareError> {
        let p = Prepared::new(config, instances)?;
        for w in &p.warnings {
            warn!("{w}");
        }
        let now = Instant::now();
        let mut old: Vec<(VrrpScript, Checker)> = std::mem::take(&mut self.checks);
        let mut checks = Vec::with_capacity(p.checks.len());
        for (s, command) in p.checks {
            let same = old
                .iter()
                .position(|(o, c)| same_script(o, &s) && *c.command() == command);
            let checker = match same {
                Some(k) => old.swap_remove(k).1,
                None => Checker::with_command(&s, command, now),
            };
            checks.push((s, checker));
        }
        for (_, c) in &mut old {
            c.stop();
        }
        self.rx_logs.retain(|k, _| p.instances.contains_key(k));
        let retired = std::mem::replace(&mut self.instances, p.instances);
        self.groups.set(p.groups);
        self.checks = checks;
        Ok(Retired(retired))
    }

    /// Instance `name` entered `to` with effective priority `priority`.
    pub fn on_state(&mut self, name: &str, to: State, priority: u8) {
        let Some(state) = notify_state(to) else {
            return;
        };
        if let Some(n) = self.instances.get(name) {
            let jobs = n.transition_jobs(Subject::Instance, name, state, priority);
            self.runner.submit(name, jobs);
        }
    }

    /// Every member of sync group `name` is now in `to`: its hooks ([`GroupHooks`]).
    pub fn on_group_state(&mut self, name: &str, to: State) {
        self.groups.on_state(&mut self.runner, name, to);
    }

    /// An instance event: keepalived `notify_master_rx_lower_pri` for a lower-priority
    /// advert heard as master (at most one run waits per instance: a flood coalesces).
    pub fn on_event(&mut self, name: &str, event: Event) {
        if !matches!(event, Event::MasterRxLowerPri { .. }) {
            return;
        }
        let hook = Hook::MasterRxLowerPri;
        if let Some(c) = self.instances.get(name).and_then(|n| n.get(hook)) {
            self.runner.enqueue_event(name, hook, c);
        }
    }

    /// `notify_master_refresh`: run instance `name`'s `notify_master` again (queued after
    /// whatever it is running, never dropping a transition's jobs; folded into a
    /// `notify_master` already waiting, so a script slower than the period never piles up).
    pub fn rerun_master(&mut self, name: &str) {
        if let Some(c) = self.instances.get(name).and_then(|n| n.get(Hook::Master)) {
            self.runner.enqueue_event(name, Hook::Master, c);
        }
    }

    /// Instance `name` is stopping: `notify_stop` and the generic `notify ... STOP`.
    pub fn on_stop(&mut self, name: &str, priority: u8) {
        if let Some(n) = self.instances.get(name) {
            let jobs = n.transition_jobs(Subject::Instance, name, NotifyState::Stop, priority);
            self.runner.submit(name, jobs);
        }
    }

    /// Instance `name` was removed by a reload, as keepalived's `clear_diff_vrrp` announces
    /// it: its `notify_deleted` script if any, then the generic `notify` with `state`
    /// (DELETED with `notify_deleted`, else FAULT; keepalived picks the state's own script
    /// while the state is DELETED, so `notify_fault` does not run).
    pub fn on_removed(&mut self, old: &Retired, name: &str, state: NotifyState, priority: u8) {
        if let Some(n) = old.0.get(name) {
            let mut jobs = n.transition_jobs(Subject::Instance, name, state, priority);
            jobs.retain(|j| matches!(j.hook, Hook::Deleted | Hook::Generic));
            self.runner.submit(name, jobs);
        }
    }

    /// Every sync group is stopping (after its instances' [`Hooks::on_stop`]):
    /// `notify_stop` and the generic `notify GROUP NAME STOP 0`, as keepalived.
    pub fn on_groups_stop(&mut self) {
        self.groups.on_stop(&mut self.runner);
    }

    /// Run due work; append check status changes (script name, up) to `checks`.
    pub fn poll(&mut self, checks: &mut Vec<(String, bool)>) {
        let now = Instant::now();
        for o in self.runner.poll(now) {
            if o.hook != Hook::MasterRxLowerPri {
                log_outcome(&o, Suppressed(0));
                continue;
            }
            if !self.rx_logs.contains_key(&o.key) {
                self.rx_logs.insert(o.key.clone(), RX_LOG);
            }
            if let Some(n) = self.rx_logs.get_mut(&o.key).and_then(|l| l.allow(now)) {
                log_outcome(&o, n);
            }
        }
        for (s, c) in &mut self.checks {
            if let Some(ev) = c.poll(now) {
                info!(
                    "VRRP_Script({}) {}",
                    s.name,
                    if ev.up { "succeeded" } else { "failed" }
                );
                checks.push((ev.name, ev.up));
            }
        }
    }

    /// Every check's current status.
    pub fn check_states(&self) -> Vec<(String, bool)> {
        self.checks
            .iter()
            .map(|(s, c)| (s.name.clone(), c.is_up()))
            .collect()
    }

    /// When [`Hooks::poll`] next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        let checks = self.checks.iter().map(|(_, c)| c.next_deadline(now)).min();
        match (self.runner.next_deadline(now), checks) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// At shutdown: stop checks, run queued notify jobs to the end (bounded by `deadline`).
    pub fn finish(&mut self, deadline: Instant) {
        for (_, c) in &mut self.checks {
            c.stop();
        }
        for o in self.runner.finish(deadline) {
            log_outcome(&o, Suppressed(0));
        }
    }

    /// Counters for `vrrpd status`.
    pub fn status(&self) -> ScriptStatus {
        ScriptStatus {
            notify: self.runner.counters(),
            checks: self
                .checks
                .iter()
                .map(|(s, c)| (s.name.clone(), if c.is_up() { "ok" } else { "failed" }))
                .collect(),
        }
    }
}

fn notify_state(s: State) -> Option<NotifyState> {
    match s {
        State::Master => Some(NotifyState::Master),
        State::Backup => Some(NotifyState::Backup),
        State::Fault => Some(NotifyState::Fault),
        State::Initialize => None,
    }
}

/// Same `vrrp_script` block, wherever it is written.
fn same_script(a: &VrrpScript, b: &VrrpScript) -> bool {
    let mut b = b.clone();
    b.loc = a.loc.clone();
    *a == b
}

/// One line per outcome; `n` (lines suppressed before it) is appended.
fn log_outcome(o: &Outcome, n: Suppressed) {
    let cmd = o.argv.join(" ");
    match &o.kind {
        OutcomeKind::Finished { exit, timed_out } => {
            if *timed_out {
                warn!(
                    "({}) {} '{cmd}' timed out after {:?}, killed{n}",
                    o.key,
                    o.hook.keyword(),
                    o.duration
                );
            } else if o.is_ok() {
                info!(
                    "({}) {} '{cmd}' exited 0 in {:?}{n}",
                    o.key,
                    o.hook.keyword(),
                    o.duration
                );
            } else {
                warn!(
                    "({}) {} '{cmd}' failed ({exit:?}) in {:?}{n}",
                    o.key,
                    o.hook.keyword(),
                    o.duration
                );
            }
        }
        OutcomeKind::SpawnError(e) | OutcomeKind::WaitError(e) => {
            warn!(
                "({}) {} '{cmd}' could not run: {e}{n}",
                o.key,
                o.hook.keyword()
            )
        }
        OutcomeKind::Skipped => info!(
            "({}) {} '{cmd}' skipped: a newer transition superseded it{n}",
            o.key,
            o.hook.keyword()
        ),
    }
}
