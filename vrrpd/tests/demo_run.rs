//! The whole `vrrpd demo`, end to end, as root: election, failover and failback measured,
//! the VIP back on A, daemons stopped cleanly, and nothing left behind (namespaces, temp
//! dir, daemon processes). Run against this package's vrrpd and, when installed, against
//! keepalived. Skipped (with a note on stderr) when not root. The two runs use the same
//! names (`vrrpdemo-<pid>-...`), so they take turns.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use vrrpd::demo::{self, Program, Report};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn root(test: &str) -> bool {
    let ok = nix::unistd::Uid::effective().is_root();
    if !ok {
        let _ = writeln!(std::io::stderr(), "SKIP {test}: needs root");
    }
    ok
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

fn check(report: &Report) {
    let text = report.to_string();
    println!("{text}");
    let stem = format!("{}-{}", demo::NAME_STEM, std::process::id());

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

    for suffix in ["a", "b", "lan"] {
        let p = Path::new("/run/netns").join(format!("{stem}-{suffix}"));
        assert!(!p.exists(), "{} left behind", p.display());
    }
    let dir = std::env::temp_dir().join(&stem);
    assert!(!dir.exists(), "{} left behind", dir.display());
    let left = processes_mentioning(&stem);
    assert!(left.is_empty(), "daemons still running: {left:?}");
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
