//! Carrying out what the routers ask for: adverts on the raw socket, VIPs through rtnetlink,
//! gratuitous ARP / unsolicited NA through AF_PACKET; state changes reported to the caller
//! and passed on to sync groups. Every OS error is counted and reported to the caller.

use std::net::IpAddr;

use vrrp_fsm::{Output, State};

use super::notes::InstanceNote;
use super::{Happening, InstanceInfo, Runner};
use crate::NetError;

impl Runner {
    /// Drain the outputs of the instances in `first`, and of any instance a sync group moved
    /// because of them.
    pub(super) fn drain_outputs(&mut self, first: &[usize], out: &mut Vec<Happening>) {
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        work.extend_from_slice(first);
        while let Some(i) = work.pop() {
            while let Some(o) = self.routers[i].poll_output() {
                if let Output::StateChange { from, to, reason } = o {
                    let own = self.infos[i].spec.src;
                    let info = &mut self.infos[i];
                    info.master = match to {
                        State::Master => Some(own),
                        // A Backup keeps the master it has just heard (set by the advert
                        // that preempted it), never our own address.
                        State::Backup => info.master.filter(|m| *m != own),
                        State::Initialize | State::Fault => None,
                    };
                    out.push(Happening::StateChange {
                        instance: i,
                        from,
                        to,
                        reason,
                        priority: self.routers[i].priority(),
                    });
                    let now = self.now();
                    for g in &self.groups {
                        if g.members().contains(&i) {
                            g.on_state_change(now, &mut self.routers[..], i, to, reason);
                            work.extend(g.members().iter().copied().filter(|m| *m != i));
                        }
                    }
                } else {
                    self.carry_out(i, o, out);
                }
            }
            // Whatever the router handled (or its sync group did to it) may have moved
            // its deadline.
            self.rearm(i);
        }
        self.work = work;
        self.flush_sends(out);
    }

    /// Send the adverts queued so far (at the end of each drain, and before any other
    /// output, so that what a router asks for happens in its order).
    pub(super) fn flush_sends(&mut self, out: &mut Vec<Happening>) {
        if self.sends.is_empty() {
            return;
        }
        let ports = &self.ports.ports;
        let infos = &mut self.infos;
        self.sends.flush(
            |p| &ports[p].sock,
            |i, e| out.push(send_failed(i, &mut infos[i], e)),
        );
    }

    /// One output other than a state change.
    fn carry_out(&mut self, i: usize, o: Output, out: &mut Vec<Happening>) {
        if matches!(
            o,
            Output::AddVip(_) | Output::RemoveVip(_) | Output::Announce { .. }
        ) {
            self.flush_sends(out);
        }
        if self.infos[i].gone && !matches!(o, Output::Event(_)) {
            // Its interface is gone (it is FAULT): no socket to send on, and its VIPs went
            // with the interface. Nothing to do, nothing failed.
            return;
        }
        let info = &mut self.infos[i];
        let note = |note| Happening::Instance { instance: i, note };
        let port = &mut self.ports.ports[info.port];
        match o {
            Output::SendAdvert { priority } => {
                let advert = self.routers[i].advert(priority);
                let group;
                let dsts: &[IpAddr] = if info.spec.dsts.is_empty() {
                    group = [Runner::group(port.family)];
                    &group
                } else {
                    &info.spec.dsts
                };
                let src = info.spec.src;
                if let Err(e) = self.sends.push(info.port, i, &advert, self.form, src, dsts) {
                    out.push(send_failed(i, info, e));
                }
            }
            Output::AddVip(addr) => {
                match self.netlink.add_address(info.ifindex, &info.spec.vip(addr)) {
                    Ok(()) => {}
                    Err(NetError::AddressExists { .. }) => {
                        // keepalived takes an address already there as set (EEXIST is not
                        // an error) and removes it on leaving MASTER; so do we, counted.
                        info.churn.vip_already_present += 1;
                        out.push(note(InstanceNote::VipAlreadyPresent(addr)));
                    }
                    Err(e) => {
                        info.os_errors.netlink += 1;
                        out.push(note(InstanceNote::VipAddFailed(addr, e)));
                    }
                }
            }
            Output::RemoveVip(addr) => {
                match self.netlink.del_address(info.ifindex, &info.spec.vip(addr)) {
                    Ok(()) | Err(NetError::AddressMissing { .. }) => {}
                    // The link went down because the interface is being deleted (its
                    // RTM_DELLINK comes next): its addresses go with it. keepalived ignores
                    // ENODEV here too.
                    Err(e) if e.is_no_device() => {
                        out.push(note(InstanceNote::VipGoneWithInterface(addr)))
                    }
                    Err(e) => {
                        info.os_errors.netlink += 1;
                        out.push(note(InstanceNote::VipRemoveFailed(addr, e)));
                    }
                }
            }
            Output::Announce { addr, count } => {
                let announcer = &mut self.ports.announcers[port.announcer].announcer;
                for _ in 0..count {
                    let res = match addr {
                        IpAddr::V4(a) => announcer.gratuitous_arp(port.mac, a),
                        IpAddr::V6(a) => announcer.unsolicited_na(port.mac, a),
                    };
                    if let Err(e) = res {
                        info.os_errors.announce += 1;
                        out.push(note(InstanceNote::AnnounceFailed(addr, e)));
                        break;
                    }
                }
            }
            Output::Event(event) => out.push(Happening::Event {
                instance: i,
                event,
                priority: self.routers[i].priority(),
            }),
            Output::StateChange { .. } => {}
        }
    }
}

/// An advert of instance `i` could not be sent: counted, and reported.
fn send_failed(i: usize, info: &mut InstanceInfo, e: NetError) -> Happening {
    info.os_errors.send += 1;
    Happening::Instance {
        instance: i,
        note: InstanceNote::SendFailed(e),
    }
}
