//! Sync-group notify hooks, as keepalived runs them (`send_group_notifies`,
//! `notify_shutdown`): when a group changes state, its `notify_master` / `notify_backup`
//! / `notify_fault` as written, then its generic `notify` with `GROUP NAME STATE 0`
//! appended (keepalived announces priority 0 for a group); at shutdown, once every
//! instance's `notify_stop` and `notify ... STOP` are queued, each group's `notify_stop`
//! and `notify GROUP NAME STOP 0`, groups in configuration order.
//!
//! A group's jobs run under its own key of the [`NotifyRunner`] (`group NAME`): one at a
//! time, in order, the newest state winning, like an instance's, and beside them.

use std::collections::HashMap;

use vrrp_fsm::State;

use crate::scripts::{NotifyRunner, NotifyScripts, NotifyState, Subject};

/// The priority keepalived passes to a group's generic `notify`.
const GROUP_PRIORITY: u8 = 0;

/// The notify hooks of the sync groups that have some, and the last state announced.
#[derive(Debug, Default)]
pub(super) struct GroupHooks {
    /// Groups with hooks, in configuration order.
    scripts: Vec<(String, NotifyScripts)>,
    /// Last state announced per group (a group's hooks run once per group change).
    state: HashMap<String, State>,
}

impl GroupHooks {
    /// Take the prepared hooks of a (new) configuration; the states announced are kept,
    /// so a reload does not announce again a state the group is still in.
    pub fn set(&mut self, scripts: Vec<(String, NotifyScripts)>) {
        self.state
            .retain(|name, _| scripts.iter().any(|(n, _)| n == name));
        self.scripts = scripts;
    }

    /// Every member of group `name` is now in `to`: its hooks, unless that state was
    /// already announced.
    pub fn on_state(&mut self, runner: &mut NotifyRunner, name: &str, to: State) {
        if self.state.insert(name.to_string(), to) == Some(to) {
            return;
        }
        let state = match to {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Initialize => return,
        };
        self.submit(runner, name, state);
    }

    /// Shutdown: every group's STOP hooks, in configuration order (call once the
    /// instances' are queued).
    pub fn on_stop(&mut self, runner: &mut NotifyRunner) {
        let names: Vec<String> = self.scripts.iter().map(|(n, _)| n.clone()).collect();
        for name in names {
            self.submit(runner, &name, NotifyState::Stop);
        }
    }

    fn submit(&self, runner: &mut NotifyRunner, name: &str, state: NotifyState) {
        if let Some((_, n)) = self.scripts.iter().find(|(n, _)| n == name) {
            let jobs = n.transition_jobs(Subject::Group, name, state, GROUP_PRIORITY);
            runner.submit(&format!("group {name}"), jobs);
        }
    }
}
