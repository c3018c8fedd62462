//! The `vrrpd` daemon against a real keepalived 2.2.7, end to end, on a bridged LAN of
//! network namespaces (`vrrp-net/tests/lan`): vrrpd in namespace A on `a0` (192.0.2.1),
//! keepalived in namespace B on `b0` (192.0.2.2), VRRPv2 with advert_int 1 and a VIP of
//! 192.0.2.100/24. Both read keepalived.conf files the tests write.
//!
//! 1. vrrpd MASTER (150) / keepalived BACKUP (100), multicast, auth PASS, notify scripts;
//!    SIGTERM vrrpd hands the VIP over and runs the STOP scripts; a restarted vrrpd preempts.
//! 2. keepalived MASTER (150) / vrrpd BACKUP (100); keepalived's SIGTERM (priority 0) hands
//!    the VIP to vrrpd.
//! 3. Cloud style: unicast, nopreempt, both BACKUP at 100; keepalived first; a crashed
//!    keepalived (SIGKILL) loses the VIP to vrrpd after Master_Down, and gets nothing back
//!    when it returns.
//! 4. track_script weight -60: a failing check moves the VIP to keepalived (80), a
//!    recovered one moves it back.
//! 5. SIGHUP: same configuration (nothing happens), broken one (refused, still master),
//!    priority 50 (keepalived takes over).
//! 6. A notify_master script that hangs, and one that does not exist: the protocol and the
//!    control socket keep going, the outcomes are counted, SIGTERM still exits 0.
//!
//! Assertions: the addresses each namespace really has, `vrrpd status --json`, keepalived's
//! log, and the files notify scripts write. Needs root and keepalived (else SKIP).

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
mod peer;

use std::thread::sleep;
use std::time::Duration;

use peer::{conf, notify_lines, num, text, Instance, Scene, A_ADDR, LIMIT, VIP};

/// Bound on a daemon's exit after SIGTERM (vrrpd waits up to 10 s for notify_stop).
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// Long enough for several of a v2 backup's Master_Down_Intervals (about 3.6 s).
const SETTLE: Duration = Duration::from_secs(5);

fn vi1(s: &serde_json::Value) -> serde_json::Value {
    Scene::vi1(s)
}

/// 1. vrrpd MASTER 150 vs keepalived BACKUP 100, v2 multicast, auth PASS.
#[test]
fn vrrpd_master_keepalived_backup_stop_and_preempt_back() {
    let Some(mut sc) = Scene::new("scenario 1 (vrrpd master)", "kp1") else {
        return;
    };
    let rec = sc.recorder("notify-a.sh", "notify-a.out");
    let mut ours = Instance::new("a0", "MASTER", 150);
    ours.extra = notify_lines(&rec);
    let ours = sc.write("vrrpd.conf", &conf("vrrpd_a", "", &ours));
    let krec = sc.recorder("notify-b.sh", "notify-b.out");
    let mut theirs = Instance::new("b0", "BACKUP", 100);
    theirs.extra = notify_lines(&krec);
    let theirs = sc.write("keepalived.conf", &conf("keepalived_b", "", &theirs));

    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "VIP on vrrpd (150)", || sc.vip_a());
    sc.wait(LIMIT, "vrrpd logs MASTER", || {
        sc.read("vrrpd-1.log")
            .contains("(VI_1) Entering MASTER STATE")
    });
    sc.wait(LIMIT, "vrrpd's notify scripts for MASTER", || {
        let l = sc.lines("notify-a.out");
        l.iter().any(|l| l == "INSTANCE VI_1 MASTER 150") && l.iter().any(|l| l == "master")
    });
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(num(&s, "/effective_priority"), 150, "{s}");
    assert!(
        s["vips"].as_array().unwrap().iter().any(|a| a == VIP),
        "status vips: {s}"
    );

    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "keepalived enters BACKUP", || {
        sc.read("keepalived-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    assert!(!sc.vip_b(), "keepalived took the VIP from vrrpd (150)");
    let klog = sc.read("keepalived-1.log");
    assert!(
        !klog.contains("Entering MASTER STATE"),
        "keepalived became master beside vrrpd (150):\n{klog}"
    );
    assert!(sc.vip_a(), "vrrpd lost the VIP");
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(num(&s, "/counters/master_transitions"), 1, "{s}");

    // SIGTERM: priority-0 advert, VIP removed, STOP scripts, exit 0; keepalived takes over.
    sc.term(v, "vrrpd", EXIT_LIMIT);
    assert!(!sc.vip_a(), "vrrpd left the VIP behind after SIGTERM");
    sc.wait(LIMIT, "keepalived takes the VIP", || sc.vip_b());
    let klog = sc.read("keepalived-1.log");
    assert!(
        klog.contains("(VI_1) Entering MASTER STATE"),
        "keepalived log:\n{klog}"
    );
    assert!(
        klog.contains("(VI_1) Backup received priority 0 advertisement"),
        "keepalived did not get vrrpd's priority-0 advert:\n{klog}"
    );
    let l = sc.lines("notify-a.out");
    assert!(
        l.iter().any(|l| l == "stop"),
        "notify_stop did not run: {l:?}"
    );
    assert!(
        // keepalived passes the effective priority with STOP too.
        l.iter().any(|l| l == "INSTANCE VI_1 STOP 150"),
        "generic notify did not get STOP: {l:?}"
    );

    // A restarted vrrpd (150) preempts keepalived (100).
    let v = sc.start_vrrpd(&ours, "2");
    sc.wait(LIMIT, "restarted vrrpd preempts the VIP", || sc.vip_a());
    sc.wait(LIMIT, "keepalived releases the VIP", || !sc.vip_b());
    sc.wait(LIMIT, "keepalived back to BACKUP", || {
        sc.count("keepalived-1.log", "(VI_1) Entering BACKUP STATE") >= 2
    });
    let s = vi1(&sc.status("2"));
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(text(&s, "/master"), A_ADDR, "{s}");

    sc.term(v, "vrrpd (run 2)", EXIT_LIMIT);
    sc.term(k, "keepalived", EXIT_LIMIT);
    assert!(!sc.vip_a() && !sc.vip_b(), "VIP left behind after SIGTERM");
}
