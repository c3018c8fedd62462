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

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

use lan::{has_program, LanExt};
use peer::{num, text, Scene};

/// Bound on a daemon's exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// How often the sampler reads both namespaces' addresses.
const SAMPLE: Duration = Duration::from_millis(25);

/// The VRRP mode of a cell.
#[derive(Debug, Clone, Copy)]
struct Mode {
    name: &'static str,
    version: u8,
    v6: bool,
    unicast: bool,
    /// The side configured with `old_unicast_checksum` (224.0.0.18 in the v3/IPv4
    /// pseudo-header, what keepalived before 1.3.6 sends and accepts), if any; the other
    /// side switches to that form when it hears it.
    old_checksum: Option<Side>,
}

const V2: Mode = Mode {
    name: "v2",
    version: 2,
    v6: false,
    unicast: false,
    old_checksum: None,
};
const V3_IPV4: Mode = Mode {
    name: "v3-ipv4",
    version: 3,
    v6: false,
    unicast: false,
    old_checksum: None,
};
const V3_IPV6: Mode = Mode {
    name: "v3-ipv6",
    version: 3,
    v6: true,
    unicast: false,
    old_checksum: None,
};
const V3_IPV4_UNICAST: Mode = Mode {
    name: "v3-ipv4-unicast",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: None,
};
const V3_IPV6_UNICAST: Mode = Mode {
    name: "v3-ipv6-unicast",
    version: 3,
    v6: true,
    unicast: true,
    old_checksum: None,
};

const V3_IPV4_UNICAST_OLD_CHECKSUM: Mode = Mode {
    name: "v3-ipv4-unicast-oldsum",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: Some(Side::Keepalived),
};
const V3_IPV4_UNICAST_OLD_CHECKSUM_VRRPD: Mode = Mode {
    name: "v3-ipv4-unicast-oldsum-vrrpd",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: Some(Side::Vrrpd),
};

/// A daemon: vrrpd (namespace A) or keepalived (namespace B); its index in per-side arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Vrrpd = 0,
    Keepalived = 1,
}

/// Which daemon is H (priority 150, `state MASTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    VrrpdMaster,
    KeepalivedMaster,
}

const HIGH: u8 = 150;
const LOW: u8 = 100;

impl Mode {
    /// The VIP as written in the configuration and as `ip addr` shows it.
    fn vip(&self) -> &'static str {
        if self.v6 {
            "2001:db8::100/64"
        } else {
            "192.0.2.100/24"
        }
    }

    /// The address the advert carries.
    fn vip_addr(&self) -> &'static str {
        self.vip().split('/').next().unwrap()
    }

    /// keepalived's `advert_int`: 1 s for v2 (whole seconds on the wire), 0.5 s for v3.
    fn advert_int(&self) -> &'static str {
        if self.version == 2 {
            "1"
        } else {
            "0.5"
        }
    }

    /// The interval field on the wire: v2 seconds, v3 centiseconds.
    fn interval_field(&self) -> &'static str {
        if self.version == 2 {
            "1"
        } else {
            "50"
        }
    }

    fn advert(&self) -> Duration {
        Duration::from_millis(if self.version == 2 { 1000 } else { 500 })
    }

    /// A backup's Master_Down_Interval at priority 100 (RFC 3768 / RFC 9568):
    /// 3 × interval + Skew_Time.
    fn master_down(&self) -> Duration {
        let a = self.advert();
        let skew = if self.version == 2 {
            Duration::from_secs_f64(f64::from(256 - u32::from(LOW)) / 256.0)
        } else {
            a.mul_f64(f64::from(256 - u32::from(LOW)) / 256.0)
        };
        3 * a + skew
    }

    /// Bound on one wait for a VRRP event: several Master_Down_Intervals, on a shared,
    /// loaded machine.
    fn limit(&self) -> Duration {
        Duration::from_secs(20)
    }

    /// How long both nodes may hold the VIP at once, at a change of master.
    ///
    /// When a node becomes master it adds the VIP and sends an advert at once; the master it
    /// replaces (the lower priority one, when H preempts) steps down and removes the VIP as
    /// soon as it receives that advert. When H leaves (SIGTERM, cable cut) it removes the
    /// VIP before L can take over (L waits Skew_Time or Master_Down_Interval), so there is
    /// no overlap at all. So an overlap lasts one network delay plus two netlink changes if
    /// that first advert arrives, and at most one advert interval more if it is lost (the
    /// next one is sent an interval later): one advert interval. Each end of an episode is
    /// seen up to one gap between samples late (nominally [`SAMPLE`], more when `ip` is slow
    /// to answer on this loaded 2-core machine), hence twice the largest gap measured.
    fn overlap_bound(&self, largest_gap: Duration) -> Duration {
        self.advert() + 2 * largest_gap.max(SAMPLE)
    }

    /// Node addresses: (A's, B's), as the unicast configuration names them.
    fn node_addrs(&self) -> (&'static str, &'static str) {
        if self.v6 {
            ("2001:db8::1", "2001:db8::2")
        } else {
            ("192.0.2.1", "192.0.2.2")
        }
    }

    /// The multicast group of this family.
    fn group(&self) -> &'static str {
        if self.v6 {
            "ff02::12"
        } else {
            "224.0.0.18"
        }
    }

    /// One `vrrp_instance VI_1` for a node on `interface` with `src` / `peer` (unicast).
    fn conf(&self, keepalived: bool, interface: &str, prio: u8, src: &str, peer: &str) -> String {
        let router_id = if keepalived {
            "keepalived_b"
        } else {
            "vrrpd_a"
        };
        let state = if prio == HIGH { "MASTER" } else { "BACKUP" };
        let mut t = format!(
            "! written by vrrpd/tests/mixed_pairs.rs ({})\nglobal_defs {{\n  router_id {router_id}\n}}\n\
             vrrp_instance VI_1 {{\n  state {state}\n  interface {interface}\n  \
             virtual_router_id 51\n  priority {prio}\n  advert_int {}\n  version {}\n",
            self.name,
            self.advert_int(),
            self.version
        );
        if self.version == 2 {
            t += "  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n";
        }
        if self.unicast {
            t += &format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n");
        }
        let side = if keepalived {
            Side::Keepalived
        } else {
            Side::Vrrpd
        };
        if self.old_checksum == Some(side) {
            t += "  old_unicast_checksum\n";
        }
        t += &format!("  virtual_ipaddress {{\n    {}\n  }}\n}}\n", self.vip());
        t
    }
}

/// One sample: time since the sampler started, VIP on A, VIP on B.
type Sample = (Duration, bool, bool);

/// Reads each namespace's addresses every [`SAMPLE`] until stopped: one thread per
/// namespace, entered once (`setns`), reading its addresses in-process (`getifaddrs`, a
/// netlink dump), so that a loaded machine does not stretch the sampling as spawning `ip`
/// would.
struct Sampler {
    stop: Arc<AtomicBool>,
    threads: [JoinHandle<Vec<(Duration, bool)>>; 2],
}

impl Sampler {
    fn start(sc: &Scene, vip: &'static str) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let addr: std::net::IpAddr = vip.split('/').next().unwrap().parse().unwrap();
        let one = |ns: &vrrp_lab::Netns, dev: &'static str| {
            let fd = ns.clone_fd().expect("namespace handle");
            let flag = stop.clone();
            std::thread::spawn(move || {
                nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET)
                    .expect("enter the namespace");
                let mut out = Vec::new();
                while !flag.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    out.push((t - start, has_vip(dev, addr)));
                    sleep(SAMPLE.saturating_sub(t.elapsed()));
                }
                out
            })
        };
        let threads = [one(&sc.lan.a, "a0"), one(&sc.lan.b, "b0")];
        Sampler { stop, threads }
    }

    /// Both namespaces' samples merged in time order (each the state after one reading),
    /// and the largest gap between two readings of one namespace.
    fn finish(self) -> (Vec<Sample>, Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let [a, b] = self.threads.map(|t| t.join().expect("sampler thread"));
        let gap = [&a, &b]
            .iter()
            .flat_map(|s| s.windows(2).map(|w| w[1].0 - w[0].0))
            .max()
            .unwrap_or(SAMPLE);
        let mut all: Vec<(Duration, usize, bool)> = a
            .iter()
            .map(|&(t, h)| (t, 0, h))
            .chain(b.iter().map(|&(t, h)| (t, 1, h)))
            .collect();
        all.sort_by_key(|e| e.0);
        let mut now = [false, false];
        let merged = all
            .into_iter()
            .map(|(t, side, h)| {
                now[side] = h;
                (t, now[0], now[1])
            })
            .collect();
        (merged, gap)
    }
}

/// Whether `dev` in this thread's namespace has address `addr`.
fn has_vip(dev: &str, addr: std::net::IpAddr) -> bool {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return false;
    };
    list.filter(|i| i.interface_name == dev)
        .filter_map(|i| i.address)
        .any(|s| {
            let got = match (s.as_sockaddr_in(), s.as_sockaddr_in6()) {
                (Some(v4), _) => std::net::IpAddr::V4(v4.ip()),
                (_, Some(v6)) => std::net::IpAddr::V6(v6.ip()),
                _ => return false,
            };
            got == addr
        })
}

/// Episodes where both held the VIP: (start, length), each measured from the first sample
/// seeing both to the first seeing not both.
fn overlaps(samples: &[Sample]) -> Vec<(Duration, Duration)> {
    let mut out = Vec::new();
    let mut begin = None;
    for &(t, a, b) in samples {
        match (begin, a && b) {
            (None, true) => begin = Some(t),
            (Some(s), false) => {
                out.push((s, t - s));
                begin = None;
            }
            _ => {}
        }
    }
    if let (Some(s), Some(&(t, _, _))) = (begin, samples.last()) {
        out.push((s, t - s));
    }
    out
}

/// The source VRRP uses on `dev` in `ns`: its IPv4 address, or its IPv6 link-local.
fn link_local_or_v4(ns: &str, dev: &str, v6: bool) -> String {
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

/// The checksum form an advert from `sender` at `t` must carry. v2: message only. v3: the
/// pseudo-header with the real destination (RFC 9568), except with `old_unicast_checksum`
/// on one side: that side sends the old form. vrrpd on the other side sends the new one
/// until, in each of its runs, it has heard the first advert of keepalived (with 200 ms
/// for the way and the switch), the old one after that (`None`: either, the switch is under
/// way). keepalived on the other side goes on with the new form (its bug, below).
fn expected_form(
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
fn check_wire(
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
fn expected_ttl(mode: Mode, keepalived: bool, b: &str) -> String {
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
