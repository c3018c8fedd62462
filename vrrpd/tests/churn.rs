//! Reliability under churn, CI-sized (issue 13), on the bridged namespace LAN of
//! `vrrp-net/tests/lan`: vrrpd in namespace A on `a0` (192.0.2.1), and for two of the tests a
//! second vrrpd in namespace B on `b0` (192.0.2.2). Everything is asserted from
//! `vrrpd status --json` and from the addresses in the namespaces.
//!
//! - [`reloads_that_replace_instances_reuse_their_slots`]: 50 instances, 15 reloads that
//!   replace 10 of them alternately; the runner's slots stay at 50 and the 40 others never
//!   change state.
//! - [`interface_deleted_and_recreated_under_running_instances`]: `a0` deleted under two
//!   running masters, then created again (new ifindex): FAULT, then MASTER again with the VIP
//!   on the new interface and adverts reaching B; counted, nothing counted as an error.
//! - [`vip_already_present_is_kept_not_an_error`]: the VIP on A's interface at start (removed,
//!   counted) and while A is backup (kept when A becomes master, counted, present once).
//! - [`netlink_overrun_loses_no_link_change`]: a tiny link-monitor buffer and a storm of
//!   links made while the daemon is stopped: overruns counted, and the change to `a0` made
//!   during the storm is not lost.
//!
//! Needs root (namespaces, raw sockets); prints `SKIP name: why` and returns otherwise.

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
#[path = "peer/mod.rs"]
mod peer;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use lan::{has_addr, ip, is_root};
use peer::{num, Scene};

/// Bound on one wait (daemon start, a takeover, a reload applied).
const LIMIT: Duration = Duration::from_secs(30);

/// A scene without keepalived, or None after a SKIP line.
fn scene(name: &str, tag: &str) -> Option<Scene> {
    if !is_root() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {name}: needs root (network namespaces, VRRP raw sockets)"
        );
        return None;
    }
    Some(Scene {
        lan: lan::new(tag),
        name: name.to_string(),
    })
}

/// One `vrrp_instance` block.
fn instance(name: &str, iface: &str, vrid: u8, prio: u8, vip: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n  state BACKUP\n  interface {iface}\n  virtual_router_id \
         {vrid}\n  priority {prio}\n  advert_int 1\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
    )
}

/// The instance called `name` in a status document.
fn inst(status: &Value, name: &str) -> Value {
    status["instances"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in status: {status}"))
}

fn state(status: &Value, name: &str) -> String {
    inst(status, name)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// How many times `cidr` is on `dev` in namespace `ns`.
fn addr_count(ns: &str, dev: &str, cidr: &str) -> usize {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "addr", "show", "dev", dev])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| *w == cidr)
        .count()
}

/// The ifindex of `dev` in `ns` (`ip -o link` starts with it).
fn ifindex(ns: &str, dev: &str) -> u64 {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split(':').next().unwrap().trim().parse().unwrap()
}

/// Counters that must stay 0: OS errors of an instance.
fn no_errors(i: &Value) {
    for k in ["send_errors", "netlink_errors", "announce_errors"] {
        assert_eq!(num(i, &format!("/counters/{k}")), 0, "{k} in {i}");
    }
}

/// `slots.KEY` of a status document.
fn slots(status: &Value, key: &str) -> u64 {
    num(status, &format!("/slots/{key}"))
}

/// A reload that replaces instances frees what it replaces.
///
/// Before: the runner kept a removed instance's router, info and index forever and gave the
/// next instance a new index, so these 15 reloads that replace 10 instances each would
/// have left 200 slots (and 150 dead routers) behind for 50 live instances; the daemon's
/// per-index maps grew with them. Now the slots of the removed instances are reused: 50
/// slots, 50 live, after every reload; and the 40 instances the reloads leave alone never
/// change state.
#[test]
fn reloads_that_replace_instances_reuse_their_slots() {
    let Some(mut s) = scene("reloads_that_replace_instances_reuse_their_slots", "cha") else {
        return;
    };
    // Round r: VI_1..VI_10 are named A_k (even r, VRID k) or B_k (odd r, VRID 100 + k): a
    // rename and a new VRID, hence a removal and an addition. VI_11..VI_50 never change.
    let conf = |round: usize| {
        let mut t = String::from("global_defs {\n  router_id churn_a\n}\n");
        for k in 1..=50u8 {
            let vip = format!("192.0.2.{}/32", 100 + k);
            t += &if k <= 10 && round % 2 == 1 {
                instance(&format!("B_{k}"), "a0", 100 + k, 150, &vip)
            } else if k <= 10 {
                instance(&format!("A_{k}"), "a0", k, 150, &vip)
            } else {
                instance(&format!("VI_{k}"), "a0", k, 150, &vip)
            };
        }
        t
    };
    let path = s.write("a.conf", &conf(0));
    let a = s.a();
    s.start_vrrpd_in(&a, &path, "a", &[]);
    let first = s.wait_status("a", LIMIT, "all 50 MASTER", |st| {
        (1..=50).all(|k| {
            let n = if k <= 10 {
                format!("A_{k}")
            } else {
                format!("VI_{k}")
            };
            st["instances"]
                .as_array()
                .is_some_and(|a| a.iter().any(|i| i["name"] == n && i["state"] == "MASTER"))
        })
    });
    assert_eq!(slots(&first, "runner_slots_allocated"), 50);
    assert_eq!(slots(&first, "runner_slots_live"), 50);
    let kept = |st: &Value| -> Vec<(u64, Value)> {
        (11..=50)
            .map(|k| {
                let i = inst(st, &format!("VI_{k}"));
                (
                    num(&i, "/counters/master_transitions"),
                    i["last_transition_unix_ms"].clone(),
                )
            })
            .collect()
    };
    let before = kept(&first);
    for round in 1..=15 {
        s.write("a.conf", &conf(round));
        s.signal(0, "HUP");
        let st = s.wait_status("a", LIMIT, &format!("reload {round} applied"), |st| {
            num(st, "/reloads") == round as u64
        });
        let names = if round % 2 == 1 { "B" } else { "A" };
        assert!(
            (1..=10).all(|k| st["instances"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == format!("{names}_{k}"))),
            "round {round}: the replacements run: {st}"
        );
        assert_eq!(st["instances"].as_array().unwrap().len(), 50);
        assert_eq!(
            slots(&st, "runner_slots_allocated"),
            50,
            "round {round}: slots allocated stay at the live count"
        );
        assert_eq!(slots(&st, "runner_slots_live"), 50, "round {round}");
        assert_eq!(
            slots(&st, "sockets_open"),
            1,
            "round {round}: one socket on a0"
        );
        for k in 11..=50 {
            assert_eq!(state(&st, &format!("VI_{k}")), "MASTER", "round {round}");
        }
        sleep(Duration::from_millis(300));
    }
    let end = s.wait_status("a", LIMIT, "the replacements are MASTER", |st| {
        (1..=10).all(|k| state(st, &format!("B_{k}")) == "MASTER")
    });
    assert_eq!(
        kept(&end),
        before,
        "the 40 unchanged instances had no state change during 15 reloads"
    );
    for k in 11..=50 {
        no_errors(&inst(&end, &format!("VI_{k}")));
    }
    // Only the live instances' VIPs are on a0: none of the replaced ones leaked.
    let out = Command::new("ip")
        .args(["-n", &a, "-o", "-4", "addr", "show", "dev", "a0"])
        .output()
        .unwrap();
    let vips = String::from_utf8_lossy(&out.stdout).matches("/32 ").count();
    assert_eq!(vips, 50, "one VIP per live instance on a0");
}

/// The interface of two running masters is deleted and created again.
///
/// Before: the link monitor turned RTM_DELLINK into "link down" by index and knew no names;
/// the instances went FAULT and stayed FAULT for good when an interface of that name came
/// back (a new ifindex nobody listened to: no socket, no demux entry), until a restart.
/// Now they go FAULT with the interface (counted `interface_gone`, "Interface a0 deleted"),
/// are bound to the new interface when it appears (counted `interface_back`: new socket,
/// multicast membership, demux entry), and take mastership back from B with their VIPs on
/// the new `a0`; B hears their adverts again. Nothing is counted as an OS error, and the
/// socket on the deleted interface is closed (one socket open).
#[test]
fn interface_deleted_and_recreated_under_running_instances() {
    let Some(mut s) = scene(
        "interface_deleted_and_recreated_under_running_instances",
        "chi",
    ) else {
        return;
    };
    let conf = |node: &str, iface: &str, prio: u8| {
        format!("global_defs {{\n  router_id churn_{node}\n}}\n")
            + &instance("VI_1", iface, 51, prio, "192.0.2.100/24")
            + &instance("VI_2", iface, 52, prio, "192.0.2.101/24")
    };
    let pa = s.write("a.conf", &conf("a", "a0", 150));
    let pb = s.write("b.conf", &conf("b", "b0", 100));
    let (a, b) = (s.a(), s.b());
    s.start_vrrpd_in(&b, &pb, "b", &[]);
    s.start_vrrpd_in(&a, &pa, "a", &[]);
    let both = |want_a: &'static str, want_b: &'static str| {
        move |sa: &Value, sb: &Value| {
            ["VI_1", "VI_2"]
                .iter()
                .all(|n| state(sa, n) == want_a && state(sb, n) == want_b)
        }
    };
    let wait_both = |s: &Scene, what: &str, f: &dyn Fn(&Value, &Value) -> bool| {
        s.wait(LIMIT, what, || {
            let (Some(sa), Some(sb)) = (
                s.status_within("a", Duration::from_secs(5)),
                s.status_within("b", Duration::from_secs(5)),
            ) else {
                return false;
            };
            f(&sa, &sb)
        })
    };
    wait_both(&s, "A master, B backup", &both("MASTER", "BACKUP"));
    assert!(s.vip_a());
    let old_index = ifindex(&a, "a0");

    // Delete a0 (and its peer on the bridge) under the running instances.
    ip(&["-n", &a, "link", "del", "a0"]);
    let gone = s.wait_status("a", LIMIT, "A's instances FAULT", |st| {
        ["VI_1", "VI_2"].iter().all(|n| state(st, n) == "FAULT")
    });
    for n in ["VI_1", "VI_2"] {
        let i = inst(&gone, n);
        assert_eq!(num(&i, "/counters/interface_gone"), 1, "{i}");
        assert_eq!(i["interface_missing"], true, "{i}");
    }
    assert_eq!(
        slots(&gone, "sockets_open"),
        0,
        "the dead interface's socket is closed"
    );
    wait_both(&s, "B takes over", &both("FAULT", "MASTER"));
    let rcvd_b = |sb: &Value| num(&inst(sb, "VI_1"), "/counters/adverts_rcvd");
    let rcvd_before = rcvd_b(&s.status("b"));

    // Create it again: a new veth to the bridge, the same name and address, a new ifindex.
    let br = s.lan.br.name().to_owned();
    ip(&[
        "-n", &br, "link", "add", "a1", "type", "veth", "peer", "name", "a0", "netns", &a,
    ]);
    ip(&["-n", &br, "link", "set", "a1", "master", "br0", "up"]);
    ip(&["-n", &a, "addr", "add", "192.0.2.1/24", "dev", "a0"]);
    ip(&["-n", &a, "link", "set", "a0", "up"]);
    let new_index = ifindex(&a, "a0");
    assert_ne!(new_index, old_index, "a new interface");
    wait_both(&s, "A master again, B backup", &both("MASTER", "BACKUP"));
    let sa = s.status("a");
    for n in ["VI_1", "VI_2"] {
        let i = inst(&sa, n);
        assert_eq!(num(&i, "/counters/interface_gone"), 1, "{i}");
        assert_eq!(num(&i, "/counters/interface_back"), 1, "{i}");
        assert_eq!(i["interface_missing"], false, "{i}");
        no_errors(&i);
    }
    assert_eq!(slots(&sa, "sockets_open"), 1, "one socket, on the new a0");
    assert!(s.vip_a(), "VI_1's VIP on the new a0");
    assert!(has_addr(&a, "a0", "192.0.2.101/24"), "VI_2's VIP");
    assert!(!s.vip_b(), "B gave the VIP back");
    // A's adverts are on the wire again: B keeps hearing them.
    let heard = rcvd_b(&s.status("b"));
    s.wait(LIMIT, "B hears A's adverts", || {
        rcvd_b(&s.status("b")) >= heard + 3
    });
    assert!(heard > rcvd_before);
    assert_eq!(s.count("vrrpd-a.log", "Interface a0 deleted"), 1);
    assert_eq!(s.count("vrrpd-a.log", "Interface a0 added"), 1);
}

/// A VIP already on the interface: at start (removed, as keepalived does at startup), and
/// added by hand while the instance is backup (kept when it becomes master).
///
/// Before: the first was removed but not counted; the second was silently taken (EEXIST
/// ignored), with nothing to tell it happened. Now each is counted (`stale_vip_removed`,
/// `vip_already_present`), neither is an error, the backup does not flap while the address
/// is there, and the VIP is on the interface once.
#[test]
fn vip_already_present_is_kept_not_an_error() {
    let Some(mut s) = scene("vip_already_present_is_kept_not_an_error", "chv") else {
        return;
    };
    const VIP: &str = peer::VIP;
    let conf = |node: &str, iface: &str, prio: u8| {
        format!("global_defs {{\n  router_id churn_{node}\n}}\n")
            + &instance("VI_1", iface, 51, prio, VIP)
    };
    let pa = s.write("a.conf", &conf("a", "a0", 100));
    let pb = s.write("b.conf", &conf("b", "b0", 150));
    let (a, b) = (s.a(), s.b());
    ip(&["-n", &a, "addr", "add", VIP, "dev", "a0"]);
    let ib = s.start_vrrpd_in(&b, &pb, "b", &[]);
    s.wait_status("b", LIMIT, "B master", |st| state(st, "VI_1") == "MASTER");
    s.start_vrrpd_in(&a, &pa, "a", &[]);
    let st = s.wait_status("a", LIMIT, "A backup", |st| state(st, "VI_1") == "BACKUP");
    let i = inst(&st, "VI_1");
    assert_eq!(num(&i, "/counters/stale_vip_removed"), 1, "{i}");
    assert!(!s.vip_a(), "removed at start: A is not master");

    // By hand, while A is backup: nothing happens (keepalived ignores it too).
    ip(&["-n", &a, "addr", "add", VIP, "dev", "a0"]);
    sleep(Duration::from_secs(3));
    let st = s.status("a");
    let i = inst(&st, "VI_1");
    assert_eq!(state(&st, "VI_1"), "BACKUP", "no flap");
    assert_eq!(num(&i, "/counters/master_transitions"), 0);

    // B stops (priority 0): A becomes master and finds the VIP there.
    s.term(ib, "vrrpd B", LIMIT);
    let st = s.wait_status("a", LIMIT, "A master", |st| state(st, "VI_1") == "MASTER");
    let i = inst(&st, "VI_1");
    assert_eq!(num(&i, "/counters/vip_already_present"), 1, "{i}");
    assert_eq!(num(&i, "/counters/master_transitions"), 1, "{i}");
    no_errors(&i);
    assert_eq!(addr_count(&a, "a0", VIP), 1, "the VIP is on a0 once");
    assert_eq!(s.count("vrrpd-a.log", "was already on a0, kept"), 1);
}

/// A link storm overruns a tiny link-monitor buffer (keepalived's
/// `vrrp_netlink_monitor_rcv_bufs`); a change to the instance's own interface made at the
/// end of the storm must not be lost.
///
/// Before: ENOBUFS came back as an error from the monitor; it was logged and counted as a
/// receive error, the rest of the queue was left for the next wakeup, and a lost message
/// (here `a0` down, then up) was never recovered: the instance could stay MASTER on a dead
/// link, or FAULT on a live one. Now each overrun is counted (`netlink_overruns`), logged
/// once a minute at most, and followed by a dump of every link: the instance ends in the
/// state its interface is in.
#[test]
fn netlink_overrun_loses_no_link_change() {
    let Some(mut s) = scene("netlink_overrun_loses_no_link_change", "cho") else {
        return;
    };
    let conf = String::from(
        "global_defs {\n  router_id churn_a\n  vrrp_netlink_monitor_rcv_bufs 1024\n  \
         vrrp_netlink_monitor_rcv_bufs_force\n}\n",
    ) + &instance("VI_1", "a0", 51, 150, "192.0.2.100/24");
    let pa = s.write("a.conf", &conf);
    let a = s.a();
    let child = s.start_vrrpd_in(&a, &pa, "a", &[]);
    s.wait_status("a", LIMIT, "A master", |st| state(st, "VI_1") == "MASTER");

    // One `ip -batch`: 150 veth pairs created, a0 set down last. The daemon is stopped
    // (SIGSTOP) meanwhile, so the 1 KiB buffer overruns whatever the machine's load (on an
    // idle machine the daemon may read as fast as `ip` writes), and a0's change is among
    // what the kernel dropped or queued: the daemon must find it by itself.
    let storm = |s: &Scene, file: &str, verb: &str, last: &str| -> PathBuf {
        let mut t = String::new();
        for k in 0..150 {
            t += &match verb {
                "add" => format!("link add st{k} type veth peer name su{k}\n"),
                _ => format!("link del st{k}\n"),
            };
        }
        t += last;
        t += "\n";
        s.write(file, &t)
    };
    let f = storm(&s, "storm1.batch", "add", "link set a0 down");
    s.signal(child, "STOP");
    ip(&["-n", &a, "-batch", f.to_str().unwrap()]);
    s.signal(child, "CONT");
    let st = s.wait_status("a", LIMIT, "A FAULT (a0 is down)", |st| {
        state(st, "VI_1") == "FAULT"
    });
    let overruns = num(&st, "/global/netlink_overruns");
    assert!(overruns >= 1, "the storm overran the buffer: {st}");
    assert!(!s.vip_a(), "no VIP on a down link");

    let f = storm(&s, "storm2.batch", "del", "link set a0 up");
    ip(&["-n", &a, "-batch", f.to_str().unwrap()]);
    let st = s.wait_status("a", LIMIT, "A MASTER again (a0 is up)", |st| {
        state(st, "VI_1") == "MASTER"
    });
    assert!(num(&st, "/global/netlink_overruns") >= overruns);
    no_errors(&inst(&st, "VI_1"));
    assert!(s.vip_a());
    let lines = s.count(
        "vrrpd-a.log",
        "Netlink: Receive buffer overrun on monitor socket",
    );
    assert!(
        (1..=2).contains(&lines),
        "logged, rate-limited: {lines} lines for {} overruns",
        num(&st, "/global/netlink_overruns")
    );
}
