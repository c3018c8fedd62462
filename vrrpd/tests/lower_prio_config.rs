//! keepalived's `lower_prio_no_advert [<BOOL>]` (vrrp_instance) and
//! `vrrp_lower_prio_no_advert [<BOOL>]` (global_defs), read as keepalived 2.2.7 reads them
//! and handed to the state machine. Before: the global keyword was silently ignored and the
//! instance keyword drew "unknown keyword 'lower_prio_no_advert' in vrrp_instance ignored",
//! so the master answered every lower-priority advert whatever the file said.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use vrrpd::config;
use vrrpd::daemon::plan;

/// The `lower_prio_no_advert` each instance's state machine gets, and the warnings.
fn planned(text: &str) -> (Vec<bool>, Vec<String>) {
    let mut built = config::parse(Path::new("t.conf"), text).unwrap_or_else(|e| panic!("{e}"));
    let warnings = built.warnings.iter().map(|w| w.to_string()).collect();
    let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let plans = plan::plan(&mut built.config, |_, _| Some(src)).unwrap();
    let values = plans
        .iter()
        .map(|p| p.router.lower_prio_no_advert())
        .collect();
    (values, warnings)
}

/// A configuration: `global` inside global_defs, then one instance per entry of `lines`
/// (each with that extra line, VRIDs from 51).
fn conf(global: &str, lines: &[&str]) -> String {
    let mut t = format!("global_defs {{\n{global}\n}}\n");
    for (n, extra) in lines.iter().enumerate() {
        t += &format!(
            "vrrp_instance VI_{n} {{\n  interface eth0\n  virtual_router_id {}\n  \
             priority 150\n{extra}\n  virtual_ipaddress {{\n    192.0.2.{}/24\n  }}\n}}\n",
            51 + n,
            100 + n
        );
    }
    t
}

#[test]
fn instance_forms_as_keepalived_reads_them() {
    let lines = [
        "",
        "  lower_prio_no_advert",
        "  lower_prio_no_advert true",
        "  lower_prio_no_advert on",
        "  lower_prio_no_advert yes",
        "  lower_prio_no_advert false",
        "  lower_prio_no_advert off",
        "  lower_prio_no_advert no",
    ];
    let (values, warnings) = planned(&conf("", &lines));
    assert_eq!(
        values,
        [false, true, true, true, true, false, false, false],
        "keepalived's default is to answer (false); no value means true"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn global_default_and_instance_override() {
    let lines = ["", "  lower_prio_no_advert off", "  lower_prio_no_advert"];
    let (values, warnings) = planned(&conf("  vrrp_lower_prio_no_advert", &lines));
    assert_eq!(values, [true, false, true], "the instance value wins");
    assert!(warnings.is_empty(), "{warnings:?}");
    let (values, _) = planned(&conf("  vrrp_lower_prio_no_advert no", &lines));
    assert_eq!(values, [false, false, true]);
    let (values, _) = planned(&conf("  vrrp_lower_prio_no_advert on", &lines[..1]));
    assert_eq!(values, [true]);
}

#[test]
fn vrrp_strict_forces_it_on_and_says_so() {
    // (Strict mode turns accept mode off unless VRRPv3 with `accept`, which vrrpd refuses:
    // tests/wire_config.rs.)
    let lines = [
        "  version 3\n  accept",
        "  version 3\n  accept\n  lower_prio_no_advert off",
    ];
    let (values, warnings) = planned(&conf("  vrrp_strict", &lines));
    assert_eq!(values, [true, true]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("(VI_1) Strict mode requires no lower priority advert"),
        "{warnings:?}"
    );
}

#[test]
fn bad_values_name_their_line() {
    for (global, line, at) in [
        ("", "  lower_prio_no_advert maybe", "t.conf:17:"),
        ("  vrrp_lower_prio_no_advert 1", "", "t.conf:2:"),
        ("", "  lower_prio_no_advert on off", "t.conf:17:"),
    ] {
        let e = config::parse(Path::new("t.conf"), &conf(global, &["", line]))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(at) && e.contains("lower_prio_no_advert"),
            "{e}"
        );
    }
}
