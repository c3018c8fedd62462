//! Every reason to drop a packet, each mapped to the statistic it increments.
//!
//! Counter names follow RFC 8347 (ietf-vrrp YANG: global and per-virtual-router
//! `statistics`) and, for VRRPv2 authentication, RFC 2787 (VRRP-MIB `vrrpRouterStatsTable`).
//! Two counters are this crate's own, named as such: malformed IP headers (no RFC counts
//! them) and unicast adverts from a source that is not a configured peer.

use crate::{AuthType, Family};

/// Why a received packet was not accepted. One variant per drop reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the header or the declared length needs.
    #[error("truncated: {needed} bytes needed, {got} present")]
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// IPv4 header: version nibble is not 4.
    #[error("IP version {0} where IPv4 was expected")]
    IpVersion(u8),
    /// IPv4 header: IHL below 5 words or beyond the packet.
    #[error("bad IPv4 header length {0} words")]
    IpHeaderLength(u8),
    /// IPv4 header: total length disagrees with the bytes received.
    #[error("IPv4 total length {declared}, {got} bytes received")]
    IpTotalLength {
        /// Total Length field.
        declared: usize,
        /// Bytes present.
        got: usize,
    },
    /// IPv4 header: a fragment (VRRP adverts are never fragmented).
    #[error("IPv4 fragment")]
    IpFragment,
    /// IP protocol / next header is not 112.
    #[error("IP protocol {0}, not VRRP (112)")]
    NotVrrp(u8),
    /// RFC 9568 §7.1: the TTL / hop limit must be 255.
    #[error("TTL/hop limit {0}, must be 255")]
    TtlNot255(u8),
    /// RFC 9568 §7.1: version is neither 2 nor 3 (or not the one configured).
    #[error("VRRP version {0} not supported")]
    Version(u8),
    /// RFC 3768 §5.1: VRRPv2 is defined for IPv4 only.
    #[error("VRRPv2 advert over IPv6")]
    V2OverIpv6,
    /// RFC 9568 §5.2.2: type is not 1 (Advertisement).
    #[error("VRRP type {0}, only 1 (Advertisement) is defined")]
    Type(u8),
    /// RFC 9568 §5.2.3: VRID 0 is invalid.
    #[error("virtual router id 0")]
    VridZero,
    /// RFC 9568 §7.1: the length does not match the address count.
    #[error("length {len} does not fit {count} address(es) of {family:?}")]
    Length {
        /// Count field.
        count: u8,
        /// VRRP message length received.
        len: usize,
        /// Address family.
        family: Family,
    },
    /// RFC 9568 §5.2.5: Count IPvX Addr must be at least 1 (VRRPv3; VRRPv2 takes 0, as
    /// keepalived sends it from an instance without VIPs).
    #[error("advert carries no address")]
    NoAddresses,
    /// RFC 9568 §7.1: the checksum does not verify (in any accepted form).
    #[error("bad checksum")]
    Checksum,
    /// RFC 3768 §5.3.7 / RFC 9568 §5.2.7: an advertisement interval of zero.
    #[error("advertisement interval 0")]
    IntervalZero,
    /// RFC 2338 §5.3.6: auth type 2 (IP Authentication Header) — recognised, not supported.
    #[error("auth type 2 (IP AH) is not supported")]
    AuthAhUnsupported,
    /// RFC 2338 §5.3.6: auth type other than 0, 1, 2.
    #[error("unknown auth type {0}")]
    AuthTypeUnknown(u8),
    /// RFC 2787 vrrpStatsAuthTypeMismatch: auth type differs from the configured one.
    #[error("auth type {got:?}, configured {expected:?}")]
    AuthTypeMismatch {
        /// Received.
        got: AuthType,
        /// Configured.
        expected: AuthType,
    },
    /// RFC 2338 §7.1 / RFC 2787 vrrpStatsAuthFailures: password does not match.
    #[error("authentication failure (password mismatch)")]
    AuthFailure,
}

/// Statistics a drop (or an event) increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Router-wide statistic (RFC 8347 `vrrp-global-state/statistics`).
    Global(GlobalCounter),
    /// Per virtual-router statistic (RFC 8347 `vrrp-instance/statistics`).
    Router(RouterCounter),
}

/// Router-wide counters (RFC 8347 §6 global statistics; RFC 6527 vrrpv3RouterStatistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GlobalCounter {
    /// `checksum-errors` / vrrpv3RouterChecksumErrors.
    ChecksumErrors,
    /// `version-errors` / vrrpv3RouterVersionErrors.
    VersionErrors,
    /// `vrid-errors` / vrrpv3RouterVrIdErrors: VRID 0 or no virtual router with that VRID.
    VridErrors,
    /// `ip-ttl-errors` (RFC 8347 counts it globally; RFC 6527 per virtual router).
    IpTtlErrors,
    /// This crate's own: malformed IP header (version, IHL, total length, fragment, protocol).
    IpHeaderErrors,
}

/// Per virtual-router counters (RFC 8347 §6 `statistics`; RFC 2787 for v2 auth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RouterCounter {
    /// `master-transitions` / vrrpv3StatisticsMasterTransitions.
    MasterTransitions,
    /// `advertisement-rcvd`.
    AdvertisementRcvd,
    /// `advertisement-sent`.
    AdvertisementSent,
    /// `interval-errors`: v2 advert whose interval differs from the configured one.
    IntervalErrors,
    /// `priority-zero-pkts-rcvd`.
    PriorityZeroPktsRcvd,
    /// `priority-zero-pkts-sent`.
    PriorityZeroPktsSent,
    /// `invalid-type-pkts-rcvd`.
    InvalidTypePktsRcvd,
    /// `address-list-errors`: address list differs from the configured one, or is empty.
    AddressListErrors,
    /// `packet-length-errors`.
    PacketLengthErrors,
    /// RFC 2787 vrrpStatsInvalidAuthType: unknown auth type.
    InvalidAuthType,
    /// RFC 2787 vrrpStatsAuthTypeMismatch.
    AuthTypeMismatch,
    /// RFC 2787 vrrpStatsAuthFailures.
    AuthFailures,
    /// This crate's own: a unicast advert from a source that is not a configured peer.
    UnknownPeer,
}

impl Error {
    /// The statistic this drop increments.
    pub fn counter(&self) -> Counter {
        use Counter::{Global, Router};
        match self {
            Error::IpVersion(_)
            | Error::IpHeaderLength(_)
            | Error::IpTotalLength { .. }
            | Error::IpFragment
            | Error::NotVrrp(_) => Global(GlobalCounter::IpHeaderErrors),
            Error::TtlNot255(_) => Global(GlobalCounter::IpTtlErrors),
            Error::Version(_) | Error::V2OverIpv6 => Global(GlobalCounter::VersionErrors),
            Error::VridZero => Global(GlobalCounter::VridErrors),
            Error::Checksum => Global(GlobalCounter::ChecksumErrors),
            Error::Truncated { .. } | Error::Length { .. } => {
                Router(RouterCounter::PacketLengthErrors)
            }
            Error::Type(_) => Router(RouterCounter::InvalidTypePktsRcvd),
            Error::NoAddresses => Router(RouterCounter::AddressListErrors),
            Error::IntervalZero => Router(RouterCounter::IntervalErrors),
            // RFC 2787: AH is a known type, and never the method vrrpd runs: a mismatch
            // (keepalived counts it so too); only unknown types are invalid.
            Error::AuthAhUnsupported => Router(RouterCounter::AuthTypeMismatch),
            Error::AuthTypeUnknown(_) => Router(RouterCounter::InvalidAuthType),
            Error::AuthTypeMismatch { .. } => Router(RouterCounter::AuthTypeMismatch),
            Error::AuthFailure => Router(RouterCounter::AuthFailures),
        }
    }
}

/// Why an advert (or announcement) could not be emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The caller's buffer is too small.
    #[error("buffer too small: {needed} bytes needed, {got} available")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes the buffer has.
        got: usize,
    },
    /// The address list's family differs from the source/destination addresses'.
    #[error("address list is {list:?}, IP addresses are {ip:?}")]
    FamilyMismatch {
        /// Family of the address list.
        list: Family,
        /// Family of the source/destination addresses.
        ip: Family,
    },
    /// RFC 3768: VRRPv2 is IPv4 only.
    #[error("VRRPv2 cannot be sent over IPv6")]
    V2OverIpv6,
    /// RFC 9568 §5.2.5: Count IPvX Addr is 8 bits and at least 1 (VRRPv2: 0 allowed, as
    /// keepalived sends it from an instance without VIPs).
    #[error("{0} addresses: an advert carries 1 to 255 (VRRPv2: 0 to 255)")]
    AddressCount(usize),
}
