//! Scenario tests named after the RFC 3768 / RFC 9568 clauses they prove.

mod common;

use common::*;
use std::time::Duration;
use vrrp_fsm::{Discard, InitialState, Output, Reason, State, Track};
use vrrp_proto::{Addresses, Auth, Centiseconds, Priority, Seconds, Version, VersionFields};

#[test]
fn rfc9568_6_4_1_owner_becomes_master_at_startup() {
    let mut r = vrrp_fsm::Router::new(base(1, 255).build().unwrap(), at(0));
    r.handle_startup(at(0));
    let out = drain(&mut r);
    assert_eq!(r.state(), State::Master);
    assert_eq!(
        out,
        vec![
            Output::StateChange {
                from: State::Initialize,
                to: State::Master,
                reason: Reason::Owner
            },
            Output::AddVip(VIP.into()),
            Output::SendAdvert {
                priority: Priority(255)
            },
            Output::Announce {
                addr: VIP.into(),
                count: 5
            },
        ]
    );
    assert_eq!(r.poll_timeout(), Some(at(1000)));
}

#[test]
fn rfc9568_6_4_1_backup_becomes_master_after_master_down_interval() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    assert_eq!(r.state(), State::Backup);
    // v3, 100 cs: MDI = 3 s + (156 * 1 s) / 256 = 3.609375 s.
    let mdi = Duration::from_micros(3_609_375);
    assert_eq!(r.master_down_interval(), mdi);
    assert_eq!(r.poll_timeout(), Some(at(0) + mdi));
    r.handle_timeout(at(0) + mdi - Duration::from_micros(1));
    assert_eq!(r.state(), State::Backup, "must not take over early");
    r.handle_timeout(at(0) + mdi);
    assert_eq!(r.state(), State::Master);
    assert_eq!(r.counters().master_transitions, 1);
}

#[test]
fn rfc3768_6_1_v2_skew_and_master_down_interval() {
    let r = started(base(1, 200).version(Version::V2).build().unwrap(), at(0));
    // Skew = (256 - 200) / 256 s = 218.75 ms; MDI = 3 * 1 s + skew.
    assert_eq!(r.skew_time(), Duration::from_micros(218_750));
    assert_eq!(r.master_down_interval(), Duration::from_micros(3_218_750));
}

#[test]
fn rfc9568_6_4_2_backup_learns_master_adver_interval() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    assert_eq!(r.handle_advert(at(500), addr(2), &v3(200, 50)), Ok(()));
    assert_eq!(r.master_adver_interval(), ms(500));
    // MDI = 3 * 0.5 s + (156 * 0.5 s) / 256 = 1.5 s + 304.6875 ms.
    assert_eq!(
        r.poll_timeout(),
        Some(at(500) + ms(1500) + Duration::from_micros(304_687))
    );
    assert_eq!(
        r.counters().interval_errors,
        0,
        "v3 does not drop on mismatch"
    );
}

#[test]
fn rfc3768_7_1_v2_interval_mismatch_dropped_and_counted() {
    let mut r = started(base(1, 100).version(Version::V2).build().unwrap(), at(0));
    let before = r.poll_timeout();
    let adv = vrrp_proto::Advertisement {
        fields: VersionFields::V2 {
            interval: Seconds(2),
            auth: Auth::None,
        },
        ..v3(200, 100)
    };
    assert_eq!(
        r.handle_advert(at(100), addr(2), &adv),
        Err(Discard::IntervalMismatch)
    );
    assert_eq!(r.counters().interval_errors, 1);
    assert_eq!(
        r.poll_timeout(),
        before,
        "timer not reset by a dropped advert"
    );
}

#[test]
fn rfc3768_7_1_v2_auth_failure_counted_and_dropped() {
    let mut r = started(
        base(1, 100)
            .version(Version::V2)
            .auth(Auth::password(b"secret"))
            .build()
            .unwrap(),
        at(0),
    );
    let mut adv = v3(200, 100);
    adv.fields = VersionFields::V2 {
        interval: Seconds(1),
        auth: Auth::password(b"wrong"),
    };
    assert!(matches!(
        r.handle_advert(at(1), addr(2), &adv),
        Err(Discard::Auth(_))
    ));
    assert_eq!(r.counters().auth_failures, 1);
    adv.fields = VersionFields::V2 {
        interval: Seconds(1),
        auth: Auth::password(b"secret"),
    };
    assert_eq!(r.handle_advert(at(2), addr(2), &adv), Ok(()));
}

#[test]
fn rfc9568_6_4_2_priority_zero_sets_timer_to_skew_time() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    r.handle_advert(at(1000), addr(2), &v3(200, 100)).unwrap();
    r.handle_advert(at(1500), addr(2), &v3(0, 100)).unwrap();
    assert_eq!(r.counters().priority_zero_rcvd, 1);
    assert_eq!(r.poll_timeout(), Some(at(1500) + r.skew_time()));
    let skew = r.skew_time();
    let outs = run(&mut r, at(1500) + skew);
    assert_eq!(r.state(), State::Master);
    assert_eq!(outs[0].0, at(1500) + Duration::from_micros(609_375));
}

#[test]
fn rfc9568_6_4_2_preempting_backup_discards_lower_priority() {
    let mut r = started(base(1, 150).build().unwrap(), at(0));
    let before = r.poll_timeout();
    assert_eq!(
        r.handle_advert(at(100), addr(2), &v3(100, 100)),
        Err(Discard::LowerPriority)
    );
    assert_eq!(r.poll_timeout(), before);
}

#[test]
fn rfc9568_6_4_3_master_steps_down_on_higher_priority() {
    let r = started(base(1, 255).build().unwrap(), at(0));
    let mut r2 = started(base(1, 100).build().unwrap(), at(0));
    run(&mut r2, at(4000));
    assert_eq!(r2.state(), State::Master);
    r2.handle_advert(at(4100), addr(9), &v3(200, 200)).unwrap();
    let out = drain(&mut r2);
    assert_eq!(r2.state(), State::Backup);
    assert!(out.contains(&Output::RemoveVip(VIP.into())));
    assert!(out.contains(&Output::StateChange {
        from: State::Master,
        to: State::Backup,
        reason: Reason::HigherPriority
    }));
    // Learned the 2 s interval: MDI = 6 s + (156 * 2 s) / 256.
    assert_eq!(
        r2.poll_timeout(),
        Some(at(4100) + ms(6000) + Duration::from_micros(1_218_750))
    );
    assert_eq!(r.state(), State::Master);
}

#[test]
fn rfc9568_6_4_3_equal_priority_tie_broken_by_higher_address() {
    let mut lo = started(base(1, 100).build().unwrap(), at(0));
    run(&mut lo, at(4000));
    assert_eq!(lo.state(), State::Master);
    lo.handle_advert(at(4001), addr(2), &v3(100, 100)).unwrap();
    assert_eq!(lo.state(), State::Backup, "192.0.2.2 > 192.0.2.1 wins");

    let mut hi = started(base(3, 100).build().unwrap(), at(0));
    run(&mut hi, at(4000));
    drain(&mut hi);
    assert_eq!(
        hi.handle_advert(at(4001), addr(2), &v3(100, 100)),
        Err(Discard::LowerPriority)
    );
    assert_eq!(hi.state(), State::Master, "192.0.2.3 keeps mastership");
}

#[test]
fn rfc9568_6_4_3_master_answers_priority_zero_at_once() {
    let mut r = started(base(1, 255).build().unwrap(), at(0));
    r.handle_advert(at(300), addr(2), &v3(0, 100)).unwrap();
    assert_eq!(
        drain(&mut r),
        vec![Output::SendAdvert {
            priority: Priority(255)
        }]
    );
    assert_eq!(r.poll_timeout(), Some(at(1300)));
}

#[test]
fn rfc9568_6_4_3_shutdown_sends_priority_zero_and_removes_vips() {
    let mut r = started(base(1, 255).build().unwrap(), at(0));
    r.handle_shutdown(at(10));
    let out = drain(&mut r);
    assert_eq!(
        out[..2],
        [
            Output::SendAdvert {
                priority: Priority::SHUTDOWN
            },
            Output::RemoveVip(VIP.into())
        ]
    );
    assert_eq!(r.state(), State::Initialize);
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.counters().priority_zero_sent, 1);
}

#[test]
fn rfc9568_7_1_packet_in_initialize_ignored_and_counted() {
    let mut r = vrrp_fsm::Router::new(base(1, 100).build().unwrap(), at(0));
    assert_eq!(
        r.handle_advert(at(0), addr(2), &v3(200, 100)),
        Err(Discard::NotRunning)
    );
    assert_eq!(r.counters().rcvd_while_down, 1);
    assert_eq!(r.state(), State::Initialize);
    assert!(drain(&mut r).is_empty());
}

#[test]
fn rfc9568_7_1_other_vrid_and_own_advert_discarded() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    let mut adv = v3(200, 100);
    adv.vrid = vrrp_proto::Vrid::new(52).unwrap();
    assert_eq!(r.handle_advert(at(1), addr(2), &adv), Err(Discard::NotMine));
    assert_eq!(
        r.handle_advert(at(1), addr(1), &v3(200, 100)),
        Err(Discard::OwnAdvert)
    );
    assert_eq!(r.counters().adverts_rcvd, 0);
}

#[test]
fn rfc9568_7_1_address_list_mismatch_counted_not_dropped() {
    static OTHER: [std::net::Ipv4Addr; 1] = [std::net::Ipv4Addr::new(192, 0, 2, 200)];
    let mut adv = v3(200, 100);
    adv.addresses = Addresses::V4(&OTHER);
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    assert_eq!(r.handle_advert(at(1), addr(2), &adv), Ok(()));
    assert_eq!(r.counters().address_list_errors, 1);
    let mut strict = started(base(1, 100).strict(true).build().unwrap(), at(0));
    assert_eq!(
        strict.handle_advert(at(1), addr(2), &adv),
        Err(Discard::AddressList)
    );
}

#[test]
fn rfc9568_6_1_accept_mode_only_while_master() {
    let mut r = started(base(1, 100).accept_mode(true).build().unwrap(), at(0));
    assert!(!r.accepts_vip_traffic());
    run(&mut r, at(4000));
    assert!(r.accepts_vip_traffic());
    let off = started(base(1, 100).build().unwrap(), at(0));
    assert!(!off.accepts_vip_traffic());
    let owner = started(base(1, 255).build().unwrap(), at(0));
    assert!(
        owner.accepts_vip_traffic(),
        "RFC 9568 §6.4.3: owner always accepts"
    );
}

#[test]
fn advert_is_built_from_current_state_not_cached() {
    let cfg = base(1, 200).track(Track::new(-50)).build().unwrap();
    let mut r = started(cfg, at(0));
    run(&mut r, at(4000));
    r.handle_track(at(4100), 0, false);
    let outs = run(&mut r, at(5000));
    assert!(outs.contains(&(
        at(4218) + Duration::from_micros(750),
        Output::SendAdvert {
            priority: Priority(150)
        }
    )));
    assert_eq!(r.advert(r.priority()).priority, Priority(150));
    // Reconfigure adds a VIP: the next advert carries it.
    let cfg2 = vrrp_fsm::Config::builder(
        vrid(),
        addr(1),
        vrrp_fsm::Vips::V4(vec![VIP, std::net::Ipv4Addr::new(192, 0, 2, 101)]),
    )
    .priority(Priority(200))
    .build()
    .unwrap();
    r.handle_reconfigure(at(5100), cfg2).unwrap();
    assert_eq!(r.advert(r.priority()).addresses.len(), 2);
    assert!(drain(&mut r).contains(&Output::AddVip("192.0.2.101".parse().unwrap())));
}

#[test]
fn spurious_timeout_is_harmless() {
    let mut r = started(base(1, 100).build().unwrap(), at(0));
    for t in [0, 1, 1000, 3000] {
        r.handle_timeout(at(t));
    }
    assert_eq!(r.state(), State::Backup);
    assert!(drain(&mut r).is_empty());
    let mut m = started(base(1, 255).build().unwrap(), at(0));
    m.handle_timeout(at(500));
    assert!(drain(&mut m).is_empty(), "no advert before Adver_Timer");
}

#[test]
fn v3_interval_stays_centiseconds_at_max() {
    let r = started(
        base(1, 1)
            .advert_interval(Centiseconds::MAX)
            .initial_state(InitialState::Backup)
            .build()
            .unwrap(),
        at(0),
    );
    // 40.95 s * 3 + 255/256 * 40.95 s.
    assert_eq!(
        r.master_down_interval(),
        Duration::from_micros(122_850_000 + 40_950_000 * 255 / 256)
    );
}
