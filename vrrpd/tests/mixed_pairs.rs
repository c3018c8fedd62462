//! Mixed pairs (issue 17): vrrpd and keepalived 2.2.7 as peers in every mode the seeds and
//! the field use — VRRPv2, VRRPv3 IPv4, VRRPv3 IPv6, VRRPv3 IPv4 unicast, VRRPv3 IPv6
//! unicast — each with vrrpd as the master and with keepalived as the master: one `#[test]`
//! per (mode, role), so a failure names its cell.
//!
//! On the bridged LAN of `vrrp-net/tests/lan` (vrrpd in namespace A on `a0`, keepalived in
//! B on `b0`), through `peer::Scene`, each cell runs, with H the node of priority 150
//! (`state MASTER`) and L the node of priority 100 (`state BACKUP`):
//!
//! 1. election: H alone takes the VIP; L joins, enters BACKUP and stays so;
//! 2. H stops (SIGTERM: its priority-0 advert): L takes the VIP;
//! 3. H returns and preempts the VIP back;
//! 4. cable cut: H's port on the switch goes down (H loses carrier): L takes the VIP and H
//!    releases it (FAULT);
//! 5. the cable is plugged back: H preempts the VIP back.
//!
//! Throughout, a sampler reads both namespaces' addresses every ~25 ms; both holding the VIP
//! is allowed only in episodes no longer than [`Mode::overlap_bound`], printed with the
//! figures measured. The whole scenario is captured on the bridge (tcpdump) and every
//! advert is checked from the bytes by scapy (`vrrp-net/tests/lan/adverts.py`): version,
//! type, VRID, priority, interval, addresses, checksum form, TTL / hop limit, destination,
//! source, v2 authentication; both sides' priorities include what the scenario implies,
//! H's priority 0 on stop included.
//!
//! Two more modes, VRRPv3 IPv4 unicast with `old_unicast_checksum` (224.0.0.18 in the
//! pseudo-header, what keepalived before 1.3.6 sends and accepts) on keepalived's side, then
//! on vrrpd's. vrrpd answers that form in kind once it hears it (keepalived's
//! `CHKSUM_COMPATIBILITY_AUTO`); keepalived 2.2.7 logs that it does ("Setting unicast
//! VRRPv3 checksum to old version") but goes on sending the RFC 9568 form, which a
//! keepalived with `old_unicast_checksum` refuses (two keepalived 2.2.7 so configured are
//! both master for good); vrrpd accepts every form, so a vrrpd with `old_unicast_checksum`
//! and a keepalived 2.2.7 work all the same.
//!
//! Needs root, keepalived and tcpdump (else SKIP).

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
mod peer;

mod mixed;

use std::thread::sleep;
use std::time::{Duration, Instant};

use lan::{has_program, LanExt};
use mixed::mode::*;
use mixed::sampler::{overlaps, Sampler};
use mixed::wire::check_wire;
use peer::{num, text, Scene};

/// Bound on a daemon's exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// One cell of the matrix.
fn run(mode: Mode, role: Role) {
    let cell = format!("{} {:?}", mode.name, role);
    if !has_program("tcpdump") {
        eprintln!("SKIP mixed pair {cell}: tcpdump is not installed");
        return;
    }
    let tag = format!(
        "mx{}{}",
        mode.name.replace('-', "").replace("unicast", "u"),
        if role == Role::VrrpdMaster { "v" } else { "k" }
    );
    let Some(mut sc) = Scene::new(&format!("mixed pair {cell}"), &tag) else {
        return;
    };
    let (a_addr, b_addr) = mode.node_addrs();
    let (a_prio, b_prio) = match role {
        Role::VrrpdMaster => (HIGH, LOW),
        Role::KeepalivedMaster => (LOW, HIGH),
    };
    let ours = sc.write(
        "vrrpd.conf",
        &mode.conf(false, "a0", a_prio, a_addr, b_addr),
    );
    let theirs = sc.write(
        "keepalived.conf",
        &mode.conf(true, "b0", b_prio, b_addr, a_addr),
    );
    let (a, b) = (sc.a(), sc.b());
    let vip = mode.vip();
    let on_a = |sc: &Scene| sc.lan.a.has_addr("a0", vip);
    let on_b = |sc: &Scene| sc.lan.b.has_addr("b0", vip);
    let limit = mode.limit();
    let capture = sc.lan.capture("wire");
    let sampler = Sampler::start(&sc, vip);
    let t0 = Instant::now();
    let epoch0 = epoch_now();
    let mut marks: Vec<(Duration, String)> = Vec::new();
    let mut mark = |what: &str| marks.push((t0.elapsed(), what.to_string()));

    // Starting H / L: (start function, whose VIP, log name).
    let vrrpd_is_high = role == Role::VrrpdMaster;
    let start_high = |sc: &mut Scene, run: &str| -> usize {
        if vrrpd_is_high {
            sc.start_vrrpd(&ours, run)
        } else {
            sc.start_keepalived(&theirs, run)
        }
    };
    let high_has = |sc: &Scene| if vrrpd_is_high { on_a(sc) } else { on_b(sc) };
    let low_has = |sc: &Scene| if vrrpd_is_high { on_b(sc) } else { on_a(sc) };
    let high_log = |run: &str| {
        if vrrpd_is_high {
            format!("vrrpd-{run}.log")
        } else {
            format!("keepalived-{run}.log")
        }
    };
    let low_log = if vrrpd_is_high {
        "keepalived-low.log"
    } else {
        "vrrpd-low.log"
    };
    let high_port = if vrrpd_is_high { "a1" } else { "b1" };

    // 1. Election.
    // When each run of each side started (seconds since the epoch, as the capture's
    // times): [vrrpd, keepalived].
    let mut starts: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let (high_side, low_side) = if vrrpd_is_high { (0, 1) } else { (1, 0) };
    mark("H starts");
    starts[high_side].push(epoch_now());
    let h = start_high(&mut sc, "h1");
    sc.wait(limit, "VIP on H (150)", || high_has(&sc));
    mark("L starts");
    starts[low_side].push(epoch_now());
    let l = if vrrpd_is_high {
        sc.start_keepalived(&theirs, "low")
    } else {
        sc.start_vrrpd(&ours, "low")
    };
    sc.wait(limit, "L enters BACKUP", || {
        sc.read(low_log).contains("(VI_1) Entering BACKUP STATE")
    });
    // Several of L's Master_Down_Intervals: it must hear H and stay backup.
    sleep(2 * mode.master_down());
    assert!(!low_has(&sc), "{cell}: L (100) took the VIP from H (150)");
    assert!(high_has(&sc), "{cell}: H lost the VIP");
    let llog = sc.read(low_log);
    if mode.old_checksum == Some(Side::Keepalived) && vrrpd_is_high {
        // keepalived with `old_unicast_checksum` rejects vrrpd's adverts until vrrpd hears
        // one of its own and answers in that form; in between it may take over once, as
        // it does beside a keepalived 2.2.7 peer (which also starts with the new form).
        assert!(
            llog.contains("(VI_1) Invalid VRRPv3 checksum"),
            "{cell}: keepalived never saw vrrpd's first (RFC 9568) form:\n{llog}"
        );
        let n = llog.matches("Entering MASTER STATE").count();
        println!("{cell}: keepalived (old checksum) was master {n} time(s) before vrrpd switched");
        assert!(
            n <= 1,
            "{cell}: L became master beside H more than once:\n{llog}"
        );
    } else {
        assert!(
            !llog.contains("Entering MASTER STATE"),
            "{cell}: L became master beside H:\n{llog}"
        );
    }
    if !vrrpd_is_high {
        let s = Scene::vi1(&sc.status("low"));
        assert_eq!(text(&s, "/state"), "BACKUP", "{cell}: {s}");
        assert!(num(&s, "/counters/adverts_rcvd") >= 3, "{cell}: {s}");
    }

    // 2. H stops: its priority-0 advert hands the VIP to L.
    mark("H SIGTERM");
    sc.term(h, "H", EXIT_LIMIT);
    assert!(
        !high_has(&sc),
        "{cell}: H left the VIP behind after SIGTERM"
    );
    sc.wait(limit, "L takes the VIP after H's SIGTERM", || low_has(&sc));
    mark("L holds VIP");
    if vrrpd_is_high {
        let klog = sc.read(low_log);
        assert!(
            klog.contains("(VI_1) Backup received priority 0 advertisement"),
            "{cell}: keepalived did not get vrrpd's priority-0 advert:\n{klog}"
        );
    } else {
        let s = sc.wait_status("low", limit, "MASTER", |s| {
            Scene::vi1(s)["state"] == "MASTER"
        });
        let s = Scene::vi1(&s);
        assert!(
            num(&s, "/counters/priority_zero_rcvd") >= 1,
            "{cell}: vrrpd did not count keepalived's priority-0 advert: {s}"
        );
    }

    // 3. H returns and preempts.
    mark("H restarts");
    starts[high_side].push(epoch_now());
    let h = start_high(&mut sc, "h2");
    sc.wait(limit, "H preempts the VIP back", || high_has(&sc));
    sc.wait(limit, "L releases the VIP", || !low_has(&sc));
    mark("H holds VIP");
    sleep(2 * mode.advert());
    let h2log = sc.read(&high_log("h2"));
    assert!(
        h2log.contains("(VI_1) Entering MASTER STATE"),
        "{cell}: H's log:\n{h2log}"
    );

    // 4. Cable cut: H's port on the switch goes down, H loses carrier.
    let br = sc.lan.br.name().to_owned();
    mark("cable cut");
    lan::ip(&["-n", &br, "link", "set", high_port, "down"]);
    sc.wait(limit, "L takes the VIP after the cable cut", || {
        low_has(&sc)
    });
    sc.wait(limit, "H releases the VIP (FAULT)", || !high_has(&sc));
    mark("L holds VIP");
    let hlog = sc.read(&high_log("h2"));
    assert!(
        hlog.contains("(VI_1) Entering FAULT STATE"),
        "{cell}: H did not enter FAULT on carrier loss:\n{hlog}"
    );

    // 5. Plugged back: H preempts again.
    mark("cable back");
    lan::ip(&["-n", &br, "link", "set", high_port, "up"]);
    sc.wait(limit, "H preempts the VIP back after the cable", || {
        high_has(&sc)
    });
    sc.wait(limit, "L releases the VIP", || !low_has(&sc));
    mark("H holds VIP");
    sleep(2 * mode.advert());
    assert!(high_has(&sc) && !low_has(&sc), "{cell}: final holder");

    // Counters and logs of vrrpd's run, before the daemons stop.
    let vrrpd_run = if vrrpd_is_high { "h2" } else { "low" };
    let vs = Scene::vi1(&sc.status(vrrpd_run));
    let global = sc.status(vrrpd_run)["global"].clone();
    // L (a backup, which sends nothing) first, so that it cannot take over from H.
    mark("stop L, then H");
    sc.term(l, "L", EXIT_LIMIT);
    sc.term(h, "H (run 2)", EXIT_LIMIT);
    let (samples, gap) = sampler.finish();
    let adverts = sc.lan.adverts_long(capture, "wire");

    // Never two masters, outside short transition episodes.
    let eps = overlaps(&samples);
    let bound = mode.overlap_bound(gap);
    println!(
        "{cell}: {} samples, largest gap {gap:?}; marks {marks:?}; both held the VIP in {} \
         episode(s) {eps:?} (bound {bound:?})",
        samples.len(),
        eps.len()
    );
    for (at, len) in &eps {
        assert!(
            *len <= bound,
            "{cell}: both nodes held the VIP for {len:?} from {at:?} (bound {bound:?}); marks {marks:?}"
        );
    }
    assert!(
        samples.iter().any(|s| s.1) && samples.iter().any(|s| s.2),
        "{cell}: the sampler never saw each node hold the VIP"
    );
    println!(
        "{cell}: vrrpd's counters: {}; global: {global}",
        vs["counters"]
    );
    // keepalived's adverts reached vrrpd's router, none dropped at the IP layer; those that
    // differ from the RFCs (IPv6 unicast hop limit) are counted.
    assert_eq!(num(&global, "/ip_ttl_errors"), 0, "{cell}: global {global}");
    assert_eq!(
        num(&global, "/checksum_errors"),
        0,
        "{cell}: global {global}"
    );
    assert!(num(&vs, "/counters/adverts_rcvd") >= 3, "{cell}: {vs}");
    let odd_ttl = num(&vs, "/counters/unicast_ttl_not_255");
    if mode.v6 && mode.unicast {
        assert!(
            odd_ttl >= 3,
            "{cell}: keepalived's hop-64 adverts not counted: {vs}"
        );
    } else {
        assert_eq!(odd_ttl, 0, "{cell}: {vs}");
    }
    // Nothing either side sent was refused by the other: vrrpd's drop counters...
    for c in [
        "address_list_errors",
        "interval_errors",
        "invalid_type",
        "packet_length_errors",
        "invalid_auth_type",
        "auth_type_mismatch",
        "auth_failures",
        "unknown_peer",
    ] {
        assert_eq!(num(&vs, &format!("/counters/{c}")), 0, "{cell}: {c}: {vs}");
    }
    for c in ["version_errors", "vrid_errors", "ip_header_errors"] {
        assert_eq!(num(&global, &format!("/{c}")), 0, "{cell}: {c}: {global}");
    }
    // ... and keepalived's log lines for an advert it refuses (keepalived/vrrp/vrrp.c,
    // vrrp_check_packet), in all its runs.
    let klogs: String = ["h1", "h2", "low"]
        .iter()
        .map(|run| sc.read(&format!("keepalived-{run}.log")))
        .collect();
    for refusal in KEEPALIVED_REFUSALS {
        // keepalived with `old_unicast_checksum` refuses vrrpd's first adverts (above).
        if mode.old_checksum == Some(Side::Keepalived)
            && vrrpd_is_high
            && *refusal == "Invalid VRRPv3 checksum"
        {
            continue;
        }
        // keepalived 2.2.7 switches to the old form of a vrrpd configured with it.
        if mode.old_checksum == Some(Side::Vrrpd)
            && *refusal == "Setting unicast VRRPv3 checksum to old version"
        {
            assert!(
                klogs.contains(refusal),
                "{cell}: keepalived did not switch:\n{klogs}"
            );
            continue;
        }
        assert!(
            !klogs.contains(refusal),
            "{cell}: keepalived logged \"{refusal}\":\n{klogs}"
        );
    }
    let old_sum = num(&vs, "/counters/old_unicast_checksum_rcvd");
    let vlog = sc.read(&format!("vrrpd-{vrrpd_run}.log"));
    let switched = vlog.contains("(VI_1) Setting unicast VRRPv3 checksum to old version");
    let vrrpd_switches = mode.old_checksum == Some(Side::Keepalived);
    assert_eq!(switched, vrrpd_switches, "{cell}: vrrpd's log:\n{vlog}");
    // Old-form adverts from keepalived: only configured (its switch changes nothing on the
    // wire, see `expected_form`).
    if mode.old_checksum == Some(Side::Keepalived) {
        assert!(
            old_sum >= 3,
            "{cell}: keepalived's old checksums not counted: {vs}"
        );
    } else {
        assert_eq!(old_sum, 0, "{cell}: {vs}");
    }

    check_wire(&cell, mode, role, &adverts, (&a, &b), epoch0, &starts);
}

/// What keepalived 2.2.7 logs when it refuses an advert (`vrrp_check_packet`), or when it
/// switches to the old unicast checksum because a peer sent it.
const KEEPALIVED_REFUSALS: &[&str] = &[
    "Invalid VRRPv2 checksum",
    "Invalid VRRPv3 checksum",
    "Invalid auth type",
    "auth, expecting",
    "invalid passwd",
    "Invalid packet type",
    "AH header",
    "invalid TTL/HL",
    "not in range",
    "advertisement interval mismatch",
    "VIPs but received",
    "ip address associated with VRID",
    "unexpected ip number count",
    "not a unicast peer",
    "vrrp packet too",
    "wrong version",
    "icast packet but received",
    "Setting unicast VRRPv3 checksum to old version",
];

/// Now, in seconds since the epoch (the clock of the capture's timestamps).
fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn v2_vrrpd_master_keepalived_backup() {
    run(V2, Role::VrrpdMaster);
}

#[test]
fn v2_keepalived_master_vrrpd_backup() {
    run(V2, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv4_vrrpd_master_keepalived_backup() {
    run(V3_IPV4, Role::VrrpdMaster);
}

#[test]
fn v3_ipv4_keepalived_master_vrrpd_backup() {
    run(V3_IPV4, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv6_vrrpd_master_keepalived_backup() {
    run(V3_IPV6, Role::VrrpdMaster);
}

#[test]
fn v3_ipv6_keepalived_master_vrrpd_backup() {
    run(V3_IPV6, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv4_unicast_vrrpd_master_keepalived_backup() {
    run(V3_IPV4_UNICAST, Role::VrrpdMaster);
}

#[test]
fn v3_ipv4_unicast_keepalived_master_vrrpd_backup() {
    run(V3_IPV4_UNICAST, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv4_unicast_old_checksum_vrrpd_master_keepalived_backup() {
    run(V3_IPV4_UNICAST_OLD_CHECKSUM, Role::VrrpdMaster);
}

#[test]
fn v3_ipv4_unicast_old_checksum_keepalived_master_vrrpd_backup() {
    run(V3_IPV4_UNICAST_OLD_CHECKSUM, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv4_unicast_old_checksum_in_vrrpd_vrrpd_master_keepalived_backup() {
    run(V3_IPV4_UNICAST_OLD_CHECKSUM_VRRPD, Role::VrrpdMaster);
}

#[test]
fn v3_ipv4_unicast_old_checksum_in_vrrpd_keepalived_master_vrrpd_backup() {
    run(V3_IPV4_UNICAST_OLD_CHECKSUM_VRRPD, Role::KeepalivedMaster);
}

#[test]
fn v3_ipv6_unicast_vrrpd_master_keepalived_backup() {
    run(V3_IPV6_UNICAST, Role::VrrpdMaster);
}

#[test]
fn v3_ipv6_unicast_keepalived_master_vrrpd_backup() {
    run(V3_IPV6_UNICAST, Role::KeepalivedMaster);
}
