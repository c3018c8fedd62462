//! Statistics per RFC 6527 (VRRPv3 MIB) and RFC 8347 (YANG), per router and global,
//! plus the drops only the state machine can see.

use vrrp_proto::{Counter, Error, GlobalCounter, RouterCounter};

/// Per-virtual-router statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouterCounters {
    /// RFC 6527 vrrpv3StatisticsMasterTransitions (RFC 8347 master-transitions).
    pub master_transitions: u64,
    /// RFC 8347 advertisement-rcvd.
    pub adverts_rcvd: u64,
    /// RFC 8347 advertisement-sent.
    pub adverts_sent: u64,
    /// RFC 8347 interval-errors (v2 interval mismatch, interval 0).
    pub interval_errors: u64,
    /// RFC 8347 priority-zero-pkts-rcvd.
    pub priority_zero_rcvd: u64,
    /// RFC 8347 priority-zero-pkts-sent.
    pub priority_zero_sent: u64,
    /// RFC 8347 invalid-type-pkts-rcvd.
    pub invalid_type: u64,
    /// RFC 8347 address-list-errors (also counted, not dropped, unless `vrrp_strict`).
    pub address_list_errors: u64,
    /// RFC 8347 packet-length-errors.
    pub packet_length_errors: u64,
    /// RFC 2787 vrrpStatsInvalidAuthType.
    pub invalid_auth_type: u64,
    /// RFC 2787 vrrpStatsAuthTypeMismatch.
    pub auth_type_mismatch: u64,
    /// RFC 2787 vrrpStatsAuthFailures.
    pub auth_failures: u64,
    /// Unicast peer filter drops (keepalived `unicast_peer`).
    pub unknown_peer: u64,
    /// FSM: packet received while in Initialize or Fault, ignored.
    pub rcvd_while_down: u64,
    /// FSM: VRID, version or family not this router's (demux error).
    pub not_mine: u64,
    /// FSM: our own advert looped back.
    pub own_advert: u64,
    /// keepalived `notify_master_rx_lower_pri` occurrences: lower-priority adverts (or
    /// equal priority from a lower address) heard as Master, one per packet.
    pub master_rx_lower_pri: u64,
    /// Dual-master episodes: as Master, an advert it wins (non-zero priority, lower, or
    /// equal from a lower address) heard after none for a Master_Down_Interval. A flood
    /// or a lasting split brain counts once; being preempted never counts.
    pub dual_master: u64,
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

/// Statistics not tied to one virtual router (RFC 6527 / RFC 8347 global).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalCounters {
    /// RFC 8347 checksum-errors.
    pub checksum_errors: u64,
    /// RFC 8347 version-errors.
    pub version_errors: u64,
    /// RFC 8347 vrid-errors.
    pub vrid_errors: u64,
    /// RFC 8347 ip-ttl-errors.
    pub ip_ttl_errors: u64,
    /// IP header errors (protocol, lengths, fragments).
    pub ip_header_errors: u64,
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
