//! From routers' outputs to the endpoint's queues: adverts encoded once per destination,
//! events, sync groups applied, the known master kept, timers re-armed.

use std::net::IpAddr;

use vrrp_proto::{ChecksumForm, Priority, REQUIRED_TTL};

use super::slack::timer_slack;
use super::{Endpoint, EndpointEvent, EventKind, Instances, Transmit};
use crate::ids::{InstanceId, InterfaceId};
use crate::output::{Event, Output, State};
use crate::time::Instant;

/// Entries each queue holds before the droppable ones are dropped, besides four per
/// instance (what a whole sync group changing state at once needs).
const QUEUE_BASE: usize = 256;

/// An encoded advert waiting in [`Endpoint::poll_transmit`]'s queue.
#[derive(Debug, Clone, Copy)]
pub(super) struct Queued {
    instance: InstanceId,
    interface: InterfaceId,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    start: usize,
    len: usize,
}

impl Endpoint {
    /// The next advert to send, written into `buf` (it must hold the largest advert: 1500
    /// bytes is plenty for up to 80 IPv6 VIPs; one that does not fit is dropped and
    /// counted in [`super::EndpointStats::emit_errors`]).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        loop {
            let q = self.transmits.pop_front()?;
            let bytes = &self.tx_bytes[q.start..q.start + q.len];
            let fits = buf.len() >= q.len;
            if fits {
                buf[..q.len].copy_from_slice(bytes);
            }
            if self.transmits.is_empty() {
                self.tx_bytes.clear();
            }
            if !fits {
                self.stats.emit_errors += 1;
                continue;
            }
            return Some(Transmit {
                instance: q.instance,
                interface: q.interface,
                src: q.src,
                dst: q.dst,
                ttl: q.ttl,
                len: q.len,
            });
        }
    }

    fn queue_cap(&self) -> usize {
        QUEUE_BASE + 4 * self.instances.len()
    }

    /// Drain the outputs of the instances in `first`, and of any instance a sync group moved
    /// because of them; re-arm the timer of each.
    pub(super) fn drain(&mut self, now: Instant, first: &[InstanceId]) {
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        work.extend_from_slice(first);
        while let Some(id) = work.pop() {
            while let Some(o) = self
                .instances
                .get_mut(id.0)
                .and_then(|i| i.router.poll_output())
            {
                self.carry(now, id, o, &mut work);
            }
            self.report_master(id);
            self.rearm(id);
        }
        self.work = work;
        self.report_groups();
    }

    /// Report each group a member of which moved, if it is now unanimous in a new state.
    fn report_groups(&mut self) {
        if !std::mem::take(&mut self.groups_moved) {
            return;
        }
        for (g, group) in self.groups.iter().enumerate() {
            let (last, moved) = &mut self.group_state[g];
            if !std::mem::take(moved) {
                continue;
            }
            let mut states = group
                .members()
                .iter()
                .filter_map(|m| self.instances.get(m.0).map(|i| (*m, &i.router)));
            let Some((first, r)) = states.next() else {
                continue;
            };
            let to = r.state();
            if *last == Some(to) || !states.all(|(_, o)| o.state() == to) {
                continue;
            }
            *last = Some(to);
            let kind = EventKind::GroupState {
                group: g,
                to,
                priority: r.priority(),
            };
            self.events.push_back(EndpointEvent {
                instance: first,
                kind,
            });
        }
    }

    fn carry(&mut self, now: Instant, id: InstanceId, o: Output, work: &mut Vec<InstanceId>) {
        let kind = match o {
            Output::SendAdvert { priority } => return self.queue_advert(id, priority),
            Output::StateChange { from, to, reason } => {
                let Some(inst) = self.instances.get_mut(id.0) else {
                    return;
                };
                let own = inst.router.config().primary();
                inst.master = match to {
                    State::Master => Some(own),
                    // A Backup keeps the master it has just heard (set by the advert that
                    // preempted it), never our own address.
                    State::Backup => inst.master.filter(|m| *m != own),
                    State::Initialize | State::Fault => None,
                };
                let priority = inst.router.priority();
                for (k, g) in self.groups.iter().enumerate() {
                    if g.members().contains(&id) {
                        self.group_state[k].1 = true;
                        self.groups_moved = true;
                        g.on_state_change(now, &mut Instances(&mut self.instances), id, to, reason);
                        work.extend(g.members().iter().copied().filter(|m| *m != id));
                    }
                }
                EventKind::StateChange {
                    from,
                    to,
                    reason,
                    priority,
                }
            }
            Output::AddVip(a) => EventKind::AddVip(a),
            Output::RemoveVip(a) => EventKind::RemoveVip(a),
            Output::Announce { addr, count } => EventKind::Announce { addr, count },
            Output::Event(e) => {
                let droppable =
                    matches!(e, Event::MasterRxLowerPri { .. } | Event::DualMaster { .. });
                if droppable && self.events.len() >= self.queue_cap() {
                    self.stats.events_dropped += 1;
                    return;
                }
                EventKind::Router(e)
            }
        };
        self.events.push_back(EndpointEvent { instance: id, kind });
    }

    /// One advert per destination, encoded now (a removed instance's last advert still goes).
    fn queue_advert(&mut self, id: InstanceId, priority: Priority) {
        if priority != Priority::SHUTDOWN && self.transmits.len() >= self.queue_cap() {
            self.stats.transmits_dropped += 1;
            return;
        }
        let Some(inst) = self.instances.get(id.0).filter(|i| i.bound) else {
            // Unbound: its interface is gone, there is nowhere to send.
            return;
        };
        let advert = inst.router.advert(priority);
        let src = inst.router.config().primary();
        let cfg = inst.router.config();
        let multicast = [cfg.multicast_group()];
        // RFC 9568 §5.1.1.3 / §5.1.2.3: TTL 255; keepalived's `unicast_ttl` to peers.
        let (dsts, ttl) = match inst.peers.peers() {
            [] => (&multicast[..], REQUIRED_TTL),
            peers => (peers, cfg.unicast_ttl()),
        };
        let len = advert.buffer_len();
        let form = if inst.old_unicast {
            ChecksumForm::OldUnicast
        } else {
            self.form
        };
        for &dst in dsts {
            let start = self.tx_bytes.len();
            self.tx_bytes.resize(start + len, 0);
            match advert.emit(&mut self.tx_bytes[start..], src, dst, form) {
                Ok(n) => {
                    self.tx_bytes.truncate(start + n);
                    self.transmits.push_back(Queued {
                        instance: id,
                        interface: inst.interface,
                        src,
                        dst,
                        ttl,
                        start,
                        len: n,
                    });
                }
                Err(_) => {
                    self.tx_bytes.truncate(start);
                    self.stats.emit_errors += 1;
                }
            }
        }
    }

    /// Report the master instance `id` knows if it changed since last reported.
    fn report_master(&mut self, id: InstanceId) {
        let Some(inst) = self.instances.get_mut(id.0) else {
            return;
        };
        if inst.master != inst.reported_master {
            inst.reported_master = inst.master;
            let kind = EventKind::MasterChanged(inst.master);
            self.events.push_back(EndpointEvent { instance: id, kind });
        }
    }

    /// Keep instance `id`'s entry in the timer heap equal to its router's `poll_timeout()`,
    /// with the slack its state allows ([`super::slack`]).
    fn rearm(&mut self, id: InstanceId) {
        let Some(router) = self.instances.get(id.0).map(|i| &i.router) else {
            self.timers.cancel(id);
            return;
        };
        match router.poll_timeout() {
            Some(t) => {
                let window = (t, t + timer_slack(router));
                if self.timers.window_of(id) != Some(window) {
                    self.timers.arm_within(id, window.0, window.1);
                }
            }
            None => {
                self.timers.cancel(id);
            }
        }
    }
}
