//! Arbitrary bytes through the IP-layer checks and the VRRP decoder, both families.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use vrrp_proto::{decode, ip, ChecksumPolicy};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = ip::parse_ipv4(data) {
        let _ = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
    }
    if let Ok(r) = ip::parse_ipv6(data) {
        let _ = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
    }
    let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let g4 = IpAddr::V4(vrrp_proto::MULTICAST_V4);
    let v6 = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
    let g6 = IpAddr::V6(vrrp_proto::MULTICAST_V6);
    if let Ok(d) = decode(data, v4, g4, ChecksumPolicy::Either) {
        // Whatever decodes must re-emit to a packet that decodes to the same advert.
        let mut buf = [0u8; 2048];
        let n = d
            .advert
            .emit(&mut buf, v4, g4, d.checksum_form)
            .expect("re-emit");
        let again = decode(&buf[..n], v4, g4, ChecksumPolicy::Either).expect("re-decode");
        assert_eq!(again.advert, d.advert);
    }
    let _ = decode(data, v6, g6, ChecksumPolicy::Either);
});
