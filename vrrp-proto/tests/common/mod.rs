//! Loading and checking test vectors (tests/vectors/*/*.vec): packets captured from
//! keepalived or built with scapy, with the field values their source set.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use vrrp_proto::ip::{self, Received};
use vrrp_proto::{
    decode, gratuitous_arp, unsolicited_na, Auth, ChecksumForm, ChecksumPolicy, Error,
    VersionFields,
};

/// One vector file: `key: value` lines.
#[derive(Debug, Clone)]
pub struct Vector {
    pub path: PathBuf,
    pub fields: HashMap<String, String>,
}

impl Vector {
    pub fn get(&self, key: &str) -> &str {
        match self.fields.get(key) {
            Some(v) => v,
            None => panic!("{}: no '{key}'", self.path.display()),
        }
    }
    pub fn opt(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
    pub fn num<T: std::str::FromStr>(&self, key: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        self.get(key).parse().unwrap()
    }
    pub fn hex(&self, key: &str) -> Vec<u8> {
        let s = self.get(key);
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }
}

/// Every `.vec` file under `dir` (recursively), sorted.
pub fn load_dir(dir: &Path) -> Vec<Vector> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "vec") {
                out.push(parse_file(&p));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn parse_file(path: &Path) -> Vector {
    let text = std::fs::read_to_string(path).unwrap();
    let fields = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').expect("key: value");
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    Vector {
        path: path.to_path_buf(),
        fields,
    }
}

pub fn form_name(f: ChecksumForm) -> &'static str {
    match f {
        ChecksumForm::MessageOnly => "message-only",
        ChecksumForm::PseudoHeader => "pseudo-header",
        ChecksumForm::OldUnicast => "old-unicast",
    }
}

pub const FORMS: [ChecksumForm; 3] = [
    ChecksumForm::MessageOnly,
    ChecksumForm::PseudoHeader,
    ChecksumForm::OldUnicast,
];

/// Validate the IP layer of the vector's packet.
pub fn received(v: &Vector, bytes: &[u8]) -> Result<Received<'static>, Error> {
    let bytes: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    match v.get("family") {
        "4" => ip::parse_ipv4(bytes),
        "6" => ip::parse_ipv6(bytes),
        f => panic!("family {f}"),
    }
}

/// Decode an advert vector and assert every recorded field; re-emit and compare bytes.
/// Returns the number of assertions made (so callers can tell something was checked).
pub fn check_advert(v: &Vector) -> usize {
    let name = v.name();
    let bytes = v.hex("packet");
    let r = received(v, &bytes).unwrap_or_else(|e| panic!("{name}: IP layer: {e}"));
    assert_eq!(r.src, v.get("ip_src").parse::<IpAddr>().unwrap(), "{name}");
    assert_eq!(r.dst, v.get("ip_dst").parse::<IpAddr>().unwrap(), "{name}");
    let result = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
    if let Some(err) = v.opt("expect_error") {
        let got = format!("{:?}", result.unwrap_err());
        assert!(got.starts_with(err), "{name}: expected {err}, got {got}");
        return 1;
    }
    let d = result.unwrap_or_else(|e| panic!("{name}: decode: {e}"));
    let a = d.advert;
    assert_eq!(a.version().number(), v.num::<u8>("version"), "{name}");
    assert_eq!(a.vrid.get(), v.num::<u8>("vrid"), "{name}");
    assert_eq!(a.priority.0, v.num::<u8>("priority"), "{name}");
    match a.fields {
        VersionFields::V2 { interval, auth } => {
            assert_eq!(interval.0, v.num::<u8>("interval_s"), "{name}");
            assert_eq!(auth, expected_auth(v), "{name}");
        }
        VersionFields::V3 { interval } => {
            assert_eq!(interval.get(), v.num::<u16>("interval_cs"), "{name}");
        }
    }
    let want: Vec<IpAddr> = v
        .get("addresses")
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(a.addresses.iter().collect::<Vec<_>>(), want, "{name}");

    // The form that matched is one the source recorded (found by recomputing with scapy).
    let recorded: Vec<&str> = v.get("checksum").split_whitespace().collect();
    assert!(
        recorded.contains(&form_name(d.checksum_form)),
        "{name}: matched {:?}, recorded {recorded:?}",
        d.checksum_form
    );
    // Each form alone: accepted exactly when recorded (v3 over IPv4, where it is a choice).
    if a.version().number() == 3 && v.get("family") == "4" {
        for form in FORMS {
            let ok = decode(r.payload, r.src, r.dst, ChecksumPolicy::Only(form)).is_ok();
            assert_eq!(ok, recorded.contains(&form_name(form)), "{name}: {form:?}");
        }
    }

    // Re-emit: byte for byte the same message.
    let mut buf = [0u8; 1500];
    let n = a.emit(&mut buf, r.src, r.dst, d.checksum_form).unwrap();
    assert_eq!(&buf[..n], r.payload, "{name}: re-emitted bytes differ");
    assert_eq!(a.buffer_len(), n, "{name}");

    // The IPv4 header we would send matches the sender's (keepalived: TOS 0xc0, no flags).
    if let (IpAddr::V4(s), IpAddr::V4(dst)) = (r.src, r.dst) {
        if bytes[0] == 0x45 && v.get("source") == "keepalived" {
            let ident = u16::from_be_bytes([bytes[4], bytes[5]]);
            let mut h = [0u8; 20];
            ip::emit_ipv4_header(&mut h, s, dst, n, ident).unwrap();
            assert_eq!(&h[..], &bytes[..20], "{name}: IPv4 header");
        }
    }

    // v2 authentication against configuration.
    if let VersionFields::V2 { auth, .. } = a.fields {
        assert_eq!(a.check_auth(&auth), Ok(()), "{name}");
        let wrong = Auth::password(b"not-it!!");
        match auth {
            Auth::SimplePassword(_) => {
                assert_eq!(a.check_auth(&wrong), Err(Error::AuthFailure), "{name}");
                assert!(matches!(
                    a.check_auth(&Auth::None),
                    Err(Error::AuthTypeMismatch { .. })
                ));
            }
            Auth::None => assert!(matches!(
                a.check_auth(&wrong),
                Err(Error::AuthTypeMismatch { .. })
            )),
        }
    }

    // Truncation at every length: an error, never a panic.
    for len in 0..r.payload.len() {
        assert!(
            decode(&r.payload[..len], r.src, r.dst, ChecksumPolicy::Either).is_err(),
            "{name}: truncated to {len} accepted"
        );
    }
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        let res = match v.get("family") {
            "4" => ip::parse_ipv4(cut),
            _ => ip::parse_ipv6(cut),
        };
        if let Ok(r) = res {
            assert!(decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).is_err());
        }
    }
    12
}

fn expected_auth(v: &Vector) -> Auth {
    match v.get("auth") {
        "none" => Auth::None,
        s => {
            let hex = s.strip_prefix("pass:").expect("auth: none | pass:HEX");
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Auth::password(&bytes)
        }
    }
}

fn mac(text: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (i, part) in text.split(':').enumerate() {
        m[i] = u8::from_str_radix(part, 16).unwrap();
    }
    m
}

/// Our gratuitous ARP / unsolicited NA builders produce the captured frame exactly.
pub fn check_announce(v: &Vector) {
    let frame = v.hex("frame");
    let mut buf = [0u8; 128];
    let n = match v.get("kind") {
        "garp" => gratuitous_arp(
            &mut buf,
            mac(v.get("mac")),
            v.get("ip").parse::<Ipv4Addr>().unwrap(),
        ),
        "na" => unsolicited_na(
            &mut buf,
            mac(v.get("mac")),
            v.get("ip").parse::<Ipv6Addr>().unwrap(),
            v.get("router_flag") == "1",
        ),
        k => panic!("kind {k}"),
    }
    .unwrap();
    assert_eq!(&buf[..n], &frame[..], "{}", v.name());
}

/// RFC 1624 incremental checksum update for a 16-bit word changing from `old` to `new`:
/// HC' = ~(~HC + ~m + m'). Independent of the codec's checksum code.
pub fn patch_checksum(payload: &mut [u8], old: u16, new: u16) {
    let hc = u16::from_be_bytes([payload[6], payload[7]]);
    let mut sum = u32::from(!hc) + u32::from(!old) + u32::from(new);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let hc2 = !(sum as u16);
    payload[6..8].copy_from_slice(&hc2.to_be_bytes());
}

/// Change the 16-bit word at even `offset` of `payload` and patch the checksum to match.
pub fn set_word(payload: &mut [u8], offset: usize, new: u16) {
    let old = u16::from_be_bytes([payload[offset], payload[offset + 1]]);
    payload[offset..offset + 2].copy_from_slice(&new.to_be_bytes());
    patch_checksum(payload, old, new);
}
