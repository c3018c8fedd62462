//! What a new master announces: gratuitous ARP (RFC 5227 §3, RFC 9568 §6.4.1) and
//! unsolicited neighbour advertisements (RFC 4861 §7.2.6), as whole Ethernet frames for a
//! packet socket, and the virtual MACs (RFC 9568 §7.3).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::{checksum, EmitError, Family, Vrid, REQUIRED_TTL};

/// Bytes of a gratuitous ARP frame: Ethernet header (14) + ARP (28), unpadded.
/// keepalived 2.2.7 sends the same 42 bytes (captured over a veth pair, see
/// tests/vectors/keepalived/garp_*.vec); padding to Ethernet's 60-byte minimum is left to
/// the NIC / driver, as for keepalived.
pub const ARP_FRAME_LEN: usize = 42;
/// Bytes of an unsolicited NA frame: Ethernet (14) + IPv6 (40) + NA with one option (32).
pub const NA_FRAME_LEN: usize = 86;

const ETH_BROADCAST: [u8; 6] = [0xff; 6];
/// 33:33 + low 32 bits of ff02::1 (RFC 2464 §7).
const ETH_ALL_NODES: [u8; 6] = [0x33, 0x33, 0, 0, 0, 1];
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const ICMPV6: u8 = 58;
const NA_LEN: usize = 32;

/// RFC 9568 §7.3: the virtual router MAC, 00-00-5E-00-01-{VRID} for IPv4 and
/// 00-00-5E-00-02-{VRID} for IPv6.
pub fn virtual_mac(family: Family, vrid: Vrid) -> [u8; 6] {
    let kind = match family {
        Family::V4 => 1,
        Family::V6 => 2,
    };
    [0x00, 0x00, 0x5e, 0x00, kind, vrid.get()]
}

fn ensure(buf: &[u8], needed: usize) -> Result<(), EmitError> {
    if buf.len() < needed {
        Err(EmitError::BufferTooSmall {
            needed,
            got: buf.len(),
        })
    } else {
        Ok(())
    }
}

fn ethernet(buf: &mut [u8], dst: [u8; 6], src: [u8; 6], ethertype: u16) {
    buf[0..6].copy_from_slice(&dst);
    buf[6..12].copy_from_slice(&src);
    buf[12..14].copy_from_slice(&ethertype.to_be_bytes());
}

/// A gratuitous ARP for `ip` from `src_mac`: broadcast ARP request whose sender and target
/// protocol addresses are both `ip` (RFC 5227 §3 "ARP Announcement"), target hardware
/// address all-ones, as keepalived sends it. Returns [`ARP_FRAME_LEN`].
pub fn gratuitous_arp(buf: &mut [u8], src_mac: [u8; 6], ip: Ipv4Addr) -> Result<usize, EmitError> {
    ensure(buf, ARP_FRAME_LEN)?;
    let f = &mut buf[..ARP_FRAME_LEN];
    ethernet(f, ETH_BROADCAST, src_mac, 0x0806);
    let a = &mut f[14..];
    a[0..2].copy_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    a[2..4].copy_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    a[4] = 6;
    a[5] = 4;
    a[6..8].copy_from_slice(&1u16.to_be_bytes()); // request
    a[8..14].copy_from_slice(&src_mac);
    a[14..18].copy_from_slice(&ip.octets());
    a[18..24].copy_from_slice(&ETH_BROADCAST);
    a[24..28].copy_from_slice(&ip.octets());
    Ok(ARP_FRAME_LEN)
}

/// An unsolicited neighbour advertisement for `target` from `src_mac` (RFC 4861 §7.2.6):
/// to ff02::1 (33:33:00:00:00:01), source `target`, hop limit 255, Override flag set,
/// Router flag as given, with a target link-layer address option. Returns [`NA_FRAME_LEN`].
pub fn unsolicited_na(
    buf: &mut [u8],
    src_mac: [u8; 6],
    target: Ipv6Addr,
    router: bool,
) -> Result<usize, EmitError> {
    ensure(buf, NA_FRAME_LEN)?;
    let f = &mut buf[..NA_FRAME_LEN];
    ethernet(f, ETH_ALL_NODES, src_mac, 0x86dd);
    let ip = &mut f[14..54];
    ip[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
    ip[4..6].copy_from_slice(&(NA_LEN as u16).to_be_bytes());
    ip[6] = ICMPV6;
    ip[7] = REQUIRED_TTL;
    ip[8..24].copy_from_slice(&target.octets());
    ip[24..40].copy_from_slice(&ALL_NODES.octets());
    let na = &mut f[54..];
    na[0] = 136; // Neighbor Advertisement
    na[1] = 0;
    na[2..4].fill(0);
    na[4] = if router { 0xa0 } else { 0x20 }; // R, S=0, O
    na[5..8].fill(0);
    na[8..24].copy_from_slice(&target.octets());
    na[24] = 2; // target link-layer address
    na[25] = 1; // 8 bytes
    na[26..32].copy_from_slice(&src_mac);
    let initial = icmpv6_pseudo_sum(target, ALL_NODES, NA_LEN);
    let sum = checksum::compute(initial, na);
    na[2..4].copy_from_slice(&sum.to_be_bytes());
    Ok(NA_FRAME_LEN)
}

/// RFC 8200 §8.1 pseudo-header for ICMPv6 (next header 58).
fn icmpv6_pseudo_sum(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> u32 {
    // Length and next header first: sum16 carries in 64 bits, a later u32 add could not.
    let initial = len as u32 + u32::from(ICMPV6);
    checksum::sum16(checksum::sum16(initial, &src.octets()), &dst.octets())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

    #[test]
    fn virtual_macs() {
        let vrid = Vrid::new(51).unwrap();
        assert_eq!(virtual_mac(Family::V4, vrid), [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(virtual_mac(Family::V6, vrid), [0, 0, 0x5e, 0, 2, 51]);
    }

    #[test]
    fn garp_layout() {
        let mut buf = [0u8; 64];
        let n = gratuitous_arp(&mut buf, MAC, Ipv4Addr::new(192, 0, 2, 10)).unwrap();
        assert_eq!(n, ARP_FRAME_LEN);
        let expected: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, // ethernet
            0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 10, // sender
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 192, 0, 2, 10, // target
        ];
        assert_eq!(&buf[..n], &expected[..]);
        assert_eq!(
            gratuitous_arp(&mut buf[..41], MAC, Ipv4Addr::new(192, 0, 2, 10)),
            Err(EmitError::BufferTooSmall {
                needed: 42,
                got: 41
            })
        );
    }

    #[test]
    fn na_checksum_verifies_independently() {
        let mut buf = [0u8; NA_FRAME_LEN];
        let target: Ipv6Addr = "2001:db8::10".parse().unwrap();
        unsolicited_na(&mut buf, MAC, target, false).unwrap();
        // Verify with a separate sum over pseudo-header + message: must be all ones.
        let mut pseudo = [0u8; 40];
        pseudo[..16].copy_from_slice(&target.octets());
        pseudo[16..32].copy_from_slice(&ALL_NODES.octets());
        pseudo[35] = 32;
        pseudo[39] = 58;
        let total = checksum::sum16(checksum::sum16(0, &pseudo), &buf[54..]);
        assert_eq!(checksum::fold(total), 0xffff);
        assert_eq!(buf[54], 136);
        assert_eq!(buf[58], 0x20);
        assert_eq!(&buf[0..6], &ETH_ALL_NODES);
        assert_eq!(buf[21], 255);
    }
}
