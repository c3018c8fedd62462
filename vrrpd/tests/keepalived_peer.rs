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

use peer::{conf, notify_lines, num, text, Instance, Scene, A_ADDR, B_ADDR, LIMIT, VIP};

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

/// 2. keepalived MASTER 150 vs vrrpd BACKUP 100; keepalived stops with a priority-0 advert.
#[test]
fn keepalived_master_vrrpd_backup_takes_over_on_priority_zero() {
    let Some(mut sc) = Scene::new("scenario 2 (keepalived master)", "kp2") else {
        return;
    };
    let krec = sc.recorder("notify-b.sh", "notify-b.out");
    let mut theirs = Instance::new("b0", "MASTER", 150);
    theirs.extra = notify_lines(&krec);
    let theirs = sc.write("keepalived.conf", &conf("keepalived_b", "", &theirs));
    let rec = sc.recorder("notify-a.sh", "notify-a.out");
    let mut ours = Instance::new("a0", "BACKUP", 100);
    ours.extra = notify_lines(&rec);
    let ours = sc.write("vrrpd.conf", &conf("vrrpd_a", "", &ours));

    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (150)", || sc.vip_b());
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "vrrpd logs BACKUP", || {
        sc.read("vrrpd-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    assert!(
        !sc.vip_a(),
        "vrrpd (100) took the VIP from keepalived (150)"
    );
    assert!(sc.vip_b(), "keepalived lost the VIP");
    let vlog = sc.read("vrrpd-1.log");
    assert!(
        !vlog.contains("Entering MASTER STATE"),
        "vrrpd became master beside keepalived (150):\n{vlog}"
    );
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "BACKUP", "{s}");
    assert_eq!(text(&s, "/master"), B_ADDR, "{s}");
    assert!(num(&s, "/counters/adverts_rcvd") >= 3, "{s}");
    assert_eq!(num(&s, "/counters/auth_failures"), 0, "{s}");
    let l = sc.lines("notify-a.out");
    assert!(
        l.iter().any(|l| l == "INSTANCE VI_1 BACKUP 100"),
        "generic notify for BACKUP: {l:?}"
    );
    let pz = num(&s, "/counters/priority_zero_rcvd");

    sc.term(k, "keepalived", EXIT_LIMIT);
    sc.wait(LIMIT, "vrrpd takes the VIP", || sc.vip_a());
    assert!(!sc.vip_b(), "keepalived left the VIP behind");
    let s = sc.wait_status("1", LIMIT, "MASTER", |s| vi1(s)["state"] == "MASTER");
    let s = vi1(&s);
    assert!(
        num(&s, "/counters/priority_zero_rcvd") > pz,
        "vrrpd took over without counting keepalived's priority-0 advert: {s}"
    );
    assert_eq!(num(&s, "/counters/master_transitions"), 1, "{s}");
    assert_eq!(text(&s, "/master"), A_ADDR, "{s}");
    sc.wait(LIMIT, "vrrpd's notify scripts for MASTER", || {
        let l = sc.lines("notify-a.out");
        l.iter().any(|l| l == "INSTANCE VI_1 MASTER 100") && l.iter().any(|l| l == "master")
    });
    // keepalived's own STOP, for comparison with scenario 1's vrrpd.
    let kl = sc.lines("notify-b.out");
    assert!(kl.iter().any(|l| l == "INSTANCE VI_1 STOP 150"), "{kl:?}");

    sc.term(v, "vrrpd", EXIT_LIMIT);
    assert!(!sc.vip_a(), "vrrpd left the VIP behind after SIGTERM");
}

/// 3. Cloud style (seeds 000/001): v2 unicast, nopreempt, both BACKUP at priority 100.
#[test]
fn unicast_nopreempt_equal_priorities_crash_and_return() {
    let Some(mut sc) = Scene::new("scenario 3 (unicast nopreempt)", "kp3") else {
        return;
    };
    let mut theirs = Instance::new("b0", "BACKUP", 100);
    theirs.unicast = Some((B_ADDR, A_ADDR));
    theirs.nopreempt = true;
    let theirs = sc.write("keepalived.conf", &conf("keepalived_b", "", &theirs));
    let mut ours = Instance::new("a0", "BACKUP", 100);
    ours.unicast = Some((A_ADDR, B_ADDR));
    ours.nopreempt = true;
    let ours = sc.write("vrrpd.conf", &conf("vrrpd_a", "", &ours));

    // keepalived first: alone, it becomes master after Master_Down_Interval.
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (first up)", || sc.vip_b());
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "vrrpd logs BACKUP", || {
        sc.read("vrrpd-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    assert!(
        !sc.vip_a(),
        "vrrpd took the VIP from an equal-priority master"
    );
    assert!(sc.vip_b(), "keepalived lost the VIP");
    let klog = sc.read("keepalived-1.log");
    assert_eq!(
        klog.matches("(VI_1) Entering MASTER STATE").count(),
        1,
        "keepalived log:\n{klog}"
    );
    assert!(
        !klog.contains("(VI_1) Entering BACKUP STATE\n"),
        "keepalived left MASTER (vrrpd must not preempt):\n{klog}"
    );
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "BACKUP", "{s}");
    assert_eq!(text(&s, "/master"), B_ADDR, "{s}");
    assert!(num(&s, "/counters/adverts_rcvd") >= 3, "{s}");
    assert_eq!(
        s["unicast_peers"],
        serde_json::json!([B_ADDR]),
        "status unicast_peers: {s}"
    );
    let pz = num(&s, "/counters/priority_zero_rcvd");

    // keepalived crashes: no priority-0 advert; vrrpd takes over after Master_Down.
    sc.crash_keepalived(k, "1");
    sc.wait(LIMIT, "vrrpd takes the VIP after Master_Down", || {
        sc.vip_a()
    });
    let s = sc.wait_status("1", LIMIT, "MASTER", |s| vi1(s)["state"] == "MASTER");
    let s = vi1(&s);
    assert_eq!(
        num(&s, "/counters/priority_zero_rcvd"),
        pz,
        "a priority-0 advert from a SIGKILLed keepalived? {s}"
    );
    assert_eq!(num(&s, "/counters/master_transitions"), 1, "{s}");

    // keepalived returns (it removes the VIP its crashed run left on b0 itself): nopreempt, equal priority: it stays BACKUP, the VIP stays put.
    let k = sc.start_keepalived(&theirs, "2");
    sc.wait(LIMIT, "returning keepalived enters BACKUP", || {
        sc.read("keepalived-2.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    let klog = sc.read("keepalived-2.log");
    assert!(
        !klog.contains("Entering MASTER STATE"),
        "returning keepalived took over despite nopreempt:\n{klog}"
    );
    assert!(sc.vip_a(), "vrrpd lost the VIP to the returning keepalived");
    assert!(!sc.vip_b(), "returning keepalived holds the VIP too");
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(num(&s, "/counters/master_transitions"), 1, "{s}");

    sc.term(v, "vrrpd", EXIT_LIMIT);
    sc.wait(LIMIT, "keepalived takes the VIP after vrrpd stops", || {
        sc.vip_b()
    });
    sc.term(k, "keepalived", EXIT_LIMIT);
}

/// 4. track_script weight (seed 004 style): vrrpd 100 with weight -60 vs keepalived 80.
#[test]
fn track_script_weight_moves_the_vip_and_back() {
    let Some(mut sc) = Scene::new("scenario 4 (track_script weight)", "kp4") else {
        return;
    };
    let flag = sc.write("flag", "");
    let check = format!(
        "vrrp_script chk {{\n  script \"test -f {}\"\n  interval 1\n  fall 2\n  rise 2\n  \
         weight -60\n}}\n",
        flag.display()
    );
    let mut ours = Instance::new("a0", "MASTER", 100);
    ours.extra = "  track_script {\n    chk\n  }\n".into();
    let ours = sc.write("vrrpd.conf", &conf("vrrpd_a", &check, &ours));
    let theirs = sc.write(
        "keepalived.conf",
        &conf("keepalived_b", "", &Instance::new("b0", "BACKUP", 80)),
    );

    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "VIP on vrrpd (100)", || sc.vip_a());
    let s = sc.wait_status("1", LIMIT, "MASTER at 100, check ok", |s| {
        let i = vi1(s);
        i["state"] == "MASTER"
            && i["effective_priority"] == 100
            && s["scripts"]["checks"] == serde_json::json!([["chk", "ok"]])
    });
    assert_eq!(num(&vi1(&s), "/base_priority"), 100, "{s}");
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "keepalived enters BACKUP", || {
        sc.read("keepalived-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    sleep(SETTLE);
    assert!(!sc.vip_b(), "keepalived (80) took the VIP from vrrpd (100)");
    assert!(sc.vip_a());

    // The check fails (fall 2): 100 - 60 = 40 < 80, keepalived preempts.
    std::fs::remove_file(&flag).unwrap();
    sc.wait(LIMIT, "keepalived takes the VIP", || sc.vip_b());
    sc.wait(LIMIT, "vrrpd releases the VIP", || !sc.vip_a());
    let s = sc.wait_status("1", LIMIT, "BACKUP at 40", |s| {
        vi1(s)["state"] == "BACKUP" && vi1(s)["effective_priority"] == 40
    });
    assert_eq!(
        s["scripts"]["checks"],
        serde_json::json!([["chk", "failed"]]),
        "{s}"
    );
    sc.wait_status("1", LIMIT, "keepalived known as master", |s| {
        vi1(s)["master"] == B_ADDR
    });
    let klog = sc.read("keepalived-1.log");
    assert!(
        klog.contains("(VI_1) Entering MASTER STATE"),
        "keepalived log:\n{klog}"
    );

    // The check recovers (rise 2): back to 100 > 80, vrrpd preempts again.
    std::fs::write(&flag, "").unwrap();
    sc.wait(LIMIT, "vrrpd takes the VIP back", || sc.vip_a());
    sc.wait(LIMIT, "keepalived releases the VIP", || !sc.vip_b());
    let s = sc.wait_status("1", LIMIT, "MASTER at 100", |s| {
        vi1(s)["state"] == "MASTER" && vi1(s)["effective_priority"] == 100
    });
    assert_eq!(num(&vi1(&s), "/counters/master_transitions"), 2, "{s}");
    sc.wait(LIMIT, "keepalived back to BACKUP", || {
        sc.count("keepalived-1.log", "(VI_1) Entering BACKUP STATE") >= 2
    });

    sc.term(v, "vrrpd", EXIT_LIMIT);
    sc.term(k, "keepalived", EXIT_LIMIT);
}

/// 5. SIGHUP: unchanged, broken, then priority 50.
#[test]
fn reload_same_broken_and_lower_priority() {
    let Some(mut sc) = Scene::new("scenario 5 (reload)", "kp5") else {
        return;
    };
    let good = conf("vrrpd_a", "", &Instance::new("a0", "MASTER", 150));
    let ours = sc.write("vrrpd.conf", &good);
    let theirs = sc.write(
        "keepalived.conf",
        &conf("keepalived_b", "", &Instance::new("b0", "BACKUP", 100)),
    );
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "VIP on vrrpd (150)", || sc.vip_a());
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "keepalived enters BACKUP", || {
        sc.read("keepalived-1.log")
            .contains("(VI_1) Entering BACKUP STATE")
    });
    let s = sc.status("1");
    assert_eq!((num(&s, "/reloads"), num(&s, "/reloads_failed")), (0, 0));
    let mt = num(&vi1(&s), "/counters/master_transitions");
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");

    // Same configuration: nothing changes.
    sc.signal(v, "HUP");
    let s = sc.wait_status("1", LIMIT, "reloads == 1", |s| s["reloads"] == 1);
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
    sleep(SETTLE);
    let s = sc.status("1");
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
    assert_eq!(num(&vi1(&s), "/counters/master_transitions"), mt, "{s}");
    assert_eq!(num(&s, "/reloads_failed"), 0, "{s}");
    assert!(
        sc.vip_a() && !sc.vip_b(),
        "VIP moved on an unchanged reload"
    );
    assert_eq!(sc.count("vrrpd-1.log", "Entering"), 2, "vrrpd log");

    // Broken configuration (unclosed brace): refused, the old one keeps running.
    let broken = good.trim_end().trim_end_matches('}').to_string();
    sc.write("vrrpd.conf", &broken);
    sc.signal(v, "HUP");
    let s = sc.wait_status("1", LIMIT, "reloads_failed == 1", |s| {
        s["reloads_failed"] == 1
    });
    assert_eq!(num(&s, "/reloads"), 1, "{s}");
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
    sleep(SETTLE);
    let s = sc.status("1");
    assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
    assert_eq!(num(&vi1(&s), "/effective_priority"), 150, "{s}");
    assert_eq!(num(&vi1(&s), "/counters/master_transitions"), mt, "{s}");
    assert!(sc.vip_a() && !sc.vip_b(), "VIP moved on a refused reload");
    let klog = sc.read("keepalived-1.log");
    assert!(
        !klog.contains("Entering MASTER STATE"),
        "keepalived became master during vrrpd's reloads:\n{klog}"
    );

    // Priority 50: keepalived (100) preempts.
    sc.write(
        "vrrpd.conf",
        &conf("vrrpd_a", "", &Instance::new("a0", "MASTER", 50)),
    );
    sc.signal(v, "HUP");
    sc.wait(LIMIT, "keepalived takes the VIP", || sc.vip_b());
    sc.wait(LIMIT, "vrrpd releases the VIP", || !sc.vip_a());
    let s = sc.wait_status("1", LIMIT, "BACKUP at 50", |s| {
        vi1(s)["state"] == "BACKUP" && vi1(s)["effective_priority"] == 50
    });
    assert_eq!(
        (num(&s, "/reloads"), num(&s, "/reloads_failed")),
        (2, 1),
        "{s}"
    );
    assert_eq!(num(&vi1(&s), "/base_priority"), 50, "{s}");
    sc.wait_status("1", LIMIT, "keepalived known as master", |s| {
        vi1(s)["master"] == B_ADDR
    });
    let klog = sc.read("keepalived-1.log");
    assert!(
        klog.contains("(VI_1) Entering MASTER STATE"),
        "keepalived log:\n{klog}"
    );

    sc.term(v, "vrrpd", EXIT_LIMIT);
    sc.term(k, "keepalived", EXIT_LIMIT);
}

/// 6. How scenario 6's notify_master misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BadScript {
    /// Sleeps 60 s (killed at the 5 s notify timeout).
    Hangs,
    /// The file does not exist.
    Missing,
}

fn bad_notify_master(bad: BadScript, tag: &str) {
    let name = match bad {
        BadScript::Hangs => "scenario 6 (hanging notify_master)",
        BadScript::Missing => "scenario 6 (missing notify_master)",
    };
    let Some(mut sc) = Scene::new(name, tag) else {
        return;
    };
    let script = match bad {
        BadScript::Hangs => {
            let out = sc.path("hang.out");
            sc.script(
                "hang.sh",
                &format!("echo \"started $$\" >> '{}'\nexec sleep 60", out.display()),
            )
        }
        BadScript::Missing => sc.path("no-such-script.sh"),
    };
    let rec = sc.recorder("notify-a.sh", "notify-a.out");
    let mut ours = Instance::new("a0", "MASTER", 150);
    ours.extra = format!(
        "  notify_master \"{}\"\n  notify_backup \"{} backup\"\n",
        script.display(),
        rec.display()
    );
    let ours = sc.write("vrrpd.conf", &conf("vrrpd_a", "", &ours));
    let theirs = sc.write(
        "keepalived.conf",
        &conf("keepalived_b", "", &Instance::new("b0", "BACKUP", 100)),
    );

    // keepalived first, so that it is a backup ready to take over (Master_Down about
    // 3.6 s) during the 5 s the script may hang: a blocked vrrpd would lose the VIP.
    let k = sc.start_keepalived(&theirs, "1");
    sc.wait(LIMIT, "VIP on keepalived (alone)", || sc.vip_b());
    let v = sc.start_vrrpd(&ours, "1");
    sc.wait(LIMIT, "vrrpd (150) preempts the VIP", || sc.vip_a());
    sc.wait(LIMIT, "keepalived releases the VIP", || !sc.vip_b());

    match bad {
        BadScript::Hangs => {
            sc.wait(LIMIT, "the hanging script starts", || {
                sc.read("hang.out").starts_with("started ")
            });
            // While it hangs, vrrpd answers (within a few seconds; the script has 5).
            let s = sc
                .status_within("1", Duration::from_secs(3))
                .expect("vrrpd does not answer status while notify_master hangs");
            assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
            assert_eq!(num(&s, "/scripts/notify_timed_out"), 0, "{s}");
            let pid: u32 = sc.read("hang.out")["started ".len()..]
                .trim()
                .parse()
                .unwrap();
            let s = sc.wait_status("1", LIMIT, "notify_timed_out == 1", |s| {
                s["scripts"]["notify_timed_out"] == 1
            });
            assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
            sc.wait(LIMIT, "the hung script is killed and reaped", || {
                !std::path::Path::new(&format!("/proc/{pid}")).exists()
            });
        }
        BadScript::Missing => {
            let s = sc.wait_status("1", LIMIT, "notify_spawn_errors >= 1", |s| {
                s["scripts"]["notify_spawn_errors"].as_u64() >= Some(1)
            });
            assert_eq!(text(&vi1(&s), "/state"), "MASTER", "{s}");
            assert_eq!(num(&s, "/scripts/notify_ok"), 1, "notify_backup ran: {s}");
        }
    }
    // Past the script's 5 s and keepalived's Master_Down: the protocol never stalled.
    sleep(SETTLE);
    assert!(sc.vip_a(), "vrrpd lost the VIP");
    assert!(!sc.vip_b(), "keepalived holds the VIP too");
    let klog = sc.read("keepalived-1.log");
    assert_eq!(
        klog.matches("(VI_1) Entering MASTER STATE").count(),
        1,
        "keepalived took over again while vrrpd's notify_master misbehaved:\n{klog}"
    );
    let s = vi1(&sc.status("1"));
    assert_eq!(text(&s, "/state"), "MASTER", "{s}");
    assert_eq!(num(&s, "/counters/master_transitions"), 1, "{s}");
    assert_eq!(sc.lines("notify-a.out"), ["backup"]);

    sc.term(v, "vrrpd", EXIT_LIMIT);
    sc.wait(LIMIT, "keepalived takes the VIP after vrrpd stops", || {
        sc.vip_b()
    });
    sc.term(k, "keepalived", EXIT_LIMIT);
}

/// 6a. notify_master sleeps 60 s.
#[test]
fn hanging_notify_master_does_not_block() {
    bad_notify_master(BadScript::Hangs, "kp6h");
}

/// 6b. notify_master names a missing file.
#[test]
fn missing_notify_master_does_not_block() {
    bad_notify_master(BadScript::Missing, "kp6m");
}
