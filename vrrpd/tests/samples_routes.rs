//! keepalived 2.2.7's own sample configurations that use `virtual_routes`, `virtual_rules`
//! and the static blocks (copied verbatim into tests/keepalived-samples/) under `vrrpd -t`:
//! accepted, with warnings only about interfaces this machine lacks (and the same deprecation
//! notes keepalived prints); the rules sample's invalid address is refused at its line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keepalived-samples")
        .join(name)
}

fn check(path: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-t", "-f"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A warning about the machine rather than the file: an interface that is not here, or a
/// VIP outside the subnets of the interface it goes on (this machine's addresses); or
/// keepalived's own deprecation notes.
fn allowed(line: &str) -> bool {
    [
        "no interface ",
        // An address line's `dev` (keepalived's words, and its refusal to start).
        "doesn't exist; vrrpd will not start",
        ": outside every subnet of ",
        "\"gw\" for routes is deprecated",
        "\"or\" for routes is deprecated",
    ]
    .iter()
    .any(|w| line.contains(w))
}

#[test]
fn keepalived_route_samples_check_clean_but_for_interfaces() {
    for name in [
        "keepalived.conf.vrrp.routes",
        "keepalived.conf.vrrp.static_ipaddress",
        "keepalived.conf.track_interface",
    ] {
        let (code, stdout, stderr) = check(&sample(name));
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(
            stdout.contains("configuration OK: 1 vrrp_instance"),
            "{name}: {stdout}"
        );
        for line in stderr.lines() {
            assert!(allowed(line), "{name}: unexpected: {line}");
        }
    }
}

#[test]
fn the_rules_sample_is_refused_at_its_invalid_address_and_fixed_checks_clean() {
    let path = sample("keepalived.conf.vrrp.rules");
    let (code, _, stderr) = check(&path);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("keepalived.conf.vrrp.rules:11: Invalid rule to address 192.168.100./24"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("192.168.100./24", "192.168.100.0/24")
        .replace("192.168.200./24", "192.168.200.0/24");
    let fixed =
        std::env::temp_dir().join(format!("vrrpd-rules-sample-{}.conf", std::process::id()));
    std::fs::write(&fixed, text).unwrap();
    let (code, stdout, stderr) = check(&fixed);
    let _ = std::fs::remove_file(&fixed);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("configuration OK"), "{stdout}");
    for line in stderr.lines() {
        // keepalived's own note on rules without a preference.
        let ok = allowed(line) || line.contains("Rule has no preference specified");
        assert!(ok, "unexpected: {line}");
    }
}
