//! `vrrpd -t -f FILE` as a user runs it: exit status and file:line messages.

use std::path::Path;
use std::process::Command;

fn run(file: &str) -> (i32, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/seeds")
        .join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-t", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn good_seed_passes_with_summary() {
    let (code, stdout, stderr) = run("000-primary.good.conf");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("configuration OK: 1 vrrp_instance, 1 vrrp_script"),
        "{stdout}"
    );
}

#[test]
fn warnings_name_file_and_line() {
    let (code, _, stderr) = run("004-lvs.good.conf");
    assert_eq!(code, 0);
    assert!(
        stderr.contains("004-lvs.good.conf:1: warning: 'virtual_server'"),
        "{stderr}"
    );
}

#[test]
fn damaged_seed_fails_naming_file_and_line() {
    let (code, _, stderr) = run("001-attachment.bad.conf");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("001-attachment.bad.conf:6: '}' closes no open block"),
        "{stderr}"
    );
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let (code, _, stderr) = run("no-such-file.conf");
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}
