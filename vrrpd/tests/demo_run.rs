//! The whole `vrrpd demo`, end to end, as root: election, failover and failback measured,
//! the VIP back on A, daemons stopped cleanly, and nothing left behind (namespaces, temp
//! dir, daemon processes). Run against this package's vrrpd and, when installed, against
//! keepalived. Skipped (with a note on stderr) when not root. The two runs use the same
//! names (`vrrpdemo-<pid>-...`), so they take turns.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use vrrpd::demo::{self, DemoError, Program, Report};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn root(test: &str) -> bool {
    vrrp_lab::Skip::check(test).root("network namespaces").ok()
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy() != me.as_str())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

fn stem() -> String {
    format!("{}-{}", demo::NAME_STEM, std::process::id())
}

/// No namespace, temp dir or daemon of this process's demo is left.
fn nothing_left() {
    let stem = stem();
    for suffix in ["a", "b", "lan"] {
        let p = Path::new("/run/netns").join(format!("{stem}-{suffix}"));
        assert!(!p.exists(), "{} left behind", p.display());
    }
    let dir = std::env::temp_dir().join(&stem);
    assert!(!dir.exists(), "{} left behind", dir.display());
    let left = processes_mentioning(&stem);
    assert!(left.is_empty(), "daemons still running: {left:?}");
}

fn check(report: &Report) {
    let text = report.to_string();
    println!("{text}");

    assert_eq!(report.elected, "A", "A (priority 150) must win:\n{text}");
    assert_eq!(report.backup, "B");
    assert_eq!(report.final_holder, "A", "VIP must end on A:\n{text}");
    // Each gap was measured; bounds are the demo's own timeouts, not speed assertions.
    for (name, gap) in [
        ("election", report.election),
        ("failover", report.failover),
        ("failback", report.failback),
    ] {
        assert!(
            gap > Duration::ZERO && gap < Duration::from_secs(15),
            "{name} gap {gap:?}:\n{text}"
        );
    }
    assert!(report.clean_exits(), "daemons did not exit 0:\n{text}");
    assert!(report.vip_released_on_stop, "VIP left after stop:\n{text}");
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);

    for part in [
        "daemons started -> VIP on A",
        "A link down -> VIP on B",
        "A link up -> VIP on A, gone from B",
        "VIP ended on A (priority 150)",
        "namespaces, links and temp dir removed: yes",
    ] {
        assert!(text.contains(part), "{part:?} missing from\n{text}");
    }

    nothing_left();
}

#[test]
fn demo_with_vrrpd() {
    if !root("demo_with_vrrpd") {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let report = demo::run(Path::new(env!("CARGO_BIN_EXE_vrrpd"))).expect("demo");
    assert_eq!(report.daemon, "vrrpd");
    check(&report);
}

#[test]
fn demo_with_keepalived() {
    let exe = Path::new("/usr/sbin/keepalived");
    if !root("demo_with_keepalived") {
        return;
    }
    if !exe.exists() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIP demo_with_keepalived: {} not installed",
            exe.display()
        );
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let report = demo::run_with(&Program::Keepalived(exe.to_owned())).expect("demo");
    assert_eq!(report.daemon, "keepalived");
    check(&report);
}

#[test]
fn sigint_mid_demo_stops_daemons_and_removes_everything() {
    if !root("sigint_mid_demo_stops_daemons_and_removes_everything") {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    // Once the daemons run (their logs exist), the demo has its handlers installed: send
    // this process SIGINT, as a Ctrl-C at the terminal would.
    let log = std::env::temp_dir().join(stem()).join("b.log");
    let sender = std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(20);
        while !log.exists() {
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        kill(Pid::this(), Signal::SIGINT).is_ok()
    });
    let result = demo::run(Path::new(env!("CARGO_BIN_EXE_vrrpd")));
    assert!(sender.join().unwrap(), "the demo never started its daemons");
    assert!(
        matches!(result, Err(DemoError::Interrupted("SIGINT"))),
        "{result:?}"
    );
    nothing_left();
}

#[test]
fn daemon_that_dies_fails_the_demo_and_everything_is_removed() {
    if !root("daemon_that_dies_fails_the_demo_and_everything_is_removed") {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    // `false` exits 1 at once, whatever its arguments.
    let result = demo::run(Path::new("/bin/false"));
    assert!(
        matches!(result, Err(DemoError::DaemonExited { .. })),
        "{result:?}"
    );
    nothing_left();
}
