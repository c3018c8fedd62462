//! keepalived's wire options and strict mode, read as keepalived 2.2.7 reads them
//! (vrrp_parser.c, global_parser.c, vrrp.c `vrrp_complete_instance`) and handed to the state
//! machine; the keywords vrrpd does not apply are warned about at their line, never dropped
//! in silence.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use vrrp_fsm::InitialState;
use vrrp_proto::Auth;
use vrrpd::config::{self, VrrpInstance};

/// The instances as the daemon plans them, and the warnings (as `vrrpd -t` prints them).
fn planned(text: &str) -> (Vec<VrrpInstance>, Vec<String>) {
    let mut built = config::parse(Path::new("t.conf"), text).unwrap_or_else(|e| panic!("{e}"));
    let warnings = built.warnings.iter().map(|w| w.to_string()).collect();
    let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let plans = vrrpd::daemon::plan::plan(&mut built.config, |_, _| Some(src)).unwrap();
    (plans, warnings)
}

fn refused(text: &str) -> String {
    match config::parse(Path::new("t.conf"), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// global_defs with `global`, then one instance with `extra` (line 4 of the instance block
/// is `extra`'s first line when `global` is one line).
fn conf(global: &str, extra: &str) -> String {
    format!(
        "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n  interface eth0\n  \
         virtual_router_id 51\n  priority 150\n{extra}\n  virtual_ipaddress {{\n    \
         192.0.2.100/24\n  }}\n}}\n"
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn keywords_of_other_processes_are_warned_about_each_at_its_line() {
    let global = "  notification_email {\n    a@example.com\n  }\n  smtp_server 192.0.2.9\n  \
                  lvs_id x\n  checker_priority -5\n  vrrp_iptables\n  vrrp_priority -10\n  \
                  vrrp_no_swap\n  dynamic_interfaces\n  vrrp_check_unicast_src";
    let (_, w) = planned(&conf(global, "  smtp_alert\n  debug 2\n  native_ipv6"));
    let expect = [
        "t.conf:2: warning: 'notification_email' is not applicable to vrrpd (VRRP only); ignored",
        "t.conf:5: warning: 'smtp_server' is not applicable to vrrpd (VRRP only); ignored",
        "t.conf:6: warning: 'lvs_id' is not applicable to vrrpd (VRRP only); ignored",
        "t.conf:7: warning: 'checker_priority' is not applicable to vrrpd (VRRP only); ignored",
        "t.conf:8: warning: 'vrrp_iptables' ignored: vrrpd installs no firewall rules",
        "t.conf:9: warning: 'vrrp_priority' ignored: vrrpd does not set its own scheduling",
        "t.conf:10: warning: 'vrrp_no_swap' ignored: vrrpd does not lock its memory",
        "t.conf:11: warning: 'dynamic_interfaces' ignored: vrrpd follows interfaces",
        "t.conf:18: warning: 'smtp_alert' is not applicable to vrrpd (VRRP only); ignored",
        "t.conf:19: warning: 'debug' ignored: vrrpd's log detail is set with -D",
        "t.conf:20: warning: (VI_1) Cannot specify native_ipv6 with IPv4 addresses",
    ];
    assert_eq!(w.len(), expect.len(), "{w:#?}");
    for (got, want) in w.iter().zip(expect) {
        assert!(got.starts_with(want), "{got}\n  should start with\n{want}");
    }
}

#[test]
fn state_forms_as_keepalived_reads_them() {
    let state = |extra: &str| {
        let (p, w) = planned(&conf("", extra));
        (p[0].router.initial_state(), w)
    };
    assert_eq!(state("  state MASTER").0, InitialState::Master);
    let (s, w) = state("  state master");
    assert_eq!(s, InitialState::Backup);
    assert_eq!(
        w,
        ["t.conf:8: warning: (VI_1) unknown state 'master', defaulting to BACKUP"]
    );
    let (s, w) = state("  state MASTER\n  state BACKUP");
    assert_eq!(s, InitialState::Master);
    assert_eq!(
        w,
        ["t.conf:9: warning: (VI_1) state previously set as MASTER - ignoring BACKUP"]
    );
}

#[test]
fn priority_state_and_preemption_as_keepalived_settles_them() {
    // `state MASTER` without `priority` is the address owner; priority 255 without `state`
    // is MASTER. (conf() writes `priority 150`: these texts are written out.)
    let text = |lines: &str| {
        format!(
            "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n{lines}\n  \
             virtual_ipaddress {{\n    192.0.2.100/24\n  }}\n}}\n"
        )
    };
    let (p, _) = planned(&text("  state MASTER"));
    assert_eq!(p[0].router.priority().0, 255);
    let (p, _) = planned(&text("  priority 255"));
    assert_eq!(p[0].router.initial_state(), InitialState::Master);
    let (p, _) = planned(&text("  state BACKUP"));
    assert_eq!(p[0].router.priority().0, 100);
    // nopreempt / preempt_delay that cannot work are cleared, with keepalived's words.
    let (p, w) = planned(&text("  priority 255\n  nopreempt"));
    assert!(p[0].router.preempt());
    assert_eq!(
        w,
        ["t.conf:1: warning: (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt"]
    );
    let (p, w) = planned(&text("  state BACKUP\n  nopreempt\n  preempt_delay 5"));
    assert!(!p[0].router.preempt());
    assert_eq!(p[0].router.preempt_delay(), Duration::ZERO);
    assert_eq!(
        w,
        ["t.conf:1: warning: (VI_1) preempt_delay is incompatible with nopreempt mode - resetting"]
    );
    let (p, w) = planned(&text("  state MASTER\n  priority 100\n  preempt_delay 5"));
    assert_eq!(p[0].router.preempt_delay(), Duration::ZERO);
    assert_eq!(
        w,
        ["t.conf:1: warning: (VI_1) Warning - preempt delay will not work with initial state MASTER - clearing"]
    );
}

#[test]
fn source_group_and_ttl() {
    // mcast_src_ip: the adverts' source, still multicast.
    let (p, w) = planned(&conf("", "  mcast_src_ip 192.0.2.7"));
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(p[0].router.primary(), ip("192.0.2.7"));
    assert!(p[0].unicast_peers.is_empty());
    assert_eq!(p[0].router.multicast_group(), ip("224.0.0.18"));
    // vrrp_mcast_group4, and mcast_dst_ip over it.
    let (p, _) = planned(&conf("  vrrp_mcast_group4 224.0.0.42", ""));
    assert_eq!(p[0].router.multicast_group(), ip("224.0.0.42"));
    let (p, _) = planned(&conf(
        "  vrrp_mcast_group4 224.0.0.42",
        "  mcast_dst_ip 224.0.0.43",
    ));
    assert_eq!(p[0].router.multicast_group(), ip("224.0.0.43"));
    // With unicast peers the group is not used (keepalived's warning), the TTL is.
    let unicast = "  unicast_src_ip 192.0.2.1\n  unicast_ttl 5\n  mcast_dst_ip 224.0.0.43\n  \
                   unicast_peer {\n    192.0.2.2 min_ttl 3 max_ttl 9\n    192.0.2.3\n  }";
    let (p, w) = planned(&conf("", unicast));
    assert_eq!(p[0].router.unicast_ttl(), 5);
    assert_eq!(p[0].unicast_peers, [ip("192.0.2.2"), ip("192.0.2.3")]);
    assert!(p[0].router.peer_ttl_accepts(ip("192.0.2.2"), 3));
    assert!(!p[0].router.peer_ttl_accepts(ip("192.0.2.2"), 10));
    assert!(p[0].router.peer_ttl_accepts(ip("192.0.2.3"), 1));
    assert_eq!(
        w,
        ["t.conf:4: warning: (VI_1) multicast destination specified with unicast - ignoring"]
    );
    // unicast_ttl without peers: not used, said so.
    let (p, w) = planned(&conf("", "  unicast_ttl 5"));
    assert_eq!(p[0].router.unicast_ttl(), 255);
    assert!(
        w[0].contains("unicast_ttl 5 ignored without unicast peers"),
        "{w:?}"
    );
    // min_ttl above max_ttl: keepalived's warning.
    let (_, w) = planned(&conf(
        "",
        "  unicast_peer {\n    192.0.2.2 min_ttl 9 max_ttl 3\n  }",
    ));
    assert_eq!(
        w,
        ["t.conf:9: warning: min_ttl 9 > max_ttl 3 - all packets will be discarded"]
    );
}

#[test]
fn bad_wire_values_are_refused_at_their_line() {
    for (global, extra, want) in [
        (
            "  vrrp_mcast_group4 192.0.2.9",
            "",
            "t.conf:2: 'vrrp_mcast_group4' must be an IPv4 multicast address, found '192.0.2.9'",
        ),
        (
            "  vrrp_mcast_group6 224.0.0.9",
            "",
            "t.conf:2: 'vrrp_mcast_group6' must be an IPv6 multicast address",
        ),
        (
            "",
            "  mcast_dst_ip ff05::12",
            "t.conf:8: 'mcast_dst_ip' must be a multicast address (IPv6: link-local)",
        ),
        (
            "",
            "  unicast_ttl 0",
            "t.conf:8: 'unicast_ttl' must be an integer from 1 to 255",
        ),
        (
            "",
            "  unicast_peer {\n    192.0.2.2 min_ttl\n  }",
            "t.conf:9: unicast_peer 192.0.2.2: 'min_ttl' is missing a value",
        ),
        (
            "",
            "  unicast_peer {\n    192.0.2.2 ttl 3\n  }",
            "t.conf:9: unicast_peer 192.0.2.2: unknown option 'ttl'",
        ),
    ] {
        let e = refused(&conf(global, extra));
        assert!(e.starts_with(want), "{e}\n  should start with\n{want}");
    }
}

#[test]
fn advert_and_garp_options_with_keepalived_defaults() {
    let (p, w) = planned(&conf("", ""));
    assert!(w.is_empty(), "{w:?}");
    let r = &p[0].router;
    assert!(!r.higher_prio_send_advert());
    // keepalived: vrrp_garp_lower_prio_repeat / _delay default to the master burst's.
    assert_eq!(r.garp_lower_prio(), (5, Some(Duration::from_secs(5))));
    let (p, _) = planned(&conf(
        "  vrrp_higher_prio_send_advert\n  vrrp_garp_lower_prio_repeat 2\n  \
         vrrp_garp_lower_prio_delay 0",
        "",
    ));
    assert!(p[0].router.higher_prio_send_advert());
    assert_eq!(p[0].router.garp_lower_prio(), (2, None));
    let (p, _) = planned(&conf(
        "  vrrp_higher_prio_send_advert",
        "  higher_prio_send_advert false\n  garp_lower_prio_repeat 0",
    ));
    assert!(!p[0].router.higher_prio_send_advert());
    assert_eq!(p[0].router.garp_lower_prio().0, 0);
    let (p, _) = planned(&conf("  vrrp_skip_check_adv_addr", ""));
    assert!(p[0].router.skip_check_adv_addr());
    let (p, w) = planned(&conf("", "  skip_check_adv_addr\n  check_unicast_src"));
    assert!(p[0].router.skip_check_adv_addr());
    assert!(w.is_empty(), "{w:?}");
    let (p, _) = planned(&conf("", ""));
    assert!(!p[0].router.skip_check_adv_addr());
    // down_timer_adverts: Master_Down_Interval = N × interval + Skew_Time (v2, priority 150:
    // (256 - 150) / 256 s).
    let (p, _) = planned(&conf("  vrrp_down_timer_adverts 5", ""));
    assert_eq!(p[0].router.down_timer_adverts(), 5);
    let r = vrrp_fsm::Router::new(p[0].router.clone(), vrrp_fsm::Instant::from_micros(0));
    assert_eq!(r.skew_time(), Duration::from_micros(414_062));
    assert_eq!(
        r.master_down_interval(),
        Duration::from_secs(5) + r.skew_time()
    );
    let (p, _) = planned(&conf(
        "  vrrp_down_timer_adverts 5",
        "  down_timer_adverts 1",
    ));
    let r = vrrp_fsm::Router::new(p[0].router.clone(), vrrp_fsm::Instant::from_micros(0));
    assert_eq!(
        r.master_down_interval(),
        Duration::from_secs(1) + r.skew_time()
    );
    let (p, w) = planned(&conf(
        "  vrrp_strict",
        "  version 3\n  accept\n  down_timer_adverts 2",
    ));
    assert_eq!(p[0].router.down_timer_adverts(), 3);
    assert!(
        w.iter()
            .any(|w| w.contains("down_timer_adverts is incompatible with strict mode")),
        "{w:?}"
    );
    let (p, _) = planned(&conf("  vrrp_min_garp", ""));
    assert_eq!(p[0].router.garp_master_repeat(), 1);
    assert_eq!(p[0].router.garp_master_delay(), None);
    let (_, w) = planned(&conf(
        "  vrrp_garp_interval 0.001\n  vrrp_gna_interval 1.5",
        "",
    ));
    assert_eq!(
        w,
        ["t.conf:3: warning: The vrrp_gna_interval is very large - 1.5 seconds"]
    );
}

#[test]
fn strict_mode_checks_as_keepalived() {
    let extra = "  version 3\n  accept\n  state MASTER\n  preempt_delay 5\n  \
                 higher_prio_send_advert\n  garp_lower_prio_repeat 3\n  authentication {\n    \
                 auth_type PASS\n    auth_pass secret\n  }";
    let (p, w) = planned(&conf("  vrrp_strict", extra));
    let r = &p[0].router;
    assert!(r.strict());
    assert_eq!(r.initial_state(), InitialState::Backup, "not the owner");
    assert_eq!(r.auth(), Auth::None);
    assert_eq!(r.preempt_delay(), Duration::ZERO);
    assert!(r.lower_prio_no_advert());
    assert!(!r.higher_prio_send_advert());
    assert_eq!(r.garp_lower_prio(), (0, None));
    assert!(r.accept_mode(), "VRRPv3 keeps `accept` under strict mode");
    let expect = [
        "(VI_1) State MASTER must match being address owner",
        "(VI_1) Strict mode does not support authentication. Ignoring.",
        "(VI_1) preempt_delay is incompatible with strict mode - resetting",
    ];
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    for want in expect {
        assert!(w.iter().any(|g| g.contains(want)), "{want} not in {w:#?}");
    }
    assert!(
        w.iter()
            .any(|g| g.contains("strict mode requires higher_prio_send_advert")),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|g| g.contains("Strict mode requires no repeat garps")),
        "{w:#?}"
    );
    // Accept mode off (strict mode without `accept`, strict VRRPv2, `no_accept`) with
    // VIPs: keepalived drops their traffic with nftables rules, vrrpd installs none and
    // refuses, saying why and what to write.
    // At the line that turned accept mode off (2: vrrp_strict, 8: the instance's line).
    for (global, extra, why, line) in [
        ("", "  strict_mode", "strict mode with VRRPv2", 8),
        (
            "  vrrp_strict",
            "  version 3",
            "strict mode without accept",
            2,
        ),
        ("  vrrp_strict", "", "strict mode with VRRPv2", 2),
        ("  vrrp_strict", "  accept", "strict mode with VRRPv2", 2),
        ("", "  no_accept", "no_accept", 8),
    ] {
        let e = refused(&conf(global, extra));
        assert!(
            e.starts_with(&format!("t.conf:{line}: "))
                && e.contains(&format!("(VI_1) accept mode is off ({why})"))
                && e.contains("Write `accept`"),
            "{global} {extra}: {e}"
        );
    }
    // Not strict by default; `strict_mode` in the instance turns it on for that one only.
    let (p, w) = planned(&conf("", "  strict_mode\n  version 3\n  accept"));
    assert!(p[0].router.strict());
    assert!(w.is_empty(), "{w:?}");
    let (p, w) = planned(&conf("  vrrp_strict", "  strict_mode off"));
    assert!(!p[0].router.strict());
    assert!(w.is_empty(), "{w:?}");
    // Unicast peers: refused under strict mode.
    let e = refused(&conf(
        "  vrrp_strict",
        "  version 3\n  accept\n  unicast_peer {\n    192.0.2.2\n  }",
    ));
    assert!(
        e.ends_with("(VI_1) Unicast peers are not supported in strict mode"),
        "{e}"
    );
    // `accept` under strict VRRPv2 is reset with keepalived's warning, then refused (above).
    // The address owner keeps accept mode, and MASTER.
    let (p, _) = planned(&conf("  vrrp_strict", "  priority 255"));
    assert!(p[0].router.accept_mode());
}
