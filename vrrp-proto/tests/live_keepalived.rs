//! Capture fresh packets from the keepalived installed on this machine (tests/vectors/
//! capture.sh, in network namespaces it makes and removes) and check every one like the
//! committed vectors. Needs root, keepalived, tcpdump, ip and scapy for /usr/bin/python3;
//! without one of them it prints why and returns (the only skip).
//!
//! `VRRP_LIVE_CASES="a c e f"` selects a subset of capture.sh's case letters (default: all,
//! about 14 s).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Vector;

fn missing_prerequisite() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root (network namespaces need it)".into());
    }
    for tool in ["keepalived", "tcpdump", "ip"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("{tool} is not installed"));
        }
    }
    let scapy = Command::new("/usr/bin/python3")
        .args(["-c", "import scapy.all"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !scapy {
        return Some("scapy is not installed for /usr/bin/python3".into());
    }
    None
}

/// Removes the output directory however the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The keys whose values come from the keepalived configuration (not from the packet).
const CONFIG_KEYS: [&str; 11] = [
    "kind",
    "case",
    "family",
    "version",
    "vrid",
    "priority",
    "interval_s",
    "interval_cs",
    "auth",
    "addresses",
    "checksum",
];

fn by_name(vs: Vec<Vector>) -> BTreeMap<String, Vector> {
    vs.into_iter().map(|v| (v.name(), v)).collect()
}

#[test]
fn live_keepalived_packets_decode_and_reemit() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("SKIPPED live_keepalived_packets_decode_and_reemit: {why}");
        return;
    }
    let out = TempDir(std::env::temp_dir().join(format!("vrrp-live-{}", std::process::id())));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut cmd = Command::new("bash");
    cmd.arg(dir.join("capture.sh")).arg(&out.0);
    let subset = std::env::var("VRRP_LIVE_CASES").ok();
    if let Some(cases) = &subset {
        cmd.env("CAPTURE_CASES", cases);
    }
    let status = cmd.status().expect("run capture.sh");
    assert!(status.success(), "capture.sh failed: {status}");

    let fresh = by_name(common::load_dir(&out.0));
    let committed = by_name(common::load_dir(&dir.join("keepalived")));
    let adverts: Vec<&Vector> = fresh
        .values()
        .filter(|v| v.get("kind") == "advert")
        .collect();
    assert!(!adverts.is_empty(), "capture.sh captured no advert");
    if subset.is_none() {
        // The full run captures every packet kind the committed run did.
        let want: Vec<&String> = committed.keys().collect();
        assert_eq!(fresh.keys().collect::<Vec<_>>(), want);
    }
    for v in &adverts {
        assert_eq!(common::check_advert(v), 12, "{}", v.name());
        // Same configuration, same expected values and checksum form as the committed file.
        let old = &committed[&v.name()];
        for key in CONFIG_KEYS {
            assert_eq!(v.opt(key), old.opt(key), "{}: {key}", v.name());
        }
    }
    for v in fresh.values().filter(|v| v.get("kind") != "advert") {
        common::check_announce(v);
    }
}
