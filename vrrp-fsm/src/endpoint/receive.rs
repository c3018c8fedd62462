//! One received datagram: IP-layer checks and decode (vrrp-proto), demux, version check,
//! peer filter, the router, and the counter every drop belongs to.
//!
//! Attribution (RFC 8347 / RFC 6527): IP-layer and checksum errors are global; a decode
//! error that names a VRID we run on that interface goes to that router (length, type,
//! auth...), else it is global or lost as the codec says; an unknown VRID is a global
//! vrid-error; a version other than the router's is a global version-error (RFC 9568 §7.1,
//! as keepalived counts it); a source outside the unicast peers is the router's
//! unknown-peer drop.
//!
//! TTL / hop limit: 255 (RFC 9568 §7.1, a global ip-ttl-error otherwise), except on a
//! unicast router (one with `unicast_peer`s): keepalived checks none there, and its IPv6
//! unicast adverts go out with the kernel's default hop limit (64). Such an advert is
//! accepted as keepalived accepts it, and counted (`unicast_ttl_not_255`).
//!
//! Checksum: any of the three v3/IPv4 forms is accepted. A unicast router that hears the
//! pre-1.3.6 form (`old_unicast_checksum_rcvd`) answers in that form from then on, as
//! keepalived 2.2.7 does (`CHKSUM_COMPATIBILITY_AUTO`), so an old keepalived accepts it.

use std::net::IpAddr;

use vrrp_proto::{
    decode, ip, ChecksumForm, ChecksumPolicy, Error, Family, GlobalCounter, Vrid, REQUIRED_TTL,
};

use super::{Datagram, Endpoint, EndpointEvent, EventKind};
use crate::config::UnicastChecksum;
use crate::output::{Event, State};
use crate::router::Discard;
use crate::time::Instant;

impl Endpoint {
    /// A datagram from a raw socket. Drain the queues afterwards (see the module docs).
    pub fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let received = match (d.src, d.dst) {
            // The kernel checked the rest of the IPv6 header; the hop limit is ours to check.
            (IpAddr::V6(_), IpAddr::V6(_)) => Ok((
                ip::Received {
                    src: d.src,
                    dst: d.dst,
                    payload: d.bytes,
                },
                d.hop_limit,
            )),
            _ => ip::parse_ipv4_any_ttl(d.bytes),
        };
        let (r, ttl) = match received {
            Ok(r) => r,
            Err(e) => return self.counters.count(&e, None),
        };
        // RFC 9568 §7.1: TTL / hop limit 255. keepalived holds multicast adverts to it; a
        // unicast one may come with the peer's `unicast_ttl` (checked below, per peer).
        let unicast = !r.dst.is_multicast();
        if !unicast && ttl != REQUIRED_TTL {
            return self.counters.count(&Error::TtlNot255(ttl), None);
        }
        let family = match r.src {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        };
        let ttl_not_255 = ttl != REQUIRED_TTL;
        if ttl_not_255 && !self.is_unicast(d.interface, family, r.payload) {
            return self.counters.count(&Error::TtlNot255(ttl), None);
        }
        let decoded = match decode(r.payload, r.src, r.dst, ChecksumPolicy::Either) {
            Ok(decoded) => decoded,
            Err(e) => {
                // A per-router error (length, type, auth...) goes to the router whose VRID
                // the packet names, if we run it; RFC 8347 has no global home for it.
                let owner = r
                    .payload
                    .get(1)
                    .and_then(|v| Vrid::new(*v))
                    .and_then(|vrid| self.demux.peek((d.interface, family, vrid)))
                    .copied();
                let rc = owner
                    .and_then(|id| self.instances.get_mut(id.0))
                    .map(|i| i.router.counters_mut());
                return self.counters.count(&e, rc);
            }
        };
        let advert = decoded.advert;
        let Some(id) = self
            .demux
            .lookup((d.interface, family, advert.vrid))
            .copied()
        else {
            // RFC 8347 vrid-errors / RFC 6527 vrrpv3RouterVrIdErrors: "unknown or
            // unsupported VRID".
            self.stats.unknown_vrid += 1;
            return self.counters.incr(GlobalCounter::VridErrors);
        };
        let Some(inst) = self.instances.get_mut(id.0) else {
            return;
        };
        // RFC 9568 §7.1: the version must be the one this router runs (RFC 8347
        // version-errors). The router would drop it as not its own, on no visible counter.
        if advert.version() != inst.router.config().version() {
            return self.counters.incr(GlobalCounter::VersionErrors);
        }
        if !inst.peers.accept(r.src) {
            inst.router.counters_mut().unknown_peer += 1;
            return;
        }
        let cfg = inst.router.config();
        if !unicast && r.dst != cfg.multicast_group() {
            // Another group joined on this socket (keepalived's `vrrp_mcast_group4/6`).
            inst.router.counters_mut().not_mine += 1;
            return;
        }
        // A TTL other than 255 reached here only for a unicast router (checked above); its
        // peer's `min_ttl` / `max_ttl` decide.
        if !inst.peers.peers().is_empty() && !cfg.peer_ttl_accepts(r.src, ttl) {
            return self.counters.count(&Error::TtlNot255(ttl), None);
        }
        if ttl_not_255 {
            inst.router.counters_mut().unicast_ttl_not_255 += 1;
        }
        // keepalived's old unicast checksum (224.0.0.18 in the pseudo-header, what
        // keepalived before 1.3.6 sends and accepts): counted, and answered in kind from
        // now on, as keepalived 2.2.7 does (it never switches back). Before the router
        // sees the advert, so that an advert it sends in reply is already in that form.
        if decoded.checksum_form == ChecksumForm::OldUnicast && !inst.peers.peers().is_empty() {
            inst.router.counters_mut().old_unicast_checksum_rcvd += 1;
            let auto = inst.router.config().unicast_checksum() == UnicastChecksum::Auto;
            if auto && !inst.old_unicast {
                inst.old_unicast = true;
                let kind = EventKind::Router(Event::OldUnicastChecksum { src: r.src });
                self.events.push_back(EndpointEvent { instance: id, kind });
            }
        }
        // Discards, lower priorities and dual masters are counted by the router; what it
        // has to say about them comes out as events.
        let accepted = inst.router.handle_advert(now, r.src, &advert);
        // The master a Backup hears, accepted or (while it preempts) not.
        if matches!(accepted, Ok(()) | Err(Discard::LowerPriority))
            && inst.router.state() == State::Backup
            && advert.priority.0 != 0
        {
            inst.master = Some(r.src);
        }
        self.drain(now, &[id]);
    }

    /// Whether the VRRP message `payload` names a unicast router (one with peers) on
    /// `interface`: the one case where a TTL / hop limit other than 255 is not an error.
    fn is_unicast(&self, interface: crate::InterfaceId, family: Family, payload: &[u8]) -> bool {
        payload
            .get(1)
            .and_then(|v| Vrid::new(*v))
            .and_then(|vrid| self.demux.peek((interface, family, vrid)))
            .and_then(|id| self.instances.get(id.0))
            .is_some_and(|i| !i.peers.peers().is_empty())
    }
}
