//! Every keepalived.conf from the users' documents (../shared/seeds, copied verbatim into
//! tests/seeds/): the well-formed ones are accepted as they are, the damaged ones and the
//! placeholder templates are refused with an error naming file and line.

use std::path::{Path, PathBuf};
use vrrp_proto::Auth;
use vrrpd::config::{self, InitialState};

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/seeds")
        .join(name)
}

fn good(name: &str) -> config::Built {
    match config::load(&seed(name)) {
        Ok(b) => b,
        Err(e) => panic!("{name} must be accepted, got: {e}"),
    }
}

/// The error for a bad seed, checked to name the file and the expected line.
fn bad(name: &str, line: usize, contains: &str) {
    let err = match config::load(&seed(name)) {
        Ok(_) => panic!("{name} must be refused"),
        Err(e) => e,
    };
    let text = err.to_string();
    let expected_prefix = format!("{}:{line}: ", seed(name).display());
    assert!(
        text.starts_with(&expected_prefix),
        "{name}: got '{text}', want prefix '{expected_prefix}'"
    );
    assert!(
        text.contains(contains),
        "{name}: '{text}' should mention '{contains}'"
    );
}

#[test]
fn every_seed_file_is_classified() {
    let dir = seed("");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name.ends_with(".good.conf") || name.ends_with(".bad.conf"),
            "{name}"
        );
        let loaded = config::load(&dir.join(&name));
        assert_eq!(
            loaded.is_ok(),
            name.ends_with(".good.conf"),
            "{name}: {:?}",
            loaded.err()
        );
        n += 1;
    }
    assert!(n >= 15, "expected the 15 seed configs, found {n}");
}

#[test]
fn seed_000_unicast_nopreempt_equal_priority() {
    for (name, src, peer) in [
        ("000-primary.good.conf", "172.16.16.5", "172.16.16.6"),
        ("000-secondary.good.conf", "172.16.16.6", "172.16.16.5"),
    ] {
        let b = good(name);
        let c = &b.config;
        assert_eq!(c.global.router_id.as_deref(), Some("LVS_DEVEL"));
        assert!(c.global.skip_check_adv_addr);
        assert_eq!(c.scripts.len(), 1);
        assert_eq!(c.scripts[0].name, "checkhaproxy");
        assert_eq!(c.scripts[0].script, "/etc/keepalived/do_sth.sh");
        assert_eq!(c.scripts[0].interval.as_secs(), 5);
        let i = &c.instances[0];
        assert_eq!(i.name, "VI_1");
        assert_eq!(i.router.initial_state(), InitialState::Backup);
        assert_eq!(i.interface, "eth0");
        assert_eq!(i.router.vrid().get(), 51);
        assert!(!i.router.preempt());
        assert_eq!(i.router.priority().0, 100);
        assert_eq!(i.router.advert_interval().as_secs(), 5);
        assert_eq!(i.router.auth(), Auth::password(b"1111"));
        assert_eq!(i.unicast_src_ip, Some(src.parse().unwrap()));
        assert_eq!(
            i.unicast_peers,
            vec![peer.parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(i.vips.len(), 1);
        assert_eq!(
            i.vips[0].addr,
            "172.16.16.12".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(i.vips[0].prefix, 32);
        assert_eq!(
            i.notify.master.as_deref().map(|l| l.command.as_str()),
            Some("/etc/keepalived/notify_action.sh MASTER")
        );
        assert_eq!(
            i.notify.stop.as_deref().map(|l| l.command.as_str()),
            Some("/etc/keepalived/notify_action.sh STOP")
        );
        assert_eq!(i.router.garp_master_delay().map(|d| d.as_secs()), Some(1));
        assert_eq!(i.router.garp_master_refresh().map(|d| d.as_secs()), Some(5));
        assert_eq!(i.track_interfaces[0].name, "eth0");
        assert_eq!(i.script_tracks[0].script, "checkhaproxy");
        // Email settings mean nothing to vrrpd: each is warned about at its line, never
        // dropped in silence; nothing else is warned about.
        let w: Vec<(usize, &str)> = b
            .warnings
            .iter()
            .map(|w| (w.loc.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (
                    3,
                    "'notification_email' is not applicable to vrrpd (VRRP only); ignored"
                ),
                (
                    8,
                    "'notification_email_from' is not applicable to vrrpd (VRRP only); ignored"
                ),
                (
                    9,
                    "'smtp_server' is not applicable to vrrpd (VRRP only); ignored"
                ),
                (
                    10,
                    "'smtp_connect_timeout' is not applicable to vrrpd (VRRP only); ignored"
                ),
            ]
        );
    }
}

#[test]
fn seed_001_unicast_without_src_and_sync_group() {
    let i = &good("001-unicast.good.conf").config.instances[0];
    assert_eq!(i.unicast_src_ip, None);
    assert_eq!(
        i.unicast_peers,
        vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(i.vips[0].addr.to_string(), "10.100.0.27");
    // The sync-group snippet names an instance defined elsewhere: keepalived warns and goes on.
    let b = good("001-sync-group.good.conf");
    assert_eq!(b.config.sync_groups[0].name, "G1");
    assert_eq!(
        b.config.sync_groups[0]
            .notify
            .master
            .as_deref()
            .map(|l| l.command.as_str()),
        Some("/etc/keepalived/vip.py")
    );
    assert_eq!(b.warnings.len(), 1);
    assert!(b.warnings[0]
        .to_string()
        .contains("001-sync-group.good.conf:3: warning"));
}

#[test]
fn seed_003_and_004_instances() {
    let i = &good("003-secondary.good.conf").config.instances[0];
    assert_eq!((i.router.priority().0, i.router.preempt()), (80, false));
    let m = &good("004-master.good.conf").config.instances[0];
    assert_eq!(
        (m.router.initial_state(), m.router.priority().0),
        (InitialState::Master, 100)
    );
    assert_eq!(m.router.auth(), Auth::password(b"tan124"));
    let b = &good("004-backup.good.conf").config.instances[0];
    assert_eq!(
        (b.router.initial_state(), b.router.priority().0),
        (InitialState::Backup, 99)
    );
    let n = &good("004-notify.good.conf").config.instances[0];
    assert_eq!(n.vips[0].dev.as_deref(), Some("eth0"));
    assert_eq!(
        n.notify.generic.as_deref().map(|l| l.command.as_str()),
        Some("/usr/local/bin/keepalivednotify.sh")
    );
    let elk = good("004-elk.good.conf").config;
    assert_eq!(
        (
            elk.scripts[0].fall,
            elk.scripts[0].rise,
            elk.scripts[0].weight
        ),
        (2, 2, 0)
    );
    assert!(!elk.instances[0].router.preempt());
    assert_eq!(elk.instances[0].script_tracks[0].script, "chk_service");
}

#[test]
fn seed_004_lvs_block_is_skipped_with_a_warning() {
    let b = good("004-lvs.good.conf");
    assert!(b.config.instances.is_empty());
    assert_eq!(b.warnings.len(), 1);
    let w = b.warnings[0].to_string();
    assert!(
        w.contains("004-lvs.good.conf:1: warning") && w.contains("virtual_server"),
        "{w}"
    );
}

#[test]
fn damaged_seeds_are_refused_naming_file_and_line() {
    // The attachment lost "global_defs {" to page scraping: line 6 closes nothing.
    bad("001-attachment.bad.conf", 6, "closes no open block");
    // Every closing brace is gone: the innermost open block (track_interface, line 36) is
    // the one reported at end of file.
    bad(
        "002-damaged.bad.conf",
        36,
        "'track_interface' opened here is never closed",
    );
    // Templates with placeholders.
    bad("004-script-template.bad.conf", 3, "interval");
    bad(
        "004-track-interface-template.bad.conf",
        1,
        "virtual_router_id",
    );
}
