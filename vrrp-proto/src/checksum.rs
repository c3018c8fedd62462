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
///
/// Sums 32-bit words into a 64-bit accumulator (RFC 1071 §2(C): the sum may be computed in
/// any word size and folded at the end), folding back to 32 bits on return.
pub(crate) fn sum16(initial: u32, data: &[u8]) -> u32 {
    let mut sum = u64::from(initial);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    sum += match *words.remainder() {
        [a, b, c] => u64::from(u32::from_be_bytes([a, b, c, 0])),
        [a, b] => u64::from(u32::from_be_bytes([a, b, 0, 0])),
        [a] => u64::from(u32::from_be_bytes([a, 0, 0, 0])),
        _ => 0,
    };
    // Fold 64 -> 32 bits twice (end-around carry).
    let sum = (sum & 0xffff_ffff) + (sum >> 32);
    let sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum as u32
}

/// Fold carries into 16 bits. Two end-around-carry steps always suffice for a u32: the
/// first leaves at most 0x1fffe, the second at most 0xffff.
#[inline]
pub(crate) fn fold(sum: u32) -> u16 {
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = (sum & 0xffff) + (sum >> 16);
    sum as u16
}

/// 16-bit one's-complement halves of a 32-bit word, added.
fn halves(w: u32) -> u32 {
    (w >> 16) + (w & 0xffff)
}

/// Sum of the IP pseudo-header for a VRRP message of `len` bytes between `src` and `dst`:
/// IPv4 (RFC 768 layout: src, dst, zero, protocol, length) or IPv6 (RFC 8200 §8.1: src,
/// dst, 32-bit length, 24 zero bits, next header). `None` if the families differ.
#[inline]
pub(crate) fn pseudo_header_sum(src: IpAddr, dst: IpAddr, len: usize) -> Option<u32> {
    let proto = u32::from(IPPROTO_VRRP);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            Some(halves(s.to_bits()) + halves(d.to_bits()) + proto + (len as u32 & 0xffff))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let initial = halves(len as u32) + proto;
            Some(sum16(sum16(initial, &s.octets()), &d.octets()))
        }
        _ => None,
    }
}

/// The starting sum for a checksum `form`: 0 for message-only, else the pseudo-header's
/// (`None` if `src` and `dst` are of different families).
#[inline]
pub(crate) fn initial_sum(form: ChecksumForm, src: IpAddr, dst: IpAddr, len: usize) -> Option<u32> {
    match form {
        ChecksumForm::MessageOnly => Some(0),
        ChecksumForm::PseudoHeader => pseudo_header_sum(src, dst, len),
        ChecksumForm::OldUnicast => pseudo_header_sum(src, IpAddr::V4(crate::MULTICAST_V4), len),
    }
}

/// True if the VRRP `message` (checksum field included) verifies in `form` when sent from
/// `src` to `dst`. [`crate::decode`] does this as part of its checks; this is the bare
/// checksum, for tools and benchmarks.
pub fn verify_checksum(message: &[u8], src: IpAddr, dst: IpAddr, form: ChecksumForm) -> bool {
    initial_sum(form, src, dst, message.len()).is_some_and(|initial| verifies(initial, message))
}

/// The checksum field value for `message` (whose checksum bytes must be zero), starting
/// from `initial` (0, or a pseudo-header sum). Used by emit.
pub(crate) fn compute(initial: u32, message: &[u8]) -> u16 {
    !fold(sum16(initial, message))
}

/// True if `message`, checksum field included, sums to all ones with `initial`. Used by
/// receive: it never rewrites the packet.
pub(crate) fn verifies(initial: u32, message: &[u8]) -> bool {
    sums_to_ones(initial, sum16(0, message))
}

/// True if a message whose own sum is `message_sum` verifies with `initial`: lets a
/// receiver try several pseudo-headers while summing the message once.
#[inline]
pub(crate) fn sums_to_ones(initial: u32, message_sum: u32) -> bool {
    let total = u64::from(initial) + u64::from(message_sum);
    let total = (total & 0xffff_ffff) + (total >> 32);
    fold(total as u32) == 0xffff
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

    /// Plain 16-bit reference sum, to check the 32-bit-word fast path against.
    fn reference(data: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        for (i, b) in data.iter().enumerate() {
            sum += u64::from(*b) << if i % 2 == 0 { 8 } else { 0 };
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    #[test]
    fn word_sum_matches_a_plain_16_bit_sum_at_every_length() {
        let mut data = [0u8; 1500];
        let mut x: u32 = 0x1234_5678;
        for b in data.iter_mut() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
        for n in 0..64 {
            assert_eq!(fold(sum16(0, &data[..n])), reference(&data[..n]), "len {n}");
        }
        assert_eq!(fold(sum16(0, &data)), reference(&data));
        // All ones: the 32-bit accumulation must carry, not wrap.
        let ones = [0xffu8; 1500];
        assert_eq!(fold(sum16(0xffff_ffff, &ones)), 0xffff);
        assert_eq!(fold(sum16(0, &ones[..3])), reference(&ones[..3]));
    }

    #[test]
    fn pseudo_header_sums_match_the_rfc_layouts() {
        use core::net::{Ipv4Addr, Ipv6Addr};
        let (s4, d4) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(224, 0, 0, 18));
        let mut p4 = [0u8; 12];
        p4[..4].copy_from_slice(&s4.octets());
        p4[4..8].copy_from_slice(&d4.octets());
        p4[9] = 112;
        p4[10..12].copy_from_slice(&20u16.to_be_bytes());
        let got = pseudo_header_sum(IpAddr::V4(s4), IpAddr::V4(d4), 20).unwrap();
        assert_eq!(fold(got), reference(&p4));

        let s6: Ipv6Addr = "fe80::1".parse().unwrap();
        let d6: Ipv6Addr = "ff02::12".parse().unwrap();
        let mut p6 = [0u8; 40];
        p6[..16].copy_from_slice(&s6.octets());
        p6[16..32].copy_from_slice(&d6.octets());
        p6[32..36].copy_from_slice(&0x0001_0018u32.to_be_bytes());
        p6[39] = 112;
        let got = pseudo_header_sum(IpAddr::V6(s6), IpAddr::V6(d6), 0x0001_0018).unwrap();
        assert_eq!(fold(got), reference(&p6));
        assert_eq!(pseudo_header_sum(IpAddr::V4(s4), IpAddr::V6(d6), 20), None);
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
