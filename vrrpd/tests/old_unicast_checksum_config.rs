//! keepalived's `old_unicast_checksum [never]` (vrrp_instance), read as keepalived 2.2.7
//! reads it and handed to the state machine: no word, the pre-1.3.6 VRRPv3/IPv4 unicast
//! checksum (224.0.0.18 in the pseudo-header) from the start; `never`, never switch to it;
//! without the keyword, switch when a peer is heard using it (`vrrpd/tests/mixed_pairs.rs`
//! shows each on the wire against keepalived). Another word is warned about and ignored, as
//! keepalived does; where the option can do nothing (VRRPv2, IPv6, multicast) a warning
//! says so. Before: "unknown keyword 'old_unicast_checksum' in vrrp_instance ignored".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use vrrp_fsm::UnicastChecksum;
use vrrpd::config;
use vrrpd::daemon::plan;

/// The `old_unicast_checksum` each instance's state machine gets, and the warnings.
fn planned(text: &str) -> (Vec<UnicastChecksum>, Vec<String>) {
    let mut built = config::parse(Path::new("t.conf"), text).unwrap_or_else(|e| panic!("{e}"));
    let warnings = built.warnings.iter().map(|w| w.to_string()).collect();
    let plans = plan::plan(&mut built.config, |_, family| {
        Some(match family {
            vrrp_proto::Family::V4 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            vrrp_proto::Family::V6 => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
        })
    })
    .unwrap();
    let values = plans.iter().map(|p| p.router.unicast_checksum()).collect();
    (values, warnings)
}

/// One instance per entry of `lines` (each with that extra text), VRIDs from 51.
fn conf(lines: &[&str]) -> String {
    let mut t = String::new();
    for (n, extra) in lines.iter().enumerate() {
        t += &format!(
            "vrrp_instance VI_{n} {{\n  interface eth0\n  virtual_router_id {}\n  \
             priority 150\n{extra}\n}}\n",
            51 + n,
        );
    }
    t
}

const UNICAST_V3: &str = "  version 3\n  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    192.0.2.2\n  }\n  virtual_ipaddress {\n    192.0.2.100/24\n  }";

#[test]
fn forms_as_keepalived_reads_them() {
    let lines = [
        UNICAST_V3.to_string(),
        format!("{UNICAST_V3}\n  old_unicast_checksum"),
        format!("{UNICAST_V3}\n  old_unicast_checksum never"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (values, warnings) = planned(&conf(&lines));
    assert_eq!(
        values,
        [
            UnicastChecksum::Auto,
            UnicastChecksum::Old,
            UnicastChecksum::Never
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn an_unknown_mode_is_warned_about_and_ignored() {
    let lines = [
        format!("{UNICAST_V3}\n  old_unicast_checksum always"),
        format!("{UNICAST_V3}\n  old_unicast_checksum never again"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (values, warnings) = planned(&conf(&lines));
    assert_eq!(values, [UnicastChecksum::Auto, UnicastChecksum::Never]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("t.conf:")
            && warnings[0].contains("unknown old_unicast_checksum mode 'always'"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("extra word 'again'"), "{warnings:?}");
}

#[test]
fn where_it_can_do_nothing_a_warning_says_so() {
    let lines = [
        // VRRPv2 unicast: the v2 checksum has no pseudo-header.
        "  version 2\n  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    192.0.2.2\n  }\n  \
         virtual_ipaddress {\n    192.0.2.100/24\n  }\n  old_unicast_checksum",
        // VRRPv3 multicast.
        "  version 3\n  virtual_ipaddress {\n    192.0.2.101/24\n  }\n  old_unicast_checksum",
        // VRRPv3 IPv6 unicast.
        "  unicast_src_ip 2001:db8::1\n  unicast_peer {\n    2001:db8::2\n  }\n  \
         virtual_ipaddress {\n    2001:db8::100/64\n  }\n  old_unicast_checksum",
    ];
    let (_, warnings) = planned(&conf(&lines));
    let no_effect: Vec<_> = warnings
        .iter()
        .filter(|w| w.contains("old_unicast_checksum has no effect"))
        .collect();
    assert_eq!(no_effect.len(), 3, "{warnings:?}");
    for (w, name) in no_effect.iter().zip(["VI_0", "VI_1", "VI_2"]) {
        assert!(w.contains(&format!("({name})")), "{w}");
    }
}
