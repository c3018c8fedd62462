//! vrrpd's features beyond keepalived (issue 8), end to end: two vrrpd daemons on a bridged
//! LAN of network namespaces (`vrrp-net/tests/lan`), side A on `a0` (192.0.2.1) and side B
//! on `b0` (192.0.2.2), VRRPv3, advert_int 1, VIP 192.0.2.100/24.
//!
//! 1. Reliable hooks: a slow generic `notify` script (1 s) and an instance made to flap
//!    (`track_interface` on a veth link toggled down/up): runs never overlap, only the
//!    newest state's scripts run (`notify_skipped` > 0), the last run announces the state
//!    the daemon is in; SIGTERM runs `notify ... STOP` before a clean exit.
//! 2. Split brain repair (multicast): a partition (A's bridge port detached, carriers kept)
//!    makes both masters; on healing the higher priority stays master, counts
//!    `dual_master` and runs `notify_master_rx_lower_pri`; `notify_master_refresh 1`
//!    re-runs notify_master. The heal is staged (B's adverts reach A a moment before A's
//!    reach B, through the bridge's `mcast_flood` flag on B's port) so that which side
//!    hears the other first is not left to chance. The cloud form (unicast, plain heal)
//!    asserts what holds whichever side hears the other first. A planned failback (the
//!    higher priority restarted) is a preemption: no dual master on either side.
//! 3. `--metrics-listen`: Prometheus text scraped with curl by `nobody` inside the
//!    namespace, against `vrrpd status --json` (also read by `nobody`).
//! 4. `vrrpd drain` / `undrain`: the peer takes over within Skew_Time (below its
//!    Master_Down_Interval less one advert interval: the earliest it could without the
//!    priority-0 advert), the drained master stays BACKUP through a SIGHUP that replaces its
//!    router and several Master_Down_Intervals, `nobody` may not drain or undrain; the VIP is never missing
//!    for a Master_Down_Interval; undrain preempts back.
//! 5. `unicast_src_ip` without `unicast_peer`: the daemon exits non-zero naming file:line
//!    and creates nothing.
//!
//! Needs root (else SKIP). Measured figures are printed as `MEASURED ...` lines.

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
#[path = "beyond/pair.rs"]
mod pair;
#[path = "peer/mod.rs"]
mod peer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

use pair::{as_nobody, bridge, conf, ip, report, start, vip, vrrpd_cmd, Inst, Phases, Side};
use peer::{num, text, Scene, VIP};

/// Bound on a daemon's exit after SIGTERM (vrrpd waits up to 10 s for notify_stop).
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// Bound on one wait for an event (advert_int 1: Master_Down_Interval < 4 s). Generous: on
/// a shared machine whose other tests churn namespaces, `ip` and netlink calls stall for
/// seconds at times. A bound on waiting, not a speed assertion.
const LIMIT: Duration = Duration::from_secs(60);

fn vi1(s: &Value) -> Value {
    Scene::vi1(s)
}

/// The tests of this file run one at a time: a LAN torn down (namespaces deleted) takes
/// the kernel's rtnl lock, which would stall the address changes and `ip` samples another
/// test is timing.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// VI_1's status on `side`.
fn st(sc: &Scene, side: Side) -> Value {
    let s = sc.status_within(side.run(), Duration::from_secs(30));
    vi1(&s.unwrap_or_else(|| panic!("{}: {side:?} does not answer status", sc.name)))
}

/// Wait until VI_1 on `side` is in `state`, holding the VIP exactly when MASTER.
fn wait_state(sc: &Scene, side: Side, state: &str) {
    sc.wait_status(side.run(), LIMIT, &format!("{side:?} {state}"), |s| {
        text(&vi1(s), "/state") == state
    });
    let want = state == "MASTER";
    sc.wait(LIMIT, &format!("VIP on {side:?} = {want}"), || {
        vip(sc, side) == want
    });
}

/// Start A (MASTER 150) and B (BACKUP 100) and wait for that to be the situation.
fn start_pair(sc: &mut Scene, a: &Inst, b: &Inst, a_args: &[&str]) -> (usize, usize) {
    let ca = sc.write("vrrpd-a.conf", &conf("vrrpd_a", a, ""));
    let cb = sc.write("vrrpd-b.conf", &conf("vrrpd_b", b, ""));
    let ib = start(sc, Side::B, &cb, &[]);
    let ia = start(sc, Side::A, &ca, a_args);
    wait_state(sc, Side::A, "MASTER");
    wait_state(sc, Side::B, "BACKUP");
    (ia, ib)
}

/// Notify jobs started and not yet reaped (0: none running).
fn running_scripts(s: &Value) -> u64 {
    num(s, "/scripts/notify_run")
        - num(s, "/scripts/notify_ok")
        - num(s, "/scripts/notify_failed")
        - num(s, "/scripts/notify_timed_out")
}

// ---- 1. reliable hooks ----------------------------------------------------------------

#[test]
fn notify_scripts_serialised_newest_state_wins_stop_on_sigterm() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 1 (reliable hooks)", "by1") else {
        return;
    };
    let a_ns = sc.a();
    // A link to track (no dummy driver everywhere: a veth pair, both ends up).
    ip(&[
        "-n", &a_ns, "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
    ]);
    ip(&["-n", &a_ns, "link", "set", "trk1", "up"]);
    ip(&["-n", &a_ns, "link", "set", "trk0", "up"]);
    // Each run writes "start STATE", takes a second, then writes "STATE": runs that
    // overlapped would show two "start" lines in a row.
    let out = sc.path("notify-a.out");
    let script = sc.script(
        "notify-a.sh",
        &format!(
            "echo \"start $3\" >> '{o}'\nsleep 1\necho \"$3\" >> '{o}'",
            o = out.display()
        ),
    );
    let mut a = Inst::new(Side::A, "MASTER", 150);
    a.extra = format!(
        "  track_interface {{\n    trk0\n  }}\n  notify {}\n",
        script.display()
    );
    let b = Inst::new(Side::B, "BACKUP", 100);
    let (ia, _) = start_pair(&mut sc, &a, &b, &[]);
    sc.wait(LIMIT, "first MASTER notify finished", || {
        sc.lines("notify-a.out").last().map(String::as_str) == Some("MASTER")
    });

    // Five link flaps, 150 ms apart: FAULT, BACKUP, FAULT, ... ten transitions queued
    // behind one-second scripts.
    const FLAPS: usize = 5;
    for _ in 0..FLAPS {
        ip(&["-n", &a_ns, "link", "set", "trk0", "down"]);
        sleep(Duration::from_millis(150));
        ip(&["-n", &a_ns, "link", "set", "trk0", "up"]);
        sleep(Duration::from_millis(150));
    }
    // Settled: A back to MASTER (it preempts B), no script running, and nothing changes
    // for two seconds more.
    wait_state(&sc, Side::A, "MASTER");
    let settled = || {
        sc.wait_status(
            "a",
            Duration::from_secs(60),
            "no notify script running",
            |s| running_scripts(s) == 0,
        )
    };
    let mut s = settled();
    loop {
        sleep(Duration::from_secs(2));
        let again = settled();
        if again["scripts"] == s["scripts"] && vi1(&again)["state"] == vi1(&s)["state"] {
            break;
        }
        s = again;
    }
    let faults = sc.count("vrrpd-a.log", "(VI_1) Entering FAULT STATE");
    assert!(
        faults >= 3,
        "the flaps were not seen: {faults} FAULT entries"
    );
    let state = text(&vi1(&s), "/state");
    let lines = sc.lines("notify-a.out");
    assert_alternating(&lines);
    assert_eq!(
        lines.last().map(String::as_str),
        Some(state.as_str()),
        "the last notify run must announce the state the daemon is in; runs: {lines:?}"
    );
    let skipped = num(&s, "/scripts/notify_skipped");
    assert!(skipped > 0, "no transition's scripts were skipped: {s}");
    assert!(
        sc.read("vrrpd-a.log")
            .contains("skipped: a newer transition superseded it"),
        "skips are logged"
    );
    assert_eq!(num(&s, "/scripts/notify_failed"), 0, "{s}");
    assert_eq!(num(&s, "/scripts/notify_timed_out"), 0, "{s}");
    report(&format!(
        "hooks: {faults} FAULT entries from {FLAPS} flaps, {} notify runs ({}), {skipped} skipped, final state {state}",
        lines.len() / 2,
        lines.iter().skip(1).step_by(2).cloned().collect::<Vec<_>>().join(" ")
    ));

    sc.term(ia, "vrrpd A", EXIT_LIMIT);
    let lines = sc.lines("notify-a.out");
    assert_alternating(&lines);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("STOP"),
        "notify STOP after SIGTERM; runs: {lines:?}"
    );
}

/// Lines go "start S", "S", "start S'", "S'", ...: no run began before the previous ended.
fn assert_alternating(lines: &[String]) {
    assert!(lines.len() % 2 == 0 && !lines.is_empty(), "runs: {lines:?}");
    for (k, pair) in lines.chunks(2).enumerate() {
        assert_eq!(
            pair[0],
            format!("start {}", pair[1]),
            "run {k} overlapped another or was cut short; runs: {lines:?}"
        );
    }
}

// ---- 2. split brain ---------------------------------------------------------------------

#[test]
fn split_brain_heals_to_higher_priority_with_rx_lower_pri_and_master_refresh() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 2 (split brain)", "by2") else {
        return;
    };
    let hooks = |who: &str| {
        let m = sc.recorder(&format!("master-{who}.sh"), &format!("master-{who}.out"));
        let r = sc.recorder(&format!("rx-{who}.sh"), &format!("rx-{who}.out"));
        format!(
            "  notify_master \"{} master {who}\"\n  notify_master_rx_lower_pri \"{} rx {who}\"\n",
            m.display(),
            r.display()
        )
    };
    let mut a = Inst::new(Side::A, "MASTER", 150);
    a.extra = hooks("a") + "  notify_master_refresh 1\n";
    let mut b = Inst::new(Side::B, "BACKUP", 100);
    b.extra = hooks("b");
    let mut ph = Phases::new();
    start_pair(&mut sc, &a, &b, &[]);
    ph.mark("start");

    // notify_master_refresh 1: notify_master again and again while A stays master.
    sc.wait(LIMIT, "notify_master run 3 times on A", || {
        sc.lines("master-a.out").len() >= 3
    });
    let s = st(&sc, Side::A);
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(
        num(&s, "/counters/master_transitions"),
        1,
        "the repeats are refreshes, not transitions: {s}"
    );
    assert!(sc.lines("master-a.out").iter().all(|l| l == "master a"));
    assert!(sc
        .read("vrrpd-a.log")
        .contains("(VI_1) notify_master_refresh: running notify_master again"));
    ph.mark("refresh");

    // Partition: A's port leaves the bridge (carrier stays up: no FAULT).
    let br = sc.lan.bridge_ns().to_owned();
    ip(&["-n", &br, "link", "set", "a1", "nomaster"]);
    wait_state(&sc, Side::B, "MASTER");
    assert_eq!(text(&st(&sc, Side::A), "/state"), "MASTER");
    assert!(vip(&sc, Side::A) && vip(&sc, Side::B), "both hold the VIP");
    ph.mark("partition");

    // Heal, B's direction first: with multicast flooding to B's port off, B's adverts
    // reach A but A's do not reach B yet. This fixes the order in which a real heal
    // races: A (150) hears the lower-priority master before B hears A.
    bridge(&["-n", &br, "link", "set", "dev", "b1", "mcast_flood", "off"]);
    ip(&["-n", &br, "link", "set", "a1", "master", "br0"]);
    let s = sc.wait_status("a", LIMIT, "A counts a dual master", |s| {
        num(&vi1(s), "/counters/dual_master") > 0
    });
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
    sc.wait(LIMIT, "A's notify_master_rx_lower_pri", || {
        sc.lines("rx-a.out").iter().any(|l| l == "rx a")
    });
    ph.mark("one-way heal");
    // Now the rest of the heal.
    bridge(&["-n", &br, "link", "set", "dev", "b1", "mcast_flood", "on"]);
    wait_state(&sc, Side::B, "BACKUP");
    wait_state(&sc, Side::A, "MASTER");
    ph.mark("heal");
    let a_s = st(&sc, Side::A);
    let b_s = st(&sc, Side::B);
    // One heal, one episode: B's adverts came a second apart, well within A's
    // Master_Down_Interval. B, beaten by A, was preempted: never a dual master.
    assert_eq!(num(&a_s, "/counters/dual_master"), 1, "{a_s}");
    assert_eq!(num(&b_s, "/counters/dual_master"), 0, "{b_s}");
    assert!(num(&a_s, "/counters/master_rx_lower_pri") > 0, "{a_s}");
    assert_eq!(text(&b_s, "/master"), pair_addr(Side::A), "{b_s}");
    assert!(
        sc.lines("rx-b.out").is_empty(),
        "B only ever heard a higher priority: {:?}",
        sc.lines("rx-b.out")
    );
    report(&format!(
        "split brain: A dual_master {}, notify_master_rx_lower_pri runs on A {}, notify_master runs on A {}; phases: {}",
        num(&a_s, "/counters/dual_master"),
        sc.lines("rx-a.out").len(),
        sc.lines("master-a.out").len(),
        ph.summary()
    ));
}

/// The cloud form: unicast both ways, a plain heal (the port re-attached, nothing staged).
/// Which side hears the other first is then a race, so only what holds either way is
/// asserted: the higher priority ends master alone; B, beaten, never counts a dual master;
/// A counts one episode exactly if it heard B at all (if B heard A first and stepped down,
/// A never heard another master); every lower-priority advert A heard either ran A's
/// notify_master_rx_lower_pri or was folded into a run already waiting.
#[test]
fn cloud_unicast_split_brain_plain_heal() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 2u (unicast split brain)", "by6") else {
        return;
    };
    let rx = |who: &str| {
        let r = sc.recorder(&format!("rx-{who}.sh"), &format!("rx-{who}.out"));
        format!(
            "  notify_master_rx_lower_pri \"{} rx {who}\"\n",
            r.display()
        )
    };
    let mut a = Inst::new(Side::A, "MASTER", 150);
    a.unicast = Some((peer::A_ADDR, Some(peer::B_ADDR)));
    a.extra = rx("a");
    let mut b = Inst::new(Side::B, "BACKUP", 100);
    b.unicast = Some((peer::B_ADDR, Some(peer::A_ADDR)));
    b.extra = rx("b");
    start_pair(&mut sc, &a, &b, &[]);
    assert_eq!(st(&sc, Side::B)["unicast_peers"][0], peer::A_ADDR);

    let br = sc.lan.bridge_ns().to_owned();
    ip(&["-n", &br, "link", "set", "a1", "nomaster"]);
    wait_state(&sc, Side::B, "MASTER");
    assert_eq!(text(&st(&sc, Side::A), "/state"), "MASTER");
    assert!(vip(&sc, Side::A) && vip(&sc, Side::B), "both hold the VIP");

    ip(&["-n", &br, "link", "set", "a1", "master", "br0"]);
    wait_state(&sc, Side::B, "BACKUP");
    wait_state(&sc, Side::A, "MASTER");
    let a_s = st(&sc, Side::A);
    let b_s = st(&sc, Side::B);
    let dual = (
        num(&a_s, "/counters/dual_master"),
        num(&b_s, "/counters/dual_master"),
    );
    let lower = num(&a_s, "/counters/master_rx_lower_pri");
    assert_eq!(dual, (lower.min(1), 0), "{a_s} {b_s}");
    let mut coalesced = 0;
    sc.wait(
        LIMIT,
        "one rx_lower_pri run or coalesced event per lower-priority advert A heard",
        || {
            coalesced = sc
                .status_within("a", Duration::from_secs(5))
                .map_or(u64::MAX, |s| num(&s, "/scripts/notify_coalesced"));
            sc.lines("rx-a.out").len() as u64 + coalesced == lower
        },
    );
    assert!(sc.lines("rx-a.out").iter().all(|l| l == "rx a"));
    assert!(
        sc.lines("rx-b.out").is_empty(),
        "B only ever heard a higher priority: {:?}",
        sc.lines("rx-b.out")
    );
    report(&format!(
        "unicast split brain: dual_master A {} B {}, lower-priority adverts heard by A \
         {lower}, notify_master_rx_lower_pri runs on A {} ({coalesced} coalesced)",
        dual.0,
        dual.1,
        sc.lines("rx-a.out").len()
    ));
}

/// A planned failback: A (150) stopped for maintenance, B (100) takes over, A comes back
/// and preempts. Before, B (a master hearing a higher priority) logged "dual master" and
/// counted one, so an alert on `dual_master` fired on every planned failback. Now B logs
/// keepalived's "Master received advert from 192.0.2.1 with higher priority 150, ours 100"
/// once, steps down, and neither side counts a dual master. (A, master again, could only
/// count one if an advert B sent in the millisecond before it stepped down reached A.)
#[test]
fn preempt_back_is_not_a_dual_master() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 2p (planned failback)", "by7") else {
        return;
    };
    let a = Inst::new(Side::A, "MASTER", 150);
    let b = Inst::new(Side::B, "BACKUP", 100);
    let (ia, _) = start_pair(&mut sc, &a, &b, &[]);
    sc.term(ia, "vrrpd A", EXIT_LIMIT);
    wait_state(&sc, Side::B, "MASTER");
    let b0 = st(&sc, Side::B);
    assert_eq!(num(&b0, "/counters/dual_master"), 0, "{b0}");

    let conf_a = sc.path("vrrpd-a.conf");
    start(&mut sc, Side::A, &conf_a, &[]);
    wait_state(&sc, Side::A, "MASTER");
    wait_state(&sc, Side::B, "BACKUP");
    let (a1, b1) = (st(&sc, Side::A), st(&sc, Side::B));
    assert_eq!(
        text(&b1, "/last_transition_reason"),
        "HigherPriority",
        "{b1}"
    );
    assert_eq!(
        num(&b1, "/counters/dual_master"),
        0,
        "B was preempted: {b1}"
    );
    assert_eq!(num(&a1, "/counters/dual_master"), 0, "{a1}");
    assert_eq!(
        sc.count(
            "vrrpd-b.log",
            "(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100"
        ),
        1,
        "keepalived's line, once"
    );
    for log in ["vrrpd-a.log", "vrrpd-b.log"] {
        assert_eq!(sc.count(log, "dual master"), 0, "{log}");
    }
    report(&format!(
        "planned failback: B master_transitions {}, dual_master A {} B {}",
        num(&b1, "/counters/master_transitions"),
        num(&a1, "/counters/dual_master"),
        num(&b1, "/counters/dual_master")
    ));
}

fn pair_addr(side: Side) -> String {
    match side {
        Side::A => peer::A_ADDR.to_owned(),
        Side::B => peer::B_ADDR.to_owned(),
    }
}

// ---- 3. metrics --------------------------------------------------------------------------

#[test]
fn metrics_endpoint_scraped_by_nobody_matches_status() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 3 (metrics)", "by3") else {
        return;
    };
    let a_ns = sc.a();
    ip(&["-n", &a_ns, "link", "set", "lo", "up"]);
    let rec = sc.recorder("notify-a.sh", "notify-a.out");
    let mut a = Inst::new(Side::A, "MASTER", 150);
    a.extra = peer::notify_lines(&rec);
    let b = Inst::new(Side::B, "BACKUP", 100);
    start_pair(&mut sc, &a, &b, &["--metrics-listen", "127.0.0.1:0"]);
    let mut url = String::new();
    sc.wait(LIMIT, "metrics address logged", || {
        let log = sc.read("vrrpd-a.log");
        match log.split("metrics on ").nth(1) {
            Some(rest) => {
                url = rest.split_whitespace().next().unwrap_or("").to_owned();
                !url.is_empty()
            }
            None => false,
        }
    });
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/metrics"),
        "{url}"
    );
    // The MASTER notify scripts have run: counters stable from here on.
    sc.wait_status("a", LIMIT, "notify scripts done", |s| {
        running_scripts(s) == 0 && num(s, "/scripts/notify_run") >= 2
    });

    let who = as_nobody(Some(&a_ns), &["id", "-u"]);
    assert_eq!(String::from_utf8_lossy(&who.stdout).trim(), pair::NOBODY);
    let scrape = || {
        let o = as_nobody(
            Some(&a_ns),
            &["curl", "-sS", "--fail", "--max-time", "5", &url],
        );
        assert!(
            o.status.success(),
            "curl as nobody: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let first = scrape();
    let lbl = "instance=\"VI_1\",interface=\"a0\",vrid=\"51\"";
    assert_eq!(
        metric(
            &first,
            &format!("vrrp_instance_state{{{lbl},state=\"MASTER\"}}")
        ),
        Some(1.0),
        "{first}"
    );
    assert_eq!(
        metric(
            &first,
            &format!("vrrp_instance_state{{{lbl},state=\"BACKUP\"}}")
        ),
        Some(0.0),
        "{first}"
    );
    let sent = |t: &str| {
        metric(t, &format!("vrrp_instance_adverts_sent_total{{{lbl}}}"))
            .unwrap_or_else(|| panic!("no adverts_sent: {t}"))
    };
    let sent1 = sent(&first);
    let transitions = metric(
        &first,
        &format!("vrrp_instance_master_transitions_total{{{lbl}}}"),
    );
    assert!(transitions.is_some_and(|t| t >= 1.0), "{first}");
    let reason = first
        .lines()
        .find(|l| l.starts_with("vrrp_instance_last_transition_info{"))
        .unwrap_or_else(|| panic!("no last_transition_info: {first}"));
    assert!(
        reason.contains(lbl) && reason.contains(",reason=\"") && !reason.contains("reason=\"\""),
        "{reason}"
    );

    // status --json read by nobody, against the same counters.
    let o = as_nobody(
        None,
        &[
            env!("CARGO_BIN_EXE_vrrpd"),
            "status",
            "--json",
            "--control",
            &sc.socket("a").display().to_string(),
        ],
    );
    assert!(
        o.status.success(),
        "status as nobody: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let status: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(text(&vi1(&status), "/state"), "MASTER", "{status}");
    let run = num(&status, "/scripts/notify_run");
    assert!(run >= 2, "{status}");
    assert_eq!(
        metric(&first, "vrrp_script_notify_run_total"),
        Some(run as f64),
        "metrics vs status: {status}"
    );

    // Adverts go on: the counter grows between scrapes (advert_int 1).
    let mut later = String::new();
    sc.wait(LIMIT, "adverts_sent_total grows", || {
        later = scrape();
        sent(&later) > sent1
    });
    report(&format!(
        "metrics: adverts_sent {sent1} -> {}, {reason}",
        sent(&later)
    ));
}

/// The value of sample `name{labels}` (exactly as written) in Prometheus text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

// ---- 4. drain -----------------------------------------------------------------------------

/// The longest time no side held the VIP, sampled every ~20 ms until stopped.
struct GapWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Gaps>>,
}

/// What a [`GapWatch`] saw.
#[derive(Debug)]
struct Gaps {
    /// Longest time from a sample with the VIP held to the next one with it held again,
    /// counting only spans with a sample of it missing (an upper bound: a sample's two
    /// `ip` runs take time too).
    longest: Duration,
    /// When that gap began, from the start of the watch.
    at: Duration,
    /// Samples taken, and the longest one sample took.
    samples: usize,
    slowest_sample: Duration,
}

impl GapWatch {
    fn start(sc: &Scene) -> GapWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let (a, b) = (sc.a(), sc.b());
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut g = Gaps {
                longest: Duration::ZERO,
                at: Duration::ZERO,
                samples: 0,
                slowest_sample: Duration::ZERO,
            };
            let mut last_held = t0;
            while !flag.load(Ordering::Relaxed) {
                let begin = Instant::now();
                let held = lan::Lan::has_addr(&a, "a0", VIP) || lan::Lan::has_addr(&b, "b0", VIP);
                let now = Instant::now();
                g.samples += 1;
                g.slowest_sample = g.slowest_sample.max(now - begin);
                if held {
                    last_held = now;
                } else if now - last_held > g.longest {
                    g.longest = now - last_held;
                    g.at = last_held - t0;
                }
                sleep(Duration::from_millis(20));
            }
            g
        });
        GapWatch {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Gaps {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// A failed assertion stops the sampling too.
impl Drop for GapWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn drain_hands_over_within_skew_persists_and_undrain_preempts() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 4 (drain)", "by4") else {
        return;
    };
    let a = Inst::new(Side::A, "MASTER", 150);
    let b = Inst::new(Side::B, "BACKUP", 100);
    let (ia, _) = start_pair(&mut sc, &a, &b, &[]);
    let b0 = st(&sc, Side::B);
    let b_mdi = Duration::from_millis(num(&b0, "/master_down_interval_ms"));
    let b_adv = Duration::from_millis(num(&b0, "/master_adver_interval_ms"));
    // Without A's priority-0 advert, B could not take over before its Master_Down_Timer,
    // last restarted by an advert at most one Master_Adver_Interval before the drain.
    let bound = b_mdi - b_adv;
    let a_mdi = Duration::from_millis(num(&st(&sc, Side::A), "/master_down_interval_ms"));
    let watch_t0 = Instant::now();
    let watch = GapWatch::start(&sc);
    let sock = sc.socket("a").display().to_string();
    let exe = env!("CARGO_BIN_EXE_vrrpd");

    // nobody may not drain.
    let o = as_nobody(None, &[exe, "drain", "VI_1", "--control", &sock]);
    assert!(!o.status.success(), "drain by nobody succeeded");
    let s = st(&sc, Side::A);
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(s["drained"], false, "{s}");

    // Drain: B takes over after its Skew_Time (A's priority-0 advert), well before its
    // Master_Down_Interval less one advert interval (the earliest it could without).
    let t0 = Instant::now();
    let o = vrrpd_cmd(&sc, Side::A, "drain");
    assert!(o.status.success(), "drain: {o:?}");
    while !vip(&sc, Side::B) {
        assert!(t0.elapsed() < LIMIT, "B never took the VIP after drain");
        sleep(Duration::from_millis(10));
    }
    let takeover = t0.elapsed();
    report(&format!(
        "drain: VIP on B {takeover:?} after the drain command (B's Master_Down_Interval \
         {b_mdi:?}, Master_Adver_Interval {b_adv:?})"
    ));
    assert!(
        takeover < bound,
        "takeover {takeover:?} not below Master_Down_Interval - Master_Adver_Interval \
         {bound:?}: not the priority-0 path"
    );
    wait_state(&sc, Side::B, "MASTER");
    let s = st(&sc, Side::B);
    assert!(
        num(&s, "/counters/priority_zero_rcvd") > num(&b0, "/counters/priority_zero_rcvd"),
        "B heard no priority-0 advert: {s}"
    );
    let s = st(&sc, Side::A);
    assert_eq!(text(&s, "/state"), "BACKUP", "{s}");
    assert_eq!(s["drained"], true, "{s}");
    assert!(num(&s, "/counters/priority_zero_sent") >= 1, "{s}");

    // nobody may not undrain either.
    let o = as_nobody(None, &[exe, "undrain", "VI_1", "--control", &sock]);
    assert!(!o.status.success(), "undrain by nobody succeeded");
    assert_eq!(st(&sc, Side::A)["drained"], true);

    // Reload a configuration that replaces A's router (a tracked interface added, priority
    // 160): the new router is drained too; then several of A's Master_Down_Intervals
    // without A ever taking the VIP back (its 160 beats B's 100).
    let mut a2 = a.clone();
    a2.priority = 160;
    a2.extra += "  track_interface {\n    a0\n  }\n";
    sc.write("vrrpd-a.conf", &conf("vrrpd_a", &a2, ""));
    sc.signal(ia, "HUP");
    let s = sc.wait_status("a", LIMIT, "reload done", |s| num(s, "/reloads") == 1);
    assert_eq!(
        num(&vi1(&s), "/base_priority"),
        160,
        "reload not applied: {s}"
    );
    assert!(
        sc.read("vrrpd-a.log").contains("(VI_1) added by reload"),
        "the reload did not replace the router"
    );
    assert_eq!(vi1(&s)["drained"], true, "drain lost in reload: {s}");
    let until = Instant::now() + a_mdi * 3;
    while Instant::now() < until {
        assert!(!vip(&sc, Side::A), "drained A took the VIP back");
        assert!(vip(&sc, Side::B), "B lost the VIP while A is drained");
        let s = st(&sc, Side::A);
        assert_eq!(text(&s, "/state"), "BACKUP", "{s}");
        assert_eq!(s["drained"], true, "{s}");
        sleep(Duration::from_millis(200));
    }

    // Undrain: A preempts back.
    let o = vrrpd_cmd(&sc, Side::A, "undrain");
    assert!(o.status.success(), "undrain: {o:?}");
    wait_state(&sc, Side::A, "MASTER");
    wait_state(&sc, Side::B, "BACKUP");
    assert_eq!(st(&sc, Side::A)["drained"], false);
    let g = watch.finish();
    report(&format!(
        "drain: longest time with the VIP on neither node {:?}, {:?} after the watch began \
         (drain command at {:?}); {} samples, slowest {:?}",
        g.longest,
        g.at,
        t0 - watch_t0,
        g.samples,
        g.slowest_sample
    ));
    assert!(
        g.longest < b_mdi,
        "VIP missing for {:?}, longer than Master_Down_Interval {b_mdi:?}: {g:?}",
        g.longest
    );
}

// ---- 5. unicast without peers ----------------------------------------------------------

#[test]
fn unicast_src_ip_without_peer_refused_at_start_creating_nothing() {
    let _serial = serial();
    let Some(mut sc) = pair::scene("beyond 5 (unicast without peers)", "by5") else {
        return;
    };
    let mut a = Inst::new(Side::A, "MASTER", 150);
    a.unicast = Some(("192.0.2.1", None));
    let conf_path = sc.write("vrrpd-a.conf", &conf("vrrpd_a", &a, ""));
    let i = start(&mut sc, Side::A, &conf_path, &[]);
    let st = sc.wait_exit(i, LIMIT).expect("vrrpd still running");
    assert!(!st.success(), "exit status {st}");
    let log = sc.read("vrrpd-a.log");
    let at = format!("{}:{}:", conf_path.display(), pair::INSTANCE_LINE);
    assert!(
        log.contains(&at) && log.contains("unicast_src_ip without unicast_peer"),
        "want '{at} ... unicast_src_ip without unicast_peer' in: {log}"
    );
    assert!(!vip(&sc, Side::A), "VIP added");
    assert!(!sc.socket("a").exists(), "control socket created");
    assert!(!sc.path("vrrpd-a.pid").exists(), "pid file written");
}
