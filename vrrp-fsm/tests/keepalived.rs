//! Scenario tests named after the keepalived options they prove.

mod common;

use common::*;
use std::time::Duration;
use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{Event, InitialState, Output, Reason, Router, State, SyncGroup, Track};
use vrrp_proto::Priority;

#[test]
fn keepalived_nopreempt_equal_priority_both_backup() {
    let mut sim = Sim::new(SimConfig::default());
    let a = sim.add_router(base(1, 100).preempt(false).build().unwrap());
    let b = sim.add_router(base(2, 100).preempt(false).build().unwrap());
    sim.start(a);
    sim.start(b);
    sim.run_until(at(10_000));
    let first = sim.masters(vrid(), 0);
    assert_eq!(first.len(), 1);
    let m = first[0];
    let other = 1 - m;
    sim.kill(m);
    sim.run_until(at(20_000));
    assert_eq!(sim.masters(vrid(), 0), vec![other]);
    sim.start(m);
    sim.run_until(at(120_000));
    assert_eq!(sim.masters(vrid(), 0), vec![other], "VIP never moves back");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn keepalived_nopreempt_higher_priority_does_not_take_back() {
    let mut sim = Sim::new(SimConfig::default());
    let hi = sim.add_router(base(1, 200).preempt(false).build().unwrap());
    let lo = sim.add_router(base(2, 100).preempt(false).build().unwrap());
    sim.start(hi);
    sim.start(lo);
    sim.run_until(at(10_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    sim.kill(hi);
    sim.run_until(at(20_000));
    assert_eq!(sim.masters(vrid(), 0), vec![lo]);
    sim.start(hi);
    sim.run_until(at(60_000));
    assert_eq!(sim.masters(vrid(), 0), vec![lo]);
    assert_eq!(sim.router(hi).state(), State::Backup);
}

#[test]
fn keepalived_preempt_takes_back_without_nopreempt() {
    let mut sim = Sim::new(SimConfig::default());
    let hi = sim.add_router(base(1, 200).build().unwrap());
    let lo = sim.add_router(base(2, 100).build().unwrap());
    sim.start(lo);
    sim.run_until(at(10_000));
    assert_eq!(sim.masters(vrid(), 0), vec![lo]);
    sim.start(hi);
    sim.run_until(at(20_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
}

#[test]
fn keepalived_preempt_delay_holds_off_takeover() {
    let mut sim = Sim::new(SimConfig::default());
    let lo = sim.add_router(base(2, 100).build().unwrap());
    let hi = sim.add_router(base(1, 200).preempt_delay(ms(10_000)).build().unwrap());
    sim.start(lo);
    sim.run_until(at(10_000));
    sim.start(hi);
    sim.run_until(at(20_000));
    assert_eq!(
        sim.masters(vrid(), 0),
        vec![lo],
        "still inside preempt_delay"
    );
    sim.run_until(at(40_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    let took = sim
        .changes()
        .iter()
        .find(|c| c.id == hi && c.to == State::Master)
        .unwrap();
    // First lower-priority advert heard in (10 s, 11 s]; delay 10 s; then MDI.
    assert!(took.at >= at(20_000), "took over at {}", took.at);
    assert!(took.at <= at(21_000) + Duration::from_micros(3_218_750));
}

#[test]
fn keepalived_state_master_starts_like_backup() {
    // keepalived 2.2.7 with `state MASTER`, priority 100, advert_int 1, alone on a link
    // (measured in a namespace: first advert and VIP 3.64 s after start, as with BACKUP):
    // no advert at startup, Master after Master_Down_Interval.
    let cfg = base(1, 100)
        .initial_state(InitialState::Master)
        .build()
        .unwrap();
    let mut r = Router::new(cfg, at(0));
    r.handle_startup(at(0));
    let out = drain(&mut r);
    assert!(
        !out.iter().any(|o| matches!(o, Output::SendAdvert { .. })),
        "{out:?}"
    );
    assert_eq!(r.state(), State::Backup);
    assert_eq!(r.poll_timeout(), Some(at(0) + r.master_down_interval()));
    run(&mut r, at(3600));
    assert_eq!(
        r.state(),
        State::Backup,
        "not before Master_Down_Interval (3.609 s)"
    );
    run(&mut r, at(3610));
    assert_eq!(r.state(), State::Master);
}

#[test]
fn keepalived_state_master_yields_to_higher_priority() {
    let cfg = base(1, 100)
        .initial_state(InitialState::Master)
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    r.handle_advert(at(200), addr(2), &v3(200, 100)).unwrap();
    run(&mut r, at(3000));
    assert_eq!(r.state(), State::Backup);
}

#[test]
fn keepalived_track_script_without_weight_faults_and_recovers() {
    let cfg = base(1, 255).track(Track::new(0)).build().unwrap();
    let mut r = started(cfg, at(0));
    r.handle_track(at(100), 0, false);
    let out = drain(&mut r);
    assert_eq!(r.state(), State::Fault);
    assert_eq!(
        out[..2],
        [
            Output::SendAdvert {
                priority: Priority::SHUTDOWN
            },
            Output::RemoveVip(VIP.into())
        ]
    );
    assert_eq!(r.poll_timeout(), None);
    r.handle_track(at(200), 0, true);
    assert_eq!(r.state(), State::Master, "owner returns straight to master");

    let mut b = started(base(1, 100).track(Track::new(0)).build().unwrap(), at(0));
    b.handle_track(at(1), 0, false);
    assert_eq!(b.state(), State::Fault);
    b.handle_track(at(2), 0, true);
    assert_eq!(b.state(), State::Backup);
    assert!(drain(&mut b).contains(&Output::StateChange {
        from: State::Fault,
        to: State::Backup,
        reason: Reason::FaultCleared
    }));
}

#[test]
fn keepalived_track_interface_link_down_faults_without_advert() {
    let mut r = started(base(1, 255).build().unwrap(), at(0));
    r.handle_link(at(10), false);
    let out = drain(&mut r);
    assert_eq!(r.state(), State::Fault);
    assert!(!out.iter().any(|o| matches!(o, Output::SendAdvert { .. })));
    assert!(out.contains(&Output::RemoveVip(VIP.into())));
    assert_eq!(
        r.handle_advert(at(20), addr(2), &v3(100, 100)),
        Err(vrrp_fsm::Discard::NotRunning)
    );
    r.handle_link(at(30), true);
    assert_eq!(r.state(), State::Master);
}

#[test]
fn keepalived_dont_track_primary_link_down_is_no_fault() {
    let mut r = started(base(1, 255).track_primary(false).build().unwrap(), at(0));
    r.handle_link(at(10), false);
    assert_eq!(r.state(), State::Master, "own link down: still master");
    // A tracked object still faults it.
    let cfg = base(1, 100)
        .track_primary(false)
        .track(Track::new(0))
        .build()
        .unwrap();
    let mut b = started(cfg, at(0));
    b.handle_link(at(1), false);
    assert_eq!(b.state(), State::Backup);
    b.handle_track(at(2), 0, false);
    assert_eq!(b.state(), State::Fault);
}

#[test]
fn keepalived_track_file_value_moves_priority_and_faults() {
    use vrrp_fsm::TrackStatus::Value;
    let cfg = base(1, 150)
        .track(Track::new(1))
        .track(Track::new(0))
        .track(Track::new(2).reversed(true))
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    r.handle_track_status(at(1), 0, Value(-60));
    r.handle_track_status(at(1), 1, Value(0));
    r.handle_track_status(at(1), 2, Value(0));
    assert_eq!(r.priority(), Priority(90));
    r.handle_track_status(at(2), 2, Value(-10));
    assert_eq!(r.priority(), Priority(110), "reverse: -10 x 2 x -1 = +20");
    r.handle_track_status(at(3), 1, Value(1));
    assert_eq!(r.state(), State::Fault, "weight 0: non-zero is FAULT");
    r.handle_track_status(at(4), 1, Value(0));
    assert_eq!(r.state(), State::Backup);
    r.handle_track_status(at(5), 0, Value(-254));
    assert_eq!(r.state(), State::Fault, "-254 or less is FAULT");
    r.handle_track_status(at(6), 0, Value(500));
    assert_eq!(r.state(), State::Backup);
    assert_eq!(r.priority(), Priority(254), "+253 at most, then clamped");
}

#[test]
fn keepalived_fault_at_startup_when_link_down() {
    let mut r = Router::new(base(1, 100).build().unwrap(), at(0));
    r.handle_link(at(0), false);
    r.handle_startup(at(0));
    assert_eq!(r.state(), State::Fault);
}

#[test]
fn keepalived_track_weights_set_effective_priority() {
    let cfg = base(1, 100)
        .track(Track::new(20))
        .track(Track::new(-30))
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    assert_eq!(
        r.priority(),
        Priority(120),
        "positive weight counts while up"
    );
    r.handle_track(at(1), 1, false);
    assert_eq!(r.priority(), Priority(90));
    r.handle_track(at(2), 0, false);
    assert_eq!(r.priority(), Priority(70));
    let owner = started(base(1, 255).track(Track::new(-100)).build().unwrap(), at(0));
    let mut owner = owner;
    owner.handle_track(at(1), 0, false);
    assert_eq!(owner.priority(), Priority(255), "owner unaffected");
}

#[test]
fn keepalived_garp_master_delay_and_repeat() {
    let cfg = base(1, 255)
        .garp_master_repeat(3)
        .garp_master_delay(Some(ms(5000)))
        .build()
        .unwrap();
    let mut r = Router::new(cfg, at(0));
    r.handle_startup(at(0));
    let burst = Output::Announce {
        addr: VIP.into(),
        count: 3,
    };
    assert!(drain(&mut r).contains(&burst));
    let outs = run(&mut r, at(12_000));
    let bursts: Vec<_> = outs.iter().filter(|(_, o)| *o == burst).collect();
    assert_eq!(bursts, vec![&(at(5000), burst)], "exactly one second burst");
}

#[test]
fn keepalived_garp_master_refresh_periodic() {
    let cfg = base(1, 255)
        .garp_master_delay(None)
        .garp_master_refresh(Some(ms(3000)))
        .garp_master_refresh_repeat(2)
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    let outs = run(&mut r, at(10_000));
    let times: Vec<_> = outs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Announce { count: 2, .. }))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(times, vec![at(3000), at(6000), at(9000)]);
}

#[test]
fn keepalived_notify_master_rx_lower_pri_answers_at_once() {
    let mut r = started(base(1, 255).build().unwrap(), at(0));
    let got = r.handle_advert(at(400), addr(2), &v3(100, 100));
    assert_eq!(got, Err(vrrp_fsm::Discard::LowerPriority));
    assert_eq!(
        drain(&mut r),
        vec![
            // The first advert this master wins: a dual-master episode begins.
            Output::Event(Event::DualMaster {
                src: addr(2),
                priority: Priority(100)
            }),
            Output::Event(Event::MasterRxLowerPri {
                src: addr(2),
                priority: Priority(100)
            }),
            Output::SendAdvert {
                priority: Priority(255)
            }
        ]
    );
    assert_eq!(r.counters().master_rx_lower_pri, 1);
    assert_eq!(r.counters().dual_master, 1);
    assert_eq!(r.state(), State::Master);
}

/// A master (priority 200) fed `n` priority-1 adverts 1 ms apart from 1 s on, and run to
/// 10 s; returns the router and every output with its time.
fn flooded_master(no_advert: bool, n: u64) -> (Router, Vec<(vrrp_fsm::Instant, Output)>) {
    let cfg = base(1, 200)
        .lower_prio_no_advert(no_advert)
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    let mut outs = run(&mut r, at(4000));
    assert_eq!(r.state(), State::Master);
    for k in 0..n {
        let t = at(4000 + k);
        outs.extend(run(&mut r, t));
        let got = r.handle_advert(t, addr(2), &v3(1, 100));
        assert_eq!(got, Err(vrrp_fsm::Discard::LowerPriority));
        outs.extend(drain(&mut r).into_iter().map(|o| (t, o)));
    }
    outs.extend(run(&mut r, at(10_000)));
    (r, outs)
}

fn adverts_sent(outs: &[(vrrp_fsm::Instant, Output)], from: u64) -> Vec<vrrp_fsm::Instant> {
    outs.iter()
        .filter(|(t, o)| *t >= at(from) && matches!(o, Output::SendAdvert { .. }))
        .map(|(t, _)| *t)
        .collect()
}

#[test]
fn keepalived_lower_prio_no_advert_master_does_not_answer() {
    // Default (keepalived's `lower_prio_no_advert false`): every lower-priority advert is
    // answered at once, so 1000 of them in a second make 1000 adverts more.
    let (r, outs) = flooded_master(false, 1000);
    assert_eq!(r.counters().master_rx_lower_pri, 1000);
    assert!(adverts_sent(&outs, 4000).len() >= 1000);

    // `lower_prio_no_advert`: the same flood is heard (counted, notified) but answered by
    // nothing: adverts go out at the Adver_Timer's pace only (Master at 3.22 s, so one a
    // second from 4.22 s: six up to 10 s), exactly 1 s apart.
    let (r, outs) = flooded_master(true, 1000);
    assert_eq!(r.counters().master_rx_lower_pri, 1000);
    let events = outs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Event(Event::MasterRxLowerPri { .. })))
        .count();
    assert_eq!(
        events, 1000,
        "notify_master_rx_lower_pri still raised per advert"
    );
    let sent = adverts_sent(&outs, 4000);
    assert!(sent.len() <= 7, "{sent:?}");
    for w in sent.windows(2) {
        assert_eq!(
            w[1].saturating_duration_since(w[0]),
            ms(1000),
            "Adver_Timer pace: {sent:?}"
        );
    }
    assert_eq!(r.state(), State::Master);
    assert_eq!(r.counters().dual_master, 1, "one flood, one episode");
}

/// A master (priority 200) preempted by a priority-250 advert: the adverts it sends at
/// that moment, and its state after.
fn preempted_master(higher_prio_send_advert: bool) -> (Vec<Output>, State) {
    let cfg = base(1, 200)
        .higher_prio_send_advert(higher_prio_send_advert)
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    run(&mut r, at(4000));
    assert_eq!(r.state(), State::Master);
    assert_eq!(r.handle_advert(at(4100), addr(2), &v3(250, 100)), Ok(()));
    let sent = drain(&mut r)
        .into_iter()
        .filter(|o| matches!(o, Output::SendAdvert { .. }))
        .collect();
    (sent, r.state())
}

#[test]
fn keepalived_higher_prio_send_advert_answers_before_stepping_down() {
    // keepalived's default: a preempted master steps down without a word.
    let (sent, state) = preempted_master(false);
    assert_eq!(sent, vec![]);
    assert_eq!(state, State::Backup);
    // `higher_prio_send_advert`: one advert of its own priority first, then Backup.
    let (sent, state) = preempted_master(true);
    assert_eq!(
        sent,
        vec![Output::SendAdvert {
            priority: Priority(200)
        }]
    );
    assert_eq!(state, State::Backup);
}

#[test]
fn keepalived_garp_lower_prio_repeat_and_delay() {
    // A master hearing a lower-priority advert announces its VIP `repeat` times at once
    // and again after `delay`; without the option it announces nothing.
    let announces = |outs: &[(vrrp_fsm::Instant, Output)], from: u64| {
        outs.iter()
            .filter(|(t, o)| *t >= at(from) && matches!(o, Output::Announce { .. }))
            .map(|(t, o)| match o {
                Output::Announce { count, .. } => (*t, *count),
                _ => unreachable!(),
            })
            .collect::<Vec<_>>()
    };
    for (repeat, delay, want) in [
        (0, None, vec![]),
        (3, None, vec![(at(4000), 3)]),
        (2, Some(ms(1500)), vec![(at(4000), 2), (at(5500), 2)]),
    ] {
        let cfg = base(1, 200)
            .garp_master_delay(None)
            .garp_lower_prio(repeat, delay)
            .build()
            .unwrap();
        let mut r = started(cfg, at(0));
        let mut outs = run(&mut r, at(4000));
        assert_eq!(r.state(), State::Master);
        let _ = r.handle_advert(at(4000), addr(2), &v3(100, 100));
        outs.extend(drain(&mut r).into_iter().map(|o| (at(4000), o)));
        outs.extend(run(&mut r, at(8000)));
        assert_eq!(
            announces(&outs, 4000),
            want,
            "repeat {repeat} delay {delay:?}"
        );
    }
}

#[test]
fn keepalived_skip_check_adv_addr_trusts_the_known_master() {
    static OTHER: [std::net::Ipv4Addr; 1] = [std::net::Ipv4Addr::new(192, 0, 2, 99)];
    let mut wrong = v3(200, 100);
    wrong.addresses = vrrp_proto::Addresses::V4(&OTHER);
    for skip in [false, true] {
        let cfg = base(1, 100)
            .strict(true)
            .skip_check_adv_addr(skip)
            .build()
            .unwrap();
        let mut r = started(cfg, at(0));
        assert_eq!(r.handle_advert(at(100), addr(2), &v3(200, 100)), Ok(()));
        // The master it heard, now with another address list; and a stranger with it.
        let known = r.handle_advert(at(1100), addr(2), &wrong);
        let stranger = r.handle_advert(at(1200), addr(3), &wrong);
        assert_eq!(stranger, Err(vrrp_fsm::Discard::AddressList));
        if skip {
            assert_eq!(known, Ok(()));
            assert_eq!(r.counters().address_list_errors, 1, "the stranger's only");
        } else {
            assert_eq!(known, Err(vrrp_fsm::Discard::AddressList));
            assert_eq!(r.counters().address_list_errors, 2);
        }
    }
}

/// Drain every router, feeding state changes to the group, until quiet.
fn settle(g: &SyncGroup, rs: &mut [Router], now: vrrp_fsm::Instant) -> Vec<(usize, Output)> {
    let mut all = Vec::new();
    loop {
        let mut any = false;
        for i in 0..rs.len() {
            while let Some(o) = rs[i].poll_output() {
                any = true;
                if let Output::StateChange { to, reason, .. } = o {
                    g.on_state_change(now, rs, i, to, reason);
                }
                all.push((i, o));
            }
        }
        if !any {
            return all;
        }
    }
}

#[test]
fn keepalived_sync_group_one_fault_takes_whole_group() {
    let mk = |w| started(base(1, 100).track(Track::new(w)).build().unwrap(), at(0));
    let mut rs = vec![mk(0), mk(0), mk(0)];
    let g = SyncGroup::new(vec![0, 1, 2]);
    rs[1].handle_track(at(10), 0, false);
    settle(&g, &mut rs, at(10));
    assert!(rs.iter().all(|r| r.state() == State::Fault));
    rs[1].handle_track(at(20), 0, true);
    settle(&g, &mut rs, at(20));
    assert!(rs.iter().all(|r| r.state() == State::Backup));
}

#[test]
fn keepalived_sync_group_members_become_master_together() {
    let mut rs = vec![
        started(base(1, 100).build().unwrap(), at(0)),
        started(base(1, 100).build().unwrap(), at(0)),
    ];
    let g = SyncGroup::new(vec![0, 1]);
    rs[0].handle_advert(at(1000), addr(2), &v3(0, 100)).unwrap();
    let skew = rs[0].skew_time();
    rs[0].handle_timeout(at(1000) + skew);
    let outs = settle(&g, &mut rs, at(1000) + skew);
    assert!(rs.iter().all(|r| r.state() == State::Master));
    assert!(outs.contains(&(
        1,
        Output::StateChange {
            from: State::Backup,
            to: State::Master,
            reason: Reason::SyncGroup
        }
    )));
    rs[1]
        .handle_advert(at(2000), addr(9), &v3(200, 100))
        .unwrap();
    settle(&g, &mut rs, at(2000));
    assert!(rs.iter().all(|r| r.state() == State::Backup));
}

#[test]
fn keepalived_reload_dropping_garp_refresh_leaves_no_stale_deadline() {
    // Found by fuzzing (fuzz/regressions/fsm/F2-...): a master reconfigured from
    // `garp_master_refresh 10` to none kept the old deadline, and poll_timeout() stayed in
    // the past: a caller sleeping until it would spin.
    let with = base(1, 255)
        .garp_master_refresh(Some(Duration::from_secs(10)))
        .build()
        .unwrap();
    let mut r = started(with, at(0));
    assert_eq!(r.state(), State::Master);
    r.handle_reconfigure(at(0), base(1, 255).build().unwrap())
        .unwrap();
    run(&mut r, at(10_500));
    r.handle_timeout(at(10_500));
    assert!(
        r.poll_timeout().is_some_and(|t| t > at(10_500)),
        "{:?}",
        r.poll_timeout()
    );
    // A zero refresh is off, as in keepalived (F1): it must not re-arm at `now` forever.
    let zero = base(1, 255)
        .garp_master_refresh(Some(Duration::ZERO))
        .build()
        .unwrap();
    let mut r = started(zero, at(0));
    r.handle_timeout(at(7_000));
    assert!(r.poll_timeout().is_some_and(|t| t > at(7_000)));
}
