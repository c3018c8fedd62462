//! VRRP checksums: RFC 3768 §5.3.8 (v2), RFC 9568 §5.2.8 (v3).
//!
//! The one's-complement sum (RFC 1071) lives here once. Building a checksum (emit) and
//! verifying one (receive) share only the sum; the tests verify against packets from other
//! implementations (keepalived captures, scapy) so that a shared bug cannot hide.

use core::net::IpAddr;

use crate::IPPROTO_VRRP;

/// Which bytes a checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumForm {
    /// Over the VRRP message alone: VRRPv2 always; VRRPv3 over IPv4 as RFC 9568 words it
    /// and as keepalived does with `vrrp_v3_checksum_as_v2`.
    MessageOnly,
    /// Over an IP pseudo-header plus the message: VRRPv3 over IPv6 always; VRRPv3 over IPv4
    /// as keepalived and FRR do by default.
    PseudoHeader,
    /// VRRPv3 over IPv4 unicast as keepalived before 1.3.6 sent it (still the keepalived of
    /// CentOS 7): the pseudo-header carries the multicast group 224.0.0.18 as destination
    /// instead of the peer's address. keepalived's `old_unicast_checksum`.
    OldUnicast,
}

/// What a receiver accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumPolicy {
    /// Only this form (for v2 and v3/IPv6 the form is fixed and this is ignored).
    Only(ChecksumForm),
    /// VRRPv3 over IPv4: any of the three forms; [`crate::Decoded::checksum_form`] says
    /// which matched.
    Either,
}

/// One's-complement sum of `data` as big-endian 16-bit words (an odd byte is padded with
/// zero), added to `initial`. Not folded. Internal.
pub(crate) fn sum16(initial: u32, data: &[u8]) -> u32 {
    let mut sum = initial;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([w[0], w[1]])));
    }
    if let [last] = chunks.remainder() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    sum
}

/// Fold carries into 16 bits.
pub(crate) fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Sum of the IP pseudo-header for a VRRP message of `len` bytes between `src` and `dst`:
/// IPv4 (RFC 768 layout: src, dst, zero, protocol, length) or IPv6 (RFC 8200 §8.1: src,
/// dst, 32-bit length, 24 zero bits, next header). `None` if the families differ.
pub(crate) fn pseudo_header_sum(src: IpAddr, dst: IpAddr, len: usize) -> Option<u32> {
    let proto = u32::from(IPPROTO_VRRP);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let sum = sum16(sum16(0, &s.octets()), &d.octets());
            Some(sum + proto + (len as u32 & 0xffff))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let sum = sum16(sum16(0, &s.octets()), &d.octets());
            let len = len as u32;
            Some(sum + (len >> 16) + (len & 0xffff) + proto)
        }
        _ => None,
    }
}

/// The checksum field value for `message` (whose checksum bytes must be zero), starting
/// from `initial` (0, or a pseudo-header sum). Used by emit.
pub(crate) fn compute(initial: u32, message: &[u8]) -> u16 {
    !fold(sum16(initial, message))
}

/// True if `message`, checksum field included, sums to all ones with `initial`. Used by
/// receive: it never rewrites the packet.
pub(crate) fn verifies(initial: u32, message: &[u8]) -> bool {
    fold(sum16(initial, message)) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 §3 worked example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
    #[test]
    fn rfc1071_example_sum() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum16(0, &data)), 0xddf2);
        assert_eq!(compute(0, &data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(sum16(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn verify_accepts_computed_and_rejects_flipped() {
        let mut msg = [0x31, 0x05, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00, 192, 0, 2, 1];
        let c = compute(0, &msg);
        msg[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(verifies(0, &msg));
        msg[2] ^= 1;
        assert!(!verifies(0, &msg));
    }
}
