//! keepalived `vrrp_sync_group`: members move together. A pure coordinator over routers
//! the caller owns; feed it each member's state changes.

use crate::output::{Reason, State};
use crate::router::Router;
use crate::time::Instant;

/// A set of routers (indices into the caller's slice) that transition together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    members: Vec<usize>,
}

impl SyncGroup {
    /// A group of the routers at these indices.
    pub fn new(members: Vec<usize>) -> SyncGroup {
        SyncGroup { members }
    }

    /// The member indices.
    pub fn members(&self) -> &[usize] {
        &self.members
    }

    /// Tell the group that `routers[member]` changed to `to` for `reason`; the other
    /// members follow, queueing their own outputs. Changes the group itself caused
    /// (reason [`Reason::SyncGroup`]) are not propagated again. Out-of-range indices
    /// are ignored.
    pub fn on_state_change(
        &self,
        now: Instant,
        routers: &mut [Router],
        member: usize,
        to: State,
        reason: Reason,
    ) {
        if reason == Reason::SyncGroup || !self.members.contains(&member) {
            return;
        }
        // keepalived vrrp_sync.c: one member in FAULT takes the whole group to FAULT;
        // the group leaves FAULT only when no member has a fault cause of its own.
        let any_fault = self
            .members
            .iter()
            .filter_map(|&i| routers.get(i))
            .any(Router::own_fault);
        for &i in &self.members {
            let Some(r) = routers.get_mut(i) else {
                continue;
            };
            if i != member || !any_fault {
                r.set_group_fault(now, any_fault && !r.own_fault());
            }
        }
        if any_fault {
            return;
        }
        // keepalived: a member becoming MASTER (or BACKUP) takes the others with it.
        for &i in self.members.iter().filter(|&&i| i != member) {
            let Some(r) = routers.get_mut(i) else {
                continue;
            };
            match to {
                State::Master => r.sync_to_master(now),
                State::Backup => r.sync_to_backup(now),
                State::Initialize | State::Fault => {}
            }
        }
    }
}
