//! Notify FIFOs, keepalived 2.2.7 against vrrpd (issue 16): the same keepalived.conf
//! (`dataplane/fifo.conf`: a sync group G of VI_1 and VI_2, a lone VI_3; `notify_fifo` and
//! `vrrp_notify_fifo`; `fifo_write_vrrp_states_on_reload`) runs on a pair of nodes under
//! each daemon (`tests/dataplane/mod.rs`), and the test reads both FIFOs of both nodes
//! after each step: start, the master stops, the master is back, a link fault on the
//! master, the link back, a reload of both nodes, both stop.
//!
//! What is compared, phase by phase and node by node: each subject's lines (`INSTANCE
//! "VI_1" ...`, `GROUP "G" ...`) in the order written, and where the group's lines come
//! among its members'. The order between instances is not compared: keepalived itself
//! writes them in an order that changes from run to run (its timers fire in either
//! order), which `keepalived_fifo_lines_equal_to_itself` shows. Both FIFOs must carry
//! the same lines.
//!
//! Needs root and keepalived (else SKIP). One test at a time.

#[allow(dead_code)] // each test file uses part of the harness
mod dataplane;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use dataplane::{can_run, runs, template, Daemon, Node, Run, LIMIT, MASTER_BACKUP};

static SERIAL: Mutex<()> = Mutex::new(());

const ONE: Node = Node::One;
const TWO: Node = Node::Two;

/// The two FIFOs of each node, as `fifo.conf` names them (`NAME-N.fifo`).
const FIFOS: [&str; 2] = ["global", "vrrp"];

const INSTANCES: [&str; 3] = ["VI_1", "VI_2", "VI_3"];

fn node_no(n: Node) -> usize {
    match n {
        Node::One => 1,
        Node::Two => 2,
    }
}

/// The test's end of the FIFOs: created before the daemons start (so that keepalived
/// uses them and never removes them) and held open read-only, non-blocking, for the whole
/// run, so that nothing written is lost while a daemon restarts or reloads.
struct Readers {
    dir: PathBuf,
    files: Vec<(Node, &'static str, File)>,
    phase: usize,
}

impl Readers {
    fn open(run: &Run) -> Readers {
        let dir = run.lan.dir.path().to_owned();
        let script = dir.join("fifo-script.sh");
        std::fs::write(&script, SCRIPT).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let mut files = Vec::new();
        for n in Node::BOTH {
            for f in FIFOS {
                let p = dir.join(format!("{f}-{}.fifo", node_no(n)));
                nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o644))
                    .unwrap_or_else(|e| panic!("mkfifo {}: {e}", p.display()));
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&p)
                    .unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
                files.push((n, f, file));
            }
        }
        Readers {
            dir,
            files,
            phase: 0,
        }
    }

    /// Snapshot `name` (the harness waits for the nodes to settle), then what each FIFO
    /// carried since the last phase, saved in the run's directory
    /// (`lines-PHASE-NODE-FIFO`, read back by [`lines`]).
    fn phase(&mut self, run: &mut Run, name: &str) {
        run.snapshot(name);
        for (n, f, file) in &mut self.files {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) => got.extend_from_slice(&buf[..k]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("reading the {f} FIFO: {e}"),
                }
            }
            let p = self
                .dir
                .join(format!("lines-{}-{}-{f}", self.phase, node_no(*n)));
            std::fs::write(p, got).unwrap();
        }
        self.phase += 1;
    }
}

/// The `[vrrp_]notify_fifo_script` of `fifo.conf` (`fifo-script.sh N`): appends its
/// arguments to `fifo-script.sh.N.args`.
const SCRIPT: &str = "#!/bin/sh\necho \"$*\" >> \"$0.$1.args\"\n";

/// The arguments each FIFO script of node `n` was started with, one run a line, with the
/// run's directory written `@DIR@`.
fn script_runs(run: &Run, n: Node) -> Vec<String> {
    let dir = run.lan.dir.path();
    let p = dir.join(format!("fifo-script.sh.{}.args", node_no(n)));
    let mut v: Vec<String> = std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| l.replace(&dir.display().to_string(), "@DIR@"))
        .collect();
    v.sort();
    v
}

/// What FIFO `fifo` of node `n` carried during phase `p` of `run`.
fn lines(run: &Run, p: usize, n: Node, fifo: &str) -> Vec<String> {
    let path = run
        .lan
        .dir
        .path()
        .join(format!("lines-{p}-{}-{fifo}", node_no(n)));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Wait (bounded) until node `n`'s current log has `needle` at least `times` times.
fn wait_log(run: &Run, n: Node, needle: &str, times: usize) {
    let start = Instant::now();
    while run.log(n).matches(needle).count() < times {
        if start.elapsed() > LIMIT {
            eprintln!(
                "{}: {}: '{needle}' x{times} not within {LIMIT:?}",
                run.daemon.name(),
                n.name()
            );
            return;
        }
        sleep(Duration::from_millis(100));
    }
}

/// Start, master stops, master back, link fault on the master's eth1 (VI_2 FAULT, G and
/// so VI_1 with it, VI_3 unaffected), link back, reload of both, both stop.
fn sequence(run: &mut Run) {
    let mut r = Readers::open(run);
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.start(TWO);
    run.wait_state(TWO, "BACKUP", 1);
    r.phase(run, "start (node1 master, node2 backup)");

    run.stop(ONE);
    run.wait_state(TWO, "MASTER", 1);
    r.phase(run, "the master stops (node2 master)");

    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.wait_state(TWO, "BACKUP", 2);
    r.phase(run, "the master is back");

    run.lan.a.set_link("eth1", false).unwrap();
    wait_log(run, ONE, "(VI_1) Entering FAULT STATE", 1);
    wait_log(run, TWO, "(VI_1) Entering MASTER STATE", 2);
    r.phase(run, "link fault on node1 eth1 (G faulted on node1)");

    run.lan.a.set_link("eth1", true).unwrap();
    wait_log(run, ONE, "(VI_1) Entering MASTER STATE", 2);
    wait_log(run, TWO, "(VI_1) Entering BACKUP STATE", 3);
    r.phase(run, "link back (node1 master again)");

    run.reload(ONE);
    run.reload(TWO);
    r.phase(run, "reload of both nodes");

    run.stop(TWO);
    run.stop(ONE);
    r.phase(run, "both stop");
}

/// Each subject's lines in order (the key: `INSTANCE "VI_1"`, `GROUP "G"`).
fn by_subject(lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in lines {
        let mut w = l.splitn(3, ' ');
        let key = format!("{} {}", w.next().unwrap_or(""), w.next().unwrap_or(""));
        let rest = w.next().unwrap_or("").to_owned();
        // One MASTER_RX_LOWER_PRI per advert heard: how many, and whether the last come
        // before or after a snapshot, depends on timing ([`first_rx_lower`] compares them).
        if !rest.starts_with("MASTER_RX_LOWER_PRI ") {
            m.entry(key).or_default().push(rest);
        }
    }
    m
}

/// The lines of sync group G and its members (VI_1, VI_2), a member's written `M`: where
/// the group's lines come among its members' (which member comes first varies).
/// MASTER_RX_LOWER_PRI lines are left out: how many come in a phase depends on timing
/// ([`first_rx_lower`] compares them).
fn group_order(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            if w.get(2) == Some(&"MASTER_RX_LOWER_PRI") {
                return None;
            }
            match w.get(1).copied()? {
                "\"G\"" => Some(format!("G {}", w.get(2)?)),
                "\"VI_1\"" | "\"VI_2\"" => Some(format!("M {}", w.get(2)?)),
                _ => None,
            }
        })
        .collect()
}

/// Each distinct MASTER_RX_LOWER_PRI line node `n` got, with the first phase it came in.
fn first_rx_lower(run: &Run, n: Node) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in 0..run.phases.len() {
        for l in lines(run, p, n, "vrrp") {
            if l.contains(" MASTER_RX_LOWER_PRI ") {
                m.entry(l).or_insert(p + 1);
            }
        }
    }
    m
}

/// The differences between two runs' FIFO lines (`-` first, `+` second), and, within
/// each run, between its two FIFOs; empty if none.
fn differences(a: &Run, b: &Run) -> String {
    let mut out = String::new();
    for run in [a, b] {
        for p in 0..run.phases.len() {
            for n in Node::BOTH {
                let (g, v) = (lines(run, p, n, "global"), lines(run, p, n, "vrrp"));
                if g != v {
                    let _ = writeln!(
                        out,
                        "{} phase {} {}: notify_fifo {g:?} but vrrp_notify_fifo {v:?}",
                        run.daemon.name(),
                        p + 1,
                        n.name()
                    );
                }
            }
        }
    }
    for (p, phase) in a.phases.iter().enumerate() {
        for n in Node::BOTH {
            let (x, y) = (lines(a, p, n, "vrrp"), lines(b, p, n, "vrrp"));
            if by_subject(&x) != by_subject(&y) || group_order(&x) != group_order(&y) {
                let _ = writeln!(
                    out,
                    "== phase {} '{}', {}:\n- {}: {x:#?}\n+ {}: {y:#?}",
                    p + 1,
                    phase.name,
                    n.name(),
                    a.daemon.name(),
                    b.daemon.name()
                );
            }
        }
    }
    for n in Node::BOTH {
        let (x, y) = (first_rx_lower(a, n), first_rx_lower(b, n));
        if x != y {
            let _ = writeln!(
                out,
                "== MASTER_RX_LOWER_PRI lines of {} (line: first phase):\n- {}: {x:#?}\n+ {}: {y:#?}",
                n.name(),
                a.daemon.name(),
                b.daemon.name()
            );
        }
        let (x, y) = (script_runs(a, n), script_runs(b, n));
        if x != y {
            let _ = writeln!(
                out,
                "== FIFO scripts of {}:\n- {}: {x:#?}\n+ {}: {y:#?}",
                n.name(),
                a.daemon.name(),
                b.daemon.name()
            );
        }
    }
    if a.phases.len() != b.phases.len() {
        let _ = writeln!(out, "phases: {} vs {}", a.phases.len(), b.phases.len());
    }
    out
}

fn print_lines(run: &Run) {
    let mut out = String::new();
    for (p, phase) in run.phases.iter().enumerate() {
        for n in Node::BOTH {
            let _ = writeln!(
                out,
                "----- {} phase {} '{}' {} -----\n{}",
                run.daemon.name(),
                p + 1,
                phase.name,
                n.name(),
                lines(run, p, n, "vrrp").join("\n")
            );
        }
    }
    for n in Node::BOTH {
        let _ = writeln!(
            out,
            "----- {} {} FIFO script runs: {:?}",
            run.daemon.name(),
            n.name(),
            script_runs(run, n)
        );
    }
    eprint!("{out}");
}

/// What keepalived must show, so that the harness is known to see the FIFOs at all:
/// (phase, node, line).
const EXPECT: &[(usize, Node, &str)] = &[
    (0, ONE, "GROUP \"G\" MASTER 0"),
    (0, ONE, "INSTANCE \"VI_1\" MASTER 150"),
    (0, TWO, "INSTANCE \"VI_3\" BACKUP 100"),
    (1, ONE, "INSTANCE \"VI_3\" STOP 150"),
    (1, TWO, "GROUP \"G\" MASTER 0"),
    (3, ONE, "INSTANCE \"VI_2\" FAULT 150"),
    (3, ONE, "GROUP \"G\" FAULT 0"),
    (5, TWO, "GROUP \"G\" BACKUP 0"),
    (6, ONE, "GROUP \"G\" STOP 0"),
];

fn unmet(run: &Run) -> Vec<String> {
    let mut bad: Vec<String> = EXPECT
        .iter()
        .filter(|(p, n, l)| !lines(run, *p, *n, "vrrp").iter().any(|x| x == l))
        .map(|(p, n, l)| format!("phase {} {}: no line {l:?}", p + 1, n.name()))
        .collect();
    // Each FIFO's script ran with the FIFO's name last, at each start and reload.
    let runs = script_runs(run, ONE);
    for f in FIFOS {
        let want = format!("1 @DIR@/{f}-1.fifo");
        if !runs.contains(&want) {
            bad.push(format!("node1: no FIFO script run with {want:?}: {runs:?}"));
        }
    }
    bad
}

/// keepalived against keepalived: what the comparison looks at is the same run to run,
/// and the harness sees what the configuration asks for.
#[test]
fn keepalived_fifo_lines_equal_to_itself() {
    let test = "keepalived_fifo_lines_equal_to_itself";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let k = [Daemon::Keepalived, Daemon::Keepalived];
    let (a, b) = runs(
        "ffk",
        &template("fifo.conf"),
        MASTER_BACKUP,
        &INSTANCES,
        sequence,
        k,
    );
    print_lines(&a);
    for run in [&a, &b] {
        let bad = unmet(run);
        assert!(bad.is_empty(), "{test}: {bad:?}\n{}", run.logs());
    }
    let report = differences(&a, &b);
    assert!(report.is_empty(), "{test}:\n{report}\n{}", b.logs());
}

/// keepalived against vrrpd: the same lines, subject by subject, at every phase.
#[test]
fn fifo_lines_same_as_keepalived() {
    let test = "fifo_lines_same_as_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    let (k, v) = runs(
        "ffv",
        &template("fifo.conf"),
        MASTER_BACKUP,
        &INSTANCES,
        sequence,
        d,
    );
    print_lines(&v);
    let bad = unmet(&k);
    assert!(bad.is_empty(), "{test}: keepalived: {bad:?}\n{}", k.logs());
    let report = differences(&k, &v);
    assert!(report.is_empty(), "{test}:\n{report}\n{}", v.logs());
}

/// Instances of the stall test: enough lines at start and on a link flap to fill a 4 KiB
/// pipe and vrrpd's own bounded queue behind it.
const STALL_INSTANCES: u8 = 200;

/// The stall test's configuration: `STALL_INSTANCES` instances on eth0, `vrrp_notify_fifo`.
fn stall_conf() -> String {
    let mut c = String::from(
        "global_defs {\n  router_id node@N@\n  vrrp_notify_fifo @DIR@/vrrp-@N@.fifo\n}\n",
    );
    for i in 1..=STALL_INSTANCES {
        let _ = write!(
            c,
            "vrrp_instance VI_{i} {{\n  state @STATE@\n  interface eth0\n  \
             virtual_router_id {i}\n  priority @PRIORITY@\n  advert_int 1\n  \
             virtual_ipaddress {{\n    192.0.2.{}/32\n  }}\n}}\n",
            u16::from(i) + 20
        );
    }
    c
}

/// Adverts sent by each instance, from a status document.
fn adverts_sent(s: &serde_json::Value) -> Vec<u64> {
    s["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["counters"]["adverts_sent"].as_u64().unwrap())
        .collect()
}

/// A reader that opens the FIFO and never reads (its pipe shrunk to 4 KiB): vrrpd's
/// masters keep advertising, every one of them, while lines are dropped and counted; once
/// the reader reads, what it gets is whole lines, as many as vrrpd counts written.
#[test]
fn a_stalled_reader_never_stops_the_adverts() {
    let test = "a_stalled_reader_never_stops_the_adverts";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut run = Run::new(Daemon::Vrrpd, "ffs", &stall_conf(), MASTER_BACKUP, &[]);
    let path = run.lan.dir.path().join("vrrp-1.fifo");
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path)
        .unwrap();
    let size = nix::fcntl::fcntl(&reader, nix::fcntl::FcntlArg::F_SETPIPE_SZ(4096)).unwrap();
    assert_eq!(size, 4096);
    let n = usize::from(STALL_INSTANCES);

    run.start(ONE);
    wait_log(&run, ONE, "Entering MASTER STATE", n);
    // A flap: FAULT, BACKUP, then MASTER again for every instance.
    run.lan.a.set_link("eth0", false).unwrap();
    wait_log(&run, ONE, "Entering FAULT STATE", n);
    run.lan.a.set_link("eth0", true).unwrap();
    wait_log(&run, ONE, "Entering MASTER STATE", 2 * n);
    let before = run.vrrpd_status(ONE);
    let t0 = Instant::now();
    sleep(Duration::from_secs(3));
    let after = run.vrrpd_status(ONE);
    let elapsed = t0.elapsed();
    let (a, b) = (adverts_sent(&before), adverts_sent(&after));
    let dropped = after["fifo_lines_dropped"].as_u64().unwrap();
    let written = after["fifo_lines_written"].as_u64().unwrap();
    let total: u64 = b.iter().zip(&a).map(|(b, a)| b - a).sum();
    eprintln!(
        "{test}: {n} masters sent {total} adverts in {elapsed:?} with the FIFO stalled; \
         {written} lines written, {dropped} dropped"
    );
    assert_eq!(a.len(), n, "{}", run.logs());
    let silent: Vec<usize> = (0..n).filter(|&i| b[i] <= a[i]).collect();
    assert!(
        silent.is_empty(),
        "instances that stopped advertising: {silent:?}"
    );
    assert!(dropped > 0, "no line dropped: {}", run.log(ONE));
    assert!(
        run.log(ONE)
            .contains("line dropped (the reader is not keeping up)"),
        "the drop is logged"
    );

    // The reader reads now: it gets whole lines, as many as were written (the queue
    // behind the pipe drains into it).
    let mut got = Vec::new();
    let start = Instant::now();
    let mut buf = vec![0u8; 65536];
    let mut written = 0;
    while start.elapsed() < LIMIT {
        match reader.read(&mut buf) {
            Ok(k) if k > 0 => got.extend_from_slice(&buf[..k]),
            _ => sleep(Duration::from_millis(200)),
        }
        written = run.vrrpd_status(ONE)["fifo_lines_written"]
            .as_u64()
            .unwrap();
        if got.iter().filter(|&&c| c == b'\n').count() as u64 >= written {
            break;
        }
    }
    let text = String::from_utf8(got).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    eprintln!("{test}: the reader got {} lines", lines.len());
    assert_eq!(lines.len() as u64, written);
    assert!(text.ends_with('\n'));
    for l in &lines {
        let w: Vec<&str> = l.split(' ').collect();
        assert!(
            w.len() == 4 && w[0] == "INSTANCE" && w[1].starts_with("\"VI_"),
            "not a whole line: {l:?}"
        );
    }
    run.stop_all();
}

/// Start; node1's script fails (VI_3 150 → 130, still master); it recovers (→ 150);
/// node2's fails (VI_3 100 → 80, backup); node2 stops hearing multicast (it becomes
/// master, node1 hears its lower-priority adverts) and hears again; both stop.
fn priority_sequence(run: &mut Run) {
    let mut r = Readers::open(run);
    let (d1, d2) = (run_file(run, "down-1"), run_file(run, "down-2"));
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.start(TWO);
    run.wait_state(TWO, "BACKUP", 1);
    r.phase(run, "start (node1 master, node2 backup)");

    std::fs::write(&d1, "").unwrap();
    wait_log(
        run,
        ONE,
        "(VI_3) Changing effective priority from 150 to 130",
        1,
    );
    r.phase(run, "node1's script fails");

    std::fs::remove_file(&d1).unwrap();
    wait_log(
        run,
        ONE,
        "(VI_3) Changing effective priority from 130 to 150",
        1,
    );
    r.phase(run, "node1's script recovers");

    std::fs::write(&d2, "").unwrap();
    wait_log(
        run,
        TWO,
        "(VI_3) Changing effective priority from 100 to 80",
        1,
    );
    r.phase(run, "node2's script fails");

    // node2 deaf to multicast (the switch no longer floods it to node2's port): node2
    // becomes master too, and node1, master, hears its lower-priority adverts.
    let flood = |run: &Run, on: &str| {
        run.lan
            .br
            .exec(&["bridge", "link", "set", "dev", "b0", "mcast_flood", on])
            .unwrap()
    };
    flood(run, "off");
    wait_log(run, TWO, "(VI_3) Entering MASTER STATE", 1);
    wait_log(run, ONE, "(VI_3) Received advert from", 3);
    r.phase(run, "node2 deaf: two masters");

    flood(run, "on");
    wait_log(run, TWO, "(VI_3) Entering BACKUP STATE", 2);
    r.phase(run, "node2 hears again");

    run.stop(TWO);
    run.stop(ONE);
    r.phase(run, "both stop");
}

fn run_file(run: &Run, name: &str) -> PathBuf {
    run.lan.dir.path().join(name)
}

/// `notify_priority_changes`: keepalived's MASTER_PRIORITY / BACKUP_PRIORITY lines, for
/// the instance that asks for them only, and MASTER_RX_LOWER_PRI lines, the same under
/// vrrpd (MASTER_RX_LOWER_PRI lines are compared by the phase each distinct line first
/// comes in: one is written per advert heard).
#[test]
fn priority_change_lines_same_as_keepalived() {
    let test = "priority_change_lines_same_as_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    let (k, v) = runs(
        "ffp",
        &template("fifo_prio.conf"),
        MASTER_BACKUP,
        &["VI_1", "VI_3"],
        priority_sequence,
        d,
    );
    print_lines(&k);
    print_lines(&v);
    let expect: &[(usize, Node, &str)] = &[
        (1, ONE, "INSTANCE \"VI_3\" MASTER_PRIORITY 130"),
        (2, ONE, "INSTANCE \"VI_3\" MASTER_PRIORITY 150"),
        (3, TWO, "INSTANCE \"VI_3\" BACKUP_PRIORITY 80"),
        (4, ONE, "INSTANCE \"VI_3\" MASTER_RX_LOWER_PRI 150"),
        (4, TWO, "INSTANCE \"VI_3\" MASTER 80"),
        (5, TWO, "INSTANCE \"VI_3\" BACKUP 80"),
    ];
    let bad: Vec<String> = expect
        .iter()
        .filter(|(p, n, l)| !lines(&k, *p, *n, "vrrp").iter().any(|x| x == l))
        .map(|(p, n, l)| format!("phase {} {}: no line {l:?}", p + 1, n.name()))
        .collect();
    assert!(bad.is_empty(), "{test}: keepalived: {bad:?}\n{}", k.logs());
    let report = differences(&k, &v);
    assert!(report.is_empty(), "{test}:\n{report}\n{}", v.logs());
}

/// What is at each FIFO path of node1 (`created-*.conf` FIFOs, which the daemon creates):
/// one line per FIFO, `NAME: fifo MODE` or `NAME: absent`.
fn fifo_files(run: &Run) -> String {
    let mut out = String::new();
    for f in FIFOS {
        let p = run.lan.dir.path().join(format!("made-{f}-1.fifo"));
        let what = match std::fs::symlink_metadata(&p) {
            Ok(m) => {
                use std::os::unix::fs::{FileTypeExt, MetadataExt};
                let kind = if m.file_type().is_fifo() {
                    "fifo"
                } else {
                    "other"
                };
                format!("{kind} {:o} uid {}", m.mode() & 0o7777, m.uid())
            }
            Err(_) => "absent".into(),
        };
        let _ = writeln!(out, "{f}: {what}");
    }
    out
}

/// node1 alone, FIFOs the daemon creates: what is on disk after start, after a reload and
/// after stop, saved as `files-PHASE`.
fn created_sequence(run: &mut Run) {
    let save = |run: &Run, p: usize| {
        std::fs::write(
            run.lan.dir.path().join(format!("files-{p}")),
            fifo_files(run),
        )
        .unwrap()
    };
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    run.snapshot("started");
    save(run, 0);
    run.reload(ONE);
    run.snapshot("reloaded");
    save(run, 1);
    run.stop(ONE);
    run.snapshot("stopped");
    save(run, 2);
}

fn files(run: &Run) -> Vec<String> {
    (0..3)
        .map(|p| {
            std::fs::read_to_string(run.lan.dir.path().join(format!("files-{p}")))
                .unwrap_or_default()
        })
        .collect()
}

/// A FIFO the daemon creates: its type, mode and owner, and whether it is still there
/// after a reload and after stop, the same as keepalived's; with both FIFOs configured
/// and with `notify_fifo` alone. One deliberate difference (README, Notify FIFOs):
/// keepalived 2.2.7 closes its FIFOs at exit only when `vrrp_notify_fifo` is open
/// (`vrrp_daemon.c`), so a `notify_fifo` alone that it created stays after it stops;
/// vrrpd removes it.
#[test]
fn created_fifos_same_as_keepalived() {
    let test = "created_fifos_same_as_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let instance = "vrrp_instance VI_1 {\n  state @STATE@\n  interface eth0\n  \
                    virtual_router_id 51\n  priority @PRIORITY@\n  advert_int 1\n  \
                    virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n";
    let both = format!(
        "global_defs {{\n  notify_fifo @DIR@/made-global-@N@.fifo\n  \
         vrrp_notify_fifo @DIR@/made-vrrp-@N@.fifo\n}}\n{instance}"
    );
    let global_only =
        format!("global_defs {{\n  notify_fifo @DIR@/made-global-@N@.fifo\n}}\n{instance}");
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    let mut report = String::new();
    for (what, conf) in [("both FIFOs", &both), ("notify_fifo alone", &global_only)] {
        let (k, v) = runs("ffc", conf, MASTER_BACKUP, &["VI_1"], created_sequence, d);
        let (kf, mut vf) = (files(&k), files(&v));
        if what == "notify_fifo alone" {
            let left = "global: fifo 600 uid 0\nvrrp: absent\n";
            assert_eq!(kf[2], left, "{test}: keepalived's leftover FIFO is gone");
            assert_eq!(
                vf[2], "global: absent\nvrrp: absent\n",
                "{test}: vrrpd left it"
            );
            vf[2] = left.into();
        }
        eprintln!("{test}: {what}: keepalived {kf:?}, vrrpd {vf:?}");
        assert!(
            kf[0].contains("global: fifo 600"),
            "{test}: {what}: keepalived did not create the FIFO: {kf:?}\n{}",
            k.logs()
        );
        if kf != vf {
            let _ = writeln!(report, "{what}:\n- keepalived {kf:#?}\n+ vrrpd {vf:#?}");
        }
    }
    assert!(report.is_empty(), "{test}:\n{report}");
}

/// Two instances and both FIFOs; `removed_sequence` drops VI_2 at a reload.
const TWO_INSTANCES: &str = "global_defs {\n  notify_fifo @DIR@/global-@N@.fifo\n  \
     vrrp_notify_fifo @DIR@/vrrp-@N@.fifo\n}\n\
     vrrp_instance VI_1 {\n  state @STATE@\n  interface eth0\n  virtual_router_id 51\n  \
     priority @PRIORITY@\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n\
     vrrp_instance VI_2 {\n  state @STATE@\n  interface eth0\n  virtual_router_id 52\n  \
     priority @PRIORITY@\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.102/24\n  }\n}\n";

/// node1 alone: start; a reload of a configuration without VI_2; stop.
fn removed_sequence(run: &mut Run) {
    let mut r = Readers::open(run);
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    r.phase(run, "start (node1 master)");
    let conf = run.lan.dir.path().join("node1.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let cut = text.find("vrrp_instance VI_2").unwrap();
    std::fs::write(&conf, &text[..cut]).unwrap();
    run.reload(ONE);
    r.phase(run, "reload without VI_2");
    run.stop(ONE);
    r.phase(run, "stop");
}

/// An instance removed by a reload: keepalived 2.2.7 writes it FAULT, with its effective
/// priority (its compatibility form of DELETED); so does vrrpd.
#[test]
fn removed_instance_line_same_as_keepalived() {
    let test = "removed_instance_line_same_as_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    let (k, v) = runs(
        "ffr",
        TWO_INSTANCES,
        MASTER_BACKUP,
        &["VI_1"],
        removed_sequence,
        d,
    );
    print_lines(&k);
    print_lines(&v);
    let want = "INSTANCE \"VI_2\" FAULT 150".to_string();
    assert!(
        lines(&k, 1, ONE, "vrrp").contains(&want),
        "{test}: keepalived: no {want:?}\n{}",
        k.logs()
    );
    let report = differences(&k, &v);
    assert!(report.is_empty(), "{test}:\n{report}\n{}", v.logs());
}

/// Three instances with notify scripts recorded by `rec.sh` (`rec.sh.log`): VI_2 says
/// `notify_deleted` (with a script), VI_3 does not (its `notify_fault` and `notify_stop`
/// are there to see which runs); `removed_hooks_sequence` drops both at a reload.
const REMOVED_HOOKS: &str = "global_defs {\n  vrrp_notify_fifo @DIR@/vrrp-@N@.fifo\n  \
     notify_fifo @DIR@/global-@N@.fifo\n}\n\
     vrrp_instance VI_1 {\n  state @STATE@\n  interface eth0\n  virtual_router_id 51\n  \
     priority @PRIORITY@\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n\
     vrrp_instance VI_2 {\n  state @STATE@\n  interface eth0\n  virtual_router_id 52\n  \
     priority @PRIORITY@\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.102/24\n  }\n  \
     notify_deleted \"@DIR@/rec.sh deleted-@N@\"\n  notify \"@DIR@/rec.sh generic-@N@\"\n}\n\
     vrrp_instance VI_3 {\n  state @STATE@\n  interface eth0\n  virtual_router_id 53\n  \
     priority @PRIORITY@\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.103/24\n  }\n  \
     notify_fault \"@DIR@/rec.sh fault-@N@\"\n  notify_stop \"@DIR@/rec.sh stop-@N@\"\n  \
     notify \"@DIR@/rec.sh generic-@N@\"\n}\n";

/// The recorder of [`REMOVED_HOOKS`]: one line per run, its arguments.
const RECORDER: &str = "#!/bin/sh\necho \"$*\" >> \"$0.log\"\n";

/// What `rec.sh` recorded in `run`, sorted (keepalived runs scripts concurrently), once
/// the count has not changed for a second (scripts finish after the phase settles).
fn recorded(run: &Run) -> Vec<String> {
    let p = run.lan.dir.path().join("rec.sh.log");
    let read = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_to_string(&p)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let mut last = read();
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        sleep(Duration::from_secs(1));
        let now = read();
        if now == last || Instant::now() > end {
            return now;
        }
        last = now;
    }
}

/// node1 alone: start; a reload of a configuration without VI_2 and VI_3; stop. The
/// scripts' record is taken after the reload (`rec.sh.after-reload`).
fn removed_hooks_sequence(run: &mut Run) {
    let dir = run.lan.dir.path().to_owned();
    let rec = dir.join("rec.sh");
    std::fs::write(&rec, RECORDER).unwrap();
    std::fs::set_permissions(&rec, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut r = Readers::open(run);
    run.start(ONE);
    run.wait_state(ONE, "MASTER", 1);
    r.phase(run, "start (node1 master)");
    let conf = dir.join("node1.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let cut = text.find("vrrp_instance VI_2").unwrap();
    std::fs::write(&conf, &text[..cut]).unwrap();
    run.reload(ONE);
    r.phase(run, "reload without VI_2, VI_3");
    std::fs::write(dir.join("rec.sh.after-reload"), recorded(run).join("\n")).unwrap();
    run.stop(ONE);
    r.phase(run, "stop");
}

/// Instances removed by a reload, as keepalived 2.2.7's `clear_diff_vrrp` announces them:
/// with `notify_deleted`, DELETED (its script, the generic `notify ... DELETED`, the FIFO
/// line); without it, FAULT for the generic `notify` and the FIFO but `notify_fault` not
/// run (keepalived picks the state's script before it turns DELETED into FAULT), and no
/// STOP. Script runs and FIFO lines the same as keepalived's.
#[test]
fn removed_instances_hooks_same_as_keepalived() {
    let test = "removed_instances_hooks_same_as_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    let (k, v) = runs(
        "ffd",
        REMOVED_HOOKS,
        MASTER_BACKUP,
        &["VI_1", "VI_2", "VI_3"],
        removed_hooks_sequence,
        d,
    );
    print_lines(&k);
    print_lines(&v);
    let after = |run: &Run| -> Vec<String> {
        std::fs::read_to_string(run.lan.dir.path().join("rec.sh.after-reload"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (ka, va) = (after(&k), after(&v));
    eprintln!("{test}: keepalived ran {ka:#?}\nvrrpd ran {va:#?}");
    for want in [
        "deleted-1",
        "generic-1 INSTANCE VI_2 DELETED 150",
        "generic-1 INSTANCE VI_3 FAULT 150",
    ] {
        assert!(
            ka.iter().any(|l| l == want),
            "{test}: keepalived did not run {want:?}: {ka:?}\n{}",
            k.logs()
        );
    }
    assert!(
        !ka.iter()
            .any(|l| l.starts_with("stop-") || l.starts_with("fault-")),
        "{test}: keepalived ran notify_stop or notify_fault at the reload: {ka:?}"
    );
    for want in [
        "INSTANCE \"VI_2\" DELETED 150",
        "INSTANCE \"VI_3\" FAULT 150",
    ] {
        assert!(
            lines(&k, 1, ONE, "vrrp").iter().any(|l| l == want),
            "{test}: keepalived: no {want:?}\n{}",
            k.logs()
        );
    }
    assert_eq!(ka, va, "{test}: script runs differ\n{}", v.logs());
    let report = differences(&k, &v);
    assert!(report.is_empty(), "{test}:\n{report}\n{}", v.logs());
}
