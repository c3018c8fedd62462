//! keepalived 2.2.7 and vrrpd, differentially (issue 16, tracking): the same
//! keepalived.conf (`dataplane/track.conf`) runs on a pair of nodes under each daemon
//! (`tests/dataplane/mod.rs`), and the master's tracked files are changed step by step
//! while both nodes' data planes (who holds which VIP) are snapshotted after each step:
//!
//! 1. start: node1 (150) master of everything;
//! 2. VI_1's weighted file (`weight 1`, the default) says -60 on node1: 90 < 100, node2
//!    takes VI_1;
//! 3. it says 0 again (replaced by a rename): node1 preempts;
//! 4. VI_1's weight-0 file says 1 on node1: FAULT, node2 takes VI_1;
//! 5. that file is removed (0): node1 leaves FAULT and preempts;
//! 6. the sync group's file (`weight 2`) says -30 on node1: both members at 90, node2
//!    takes VI_2 and VI_3;
//! 7. it says 0 again: node1 takes both back;
//! 8. both stop.
//!
//! A second test does the same with interfaces (`dataplane/track_if.conf`): node1's eth1
//! goes down (VI_2 on it in FAULT, VI_1 tracking it with `weight -60` at 90: node2 takes
//! both) and up again; then node1's eth0 goes down under VI_1's `dont_track_primary`: VI_1
//! stays MASTER on node1 (no FAULT, its VIP stays) while node2, hearing nothing, becomes
//! MASTER too; then eth0 comes back and node2 steps down.
//!
//! keepalived is the reference: the tests first check that its run shows this, then that
//! vrrpd's run is the same, phase by phase. Needs root and keepalived (else SKIP).

#[allow(dead_code)] // the harness serves several tests; this one uses part of it
mod dataplane;

use std::sync::Mutex;

use dataplane::{
    assert_same, both, can_run, compare, runs, template, Daemon, Expect, Node, Run, MASTER_BACKUP,
};

/// One test at a time: four daemons with 1 s adverts are enough for a shared machine.
static SERIAL: Mutex<()> = Mutex::new(());

const ONE: Node = Node::One;
const TWO: Node = Node::Two;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The steps of the module's list, on node1's files.
fn track_sequence(run: &mut Run) {
    let vi1 = names(&["VI_1"]);
    let group = names(&["VI_2", "VI_3"]);
    run.replace_file("node1.weight", "0\n");
    run.replace_file("node1.fault", "0\n");
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.start(TWO);
    run.wait_state(TWO, "BACKUP", 1);
    run.snapshot("start: node1 master");

    run.replace_file("node1.weight", "-60\n");
    run.wait_instances(TWO, &vi1, "MASTER", 1);
    run.wait_instances(ONE, &vi1, "BACKUP", 1);
    run.snapshot("VI_1 weighted file -60 on node1: node2 holds VI_1");
    if matches!(run.daemon, Daemon::Vrrpd) {
        // vrrpd status shows each tracked file with the value last read.
        let s = run.vrrpd_status(ONE);
        let tf = s["track_files"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["name"] == "tf"))
            .unwrap_or_else(|| panic!("no track file tf in status: {s}"));
        assert_eq!(tf["value"], -60, "{tf}");
        assert!(
            tf["path"].as_str().unwrap().ends_with("node1.weight"),
            "{tf}"
        );
    }

    run.replace_file("node1.weight", "0\n");
    run.wait_instances(ONE, &vi1, "MASTER", 2);
    run.wait_instances(TWO, &vi1, "BACKUP", 2);
    run.snapshot("VI_1 weighted file 0 again: node1 holds VI_1");

    run.replace_file("node1.fault", "1\n");
    run.wait_instances(ONE, &vi1, "FAULT", 1);
    run.wait_instances(TWO, &vi1, "MASTER", 2);
    run.snapshot("VI_1 weight-0 file 1 on node1: FAULT, node2 holds VI_1");

    run.remove_file("node1.fault");
    run.wait_instances(ONE, &vi1, "MASTER", 3);
    run.wait_instances(TWO, &vi1, "BACKUP", 3);
    run.snapshot("VI_1 weight-0 file removed: node1 holds VI_1");

    run.replace_file("node1.group", "-30\n");
    run.wait_instances(TWO, &group, "MASTER", 1);
    run.wait_instances(ONE, &group, "BACKUP", 1);
    run.snapshot("sync group file -30 on node1: node2 holds VI_2 and VI_3");

    run.replace_file("node1.group", "0\n");
    run.wait_instances(ONE, &group, "MASTER", 2);
    run.wait_instances(TWO, &group, "BACKUP", 2);
    run.snapshot("sync group file 0 again: node1 holds VI_2 and VI_3");

    run.stop(TWO);
    run.stop(ONE);
    run.snapshot("after both stop");
}

#[test]
fn track_files_move_vips_as_under_keepalived() {
    let test = "track_files_move_vips_as_under_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let conf = template("track.conf");
    let (k, v) = both(
        "trk",
        &conf,
        MASTER_BACKUP,
        &["VI_1", "VI_2", "VI_3"],
        track_sequence,
    );
    // Who holds VI_1's and the sync group's VIPs at each phase (None: nobody).
    let vi1 = [
        Some(ONE),
        Some(TWO),
        Some(ONE),
        Some(TWO),
        Some(ONE),
        Some(ONE),
        Some(ONE),
        None,
    ];
    let grp = [
        Some(ONE),
        Some(ONE),
        Some(ONE),
        Some(ONE),
        Some(ONE),
        Some(TWO),
        Some(ONE),
        None,
    ];
    let mut expect: Vec<Expect<'_>> = Vec::new();
    for (words, holders) in [
        (&["addr eth0 inet 192.0.2.100/24 "][..], vi1),
        (&["addr eth1 inet 198.51.100.100/25 "], grp),
        (&["addr eth1 inet6 2001:db8:1::100/64 "], grp),
    ] {
        for (phase, holder) in holders.into_iter().enumerate() {
            for n in Node::BOTH {
                expect.push((phase, n, words, holder == Some(n)));
            }
        }
    }
    assert_same(test, &k, &v, &expect, &[], "");
}

/// The interface steps of the module's list.
fn link_sequence(run: &mut Run) {
    let vi1 = names(&["VI_1"]);
    let vi2 = names(&["VI_2"]);
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.start(TWO);
    run.wait_state(TWO, "BACKUP", 1);
    run.snapshot("start: node1 master");

    run.set_link(ONE, "eth1", false);
    run.wait_instances(ONE, &vi2, "FAULT", 1);
    run.wait_state(TWO, "MASTER", 1);
    run.wait_instances(ONE, &vi1, "BACKUP", 1);
    run.snapshot("node1 eth1 down: VI_2 FAULT, VI_1 at 90, node2 holds both");

    run.set_link(ONE, "eth1", true);
    run.wait_state(ONE, "MASTER", 2);
    run.wait_state(TWO, "BACKUP", 2);
    run.snapshot("node1 eth1 up: node1 holds both");

    run.set_link(ONE, "eth0", false);
    run.wait_instances(TWO, &vi1, "MASTER", 2);
    run.snapshot("node1 eth0 down, dont_track_primary: VI_1 master on both");

    run.set_link(ONE, "eth0", true);
    run.wait_instances(TWO, &vi1, "BACKUP", 3);
    run.snapshot("node1 eth0 up: node1 holds VI_1 alone");

    run.stop(TWO);
    run.stop(ONE);
    run.snapshot("after both stop");
}

#[test]
fn tracked_interfaces_and_dont_track_primary_as_under_keepalived() {
    let test = "tracked_interfaces_and_dont_track_primary_as_under_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let conf = template("track_if.conf");
    let (k, v) = both(
        "tri",
        &conf,
        MASTER_BACKUP,
        &["VI_1", "VI_2"],
        link_sequence,
    );
    let vi1: [&[Node]; 6] = [&[ONE], &[TWO], &[ONE], &[ONE, TWO], &[ONE], &[]];
    let vi2: [&[Node]; 6] = [&[ONE], &[TWO], &[ONE], &[ONE], &[ONE], &[]];
    let mut expect: Vec<Expect<'_>> = Vec::new();
    for (words, holders) in [
        (&["addr eth0 inet 192.0.2.100/24 "][..], vi1),
        (&["addr eth1 inet 198.51.100.100/25 "], vi2),
    ] {
        for (phase, holder) in holders.into_iter().enumerate() {
            for n in Node::BOTH {
                expect.push((phase, n, words, holder.contains(&n)));
            }
        }
    }
    assert_same(test, &k, &v, &expect, &[], "");
}

/// The harness on these sequences: keepalived against keepalived is the same at every
/// phase, so a difference under vrrpd is vrrpd's, not the run's timing.
#[test]
fn harness_sees_keepalived_tracking_equal_to_itself() {
    let test = "harness_sees_keepalived_tracking_equal_to_itself";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let k = [Daemon::Keepalived, Daemon::Keepalived];
    for (stem, file, instances, sequence) in [
        (
            "trh",
            "track.conf",
            &["VI_1", "VI_2", "VI_3"][..],
            track_sequence as fn(&mut Run),
        ),
        ("tih", "track_if.conf", &["VI_1", "VI_2"], link_sequence),
    ] {
        let (a, b) = runs(stem, &template(file), MASTER_BACKUP, instances, sequence, k);
        let report = compare(&a, &b, &[]);
        assert!(
            report.is_empty(),
            "{test} ({file}):\n{report}\n{}",
            b.logs()
        );
    }
}
