//! Every reason to drop a packet, each mapped to the statistic it increments.

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
    /// (filled in by the codec)
    #[error("placeholder")]
    Placeholder,
}

/// Statistics a drop (or an event) increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Router-wide statistic (RFC 6527 vrrpv3Statistics / RFC 8347 global statistics).
    Global(GlobalCounter),
    /// Per virtual-router statistic (RFC 6527 vrrpv3StatisticsTable / RFC 8347
    /// virtual-router statistics).
    Router(RouterCounter),
}

/// Router-wide counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GlobalCounter {
    /// vrrpv3RouterChecksumErrors / checksum-errors.
    ChecksumErrors,
}

/// Per virtual-router counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouterCounter {
    /// vrrpv3StatisticsPacketLengthErrors / packet-length-errors.
    PacketLengthErrors,
}

impl Error {
    /// The statistic this drop increments.
    pub fn counter(&self) -> Counter {
        todo!()
    }
}

/// Why an advert could not be emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The caller's buffer is too small.
    #[error("buffer too small: {needed} bytes needed, {got} available")]
    BufferTooSmall {
        /// Bytes the advert needs.
        needed: usize,
        /// Bytes the buffer has.
        got: usize,
    },
    /// Address family of the list differs from the one asked for.
    #[error("address list is {list:?}, checksum context is {ctx:?}")]
    FamilyMismatch {
        /// Family of the address list.
        list: Family,
        /// Family of the pseudo-header addresses.
        ctx: Family,
    },
    /// VRRPv2 is IPv4 only, and carries at most 255 addresses; v2 never uses AH here.
    #[error("unsupported combination: {0}")]
    Unsupported(&'static str),
    #[doc(hidden)]
    #[error("auth type {0:?}")]
    Auth(AuthType),
}
