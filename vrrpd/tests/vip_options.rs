//! keepalived's address lines end to end (issue 15): vrrpd in namespace A of the bridged LAN
//! (`a0`, 192.0.2.1/24) with a second interface `x0` (a veth whose other end `x1` is in A
//! too). What is asserted is what keepalived 2.2.7 installs for the same lines, read from
//! `ip -d -j addr` in a namespace with keepalived run on this configuration (see each test):
//!
//! - [`every_option_lands_as_keepalived_puts_it_and_leaves_with_mastership`]: VIPs and
//!   excluded addresses of both families, with `dev`, `brd +/-/ADDR`, `label`, `scope`,
//!   `peer`, `noprefixroute`, `-nodad`, `preferred_lft`, on the right interfaces with their
//!   attributes after becoming master; all gone once a higher-priority router takes over,
//!   back when it leaves, gone after SIGTERM.
//! - [`kill_9_and_restart_leave_nothing_of_the_old_run`]: vrrpd killed while master, then
//!   started again under a master on B: every address of the old run (VIPs, excluded, on
//!   both interfaces) is removed at start, and stays removed while A is backup.
//! - [`an_interface_holding_a_vip_is_tracked_unless_no_track`]: `x1` down under a master
//!   with a VIP on `x0`: FAULT and the addresses removed (keepalived: "Entering FAULT
//!   STATE"), MASTER again when it is back; `x0` deleted and made again: FAULT, then the
//!   VIP on the new `x0`; with `no_track` on that line, `x1` down leaves it MASTER.
//! - [`an_instance_without_vips_runs_against_keepalived`]: a VRRPv2 instance with only
//!   excluded addresses, keepalived 2.2.7 the higher-priority master on B: vrrpd accepts its
//!   adverts (which carry no address) and stays BACKUP, then takes over when it stops; and
//!   keepalived, started again below it, takes vrrpd's and stays BACKUP.
//!
//! - [`a_reload_moves_changed_address_lines_while_master`]: SIGHUP with a VIP line given
//!   another `dev` and `label`, and an excluded address replaced: moved and replaced while
//!   MASTER, the unchanged VIP left alone; then a reload that makes the instance track `x0`
//!   (a new router): the instance removed takes its addresses with it.
//!
//! - [`a_missing_address_interface_stops_the_start_naming_the_line`]: an excluded address
//!   on an interface that does not exist: vrrpd refuses to start, naming that line
//!   (keepalived 2.2.7 exits too: "Non-existent interface specified in configuration").
//!
//! Needs root; prints `SKIP name: why` and returns otherwise.

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
#[path = "peer/mod.rs"]
mod peer;

use std::time::Duration;

use serde_json::Value;

use peer::{text, Scene, LIMIT};

/// The address lines under test (keepalived 2.2.7 run on them: see the module doc).
const LINES: &str = "  virtual_ipaddress {
    192.0.2.10/24 brd + label a0:v1
    192.0.2.11/24 dev x0 scope link
    192.0.2.12 dev x0 peer 198.51.100.1
    192.0.2.13/25 brd - noprefixroute
  }
  virtual_ipaddress_excluded {
    2001:db8::10
    2001:db8::11/64
    2001:db8::12/64 -nodad preferred_lft 0
    2001:db8::13/64 dev x0 preferred_lft 100
    198.51.100.20/24 dev x0
  }
";

/// Every address the lines add: (interface, address).
const ALL: [(&str, &str); 9] = [
    ("a0", "192.0.2.10"),
    ("x0", "192.0.2.11"),
    ("x0", "192.0.2.12"),
    ("a0", "192.0.2.13"),
    ("a0", "2001:db8::10"),
    ("a0", "2001:db8::11"),
    ("a0", "2001:db8::12"),
    ("x0", "2001:db8::13"),
    ("x0", "198.51.100.20"),
];

fn instance(iface: &str, prio: u8, lines: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state BACKUP\n  interface {iface}\n  virtual_router_id 51\n  \
         priority {prio}\n  advert_int 1\n{lines}}}\n"
    )
}

/// The scene, with `x0`/`x1` in namespace A.
fn scene(name: &str, tag: &str) -> Option<Scene> {
    let s = Scene::new(name, tag)?;
    let a = &s.lan.a;
    a.veth_local("x0", "x1").unwrap();
    a.set_link("x0", true).unwrap();
    a.set_link("x1", true).unwrap();
    a.wait_up("x0").unwrap();
    Some(s)
}

/// `ip -d -j addr` of namespace `ns`: (interface, address entry) for every address.
fn addresses(ns: &str) -> Vec<(String, Value)> {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-d", "-j", "addr"])
        .output()
        .unwrap();
    let links: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut all = Vec::new();
    for l in links {
        let name = l["ifname"].as_str().unwrap_or_default().to_owned();
        for a in l["addr_info"].as_array().cloned().unwrap_or_default() {
            all.push((name.clone(), a));
        }
    }
    all
}

/// The entry of `addr` in `list`, with the interface it is on.
fn find<'a>(list: &'a [(String, Value)], addr: &str) -> Option<&'a (String, Value)> {
    list.iter().find(|(_, a)| a["local"] == addr)
}

/// How many of the lines' addresses namespace `ns` has.
fn present(ns: &str) -> usize {
    let list = addresses(ns);
    ALL.iter().filter(|(_, a)| find(&list, a).is_some()).count()
}

fn state(s: &Scene, run: &str) -> String {
    text(&Scene::vi1(&s.status(run)), "/state")
}

fn wait_state(s: &Scene, run: &str, want: &str) {
    s.wait_status(run, LIMIT, want, |st| {
        text(&Scene::vi1(st), "/state") == want
    });
}

/// What keepalived 2.2.7 installed for [`LINES`] (`ip -d -j addr`, 2026-12-05).
fn assert_as_keepalived(ns: &str) {
    let list = addresses(ns);
    let get = |addr: &str| {
        find(&list, addr)
            .cloned()
            .unwrap_or_else(|| panic!("{addr} missing: {list:?}"))
    };
    for (dev, addr) in ALL {
        assert_eq!(get(addr).0, dev, "{addr} on the wrong interface");
    }
    let flag = |a: &Value, k: &str| a[k].as_bool().unwrap_or(false);
    let (_, v10) = get("192.0.2.10");
    assert_eq!(v10["prefixlen"], 24);
    assert_eq!(v10["broadcast"], "192.0.2.255");
    assert_eq!(v10["label"], "a0:v1");
    assert_eq!(v10["scope"], "global");
    let (_, v11) = get("192.0.2.11");
    assert_eq!(
        (v11["prefixlen"].clone(), v11["scope"].clone()),
        (24.into(), "link".into())
    );
    assert!(v11.get("broadcast").is_none(), "{v11}");
    let (_, v12) = get("192.0.2.12");
    assert_eq!(v12["address"], "198.51.100.1", "peer: {v12}");
    assert_eq!(v12["prefixlen"], 32);
    let (_, v13) = get("192.0.2.13");
    assert_eq!(v13["prefixlen"], 25);
    assert_eq!(v13["broadcast"], "192.0.2.0");
    assert!(flag(&v13, "noprefixroute"), "{v13}");
    // IPv6: a /128 is nodad and deprecated; a /64 nodad and preferred forever; -nodad
    // leaves DAD on; preferred_lft is the preferred lifetime, valid forever.
    let (_, e10) = get("2001:db8::10");
    assert_eq!(e10["prefixlen"], 128);
    assert!(flag(&e10, "nodad") && flag(&e10, "deprecated"), "{e10}");
    assert_eq!(e10["preferred_life_time"], 0);
    let (_, e11) = get("2001:db8::11");
    assert!(flag(&e11, "nodad") && !flag(&e11, "deprecated"), "{e11}");
    assert_eq!(e11["preferred_life_time"], u64::from(u32::MAX));
    let (_, e12) = get("2001:db8::12");
    assert!(!flag(&e12, "nodad") && flag(&e12, "deprecated"), "{e12}");
    let (_, e13) = get("2001:db8::13");
    assert!(flag(&e13, "nodad"), "{e13}");
    let lft = e13["preferred_life_time"].as_u64().unwrap();
    assert!((90..=100).contains(&lft), "{e13}");
    assert_eq!(e13["valid_life_time"], u64::from(u32::MAX));
    let (_, e20) = get("198.51.100.20");
    assert_eq!(e20["prefixlen"], 24);
}

#[test]
fn every_option_lands_as_keepalived_puts_it_and_leaves_with_mastership() {
    let Some(mut s) = scene(
        "every_option_lands_as_keepalived_puts_it_and_leaves_with_mastership",
        "vo",
    ) else {
        return;
    };
    let (a, b) = (s.a(), s.b());
    let conf = s.write("a.conf", &instance("a0", 100, LINES));
    // What goes out of x0, seen from its other end.
    let args: Vec<String> = ["-i", "x1", "-n", "-l", "-U", "arp or icmp6"]
        .iter()
        .map(|w| w.to_string())
        .collect();
    let dump = s
        .lan
        .spawn(&a, std::path::Path::new("tcpdump"), &args, "x1.out")
        .unwrap();
    s.wait(LIMIT, "tcpdump listening", || {
        s.read("x1.out").contains("listening on")
    });
    let ia = s.start_vrrpd(&conf, "a");
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "addresses added", || present(&a) == ALL.len());
    assert_as_keepalived(&a);
    // vrrpd status lists the excluded addresses, with their interface when not a0.
    let excluded = Scene::vi1(&s.status("a"))["excluded_vips"].clone();
    assert_eq!(
        excluded,
        serde_json::json!([
            "2001:db8::10/128",
            "2001:db8::11/64",
            "2001:db8::12/64",
            "2001:db8::13/64 dev x0",
            "198.51.100.20/24 dev x0"
        ]),
        "status excluded_vips"
    );
    // Gratuitous ARPs / NAs for the addresses on x0 (VIPs and excluded) go out of x0, as
    // keepalived sends them ("Sending gratuitous ARP on x0 for 192.0.2.11"); those of the
    // addresses on a0 do not.
    s.wait(LIMIT, "announces on x0", || {
        let seen = s.read("x1.out");
        ["192.0.2.11", "192.0.2.12", "198.51.100.20", "2001:db8::13"]
            .iter()
            .all(|v| seen.contains(&format!("{v} ")) || seen.contains(&format!("{v},")))
    });
    s.lan.stop(dump);
    let seen = s.read("x1.out");
    for elsewhere in ["192.0.2.10", "192.0.2.13", "2001:db8::11"] {
        assert!(
            !seen.contains(elsewhere),
            "{elsewhere} announced on x0:\n{seen}"
        );
    }
    // A higher priority on B takes over: every address leaves A, both interfaces.
    let bconf = s.write(
        "b.conf",
        &instance("b0", 200, "  virtual_ipaddress {\n    192.0.2.10/24\n  }\n"),
    );
    let ib = s.start_vrrpd_in(&b, &bconf, "b", &[]);
    wait_state(&s, "a", "BACKUP");
    s.wait(LIMIT, "addresses removed on stepping down", || {
        present(&a) == 0
    });
    // B leaves: A is master again, with everything.
    s.term(ib, "vrrpd b", LIMIT);
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "addresses back", || present(&a) == ALL.len());
    assert_as_keepalived(&a);
    s.term(ia, "vrrpd a", LIMIT);
    assert_eq!(present(&a), 0, "left after SIGTERM: {:?}", addresses(&a));
}

#[test]
fn kill_9_and_restart_leave_nothing_of_the_old_run() {
    let Some(mut s) = scene("kill_9_and_restart_leave_nothing_of_the_old_run", "vk") else {
        return;
    };
    let (a, b) = (s.a(), s.b());
    let conf = s.write("a.conf", &instance("a0", 100, LINES));
    let ia = s.start_vrrpd(&conf, "a");
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "addresses added", || present(&a) == ALL.len());
    s.signal(ia, "KILL");
    assert!(s.wait_exit(ia, LIMIT).is_some(), "vrrpd survived SIGKILL");
    assert_eq!(present(&a), ALL.len(), "a crash leaves the addresses");
    // B is master when A comes back: A must stay backup and hold nothing.
    let bconf = s.write(
        "b.conf",
        &instance("b0", 200, "  virtual_ipaddress {\n    192.0.2.10/24\n  }\n"),
    );
    s.start_vrrpd_in(&b, &bconf, "b", &[]);
    wait_state(&s, "b", "MASTER");
    s.start_vrrpd(&conf, "a2");
    wait_state(&s, "a2", "BACKUP");
    assert_eq!(present(&a), 0, "left of the old run: {:?}", addresses(&a));
    assert_eq!(
        s.count("vrrpd-a2.log", "left behind by an earlier run"),
        ALL.len(),
        "{}",
        s.read("vrrpd-a2.log")
    );
    // Backup, it stays that way for a few adverts.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(state(&s, "a2"), "BACKUP");
    assert_eq!(present(&a), 0);
}

#[test]
fn an_interface_holding_a_vip_is_tracked_unless_no_track() {
    let Some(mut s) = scene(
        "an_interface_holding_a_vip_is_tracked_unless_no_track",
        "vt",
    ) else {
        return;
    };
    let a = s.a();
    let tracked = "  virtual_ipaddress {\n    192.0.2.10/24\n    192.0.2.11/24 dev x0\n  }\n";
    let conf = s.write("a.conf", &instance("a0", 100, tracked));
    let ia = s.start_vrrpd(&conf, "a");
    wait_state(&s, "a", "MASTER");
    s.lan.a.set_link("x1", false).unwrap();
    wait_state(&s, "a", "FAULT");
    assert!(
        !s.lan.a.has_addr("a0", "192.0.2.10/24"),
        "VIP kept in FAULT"
    );
    s.lan.a.set_link("x1", true).unwrap();
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "VIP on x0 again", || {
        s.lan.a.has_addr("x0", "192.0.2.11/24")
    });
    // x0 deleted (FAULT) and made again under a new index: the VIP follows it by name.
    s.lan.a.ip(&["link", "del", "x0"]).unwrap();
    wait_state(&s, "a", "FAULT");
    s.lan.a.veth_local("x0", "x1").unwrap();
    s.lan.a.set_link("x0", true).unwrap();
    s.lan.a.set_link("x1", true).unwrap();
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "VIP on the new x0", || {
        s.lan.a.has_addr("x0", "192.0.2.11/24")
    });
    s.term(ia, "vrrpd a", LIMIT);

    let untracked = tracked.replace("dev x0", "dev x0 no_track");
    let conf = s.write("b.conf", &instance("a0", 100, &untracked));
    let ia = s.start_vrrpd(&conf, "a2");
    wait_state(&s, "a2", "MASTER");
    s.lan.a.set_link("x1", false).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        state(&s, "a2"),
        "MASTER",
        "no_track: x0 down is not a fault"
    );
    assert!(s.lan.a.has_addr("a0", "192.0.2.10/24"));
    s.term(ia, "vrrpd a2", LIMIT);
    assert_eq!(present(&a), 0);
}

#[test]
fn an_instance_without_vips_runs_against_keepalived() {
    let Some(mut s) = scene("an_instance_without_vips_runs_against_keepalived", "vn") else {
        return;
    };
    let excluded =
        "  virtual_ipaddress_excluded {\n    198.51.100.20/24\n    2001:db8::20/64\n  }\n";
    let conf = s.write("a.conf", &instance("a0", 100, excluded));
    let kconf = s.write("k.conf", &instance("b0", 200, excluded));
    let k = s.start_keepalived(&kconf, "k");
    s.wait(LIMIT, "keepalived master", || {
        s.lan.b.has_addr("b0", "198.51.100.20/24")
    });
    let ia = s.start_vrrpd(&conf, "a");
    wait_state(&s, "a", "BACKUP");
    std::thread::sleep(Duration::from_secs(4));
    // keepalived's adverts carry no address: taken, so A stays backup.
    assert_eq!(state(&s, "a"), "BACKUP", "{}", s.read("vrrpd-a.log"));
    assert!(!s.lan.a.has_addr("a0", "198.51.100.20/24"));
    s.term(k, "keepalived", LIMIT);
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "excluded addresses on A", || {
        s.lan.a.has_addr("a0", "198.51.100.20/24") && s.lan.a.has_addr("a0", "2001:db8::20/64")
    });
    // And keepalived takes vrrpd's adverts without an address: below A, it stays backup.
    let kconf = s.write("k2.conf", &instance("b0", 50, excluded));
    s.start_keepalived(&kconf, "k2");
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        s.read("keepalived-k2.log")
            .contains("Entering BACKUP STATE"),
        "{}",
        s.read("keepalived-k2.log")
    );
    assert!(!s.lan.b.has_addr("b0", "198.51.100.20/24"), "two masters");
    assert_eq!(state(&s, "a"), "MASTER");
    s.term(ia, "vrrpd a", LIMIT);
    assert!(!s.lan.a.has_addr("a0", "198.51.100.20/24"));
}

#[test]
fn a_reload_moves_changed_address_lines_while_master() {
    let Some(mut s) = scene("a_reload_moves_changed_address_lines_while_master", "vr") else {
        return;
    };
    let before = "  virtual_ipaddress {\n    192.0.2.10/24\n    192.0.2.11/24\n  }\n  \
                  virtual_ipaddress_excluded {\n    198.51.100.20/24\n  }\n";
    let conf = s.write("a.conf", &instance("a0", 100, before));
    let ia = s.start_vrrpd(&conf, "a");
    wait_state(&s, "a", "MASTER");
    let a = &s.lan.a;
    s.wait(LIMIT, "addresses added", || {
        a.has_addr("a0", "192.0.2.11/24") && a.has_addr("a0", "198.51.100.20/24")
    });
    // 192.0.2.11 moves to x0 with a label (no_track: the tracked interfaces stay the same, so
    // the instance is reconfigured in place), the excluded address is replaced.
    let after =
        "  virtual_ipaddress {\n    192.0.2.10/24\n    192.0.2.11/24 dev x0 label x0:m no_track\n  }\n  \
                 virtual_ipaddress_excluded {\n    198.51.100.21/24\n  }\n";
    s.write("a.conf", &instance("a0", 100, after));
    s.signal(ia, "HUP");
    s.wait(LIMIT, "reload applied", || {
        s.read("vrrpd-a.log").contains("applied in place")
    });
    let a = &s.lan.a;
    s.wait(LIMIT, "addresses moved", || {
        a.has_addr("x0", "192.0.2.11/24")
            && !a.has_addr("a0", "192.0.2.11/24")
            && a.has_addr("a0", "198.51.100.21/24")
            && !a.has_addr("a0", "198.51.100.20/24")
    });
    let list = addresses(&s.a());
    let (_, moved) = find(&list, "192.0.2.11").unwrap();
    assert_eq!(moved["label"], "x0:m");
    assert!(a.has_addr("a0", "192.0.2.10/24"), "an unchanged VIP stays");
    assert_eq!(state(&s, "a"), "MASTER");
    // Tracking x0 now: a new router replaces the instance. The one removed takes its
    // addresses with it (none is left for the new one to find as an earlier run's).
    let tracked = "  virtual_ipaddress {\n    192.0.2.10/24\n  }\n  \
                   virtual_ipaddress_excluded {\n    198.51.100.22/24 dev x0\n  }\n";
    s.write("a.conf", &instance("a0", 100, tracked));
    s.signal(ia, "HUP");
    s.wait(LIMIT, "reload replaced it", || {
        s.read("vrrpd-a.log").contains("added by reload")
    });
    let a = &s.lan.a;
    for (dev, cidr) in [("x0", "192.0.2.11/24"), ("a0", "198.51.100.21/24")] {
        assert!(
            !a.has_addr(dev, cidr),
            "{cidr} left on {dev} by the removed instance"
        );
    }
    assert_eq!(s.count("vrrpd-a.log", "left behind by an earlier run"), 0);
    wait_state(&s, "a", "MASTER");
    s.wait(LIMIT, "the new excluded address", || {
        a.has_addr("x0", "198.51.100.22/24")
    });
    s.term(ia, "vrrpd a", LIMIT);
    for (dev, cidr) in [("a0", "192.0.2.10/24"), ("x0", "198.51.100.22/24")] {
        assert!(!s.lan.a.has_addr(dev, cidr), "{cidr} left on {dev}");
    }
}

#[test]
fn a_missing_address_interface_stops_the_start_naming_the_line() {
    let Some(mut s) = scene(
        "a_missing_address_interface_stops_the_start_naming_the_line",
        "vm",
    ) else {
        return;
    };
    let lines = "  virtual_ipaddress {\n    192.0.2.10/24\n  }\n  \
                 virtual_ipaddress_excluded {\n    198.51.100.20/24 dev nosuch0 no_track\n  }\n";
    let conf = s.write("a.conf", &instance("a0", 100, lines));
    let ia = s.start_vrrpd(&conf, "a");
    let st = s
        .wait_exit(ia, LIMIT)
        .expect("vrrpd should refuse to start");
    assert!(!st.success());
    let log = s.read("vrrpd-a.log");
    assert!(
        log.contains("a.conf:11: vrrp_instance VI_1: interface nosuch0 for ip address 198.51.100.20 doesn't exist"),
        "{log}"
    );
    assert!(!s.lan.a.has_addr("a0", "192.0.2.10/24"));
}
