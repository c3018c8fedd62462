//! Properties: emit→decode round trip for arbitrary valid adverts; decoding arbitrary bytes
//! never panics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use vrrp_proto::ip;
use vrrp_proto::{
    decode, Addresses, Advertisement, Auth, Centiseconds, ChecksumForm, ChecksumPolicy, Priority,
    Seconds, VersionFields, Vrid, VrrpPacket,
};

#[derive(Debug, Clone)]
struct Case {
    vrid: u8,
    priority: u8,
    fields: VersionFields,
    v4: Vec<Ipv4Addr>,
    v6: Vec<Ipv6Addr>,
    src: IpAddr,
    dst: IpAddr,
    form: ChecksumForm,
}

fn form() -> impl Strategy<Value = ChecksumForm> {
    prop_oneof![
        Just(ChecksumForm::MessageOnly),
        Just(ChecksumForm::PseudoHeader),
        Just(ChecksumForm::OldUnicast),
    ]
}

fn v2_case() -> impl Strategy<Value = Case> {
    (
        1u8..=255,
        any::<u8>(),
        1u8..=255,
        prop::option::of(any::<[u8; 8]>()),
        prop::collection::vec(any::<u32>().prop_map(Ipv4Addr::from), 1..=40),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(vrid, priority, secs, pw, v4, s, d)| Case {
            vrid,
            priority,
            fields: VersionFields::V2 {
                interval: Seconds(secs),
                auth: pw.map_or(Auth::None, Auth::SimplePassword),
            },
            v4,
            v6: Vec::new(),
            src: IpAddr::V4(Ipv4Addr::from(s)),
            dst: IpAddr::V4(Ipv4Addr::from(d)),
            form: ChecksumForm::MessageOnly,
        })
}

fn v3_case() -> impl Strategy<Value = Case> {
    (
        1u8..=255,
        any::<u8>(),
        1u16..=0x0fff,
        any::<bool>(),
        prop::collection::vec(any::<u32>().prop_map(Ipv4Addr::from), 1..=40),
        prop::collection::vec(any::<u128>().prop_map(Ipv6Addr::from), 1..=20),
        (any::<u128>(), any::<u128>()),
        form(),
    )
        .prop_map(|(vrid, priority, cs, ipv6, v4, v6, (s, d), form)| {
            let (src, dst) = if ipv6 {
                (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)))
            } else {
                (
                    IpAddr::V4(Ipv4Addr::from(s as u32)),
                    IpAddr::V4(Ipv4Addr::from(d as u32)),
                )
            };
            Case {
                vrid,
                priority,
                fields: VersionFields::V3 {
                    interval: Centiseconds::new(cs).unwrap(),
                },
                v4: if ipv6 { Vec::new() } else { v4 },
                v6: if ipv6 { v6 } else { Vec::new() },
                src,
                dst,
                form,
            }
        })
}

proptest! {
    #[test]
    fn emit_then_decode_round_trips(case in prop_oneof![v2_case(), v3_case()]) {
        let addresses = if case.v6.is_empty() {
            Addresses::V4(&case.v4)
        } else {
            Addresses::V6(&case.v6)
        };
        let advert = Advertisement {
            vrid: Vrid::new(case.vrid).unwrap(),
            priority: Priority(case.priority),
            fields: case.fields,
            addresses,
        };
        let mut buf = [0u8; 1024];
        let n = advert.emit(&mut buf, case.src, case.dst, case.form).unwrap();
        prop_assert_eq!(n, advert.buffer_len());
        let d = decode(&buf[..n], case.src, case.dst, ChecksumPolicy::Either).unwrap();
        prop_assert_eq!(d.advert, advert);
        // The form sent is accepted on its own (v3/IPv4, where it is a choice).
        if matches!(case.fields, VersionFields::V3 { .. }) && case.src.is_ipv4() {
            let only = decode(&buf[..n], case.src, case.dst, ChecksumPolicy::Only(case.form));
            prop_assert!(only.is_ok());
        }
        // Too small a buffer says how much is needed.
        let err = advert.emit(&mut buf[..n - 1], case.src, case.dst, case.form).unwrap_err();
        prop_assert_eq!(
            err,
            vrrp_proto::EmitError::BufferTooSmall { needed: n, got: n - 1 }
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600),
                                   s in any::<u128>(), d in any::<u128>(), hop in any::<u8>()) {
        let _ = ip::parse_ipv4(&bytes);
        let _ = ip::parse_ipv6(&bytes);
        let v6 = |x: u128| IpAddr::V6(Ipv6Addr::from(x));
        let v4 = |x: u128| IpAddr::V4(Ipv4Addr::from(x as u32));
        for policy in [ChecksumPolicy::Either, ChecksumPolicy::Only(ChecksumForm::MessageOnly)] {
            let _ = decode(&bytes, v4(s), v4(d), policy);
            let _ = decode(&bytes, v6(s), v6(d), policy);
        }
        if let Ok(r) = ip::check_ipv6(&bytes, Ipv6Addr::from(s), Ipv6Addr::from(d), hop) {
            let _ = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
        }
        if let Ok(p) = VrrpPacket::new_checked(&bytes[..]) {
            let _ = (p.version(), p.msg_type(), p.vrid(), p.priority(), p.count());
            let _ = (p.auth_type(), p.interval_v2(), p.interval_v3(), p.checksum(), p.payload());
        }
    }

    /// Any single corrupted byte of a valid advert is rejected: a one's-complement checksum
    /// catches every error confined to one byte, and the other checks come first or after.
    #[test]
    fn a_corrupted_byte_is_always_rejected(v3 in any::<bool>(), pos in 0usize..64, mask in 1u8..=255) {
        let vips = [Ipv4Addr::new(192, 0, 2, 10), Ipv4Addr::new(192, 0, 2, 11)];
        let fields = if v3 {
            VersionFields::V3 { interval: Centiseconds::new(100).unwrap() }
        } else {
            VersionFields::V2 { interval: Seconds(1), auth: Auth::password(b"secret") }
        };
        let advert = Advertisement {
            vrid: Vrid::new(7).unwrap(),
            priority: Priority(100),
            fields,
            addresses: Addresses::V4(&vips),
        };
        let (src, dst) = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(vrrp_proto::MULTICAST_V4));
        let mut buf = [0u8; 64];
        let n = advert.emit(&mut buf, src, dst, ChecksumForm::PseudoHeader).unwrap();
        prop_assert!(decode(&buf[..n], src, dst, ChecksumPolicy::Either).is_ok());
        buf[pos % n] ^= mask;
        let policy = ChecksumPolicy::Only(ChecksumForm::PseudoHeader);
        prop_assert!(decode(&buf[..n], src, dst, policy).is_err());
    }
}
