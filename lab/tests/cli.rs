//! `vrrp-lab pair STEM -- COMMAND` (the lab for shell scripts), as root: the command sees
//! the lab in its environment, its exit status is passed on, and the namespaces are gone
//! afterwards — also when the lab process itself got SIGINT meanwhile.

use std::path::Path;
use std::process::Command;

use vrrp_lab::Skip;

#[test]
fn pair_runs_the_command_in_a_lab_and_removes_it_after() {
    if !Skip::check("pair_runs_the_command_in_a_lab_and_removes_it_after")
        .root("network namespaces")
        .ok()
    {
        return;
    }
    // The script interrupts its parent (the lab), then reports what it sees.
    let script = "kill -INT $PPID; sleep 0.2; \
                  echo \"$VRRP_LAB_NS_A $VRRP_LAB_NS_B\"; \
                  ip -n \"$VRRP_LAB_NS_B\" -o addr show dev \"$VRRP_LAB_IF_B\"; exit 7";
    let out = Command::new(env!("CARGO_BIN_EXE_vrrp-lab"))
        .args(["pair", "vrrplabcli", "--", "sh", "-c", script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{text}");
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(names.len(), 2, "{text}");
    assert!(text.contains("192.0.2.2/24"), "{text}");
    for n in names {
        assert!(n.starts_with("vrrplabcli-"), "{n}");
        assert!(!Path::new("/run/netns").join(n).exists(), "{n} left behind");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["pair", "x", "--"][..], &["lan", "x", "--", "true"], &[]] {
        let st = Command::new(env!("CARGO_BIN_EXE_vrrp-lab"))
            .args(args)
            .output()
            .unwrap()
            .status;
        assert_eq!(st.code(), Some(2), "{args:?}");
    }
}
