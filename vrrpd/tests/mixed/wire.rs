//! The wire check of a cell: every advert captured on the bridge, read from its bytes by
//! scapy (`vrrp-net/tests/lan/adverts.py --long`).

use std::process::Command;

use super::mode::{Mode, Role, Side, HIGH, LOW};

/// The source VRRP uses on `dev` in `ns`: its IPv4 address, or its IPv6 link-local.
pub fn link_local_or_v4(ns: &str, dev: &str, v6: bool) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "-o"])
        .args(if v6 { ["-6", "addr"] } else { ["-4", "addr"] })
        .args(["show", "dev", dev])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "inet" || w[0] == "inet6")
        .map(|w| w[1].split('/').next().unwrap().to_string())
        .find(|a| !v6 || a.starts_with("fe80"))
        .expect("source address")
}

/// The checksum form an advert from `sender` at `t` must carry. v2: message only. v3: the
/// pseudo-header with the real destination (RFC 9568), except with `old_unicast_checksum`
/// on one side: that side sends the old form. vrrpd on the other side sends the new one
/// until, in each of its runs, it has heard the first advert of keepalived (with 200 ms
/// for the way and the switch), the old one after that (`None`: either, the switch is under
/// way). keepalived on the other side goes on with the new form (its bug, below).
pub fn expected_form(
    mode: Mode,
    sender: usize,
    t: f64,
    starts: &[Vec<f64>; 2],
    times: &[Vec<f64>; 2],
) -> Option<&'static str> {
    if mode.version == 2 {
        return Some("message-only");
    }
    let Some(configured) = mode.old_checksum else {
        return Some("pseudo-header");
    };
    let configured = configured as usize;
    if sender == configured {
        return Some("old-unicast");
    }
    if sender == Side::Keepalived as usize {
        // keepalived 2.2.7 logs "Setting unicast VRRPv3 checksum to old version" but goes
        // on sending the RFC 9568 form: `vrrp_csum_mcast` runs before the mode is set to
        // AUTO, so it changes nothing, and later updates keep the checksum as it is.
        return Some("pseudo-header");
    }
    let start = starts[sender]
        .iter()
        .copied()
        .filter(|s| *s <= t)
        .fold(f64::MIN, f64::max);
    match times[configured].iter().find(|k| **k >= start) {
        Some(k) if t > k + 0.2 => Some("old-unicast"),
        Some(k) if t >= *k => None,
        _ => Some("pseudo-header"),
    }
}

/// Every advert on the bridge, from the bytes (scapy): TTL / hop limit 255 (see
/// [`expected_ttl`]), version, type 1, VRID 51, the interval configured, one address (the
/// VIP), the checksum form ([`expected_form`]), the destination (group or unicast peer), the source, v2 PASS
/// "1111"; H sent 150 and 0 (its two SIGTERMs), L sent 100 (while master).
pub fn check_wire(
    cell: &str,
    mode: Mode,
    role: Role,
    adverts: &[Vec<String>],
    (a, b): (&str, &str),
    epoch0: f64,
    starts: &[Vec<f64>; 2],
) {
    let (a_src, b_src) = if mode.unicast {
        let (x, y) = mode.node_addrs();
        (x.to_string(), y.to_string())
    } else {
        (
            link_local_or_v4(a, "a0", mode.v6),
            link_local_or_v4(b, "b0", mode.v6),
        )
    };
    let (a_addr, b_addr) = mode.node_addrs();
    assert!(!adverts.is_empty(), "{cell}: nothing captured");
    // When each side sent its adverts.
    let times: [Vec<f64>; 2] = [&a_src, &b_src].map(|src| {
        adverts
            .iter()
            .filter(|f| f.get(3) == Some(src))
            .map(|f| f[0].parse().unwrap())
            .collect()
    });
    let mut forms: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    // Priorities per side: [vrrpd, keepalived].
    let mut prios: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut ttls: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    // Who sent what when (seconds since the scenario began), runs of one priority folded.
    let mut timeline: Vec<(String, &str, String, usize)> = Vec::new();
    for f in adverts {
        let line = f.join(" ");
        assert!(
            f.len() >= 13,
            "{cell}: malformed advert on the wire: {line}"
        );
        let (time, interval, auth, w) = (&f[0], &f[1], &f[2], &f[3..]);
        let side = if w[0] == a_src {
            0
        } else if w[0] == b_src {
            1
        } else {
            panic!("{cell}: advert from a stranger (expected {a_src} or {b_src}): {line}")
        };
        let dst = match (mode.unicast, side) {
            (false, _) => mode.group(),
            (true, 0) => b_addr,
            (true, _) => a_addr,
        };
        assert_eq!(w[1], dst, "{cell}: destination: {line}");
        ttls[side].push(w[2].clone());
        assert_eq!(w[3], mode.version.to_string(), "{cell}: version: {line}");
        assert_eq!(w[4], "1", "{cell}: type: {line}");
        assert_eq!(w[5], "51", "{cell}: VRID: {line}");
        assert_eq!(w[7], "1", "{cell}: address count: {line}");
        assert_eq!(
            w.get(9..),
            Some(&[mode.vip_addr().to_string()][..]),
            "{cell}: addresses: {line}"
        );
        let t: f64 = time.parse().unwrap();
        if let Some(form) = expected_form(mode, side, t, starts, &times) {
            assert!(
                w[8].split(',').any(|x| x == form),
                "{cell}: checksum not {form} at {:.2} s: {line}",
                t - epoch0
            );
        }
        if !forms[side].contains(&w[8]) {
            forms[side].push(w[8].clone());
        }
        assert_eq!(interval, mode.interval_field(), "{cell}: interval: {line}");
        let want_auth = if mode.version == 2 {
            "1:3131313100000000"
        } else {
            "-"
        };
        assert_eq!(auth, want_auth, "{cell}: authentication: {line}");
        prios[side].push(w[6].parse().unwrap());
        let who = ["vrrpd", "keepalived"][side];
        match timeline.last_mut() {
            Some(last) if last.1 == who && last.2 == w[6] => last.3 += 1,
            _ => {
                timeline.push((format!("{:.2}", t - epoch0), who, w[6].clone(), 1));
            }
        }
    }
    println!("{cell}: on the wire (from s, sender, priority, count): {timeline:?}");
    println!(
        "{cell}: checksum forms seen: vrrpd {:?}, keepalived {:?}",
        forms[0], forms[1]
    );
    if mode.old_checksum == Some(Side::Keepalived) {
        assert!(
            forms[0].iter().any(|f| f == "old-unicast"),
            "{cell}: vrrpd never answered in the old checksum form: {forms:?}"
        );
    }
    for (side, who) in [(0, "vrrpd"), (1, "keepalived")] {
        let mut seen = ttls[side].clone();
        seen.sort();
        seen.dedup();
        println!(
            "{cell}: {who} sent {} adverts, TTL / hop limit {seen:?}",
            ttls[side].len()
        );
        let want = expected_ttl(mode, side == 1, b);
        assert_eq!(seen, [want], "{cell}: {who}'s TTL / hop limit");
    }
    let (high, low) = match role {
        Role::VrrpdMaster => (0, 1),
        Role::KeepalivedMaster => (1, 0),
    };
    let has = |side: usize, p: u8| prios[side].contains(&p);
    assert!(
        has(high, HIGH) && has(high, 0),
        "{cell}: H's priorities {:?}",
        prios[high]
    );
    let zeros = prios[high].iter().filter(|p| **p == 0).count();
    assert!(
        zeros >= 2,
        "{cell}: H's priority-0 adverts (two SIGTERMs as master): {zeros}"
    );
    assert!(has(low, LOW), "{cell}: L's priorities {:?}", prios[low]);
    assert!(
        !has(low, 0),
        "{cell}: L sent priority 0 (it is a backup when it stops): {:?}",
        prios[low]
    );
}

/// The TTL / hop limit each side sends: 255 (RFC 3768 §5.1.1.3, RFC 9568 §5.1.1.3), except
/// keepalived's IPv6 unicast adverts: keepalived sets no hop limit there unless
/// `unicast_ttl` is given, so they carry the interface's default (`hop_limit` sysctl of
/// `b0` in namespace B, 64 unless changed).
pub fn expected_ttl(mode: Mode, keepalived: bool, b: &str) -> String {
    if !(keepalived && mode.v6 && mode.unicast) {
        return "255".into();
    }
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            b,
            "cat",
            "/proc/sys/net/ipv6/conf/b0/hop_limit",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "hop_limit of b0 in {b}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
