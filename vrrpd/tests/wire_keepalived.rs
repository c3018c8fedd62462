//! keepalived's wire options on the wire, vrrpd against keepalived 2.2.7 on the bridged LAN
//! of `vrrp-net/tests/lan` (namespace A: `a0`, 192.0.2.1; B: `b0`, 192.0.2.2), captured on
//! the bridge:
//!
//! 1. `vrrp_mcast_group4 224.0.0.42` and `mcast_src_ip`: keepalived (150) masters first and
//!    vrrpd (100) stays BACKUP, hearing it on that group; keepalived stops, vrrpd takes
//!    over; every advert goes to 224.0.0.42 from the `mcast_src_ip` address, TTL 255.
//! 2. `unicast_ttl`: keepalived (150, `unicast_ttl 9`) masters, vrrpd (100, `unicast_ttl
//!    7`) stays BACKUP (it takes adverts to a unicast address whatever their TTL, as
//!    keepalived does; before, it dropped them and both were master), then takes over;
//!    keepalived's adverts carry TTL 9, vrrpd's 7.
//! 3. A master hearing a lower-priority advert (one injected from B with scapy), under
//!    keepalived and under vrrpd with the same file, in namespace A: whether it answers at
//!    once (`lower_prio_no_advert`), how many gratuitous ARPs it sends then and 5 s later
//!    (`vrrp_garp_lower_prio_repeat` / `_delay`, by default the master burst's); and, hearing a
//!    higher priority, whether it sends one last advert (`higher_prio_send_advert`). The
//!    two daemons must agree, and match keepalived's meaning.
//! 4. `vrrp_garp_interval`: the gratuitous ARPs of a new master go the interval apart under
//!    both daemons.
//! 5. `vrrp_mcast_group6 ff02::42`: test 1 over IPv6 (VRRPv3).
//! 6. `vrrp_strict` on both: one master, failover on vrrpd's stop.
//! 7. `unicast_peer { ADDR min_ttl 10 }` against `unicast_ttl 9`: the adverts are dropped
//!    and the lower priority takes over, under vrrpd and (roles swapped) under keepalived.
//!
//! Needs root, keepalived, tcpdump and scapy for /usr/bin/python3 (else SKIP).

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
mod peer;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc::{channel, Receiver};
use std::thread::sleep;
use std::time::Duration;

use lan::LanExt;
use peer::{Scene, LIMIT};

/// Long enough for several of a v2 backup's Master_Down_Intervals (about 3.6 s).
const SETTLE: Duration = Duration::from_secs(5);

fn skip_without_tools(name: &str) -> bool {
    for tool in ["tcpdump", "python3"] {
        if !lan::has_program(tool) {
            let _ = writeln!(std::io::stderr(), "SKIP {name}: {tool} is not installed");
            return true;
        }
    }
    false
}

/// keepalived.conf for VRID 51, v2, advert_int 1, PASS 1111, VIP 192.0.2.100/24:
/// `global` inside global_defs, `extra` inside the instance.
fn conf(global: &str, state: &str, dev: &str, priority: u8, extra: &str) -> String {
    format!(
        "! written by vrrpd/tests/wire_keepalived.rs\nglobal_defs {{\n  router_id wire\n{global}\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface {dev}\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    \
         auth_pass 1111\n  }}\n{extra}\n  virtual_ipaddress {{\n    {}\n  }}\n}}\n",
        peer::VIP
    )
}

/// Adverts of a capture (`adverts.py` lines: SRC DST TTL VERSION TYPE VRID PRIORITY ...).
fn from(adverts: &[Vec<String>], src: &str) -> Vec<Vec<String>> {
    adverts
        .iter()
        .filter(|a| a.first().map(String::as_str) == Some(src))
        .cloned()
        .collect()
}

#[test]
fn multicast_group_and_source() {
    let name = "wire 1 (vrrp_mcast_group4, mcast_src_ip)";
    let Some(mut sc) = Scene::new(name, "wg") else {
        return;
    };
    if skip_without_tools(name) {
        return;
    }
    sc.lan.a.add_addr("a0", "192.0.2.11/24").unwrap();
    sc.lan.b.add_addr("b0", "192.0.2.12/24").unwrap();
    let group = "  vrrp_mcast_group4 224.0.0.42";
    let ours = conf(group, "BACKUP", "a0", 100, "  mcast_src_ip 192.0.2.11");
    let theirs = conf(group, "MASTER", "b0", 150, "  mcast_src_ip 192.0.2.12");
    let ours = sc.write("vrrpd.conf", &ours);
    let theirs = sc.write("keepalived.conf", &theirs);
    let cap = sc.lan.capture("group");
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (150)", || sc.vip_b());
    sc.start_vrrpd(&ours, "1");
    sc.wait_status("1", LIMIT, "vrrpd BACKUP", |s| {
        peer::text(&Scene::vi1(s), "/state") == "BACKUP"
    });
    sleep(SETTLE);
    let s = Scene::vi1(&sc.status("1"));
    assert_eq!(
        peer::text(&s, "/state"),
        "BACKUP",
        "vrrpd hears keepalived on 224.0.0.42: {s}"
    );
    assert!(!sc.vip_a(), "one master");
    sc.term(k, "keepalived", Duration::from_secs(30));
    sc.wait(LIMIT, "VIP on vrrpd after keepalived stops", || sc.vip_a());
    sleep(Duration::from_secs(2));
    let adverts = sc.lan.adverts(cap, "group");
    let theirs = from(&adverts, "192.0.2.12");
    let ours = from(&adverts, "192.0.2.11");
    println!(
        "{name}: {} adverts from keepalived, {} from vrrpd",
        theirs.len(),
        ours.len()
    );
    assert!(!theirs.is_empty() && !ours.is_empty(), "{adverts:?}");
    assert_eq!(
        adverts.len(),
        theirs.len() + ours.len(),
        "only the mcast_src_ip addresses send: {adverts:?}"
    );
    for a in &adverts {
        assert_eq!(
            (a[1].as_str(), a[2].as_str()),
            ("224.0.0.42", "255"),
            "{a:?}"
        );
    }
    assert!(ours.iter().all(|a| a[6] == "100"), "{ours:?}");
    assert!(
        theirs.iter().any(|a| a[6] == "0"),
        "keepalived's priority 0"
    );
}

#[test]
fn unicast_ttl_both_ways() {
    let name = "wire 2 (unicast_ttl)";
    let Some(mut sc) = Scene::new(name, "wt") else {
        return;
    };
    if skip_without_tools(name) {
        return;
    }
    let unicast = |src: &str, peer: &str, ttl: u8| {
        format!("  unicast_ttl {ttl}\n  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}")
    };
    let ours = conf(
        "",
        "BACKUP",
        "a0",
        100,
        &unicast(peer::A_ADDR, peer::B_ADDR, 7),
    );
    let theirs = conf(
        "",
        "MASTER",
        "b0",
        150,
        &unicast(peer::B_ADDR, peer::A_ADDR, 9),
    );
    let ours = sc.write("vrrpd.conf", &ours);
    let theirs = sc.write("keepalived.conf", &theirs);
    let cap = sc.lan.capture("ttl");
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (150)", || sc.vip_b());
    sc.start_vrrpd(&ours, "1");
    sc.wait_status("1", LIMIT, "vrrpd BACKUP", |s| {
        peer::text(&Scene::vi1(s), "/state") == "BACKUP"
    });
    sleep(SETTLE);
    let st = sc.status("1");
    let s = Scene::vi1(&st);
    assert_eq!(
        peer::text(&s, "/state"),
        "BACKUP",
        "vrrpd takes keepalived's TTL 9 adverts: {st}"
    );
    assert!(!sc.vip_a(), "one master");
    assert_eq!(peer::num(&st, "/global/ip_ttl_errors"), 0, "{st}");
    sc.term(k, "keepalived", Duration::from_secs(30));
    sc.wait(LIMIT, "VIP on vrrpd after keepalived stops", || sc.vip_a());
    sleep(Duration::from_secs(2));
    let adverts = sc.lan.adverts(cap, "ttl");
    let theirs = from(&adverts, peer::B_ADDR);
    let ours = from(&adverts, peer::A_ADDR);
    println!(
        "{name}: {} adverts from keepalived, {} from vrrpd",
        theirs.len(),
        ours.len()
    );
    assert!(!theirs.is_empty() && !ours.is_empty(), "{adverts:?}");
    for a in &theirs {
        assert_eq!((a[1].as_str(), a[2].as_str()), (peer::A_ADDR, "9"), "{a:?}");
    }
    for a in &ours {
        assert_eq!((a[1].as_str(), a[2].as_str()), (peer::B_ADDR, "7"), "{a:?}");
    }
}

/// One packet of a text capture: time (s), and the line.
struct Seen {
    t: f64,
    line: String,
}

/// `tcpdump -tt -n -l` on the bridge (VRRP and ARP) into `DIR/name.txt`.
fn text_capture(sc: &mut Scene, name: &str) -> usize {
    let args: Vec<String> = [
        "-i",
        vrrp_lab::Lan::BRIDGE,
        "--immediate-mode",
        "-l",
        "-n",
        "-tt",
        "arp or ip proto 112",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let br = sc.lan.br.name().to_owned();
    let log = format!("{name}.txt");
    let i = lan::spawn(&mut sc.lan, &br, Path::new("tcpdump"), &args, &log);
    sc.wait(Duration::from_secs(10), "tcpdump listening", || {
        sc.read(&log).contains("listening on")
    });
    i
}

fn seen(sc: &Scene, name: &str) -> Vec<Seen> {
    sc.read(&format!("{name}.txt"))
        .lines()
        .filter_map(|l| {
            let (t, rest) = l.split_once(' ')?;
            Some(Seen {
                t: t.parse().ok()?,
                line: rest.to_owned(),
            })
        })
        .collect()
}

/// `hostile/inject.py` running in namespace B, sending one advert of a kind on request.
struct Injector {
    to: std::process::ChildStdin,
    from: Receiver<String>,
}

impl Injector {
    fn start(sc: &mut Scene) -> Injector {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/inject.py");
        let log = std::fs::File::create(sc.path("inject.log")).unwrap();
        let mut child = vrrp_lab::in_netns(sc.lan.b.name(), "/usr/bin/python3")
            .arg(script)
            .args(["b0", "ff:ff:ff:ff:ff:ff"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let to = child.stdin.take().unwrap();
        let out = child.stdout.take().unwrap();
        // The LAN kills and reaps it on drop, like its own children.
        sc.lan.children.push(child);
        let (tx, from) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut i = Injector { to, from };
        assert_eq!(i.line(sc), "ready", "inject.py did not start");
        i
    }

    fn line(&mut self, sc: &Scene) -> String {
        match self.from.recv_timeout(LIMIT) {
            Ok(l) => l.trim().to_owned(),
            Err(e) => panic!("no answer from inject.py ({e}): {}", sc.read("inject.log")),
        }
    }

    /// One advert of `kind`, 300 ms after the master's next advert (so that an answer is
    /// never mistaken for its regular one, 1 s apart).
    fn send(&mut self, sc: &Scene, capture: &str, kind: &str) {
        let count = || {
            seen(sc, capture)
                .iter()
                .filter(|p| p.line.contains("192.0.2.1 > 224.0.0.18"))
                .count()
        };
        let before = count();
        sc.wait(LIMIT, "the master's next advert", || count() > before);
        sleep(Duration::from_millis(300));
        writeln!(self.to, "{kind} 1").unwrap();
        let got = self.line(sc);
        assert_eq!(got, format!("sent {kind} 1"), "inject.py");
    }
}

/// What a master did about injected adverts, read from the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reaction {
    /// Of the lower-priority adverts, how many the master answered within 20 ms.
    answered: usize,
    /// Gratuitous ARPs for the VIP within 1 s of the first lower-priority advert.
    garps_at_once: usize,
    /// And from 1 to 6 s after it (the second burst).
    garps_later: usize,
    /// Whether it sent an advert within 20 ms of the higher-priority one.
    last_word: bool,
}

fn reaction(packets: &[Seen]) -> Reaction {
    let injected = |prio: &str| -> Vec<f64> {
        packets
            .iter()
            .filter(|p| {
                p.line.contains("192.0.2.2 > 224.0.0.18")
                    && p.line.contains(&format!("prio {prio},"))
            })
            .map(|p| p.t)
            .collect()
    };
    let ours: Vec<f64> = packets
        .iter()
        .filter(|p| p.line.contains("192.0.2.1 > 224.0.0.18"))
        .map(|p| p.t)
        .collect();
    let answered_at = |t: f64| ours.iter().any(|&o| o >= t && o - t < 0.020);
    let garps = |from: f64, to: f64| {
        packets
            .iter()
            .filter(|p| p.t >= from && p.t < to)
            .filter(|p| p.line.contains("ARP") && p.line.contains("192.0.2.100"))
            .count()
    };
    let low = injected("1");
    let high = injected("254");
    assert_eq!((low.len(), high.len()), (3, 1), "injected adverts seen");
    Reaction {
        answered: low.iter().filter(|&&t| answered_at(t)).count(),
        garps_at_once: garps(low[0], low[0] + 1.0),
        garps_later: garps(low[0] + 1.0, low[0] + 6.0),
        last_word: answered_at(high[0]),
    }
}

/// Run `conf` (with `dev` a0) under `daemon` ("vrrpd" or "keepalived") in namespace A as the
/// only router; inject a lower-priority advert, wait past the delayed GARPs, inject two more
/// lower-priority adverts and a higher-priority one; what the master did.
fn react(daemon: &str, global: &str, tag: &str) -> Option<Reaction> {
    let name = format!("wire 3 ({daemon}, {global:?})");
    let mut sc = Scene::new(&name, tag)?;
    if skip_without_tools(&name) {
        return None;
    }
    let text = conf(global, "MASTER", "a0", 150, "");
    let file = sc.write("a.conf", &text);
    let a = sc.a();
    if daemon == "vrrpd" {
        sc.start_vrrpd(&file, "1");
    } else {
        sc.start_keepalived_in(&a, &file, "1");
    }
    sc.wait(LIMIT, "VIP on the master", || sc.vip_a());
    // Past the master's own second GARP burst (garp_master_delay 5).
    sleep(Duration::from_secs(6));
    let mut inj = Injector::start(&mut sc);
    let cap = text_capture(&mut sc, "react");
    inj.send(&sc, "react", "prio1");
    // Past the second burst (`vrrp_garp_lower_prio_delay`, 5 s unless set lower).
    sleep(Duration::from_millis(6000));
    inj.send(&sc, "react", "prio1");
    inj.send(&sc, "react", "prio1");
    inj.send(&sc, "react", "prio254");
    sleep(Duration::from_millis(500));
    sc.lan.stop(cap);
    let r = reaction(&seen(&sc, "react"));
    println!("{name}: {r:?}");
    Some(r)
}

#[test]
fn lower_and_higher_priority_adverts_as_keepalived() {
    for (global, want) in [
        (
            "",
            Reaction {
                answered: 3,
                garps_at_once: 5,
                garps_later: 5,
                last_word: false,
            },
        ),
        (
            "  vrrp_lower_prio_no_advert\n  vrrp_higher_prio_send_advert\n  \
             vrrp_garp_lower_prio_repeat 2\n  vrrp_garp_lower_prio_delay 3",
            Reaction {
                answered: 0,
                garps_at_once: 2,
                garps_later: 2,
                last_word: true,
            },
        ),
    ] {
        let tag = if global.is_empty() { "d" } else { "o" };
        let Some(theirs) = react("keepalived", global, &format!("wk{tag}")) else {
            return;
        };
        let Some(ours) = react("vrrpd", global, &format!("wv{tag}")) else {
            return;
        };
        assert_eq!(theirs, want, "keepalived 2.2.7 with {global:?}");
        assert_eq!(ours, theirs, "vrrpd as keepalived, with {global:?}");
    }
}

/// The gratuitous ARPs for the VIP a master sends in its first 3 s, under `daemon` with
/// `global`: their times (s, from the first).
fn garps_on_taking_over(daemon: &str, global: &str, tag: &str) -> Option<Vec<f64>> {
    let name = format!("wire 4 ({daemon}, {global:?})");
    let mut sc = Scene::new(&name, tag)?;
    if skip_without_tools(&name) {
        return None;
    }
    let file = sc.write("a.conf", &conf(global, "MASTER", "a0", 150, ""));
    let a = sc.a();
    let cap = text_capture(&mut sc, "garp");
    if daemon == "vrrpd" {
        sc.start_vrrpd(&file, "1");
    } else {
        sc.start_keepalived_in(&a, &file, "1");
    }
    sc.wait(LIMIT, "VIP on the master", || sc.vip_a());
    sleep(Duration::from_secs(3));
    sc.lan.stop(cap);
    let times: Vec<f64> = seen(&sc, "garp")
        .iter()
        .filter(|p| p.line.contains("ARP") && p.line.contains("192.0.2.100"))
        .map(|p| p.t)
        .collect();
    let first = times.first().copied().unwrap_or(0.0);
    let rel: Vec<f64> = times.iter().map(|t| t - first).collect();
    println!("{name}: gratuitous ARPs at {rel:.3?} s");
    Some(rel)
}

/// `vrrp_garp_interval`: keepalived's and vrrpd's bursts send the same number of ARPs, at
/// least the interval apart (a lower bound the option promises, not a speed).
#[test]
fn garp_interval_spaces_the_burst() {
    let global =
        "  vrrp_garp_interval 0.2\n  vrrp_garp_master_repeat 3\n  vrrp_garp_master_delay 0";
    let Some(theirs) = garps_on_taking_over("keepalived", global, "wik") else {
        return;
    };
    let Some(ours) = garps_on_taking_over("vrrpd", global, "wiv") else {
        return;
    };
    // keepalived keeps one pending ARP per address: of the 3 repeats, one goes at once and
    // one after the interval (measured: [0, 0.2]).
    assert!(theirs.len() >= 2, "keepalived: {theirs:?}");
    assert_eq!(
        ours.len(),
        theirs.len(),
        "vrrpd: {ours:?}, keepalived: {theirs:?}"
    );
    for w in ours.windows(2).chain(theirs.windows(2)) {
        assert!(w[1] - w[0] >= 0.19, "{ours:?} / {theirs:?}");
    }
}

/// keepalived.conf for VRID 51, v3, IPv6 VIP 2001:db8::100/64 on `dev`, `global` inside
/// global_defs.
fn conf6(global: &str, state: &str, dev: &str, priority: u8) -> String {
    format!(
        "! written by vrrpd/tests/wire_keepalived.rs\nglobal_defs {{\n  router_id wire\n{global}\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface {dev}\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 1\n  version 3\n  virtual_ipaddress {{\n    \
         2001:db8::100/64\n  }}\n}}\n"
    )
}

/// `vrrp_mcast_group6 ff02::42`: as test 1, over IPv6.
#[test]
fn multicast_group6() {
    let name = "wire 5 (vrrp_mcast_group6)";
    let Some(mut sc) = Scene::new(name, "w6") else {
        return;
    };
    if skip_without_tools(name) {
        return;
    }
    let group = "  vrrp_mcast_group6 ff02::42";
    let ours = sc.write("vrrpd.conf", &conf6(group, "BACKUP", "a0", 100));
    let theirs = sc.write("keepalived.conf", &conf6(group, "MASTER", "b0", 150));
    let cap = sc.lan.capture("group6");
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (150)", || {
        sc.lan.b.has_addr("b0", "2001:db8::100/64")
    });
    sc.start_vrrpd(&ours, "1");
    sc.wait_status("1", LIMIT, "vrrpd BACKUP", |s| {
        peer::text(&Scene::vi1(s), "/state") == "BACKUP"
    });
    sleep(SETTLE);
    let s = Scene::vi1(&sc.status("1"));
    assert_eq!(
        peer::text(&s, "/state"),
        "BACKUP",
        "vrrpd hears keepalived on ff02::42: {s}"
    );
    sc.term(k, "keepalived", Duration::from_secs(30));
    sc.wait(LIMIT, "VIP on vrrpd after keepalived stops", || {
        sc.lan.a.has_addr("a0", "2001:db8::100/64")
    });
    sleep(Duration::from_secs(2));
    let adverts = sc.lan.adverts(cap, "group6");
    let ours: Vec<_> = adverts.iter().filter(|a| a[6] == "100").collect();
    println!(
        "{name}: {} adverts, {} from vrrpd",
        adverts.len(),
        ours.len()
    );
    assert!(!ours.is_empty(), "{adverts:?}");
    for a in &adverts {
        assert_eq!((a[1].as_str(), a[2].as_str()), ("ff02::42", "255"), "{a:?}");
    }
}

/// `vrrp_strict` on both nodes (the same file but for the interface and priority), VRRPv3
/// with `accept` (without it keepalived filters the VIPs' traffic with nftables, which vrrpd
/// refuses to leave undone: `vrrpd -t` refuses that file): keepalived and vrrpd, each with
/// strict mode's resets (authentication ignored), elect one master and fail over.
#[test]
fn strict_mode_pair() {
    let name = "wire 6 (vrrp_strict)";
    let Some(mut sc) = Scene::new(name, "ws") else {
        return;
    };
    if skip_without_tools(name) {
        return;
    }
    let v3_accept = "  version 3\n  accept";
    let refused = sc.write(
        "refused.conf",
        &conf("  vrrp_strict", "BACKUP", "a0", 150, "  version 3"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-t", "-f"])
        .arg(&refused)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("accept mode is off (strict mode without accept)"),
        "{said}"
    );
    let ours = sc.write(
        "vrrpd.conf",
        &conf("  vrrp_strict", "BACKUP", "a0", 150, v3_accept),
    );
    let theirs = sc.write(
        "keepalived.conf",
        &conf("  vrrp_strict", "BACKUP", "b0", 100, v3_accept),
    );
    let cap = sc.lan.capture("strict");
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "VIP on vrrpd (150)", || sc.vip_a());
    sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "keepalived enters BACKUP", || {
        sc.read("keepalived-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    assert!(!sc.vip_b(), "one master");
    sc.term(v, "vrrpd", Duration::from_secs(30));
    sc.wait(LIMIT, "VIP on keepalived after vrrpd stops", || sc.vip_b());
    sleep(Duration::from_secs(2));
    let adverts = sc.lan.adverts(cap, "strict");
    let ours = from(&adverts, peer::A_ADDR);
    let theirs = from(&adverts, peer::B_ADDR);
    println!(
        "{name}: {} adverts from vrrpd, {} from keepalived",
        ours.len(),
        theirs.len()
    );
    assert!(!ours.is_empty() && !theirs.is_empty(), "{adverts:?}");
    assert!(ours.iter().any(|a| a[6] == "0"), "vrrpd's priority 0");
}

/// `unicast_peer { ADDR min_ttl 10 }` against a peer sending with `unicast_ttl 9`: every
/// advert from it is dropped, so the node takes over although the peer is master with a
/// higher priority. The same under keepalived (the roles swapped): both read the range
/// alike.
#[test]
fn unicast_peer_min_ttl_drops_out_of_range() {
    let name = "wire 7 (unicast_peer min_ttl)";
    let Some(mut sc) = Scene::new(name, "wm") else {
        return;
    };
    if skip_without_tools(name) {
        return;
    }
    let unicast = |src: &str, peer: &str, opts: &str| {
        format!(
            "  unicast_ttl 9\n  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}{opts}\n  }}"
        )
    };
    let (a, b) = (peer::A_ADDR, peer::B_ADDR);
    // vrrpd (100) holds keepalived (150, TTL 9) to min_ttl 10.
    let ours = conf("", "BACKUP", "a0", 100, &unicast(a, b, " min_ttl 10"));
    let theirs = conf("", "MASTER", "b0", 150, &unicast(b, a, ""));
    let ours = sc.write("vrrpd.conf", &ours);
    let theirs = sc.write("keepalived.conf", &theirs);
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (150)", || sc.vip_b());
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(
        LIMIT,
        "vrrpd takes over (keepalived's adverts out of range)",
        || sc.vip_a(),
    );
    let st = sc.status("1");
    println!(
        "{name}: vrrpd ip_ttl_errors {}",
        peer::num(&st, "/global/ip_ttl_errors")
    );
    assert!(peer::num(&st, "/global/ip_ttl_errors") > 0, "{st}");
    sc.term(v, "vrrpd", Duration::from_secs(30));
    sc.term(k, "keepalived", Duration::from_secs(30));
    // Roles swapped: keepalived (100) holds vrrpd (150, TTL 9) to min_ttl 10.
    let ours = conf("", "MASTER", "a0", 150, &unicast(a, b, ""));
    let theirs = conf("", "BACKUP", "b0", 100, &unicast(b, a, " min_ttl 10"));
    let ours = sc.write("vrrpd-2.conf", &ours);
    let theirs = sc.write("keepalived-2.conf", &theirs);
    sc.start_vrrpd(&ours, "2");
    sc.wait(LIMIT, "VIP on vrrpd (150)", || sc.vip_a());
    sc.start_keepalived(&theirs, "2");
    sc.wait(
        LIMIT,
        "keepalived takes over (vrrpd's adverts out of range)",
        || sc.vip_b(),
    );
    assert!(
        sc.read("keepalived-2.log")
            .contains("TTL/HL 9 not in range 10 - 255"),
        "{}",
        sc.read("keepalived-2.log")
    );
}
