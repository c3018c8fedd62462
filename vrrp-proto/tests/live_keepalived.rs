//! Capture fresh packets from the keepalived installed on this machine (capture.py, in
//! network namespaces it makes and removes) and check every one like the committed vectors.
//! Needs root, keepalived, tcpdump and scapy for /usr/bin/python3; skips, saying why, without.

mod common;

use std::path::Path;
use std::process::Command;

fn missing_prerequisite() -> Option<String> {
    // SAFETY-free check of the effective uid through `id -u`.
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
        .args(["-c", "import scapy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !scapy {
        return Some("scapy is not installed for /usr/bin/python3".into());
    }
    None
}

#[test]
fn live_keepalived_packets_decode_and_reemit() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("SKIPPED live_keepalived_packets_decode_and_reemit: {why}");
        return;
    }
    let out = std::env::temp_dir().join(format!("vrrp-live-{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/capture.py");
    let status = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(&out)
        .status()
        .unwrap();
    let vectors = common::load_dir(&out);
    let _ = std::fs::remove_dir_all(&out);
    assert!(status.success(), "capture.py failed");
    let adverts: Vec<_> = vectors
        .iter()
        .filter(|v| v.get("kind") == "advert")
        .collect();
    assert!(
        adverts.len() >= 16,
        "captured only {} adverts",
        adverts.len()
    );
    for v in adverts {
        common::check_advert(v);
    }
    for v in vectors.iter().filter(|v| v.get("kind") != "advert") {
        common::check_announce(v);
    }
}
