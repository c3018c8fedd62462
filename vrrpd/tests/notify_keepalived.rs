//! Notify hooks, differentially against keepalived 2.2.7 (issue 16): `dataplane/notify.conf`
//! (a sync group of two instances, with group hooks and instance hooks, some run as
//! `nobody` or group `daemon`) runs on a pair of nodes (`tests/dataplane/mod.rs`), once
//! under each daemon. Every hook logs its arguments and `id -u`, `id -g`, `id -G` to its
//! node's log; after each step (start, the master stops, it is back, a link fault on the
//! master, the link back, both stop) the hooks run in that step are compared as a set per
//! node: keepalived forks its scripts without waiting for them, so it guarantees no order
//! between them, only which run and as whom.
//!
//! keepalived is checked against itself first (same sets at every step, the harness
//! seeing what it should). Needs root and keepalived (else SKIP).

#[allow(dead_code)]
mod dataplane;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use dataplane::{can_run, runs, template, Daemon, Node, Run, MASTER_BACKUP};

/// One test at a time (each runs four daemons).
static SERIAL: Mutex<()> = Mutex::new(());

/// The hook every notify line runs: `hook.sh NODE TAG [ARGS...]` appends `TAG ARGS... ids`
/// to `hooks-NODE.log` beside it.
const HOOK: &str = "#!/bin/sh\nnode=$1\nshift\n\
    echo \"$* uid=$(id -u) gid=$(id -g) groups=$(id -G)\" >> \"$(dirname \"$0\")/hooks-$node.log\"\n";

/// A hook log is settled when unchanged this long.
const QUIET: Duration = Duration::from_millis(2500);
/// Bound on settling (a bound on waiting, not a speed assertion).
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

fn log_path(run: &Run, n: Node) -> std::path::PathBuf {
    let node = match n {
        Node::One => "n1",
        Node::Two => "n2",
    };
    run.lan.dir.path().join(format!("hooks-{node}.log"))
}

/// The hook script and the two logs (writable by `nobody`).
fn setup(run: &mut Run) {
    let hook = run.lan.dir.write("hook.sh", HOOK).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    for n in Node::BOTH {
        let p = log_path(run, n);
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
}

/// Wait until both hook logs are unchanged for [`QUIET`] (bounded), then end the step
/// `name` with a marker line in each.
fn step(run: &mut Run, name: &str) {
    let read = |run: &Run| Node::BOTH.map(|n| std::fs::read_to_string(log_path(run, n)).unwrap());
    let start = Instant::now();
    let mut last = read(run);
    let mut since = Instant::now();
    while since.elapsed() < QUIET && start.elapsed() < SETTLE_LIMIT {
        sleep(Duration::from_millis(200));
        let now = read(run);
        if now != last {
            last = now;
            since = Instant::now();
        }
    }
    for n in Node::BOTH {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log_path(run, n))
            .unwrap();
        std::io::Write::write_all(&mut f, format!("== {name}\n").as_bytes()).unwrap();
    }
}

fn link(run: &Run, up: bool) {
    run.lan.a.set_link("eth0", up).unwrap();
}

/// node1 MASTER (150), node2 BACKUP (100): start both; stop node1; start it again; take
/// node1's eth0 down (VI_1 FAULT, the group with it); up again; stop both.
fn notify_sequence(run: &mut Run) {
    setup(run);
    run.start(Node::One);
    run.wait_state(Node::One, "MASTER", 1);
    run.start(Node::Two);
    run.wait_state(Node::Two, "BACKUP", 1);
    step(run, "start (node1 master, node2 backup)");

    run.stop(Node::One);
    run.wait_state(Node::Two, "MASTER", 1);
    step(run, "the master stops (node2 master)");

    run.start(Node::One);
    run.wait_state(Node::One, "MASTER", 1);
    run.wait_state(Node::Two, "BACKUP", 2);
    step(run, "the master is back (node1 master, node2 backup)");

    link(run, false);
    run.wait_state(Node::One, "FAULT", 1);
    run.wait_state(Node::Two, "MASTER", 2);
    step(run, "link fault on the master (node1 fault, node2 master)");

    link(run, true);
    run.wait_state(Node::One, "MASTER", 2);
    run.wait_state(Node::Two, "BACKUP", 3);
    step(run, "link back (node1 master, node2 backup)");

    run.stop(Node::Two);
    run.stop(Node::One);
    step(run, "both stop");
}

/// Per step (in order), per node, the hooks run: sorted lines.
type Steps = Vec<(String, [Vec<String>; 2])>;

fn steps(run: &Run) -> Steps {
    let mut out: Steps = Vec::new();
    let logs = Node::BOTH.map(|n| std::fs::read_to_string(log_path(run, n)).unwrap());
    let mut per_node: [BTreeMap<usize, (String, Vec<String>)>; 2] = Default::default();
    for (i, log) in logs.iter().enumerate() {
        let mut lines = Vec::new();
        let mut k = 0;
        for l in log.lines() {
            if let Some(name) = l.strip_prefix("== ") {
                lines.sort();
                per_node[i].insert(k, (name.to_string(), std::mem::take(&mut lines)));
                k += 1;
            } else {
                lines.push(l.to_string());
            }
        }
        if !lines.is_empty() {
            lines.sort();
            per_node[i].insert(k, ("(after the last step)".into(), lines));
        }
    }
    let [one, two] = per_node;
    let count = one.len().max(two.len());
    for k in 0..count {
        let a = one.get(&k).cloned().unwrap_or_default();
        let b = two.get(&k).cloned().unwrap_or_default();
        out.push((a.0.clone(), [a.1, b.1]));
    }
    out
}

fn show(name: &str, s: &Steps) -> String {
    let mut out = format!("===== {name}\n");
    for (step, nodes) in s {
        out.push_str(&format!("== {step}\n"));
        for (n, lines) in Node::BOTH.iter().zip(nodes) {
            for l in lines {
                out.push_str(&format!("  {}: {l}\n", n.name()));
            }
        }
    }
    out
}

/// The differences of `b` from `a`, step by step and node by node (empty: none).
fn differences(a: &Steps, b: &Steps, names: [&str; 2]) -> String {
    let mut out = String::new();
    if a.len() != b.len() {
        out.push_str(&format!(
            "{} has {} steps, {} has {}\n",
            names[0],
            a.len(),
            names[1],
            b.len()
        ));
    }
    for ((step, x), (_, y)) in a.iter().zip(b) {
        for (i, n) in Node::BOTH.iter().enumerate() {
            if x[i] != y[i] {
                out.push_str(&format!("== {step}, {}:\n", n.name()));
                for l in x[i].iter().filter(|l| !y[i].contains(l)) {
                    out.push_str(&format!("  - {l}\n"));
                }
                for l in y[i].iter().filter(|l| !x[i].contains(l)) {
                    out.push_str(&format!("  + {l}\n"));
                }
                if x[i].len() != y[i].len() {
                    out.push_str(&format!(
                        "  ({} runs under {}, {} under {})\n",
                        x[i].len(),
                        names[0],
                        y[i].len(),
                        names[1]
                    ));
                }
            }
        }
    }
    out
}

fn run_both(stem: &str, daemons: [Daemon; 2]) -> (Run, Run) {
    let conf = template("notify.conf");
    runs(
        stem,
        &conf,
        MASTER_BACKUP,
        &["VI_1", "VI_2"],
        notify_sequence,
        daemons,
    )
}

/// What keepalived must show for the harness to be seeing hooks at all: (step, node, line).
const EXPECT: [(usize, usize, &str); 6] = [
    (0, 0, "g-master uid=65534 gid=65534 groups=65534"),
    (
        0,
        0,
        "vi1-master two words uid=65534 gid=65534 groups=65534",
    ),
    (1, 0, "g-stop uid=65534 gid=65534 groups=65534"),
    (1, 0, "vi1-stop uid=65534 gid=65534 groups=65534"),
    (3, 0, "g-fault uid=65534 gid=1 groups=1"),
    (5, 1, "g-notify GROUP G1 STOP 0 uid=1 gid=1 groups=1"),
];

fn unmet(s: &Steps) -> Vec<String> {
    EXPECT
        .iter()
        .filter(|(k, n, l)| !s.get(*k).is_some_and(|st| st.1[*n].iter().any(|x| x == l)))
        .map(|(k, n, l)| format!("step {} node{}: no '{l}'", k + 1, n + 1))
        .collect()
}

#[test]
fn keepalived_runs_the_same_hooks_as_itself() {
    let test = "keepalived_runs_the_same_hooks_as_itself";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (a, b) = run_both("nkk", [Daemon::Keepalived, Daemon::Keepalived]);
    let (sa, sb) = (steps(&a), steps(&b));
    println!("{}", show("keepalived (1)", &sa));
    let bad = unmet(&sa);
    assert!(bad.is_empty(), "{test}: {bad:?}\n{}", a.logs());
    let d = differences(&sa, &sb, ["keepalived (1)", "keepalived (2)"]);
    assert!(
        d.is_empty(),
        "{test}:\n{d}\n{}",
        show("keepalived (2)", &sb)
    );
}

#[test]
fn notify_hooks_match_keepalived() {
    let test = "notify_hooks_match_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (k, v) = run_both("nkv", [Daemon::Keepalived, Daemon::Vrrpd]);
    let (sk, sv) = (steps(&k), steps(&v));
    println!("{}", show("keepalived", &sk));
    let bad = unmet(&sk);
    assert!(bad.is_empty(), "{test}: {bad:?}\n{}", k.logs());
    let d = differences(&sk, &sv, ["keepalived", "vrrpd"]);
    assert!(
        d.is_empty(),
        "{test}: - keepalived only, + vrrpd only\n{d}\n{}\n{}",
        show("vrrpd", &sv),
        v.logs()
    );
}
