//! Gratuitous ARP and unsolicited NA, captured by an AF_PACKET receiver in the peer namespace.
mod common;

use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::*;
use socket2::{Domain, Protocol, Socket, Type};
use vrrp_net::{Announcer, Netlink};
use vrrp_proto::{virtual_mac, Family, Vrid};

const ETH_P_ALL: u16 = 0x0003;

/// An AF_PACKET receiver for every frame in the calling thread's namespace.
fn sniffer() -> Socket {
    let s = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))),
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s
}

/// Read frames until `done` returns true; fails after `WAIT`.
fn capture(mut sock: &Socket, mut done: impl FnMut(&[u8]) -> bool) {
    let end = Instant::now() + WAIT;
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        match sock.read(&mut buf) {
            Ok(n) if done(&buf[..n]) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("recv: {e}"),
        }
    }
    panic!("expected frame not seen within {WAIT:?}");
}

#[test]
fn gratuitous_arp_and_unsolicited_na_reach_the_peer() {
    let Some(lab) = lab("ann") else { return };
    let vip4 = Ipv4Addr::new(192, 0, 2, 100);
    let vip6: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let vrid = Vrid::new(51).unwrap();
    let vmac4 = virtual_mac(Family::V4, vrid);
    let (mut ann, real_mac) = in_ns(&lab.a, || {
        let link = Netlink::open().unwrap().link_by_name(A_IF).unwrap();
        let mac: [u8; 6] = link.mac.as_slice().try_into().unwrap();
        (Announcer::open(A_IF, link.ifindex).unwrap(), mac)
    });
    let sniff = in_ns(&lab.b, sniffer);

    ann.gratuitous_arp(vmac4, vip4).unwrap();
    capture(&sniff, |f| {
        if f.len() < 42 || f[12..14] != [0x08, 0x06] {
            return false;
        }
        assert_eq!(&f[0..6], &[0xff; 6], "broadcast");
        assert_eq!(&f[6..12], &vmac4, "from the virtual MAC");
        let arp = &f[14..];
        assert_eq!(&arp[8..14], &vmac4, "sender MAC");
        assert_eq!(&arp[14..18], &vip4.octets(), "sender IP = VIP");
        assert_eq!(&arp[24..28], &vip4.octets(), "target IP = VIP");
        true
    });

    // Without use_vmac keepalived announces from the interface's real MAC.
    ann.unsolicited_na(real_mac, vip6).unwrap();
    capture(&sniff, |f| {
        // Ethernet IPv6, next header ICMPv6, type 136 (Neighbor Advertisement).
        if f.len() < 78 || f[12..14] != [0x86, 0xdd] || f[20] != 58 || f[54] != 136 {
            return false;
        }
        assert_eq!(&f[6..12], &real_mac);
        assert_eq!(f[21], 255, "hop limit 255");
        let dst: [u8; 16] = f[38..54].try_into().unwrap();
        assert_eq!(Ipv6Addr::from(dst), "ff02::1".parse::<Ipv6Addr>().unwrap());
        let target: [u8; 16] = f[62..78].try_into().unwrap();
        assert_eq!(Ipv6Addr::from(target), vip6, "NA target = VIP");
        true
    });
}
