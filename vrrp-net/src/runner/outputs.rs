//! Carrying out what the routers ask for: adverts on the raw socket, VIPs through rtnetlink,
//! gratuitous ARP / unsolicited NA through AF_PACKET; state changes reported to the caller
//! and passed on to sync groups. Every OS error is logged with the instance name and counted.

use std::net::IpAddr;

use log::{debug, info, warn};
use vrrp_fsm::{Output, State};

use super::{Happening, Runner};
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
                    let name = &self.infos[i].spec.name;
                    // keepalived's exact wording: people grep for it.
                    info!("({name}) Entering {} STATE", state_word(to));
                    debug!(
                        "({name}) {} -> {}: {reason:?}",
                        state_word(from),
                        state_word(to)
                    );
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
                            g.on_state_change(now, &mut self.routers, i, to, reason);
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
        self.flush_sends();
    }

    /// Send the adverts queued so far (at the end of each drain, and before any other
    /// output, so that what a router asks for happens in its order).
    pub(super) fn flush_sends(&mut self) {
        if self.sends.is_empty() {
            return;
        }
        let ports = &self.ports.ports;
        let infos = &mut self.infos;
        self.sends.flush(
            |p| &ports[p].sock,
            |i, e| {
                warn!("({}) sending advert: {e}", infos[i].spec.name);
                infos[i].os_errors.send += 1;
            },
        );
    }

    /// One output other than a state change.
    fn carry_out(&mut self, i: usize, o: Output, out: &mut Vec<Happening>) {
        if matches!(
            o,
            Output::AddVip(_) | Output::RemoveVip(_) | Output::Announce { .. }
        ) {
            self.flush_sends();
        }
        if self.infos[i].gone && !matches!(o, Output::Event(_)) {
            // Its interface is gone (it is FAULT): no socket to send on, and its VIPs went
            // with the interface. Nothing to do, nothing failed.
            return;
        }
        let info = &mut self.infos[i];
        let name = &info.spec.name;
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
                    warn!("({name}) sending advert: {e}");
                    info.os_errors.send += 1;
                }
            }
            Output::AddVip(addr) => {
                match self.netlink.add_address(info.ifindex, &info.spec.vip(addr)) {
                    Ok(()) => {}
                    Err(NetError::AddressExists { .. }) => {
                        // keepalived takes an address already there as set (EEXIST is not
                        // an error) and removes it on leaving MASTER; so do we, counted.
                        info.churn.vip_already_present += 1;
                        info!(
                            "({name}) {addr} was already on {}, kept",
                            info.spec.interface
                        );
                    }
                    Err(e) => {
                        warn!("({name}) adding {addr}: {e}");
                        info.os_errors.netlink += 1;
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
                        debug!("({name}) {addr}: interface gone, address gone with it")
                    }
                    Err(e) => {
                        warn!("({name}) removing {addr}: {e}");
                        info.os_errors.netlink += 1;
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
                        warn!("({name}) announcing {addr}: {e}");
                        info.os_errors.announce += 1;
                        break;
                    }
                }
            }
            Output::Event(event) => {
                info!("({name}) {event:?}");
                out.push(Happening::Event { instance: i, event });
            }
            Output::StateChange { .. } => {}
        }
    }
}

/// keepalived's words for the states, as in its log lines.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}
