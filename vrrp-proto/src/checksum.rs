//! VRRP checksums: RFC 3768 §5.3.8 (v2), RFC 9568 §5.2.8 (v3).
//!
//! The one's-complement sum lives here once. Building a checksum (emit) and verifying one
//! (receive) share only the sum; the tests verify against packets from other
//! implementations so that a shared bug cannot hide.

/// Which bytes a checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumForm {
    /// Over the VRRP message alone: VRRPv2 always; VRRPv3 over IPv4 as RFC 9568 words it
    /// and as keepalived does with `v3_checksum_as_v2`.
    MessageOnly,
    /// Over an IP pseudo-header plus the message: VRRPv3 over IPv6 always; VRRPv3 over IPv4
    /// as keepalived and FRR do by default.
    PseudoHeader,
}

/// What a receiver accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumPolicy {
    /// Only this form (for v2 and v3/IPv6 the form is fixed and this is ignored).
    Only(ChecksumForm),
    /// VRRPv3 over IPv4: either form; [`crate::Decoded::checksum_form`] says which matched.
    Either,
}

/// The one's-complement sum, folded, not yet inverted. Internal.
pub(crate) fn sum16(_initial: u32, _data: &[u8]) -> u32 {
    todo!()
}
