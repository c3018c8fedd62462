//! Carrying out what the endpoint asks for: VIPs through rtnetlink, gratuitous ARP /
//! unsolicited NA through AF_PACKET, adverts on the raw sockets (batched); state changes
//! and events reported to the caller. Every OS error is counted and reported to the caller.

use std::net::IpAddr;

use vrrp_fsm::{EndpointEvent, EventKind, InstanceId};

use super::notes::InstanceNote;
use super::{Happening, InstanceInfo, Runner};
use crate::{NetError, Outgoing};

/// Room offered for one advert: the largest there is (255 IPv6 addresses, 8 header bytes;
/// v2 is IPv4 only and adds 8 bytes of authentication data).
const MAX_ADVERT: usize = 8 + 255 * 16;

impl Runner {
    /// Carry out everything the endpoint has queued, then send the adverts.
    pub(super) fn drain_endpoint(&mut self, out: &mut Vec<Happening>) {
        self.drain_queues(out);
        self.flush_sends(out);
    }

    /// Carry out the endpoint's events (in order), then queue its adverts, events first as
    /// the endpoint asks (keepalived's order: VIPs and GARPs, then the advert). Adverts
    /// queued by an earlier drain are sent before any VIP or announce work.
    pub(super) fn drain_queues(&mut self, out: &mut Vec<Happening>) {
        while let Some(ev) = self.endpoint.poll_event() {
            self.carry_out(ev, out);
        }
        self.install_all_due(out);
        let (endpoint, infos) = (&mut self.endpoint, &self.infos);
        while self.sends.push_with(MAX_ADVERT, |buf| {
            let t = endpoint.poll_transmit(buf)?;
            // An instance whose interface is gone is unbound: the endpoint sends nothing
            // for it, so every advert has a port.
            let port = infos.get(t.instance.0)?.as_ref()?.port;
            Some(Outgoing {
                socket: port,
                tag: t.instance.0,
                src: t.src,
                dst: t.dst,
                len: t.len,
            })
        }) {}
    }

    /// Send the adverts queued so far (at the end of each drain or batch, and before any VIP
    /// or announce work, so that what the endpoint asks for happens in its order).
    pub(super) fn flush_sends(&mut self, out: &mut Vec<Happening>) {
        if self.sends.is_empty() {
            return;
        }
        let ports = &self.ports.ports;
        let infos = &mut self.infos;
        self.sends.flush(
            |p| &ports[p].sock,
            |i, e| {
                if let Some(Some(info)) = infos.get_mut(i) {
                    out.push(send_failed(InstanceId(i), info, e));
                }
            },
        );
    }

    /// One event of the endpoint.
    fn carry_out(&mut self, ev: EndpointEvent, out: &mut Vec<Happening>) {
        let i = ev.instance;
        let priority = || {
            self.endpoint
                .router(i)
                .map_or(vrrp_proto::Priority::SHUTDOWN, |r| r.priority())
        };
        match ev.kind {
            EventKind::StateChange {
                from,
                to,
                reason,
                priority,
            } => {
                // keepalived: the routes and rules follow the VIPs in, and go out first.
                if to == vrrp_fsm::State::Master {
                    self.routes_due(i);
                } else if from == vrrp_fsm::State::Master {
                    self.flush_sends(out);
                    self.leaving_master(i, out);
                }
                return out.push(Happening::StateChange {
                    instance: i,
                    from,
                    to,
                    reason,
                    priority,
                });
            }
            EventKind::Router(event) => {
                let priority = priority();
                return out.push(Happening::Event {
                    instance: i,
                    event,
                    priority,
                });
            }
            EventKind::GroupState {
                group,
                to,
                priority,
            } => {
                return out.push(Happening::GroupState {
                    group,
                    to,
                    priority,
                })
            }
            // The master it knows is read from the endpoint when wanted.
            EventKind::MasterChanged(_) => return,
            EventKind::AddVip(_) | EventKind::RemoveVip(_) | EventKind::Announce { .. } => {}
        }
        self.flush_sends(out);
        match ev.kind {
            EventKind::RemoveVip(_) => self.leaving_master(i, out),
            EventKind::Announce { .. } => self.install_if_due(i, out),
            _ => {}
        }
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        if info.gone {
            // Its interface is gone (it is FAULT): its VIPs went with the interface, there
            // is nothing to announce on. Nothing to do, nothing failed.
            return;
        }
        let note = |note| Happening::Instance { instance: i, note };
        match ev.kind {
            EventKind::AddVip(addr) => {
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
            EventKind::RemoveVip(addr) => {
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
            EventKind::Announce { addr, count } => {
                let port = &self.ports.ports[info.port];
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
            _ => {}
        }
    }
}

/// An advert of instance `i` could not be sent: counted, and reported.
fn send_failed(i: InstanceId, info: &mut InstanceInfo, e: NetError) -> Happening {
    info.os_errors.send += 1;
    Happening::Instance {
        instance: i,
        note: InstanceNote::SendFailed(e),
    }
}
