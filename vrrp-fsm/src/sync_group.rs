//! keepalived `vrrp_sync_group`: members move together. A pure coordinator over routers
//! the caller owns (a slice, or an [`crate::Endpoint`]'s instances); feed it each member's
//! state changes.

use crate::output::{Reason, State};
use crate::router::Router;
use crate::time::Instant;

/// Routers a [`SyncGroup`] can reach by key `K` (a slice index, an [`crate::InstanceId`]).
pub trait RouterSet<K> {
    /// The router of `key`, if there is one.
    fn router(&self, key: K) -> Option<&Router>;
    /// The router of `key`, if there is one.
    fn router_mut(&mut self, key: K) -> Option<&mut Router>;
}

impl RouterSet<usize> for [Router] {
    fn router(&self, key: usize) -> Option<&Router> {
        self.get(key)
    }
    fn router_mut(&mut self, key: usize) -> Option<&mut Router> {
        self.get_mut(key)
    }
}

/// A set of routers (keys into the caller's [`RouterSet`]) that transition together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup<K = usize> {
    members: Vec<K>,
}

impl<K: Copy + PartialEq> SyncGroup<K> {
    /// A group of the routers with these keys.
    pub fn new(members: Vec<K>) -> SyncGroup<K> {
        SyncGroup { members }
    }

    /// The member keys.
    pub fn members(&self) -> &[K] {
        &self.members
    }

    /// Forget `member` (its router was removed).
    pub fn remove(&mut self, member: K) {
        self.members.retain(|m| *m != member);
    }

    /// Tell the group that the router of `member` changed to `to` for `reason`; the other
    /// members follow, queueing their own outputs. Changes the group itself caused
    /// (reason [`Reason::SyncGroup`]) are not propagated again. Keys without a router
    /// are ignored.
    pub fn on_state_change<R: RouterSet<K> + ?Sized>(
        &self,
        now: Instant,
        routers: &mut R,
        member: K,
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
            .filter_map(|&i| routers.router(i))
            .any(Router::own_fault);
        for &i in &self.members {
            let Some(r) = routers.router_mut(i) else {
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
            let Some(r) = routers.router_mut(i) else {
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
