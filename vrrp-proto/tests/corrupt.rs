//! Each corrupted field of a valid packet gives its own error.
//!
//! The valid packets are literal bytes built by scapy (not by our encoder). After a VRRP
//! field is changed the checksum is recomputed here, by a plain 16-bit one's-complement sum
//! written independently of the crate's, so that the check under test is reached rather
//! than the checksum check; one test leaves the checksum stale on purpose.

use std::net::{IpAddr, Ipv6Addr};

use vrrp_proto::{
    decode, ip, ChecksumForm, ChecksumPolicy, Counter, Error, Family, GlobalCounter, RouterCounter,
};

/// VRRPv2, simple password "secret":
/// `IP(src='192.0.2.1', dst='224.0.0.18', ttl=255, tos=0xc0, id=0)/VRRP(vrid=51,
///  priority=100, addrlist=['192.0.2.100'], authtype=1, auth1=int.from_bytes(b'secr','big'),
///  auth2=int.from_bytes(b'et\0\0','big'))`
const V2_PASS: &str =
    "45c0002800000000ff701892c0000201e00000122133640101017b19c00002647365637265740000";

/// VRRPv3 over IPv4, pseudo-header checksum (scapy's form):
/// `IP(src='192.0.2.1', dst='224.0.0.18', ttl=255, tos=0xc0, id=0)/VRRPv3(vrid=51,
///  priority=100, adv=100, addrlist=['192.0.2.100', '192.0.2.101'])`
const V3_IPV4: &str = "45c0002400000000ff701896c0000201e00000123133640200644307c0000264c0000265";

/// VRRPv3 over IPv6:
/// `IPv6(src='fe80::1', dst='ff02::12', hlim=255)/VRRPv3(vrid=51, priority=100, adv=100,
///  addrlist=['2001:db8::100'])`
const V3_IPV6: &str = "60000000001870fffe800000000000000000000000000001ff0200000000000000000000000000123133640100643d8f20010db8000000000000000000000100";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Independent reference: one's-complement sum of 16-bit big-endian words, folded.
fn ones_sum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut i = 0;
        while i < part.len() {
            let hi = u64::from(part[i]) << 8;
            let lo = part.get(i + 1).copied().map_or(0, u64::from);
            sum += hi | lo;
            i += 2;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Offset of the VRRP message in a whole IP packet.
fn vrrp_offset(pkt: &[u8]) -> usize {
    if pkt[0] >> 4 == 4 {
        usize::from(pkt[0] & 0x0f) * 4
    } else {
        40
    }
}

/// Recompute the VRRP checksum the way scapy built it: v2 over the message, v3/IPv4 with
/// the RFC 768 pseudo-header, v3/IPv6 with the RFC 8200 §8.1 pseudo-header.
fn fix_checksum(pkt: &mut [u8]) {
    let at = vrrp_offset(pkt);
    let (hdr, msg) = pkt.split_at_mut(at);
    msg[6] = 0;
    msg[7] = 0;
    let len = msg.len();
    let sum = if hdr[0] >> 4 == 6 {
        let pseudo_tail = [
            (len >> 24) as u8,
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            0,
            0,
            0,
            112,
        ];
        ones_sum(&[&hdr[8..40], &pseudo_tail, msg])
    } else if msg[0] >> 4 == 3 {
        let pseudo_tail = [0, 112, (len >> 8) as u8, len as u8];
        ones_sum(&[&hdr[12..20], &pseudo_tail, msg])
    } else {
        ones_sum(&[msg])
    };
    msg[6..8].copy_from_slice(&(!sum).to_be_bytes());
}

/// The receive path: IP checks, then decode accepting any checksum form.
fn receive(pkt: &[u8]) -> Result<ChecksumForm, Error> {
    let r = if pkt.first().map(|b| b >> 4) == Some(6) {
        ip::parse_ipv6(pkt)?
    } else {
        ip::parse_ipv4(pkt)?
    };
    decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).map(|d| d.checksum_form)
}

/// Change VRRP byte `i` with `f`, fix the checksum, receive.
fn with_vrrp_byte(packet: &str, i: usize, f: impl Fn(u8) -> u8) -> Result<ChecksumForm, Error> {
    let mut pkt = hex(packet);
    let at = vrrp_offset(&pkt) + i;
    pkt[at] = f(pkt[at]);
    fix_checksum(&mut pkt);
    receive(&pkt)
}

/// Change IP header byte `i`, receive (the IPv4 header checksum is the kernel's business).
fn with_ip_byte(packet: &str, i: usize, value: u8) -> Result<ChecksumForm, Error> {
    let mut pkt = hex(packet);
    pkt[i] = value;
    receive(&pkt)
}

const ALL: [&str; 3] = [V2_PASS, V3_IPV4, V3_IPV6];

#[test]
fn the_scapy_packets_are_valid_and_our_reference_checksum_agrees() {
    assert_eq!(receive(&hex(V2_PASS)), Ok(ChecksumForm::MessageOnly));
    assert_eq!(receive(&hex(V3_IPV4)), Ok(ChecksumForm::PseudoHeader));
    assert_eq!(receive(&hex(V3_IPV6)), Ok(ChecksumForm::PseudoHeader));
    for p in ALL {
        let original = hex(p);
        let mut fixed = original.clone();
        fix_checksum(&mut fixed);
        assert_eq!(fixed, original, "test-side checksum must reproduce scapy's");
    }
}

#[test]
fn version() {
    for p in ALL {
        assert_eq!(
            with_vrrp_byte(p, 0, |b| (b & 0x0f) | 0x40),
            Err(Error::Version(4))
        );
        assert_eq!(with_vrrp_byte(p, 0, |b| b & 0x0f), Err(Error::Version(0)));
    }
    // RFC 3768: VRRPv2 is IPv4 only.
    assert_eq!(
        with_vrrp_byte(V3_IPV6, 0, |b| (b & 0x0f) | 0x20),
        Err(Error::V2OverIpv6)
    );
}

#[test]
fn message_type() {
    for p in ALL {
        assert_eq!(
            with_vrrp_byte(p, 0, |b| (b & 0xf0) | 2),
            Err(Error::Type(2))
        );
        assert_eq!(with_vrrp_byte(p, 0, |b| b & 0xf0), Err(Error::Type(0)));
    }
}

#[test]
fn vrid_zero() {
    for p in ALL {
        assert_eq!(with_vrrp_byte(p, 1, |_| 0), Err(Error::VridZero));
    }
}

#[test]
fn count_disagreeing_with_length() {
    let cases = [
        (V2_PASS, 40, Family::V4),
        (V3_IPV4, 36, Family::V4),
        (V3_IPV6, 64, Family::V6),
    ];
    for (p, ip_len, family) in cases {
        let pkt = hex(p);
        let vrrp_len = ip_len - vrrp_offset(&pkt);
        let original = pkt[vrrp_offset(&pkt) + 3];
        for count in [0u8, 1, 2, 3, 255] {
            if count == original {
                continue;
            }
            assert_eq!(
                with_vrrp_byte(p, 3, |_| count),
                Err(Error::Length {
                    count,
                    len: vrrp_len,
                    family
                }),
                "count {count}"
            );
        }
    }
}

#[test]
fn count_zero_in_a_header_only_message() {
    // v3 with count 0 and no addresses: the length fits, the count does not (RFC 9568
    // §5.2.5, erratum 8299).
    let mut pkt = hex(V3_IPV4);
    pkt.truncate(28);
    pkt[3] = 28; // IPv4 total length
    pkt[20 + 3] = 0;
    fix_checksum(&mut pkt);
    assert_eq!(receive(&pkt), Err(Error::NoAddresses));
}

#[test]
fn count_zero_is_taken_from_vrrpv2_as_keepalived_sends_it() {
    // keepalived 2.2.7 runs a VRRPv2 instance without VIPs: count 0, no address.
    let mut pkt = hex(V2_PASS);
    pkt.drain(28..32);
    pkt[3] = 36; // IPv4 total length
    pkt[20 + 3] = 0;
    fix_checksum(&mut pkt);
    assert!(receive(&pkt).is_ok(), "{:?}", receive(&pkt));
}

#[test]
fn checksum() {
    for p in ALL {
        let mut pkt = hex(p);
        let at = vrrp_offset(&pkt) + 7;
        pkt[at] ^= 0x01;
        assert_eq!(receive(&pkt), Err(Error::Checksum));
        // A changed field with the checksum left as it was.
        let mut pkt = hex(p);
        let at = vrrp_offset(&pkt) + 2;
        pkt[at] ^= 0x80;
        assert_eq!(receive(&pkt), Err(Error::Checksum));
    }
}

#[test]
fn v3_ipv4_checksum_forms_follow_the_policy() {
    let pkt = hex(V3_IPV4);
    let r = ip::parse_ipv4(&pkt).unwrap();
    let only = |f| decode(r.payload, r.src, r.dst, ChecksumPolicy::Only(f)).map(|_| ());
    assert_eq!(only(ChecksumForm::PseudoHeader), Ok(()));
    assert_eq!(only(ChecksumForm::MessageOnly), Err(Error::Checksum));
    // The same message with a message-only checksum (keepalived vrrp_v3_checksum_as_v2).
    let mut msg = r.payload.to_vec();
    msg[6..8].fill(0);
    let sum = !ones_sum(&[&msg]);
    msg[6..8].copy_from_slice(&sum.to_be_bytes());
    let d = decode(&msg, r.src, r.dst, ChecksumPolicy::Either).unwrap();
    assert_eq!(d.checksum_form, ChecksumForm::MessageOnly);
    assert_eq!(
        decode(
            &msg,
            r.src,
            r.dst,
            ChecksumPolicy::Only(ChecksumForm::PseudoHeader)
        ),
        Err(Error::Checksum)
    );
}

#[test]
fn v2_auth_type() {
    assert_eq!(
        with_vrrp_byte(V2_PASS, 4, |_| 2),
        Err(Error::AuthAhUnsupported)
    );
    assert_eq!(
        with_vrrp_byte(V2_PASS, 4, |_| 3),
        Err(Error::AuthTypeUnknown(3))
    );
    assert_eq!(
        with_vrrp_byte(V2_PASS, 4, |_| 255),
        Err(Error::AuthTypeUnknown(255))
    );
    assert_eq!(
        with_vrrp_byte(V2_PASS, 4, |_| 0),
        Ok(ChecksumForm::MessageOnly)
    );
}

#[test]
fn interval_zero() {
    assert_eq!(with_vrrp_byte(V2_PASS, 5, |_| 0), Err(Error::IntervalZero));
    for p in [V3_IPV4, V3_IPV6] {
        let mut pkt = hex(p);
        let at = vrrp_offset(&pkt);
        pkt[at + 4] = 0xf0; // reserved bits set, interval 0
        pkt[at + 5] = 0;
        fix_checksum(&mut pkt);
        assert_eq!(receive(&pkt), Err(Error::IntervalZero));
    }
}

#[test]
fn ttl_and_hop_limit() {
    assert_eq!(with_ip_byte(V2_PASS, 8, 64), Err(Error::TtlNot255(64)));
    assert_eq!(with_ip_byte(V3_IPV4, 8, 254), Err(Error::TtlNot255(254)));
    assert_eq!(with_ip_byte(V3_IPV6, 7, 1), Err(Error::TtlNot255(1)));
    // The raw-socket path: hop limit from ancillary data.
    let pkt = hex(V3_IPV6);
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    assert_eq!(
        ip::check_ipv6(&pkt[40..], src, vrrp_proto::MULTICAST_V6, 64),
        Err(Error::TtlNot255(64))
    );
}

#[test]
fn protocol() {
    assert_eq!(with_ip_byte(V2_PASS, 9, 17), Err(Error::NotVrrp(17)));
    assert_eq!(with_ip_byte(V3_IPV4, 9, 51), Err(Error::NotVrrp(51)));
    assert_eq!(with_ip_byte(V3_IPV6, 6, 0), Err(Error::NotVrrp(0)));
}

#[test]
fn ip_version() {
    let mut pkt = hex(V2_PASS);
    pkt[0] = 0x65;
    assert_eq!(ip::parse_ipv4(&pkt), Err(Error::IpVersion(6)));
    let mut pkt = hex(V3_IPV6);
    pkt[0] = 0x40;
    assert_eq!(ip::parse_ipv6(&pkt), Err(Error::IpVersion(4)));
}

#[test]
fn ihl() {
    for ihl in 0..5 {
        assert_eq!(
            with_ip_byte(V2_PASS, 0, 0x40 | ihl),
            Err(Error::IpHeaderLength(ihl))
        );
    }
    // IHL 15 (60 bytes) in a 40-byte datagram.
    assert_eq!(
        with_ip_byte(V2_PASS, 0, 0x4f),
        Err(Error::IpHeaderLength(15))
    );
    // IHL 6 with a router-alert option inserted is valid: the option is skipped.
    let orig = hex(V2_PASS);
    let mut pkt = orig[..20].to_vec();
    pkt.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
    pkt.extend_from_slice(&orig[20..]);
    pkt[0] = 0x46;
    pkt[3] = 44;
    assert_eq!(receive(&pkt), Ok(ChecksumForm::MessageOnly));
    // IHL 6 without the option bytes: the VRRP message is read 4 bytes late, starting at
    // the auth type byte (0x01 -> version 0).
    let mut pkt = orig.clone();
    pkt[0] = 0x46;
    assert_eq!(receive(&pkt), Err(Error::Version(0)));
}

#[test]
fn ipv4_total_length() {
    assert_eq!(
        with_ip_byte(V2_PASS, 3, 41),
        Err(Error::IpTotalLength {
            declared: 41,
            got: 40
        })
    );
    assert_eq!(
        with_ip_byte(V2_PASS, 3, 19),
        Err(Error::IpTotalLength {
            declared: 19,
            got: 40
        })
    );
    // Shorter than the buffer (link padding beyond it is ignored) but cutting the advert.
    assert_eq!(
        with_ip_byte(V2_PASS, 3, 39),
        Err(Error::Length {
            count: 1,
            len: 19,
            family: Family::V4
        })
    );
    // Ethernet padding after a valid datagram is ignored.
    let mut pkt = hex(V3_IPV4);
    pkt.resize(46, 0);
    assert_eq!(receive(&pkt), Ok(ChecksumForm::PseudoHeader));
}

#[test]
fn ipv6_payload_length() {
    let mut pkt = hex(V3_IPV6);
    pkt[5] += 1;
    assert_eq!(
        receive(&pkt),
        Err(Error::IpTotalLength {
            declared: 65,
            got: 64
        })
    );
    let mut pkt = hex(V3_IPV6);
    pkt[5] -= 1;
    assert_eq!(
        receive(&pkt),
        Err(Error::Length {
            count: 1,
            len: 23,
            family: Family::V6
        })
    );
}

#[test]
fn fragment() {
    assert_eq!(with_ip_byte(V2_PASS, 6, 0x20), Err(Error::IpFragment));
    assert_eq!(with_ip_byte(V2_PASS, 7, 0x01), Err(Error::IpFragment));
    // Don't Fragment alone is fine.
    assert_eq!(
        with_ip_byte(V2_PASS, 6, 0x40),
        Ok(ChecksumForm::MessageOnly)
    );
}

#[test]
fn truncation_at_every_length_is_a_length_error() {
    for p in ALL {
        let pkt = hex(p);
        let at = vrrp_offset(&pkt);
        // The whole datagram cut short: the IP layer refuses it.
        for n in 0..pkt.len() {
            let err = receive(&pkt[..n]).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Truncated { .. }
                        | Error::IpTotalLength { .. }
                        | Error::IpHeaderLength(_)
                ),
                "{n}: {err:?}"
            );
        }
        // The VRRP message cut short (as a raw socket would hand it over).
        let r = if at == 40 {
            ip::parse_ipv6(&pkt).unwrap()
        } else {
            ip::parse_ipv4(&pkt).unwrap()
        };
        for n in 0..r.payload.len() {
            let err = decode(&r.payload[..n], r.src, r.dst, ChecksumPolicy::Either).unwrap_err();
            if n < 8 {
                assert_eq!(err, Error::Truncated { needed: 8, got: n });
            } else {
                assert!(
                    matches!(err, Error::Length { len, .. } if len == n),
                    "{n}: {err:?}"
                );
            }
            assert_eq!(
                err.counter(),
                Counter::Router(RouterCounter::PacketLengthErrors)
            );
        }
    }
}

#[test]
fn each_error_counts_where_the_rfcs_say() {
    let v4 = |p: &str, i, f: fn(u8) -> u8| with_vrrp_byte(p, i, f).unwrap_err().counter();
    use Counter::{Global, Router};
    assert_eq!(
        v4(V2_PASS, 0, |b| b | 0xf0),
        Global(GlobalCounter::VersionErrors)
    );
    assert_eq!(v4(V2_PASS, 1, |_| 0), Global(GlobalCounter::VridErrors));
    assert_eq!(
        v4(V2_PASS, 0, |b| b ^ 3),
        Router(RouterCounter::InvalidTypePktsRcvd)
    );
    // RFC 2787: AH (2) is a known type that differs from the configured one: a mismatch;
    // only unknown types are invalid.
    assert_eq!(
        v4(V2_PASS, 4, |_| 2),
        Router(RouterCounter::AuthTypeMismatch)
    );
    assert_eq!(
        v4(V2_PASS, 4, |_| 7),
        Router(RouterCounter::InvalidAuthType)
    );
    assert_eq!(v4(V2_PASS, 5, |_| 0), Router(RouterCounter::IntervalErrors));
    assert_eq!(
        v4(V3_IPV4, 3, |_| 1),
        Router(RouterCounter::PacketLengthErrors)
    );
    let mut pkt = hex(V3_IPV4);
    pkt[27] ^= 1;
    assert_eq!(
        receive(&pkt).unwrap_err().counter(),
        Global(GlobalCounter::ChecksumErrors)
    );
    assert_eq!(
        with_ip_byte(V2_PASS, 8, 1).unwrap_err().counter(),
        Global(GlobalCounter::IpTtlErrors)
    );
    // Source and destination of different families have no pseudo-header.
    let pkt = hex(V3_IPV4);
    let r = ip::parse_ipv4(&pkt).unwrap();
    let v6 = IpAddr::V6(vrrp_proto::MULTICAST_V6);
    assert_eq!(
        decode(
            r.payload,
            r.src,
            v6,
            ChecksumPolicy::Only(ChecksumForm::PseudoHeader)
        ),
        Err(Error::Checksum)
    );
}
