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
    /// already announced. Initialize (members stopped) is no group state of keepalived's:
    /// nothing runs and the last state announced stays.
    pub fn on_state(&mut self, runner: &mut NotifyRunner, name: &str, to: State) {
        let state = match to {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Initialize => return,
        };
        if self.state.insert(name.to_string(), to) == Some(to) {
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Notify;
    use crate::scripts::{Hook, RunAs, ScriptEnv};
    use std::time::{Duration, Instant};

    fn scripts() -> NotifyScripts {
        let env = ScriptEnv {
            default_user: RunAs::current(),
            script_security: false,
        };
        let notify = Notify {
            master: Some("true master".into()),
            stop: Some("true stop".into()),
            generic: Some("true".into()),
            ..Notify::default()
        };
        NotifyScripts::prepare(&notify, "vrrp_sync_group G", &env).unwrap()
    }

    /// Every job run, as (key, hook, argv), in start order per key.
    fn drain(r: &mut NotifyRunner) -> Vec<(String, Hook, String)> {
        let until = Instant::now() + Duration::from_secs(20);
        let mut out = Vec::new();
        while !r.is_idle() {
            assert!(Instant::now() < until, "runner not idle");
            for o in r.poll(Instant::now()) {
                assert!(o.is_ok(), "{o:?}");
                out.push((o.key, o.hook, o.argv.join(" ")));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        out
    }

    #[test]
    fn a_group_announces_each_state_once_with_priority_0_and_stops_in_order() {
        let mut r = NotifyRunner::default();
        let mut g = GroupHooks::default();
        g.set(vec![("G2".into(), scripts()), ("G1".into(), scripts())]);
        g.on_state(&mut r, "G1", State::Master);
        g.on_state(&mut r, "G1", State::Master);
        g.on_state(&mut r, "G1", State::Initialize);
        // A group without hooks: nothing.
        g.on_state(&mut r, "G3", State::Master);
        let ran = drain(&mut r);
        let key = "group G1".to_string();
        assert_eq!(
            ran,
            [
                (key.clone(), Hook::Master, "true master".to_string()),
                (key.clone(), Hook::Generic, "true GROUP G1 MASTER 0".into()),
            ]
        );
        // Announced state kept over a reload: no second run.
        g.set(vec![("G1".into(), scripts())]);
        g.on_state(&mut r, "G1", State::Master);
        assert!(drain(&mut r).is_empty());

        g.set(vec![("G2".into(), scripts()), ("G1".into(), scripts())]);
        g.on_stop(&mut r);
        let mut ran = drain(&mut r);
        ran.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            ran,
            [
                (key.clone(), Hook::Stop, "true stop".to_string()),
                (key, Hook::Generic, "true GROUP G1 STOP 0".into()),
                ("group G2".into(), Hook::Stop, "true stop".into()),
                (
                    "group G2".into(),
                    Hook::Generic,
                    "true GROUP G2 STOP 0".into()
                ),
            ]
        );
    }
}
