//! Config validation gives typed errors; counters route vrrp-proto errors; IPv6 v3 works.

mod common;

use common::*;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;
use vrrp_fsm::{Config, ConfigError, GlobalCounters, RouterCounters, State, Track, Vips};
use vrrp_proto::{
    Addresses, Advertisement, Centiseconds, Error, Priority, Version, VersionFields, Vrid,
};

#[test]
fn config_rejects_each_invalid_setting_with_its_own_error() {
    let e = |b: vrrp_fsm::ConfigBuilder| b.build().unwrap_err();
    assert_eq!(e(base(1, 0)), ConfigError::PriorityZero);
    assert_eq!(
        e(base(1, 100).advert_interval(Centiseconds::new(0).unwrap())),
        ConfigError::IntervalZero
    );
    assert_eq!(
        e(base(1, 100)
            .version(Version::V2)
            .advert_interval(Centiseconds::new(150).unwrap())),
        ConfigError::V2IntervalNotSeconds
    );
    assert_eq!(
        e(Config::builder(vrid(), addr(1), Vips::V4(vec![]))),
        ConfigError::AddressCount(0)
    );
    let v6 = Vips::V6(vec!["2001:db8::1".parse().unwrap()]);
    assert_eq!(
        e(Config::builder(vrid(), addr(1), v6.clone())),
        ConfigError::FamilyMismatch
    );
    let me6: IpAddr = "2001:db8::2".parse().unwrap();
    assert_eq!(
        e(Config::builder(vrid(), me6, v6).version(Version::V2)),
        ConfigError::V2OverIpv6
    );
    assert_eq!(
        e(base(1, 100).preempt_delay(Duration::from_secs(1001))),
        ConfigError::PreemptDelayTooLong
    );
    assert_eq!(
        e(base(1, 100).track(Track::new(255))),
        ConfigError::WeightRange(255)
    );
    assert_eq!(
        e(base(1, 100).garp_master_repeat(0)),
        ConfigError::GarpRepeat(0)
    );
    assert_eq!(
        e(base(1, 100).garp_master_repeat(1001)),
        ConfigError::GarpRepeat(1001)
    );
    assert_eq!(
        e(base(1, 100).garp_master_refresh_repeat(0)),
        ConfigError::GarpRepeat(0)
    );
    assert!(base(1, 100).build().is_ok());
}

#[test]
fn v3_refuses_auth_and_set_primary_keeps_the_family() {
    let auth = vrrp_proto::Auth::password(b"secret");
    assert_eq!(
        base(1, 100).auth(auth).build().unwrap_err(),
        ConfigError::V3Auth
    );
    assert!(base(1, 100).version(Version::V2).auth(auth).build().is_ok());
    let mut c = base(1, 100).build().unwrap();
    let me6: IpAddr = "2001:db8::2".parse().unwrap();
    assert_eq!(c.set_primary(me6), Err(ConfigError::FamilyMismatch));
    assert_eq!(c.primary(), addr(1), "a refused address changes nothing");
    c.set_primary(addr(7)).unwrap();
    assert_eq!(c.primary(), addr(7));
}

#[test]
fn reconfigure_refuses_identity_change() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    let other = Config::builder(Vrid::new(9).unwrap(), addr(1), Vips::V4(vec![VIP]))
        .build()
        .unwrap();
    assert_eq!(
        r.handle_reconfigure(at(1), other),
        Err(ConfigError::IdentityChanged)
    );
    let v2 = base(1, 100).version(Version::V2).build().unwrap();
    assert_eq!(
        r.handle_reconfigure(at(1), v2),
        Err(ConfigError::IdentityChanged)
    );
}

#[test]
fn proto_errors_land_in_their_rfc_counters() {
    let mut g = GlobalCounters::default();
    let mut rc = RouterCounters::default();
    g.count(&Error::Checksum, Some(&mut rc));
    g.count(&Error::TtlNot255(64), Some(&mut rc));
    g.count(&Error::AuthFailure, Some(&mut rc));
    g.count(&Error::IntervalZero, Some(&mut rc));
    assert_eq!((g.checksum_errors, g.ip_ttl_errors), (1, 1));
    assert_eq!((rc.auth_failures, rc.interval_errors), (1, 1));
    assert_eq!(rc.get(vrrp_proto::RouterCounter::AuthFailures), 1);
    assert_eq!(rc.get(vrrp_proto::RouterCounter::AdvertisementRcvd), 0);
}

#[test]
fn rfc9568_ipv6_backup_learns_interval_and_yields() {
    static V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)];
    let me: IpAddr = "fe80::1".parse().unwrap();
    let peer: IpAddr = "fe80::2".parse().unwrap();
    let cfg = Config::builder(vrid(), me, Vips::V6(V6.to_vec()))
        .priority(Priority(100))
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    let adv = Advertisement {
        vrid: vrid(),
        priority: Priority(100),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(20).unwrap(),
        },
        addresses: Addresses::V6(&V6),
    };
    // Equal priority: a Backup accepts it (RFC 9568 §6.4.2 ">=").
    assert_eq!(r.handle_advert(at(10), peer, &adv), Ok(()));
    assert_eq!(r.master_adver_interval(), ms(200));
    run(&mut r, at(600));
    assert_eq!(r.state(), State::Backup);
    run(&mut r, at(10_000));
    assert_eq!(r.state(), State::Master, "master silent: takeover");
    // As master, fe80::2 at equal priority beats fe80::1.
    assert_eq!(r.handle_advert(at(10_100), peer, &adv), Ok(()));
    assert_eq!(r.state(), State::Backup);
}
