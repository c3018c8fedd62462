//! Statistics per RFC 6527 (VRRPv3 MIB) and RFC 8347 (YANG), per router and global,
//! plus the drops only the state machine can see.

use vrrp_proto::{Counter, Error, GlobalCounter, RouterCounter};

use crate::counter_table;

counter_table! {
    /// Per-virtual-router statistics.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct RouterCounters {
        /// Times it became master.
        master_transitions
            rfc "RFC 8347 master-transitions, RFC 6527 vrrpv3StatisticsMasterTransitions",
        /// Adverts received.
        adverts_rcvd rfc "RFC 8347 advertisement-rcvd",
        /// Adverts sent.
        adverts_sent rfc "RFC 8347 advertisement-sent",
        /// Adverts dropped for their interval (v2 interval mismatch, interval 0).
        interval_errors rfc "RFC 8347 interval-errors",
        /// Priority-0 adverts received.
        priority_zero_rcvd rfc "RFC 8347 priority-zero-pkts-rcvd",
        /// Priority-0 adverts sent.
        priority_zero_sent rfc "RFC 8347 priority-zero-pkts-sent",
        /// Packets of an invalid VRRP type.
        invalid_type rfc "RFC 8347 invalid-type-pkts-rcvd",
        /// Adverts whose address list differs from ours (counted, not dropped, unless
        /// `vrrp_strict`).
        address_list_errors rfc "RFC 8347 address-list-errors",
        /// Packets of a wrong length.
        packet_length_errors rfc "RFC 8347 packet-length-errors",
        /// Adverts of an unknown auth type.
        invalid_auth_type rfc "RFC 2787 vrrpStatsInvalidAuthType",
        /// Adverts whose auth type differs from ours.
        auth_type_mismatch rfc "RFC 2787 vrrpStatsAuthTypeMismatch",
        /// Adverts whose password does not match.
        auth_failures rfc "RFC 2787 vrrpStatsAuthFailures",
        /// Unicast adverts from a source that is not a peer (keepalived `unicast_peer`).
        unknown_peer,
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
    /// Increment the counter vrrp-proto names.
    pub fn incr(&mut self, c: RouterCounter) {
        *self.slot(c) += 1;
    }

    /// Read the counter vrrp-proto names (reads a copy, so the mapping lives only in `slot`).
    pub fn get(&self, c: RouterCounter) -> u64 {
        let mut copy = self.clone();
        *copy.slot(c)
    }

    fn slot(&mut self, c: RouterCounter) -> &mut u64 {
        match c {
            RouterCounter::MasterTransitions => &mut self.master_transitions,
            RouterCounter::AdvertisementRcvd => &mut self.adverts_rcvd,
            RouterCounter::AdvertisementSent => &mut self.adverts_sent,
            RouterCounter::IntervalErrors => &mut self.interval_errors,
            RouterCounter::PriorityZeroPktsRcvd => &mut self.priority_zero_rcvd,
            RouterCounter::PriorityZeroPktsSent => &mut self.priority_zero_sent,
            RouterCounter::InvalidTypePktsRcvd => &mut self.invalid_type,
            RouterCounter::AddressListErrors => &mut self.address_list_errors,
            RouterCounter::PacketLengthErrors => &mut self.packet_length_errors,
            RouterCounter::InvalidAuthType => &mut self.invalid_auth_type,
            RouterCounter::AuthTypeMismatch => &mut self.auth_type_mismatch,
            RouterCounter::AuthFailures => &mut self.auth_failures,
            RouterCounter::UnknownPeer => &mut self.unknown_peer,
            // vrrp-proto's enum is non_exhaustive; a new counter lands here until mapped.
            _ => &mut self.not_mine,
        }
    }
}

counter_table! {
    /// Statistics not tied to one virtual router (RFC 6527 / RFC 8347 global).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct GlobalCounters {
        /// Packets with a bad VRRP checksum.
        checksum_errors rfc "RFC 8347 checksum-errors",
        /// Packets of an unknown VRRP version.
        version_errors rfc "RFC 8347 version-errors",
        /// Packets with VRID 0.
        vrid_errors rfc "RFC 8347 vrid-errors",
        /// Packets whose IP TTL / hop limit is not 255.
        ip_ttl_errors rfc "RFC 8347 ip-ttl-errors",
        /// Packets with a bad IP header (protocol, lengths, fragments).
        ip_header_errors,
    }
}

impl GlobalCounters {
    /// Increment the global counter for `c`.
    pub fn incr(&mut self, c: GlobalCounter) {
        match c {
            GlobalCounter::ChecksumErrors => self.checksum_errors += 1,
            GlobalCounter::VersionErrors => self.version_errors += 1,
            GlobalCounter::VridErrors => self.vrid_errors += 1,
            GlobalCounter::IpTtlErrors => self.ip_ttl_errors += 1,
            _ => self.ip_header_errors += 1,
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
