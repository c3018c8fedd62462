//! Carrying out what the routers ask for: adverts on the raw socket, VIPs through rtnetlink,
//! gratuitous ARP / unsolicited NA through AF_PACKET; state changes reported to the caller
//! and passed on to sync groups. Every OS error is logged with the instance name and counted.

use std::net::IpAddr;

use log::{debug, info, warn};
use vrrp_fsm::{Event, Output, Router, State};

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
        self.sends
            .flush(|p| &ports[p].sock, |i, e| send_failed(&mut infos[i], &e));
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
                    send_failed(info, &e);
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
                log_event(info, &self.routers[i], event);
                out.push(Happening::Event { instance: i, event });
            }
            Output::StateChange { .. } => {}
        }
    }
}

/// An advert could not be sent: counted, and logged (rate-limited: a flood answered
/// advert by advert can fail advert by advert).
fn send_failed(info: &mut InstanceInfo, e: &NetError) {
    info.os_errors.send += 1;
    if let Some(n) = info.logs.send_error.allow(std::time::Instant::now()) {
        warn!("({}) sending advert: {e}{n}", info.spec.name);
    }
}

/// The log line of a router event, in keepalived's words where keepalived has one. The
/// per-packet ones are rate-limited per instance; a preemption is a state change (at most
/// one per Master_Down_Interval, as the router must take over again first).
fn log_event(info: &mut InstanceInfo, router: &Router, event: Event) {
    let name = &info.spec.name;
    let ours = router.priority().0;
    let now = std::time::Instant::now();
    match event {
        Event::MasterRxLowerPri { src, priority } => {
            if let Some(n) = info.logs.lower_priority.allow(now) {
                let forcing = if router.config().lower_prio_no_advert() {
                    ""
                } else {
                    ", forcing new election"
                };
                info!(
                    "({name}) Received advert from {src} with lower priority {}, ours {ours}{forcing}{n}",
                    priority.0
                );
            }
        }
        Event::DualMaster { src, priority } => {
            if let Some(n) = info.logs.dual_master.allow(now) {
                warn!(
                    "({name}) dual master: {src} advertises priority {} while we are master{n}",
                    priority.0
                );
            }
        }
        Event::Preempted { src, priority } if priority.0 > ours => info!(
            "({name}) Master received advert from {src} with higher priority {}, ours {ours}",
            priority.0
        ),
        Event::Preempted { src, priority } => info!(
            "({name}) Master received advert from {src} with same priority {} but higher IP address than ours",
            priority.0
        ),
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
