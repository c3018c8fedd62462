//! Statistics per RFC 6527 (VRRPv3 MIB) and RFC 8347 (YANG), per router and global,
//! plus the drops only the state machine can see.

use vrrp_proto::{Counter, Error, GlobalCounter, RouterCounter};

use crate::counter_table;

counter_table! {
    /// Per-virtual-router statistics.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct RouterCounters (counts RouterCounter) {
        /// Times it became master.
        master_transitions = MasterTransitions
            rfc "RFC 8347 master-transitions, RFC 6527 vrrpv3StatisticsMasterTransitions",
        /// Adverts received.
        adverts_rcvd = AdvertisementRcvd rfc "RFC 8347 advertisement-rcvd",
        /// Adverts sent.
        adverts_sent = AdvertisementSent rfc "RFC 8347 advertisement-sent",
        /// Adverts dropped for their interval (v2 interval mismatch, interval 0).
        interval_errors = IntervalErrors rfc "RFC 8347 interval-errors",
        /// Priority-0 adverts received.
        priority_zero_rcvd = PriorityZeroPktsRcvd rfc "RFC 8347 priority-zero-pkts-rcvd",
        /// Priority-0 adverts sent.
        priority_zero_sent = PriorityZeroPktsSent rfc "RFC 8347 priority-zero-pkts-sent",
        /// Packets of an invalid VRRP type.
        invalid_type = InvalidTypePktsRcvd rfc "RFC 8347 invalid-type-pkts-rcvd",
        /// Adverts whose address list differs from ours (counted, not dropped, unless
        /// `vrrp_strict`).
        address_list_errors = AddressListErrors rfc "RFC 8347 address-list-errors",
        /// Packets of a wrong length.
        packet_length_errors = PacketLengthErrors rfc "RFC 8347 packet-length-errors",
        /// Adverts of an unknown auth type.
        invalid_auth_type = InvalidAuthType rfc "RFC 2787 vrrpStatsInvalidAuthType",
        /// Adverts whose auth type differs from ours.
        auth_type_mismatch = AuthTypeMismatch rfc "RFC 2787 vrrpStatsAuthTypeMismatch",
        /// Adverts whose password does not match.
        auth_failures = AuthFailures rfc "RFC 2787 vrrpStatsAuthFailures",
        /// Unicast adverts from a source that is not a peer (keepalived `unicast_peer`).
        unknown_peer = UnknownPeer,
        /// Unicast adverts accepted with an IP TTL / hop limit other than 255: keepalived
        /// checks none on a unicast instance, and its IPv6 unicast adverts carry the
        /// kernel's default hop limit (64) unless `unicast_ttl` is set.
        unicast_ttl_not_255,
        /// VRRPv3/IPv4 unicast adverts checksummed with 224.0.0.18 in the pseudo-header
        /// (keepalived before 1.3.6, or `old_unicast_checksum`); the instance answers in
        /// that form from the first one on, as keepalived 2.2.7 does.
        old_unicast_checksum_rcvd,
        /// Packets received while in Initialize or Fault, ignored.
        rcvd_while_down,
        /// Packets whose VRID, version or family is not this router's (demux error).
        not_mine,
        /// Our own adverts looped back.
        own_advert,
        /// Lower-priority adverts (or equal priority from a lower address) heard as master,
        /// one per packet (keepalived `notify_master_rx_lower_pri`).
        master_rx_lower_pri,
        /// Dual-master episodes: as master, an advert it wins (non-zero priority, lower, or
        /// equal from a lower address) heard after none for a Master_Down_Interval. A flood
        /// or a lasting split brain counts once; being preempted never counts.
        dual_master,
    }
}

impl RouterCounters {
    /// Increment the counter vrrp-proto names (a counter vrrp-proto adds before this table
    /// has it lands in `not_mine`).
    pub fn incr(&mut self, c: RouterCounter) {
        match self.lookup_mut(c) {
            Some(n) => *n += 1,
            None => self.not_mine += 1,
        }
    }

    /// Read the counter vrrp-proto names.
    pub fn get(&self, c: RouterCounter) -> u64 {
        self.lookup(c).unwrap_or(self.not_mine)
    }
}

counter_table! {
    /// Statistics not tied to one virtual router (RFC 6527 / RFC 8347 global).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct GlobalCounters (counts GlobalCounter) {
        /// Packets with a bad VRRP checksum.
        checksum_errors = ChecksumErrors rfc "RFC 8347 checksum-errors",
        /// Packets of an unknown VRRP version.
        version_errors = VersionErrors rfc "RFC 8347 version-errors",
        /// Packets with VRID 0.
        vrid_errors = VridErrors rfc "RFC 8347 vrid-errors",
        /// Packets whose IP TTL / hop limit is not 255.
        ip_ttl_errors = IpTtlErrors rfc "RFC 8347 ip-ttl-errors",
        /// Packets with a bad IP header (protocol, lengths, fragments).
        ip_header_errors = IpHeaderErrors,
    }
}

impl GlobalCounters {
    /// Increment the global counter for `c`.
    pub fn incr(&mut self, c: GlobalCounter) {
        match self.lookup_mut(c) {
            Some(n) => *n += 1,
            None => self.ip_header_errors += 1,
        }
    }

    /// Count a decode error: global ones here, per-router ones into `router` when the
    /// packet could be attributed to one (else they are lost, as RFC 6527 has no home for them).
    pub fn count(&mut self, err: &Error, router: Option<&mut RouterCounters>) {
        match err.counter() {
            Counter::Global(g) => self.incr(g),
            Counter::Router(r) => {
                if let Some(rc) = router {
                    rc.incr(r);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's (name, value) pairs whose value is not 0.
    fn moved(
        c: impl Iterator<Item = (&'static crate::CounterInfo, u64)>,
    ) -> Vec<(&'static str, u64)> {
        c.filter(|(_, v)| *v != 0)
            .map(|(c, v)| (c.name, v))
            .collect()
    }

    #[test]
    fn each_router_counter_of_the_codec_has_its_own_entry() {
        use RouterCounter::*;
        let all = [
            (MasterTransitions, "master_transitions"),
            (AdvertisementRcvd, "adverts_rcvd"),
            (AdvertisementSent, "adverts_sent"),
            (IntervalErrors, "interval_errors"),
            (PriorityZeroPktsRcvd, "priority_zero_rcvd"),
            (PriorityZeroPktsSent, "priority_zero_sent"),
            (InvalidTypePktsRcvd, "invalid_type"),
            (AddressListErrors, "address_list_errors"),
            (PacketLengthErrors, "packet_length_errors"),
            (InvalidAuthType, "invalid_auth_type"),
            (AuthTypeMismatch, "auth_type_mismatch"),
            (AuthFailures, "auth_failures"),
            (UnknownPeer, "unknown_peer"),
        ];
        for (c, name) in all {
            let mut r = RouterCounters::default();
            r.incr(c);
            r.incr(c);
            assert_eq!(moved(r.counters()), [(name, 2)], "{c:?}");
            assert_eq!(r.get(c), 2, "{c:?}");
        }
    }

    #[test]
    fn each_global_counter_of_the_codec_has_its_own_entry() {
        use GlobalCounter::*;
        let all = [
            (ChecksumErrors, "checksum_errors"),
            (VersionErrors, "version_errors"),
            (VridErrors, "vrid_errors"),
            (IpTtlErrors, "ip_ttl_errors"),
            (IpHeaderErrors, "ip_header_errors"),
        ];
        for (c, name) in all {
            let mut g = GlobalCounters::default();
            g.incr(c);
            assert_eq!(moved(g.counters()), [(name, 1)], "{c:?}");
        }
    }

    #[test]
    fn names_are_the_fields_and_unique() {
        let mut names: Vec<_> = RouterCounters::COUNTERS
            .iter()
            .chain(GlobalCounters::COUNTERS)
            .map(|c| c.name)
            .collect();
        assert_eq!(names[1], "adverts_rcvd");
        assert_eq!(
            RouterCounters::COUNTERS[1].rfc,
            Some("RFC 8347 advertisement-rcvd")
        );
        assert_eq!(RouterCounters::COUNTERS[1].help, "Adverts received.");
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        let r = RouterCounters {
            dual_master: 3,
            ..Default::default()
        };
        assert_eq!(moved(r.counters()), [("dual_master", 3)]);
    }
}
