//! Helpers for `dataplane_keepalived.rs`: the same keepalived.conf run once under
//! keepalived 2.2.7 and once under vrrpd on a pair of nodes, and what each leaves on the
//! nodes' data plane ([`vrrp_lab::DataPlane`]) at each step of a sequence, compared.
//!
//! ```text
//!  node1 (PREFIX-a)            switch (PREFIX-lan)            node2 (PREFIX-b)
//!  eth0 192.0.2.1/24 ------ a0 [br0] b0 ------ eth0 192.0.2.2/24
//!       2001:db8::1/64                               2001:db8::2/64
//!  eth1 198.51.100.1/25 --- a1 [br1] b1 ------ eth1 198.51.100.2/25
//!       2001:db8:1::1/64                             2001:db8:1::2/64
//! ```
//!
//! Both nodes have the same interface names, so one configuration template serves both:
//! `@STATE@`, `@PRIORITY@`, `@N@` (the node, 1 or 2) and `@EXTRA@` (more instance lines)
//! are filled in per node, and `@DIR@` with the run's own directory (for files a
//! configuration names, such as `track_file`s). A [`Run`] starts, stops and crashes the daemons, waits for the
//! state changes their logs announce (bounded), and takes a [`Phase`] snapshot of both
//! nodes once their data plane has settled. Where a wait times out the run goes on and
//! the phase carries a note, so that a run under a daemon that lacks a feature still
//! reports every difference, not only the first.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use vrrp_lab::{unique_name, DataPlane, Lan, Netns, Skip, Wiring};

/// Bound on one wait for a VRRP event (advert_int 1: Master_Down_Interval < 4 s), generous
/// for a loaded machine: a bound on waiting, not a speed assertion.
pub const LIMIT: Duration = Duration::from_secs(40);

/// Bound on a daemon's exit after SIGTERM (vrrpd waits up to 10 s for notify_stop).
pub const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// A data plane is settled when two snapshots this far apart are equal.
const SETTLE: Duration = Duration::from_millis(1000);

/// Bound on settling.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// No snapshot sooner than this after a daemon starts, stops or dies: more than a backup's
/// Master_Down_Interval (advert_int 1, priority 100: 3.6 s), so that a backup which does
/// not hear the master has become master by then and shows in the snapshot.
const QUIET: Duration = Duration::from_millis(4500);

/// LAN 0 (`eth0`) is [`Lan`]'s; its bridge ports are `a0` and `b0`.
pub const WIRING: Wiring = Wiring {
    a_if: "eth0",
    b_if: "eth0",
    a_port: "a0",
    b_port: "b0",
};

/// LAN 1 (`eth1`): bridge, ports, and each node's addresses.
const LAN1_BRIDGE: &str = "br1";
const LAN1: [(&str, [&str; 2]); 2] = [
    ("a1", ["198.51.100.1/25", "2001:db8:1::1/64"]),
    ("b1", ["198.51.100.2/25", "2001:db8:1::2/64"]),
];

/// Which daemon runs the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// keepalived 2.2.7 (`keepalived` on `PATH`), the reference.
    Keepalived,
    /// This package's `vrrpd`.
    Vrrpd,
}

impl Daemon {
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Keepalived => "keepalived",
            Daemon::Vrrpd => "vrrpd",
        }
    }
}

/// One of the two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// `PREFIX-a`, `@N@` = 1.
    One,
    /// `PREFIX-b`, `@N@` = 2.
    Two,
}

impl Node {
    pub const BOTH: [Node; 2] = [Node::One, Node::Two];

    fn i(self) -> usize {
        match self {
            Node::One => 0,
            Node::Two => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Node::One => "node1",
            Node::Two => "node2",
        }
    }
}

/// How a node is configured: the template's `@STATE@`, `@PRIORITY@` and `@EXTRA@`.
#[derive(Debug, Clone, Copy)]
pub struct Role {
    pub state: &'static str,
    pub priority: u8,
    pub extra: &'static str,
}

/// A configuration template of `tests/dataplane/`.
pub fn template(file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/dataplane")
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `template` with the node's values filled in.
pub fn render(template: &str, node: Node, role: Role) -> String {
    template
        .replace("@STATE@", role.state)
        .replace("@PRIORITY@", &role.priority.to_string())
        .replace("@N@", &(node.i() + 1).to_string())
        .replace("@EXTRA@", role.extra)
}

/// Whether these tests can run here (root, keepalived, ip); prints the SKIP line if not.
pub fn can_run(test: &str) -> bool {
    Skip::check(test)
        .root("network namespaces, VRRP raw sockets")
        .program("keepalived")
        .program("ip")
        .ok()
}

/// Two nodes with two interfaces each on two bridged LANs (see the module's picture).
pub fn two_lans(stem: &str) -> Lan {
    let lan = Lan::build(&unique_name(stem), WIRING).unwrap_or_else(|e| panic!("lan: {e}"));
    lan.dir.share().unwrap();
    let br = &lan.br;
    br.bridge(LAN1_BRIDGE).unwrap();
    for (ns, (port, addrs)) in [&lan.a, &lan.b].into_iter().zip(LAN1) {
        br.veth(port, ns, "eth1").unwrap();
        br.set_master(port, LAN1_BRIDGE).unwrap();
        br.set_link(port, true).unwrap();
        for a in addrs {
            ns.add_addr("eth1", a).unwrap();
        }
        ns.set_link("eth1", true).unwrap();
    }
    br.set_link(LAN1_BRIDGE, true).unwrap();
    for ns in [&lan.a, &lan.b] {
        ns.wait_up("eth1").unwrap();
    }
    lan.wait_links_up().unwrap();
    lan
}

/// Both nodes' data plane at one step of the sequence, and what went wrong on the way.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub nodes: [DataPlane; 2],
    /// Waits that timed out, daemons that exited early or not cleanly.
    pub notes: Vec<String>,
}

impl Phase {
    pub fn node(&self, n: Node) -> &DataPlane {
        &self.nodes[n.i()]
    }
}

/// One daemon's run of a sequence on its own pair of nodes.
pub struct Run {
    pub daemon: Daemon,
    pub lan: Lan,
    confs: [PathBuf; 2],
    /// Instance names whose state changes are waited for.
    instances: Vec<String>,
    /// `(child index in lan.children, run number)` of each node's current daemon.
    procs: [Option<(usize, u32)>; 2],
    runs: [u32; 2],
    pub phases: Vec<Phase>,
    notes: Vec<String>,
    /// When a daemon last started, stopped or died.
    last_event: Instant,
}

impl Run {
    /// A fresh pair of nodes for `daemon`, each with `template` rendered for its role.
    pub fn new(
        daemon: Daemon,
        stem: &str,
        template: &str,
        roles: [Role; 2],
        instances: &[&str],
    ) -> Run {
        let lan = two_lans(&format!("vrrp{stem}{}", &daemon.name()[..1]));
        // `@DIR@`: the run's own directory (for files such as notify FIFOs).
        let dir = lan.dir.path().display().to_string();
        let confs = Node::BOTH.map(|n| {
            lan.dir
                .write(
                    &format!("{}.conf", n.name()),
                    &render(template, n, roles[n.i()]).replace("@DIR@", &dir),
                )
                .unwrap()
        });
        Run {
            daemon,
            lan,
            confs,
            instances: instances.iter().map(|s| s.to_string()).collect(),
            procs: [None, None],
            runs: [0, 0],
            phases: Vec::new(),
            notes: Vec::new(),
            last_event: Instant::now(),
        }
    }

    fn ns(&self, n: Node) -> &Netns {
        match n {
            Node::One => &self.lan.a,
            Node::Two => &self.lan.b,
        }
    }

    fn file(&self, n: Node, run: u32, what: &str) -> PathBuf {
        self.lan
            .dir
            .join(format!("{}-{}-{run}.{what}", self.daemon.name(), n.name()))
    }

    fn log_name(&self, n: Node) -> String {
        format!(
            "{}-{}-{}.log",
            self.daemon.name(),
            n.name(),
            self.runs[n.i()]
        )
    }

    /// The current (last started) log of node `n`.
    pub fn log(&self, n: Node) -> String {
        self.lan.log(&self.log_name(n))
    }

    fn note(&mut self, what: String) {
        let _ = writeln!(std::io::stderr(), "{}: {what}", self.daemon.name());
        self.notes.push(what);
    }

    /// `vrrpd status --json` of node `n`'s current vrrpd (a vrrpd run only).
    pub fn vrrpd_status(&self, n: Node) -> serde_json::Value {
        assert!(
            matches!(self.daemon, Daemon::Vrrpd),
            "status of a keepalived run"
        );
        let sock = self.file(n, self.runs[n.i()], "sock");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd"))
            .args(["status", "--json", "--control"])
            .arg(&sock)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "vrrpd status: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Start the daemon on node `n` with its configuration (a new log file).
    pub fn start(&mut self, n: Node) {
        self.runs[n.i()] += 1;
        let run = self.runs[n.i()];
        let conf = self.confs[n.i()].display().to_string();
        let path = |w: &str| self.file(n, run, w).display().to_string();
        let (program, args): (PathBuf, Vec<String>) = match self.daemon {
            Daemon::Keepalived => (
                "keepalived".into(),
                vec![
                    "-n".into(),
                    "-l".into(),
                    "-D".into(),
                    "-P".into(),
                    "-f".into(),
                    conf,
                    "-p".into(),
                    path("pid"),
                    "-r".into(),
                    path("vrrp.pid"),
                    "-c".into(),
                    path("check.pid"),
                ],
            ),
            Daemon::Vrrpd => (
                env!("CARGO_BIN_EXE_vrrpd").into(),
                vec![
                    "-n".into(),
                    "-l".into(),
                    "-f".into(),
                    conf,
                    "--control".into(),
                    path("sock"),
                    "-p".into(),
                    path("pid"),
                ],
            ),
        };
        let ns = self.ns(n).name().to_owned();
        let log = self.log_name(n);
        let i = self
            .lan
            .spawn(&ns, &program, &args, &log)
            .unwrap_or_else(|e| panic!("{e}"));
        self.procs[n.i()] = Some((i, run));
        self.last_event = Instant::now();
    }

    /// Put `text` in the run's file `name` the way tools replace a file: written beside it,
    /// then renamed over it (counts as an event for the next snapshot's quiet time).
    pub fn replace_file(&mut self, name: &str, text: &str) {
        let tmp = self.lan.dir.join(format!(".{name}.new"));
        std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        std::fs::rename(&tmp, self.lan.dir.join(name)).unwrap();
        self.last_event = Instant::now();
    }

    /// Set node `n`'s interface `dev` up or down (an event, as [`Run::replace_file`]).
    pub fn set_link(&mut self, n: Node, dev: &str, up: bool) {
        self.ns(n)
            .set_link(dev, up)
            .unwrap_or_else(|e| panic!("{dev}: {e}"));
        self.last_event = Instant::now();
    }

    /// Remove the run's file `name` (an event, as [`Run::replace_file`]).
    pub fn remove_file(&mut self, name: &str) {
        std::fs::remove_file(self.lan.dir.join(name)).unwrap();
        self.last_event = Instant::now();
    }

    /// Wait (bounded) until node `n`'s current log says every instance entered `state`
    /// at least `times` times; on timeout, a note (and the run goes on).
    pub fn wait_state(&mut self, n: Node, state: &str, times: usize) {
        let all = self.instances.clone();
        self.wait_instances(n, &all, state, times);
    }

    /// [`Run::wait_state`] for the instances `instances` only.
    pub fn wait_instances(&mut self, n: Node, instances: &[String], state: &str, times: usize) {
        let start = Instant::now();
        loop {
            let log = self.log(n);
            let missing: Vec<String> = instances
                .iter()
                .filter(|i| {
                    log.matches(&format!("({i}) Entering {state} STATE"))
                        .count()
                        < times
                })
                .cloned()
                .collect();
            if missing.is_empty() {
                return;
            }
            let gone = self.exited(n);
            if gone.is_some() || start.elapsed() > LIMIT {
                let why = gone.map_or(format!("not within {LIMIT:?}"), |s| {
                    format!("the daemon exited ({s})")
                });
                let what = format!(
                    "{}: {missing:?} did not enter {state} (x{times}): {why}; log:\n{}",
                    n.name(),
                    tail(&log, 15)
                );
                self.note(what);
                return;
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// Exit status of node `n`'s daemon, if it exited.
    fn exited(&mut self, n: Node) -> Option<std::process::ExitStatus> {
        let (i, _) = self.procs[n.i()]?;
        self.lan.children[i].try_wait().ok().flatten()
    }

    /// SIGTERM node `n`'s daemon and wait (bounded) for its exit; notes a non-zero exit or
    /// a timeout (then SIGKILL).
    pub fn stop(&mut self, n: Node) {
        let Some((i, _)) = self.procs[n.i()].take() else {
            return;
        };
        self.last_event = Instant::now();
        if let Ok(Some(st)) = self.lan.children[i].try_wait() {
            let what = format!("{}: had exited before SIGTERM ({st})", n.name());
            return self.note(what);
        }
        signal(self.lan.children[i].id(), "TERM");
        let start = Instant::now();
        loop {
            match self.lan.children[i].try_wait() {
                Ok(Some(st)) if st.success() => return,
                Ok(Some(st)) => {
                    let what = format!("{}: {st} after SIGTERM", n.name());
                    return self.note(what);
                }
                _ if start.elapsed() > EXIT_LIMIT => {
                    let _ = self.lan.children[i].kill();
                    let _ = self.lan.children[i].wait();
                    let what = format!("{}: still running {EXIT_LIMIT:?} after SIGTERM", n.name());
                    return self.note(what);
                }
                _ => sleep(Duration::from_millis(50)),
            }
        }
    }

    /// SIGHUP node `n`'s daemon: reload (keepalived's parent passes it to its VRRP child).
    pub fn reload(&mut self, n: Node) {
        if let Some((i, _)) = self.procs[n.i()] {
            signal(self.lan.children[i].id(), "HUP");
            self.last_event = Instant::now();
        }
    }

    /// kill -9 node `n`'s daemon, all its processes: keepalived's parent is stopped first
    /// so that it cannot respawn its VRRP child, then both are killed.
    pub fn crash(&mut self, n: Node) {
        let Some((i, run)) = self.procs[n.i()].take() else {
            return;
        };
        let pid = self.lan.children[i].id();
        if self.daemon == Daemon::Keepalived {
            let child = std::fs::read_to_string(self.file(n, run, "vrrp.pid"))
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            signal(pid, "STOP");
            match child {
                Some(c) if parent_of(c) == Some(pid) => signal(c, "KILL"),
                _ => self.note(format!("{}: no VRRP child pid to kill", n.name())),
            }
        }
        signal(pid, "KILL");
        let _ = self.lan.children[i].wait();
        self.last_event = Instant::now();
    }

    /// Snapshot both nodes, no sooner than [`QUIET`] after the last start, stop or death and
    /// once their data plane has settled, as phase `name`; the notes
    /// gathered since the last phase go with it.
    pub fn snapshot(&mut self, name: &str) {
        sleep(QUIET.saturating_sub(self.last_event.elapsed()));
        let nodes = Node::BOTH.map(|n| self.settled(n));
        let notes = std::mem::take(&mut self.notes);
        self.phases.push(Phase {
            name: name.to_owned(),
            nodes,
            notes,
        });
    }

    fn capture(&self, n: Node) -> DataPlane {
        DataPlane::capture(self.ns(n)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Node `n`'s data plane once two snapshots [`SETTLE`] apart are equal (bounded).
    fn settled(&mut self, n: Node) -> DataPlane {
        let start = Instant::now();
        let mut last = self.capture(n);
        loop {
            sleep(SETTLE);
            let now = self.capture(n);
            if now == last {
                return now;
            }
            if start.elapsed() > SETTLE_LIMIT {
                let what = format!(
                    "{}: data plane still changing after {SETTLE_LIMIT:?}:\n{}",
                    n.name(),
                    last.diff(&now)
                );
                self.note(what);
                return now;
            }
            last = now;
        }
    }

    /// Stop whatever still runs (for the end of a sequence).
    pub fn stop_all(&mut self) {
        for n in Node::BOTH {
            self.stop(n);
        }
    }

    /// Every log of the run, for a failure report.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let Ok(entries) = std::fs::read_dir(&self.lan.dir) else {
            return out;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log" || e == "conf"))
            .collect();
        files.sort();
        for f in files {
            let _ = writeln!(
                out,
                "----- {} -----\n{}",
                f.display(),
                std::fs::read_to_string(&f).unwrap_or_default()
            );
        }
        out
    }
}

/// The standard sequence of issue 15 with node1 MASTER (150) and node2 BACKUP (100):
/// start both (node1 first) → snapshot; stop node1, node2 takes over → snapshot; start
/// node1 again, it preempts → snapshot; stop both → snapshot.
pub fn standard_sequence(run: &mut Run) {
    run.start(Node::One);
    run.wait_state(Node::One, "MASTER", 1);
    run.start(Node::Two);
    run.wait_state(Node::Two, "BACKUP", 1);
    run.snapshot("after start (node1 master, node2 backup)");

    run.stop(Node::One);
    run.wait_state(Node::Two, "MASTER", 1);
    run.snapshot("after the master stops (node2 master)");

    run.start(Node::One);
    run.wait_state(Node::One, "MASTER", 1);
    run.wait_state(Node::Two, "BACKUP", 2);
    run.snapshot("after the master is back (node1 master, node2 backup)");

    run.stop(Node::Two);
    run.stop(Node::One);
    run.snapshot("after both stop");
}

/// Node roles of the standard sequence.
pub const MASTER_BACKUP: [Role; 2] = [
    Role {
        state: "MASTER",
        priority: 150,
        extra: "",
    },
    Role {
        state: "BACKUP",
        priority: 100,
        extra: "",
    },
];

/// Run `sequence` under keepalived and under vrrpd, each on its own pair of nodes, at the
/// same time; returns (keepalived's, vrrpd's) runs, all daemons stopped.
pub fn both(
    stem: &str,
    template: &str,
    roles: [Role; 2],
    instances: &[&str],
    sequence: fn(&mut Run),
) -> (Run, Run) {
    let d = [Daemon::Keepalived, Daemon::Vrrpd];
    runs(stem, template, roles, instances, sequence, d)
}

/// Run `sequence` under `daemons[0]` and `daemons[1]`, each on its own pair of nodes, at
/// the same time; returns their runs in that order, all daemons stopped.
pub fn runs(
    stem: &str,
    template: &str,
    roles: [Role; 2],
    instances: &[&str],
    sequence: fn(&mut Run),
    daemons: [Daemon; 2],
) -> (Run, Run) {
    std::thread::scope(|s| {
        let go = |d| {
            s.spawn(move || {
                let mut r = Run::new(d, stem, template, roles, instances);
                sequence(&mut r);
                r.stop_all();
                r
            })
        };
        let first = go(daemons[0]);
        let second = go(daemons[1]);
        let first = first
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let second = second
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (first, second)
    })
}

/// What differs between the reference run and the other, phase by phase and node by node
/// (`-` keepalived only, `+` vrrpd only), phases `skip` (0-based) left out, and the notes
/// of both runs; empty if nothing.
pub fn compare(reference: &Run, other: &Run, skip: &[usize]) -> String {
    let mut out = String::new();
    for (i, (r, o)) in reference.phases.iter().zip(&other.phases).enumerate() {
        if skip.contains(&i) {
            continue;
        }
        for n in Node::BOTH {
            let d = r.node(n).diff(o.node(n));
            if !d.is_empty() {
                let _ = write!(
                    out,
                    "== phase {} '{}', {}: - {} only, + {} only\n{d}",
                    i + 1,
                    r.name,
                    n.name(),
                    reference.daemon.name(),
                    other.daemon.name()
                );
            }
        }
    }
    if reference.phases.len() != other.phases.len() {
        let _ = writeln!(
            out,
            "== phases: {} has {}, {} has {}",
            reference.daemon.name(),
            reference.phases.len(),
            other.daemon.name(),
            other.phases.len()
        );
    }
    for run in [reference, other] {
        for (i, p) in run.phases.iter().enumerate() {
            for note in &p.notes {
                let _ = writeln!(
                    out,
                    "== note, {} before phase {} '{}': {note}",
                    run.daemon.name(),
                    i + 1,
                    p.name
                );
            }
        }
    }
    out
}

/// An expectation on a run (what the harness must observe under keepalived, the
/// reference): phase index (0-based), node, words that one line must all contain, and
/// whether such a line must be there.
pub type Expect<'a> = (usize, Node, &'a [&'a str], bool);

/// The expectations `run` does not meet.
pub fn unmet(run: &Run, expect: &[Expect<'_>]) -> Vec<String> {
    expect
        .iter()
        .filter(|(p, n, words, present)| {
            !run.phases
                .get(*p)
                .is_some_and(|ph| ph.node(*n).has(words) == *present)
        })
        .map(|(p, n, words, present)| {
            let verb = if *present { "lacks" } else { "has" };
            format!(
                "{}: phase {} {}: {verb} a line with {words:?}",
                run.daemon.name(),
                p + 1,
                n.name()
            )
        })
        .collect()
}

/// Print a run's phases (what the harness saw), written past the test harness's capture.
pub fn print_phases(run: &Run) {
    let mut out = String::new();
    for (i, p) in run.phases.iter().enumerate() {
        for n in Node::BOTH {
            let _ = write!(
                out,
                "----- {} phase {} '{}' {} -----\n{}",
                run.daemon.name(),
                i + 1,
                p.name,
                n.name(),
                p.node(n)
            );
        }
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
}

/// Assert that keepalived's run shows `expect` and that vrrpd's is the same phase by
/// phase (but phases `skip`), and that `more` (further findings) is empty; on failure the
/// message carries the differences, the notes, `more` and every log.
pub fn assert_same(
    test: &str,
    k: &Run,
    v: &Run,
    expect: &[Expect<'_>],
    skip: &[usize],
    more: &str,
) {
    let bad = unmet(k, expect);
    if !bad.is_empty() {
        print_phases(k);
        panic!(
            "{test}: the harness did not observe under keepalived what it should:\n{}\n{}",
            bad.join("\n"),
            k.logs()
        );
    }
    let report = compare(k, v, skip);
    if !report.is_empty() || !more.is_empty() {
        panic!(
            "{test}: keepalived and vrrpd leave different data planes:\n{report}\n{more}\n\
             ===== logs =====\n{}",
            v.logs()
        );
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `kill -SIG pid` (a process this test started).
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Parent pid of `pid`, from `/proc/PID/stat`.
fn parent_of(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Node roles of the crash sequence: both BACKUP with `nopreempt`, node1 at 150, node2 at
/// 100, so that a restarted node1 stays BACKUP beside the master node2.
pub const NOPREEMPT: [Role; 2] = [
    Role {
        state: "BACKUP",
        priority: 150,
        extra: "nopreempt",
    },
    Role {
        state: "BACKUP",
        priority: 100,
        extra: "nopreempt",
    },
];

/// Phase of [`crash_sequence`]: before any daemon started.
pub const BEFORE: usize = 0;
/// Phase of [`crash_sequence`]: node1 started cleanly as BACKUP beside the master node2.
pub const CLEAN_BACKUP: usize = 1;
/// Phase of [`crash_sequence`]: node1 restarted after kill -9, BACKUP beside node2.
pub const RESTARTED_BACKUP: usize = 4;
/// Phase of [`crash_sequence`]: both stopped.
pub const AFTER: usize = 5;

/// kill -9 of a master and a restart, with [`NOPREEMPT`] roles: snapshot before anything
/// starts; node2 starts and becomes master, node1 starts as BACKUP → snapshot (clean);
/// node2 stops, node1 takes over, node2 is started again as BACKUP → snapshot; node1 (master)
/// is killed with SIGKILL, node2 takes over → snapshot (what the dead master left); node1
/// is restarted and stays BACKUP → snapshot, which must equal the clean one; both stop →
/// snapshot, which must equal the first.
pub fn crash_sequence(run: &mut Run) {
    run.snapshot("before start");

    run.start(Node::Two);
    run.wait_state(Node::Two, "MASTER", 1);
    run.start(Node::One);
    run.wait_state(Node::One, "BACKUP", 1);
    run.snapshot("clean start (node2 master, node1 backup)");

    run.stop(Node::Two);
    run.wait_state(Node::One, "MASTER", 1);
    run.start(Node::Two);
    run.wait_state(Node::Two, "BACKUP", 1);
    run.snapshot("node1 master, node2 backup");

    run.crash(Node::One);
    run.wait_state(Node::Two, "MASTER", 1);
    run.snapshot("after kill -9 of the master node1 (node2 master)");

    run.start(Node::One);
    run.wait_state(Node::One, "BACKUP", 1);
    run.snapshot("node1 restarted (node2 master, node1 backup)");

    run.stop(Node::One);
    run.stop(Node::Two);
    run.snapshot("after both stop");
}

/// What of the killed run stays: the differences between the clean start and the
/// restart after kill -9, and between before start and after both stop (`-` the first,
/// `+` the second), both nodes; empty when nothing stayed.
pub fn leftovers(run: &Run) -> String {
    let mut out = String::new();
    for (first, second) in [(CLEAN_BACKUP, RESTARTED_BACKUP), (BEFORE, AFTER)] {
        let (Some(a), Some(b)) = (run.phases.get(first), run.phases.get(second)) else {
            return format!("{}: the crash sequence did not finish", run.daemon.name());
        };
        for n in Node::BOTH {
            let d = a.node(n).diff(b.node(n));
            if !d.is_empty() {
                let _ = write!(
                    out,
                    "== {} {}: - '{}' only, + '{}' only\n{d}",
                    run.daemon.name(),
                    n.name(),
                    a.name,
                    b.name
                );
            }
        }
    }
    out
}
