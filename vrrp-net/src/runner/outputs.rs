//! Carrying out what the endpoint asks for: VIPs through rtnetlink, gratuitous ARP /
//! unsolicited NA through AF_PACKET (both in addresses.rs, with the excluded addresses that
//! follow the state changes), adverts on the raw sockets (batched); state changes and events
//! reported to the caller. Every OS error is counted and reported to the caller.

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
        self.flush_excluded(None, out);
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
                ttl: t.ttl,
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
                self.excluded_follow_state(i, from, to);
                // keepalived: the routes and rules follow the addresses in, and go out first.
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
        if let EventKind::RemoveVip(_) = ev.kind {
            self.leaving_master(i, out);
        }
        let Some(info) = self.info(i) else {
            return;
        };
        match ev.kind {
            EventKind::AddVip(addr) => {
                let vip = info.spec.vip(addr);
                self.put_address(i, &vip, out);
            }
            EventKind::RemoveVip(addr) => {
                let vip = info.spec.vip(addr);
                // No paced gratuitous ARP / NA for an address no longer held.
                self.pacing.forget(i);
                self.take_address(i, &vip, out);
            }
            EventKind::Announce { addr, count } => {
                let vip = info.spec.vip(addr);
                // keepalived: the excluded addresses, then the routes and rules, are added
                // before the first announce.
                self.flush_excluded(Some(i), out);
                self.install_if_due(i, out);
                self.announce_address(i, &vip, count, out);
                self.announce_excluded_after(i, addr, count, out);
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
