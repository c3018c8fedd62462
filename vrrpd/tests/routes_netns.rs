//! `virtual_routes`, `virtual_rules` and `static_ipaddress` / `static_routes` /
//! `static_rules` on two namespaces, each with two interfaces (`veth0`/`veth1` for VRRP,
//! `d0`/`d1` for the static entries and a nexthop). The expected lines are what keepalived
//! 2.2.7 installed for the same configuration (run by hand in the same topology, 2026-12-05):
//! protocol `keepalived` on every route and on every tracked rule, several tables, a
//! multipath route, blackhole / unreachable / throw, IPv6 routes and rules. Root only.
//! (The IPv6 static route is tracked, the rest of the static entries `no_track`; keepalived
//! installs them alike.)

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use vrrp_lab::{Netns, Pair, Skip, WorkDir};

/// The instance's part: (interface, other interface), as named on node `n`.
fn ifs(n: Node) -> (&'static str, &'static str) {
    match n {
        Node::A => ("veth0", "d0"),
        Node::B => ("veth1", "d1"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    A,
    B,
}

/// The configuration of node `n`: static entries on its second interface, one VRRPv3
/// instance on the first with routes in the main table and tables 100-102, rules for
/// both families.
fn conf(n: Node, state: &str, priority: u8) -> String {
    let (vif, sif) = ifs(n);
    let own = if n == Node::A { 40 } else { 41 };
    format!(
        "global_defs {{
  router_id {n:?}
}}
static_ipaddress {{
  198.51.100.{own}/26 dev {sif}
}}
static_routes {{
  192.0.2.128/26 via 198.51.100.5 dev {sif} table 200 no_track
  2001:db8:50::/48 dev {sif} table 200
}}
static_rules {{
  from 192.0.2.64/26 table 200 preference 200 no_track
}}
vrrp_instance VI_1 {{
  state {state}
  interface {vif}
  virtual_router_id 51
  version 3
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    192.0.2.100/24
  }}
  virtual_routes {{
    198.51.100.64/26 via 192.0.2.254 dev {vif}
    198.51.100.128/26 src 192.0.2.100 via 192.0.2.254 table 100
    blackhole 198.51.100.192/26 table 101
    198.51.100.0/27 table 102 nexthop via 192.0.2.253 dev {vif} weight 2 nexthop via 198.51.100.5 dev {sif}
    2001:db8:100::/48 via 2001:db8::fe dev {vif} table 100 metric 50
    unreachable 2001:db8:200::/48 table 101
    throw 192.0.2.192/26 table 102
  }}
  virtual_rules {{
    from 192.0.2.100 table 100 preference 100
    to 198.51.100.128/26 table 101 preference 101
    from 2001:db8::100 table 100 preference 100
    fwmark 0x10/0xff table 102 preference 102
  }}
}}
"
    )
}

/// What keepalived 2.2.7 installs on node `n` while master: the virtual routes, rules and VIP.
fn master_set(n: Node) -> BTreeSet<String> {
    let (vif, sif) = ifs(n);
    [
        format!("198.51.100.64/26 via 192.0.2.254 dev {vif} proto keepalived"),
        format!("198.51.100.128/26 via 192.0.2.254 dev {vif} table 100 proto keepalived src 192.0.2.100"),
        "blackhole 198.51.100.192/26 table 101 proto keepalived".into(),
        "throw 192.0.2.192/26 table 102 proto keepalived".into(),
        format!("198.51.100.0/27 table 102 proto keepalived | nexthop via 192.0.2.253 dev {vif} weight 2 | nexthop via 198.51.100.5 dev {sif} weight 1"),
        format!("2001:db8:100::/48 via 2001:db8::fe dev {vif} table 100 proto keepalived metric 50 pref medium"),
        "unreachable 2001:db8:200::/48 dev lo table 101 proto keepalived metric 1024 pref medium".into(),
        "rule 100: from 192.0.2.100 lookup 100 proto keepalived".into(),
        "rule 101: from all to 198.51.100.128/26 lookup 101 proto keepalived".into(),
        "rule 102: from all fwmark 0x10/0xff lookup 102 proto keepalived".into(),
        "rule6 100: from 2001:db8::100 lookup 100 proto keepalived".into(),
        format!("addr 192.0.2.100/24 {vif}"),
    ]
    .into_iter()
    .collect()
}

/// What keepalived 2.2.7 installs on node `n` from start to stop: the static entries.
fn static_set(n: Node) -> BTreeSet<String> {
    let (_, sif) = ifs(n);
    let own = if n == Node::A { 40 } else { 41 };
    [
        format!("192.0.2.128/26 via 198.51.100.5 dev {sif} table 200 proto keepalived"),
        format!("2001:db8:50::/48 dev {sif} table 200 proto keepalived metric 1024 pref medium"),
        "rule 200: from 192.0.2.64/26 lookup 200".into(),
        format!("addr 198.51.100.{own}/26 {sif}"),
    ]
    .into_iter()
    .collect()
}

fn union(a: BTreeSet<String>, b: BTreeSet<String>) -> BTreeSet<String> {
    a.into_iter().chain(b).collect()
}

/// What a daemon installed on `ns`: routes of protocol keepalived in every table (a
/// multipath route's nexthop lines joined with ` | `), rules other than the kernel's three
/// of each family, and addresses other than the node's own (`ip` output as users see it).
fn installed(ns: &Netns, own: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let routes = ns.ip(&["route", "show", "table", "all"]).expect("ip route");
    let mut joined: Vec<String> = Vec::new();
    for line in routes.lines() {
        match (line.starts_with(char::is_whitespace), joined.last_mut()) {
            (true, Some(last)) => {
                *last = format!("{} | {}", last.trim_end(), line.trim());
            }
            _ => joined.push(line.trim_end().to_string()),
        }
    }
    out.extend(
        joined
            .into_iter()
            .filter(|l| l.contains("proto keepalived")),
    );
    for (family, word) in [("-4", "rule"), ("-6", "rule6")] {
        let rules = ns.ip(&[family, "rule", "show"]).expect("ip rule");
        for line in rules.lines() {
            let (pref, what) = line.split_once(':').expect("rule line");
            if !["0", "32766", "32767"].contains(&pref) {
                out.insert(format!("{word} {pref}: {}", what.trim()));
            }
        }
    }
    let addrs = ns.ip(&["-o", "addr", "show"]).expect("ip addr");
    for line in addrs.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let (dev, family, cidr) = (w[1], w[2], w[3]);
        if family == "inet" && dev != "lo" && !own.contains(&cidr) {
            out.insert(format!("addr {cidr} {dev}"));
        }
    }
    out
}

/// The lab: the pair (`veth0`—`veth1`, 192.0.2.1/.2) and a second pair `d0`—`d1`
/// (198.51.100.1/.2 /26), DAD off; a work directory for configurations and logs.
struct Lab {
    pair: Pair,
    dir: WorkDir,
}

const OWN_A: &[&str] = &["192.0.2.1/24", "198.51.100.1/26"];
const OWN_B: &[&str] = &["192.0.2.2/24", "198.51.100.2/26"];

impl Lab {
    fn new(tag: &str) -> Lab {
        let pair = Pair::new(tag).expect("pair");
        pair.a.veth("d0", &pair.b, "d1").expect("second pair");
        for (ns, dev, cidr) in [
            (&pair.a, "d0", "198.51.100.1/26"),
            (&pair.b, "d1", "198.51.100.2/26"),
        ] {
            ns.add_addr(dev, cidr).expect("address");
            ns.set_link(dev, true).expect("up");
        }
        pair.a.wait_up("d0").expect("d0 up");
        pair.b.wait_up("d1").expect("d1 up");
        let dir = WorkDir::create(&vrrp_lab::unique_name("vrrpd-routes")).expect("work dir");
        Lab { pair, dir }
    }

    fn ns(&self, n: Node) -> &Netns {
        match n {
            Node::A => &self.pair.a,
            Node::B => &self.pair.b,
        }
    }

    fn installed(&self, n: Node) -> BTreeSet<String> {
        installed(self.ns(n), if n == Node::A { OWN_A } else { OWN_B })
    }

    /// `vrrpd -n -l -f CONF` on node `n` with [`conf`]`(n, state, priority)` (log
    /// `N-RUN.log`).
    fn start(&self, n: Node, run: &str, state: &str, priority: u8) -> Child {
        let conf = self
            .dir
            .write(&format!("{n:?}-{run}.conf"), &conf(n, state, priority))
            .expect("conf");
        self.start_with(n, run, &conf)
    }

    /// `vrrpd -n -l -f CONF` on node `n` (log `N-RUN.log`).
    fn start_with(&self, n: Node, run: &str, conf: &std::path::Path) -> Child {
        let d = self.dir.path();
        let log = std::fs::File::create(d.join(format!("{n:?}-{run}.log"))).expect("log");
        let err = log.try_clone().expect("log");
        self.ns(n)
            .command(env!("CARGO_BIN_EXE_vrrpd"))
            .args(["-n", "-l", "-f"])
            .arg(conf)
            .arg("--control")
            .arg(d.join(format!("{n:?}.sock")))
            .arg("-p")
            .arg(d.join(format!("{n:?}.pid")))
            .arg("--dump-file")
            .arg(d.join(format!("{n:?}.dump")))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn vrrpd")
    }

    fn log(&self, n: Node, run: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{n:?}-{run}.log")))
            .unwrap_or_default()
    }

    /// Wait (at most 15 s) until node `n` shows exactly `want`; panics with both sets.
    fn expect(&self, n: Node, want: &BTreeSet<String>, when: &str) {
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.installed(n);
            if &got == want {
                return;
            }
            if Instant::now() > end {
                let missing: Vec<_> = want.difference(&got).collect();
                let extra: Vec<_> = got.difference(want).collect();
                panic!("{when}: node {n:?}\n missing {missing:#?}\n extra {extra:#?}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

/// `vrrpd status --json` of node `n`'s daemon: instance VI_1's counters.
fn counters(lab: &Lab, n: Node) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["status", "--json", "--control"])
        .arg(lab.dir.path().join(format!("{n:?}.sock")))
        .output()
        .expect("vrrpd status");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    v["instances"][0]["counters"].clone()
}

/// `ip monitor address route rule` on `ns`, its output in `path`, until killed.
fn monitor(ns: &Netns, path: &std::path::Path) -> Child {
    let log = std::fs::File::create(path).expect("monitor log");
    let c = ns
        .command("ip")
        .args(["monitor", "address", "route", "rule"])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("ip monitor");
    sleep(Duration::from_millis(300));
    c
}

/// The position in `lines` of the first line containing every one of `words`.
fn first(lines: &[&str], words: &[&str]) -> usize {
    lines
        .iter()
        .position(|l| words.iter().all(|w| l.contains(w)))
        .unwrap_or_else(|| panic!("no line with {words:?} in\n{}", lines.join("\n")))
}

fn stop(child: &mut Child, signal: &str) {
    let st = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let end = Instant::now() + Duration::from_secs(15);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < end, "vrrpd did not exit on {signal}");
        sleep(Duration::from_millis(20));
    }
}

fn wait_log(lab: &Lab, n: Node, run: &str, line: &str) {
    let end = Instant::now() + Duration::from_secs(15);
    while !lab.log(n, run).contains(line) {
        assert!(
            Instant::now() < end,
            "no '{line}' in {:?}-{run}.log:\n{}",
            n,
            lab.log(n, run)
        );
        sleep(Duration::from_millis(50));
    }
}

fn skip(name: &str) -> bool {
    !Skip::check(name)
        .root("network namespaces, raw sockets, routes")
        .program("ip")
        .ok()
}

/// Routes, rules and the VIP move with mastership (in on becoming master, out on leaving
/// it); the static entries are there from start to stop on each node; after both stop,
/// nothing any daemon installed is left.
#[test]
fn routes_and_rules_follow_mastership_statics_follow_the_daemon() {
    if skip("routes_and_rules_follow_mastership_statics_follow_the_daemon") {
        return;
    }
    let lab = Lab::new("vrrpd-rt");
    assert!(lab.installed(Node::A).is_empty() && lab.installed(Node::B).is_empty());
    let events = lab.dir.path().join("A-monitor.txt");
    let mut mon = monitor(lab.ns(Node::A), &events);
    let mut a = lab.start(Node::A, "1", "MASTER", 200);
    let mut b = lab.start(Node::B, "1", "BACKUP", 100);
    lab.expect(
        Node::A,
        &union(master_set(Node::A), static_set(Node::A)),
        "A master",
    );
    lab.expect(Node::B, &static_set(Node::B), "B backup");

    stop(&mut a, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "A stopped");
    sleep(Duration::from_millis(300));
    let _ = mon.kill();
    let _ = mon.wait();
    // keepalived's order (vrrp.c): statics first; becoming master the VIP, then the routes,
    // then the rules; leaving it the rules, the routes, the VIP; at stop the static rules,
    // routes, addresses last.
    let text = std::fs::read_to_string(&events).expect("monitor output");
    let lines: Vec<&str> = text.lines().collect();
    let static_addr = first(&lines, &["198.51.100.40/26"]);
    let vip = first(&lines, &["192.0.2.100/24"]);
    let route = first(&lines, &["198.51.100.64/26", "proto keepalived"]);
    let rule = first(&lines, &["lookup 101"]);
    assert!(static_addr < vip && vip < route && route < rule, "{text}");
    let rule_out = first(&lines, &["Deleted", "lookup 101"]);
    let route_out = first(&lines, &["Deleted", "198.51.100.64/26"]);
    let vip_out = first(&lines, &["Deleted", "192.0.2.100/24"]);
    let static_rule_out = first(&lines, &["Deleted", "lookup 200"]);
    let static_addr_out = first(&lines, &["Deleted", "198.51.100.40/26"]);
    assert!(rule < rule_out, "{text}");
    assert!(rule_out < route_out && route_out < vip_out, "{text}");
    assert!(
        vip_out < static_rule_out && static_rule_out < static_addr_out,
        "{text}"
    );
    lab.expect(
        Node::B,
        &union(master_set(Node::B), static_set(Node::B)),
        "B took over",
    );

    let mut a = lab.start(Node::A, "2", "MASTER", 200);
    lab.expect(
        Node::A,
        &union(master_set(Node::A), static_set(Node::A)),
        "A back (preempts)",
    );
    lab.expect(Node::B, &static_set(Node::B), "B backup again");

    stop(&mut a, "-TERM");
    stop(&mut b, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "both stopped");
    lab.expect(Node::B, &BTreeSet::new(), "both stopped");
    for n in [Node::A, Node::B] {
        let log = lab.log(n, "1");
        for failed in [
            ") setting ",
            ") removing route",
            ") removing rule",
            "cannot",
        ] {
            assert!(
                !log.contains(failed),
                "{n:?} logged a failure ({failed}):\n{log}"
            );
        }
    }
}

/// A master killed with SIGKILL leaves its VIP, routes, rules and static entries installed;
/// started again (now as the backup of a peer that took over), it removes them all before
/// its first advert: the VIP, routes and rules are gone, the static entries are there once.
#[test]
fn kill_9_and_restart_leaves_nothing_of_the_old_run() {
    if skip("kill_9_and_restart_leaves_nothing_of_the_old_run") {
        return;
    }
    let lab = Lab::new("vrrpd-rk");
    let mut a = lab.start(Node::A, "1", "MASTER", 200);
    lab.expect(
        Node::A,
        &union(master_set(Node::A), static_set(Node::A)),
        "A master",
    );
    stop(&mut a, "-KILL");
    assert_eq!(
        lab.installed(Node::A),
        union(master_set(Node::A), static_set(Node::A)),
        "SIGKILL leaves everything installed"
    );
    let _ = std::fs::remove_file(lab.dir.path().join("A.pid"));
    let _ = std::fs::remove_file(lab.dir.path().join("A.sock"));
    let mut b = lab.start(Node::B, "1", "MASTER", 100);
    lab.expect(
        Node::B,
        &union(master_set(Node::B), static_set(Node::B)),
        "B master",
    );
    let mut a = lab.start(Node::A, "2", "BACKUP", 50);
    wait_log(&lab, Node::A, "2", "(VI_1) Entering BACKUP STATE");
    lab.expect(Node::A, &static_set(Node::A), "A restarted as backup");
    let log = lab.log(Node::A, "2");
    for what in [
        "route 198.51.100.64/26",
        "rule pref 100 from 192.0.2.100/32",
        "192.0.2.100",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains("left behind by an earlier run") && l.contains(what)),
            "no removal of {what} logged:\n{log}"
        );
    }
    let c = counters(&lab, Node::A);
    assert_eq!(c["stale_route_removed"], 11, "7 routes and 4 rules: {c}");
    assert_eq!(c["stale_vip_removed"], 1, "{c}");
    assert_eq!(c["route_errors"], 0, "{c}");
    stop(&mut a, "-TERM");
    stop(&mut b, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "both stopped");
    lab.expect(Node::B, &BTreeSet::new(), "both stopped");
}

/// keepalived tracks a virtual route with a `dev` (and a rule without `no_track`): deleted
/// by someone else while master, the instance leaves MASTER (priority-0 advert, rules,
/// routes and VIPs removed) for a Backup whose Master_Down_Timer is only Skew_Time, so,
/// the peer being of lower priority, it is master again at once and the route is back
/// (keepalived 2.2.7 in the same topology: BACKUP and MASTER again within the second, the
/// peer never took over).
#[test]
fn deleting_a_tracked_route_or_rule_hands_mastership_over() {
    if skip("deleting_a_tracked_route_or_rule_hands_mastership_over") {
        return;
    }
    let lab = Lab::new("vrrpd-rd");
    let mut a = lab.start(Node::A, "1", "MASTER", 200);
    let mut b = lab.start(Node::B, "1", "BACKUP", 100);
    let a_master = union(master_set(Node::A), static_set(Node::A));
    lab.expect(Node::A, &a_master, "A master");
    for (what, del) in [
        (
            "route 198.51.100.64/26",
            &[
                "route",
                "del",
                "198.51.100.64/26",
                "via",
                "192.0.2.254",
                "dev",
                "veth0",
                "proto",
                "keepalived",
            ][..],
        ),
        ("rule pref 101", &["rule", "del", "pref", "101"][..]),
    ] {
        let masters = lab
            .log(Node::A, "1")
            .matches("Entering MASTER STATE")
            .count();
        lab.ns(Node::A).ip(del).expect("delete by hand");
        wait_log(&lab, Node::A, "1", what);
        lab.expect(Node::A, &a_master, "A master again, the route added again");
        let log = lab.log(Node::A, "1");
        assert!(
            log.contains("was deleted by someone else: leaving MASTER"),
            "{log}"
        );
        assert_eq!(
            log.matches("Entering MASTER STATE").count(),
            masters + 1,
            "{log}"
        );
        lab.expect(Node::B, &static_set(Node::B), "B stayed backup");
        let b_log = lab.log(Node::B, "1");
        assert!(!b_log.contains("Entering MASTER STATE"), "{b_log}");
    }
    // A tracked static route (a dev, no no_track) deleted by hand is put back.
    lab.ns(Node::A)
        .ip(&[
            "route",
            "del",
            "2001:db8:50::/48",
            "dev",
            "d0",
            "table",
            "200",
        ])
        .expect("delete by hand");
    wait_log(
        &lab,
        Node::A,
        "1",
        "Restoring deleted static route 2001:db8:50::/48",
    );
    lab.expect(Node::A, &a_master, "static route back");
    // An untracked route (no dev) deleted by hand: nothing happens.
    lab.ns(Node::A)
        .ip(&[
            "route",
            "del",
            "blackhole",
            "198.51.100.192/26",
            "table",
            "101",
        ])
        .expect("delete by hand");
    sleep(Duration::from_secs(4));
    let mut want = a_master.clone();
    want.remove("blackhole 198.51.100.192/26 table 101 proto keepalived");
    assert_eq!(lab.installed(Node::A), want);
    stop(&mut a, "-TERM");
    stop(&mut b, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "both stopped");
    lab.expect(Node::B, &BTreeSet::new(), "both stopped");
}

/// SIGHUP with a virtual route and a static route replaced: on the running master the old
/// ones go and the new ones come, the rest stays untouched (keepalived's reload diff:
/// `clear_diff_vrrp_vroutes`, `clear_diff_static_routes`, then the new ones added; keepalived
/// 2.2.7 in the same topology ended with the same routes).
#[test]
fn reload_replaces_changed_routes_in_place() {
    if skip("reload_replaces_changed_routes_in_place") {
        return;
    }
    let lab = Lab::new("vrrpd-rr");
    let mut a = lab.start(Node::A, "1", "MASTER", 200);
    let before = union(master_set(Node::A), static_set(Node::A));
    lab.expect(Node::A, &before, "A master");
    let text = conf(Node::A, "MASTER", 200)
        .replace(
            "throw 192.0.2.192/26 table 102",
            "198.51.100.96/27 via 192.0.2.254 dev veth0 table 103",
        )
        .replace(
            "2001:db8:50::/48 dev d0 table 200",
            "2001:db8:60::/48 dev d0 table 201",
        );
    lab.dir.write("A-1.conf", &text).expect("rewrite");
    let masters = lab
        .log(Node::A, "1")
        .matches("Entering MASTER STATE")
        .count();
    let st = Command::new("kill")
        .args(["-HUP", &a.id().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(st.success());
    let mut want = before.clone();
    want.remove("throw 192.0.2.192/26 table 102 proto keepalived");
    want.remove("2001:db8:50::/48 dev d0 table 200 proto keepalived metric 1024 pref medium");
    want.insert("198.51.100.96/27 via 192.0.2.254 dev veth0 table 103 proto keepalived".into());
    want.insert(
        "2001:db8:60::/48 dev d0 table 201 proto keepalived metric 1024 pref medium".into(),
    );
    lab.expect(Node::A, &want, "after reload");
    wait_log(&lab, Node::A, "1", "Reload finished");
    let log = lab.log(Node::A, "1");
    assert_eq!(
        log.matches("Entering MASTER STATE").count(),
        masters,
        "a reload keeps the master: {log}"
    );
    assert_eq!(counters(&lab, Node::A)["route_errors"], 0);
    stop(&mut a, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "stopped");
}

/// A master that goes FAULT (here a failing `vrrp_script` of weight 0) leaves MASTER as on
/// any other way out (keepalived's `vrrp_state_leave_master` → `vrrp_restore_interface`):
/// its rules, routes and VIP go, the static entries stay; back from FAULT and master
/// again, they come back (keepalived 2.2.7 in the same topology: the same).
#[test]
fn fault_removes_routes_and_rules_and_back_from_fault_restores_them() {
    if skip("fault_removes_routes_and_rules_and_back_from_fault_restores_them") {
        return;
    }
    let lab = Lab::new("vrrpd-rf");
    let ok = lab.dir.path().join("A-ok");
    std::fs::write(&ok, "").expect("flag file");
    let script = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test -e {}\"\n  interval 1\n  fall 1\n  rise 1\n}}\nvrrp_instance VI_1 {{\n  track_script {{\n    chk\n  }}\n",
        ok.display()
    );
    let text = conf(Node::A, "MASTER", 200).replacen("vrrp_instance VI_1 {\n", &script, 1);
    let path = lab.dir.write("A-1.conf", &text).expect("conf");
    let mut a = lab.start_with(Node::A, "1", &path);
    let mut b = lab.start(Node::B, "1", "BACKUP", 100);
    let a_master = union(master_set(Node::A), static_set(Node::A));
    let b_master = union(master_set(Node::B), static_set(Node::B));
    lab.expect(Node::A, &a_master, "A master");
    std::fs::remove_file(&ok).expect("remove flag");
    wait_log(&lab, Node::A, "1", "(VI_1) Entering FAULT STATE");
    lab.expect(Node::A, &static_set(Node::A), "A in FAULT");
    lab.expect(Node::B, &b_master, "B took over");
    std::fs::write(&ok, "").expect("flag file");
    lab.expect(Node::A, &a_master, "A master again");
    lab.expect(Node::B, &static_set(Node::B), "B backup again");
    stop(&mut a, "-TERM");
    stop(&mut b, "-TERM");
    lab.expect(Node::A, &BTreeSet::new(), "both stopped");
    lab.expect(Node::B, &BTreeSet::new(), "both stopped");
}
