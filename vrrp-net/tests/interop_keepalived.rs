//! vrrp-net + vrrp-fsm (`vrrp-one`) against a real keepalived on a bridged namespace LAN, in
//! both roles, for VRRPv2 multicast, VRRPv3 IPv4 multicast, VRRPv3 IPv6 and VRRPv3 unicast:
//!
//! 1. vrrp-one (priority 150) is master, keepalived (100) backup; vrrp-one's link goes down
//!    and keepalived takes the VIP; the link comes back and vrrp-one preempts it back.
//! 2. keepalived (150) is master, vrrp-one (100) backup; keepalived stops (SIGTERM, its
//!    priority-0 advert) and vrrp-one takes the VIP.
//!
//! Assertions: the addresses each kernel has, and keepalived's own log lines.

mod lan;

use std::path::Path;
use std::thread::sleep;
use std::time::Duration;

use lan::{has_addr, has_program, ip, is_root, wait_for, Lan, LanExt};

struct Case {
    name: &'static str,
    version: u8,
    v6: bool,
    unicast: bool,
}

impl Case {
    fn vip(&self) -> (&'static str, &'static str) {
        if self.v6 {
            ("2001:db8::100", "2001:db8::100/128")
        } else {
            ("192.0.2.100", "192.0.2.100/32")
        }
    }

    fn advert(&self) -> (&'static str, &'static str) {
        // (keepalived advert_int, vrrp-one --advert-cs): v2 counts whole seconds.
        if self.version == 2 {
            ("1", "100")
        } else {
            ("0.2", "20")
        }
    }

    fn limit(&self) -> Duration {
        Duration::from_secs(if self.version == 2 { 15 } else { 8 })
    }

    fn keepalived_conf(&self, prio: u8) -> String {
        let (vip, _) = self.vip();
        let (adv, _) = self.advert();
        let unicast = if self.unicast {
            "  unicast_src_ip 192.0.2.2\n  unicast_peer {\n    192.0.2.1\n  }\n"
        } else {
            ""
        };
        format!(
            "global_defs {{\n  router_id peer\n}}\nvrrp_instance VI_1 {{\n  state BACKUP\n  \
             interface b0\n  virtual_router_id 51\n  priority {prio}\n  advert_int {adv}\n  \
             version {v}\n{unicast}  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n",
            v = self.version
        )
    }

    fn vrrp_one_args(&self, prio: &'static str) -> Vec<&'static str> {
        let (vip, _) = self.vip();
        let (_, cs) = self.advert();
        let mut args = vec!["--priority", prio, "--vip", vip, "--advert-cs", cs];
        args.extend(["--version", if self.version == 2 { "2" } else { "3" }]);
        if self.unicast {
            args.extend(["--peer", "192.0.2.2", "--src", "192.0.2.1"]);
        }
        args
    }
}

fn start_keepalived(lan: &mut Lan, case: &Case, prio: u8, tag: &str) -> usize {
    let conf = lan.dir.join(format!("keepalived-{tag}.conf"));
    std::fs::write(&conf, case.keepalived_conf(prio)).unwrap();
    let d = lan.dir.display();
    let args: Vec<String> = ["-n", "-l", "-D", "-P", "-f"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            conf.display().to_string(),
            "-p".into(),
            format!("{d}/k-{tag}.pid"),
            "-r".into(),
            format!("{d}/v-{tag}.pid"),
            "-c".into(),
            format!("{d}/c-{tag}.pid"),
        ])
        .collect();
    let b = lan.b.name().to_owned();
    lan::spawn(
        lan,
        &b,
        Path::new("keepalived"),
        &args,
        &format!("keepalived-{tag}.log"),
    )
}

fn run(case: Case) {
    if !is_root() || !has_program("keepalived") {
        eprintln!("SKIP interop {}: needs root and keepalived", case.name);
        return;
    }
    let mut lan = lan::new(&format!("ka{}", case.name.replace('-', "")));
    let (a, b) = (lan.a.name().to_owned(), lan.b.name().to_owned());
    let (_, cidr) = case.vip();
    let limit = case.limit();
    let on_a = |a: &str| has_addr(a, "a0", cidr);
    let on_b = |b: &str| has_addr(b, "b0", cidr);
    let capture = lan.capture("wire");

    // 1. vrrp-one master, keepalived backup: keepalived joins a segment with a master.
    let ours = lan.start_vrrp_one(&a, "a0", &case.vrrp_one_args("150"));
    wait_for(limit, "VIP on vrrp-one (150)", || on_a(&a));
    let theirs = start_keepalived(&mut lan, &case, 100, "backup");
    wait_for(limit, "keepalived running as backup", || {
        lan.log("keepalived-backup.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    // Several of keepalived's Master_Down_Intervals: it must hear us and stay backup.
    sleep(Duration::from_millis(if case.version == 2 {
        5000
    } else {
        1500
    }));
    assert!(
        !on_b(&b),
        "{}: keepalived took the VIP from a higher-priority master",
        case.name
    );
    let log = lan.log("keepalived-backup.log");
    assert!(
        !log.contains("Entering MASTER STATE"),
        "{}: keepalived became master:\n{log}",
        case.name
    );

    ip(&["-n", &a, "link", "set", "a0", "down"]);
    wait_for(
        limit,
        "keepalived takes the VIP after our link loss",
        || on_b(&b),
    );
    wait_for(limit, "vrrp-one releases the VIP in FAULT", || !on_a(&a));
    ip(&["-n", &a, "link", "set", "a0", "up"]);
    wait_for(limit, "vrrp-one preempts the VIP back", || on_a(&a));
    wait_for(limit, "keepalived releases the VIP", || !on_b(&b));
    assert!(lan.stop(ours), "vrrp-one exit status");
    assert!(lan.stop(theirs), "keepalived exit status");

    // 2. keepalived master, vrrp-one backup; keepalived stops with a priority-0 advert.
    let theirs = start_keepalived(&mut lan, &case, 150, "master");
    wait_for(limit, "VIP on keepalived (150)", || on_b(&b));
    let ours = lan.start_vrrp_one(&a, "a0", &case.vrrp_one_args("100"));
    sleep(Duration::from_millis(if case.version == 2 {
        4500
    } else {
        1000
    }));
    assert!(
        !on_a(&a),
        "{}: vrrp-one took the VIP from a higher-priority master",
        case.name
    );
    assert!(on_b(&b));
    assert!(lan.stop(theirs), "keepalived exit status");
    wait_for(
        limit,
        "vrrp-one takes over after keepalived's priority-0 advert",
        || on_a(&a),
    );
    assert!(!on_b(&b));
    assert!(lan.stop(ours), "vrrp-one exit status");
    assert!(!on_a(&a), "VIP left behind after SIGTERM");
    check_wire(&case, &lan.adverts(capture, "wire"), &a, &b);
}

/// The source VRRP uses on `dev` in `ns`: its IPv4 address, or its IPv6 link-local.
fn source_of(ns: &str, dev: &str, v6: bool) -> String {
    let out = std::process::Command::new("ip")
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

/// What went over the bridge, read from the capture by scapy: every advert has TTL / hop
/// limit 255, our version, type 1, VRID 51, the VIP, the right destination, and a checksum
/// in keepalived's form; both sides sent the priorities the scenario implies, priority 0
/// on each SIGTERM included.
fn check_wire(case: &Case, adverts: &[Vec<String>], a: &str, b: &str) {
    let ours = source_of(a, "a0", case.v6);
    let theirs = source_of(b, "b0", case.v6);
    let (vip, _) = case.vip();
    let group = if case.v6 { "ff02::12" } else { "224.0.0.18" };
    let form = if case.version == 2 {
        "message-only"
    } else {
        "pseudo-header"
    };
    assert!(!adverts.is_empty(), "{}: nothing captured", case.name);
    let mut prios: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for f in adverts {
        let line = f.join(" ");
        assert!(
            f.len() >= 10,
            "{}: malformed advert on the wire: {line}",
            case.name
        );
        let side = if f[0] == ours {
            0
        } else if f[0] == theirs {
            1
        } else {
            panic!("{}: advert from a stranger: {line}", case.name)
        };
        let dst = if !case.unicast {
            group
        } else if side == 0 {
            "192.0.2.2"
        } else {
            "192.0.2.1"
        };
        assert_eq!(f[1], dst, "{}: destination: {line}", case.name);
        assert_eq!(f[2], "255", "{}: TTL / hop limit: {line}", case.name);
        assert_eq!(
            f[3],
            case.version.to_string(),
            "{}: version: {line}",
            case.name
        );
        assert_eq!(f[4], "1", "{}: type: {line}", case.name);
        assert_eq!(f[5], "51", "{}: VRID: {line}", case.name);
        assert_eq!(
            &f[7..],
            ["1", &f[8], vip],
            "{}: addresses: {line}",
            case.name
        );
        assert!(
            f[8].split(',').any(|x| x == form),
            "{}: checksum not {form}: {line}",
            case.name
        );
        prios[side].push(f[6].parse().unwrap());
    }
    let has = |side: usize, p: u8| prios[side].contains(&p);
    assert!(
        has(0, 150) && has(0, 100) && has(0, 0),
        "{}: our priorities {:?}",
        case.name,
        prios[0]
    );
    assert!(
        has(1, 100) && has(1, 150) && has(1, 0),
        "{}: keepalived's priorities {:?}",
        case.name,
        prios[1]
    );
}

#[test]
fn keepalived_v2_multicast_both_roles() {
    run(Case {
        name: "v2-multicast",
        version: 2,
        v6: false,
        unicast: false,
    });
}

#[test]
fn keepalived_v3_ipv4_multicast_both_roles() {
    run(Case {
        name: "v3-ipv4",
        version: 3,
        v6: false,
        unicast: false,
    });
}

#[test]
fn keepalived_v3_ipv6_both_roles() {
    run(Case {
        name: "v3-ipv6",
        version: 3,
        v6: true,
        unicast: false,
    });
}

#[test]
fn keepalived_v3_unicast_both_roles() {
    run(Case {
        name: "v3-unicast",
        version: 3,
        v6: false,
        unicast: true,
    });
}
