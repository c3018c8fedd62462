//! `vrrpd -t`'s lint: configurations keepalived accepts that will not do what their author
//! thinks, each reported as a warning naming file and line.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use vrrpd::config;
use vrrpd::lint::{static_checks, system_checks};

fn parse(text: &str) -> config::Config {
    config::parse(Path::new("l.conf"), text)
        .expect("valid configuration")
        .config
}

fn instance(name: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n  interface eth0\n  virtual_router_id 51\n{extra}  virtual_ipaddress {{\n    192.0.2.100/24\n  }}\n}}\n"
    )
}

fn messages(w: &[config::Warning]) -> Vec<String> {
    w.iter().map(ToString::to_string).collect()
}

#[test]
fn nopreempt_with_state_master_is_flagged() {
    // keepalived clears it, with its warning (config/strict.rs): reading the file says so.
    let text = instance("VI_1", "  state MASTER\n  priority 100\n  nopreempt\n");
    let b = config::parse(Path::new("l.conf"), &text).unwrap();
    assert_eq!(
        messages(&b.warnings),
        ["l.conf:1: warning: (VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"]
    );
    assert!(b.config.instances[0].router.preempt());
    assert!(static_checks(&b.config).is_empty());
    let ok = config::parse(
        Path::new("l.conf"),
        &instance("VI_1", "  state BACKUP\n  nopreempt\n"),
    )
    .unwrap();
    assert!(ok.warnings.is_empty());
    assert!(static_checks(&ok.config).is_empty());
}

#[test]
fn duplicate_vrid_on_one_interface_is_flagged() {
    let text = instance("A", "") + &instance("B", "");
    let w = messages(&static_checks(&parse(&text)));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("l.conf:8: warning: vrrp_instance B: virtual_router_id 51 on eth0 is also used by A at l.conf:1"),
        "{w:?}"
    );
}

#[test]
fn sync_group_members_with_different_advert_int_are_flagged() {
    let text = instance("A", "  advert_int 1\n")
        + &instance("B", "  virtual_router_id 52\n  advert_int 2\n")
        + "vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n";
    let w = messages(&static_checks(&parse(&text)));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("vrrp_sync_group G: advert_int differs"),
        "{w:?}"
    );
}

#[test]
fn system_checks_flag_missing_interfaces_foreign_subnets_and_unsafe_scripts() {
    let dir = std::env::temp_dir().join(format!("vrrpd-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = |name: &str, mode: u32| {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p.display().to_string()
    };
    let writable = script("writable.sh", 0o777);
    let plain = script("plain.sh", 0o644);
    let text = instance(
        "VI_1",
        &format!("  notify_master \"{writable} MASTER\"\n  notify_backup {plain}\n"),
    ) + &instance("VI_2", "  interface eth9\n  virtual_router_id 52\n");
    let c = parse(&text);
    let addresses = |ifname: &str| -> Option<Vec<(IpAddr, u8)>> {
        (ifname == "eth0").then(|| vec![("198.51.100.1".parse().unwrap(), 24)])
    };
    let w = messages(&system_checks(&c, &addresses));
    std::fs::remove_dir_all(&dir).unwrap();
    let has = |s: &str| w.iter().any(|m| m.contains(s));
    assert!(has("192.0.2.100: outside every subnet of eth0"), "{w:?}");
    assert!(has("no interface eth9 on this machine"), "{w:?}");
    assert!(has("plain.sh is not executable"), "{w:?}");
    let is_root = nix::unistd::geteuid().is_root();
    if is_root {
        // Owned by root but world-writable.
        assert!(
            has("writable.sh can be changed by a user other than root"),
            "{w:?}"
        );
    }
    // The same VIP inside the interface's subnet is not flagged.
    let inside = |ifname: &str| -> Option<Vec<(IpAddr, u8)>> {
        (ifname == "eth0").then(|| vec![("192.0.2.1".parse().unwrap(), 24)])
    };
    let w = messages(&system_checks(&parse(&instance("VI_1", "")), &inside));
    assert!(w.is_empty(), "{w:?}");
}

/// A `track_interface` line, of the instance or of its sync group, naming an interface this
/// machine lacks: keepalived's words ("tracked interface ... doesn't exist"), at the line.
#[test]
fn missing_tracked_interface_is_flagged_at_its_line() {
    let text = instance(
        "A",
        "  track_interface {\n    eth0\n    nosuch0 weight 10\n  }\n",
    )
        + "vrrp_sync_group G {\n  group {\n    A\n  }\n  track_interface {\n    nosuch1\n  }\n}\n";
    let c = parse(&text);
    let has = |name: &str| (name == "eth0").then(|| vec![("192.0.2.1".parse().unwrap(), 24)]);
    let w = messages(&system_checks(&c, &has));
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("l.conf:6: warning: (A) tracked interface nosuch0 doesn't exist"),
        "{w:?}"
    );
    assert!(
        w[1].starts_with("l.conf:17: warning: (A) tracked interface nosuch1 doesn't exist"),
        "{w:?}"
    );
}
