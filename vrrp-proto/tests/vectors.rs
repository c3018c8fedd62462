//! The committed vectors: packets captured from keepalived 2.2.7 (tests/vectors/keepalived,
//! made by capture.sh + pcap2vec.py) and built with scapy (tests/vectors/scapy, made by
//! scapy_vectors.py). The expected values in each file come from the keepalived
//! configuration or the scapy call that made the packet, never from this crate.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

use common::{check_advert, check_announce, form_name, load_dir, received, set_word, Vector};
use vrrp_proto::{decode, ip, Auth, ChecksumForm, ChecksumPolicy, Error, Family, VersionFields};

/// Every keepalived case capture.sh runs (each gives an advert and a priority-0 advert).
const KEEPALIVED_CASES: [&str; 10] = [
    "v2_noauth",
    "v2_pass",
    "v2_pass_long",
    "v2_unicast",
    "v2_owner",
    "v3_ipv4",
    "v3_ipv6",
    "v3_unicast",
    "v3_unicast_old_checksum",
    "v3_owner",
];

/// Every packet scapy_vectors.py builds.
const SCAPY_CASES: [&str; 13] = [
    "scapy_v2_noauth",
    "scapy_v2_pass",
    "scapy_v2_ah",
    "scapy_v2_prio0",
    "scapy_v2_owner",
    "scapy_v2_ip_options",
    "scapy_v3_ipv4",
    "scapy_v3_ipv4_message_only",
    "scapy_v3_ipv4_max_interval",
    "scapy_v3_ipv4_many",
    "scapy_v3_ipv4_no_address",
    "scapy_v3_ipv6",
    "scapy_v3_ipv6_many",
];

fn vectors(sub: &str) -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(sub);
    let vs = load_dir(&dir);
    assert!(!vs.is_empty(), "no vectors in {}", dir.display());
    vs
}

fn adverts(sub: &str) -> Vec<Vector> {
    vectors(sub)
        .into_iter()
        .filter(|v| v.get("kind") == "advert")
        .collect()
}

fn all_adverts() -> Vec<Vector> {
    let mut vs = adverts("keepalived");
    vs.extend(adverts("scapy"));
    vs
}

fn find(sub: &str, name: &str) -> Vector {
    adverts(sub)
        .into_iter()
        .find(|v| v.name() == name)
        .unwrap_or_else(|| panic!("no vector {sub}/{name}"))
}

fn names(vs: &[Vector]) -> BTreeSet<String> {
    vs.iter().map(Vector::name).collect()
}

#[test]
fn every_keepalived_case_was_captured() {
    let want: BTreeSet<String> = KEEPALIVED_CASES
        .iter()
        .flat_map(|c| [format!("{c}_advert.vec"), format!("{c}_shutdown.vec")])
        .collect();
    assert_eq!(names(&adverts("keepalived")), want);
}

#[test]
fn every_scapy_case_was_built() {
    let want: BTreeSet<String> = SCAPY_CASES.iter().map(|c| format!("{c}.vec")).collect();
    assert_eq!(names(&adverts("scapy")), want);
}

#[test]
fn keepalived_adverts_decode_and_reemit_byte_for_byte() {
    let vs = adverts("keepalived");
    for v in &vs {
        assert_eq!(check_advert(v), 12, "{}", v.name());
    }
    assert_eq!(vs.len(), 2 * KEEPALIVED_CASES.len());
}

#[test]
fn scapy_adverts_decode_and_reemit_byte_for_byte() {
    let vs = adverts("scapy");
    let mut errors = 0;
    for v in &vs {
        if check_advert(v) == 1 {
            errors += 1; // an `expect_error` vector, checked for its error
        }
    }
    assert_eq!(vs.len(), SCAPY_CASES.len());
    assert_eq!(errors, 2, "the AH and the zero-address vectors");
}

#[test]
fn keepalived_shutdown_adverts_carry_priority_zero() {
    for case in KEEPALIVED_CASES {
        let advert = find("keepalived", &format!("{case}_advert.vec"));
        let bye = find("keepalived", &format!("{case}_shutdown.vec"));
        assert_eq!(bye.get("priority"), "0", "{case}");
        assert_ne!(advert.get("priority"), "0", "{case}");
        // Apart from priority and checksum the goodbye is the same advert.
        let (a, b) = (advert.hex("packet"), bye.hex("packet"));
        let at = if advert.get("family") == "4" { 20 } else { 40 };
        let differing: Vec<usize> = (at..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert!(
            differing.iter().all(|&i| [2, 6, 7].contains(&(i - at))),
            "{case}: bytes {differing:?} differ"
        );
    }
}

#[test]
fn keepalived_owner_adverts_carry_priority_255() {
    for case in ["v2_owner_advert.vec", "v3_owner_advert.vec"] {
        let v = find("keepalived", case);
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
        assert_eq!(d.advert.priority.0, 255, "{case}");
    }
}

#[test]
fn keepalived_v3_ipv4_default_checksum_is_pseudo_header() {
    // What keepalived 2.2.7 does by default over IPv4, multicast and unicast.
    for case in [
        "v3_ipv4_advert.vec",
        "v3_unicast_advert.vec",
        "v3_owner_advert.vec",
    ] {
        let v = find("keepalived", case);
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let only = ChecksumPolicy::Only(ChecksumForm::PseudoHeader);
        let d = decode(r.payload, r.src, r.dst, only).unwrap();
        assert_eq!(d.checksum_form, ChecksumForm::PseudoHeader, "{case}");
        let msg_only = ChecksumPolicy::Only(ChecksumForm::MessageOnly);
        assert_eq!(
            decode(r.payload, r.src, r.dst, msg_only),
            Err(Error::Checksum),
            "{case}"
        );
    }
    // `old_unicast_checksum`: the pseudo-header with 224.0.0.18 in place of the peer.
    let v = find("keepalived", "v3_unicast_old_checksum_advert.vec");
    let bytes = v.hex("packet");
    let r = received(&v, &bytes).unwrap();
    let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
    assert_eq!(d.checksum_form, ChecksumForm::OldUnicast);
    let new_form = ChecksumPolicy::Only(ChecksumForm::PseudoHeader);
    assert_eq!(
        decode(r.payload, r.src, r.dst, new_form),
        Err(Error::Checksum)
    );
}

#[test]
fn every_recorded_checksum_form_decodes_alone() {
    for v in all_adverts() {
        if v.opt("expect_error").is_some() {
            continue;
        }
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let recorded: Vec<&str> = v.get("checksum").split_whitespace().collect();
        assert!(!recorded.is_empty(), "{}: no checksum form", v.name());
        for form in common::FORMS {
            if recorded.contains(&form_name(form)) {
                let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Only(form))
                    .unwrap_or_else(|e| panic!("{}: {form:?}: {e}", v.name()));
                // Where the form is fixed (v2, IPv6) the decoder reports the fixed one.
                assert!(
                    recorded.contains(&form_name(d.checksum_form)),
                    "{}",
                    v.name()
                );
            }
        }
    }
}

#[test]
fn v2_pass_checks_against_the_configured_password() {
    // keepalived.conf `auth_pass` values (capture.sh's table), as a user would configure them.
    let cases: [(&str, &[u8], &[u8]); 3] = [
        ("v2_pass_advert.vec", b"secret12", b"secret13"),
        // Longer than 8: keepalived sends the first 8 bytes, and so do we compare.
        ("v2_pass_long_advert.vec", b"longpassword123", b"longpasX"),
        ("v2_unicast_advert.vec", b"pw", b"pw2"),
    ];
    for (case, configured, wrong) in cases {
        let v = find("keepalived", case);
        let bytes = v.hex("packet");
        let r = received(&v, &bytes).unwrap();
        let a = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either)
            .unwrap()
            .advert;
        assert_eq!(a.check_auth(&Auth::password(configured)), Ok(()), "{case}");
        assert_eq!(
            a.check_auth(&Auth::password(wrong)),
            Err(Error::AuthFailure),
            "{case}"
        );
        assert!(
            matches!(
                a.check_auth(&Auth::None),
                Err(Error::AuthTypeMismatch { .. })
            ),
            "{case}"
        );
    }
    let v = find("keepalived", "v2_pass_long_advert.vec");
    let bytes = v.hex("packet");
    assert_eq!(&bytes[bytes.len() - 8..], b"longpass");
    let v = find("keepalived", "v2_noauth_advert.vec");
    let bytes = v.hex("packet");
    let r = received(&v, &bytes).unwrap();
    let a = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either)
        .unwrap()
        .advert;
    assert_eq!(a.check_auth(&Auth::None), Ok(()));
    assert!(matches!(
        a.check_auth(&Auth::password(b"secret12")),
        Err(Error::AuthTypeMismatch { .. })
    ));
}

#[test]
fn keepalived_ipv6_adverts_come_from_a_link_local_source() {
    for case in ["v3_ipv6_advert.vec", "v3_ipv6_shutdown.vec"] {
        let v = find("keepalived", case);
        let src: Ipv6Addr = v.get("ip_src").parse().unwrap();
        assert_eq!(src.segments()[0] & 0xffc0, 0xfe80, "{case}: {src}");
        assert_eq!(v.get("ip_dst"), "ff02::12", "{case}");
    }
}

/// The IPv6 path a raw socket takes: payload plus the addresses and hop limit the kernel
/// reports (here: recorded from the IPv6 header).
#[test]
fn ipv6_vectors_pass_the_raw_socket_check() {
    let mut checked = 0;
    for v in all_adverts().iter().filter(|v| v.get("family") == "6") {
        let bytes = v.hex("packet");
        let (src, dst): (Ipv6Addr, Ipv6Addr) = (
            v.get("ip_src").parse().unwrap(),
            v.get("ip_dst").parse().unwrap(),
        );
        let hop: u8 = v.num("ttl");
        let r = ip::check_ipv6(&bytes[40..], src, dst, hop).unwrap();
        let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
        assert_eq!(d.checksum_form, ChecksumForm::PseudoHeader, "{}", v.name());
        assert_eq!(
            ip::check_ipv6(&bytes[40..], src, dst, 1),
            Err(Error::TtlNot255(1))
        );
        // The IPv6 pseudo-header covers the source: another source fails the checksum.
        let other = IpAddr::V6("fe80::dead".parse().unwrap());
        assert_eq!(
            decode(r.payload, other, r.dst, ChecksumPolicy::Either),
            Err(Error::Checksum),
            "{}",
            v.name()
        );
        checked += 1;
    }
    assert_eq!(checked, 4, "keepalived advert + shutdown, scapy one + many");
}

/// Every VRRP field corrupted on its own gives its own error (checksum patched per RFC 1624
/// so that the field check, not the checksum, is what fails).
#[test]
fn each_corrupted_vrrp_field_gives_its_own_error() {
    let mut checked = 0;
    let vs = all_adverts();
    for v in &vs {
        if v.opt("expect_error").is_some() {
            continue;
        }
        let bytes = v.hex("packet");
        let r = received(v, &bytes).unwrap();
        let (src, dst) = (r.src, r.dst);
        let good = r.payload.to_vec();
        let dec = |p: &[u8]| decode(p, src, dst, ChecksumPolicy::Either).map(|_| ());
        let w0 = u16::from_be_bytes([good[0], good[1]]);
        let w2 = u16::from_be_bytes([good[2], good[3]]);
        let w4 = u16::from_be_bytes([good[4], good[5]]);
        let name = v.name();
        let family = if matches!(src, IpAddr::V4(_)) {
            Family::V4
        } else {
            Family::V6
        };

        for bad_version in [0u16, 1, 4, 15] {
            let mut p = good.clone();
            set_word(&mut p, 0, (w0 & 0x0fff) | (bad_version << 12));
            assert_eq!(dec(&p), Err(Error::Version(bad_version as u8)), "{name}");
        }
        if family == Family::V4 && v.get("version") == "3" {
            // Version 2 over IPv4 with a v3 body: no auth trailer, so a length error.
            let mut p = good.clone();
            set_word(&mut p, 0, (w0 & 0x0fff) | 0x2000);
            assert!(matches!(dec(&p), Err(Error::Length { .. })), "{name}");
        }
        if family == Family::V6 {
            let mut p = good.clone();
            set_word(&mut p, 0, (w0 & 0x0fff) | 0x2000);
            assert_eq!(dec(&p), Err(Error::V2OverIpv6), "{name}");
        }

        for bad_type in [0u16, 2, 15] {
            let mut p = good.clone();
            set_word(&mut p, 0, (w0 & 0xf0ff) | (bad_type << 8));
            assert_eq!(dec(&p), Err(Error::Type(bad_type as u8)), "{name}");
        }

        let mut p = good.clone();
        set_word(&mut p, 0, w0 & 0xff00);
        assert_eq!(dec(&p), Err(Error::VridZero), "{name}");

        let count = good[3];
        for bad_count in [count.wrapping_add(1), count - 1] {
            let mut p = good.clone();
            set_word(&mut p, 2, (w2 & 0xff00) | u16::from(bad_count));
            assert_eq!(
                dec(&p),
                Err(Error::Length {
                    count: bad_count,
                    len: good.len(),
                    family
                }),
                "{name}: count {bad_count}"
            );
        }

        for bit in 0..16 {
            let mut p = good.clone();
            p[6 + bit / 8] ^= 0x80 >> (bit % 8);
            assert_eq!(dec(&p), Err(Error::Checksum), "{name}: checksum bit {bit}");
        }
        // A flipped bit anywhere else, checksum left stale, is a checksum error too
        // (or the version/length check that comes first in RFC 9568 §7.1 order).
        for i in (0..good.len()).filter(|&i| !(6..8).contains(&i)) {
            let mut p = good.clone();
            p[i] ^= 0x01;
            let got = dec(&p);
            assert!(
                matches!(
                    got,
                    Err(Error::Checksum | Error::Version(_) | Error::Length { .. })
                ),
                "{name}: byte {i}: {got:?}"
            );
        }

        if v.get("version") == "2" {
            let mut p = good.clone();
            set_word(&mut p, 4, (w4 & 0x00ff) | 0x0200);
            assert_eq!(dec(&p), Err(Error::AuthAhUnsupported), "{name}");
            for t in [3u16, 7, 255] {
                let mut p = good.clone();
                set_word(&mut p, 4, (w4 & 0x00ff) | (t << 8));
                assert_eq!(dec(&p), Err(Error::AuthTypeUnknown(t as u8)), "{name}");
            }
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
            let d = decode(&p, src, dst, ChecksumPolicy::Either).unwrap();
            let VersionFields::V3 { interval } = d.advert.fields else {
                panic!("{name}: not v3");
            };
            assert_eq!(interval.get(), v.num::<u16>("interval_cs"), "{name}");
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        vs.len() - 2,
        "all but the two expect_error vectors"
    );
}

/// The IP layer of each vector, corrupted: TTL / hop limit, protocol, lengths, version, IHL.
#[test]
fn each_corrupted_ip_field_gives_its_own_error() {
    let vs = all_adverts();
    for v in &vs {
        let bytes = v.hex("packet");
        let name = v.name();
        let ip_check = |b: &[u8]| received(v, b).map(|_| ());
        let v4 = v.get("family") == "4";
        let (ttl_at, proto_at) = if v4 { (8, 9) } else { (7, 6) };
        for ttl in [0u8, 1, 64, 254] {
            let mut b = bytes.clone();
            b[ttl_at] = ttl;
            assert_eq!(ip_check(&b), Err(Error::TtlNot255(ttl)), "{name}");
        }
        for proto in [0u8, 6, 17, 51, 111, 113] {
            let mut b = bytes.clone();
            b[proto_at] = proto;
            assert_eq!(ip_check(&b), Err(Error::NotVrrp(proto)), "{name}");
        }
        let mut b = bytes.clone();
        b[0] = (b[0] & 0x0f) | if v4 { 0x60 } else { 0x40 };
        assert!(matches!(ip_check(&b), Err(Error::IpVersion(_))), "{name}");

        let (len_at, header) = if v4 { (2, 0) } else { (4, 40) };
        let declared = usize::from(u16::from_be_bytes([bytes[len_at], bytes[len_at + 1]]));
        // Longer than what arrived.
        let mut b = bytes.clone();
        b[len_at..len_at + 2].copy_from_slice(&(declared as u16 + 1).to_be_bytes());
        assert_eq!(
            ip_check(&b),
            Err(Error::IpTotalLength {
                declared: header + declared + 1,
                got: bytes.len()
            }),
            "{name}"
        );
        // One byte shorter: the IP layer is fine, the VRRP message is incomplete.
        let mut b = bytes.clone();
        b[len_at..len_at + 2].copy_from_slice(&(declared as u16 - 1).to_be_bytes());
        let r = received(v, &b).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.payload.len(), bytes.len() - header_len(&bytes) - 1);
        let got = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
        if v.opt("expect_error").is_none() {
            assert!(matches!(got, Err(Error::Length { .. })), "{name}: {got:?}");
        } else {
            assert!(got.is_err(), "{name}");
        }
        if v4 {
            for ihl in [0u8, 4] {
                let mut b = bytes.clone();
                b[0] = 0x40 | ihl;
                assert_eq!(ip_check(&b), Err(Error::IpHeaderLength(ihl)), "{name}");
            }
            let mut b = bytes.clone();
            b[6] |= 0x20; // more fragments
            assert_eq!(ip_check(&b), Err(Error::IpFragment), "{name}");
            // Trailing link-layer padding after the datagram is ignored.
            let mut b = bytes.clone();
            b.extend_from_slice(&[0; 6]);
            let r = received(v, &b).unwrap();
            assert_eq!(r.payload, &bytes[header_len(&bytes)..], "{name}");
        }
    }
}

fn header_len(packet: &[u8]) -> usize {
    if packet[0] >> 4 == 4 {
        usize::from(packet[0] & 0x0f) * 4
    } else {
        40
    }
}

#[test]
fn the_ip_options_vector_has_options_and_decodes() {
    let v = find("scapy", "scapy_v2_ip_options.vec");
    let bytes = v.hex("packet");
    assert!(bytes[0] & 0x0f > 5, "IHL {}", bytes[0] & 0x0f);
    let r = received(&v, &bytes).unwrap();
    assert_eq!(r.payload, &bytes[header_len(&bytes)..]);
    assert!(decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).is_ok());
}

#[test]
fn keepalived_garp_and_na_match_our_builders() {
    let vs: Vec<_> = vectors("keepalived")
        .into_iter()
        .filter(|v| v.get("kind") != "advert")
        .collect();
    // One GARP per IPv4 VIP in capture.sh's table, one NA per IPv6 VIP.
    assert_eq!(vs.iter().filter(|v| v.get("kind") == "garp").count(), 14);
    assert_eq!(vs.iter().filter(|v| v.get("kind") == "na").count(), 2);
    for v in &vs {
        check_announce(v);
    }
}
