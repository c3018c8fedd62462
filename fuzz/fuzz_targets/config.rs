//! keepalived.conf reader (`vrrpd::config::parse`) on two inputs per run: the raw bytes
//! (lossy UTF-8; the seed corpus is real keepalived.conf files) and a keepalived.conf-shaped
//! text generated from the same bytes by a small grammar that picks keywords from
//! `vrrpd/src/config/build.rs` (so libFuzzer needs no `-dict`: CI passes none).
//!
//! Invariants:
//! - never panics;
//! - every error and every warning is `NAME:LINE: ...` with LINE in 1..=lines of the input
//!   (errors at end of input are reported at the line of the unclosed block, so no +1);
//! - warnings are in line order;
//! - on Ok, every instance: vrid 1..=255, priority 1..=255, an interface, at least one VIP,
//!   all VIPs of one family, prefixes within the family, version 2 or 3, a v2 instance is
//!   IPv4 with whole seconds 1..=255, a v3 one 10 ms..=40.95 s without authentication, no AH;
//!   unicast_src_ip only with peers; instance names unique; kept `track_script`s and sync-group members name something that
//!   exists; every script has a command and a positive interval;
//! - on Ok, `vrrpd::daemon::plan::plan` (given an interface address of the right family)
//!   either builds every instance's state-machine config or fails for a reason the config
//!   reader cannot know. Known findings C2-C4 (fuzz/README.md) are tolerated unless
//!   `VRRP_FUZZ_STRICT` names them.
//!
//! The configuration language is on (config id `fuzz`, so `@fuzz` lines are kept and other
//! `@ID` lines dropped; `$NAME` definitions, `~SEQ` / `~LST` with at most 10 000 lines made);
//! `include` would read the filesystem, so include lines are refused (an error at their line).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use vrrp_proto::{Auth, AuthType, Family, Version};
use vrrpd::config::{self, Config, LangOptions};

const NAME: &str = "fuzz.conf";

fuzz_target!(|data: &[u8]| {
    check(&String::from_utf8_lossy(data));
    let mut u = Unstructured::new(data);
    let mut text = String::new();
    // Running out of bytes ends the text early; what was generated is still checked.
    let _ = generate(&mut u, &mut text);
    if !text.is_empty() {
        check(&text);
    }
});

fn check(text: &str) {
    let lines = text.lines().count();
    let opts = LangOptions {
        config_id: "fuzz".into(),
        includes: false,
        max_made_lines: 10_000,
        ..LangOptions::default()
    };
    match config::parse_with(Path::new(NAME), text, &opts) {
        Err(e) => {
            check_line(&e.to_string(), e.loc.line, lines, "error");
            assert_eq!(e.loc.path(), Path::new(NAME));
        }
        Ok(built) => {
            let mut last = 0;
            for w in &built.warnings {
                check_line(&w.to_string(), w.loc.line, lines, "warning");
                assert_eq!(w.loc.path(), Path::new(NAME));
                assert!(w.loc.line >= last, "warnings out of line order");
                last = w.loc.line;
            }
            check_config(&built.config);
            check_plan(built.config);
        }
    }
}

fn check_line(shown: &str, line: usize, lines: usize, what: &str) {
    assert!(
        (1..=lines).contains(&line),
        "{what} at line {line} of a {lines}-line input: {shown}"
    );
    let prefix = format!("{NAME}:{line}: ");
    assert!(
        shown.starts_with(&prefix),
        "{what} does not start with {prefix:?}: {shown}"
    );
}

fn check_config(c: &Config) {
    assert!(matches!(c.global.vrrp_version, Version::V2 | Version::V3));
    for (n, i) in c.instances.iter().enumerate() {
        let r = &i.router;
        assert!((1..=255).contains(&r.vrid().get()), "vrid {}", r.vrid());
        assert!(r.priority().0 >= 1, "priority 0 accepted");
        assert!(!i.interface.is_empty());
        // keepalived runs a VIP-less instance under VRRPv2 outside strict mode only.
        assert!(
            !i.vips.is_empty() || (r.version() == Version::V2 && !r.strict()),
            "no VIPs accepted under VRRPv3 or strict mode"
        );
        assert_eq!(
            r.vips().len(),
            i.vips.len(),
            "VIPs lost on the way to the router"
        );
        let v4 = i
            .vips
            .first()
            .map_or(r.family() == Family::V4, |v| v.addr.is_ipv4());
        for v in &i.vips {
            assert_eq!(v.addr.is_ipv4(), v4, "mixed VIP families accepted");
            assert!(v.prefix <= if v.addr.is_ipv4() { 32 } else { 128 });
        }
        for v in &i.excluded_vips {
            assert!(v.prefix <= if v.addr.is_ipv4() { 32 } else { 128 });
        }
        let every = r.advert_interval();
        match r.version() {
            Version::V2 => {
                assert!(v4, "VRRPv2 over IPv6 accepted");
                assert_eq!(every.subsec_nanos(), 0);
                assert!((1..=255).contains(&every.as_secs()));
            }
            Version::V3 => {
                assert!(every >= Duration::from_millis(10));
                assert!(every <= Duration::from_millis(40_950));
                assert_eq!(r.auth(), Auth::None, "v3 with authentication accepted");
            }
        }
        assert_ne!(r.auth().auth_type(), AuthType::Ah);
        assert!(
            i.unicast_src_ip.is_none() || !i.unicast_peers.is_empty(),
            "unicast_src_ip without peers accepted"
        );
        assert!(
            c.instances[..n].iter().all(|o| o.name != i.name),
            "duplicate instance name {}",
            i.name
        );
        for t in &i.script_tracks {
            assert!(c.scripts.iter().any(|s| s.name == t.script));
        }
        for t in &i.track_interfaces {
            assert!(t.weight.is_none_or(|w| (-254..=254).contains(&w)));
        }
        for t in r.tracks() {
            assert!((-254..=254).contains(&t.weight));
        }
        assert_eq!(
            r.tracks().len(),
            i.track_interfaces.len()
                + i.script_tracks.len()
                + i.address_links.len()
                + i.process_tracks.len()
        );
        for t in &i.process_tracks {
            assert!(c.processes.iter().any(|p| p.name == t.process));
        }
    }
    for s in &c.scripts {
        assert!(!s.script.is_empty());
        assert!(!s.interval.is_zero());
        assert!((-254..=254).contains(&s.weight));
    }
    for g in &c.sync_groups {
        for (m, _) in &g.members {
            assert!(c.instances.iter().any(|i| &i.name == m));
        }
    }
}

/// Config accepted ⇒ the state-machine configs build (findings C2-C4, fixed in the reader,
/// were configs accepted here that failed there).
fn check_plan(mut c: Config) {
    let primary = |_: &str, f: Family| {
        Some(match f {
            Family::V4 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            Family::V6 => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
        })
    };
    let Err(e) = vrrpd::daemon::plan::plan(&mut c, primary) else {
        return;
    };
    panic!("config accepted but plan failed: {e}");
}

// ---- keepalived.conf-shaped text from bytes ---------------------------------------------

const TOP: &[&str] = &[
    "global_defs",
    "vrrp_script",
    "vrrp_instance",
    "vrrp_sync_group",
    "virtual_server",
    "static_ipaddress",
    "bfd_instance",
    "garp_group",
    "unknown_block",
];
const GLOBAL: &[&str] = &[
    "router_id",
    "vrrp_version",
    "vrrp_strict",
    "vrrp_skip_check_adv_addr",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_v3_checksum_as_v2",
    "v3_checksum_as_v2",
    "script_user",
    "enable_script_security",
    "notification_email",
    "smtp_server",
    "lvs_id",
    "vrrp_iptables",
    "max_auto_priority",
];
const SCRIPT: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "fall",
    "rise",
    "weight",
    "user",
    "init_fail",
];
const INSTANCE: &[&str] = &[
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "version",
    "nopreempt",
    "preempt",
    "preempt_delay",
    "authentication",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "unicast_src_ip",
    "unicast_peer",
    "track_interface",
    "track_script",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "notify_master_refresh",
    "use_vmac",
    "accept",
    "no_accept",
    "smtp_alert",
    "dont_track_primary",
    "native_ipv6",
    "debug",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "notify_master_rx_lower_pri",
];
const GROUP: &[&str] = &[
    "group",
    "notify_master",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
];
const AUTH: &[&str] = &["auth_type", "auth_pass"];
const NAMES: &[&str] = &["VI_1", "VI_2", "chk", "G1", "eth0", "lo", "x"];
const VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "41",
    "100",
    "254",
    "255",
    "256",
    "-1",
    "-254",
    "-255",
    "0.5",
    "0.001",
    "0.01",
    "40.95",
    "40.96",
    "1e3",
    "NaN",
    "inf",
    "MASTER",
    "BACKUP",
    "FAULT",
    "PASS",
    "AH",
    "secret",
    "reverse",
    "weight",
    "/bin/true",
    "root",
    "brd",
    "dev",
    "scope",
    "label",
    "host",
];
const ADDRS: &[&str] = &[
    "192.0.2.10",
    "192.0.2.11/24",
    "192.0.2.1",
    "10.0.0.1/33",
    "198.51.100.7/32",
    "2001:db8::10",
    "2001:db8::11/64",
    "fe80::1",
    "2001:db8::1/129",
    "::",
    "0.0.0.0",
    "300.1.1.1",
];

/// Text for up to a few top-level statements; errors mean "out of bytes", text so far kept.
fn generate(u: &mut Unstructured, out: &mut String) -> ArbResult<()> {
    let n = u.int_in_range(1..=6)?;
    for _ in 0..n {
        // The language: a definition, a conditional or a repetition before a statement.
        match u.int_in_range(0..=7)? {
            0 => out.push_str(&format!("$D{}={}\n", u.int_in_range(0..=2)?, u.choose(VALUES)?)),
            1 => out.push_str(if u.arbitrary()? { "@fuzz " } else { "@^fuzz " }),
            2 => out.push_str(&format!("~SEQ(D0, {}) ", u.choose(VALUES)?)),
            3 => out.push_str("~LST(D1, 1, ${D0}) "),
            _ => {}
        }
        let kw = *u.choose(TOP)?;
        let name = *u.choose(NAMES)?;
        out.push_str(&format!("{kw} {name}"));
        let body: &[&str] = match kw {
            "global_defs" => GLOBAL,
            "vrrp_script" => SCRIPT,
            "vrrp_instance" => INSTANCE,
            "vrrp_sync_group" => GROUP,
            _ => INSTANCE,
        };
        block(u, out, body, 1)?;
    }
    Ok(())
}

fn block(u: &mut Unstructured, out: &mut String, body: &[&str], depth: usize) -> ArbResult<()> {
    // Brace style: same line, next line, or (rarely) missing / doubled for the error paths.
    match u.int_in_range(0..=15)? {
        0 => out.push('\n'),
        1 => out.push_str("\n{\n"),
        2 => out.push_str(" { {\n"),
        _ => out.push_str(" {\n"),
    }
    let n = u.int_in_range(0..=10)?;
    for _ in 0..n {
        indent(out, depth);
        let kw = *u.choose(body)?;
        match kw {
            "virtual_ipaddress" | "virtual_ipaddress_excluded" | "unicast_peer" => {
                out.push_str(kw);
                list(u, out, depth, |u, out| {
                    out.push_str(u.choose(ADDRS)?);
                    for _ in 0..u.int_in_range(0..=2)? {
                        out.push(' ');
                        out.push_str(u.choose(VALUES)?);
                        out.push(' ');
                        let pool = if u.arbitrary()? { ADDRS } else { VALUES };
                        out.push_str(u.choose(pool)?);
                    }
                    Ok(())
                })?;
            }
            "track_interface" | "track_script" | "group" => {
                out.push_str(kw);
                list(u, out, depth, |u, out| {
                    out.push_str(u.choose(NAMES)?);
                    if u.ratio(1u8, 3u8)? {
                        out.push_str(" weight ");
                        out.push_str(u.choose(VALUES)?);
                    }
                    Ok(())
                })?;
            }
            "authentication" => {
                out.push_str(kw);
                block(u, out, AUTH, depth + 1)?;
            }
            _ => {
                out.push_str(kw);
                for _ in 0..u.int_in_range(0..=2)? {
                    out.push(' ');
                    word(u, out)?;
                }
                out.push('\n');
            }
        }
    }
    indent(out, depth - 1);
    if u.int_in_range(0..=31)? != 0 {
        out.push('}');
    }
    out.push('\n');
    Ok(())
}

fn list(
    u: &mut Unstructured,
    out: &mut String,
    depth: usize,
    mut line: impl FnMut(&mut Unstructured, &mut String) -> ArbResult<()>,
) -> ArbResult<()> {
    out.push_str(" {\n");
    for _ in 0..u.int_in_range(0..=4)? {
        indent(out, depth + 1);
        line(u, out)?;
        out.push('\n');
    }
    indent(out, depth);
    out.push_str("}\n");
    Ok(())
}

fn word(u: &mut Unstructured, out: &mut String) -> ArbResult<()> {
    match u.int_in_range(0..=9)? {
        0..=5 => out.push_str(u.choose(VALUES)?),
        6 => out.push_str(u.choose(ADDRS)?),
        7 => out.push_str(u.choose(NAMES)?),
        8 => {
            let q = *u.choose(VALUES)?;
            out.push_str(&format!("\"{q} {q}\""));
        }
        _ => {
            let n: u32 = u.arbitrary()?;
            out.push_str(&n.to_string());
        }
    }
    Ok(())
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("    ");
    }
}
