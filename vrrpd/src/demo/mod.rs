//! `vrrpd demo`: an election, a failover and a failback between two copies of the daemon,
//! each in its own network namespace, with the gaps measured — no setup needed (as root).
//!
//! [`run`] builds the [`topology`] with the workspace's namespace lab, vrrp-lab
//! (namespaces `vrrpdemo-PID-a`, `-b` and the switch `-lan`, temp dir
//! `$TMPDIR/vrrpdemo-PID`), writes a keepalived.conf per router ([`config`]) there, starts the
//! daemons, cuts the master's link and restores it, then stops the daemons with SIGTERM and
//! removes everything — also on error and when the demo gets SIGINT / SIGTERM / SIGHUP.
//! It prints each step as it goes and returns a [`Report`]; its `Display` is the summary
//! table, for the caller to print.
//!
//! Where the VIP is, is read from the interfaces' address lists through rtnetlink, not from
//! the daemons' logs, so the figures do not depend on log wording.

/// `println!` that does not panic when stdout is gone (`vrrpd demo | head`): the demo
/// must reach its cleanup whatever happens to its output.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that does not panic, for the same reason.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod config;
mod daemon;
mod error;
mod interrupt;
mod lab;
mod report;
pub mod topology;
mod watch;

use std::path::Path;
use std::time::{Duration, Instant};

pub use daemon::Program;
pub use error::DemoError;
pub use report::Report;
pub use watch::POLL;

use config::{ADVERT_INT, PRIORITY_A, PRIORITY_B, VERSION, VIP, VIP_PREFIX, VRID};
use daemon::Daemon;
use interrupt::Interrupts;
use lab::Lab;
use topology::Topology;
use watch::{wait_for, wait_stable_holder};

/// Namespace and temp-dir names start with this, then `-PID`.
pub const NAME_STEM: &str = "vrrpdemo";
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
    let swept = vrrp_lab::sweep_stale(NAME_STEM);
    if !swept.is_empty() {
        say!("removed namespaces left by an earlier, killed demo: {swept:?}");
    }
    for d in vrrp_lab::sweep_stale_dirs(NAME_STEM) {
        say!("removed {} left by an earlier, killed demo", d.display());
    }
    let mut lab = Lab::default();
    let result = show(program, &mut interrupts, &mut lab);
    if result.is_err() {
        say!("\nstopping early (the reason follows the cleanup)");
    }
    say!("\ncleaning up: stopping daemons, removing namespaces and temp dir");
    let stopped = lab.stop_daemons();
    let released = lab.vip_nowhere();
    let leftovers = lab.remove();
    for (r, how) in &stopped {
        say!("  daemon {r}: {how}");
    }
    if leftovers.is_empty() {
        say!("  namespaces and temp dir removed");
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
                say_err!("vrrpd demo: cleanup: {l}");
            }
            Err(e)
        }
    }
}

/// The show itself; everything it makes goes into `lab`.
fn show(program: &Program, sig: &mut Interrupts, lab: &mut Lab) -> Result<Report, DemoError> {
    let pid = std::process::id();
    let stem = format!("{NAME_STEM}-{pid}");
    say!(
        "vrrpd demo: two routers, each in its own network namespace, on one switch.\n\
         VRRPv{VERSION}, VRID {VRID}, VIP {VIP}/{VIP_PREFIX}; priorities A {PRIORITY_A}, \
         B {PRIORITY_B}; advert_int {} s (keepalived's default is 1 s: this keeps each \
         takeover well under a second).",
        ADVERT_INT.as_secs_f64()
    );

    sig.check()?;
    let topo = lab.topo.insert(Topology::build(&stem)?);
    say!("\nnetwork:");
    for r in topo.routers() {
        say!(
            "  router {}: namespace {:<20} {} {}/24, {}/64",
            r.label,
            r.netns,
            r.ifname,
            r.v4,
            r.v6
        );
    }
    let w = Topology::WIRING;
    say!(
        "  switch:   namespace {:<20} {} with ports {} (to A), {} (to B)",
        topo.net.br.name(),
        vrrp_lab::Lan::BRIDGE,
        w.a_port,
        w.b_port
    );
    say!(
        "  (while it runs: ip netns exec {} ip addr show)",
        topo.a.netns
    );

    sig.check()?;
    let dir = &topo.net.dir;
    let conf_a = dir.write(
        "a.conf",
        &config::keepalived_conf("demo_a", topo.a.ifname, PRIORITY_A),
    )?;
    let conf_b = dir.write(
        "b.conf",
        &config::keepalived_conf("demo_b", topo.b.ifname, PRIORITY_B),
    )?;
    say!(
        "\nconfigurations: {} and {}",
        conf_a.display(),
        conf_b.display()
    );

    let started = Instant::now();
    for (r, ns, conf) in [
        (&topo.a, &topo.net.a, &conf_a),
        (&topo.b, &topo.net.b, &conf_b),
    ] {
        let d = Daemon::spawn(program, r.label, ns, dir, conf)?;
        say!(
            "started {} for router {} (pid {}), log {}",
            program.exe().display(),
            r.label,
            d.pid(),
            d.log.display()
        );
        lab.daemons.push(d);
    }

    // Election.
    say!("\n1. election");
    let (elected, election) = wait_stable_holder(sig, lab, started, SETTLE, ELECTION_WAIT)?;
    let backup = 1 - elected;
    let names = ["A", "B"];
    let ifname = lab.router(elected)?.ifname;
    say!(
        "   {} is MASTER after {}: {VIP} is on its {ifname}",
        names[elected],
        secs(election)
    );
    if names[elected] != "A" {
        say!("   (unexpected: A has the higher priority)");
    }
    lab.show_states();

    // Failover.
    say!(
        "\n2. failover: cutting {}'s link ({ifname} down, through rtnetlink)",
        names[elected]
    );
    sig.check()?;
    let cut = Instant::now();
    lab.router(elected)?.set_link(false)?;
    let mut release = None;
    let failover = wait_for(
        sig,
        lab,
        cut,
        MOVE_WAIT,
        &format!("{VIP} on {}", names[backup]),
        |lab, t| {
            if release.is_none() && !lab.has_vip(elected)? {
                release = Some(t);
            }
            lab.has_vip(backup)
        },
    )?;
    say!(
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
            |lab, _| Ok(!lab.has_vip(elected)?),
        );
        release = match r {
            Ok(t) => Some(t),
            Err(DemoError::Timeout { .. }) => None,
            Err(e) => return Err(e),
        };
    }
    match release {
        Some(t) => say!("   {} dropped it {} after the cut", names[elected], secs(t)),
        None => say!("   {} still holds it while cut off", names[elected]),
    }
    lab.show_states();

    // Failback.
    say!("\n3. failback: {}'s link back up", names[elected]);
    sig.check()?;
    let restored = Instant::now();
    lab.router(elected)?.set_link(true)?;
    let failback = wait_for(
        sig,
        lab,
        restored,
        MOVE_WAIT,
        &format!("{VIP} back on {} only", names[elected]),
        |lab, _| Ok(lab.has_vip(elected)? && !lab.has_vip(backup)?),
    )?;
    say!(
        "   {VIP} is back on {} and gone from {} {} after the link came up",
        names[elected],
        names[backup],
        secs(failback)
    );
    // Stays there?
    let (final_holder, _) = wait_stable_holder(sig, lab, Instant::now(), SETTLE, MOVE_WAIT)?;
    lab.show_states();

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

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
