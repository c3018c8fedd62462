//! keepalived's `vrrp_garp_interval` / `vrrp_gna_interval`: the gratuitous ARPs (IPv4) and
//! unsolicited NAs (IPv6) sent out of one interface go at least that far apart. With an
//! interval, an announce is queued here, one message per entry, each due one interval after
//! the previous one of its interface; the runner wakes at the earliest and sends what is due.
//! As in keepalived (vrrp_arp.c: a pending flag per address), an address has at most one
//! message waiting: a burst of N repeats on an interface that must wait is one message now
//! (if the interface is free) and one later.
//! Without (the default), messages go at once, back to back. The queue is bounded: what
//! would exceed [`MAX_PACED`] is not queued and is reported as a failed announce.

use std::net::IpAddr;
use std::time::Duration;

use vrrp_fsm::{InstanceId, Instant};

use crate::Vip;

/// Most messages waiting (e.g. 255 VIPs × 5 repeats × 78 instances).
pub(crate) const MAX_PACED: usize = 100_000;

/// Which interface a message leaves from: an instance's port, or a named interface that
/// holds some of its addresses (`dev`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    Port(usize),
    Link(String),
}

#[derive(Debug, Clone)]
struct Entry {
    due: Instant,
    instance: InstanceId,
    vip: Vip,
}

/// The intervals and the messages waiting.
#[derive(Debug, Default)]
pub(crate) struct Pacing {
    garp: Duration,
    gna: Duration,
    waiting: Vec<Entry>,
    /// Per interface: when its next message may go.
    free_at: Vec<(Out, Instant)>,
}

impl Pacing {
    /// keepalived `vrrp_garp_interval` / `vrrp_gna_interval` (zero: no pacing).
    pub(crate) fn set(&mut self, garp: Duration, gna: Duration) {
        self.garp = garp;
        self.gna = gna;
    }

    /// The interval for `addr`'s family (zero: send at once).
    pub(crate) fn interval(&self, addr: IpAddr) -> Duration {
        if addr.is_ipv4() {
            self.garp
        } else {
            self.gna
        }
    }

    /// Queue `count` messages for `vip` of `instance`, out of `out`, from `now`; false if
    /// the queue is full (nothing queued).
    pub(crate) fn queue(
        &mut self,
        now: Instant,
        out: Out,
        instance: InstanceId,
        vip: &Vip,
        count: u32,
    ) -> bool {
        let count = count as usize;
        if self.waiting.len() + count > MAX_PACED {
            return false;
        }
        let every = self.interval(vip.addr);
        let slot = match self.free_at.iter().position(|(o, _)| *o == out) {
            Some(k) => k,
            None => {
                self.free_at.push((out, now));
                self.free_at.len() - 1
            }
        };
        let mut due = self.free_at[slot].1.max(now);
        for _ in 0..count {
            // keepalived keeps one pending message per address (a flag): the repeats of a
            // burst that must wait collapse into one.
            let pending =
                |e: &Entry| e.due > now && e.instance == instance && e.vip.addr == vip.addr;
            if due > now && self.waiting.iter().any(pending) {
                break;
            }
            self.waiting.push(Entry {
                due,
                instance,
                vip: vip.clone(),
            });
            due = due + every;
        }
        self.free_at[slot].1 = due;
        true
    }

    /// The earliest message due, if any.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.waiting.iter().map(|e| e.due).min()
    }

    /// Take the messages due at `now`, in due order.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<(InstanceId, Vip)> {
        let mut due: Vec<Entry> = Vec::new();
        self.waiting.retain(|e| {
            let ready = e.due <= now;
            if ready {
                due.push(e.clone());
            }
            !ready
        });
        due.sort_by_key(|e| e.due);
        if self.waiting.is_empty() {
            // Interfaces idle since: the next message may go at once.
            self.free_at.retain(|(_, t)| *t > now);
        }
        due.into_iter().map(|e| (e.instance, e.vip)).collect()
    }

    /// Forget the messages of `instance` (removed, or no longer master).
    pub(crate) fn forget(&mut self, instance: InstanceId) {
        self.waiting.retain(|e| e.instance != instance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_micros(ms * 1000)
    }

    #[test]
    fn messages_of_one_interface_go_an_interval_apart() {
        let mut p = Pacing::default();
        p.set(Duration::from_millis(100), Duration::ZERO);
        let v4 = Vip::host("192.0.2.100".parse().unwrap());
        let v6 = Vip::host("2001:db8::100".parse().unwrap());
        assert_eq!(p.interval(v6.addr), Duration::ZERO);
        // Three repeats: one now, one pending (keepalived's flag per address).
        assert!(p.queue(at(0), Out::Port(0), InstanceId(0), &v4, 3));
        // Another instance on the same interface waits behind; another interface does not.
        assert!(p.queue(at(0), Out::Port(0), InstanceId(1), &v4, 1));
        assert!(p.queue(at(0), Out::Port(1), InstanceId(2), &v4, 1));
        assert_eq!(p.next_due(), Some(at(0)));
        let got: Vec<usize> = p.take_due(at(0)).iter().map(|(i, _)| i.0).collect();
        assert_eq!(got, [0, 2]);
        assert_eq!(p.next_due(), Some(at(100)));
        assert_eq!(p.take_due(at(150)).len(), 1);
        assert_eq!(p.next_due(), Some(at(200)));
        p.forget(InstanceId(1));
        assert_eq!(p.next_due(), None);
        assert!(!p.queue(
            at(0),
            Out::Port(0),
            InstanceId(0),
            &v4,
            MAX_PACED as u32 + 1
        ));
    }
}
