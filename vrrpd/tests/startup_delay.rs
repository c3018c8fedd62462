//! `vrrp_startup_delay` (global_defs) against keepalived 2.2.7: the same configuration on
//! two nodes that do not hear each other (`dataplane/startup_delay.conf`), node1 with
//! `vrrp_startup_delay 3`, node2 without, under each daemon. The states each instance
//! enters from start until it is Master must be the same under both daemons; the time
//! from start to each state is printed (measured by polling the logs every 20 ms), not
//! asserted. Also how `vrrpd -t`-level reading takes the keyword (no root needed).
//! Needs root and keepalived for the run (else SKIP).

#[allow(dead_code)]
mod dataplane;

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use dataplane::{can_run, runs, template, Daemon, Node, Role, Run, LIMIT};

const ROLES: [Role; 2] = [
    Role {
        state: "MASTER",
        priority: 150,
        extra: "vrrp_startup_delay 3",
    },
    Role {
        state: "MASTER",
        priority: 150,
        extra: "",
    },
];

const INSTANCES: [&str; 2] = ["VI_1", "VI_2"];

/// `(VI_x) Entering STATE` lines of `log`, in order: (instance, state).
fn entered(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|l| {
            let rest = &l[l.find('(')? + 1..];
            let (inst, rest) = rest.split_once(") Entering ")?;
            let state = rest.split_whitespace().next()?;
            Some((inst.to_string(), state.to_string()))
        })
        .collect()
}

/// Start both nodes, watch their logs until every instance is Master on both (bounded):
/// each state entered, with the time since start, written to `timeline` in the run's
/// directory as `NODE INSTANCE STATE MILLISECONDS` lines.
fn sequence(run: &mut Run) {
    let start = Instant::now();
    run.start(Node::One);
    run.start(Node::Two);
    let mut seen: Vec<(Node, String, String, u128)> = Vec::new();
    loop {
        for n in Node::BOTH {
            let log = run.log(n);
            let e = entered(&log);
            let known = seen.iter().filter(|s| s.0 == n).count();
            for (inst, state) in e.into_iter().skip(known) {
                seen.push((n, inst, state, start.elapsed().as_millis()));
            }
        }
        let masters = seen.iter().filter(|s| s.2 == "MASTER").count();
        if masters >= 4 || start.elapsed() > LIMIT {
            break;
        }
        sleep(Duration::from_millis(20));
    }
    let text: String = seen
        .iter()
        .map(|(n, i, s, ms)| format!("{} {i} {s} {ms}\n", n.name()))
        .collect();
    run.lan.dir.write("timeline", &text).unwrap();
}

/// The timeline of a run: (node, instance, state, ms).
fn timeline(run: &Run) -> Vec<(String, String, String, u64)> {
    let text = std::fs::read_to_string(run.lan.dir.path().join("timeline")).unwrap();
    text.lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (
                w[0].to_string(),
                w[1].to_string(),
                w[2].to_string(),
                w[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Per node and instance, the states entered in order.
fn states(t: &[(String, String, String, u64)]) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for n in ["node1", "node2"] {
        for i in INSTANCES {
            let s = t
                .iter()
                .filter(|e| e.0 == n && e.1 == i)
                .map(|e| e.2.clone())
                .collect();
            out.push((n.to_string(), i.to_string(), s));
        }
    }
    out
}

#[test]
fn startup_delay_matches_keepalived() {
    let test = "startup_delay_matches_keepalived";
    if !can_run(test) {
        return;
    }
    let conf = template("startup_delay.conf");
    let (k, v) = runs(
        "sd",
        &conf,
        ROLES,
        &INSTANCES,
        sequence,
        [Daemon::Keepalived, Daemon::Vrrpd],
    );
    let (tk, tv) = (timeline(&k), timeline(&v));
    println!("start -> state, ms (node1: vrrp_startup_delay 3, node2: none; VI_2 is an owner)");
    for (name, t) in [("keepalived", &tk), ("vrrpd", &tv)] {
        for (n, i, s, ms) in t.iter() {
            println!("  {name:10} {n} {i} {s:7} {ms:6}");
        }
    }
    let (sk, sv) = (states(&tk), states(&tv));
    for (n, i, s) in &sk {
        assert_eq!(
            s.last().map(String::as_str),
            Some("MASTER"),
            "keepalived: {n} {i} never became master: {s:?}\n{}",
            k.logs()
        );
    }
    assert_eq!(sk, sv, "states entered differ\n{}", v.logs());
}

#[test]
fn startup_delay_is_read_as_keepalived_reads_it() {
    let parse = |v: &str| {
        vrrpd::config::parse(
            Path::new("sd.conf"),
            &format!("global_defs {{\n  vrrp_startup_delay {v}\n}}\n"),
        )
    };
    let b = parse("5.5").unwrap();
    assert_eq!(
        b.config.global.startup_delay,
        Some(Duration::from_millis(5500))
    );
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    let b = parse("90").unwrap();
    assert!(
        b.warnings[0]
            .to_string()
            .contains("sd.conf:2: warning: vrrp_startup_delay is very large: 90 seconds"),
        "{:?}",
        b.warnings
    );
    for bad in ["0", "-1", "x", "5000"] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.starts_with("sd.conf:2: "), "{bad}: {e}");
    }
    assert_eq!(
        vrrpd::config::parse(Path::new("x.conf"), "global_defs {\n}\n")
            .unwrap()
            .config
            .global
            .startup_delay,
        None
    );
}
