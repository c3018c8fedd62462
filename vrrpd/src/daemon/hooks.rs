//! The daemon's scripts: notify hooks of instances and sync groups, and `vrrp_script`
//! checks, prepared from the configuration and driven from the event loop through
//! [`crate::scripts`]. Outcomes are logged (exit code, duration) and counted.

use std::collections::HashMap;
use std::time::Instant;

use log::{info, warn};
use vrrp_fsm::{Event, State};
use vrrp_net::{RateLimit, Suppressed};

use super::status::ScriptStatus;
use crate::config::{Config, Notify, SyncGroup, VrrpInstance, VrrpScript};
use crate::scripts::{
    Checker, Hook, NotifyRunner, NotifyScripts, NotifyState, Outcome, OutcomeKind, ScriptEnv,
    Subject, DEFAULT_NOTIFY_TIMEOUT,
};

/// Notify hooks and checks of the configuration in force.
pub struct Hooks {
    instances: HashMap<String, NotifyScripts>,
    groups: HashMap<String, NotifyScripts>,
    /// Last state announced per sync group (group notify runs once per group change).
    group_state: HashMap<String, State>,
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
    pub fn new(config: &Config, instances: &[&VrrpInstance]) -> Result<Hooks, String> {
        let mut h = Hooks {
            instances: HashMap::new(),
            groups: HashMap::new(),
            group_state: HashMap::new(),
            checks: Vec::new(),
            runner: NotifyRunner::new(DEFAULT_NOTIFY_TIMEOUT),
            rx_logs: HashMap::new(),
        };
        h.reload(config, instances)?;
        Ok(h)
    }

    /// Prepare the scripts of a new configuration; on error nothing changes. Checks whose
    /// `vrrp_script` block did not change keep running with their status.
    /// `instances` are the configuration's `vrrp_instance`s (the plans own them).
    pub fn reload(&mut self, config: &Config, instances: &[&VrrpInstance]) -> Result<(), String> {
        // keepalived runs only the checks some instance tracks.
        let tracked = |name: &str| {
            instances
                .iter()
                .any(|i| i.track_scripts.iter().any(|t| t.name == name))
        };
        let none = Notify::default();
        let any_script = instances.iter().any(|i| i.notify != none)
            || config.sync_groups.iter().any(|g| g.notify != none)
            || config.scripts.iter().any(|s| tracked(&s.name));
        if !any_script {
            // No user to look up: that would load the NSS modules (a third of a MiB
            // resident) for nothing.
            for (_, c) in &mut self.checks {
                c.stop();
            }
            self.checks.clear();
            self.instances.clear();
            self.groups.clear();
            return Ok(());
        }
        let env = ScriptEnv::from_globals(&config.global).map_err(|e| e.to_string())?;
        let prepare = |n: &Notify, owner: String| {
            NotifyScripts::prepare(n, &owner, &env).map_err(|e| e.to_string())
        };
        // Only the instances and groups that have a hook are kept.
        let mut instances_hooks = HashMap::new();
        for i in instances.iter().filter(|i| i.notify != none) {
            instances_hooks.insert(
                i.name.clone(),
                prepare(&i.notify, format!("vrrp_instance {}", i.name))?,
            );
        }
        let mut groups = HashMap::new();
        for g in config.sync_groups.iter().filter(|g| g.notify != none) {
            groups.insert(
                g.name.clone(),
                prepare(&g.notify, format!("vrrp_sync_group {}", g.name))?,
            );
        }
        let now = Instant::now();
        let mut old: Vec<(VrrpScript, Checker)> = std::mem::take(&mut self.checks);
        let mut checks = Vec::new();
        for s in config.scripts.iter().filter(|s| tracked(&s.name)) {
            let same = old.iter().position(|(o, _)| same_script(o, s));
            let checker = match same {
                Some(k) => old.swap_remove(k).1,
                None => match Checker::new(s, &env, now) {
                    Ok(c) => c,
                    Err(e) => {
                        self.checks = old;
                        return Err(e.to_string());
                    }
                },
            };
            checks.push((s.clone(), checker));
        }
        for (_, c) in &mut old {
            c.stop();
        }
        self.rx_logs.retain(|k, _| instances_hooks.contains_key(k));
        self.instances = instances_hooks;
        self.groups = groups;
        self.checks = checks;
        Ok(())
    }

    /// Instance `i` entered `to` with effective priority `priority`.
    pub fn on_state(&mut self, i: &VrrpInstance, to: State, priority: u8) {
        let Some(state) = notify_state(to) else {
            return;
        };
        if let Some(n) = self.instances.get(&i.name) {
            let jobs = n.transition_jobs(Subject::Instance, &i.name, state, priority);
            self.runner.submit(&i.name, jobs);
        }
    }

    /// Every member of sync group `g` is now in `to`.
    pub fn on_group_state(&mut self, g: &SyncGroup, to: State, priority: u8) {
        if self.group_state.insert(g.name.clone(), to) == Some(to) {
            return;
        }
        let Some(state) = notify_state(to) else {
            return;
        };
        if let Some(n) = self.groups.get(&g.name) {
            let jobs = n.transition_jobs(Subject::Group, &g.name, state, priority);
            self.runner.submit(&format!("group {}", g.name), jobs);
        }
    }

    /// An instance event: keepalived `notify_master_rx_lower_pri` for a lower-priority
    /// advert heard as master (at most one run waits per instance: a flood coalesces).
    pub fn on_event(&mut self, i: &VrrpInstance, event: Event) {
        if !matches!(event, Event::MasterRxLowerPri { .. }) {
            return;
        }
        let hook = Hook::MasterRxLowerPri;
        if let Some(c) = self.instances.get(&i.name).and_then(|n| n.get(hook)) {
            self.runner.enqueue_event(&i.name, hook, c);
        }
    }

    /// `notify_master_refresh`: run instance `i`'s `notify_master` again (queued after
    /// whatever it is running, never dropping a transition's jobs; folded into a
    /// `notify_master` already waiting, so a script slower than the period never piles up).
    pub fn rerun_master(&mut self, i: &VrrpInstance) {
        if let Some(c) = self
            .instances
            .get(&i.name)
            .and_then(|n| n.get(Hook::Master))
        {
            self.runner.enqueue_event(&i.name, Hook::Master, c);
        }
    }

    /// Instance `i` is stopping: `notify_stop` and the generic `notify ... STOP`.
    pub fn on_stop(&mut self, i: &VrrpInstance, priority: u8) {
        if let Some(n) = self.instances.get(&i.name) {
            let jobs = n.transition_jobs(Subject::Instance, &i.name, NotifyState::Stop, priority);
            self.runner.submit(&i.name, jobs);
        }
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
        let c = self.runner.counters();
        ScriptStatus {
            notify_run: c.run,
            notify_ok: c.ok,
            notify_failed: c.failed,
            notify_timed_out: c.timed_out,
            notify_skipped: c.skipped,
            notify_spawn_errors: c.spawn_errors,
            notify_coalesced: c.coalesced,
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
