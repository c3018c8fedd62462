//! The committed vectors: packets captured from keepalived 2.2.7 (tests/vectors/keepalived,
//! made by capture.py) and built with scapy (tests/vectors/scapy, made by scapy_vectors.py).

mod common;

use std::net::IpAddr;
use std::path::Path;

use common::{check_advert, check_announce, load_dir, received, set_word, Vector};
use vrrp_proto::{decode, ChecksumPolicy, Error, Family};

fn vectors(sub: &str) -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(sub);
    load_dir(&dir)
}

fn adverts(sub: &str) -> Vec<Vector> {
    vectors(sub)
        .into_iter()
        .filter(|v| v.get("kind") == "advert")
        .collect()
}

#[test]
fn keepalived_adverts_decode_and_reemit_byte_for_byte() {
    let vs = adverts("keepalived");
    // v2 none/PASS/long PASS/unicast, v3 IPv4/IPv6/unicast/old unicast; advert + shutdown.
    assert!(vs.len() >= 16, "only {} keepalived adverts", vs.len());
    for v in &vs {
        check_advert(v);
    }
}

#[test]
fn keepalived_shutdown_adverts_carry_priority_zero() {
    let n = adverts("keepalived")
        .iter()
        .filter(|v| v.name().ends_with("_shutdown.vec"))
        .inspect(|v| assert_eq!(v.get("priority"), "0"))
        .count();
    assert!(n >= 8, "{n}");
}

#[test]
fn keepalived_v3_ipv4_default_checksum_is_pseudo_header() {
    // What keepalived 2.2.7 does by default on IPv4 (multicast and unicast).
    for case in ["v3_ipv4_advert.vec", "v3_unicast_advert.vec"] {
        let v = adverts("keepalived")
            .into_iter()
            .find(|v| v.name() == case)
            .unwrap();
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
        assert_eq!(
            d.checksum_form,
            vrrp_proto::ChecksumForm::PseudoHeader,
            "{case}"
        );
    }
}

#[test]
fn keepalived_garp_and_na_match_our_builders() {
    let vs: Vec<_> = vectors("keepalived")
        .into_iter()
        .filter(|v| v.get("kind") != "advert")
        .collect();
    assert!(vs.iter().any(|v| v.get("kind") == "garp"));
    assert!(vs.iter().any(|v| v.get("kind") == "na"));
    for v in &vs {
        check_announce(v);
    }
}

#[test]
fn scapy_adverts_decode_and_reemit_byte_for_byte() {
    let vs = adverts("scapy");
    assert!(vs.len() >= 12, "only {} scapy vectors", vs.len());
    for v in &vs {
        check_advert(v);
    }
}

/// Every field corrupted on its own gives its own error (checksum patched per RFC 1624 so
/// that the field check, not the checksum, is what fails).
#[test]
fn each_corrupted_field_gives_its_own_error() {
    let mut checked = 0;
    for v in adverts("keepalived").into_iter().chain(adverts("scapy")) {
        if v.opt("expect_error").is_some() {
            continue;
        }
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let (src, dst) = (r.src, r.dst);
        let good = r.payload.to_vec();
        let dec = |p: &[u8]| decode(p, src, dst, ChecksumPolicy::Either).map(|_| ());
        let w0 = u16::from_be_bytes([good[0], good[1]]);
        let w2 = u16::from_be_bytes([good[2], good[3]]);
        let w4 = u16::from_be_bytes([good[4], good[5]]);
        let name = v.name();

        let mut p = good.clone();
        set_word(&mut p, 0, (w0 & 0x0fff) | 0x4000);
        assert_eq!(dec(&p), Err(Error::Version(4)), "{name}");

        let mut p = good.clone();
        set_word(&mut p, 0, (w0 & 0xf0ff) | 0x0200);
        assert_eq!(dec(&p), Err(Error::Type(2)), "{name}");

        let mut p = good.clone();
        set_word(&mut p, 0, w0 & 0xff00);
        assert_eq!(dec(&p), Err(Error::VridZero), "{name}");

        let mut p = good.clone();
        let count = good[3];
        set_word(&mut p, 2, (w2 & 0xff00) | u16::from(count.wrapping_add(1)));
        let family = if matches!(src, IpAddr::V4(_)) {
            Family::V4
        } else {
            Family::V6
        };
        assert_eq!(
            dec(&p),
            Err(Error::Length {
                count: count.wrapping_add(1),
                len: good.len(),
                family
            }),
            "{name}"
        );

        let mut p = good.clone();
        p[7] ^= 0x01;
        assert_eq!(dec(&p), Err(Error::Checksum), "{name}");

        if v.get("version") == "2" {
            let mut p = good.clone();
            set_word(&mut p, 4, (w4 & 0x00ff) | 0x0200);
            assert_eq!(dec(&p), Err(Error::AuthAhUnsupported), "{name}");
            let mut p = good.clone();
            set_word(&mut p, 4, (w4 & 0x00ff) | 0x0700);
            assert_eq!(dec(&p), Err(Error::AuthTypeUnknown(7)), "{name}");
            let mut p = good.clone();
            set_word(&mut p, 4, w4 & 0xff00);
            assert_eq!(dec(&p), Err(Error::IntervalZero), "{name}");
        } else {
            let mut p = good.clone();
            set_word(&mut p, 4, w4 & 0xf000);
            assert_eq!(dec(&p), Err(Error::IntervalZero), "{name}");
            // RFC 9568 §5.2.6: reserved bits are ignored on receive.
            let mut p = good.clone();
            set_word(&mut p, 4, w4 | 0xf000);
            assert_eq!(dec(&p), Ok(()), "{name}");
        }

        // IP layer: TTL / hop limit, and protocol.
        let mut b = bytes.clone();
        let (ttl_at, proto_at) = if v.get("family") == "4" {
            (8, 9)
        } else {
            (7, 6)
        };
        b[ttl_at] = 254;
        assert_eq!(
            received(&v, &b).map(|_| ()),
            Err(Error::TtlNot255(254)),
            "{name}"
        );
        let mut b = bytes.clone();
        b[proto_at] = 17;
        assert_eq!(
            received(&v, &b).map(|_| ()),
            Err(Error::NotVrrp(17)),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}
