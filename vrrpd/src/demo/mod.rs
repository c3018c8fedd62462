//! `vrrpd demo`: an election, a failover and a failback between two copies of the daemon,
//! each in its own network namespace, with the gaps measured — no setup needed (as root).
//!
//! [`run`] builds the [`topology`] (namespaces `vrrpdemo-PID-a`, `-b` and the switch
//! `-lan`), writes a keepalived.conf per router ([`config`]) into a temp dir, starts the
//! daemons, cuts the master's link and restores it, then stops the daemons with SIGTERM and
//! removes everything — also on error and when the demo gets SIGINT / SIGTERM / SIGHUP.
//! It prints each step as it goes and returns a [`Report`]; its `Display` is the summary
//! table, for the caller to print.
//!
//! Where the VIP is, is read from the interfaces' address lists through rtnetlink, not from
//! the daemons' logs, so the figures do not depend on log wording.

pub mod config;
mod daemon;
mod error;
mod interrupt;
pub mod netns;
mod report;
pub mod topology;

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

pub use daemon::Program;
pub use error::DemoError;
pub use report::Report;

use config::{WorkDir, ADVERT_INT, PRIORITY_A, PRIORITY_B, VERSION, VIP, VIP_PREFIX, VRID};
use daemon::Daemon;
use interrupt::Interrupts;
use topology::{Router, Topology};

/// Namespace and temp-dir names start with this, then `-PID`.
pub const NAME_STEM: &str = "vrrpdemo";
/// How often the address lists are read while waiting for the VIP to move.
pub const POLL: Duration = Duration::from_millis(5);
/// How long the VIP must stay put before the election counts as settled.
const SETTLE: Duration = Duration::from_secs(1);
/// Upper bounds on each wait (generous: with advert_int 0.1 s each step takes under 1 s).
const ELECTION_WAIT: Duration = Duration::from_secs(15);
const MOVE_WAIT: Duration = Duration::from_secs(10);

/// Run the demo with vrrpd at `exe` (normally `std::env::current_exe()`).
pub fn run(exe: &Path) -> Result<Report, DemoError> {
    run_with(&Program::Vrrpd(exe.to_owned()))
}

/// Run the demo with `program` (vrrpd, or keepalived for comparison).
pub fn run_with(program: &Program) -> Result<Report, DemoError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Err(DemoError::NotRoot);
    }
    // Installed first and kept until the cleanup is over.
    let mut interrupts = Interrupts::install()?;
    let swept = netns::sweep_stale(NAME_STEM);
    if !swept.is_empty() {
        println!("removed namespaces left by an earlier, killed demo: {swept:?}");
    }
    let mut lab = Lab::default();
    let result = show(program, &mut interrupts, &mut lab);
    if result.is_err() {
        println!("\nstopping early (the reason follows the cleanup)");
    }
    println!("\ncleaning up: stopping daemons, removing namespaces and temp dir");
    let stopped = lab.stop_daemons();
    let released = lab.vip_nowhere();
    let leftovers = lab.remove();
    for (r, how) in &stopped {
        println!("  daemon {r}: {how}");
    }
    if leftovers.is_empty() {
        println!("  namespaces and temp dir removed");
    }
    match result {
        Ok(mut report) => {
            report.stopped = stopped;
            report.vip_released_on_stop = released;
            if !leftovers.is_empty() {
                return Err(DemoError::Cleanup(leftovers));
            }
            Ok(report)
        }
        Err(e) => {
            for l in &leftovers {
                eprintln!("vrrpd demo: cleanup: {l}");
            }
            Err(e)
        }
    }
}

/// Everything the demo makes, so that it can all be removed whichever way it ends.
#[derive(Debug, Default)]
struct Lab {
    topo: Option<Topology>,
    dir: Option<WorkDir>,
    daemons: Vec<Daemon>,
}

impl Lab {
    /// Stop the daemons, the backup first so the VIP does not move on the way out.
    fn stop_daemons(&mut self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        while let Some(mut d) = self.daemons.pop() {
            out.push((d.label, d.stop()));
        }
        out
    }

    /// After the daemons stopped: the VIP is on neither router.
    fn vip_nowhere(&mut self) -> bool {
        let Some(topo) = self.topo.as_mut() else {
            return false;
        };
        topo.routers()
            .into_iter()
            .all(|r| matches!(r.has_address(vip()), Ok(false)))
    }

    /// Remove namespaces and temp dir; then check nothing is left. Returns what is.
    fn remove(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut paths = Vec::new();
        if let Some(mut topo) = self.topo.take() {
            paths.extend([&topo.a.ns, &topo.b.ns, &topo.lan].map(|ns| ns.path().to_owned()));
            problems.extend(topo.remove());
        }
        if let Some(mut dir) = self.dir.take() {
            paths.push(dir.path().to_owned());
            problems.extend(dir.remove());
        }
        for p in paths {
            if p.exists() {
                problems.push(format!("{} still exists", p.display()));
            }
        }
        problems
    }
}

fn vip() -> IpAddr {
    IpAddr::V4(config::VIP_ADDR)
}

/// The show itself; everything it makes goes into `lab`.
fn show(program: &Program, sig: &mut Interrupts, lab: &mut Lab) -> Result<Report, DemoError> {
    let pid = std::process::id();
    let stem = format!("{NAME_STEM}-{pid}");
    println!(
        "vrrpd demo: two routers, each in its own network namespace, on one switch.\n\
         VRRPv{VERSION}, VRID {VRID}, VIP {VIP}/{VIP_PREFIX}; priorities A {PRIORITY_A}, \
         B {PRIORITY_B}; advert_int {} s (keepalived's default is 1 s: this keeps each \
         takeover well under a second).",
        ADVERT_INT.as_secs_f64()
    );

    sig.check()?;
    let topo = lab.topo.insert(Topology::build(&stem)?);
    println!("\nnetwork:");
    for r in topo.routers() {
        println!(
            "  router {}: namespace {:<20} {} {}/24, {}/64",
            r.label,
            r.ns.name(),
            r.ifname,
            r.v4,
            r.v6
        );
    }
    println!(
        "  switch:   namespace {:<20} br0 with ports pa (to A), pb (to B)",
        topo.lan.name()
    );
    println!(
        "  (while it runs: ip netns exec {} ip addr show)",
        topo.a.ns.name()
    );

    sig.check()?;
    let dir = lab.dir.insert(WorkDir::create(&stem)?);
    let conf_a = dir.write(
        "a.conf",
        &config::keepalived_conf("demo_a", topo.a.ifname, PRIORITY_A),
    )?;
    let conf_b = dir.write(
        "b.conf",
        &config::keepalived_conf("demo_b", topo.b.ifname, PRIORITY_B),
    )?;
    println!(
        "\nconfigurations: {} and {}",
        conf_a.display(),
        conf_b.display()
    );

    let started = Instant::now();
    for (r, conf) in [(&topo.a, &conf_a), (&topo.b, &conf_b)] {
        let d = Daemon::spawn(program, r.label, &r.ns, dir, conf)?;
        println!(
            "started {} for router {} (pid {}), log {}",
            program.exe().display(),
            r.label,
            d.pid(),
            d.log.display()
        );
        lab.daemons.push(d);
    }

    // Election.
    println!("\n1. election");
    let (elected, election) = wait_election(sig, lab, started)?;
    let backup = 1 - elected;
    let topo = lab.topo.as_mut().ok_or_else(no_topology)?;
    let names = [topo.a.label, topo.b.label];
    let ifname = topo.routers()[elected].ifname;
    println!(
        "   {} is MASTER after {}: {VIP} is on its {ifname}",
        names[elected],
        secs(election)
    );
    if names[elected] != "A" {
        println!("   (unexpected: A has the higher priority)");
    }
    show_states(lab);

    // Failover.
    println!(
        "\n2. failover: cutting {}'s link ({ifname} down, through rtnetlink)",
        names[elected]
    );
    sig.check()?;
    let cut = Instant::now();
    lab_router(lab, elected)?.set_link(false)?;
    let mut release = None;
    let failover = wait_for(
        sig,
        lab,
        cut,
        MOVE_WAIT,
        &format!("{VIP} on {}", names[backup]),
        |lab, t| {
            if release.is_none() && !lab_router(lab, elected)?.has_address(vip())? {
                release = Some(t);
            }
            lab_router(lab, backup)?.has_address(vip())
        },
    )?;
    println!(
        "   {VIP} is on {} {} after the cut",
        names[backup],
        secs(failover)
    );
    // Let the cut-off router notice too (it should drop the VIP), for the record.
    if release.is_none() {
        let r = wait_for(
            sig,
            lab,
            cut,
            Duration::from_secs(2),
            "the release",
            |lab, _| Ok(!lab_router(lab, elected)?.has_address(vip())?),
        );
        release = r.ok();
    }
    match release {
        Some(t) => println!("   {} dropped it {} after the cut", names[elected], secs(t)),
        None => println!("   {} still holds it while cut off", names[elected]),
    }
    show_states(lab);

    // Failback.
    println!("\n3. failback: {}'s link back up", names[elected]);
    sig.check()?;
    let restored = Instant::now();
    lab_router(lab, elected)?.set_link(true)?;
    let failback = wait_for(
        sig,
        lab,
        restored,
        MOVE_WAIT,
        &format!("{VIP} back on {} only", names[elected]),
        |lab, _| {
            Ok(lab_router(lab, elected)?.has_address(vip())?
                && !lab_router(lab, backup)?.has_address(vip())?)
        },
    )?;
    println!(
        "   {VIP} is back on {} and gone from {} {} after the link came up",
        names[elected],
        names[backup],
        secs(failback)
    );
    // Stays there?
    let (final_holder, _) = wait_stable_holder(sig, lab, Instant::now(), SETTLE, MOVE_WAIT)?;
    show_states(lab);

    Ok(Report {
        daemon: program.kind(),
        elected: names[elected],
        backup: names[backup],
        election,
        failover,
        failover_release: release,
        failback,
        final_holder: names[final_holder],
        stopped: Vec::new(),
        vip_released_on_stop: false,
        leftovers: Vec::new(),
        poll_interval: POLL,
    })
}

fn no_topology() -> DemoError {
    DemoError::Thread("topology missing".into())
}

fn lab_router(lab: &mut Lab, i: usize) -> Result<&mut Router, DemoError> {
    let topo = lab.topo.as_mut().ok_or_else(no_topology)?;
    Ok(if i == 0 { &mut topo.a } else { &mut topo.b })
}

/// Poll `done(lab, elapsed)` every [`POLL`] until it is true; returns the elapsed time since
/// `since` at that moment. Fails on timeout, on a signal, or if a daemon exits.
fn wait_for(
    sig: &mut Interrupts,
    lab: &mut Lab,
    since: Instant,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&mut Lab, Duration) -> Result<bool, DemoError>,
) -> Result<Duration, DemoError> {
    loop {
        let t = since.elapsed();
        if done(lab, t)? {
            return Ok(t);
        }
        if t > limit {
            return Err(DemoError::Timeout {
                what: what.to_owned(),
                secs: limit.as_secs_f64(),
            });
        }
        for d in &mut lab.daemons {
            d.ensure_running()?;
        }
        sig.sleep(POLL)?;
    }
}

/// Wait until exactly one router holds the VIP and keeps it for `settle`; returns it and
/// when (since `since`) it got it.
fn wait_stable_holder(
    sig: &mut Interrupts,
    lab: &mut Lab,
    since: Instant,
    settle: Duration,
    limit: Duration,
) -> Result<(usize, Duration), DemoError> {
    let mut candidate: Option<(usize, Duration)> = None;
    wait_for(sig, lab, since, limit, "one stable VIP holder", |lab, t| {
        let a = lab_router(lab, 0)?.has_address(vip())?;
        let b = lab_router(lab, 1)?.has_address(vip())?;
        let holder = match (a, b) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        };
        candidate = match (holder, candidate) {
            (Some(h), Some((c, since))) if h == c => Some((c, since)),
            (Some(h), _) => Some((h, t)),
            (None, _) => None,
        };
        Ok(candidate.is_some_and(|(_, got)| t - got >= settle))
    })?;
    candidate.ok_or_else(|| DemoError::Timeout {
        what: "one stable VIP holder".into(),
        secs: limit.as_secs_f64(),
    })
}

fn wait_election(
    sig: &mut Interrupts,
    lab: &mut Lab,
    started: Instant,
) -> Result<(usize, Duration), DemoError> {
    wait_stable_holder(sig, lab, started, SETTLE, ELECTION_WAIT)
}

/// Print each daemon's reported state and its new state-change log lines.
fn show_states(lab: &mut Lab) {
    for d in &mut lab.daemons {
        for line in d.new_state_lines() {
            println!("   [{} log] {line}", d.label);
        }
    }
    let states: Vec<String> = lab
        .daemons
        .iter()
        .filter_map(|d| d.state().map(|s| format!("{} {s}", d.label)))
        .collect();
    if !states.is_empty() {
        println!("   vrrpd status: {}", states.join(", "));
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
