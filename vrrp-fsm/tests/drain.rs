//! vrrpd `drain` / `undrain`: mastership handed over as on shutdown, without stopping.

mod common;

use common::*;
use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{Output, Reason, Router, State};
use vrrp_proto::Priority;

fn outputs(r: &mut Router) -> Vec<Output> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

#[test]
fn draining_a_master_sends_priority_zero_releases_vips_and_never_takes_over() {
    let mut r = Router::new(base(1, 150).build().unwrap(), at(0));
    r.handle_startup(at(0));
    r.handle_timeout(at(10_000));
    assert_eq!(r.state(), State::Master);
    outputs(&mut r);

    r.handle_drain(at(10_100), true);
    let out = outputs(&mut r);
    assert!(out.contains(&Output::SendAdvert {
        priority: Priority::SHUTDOWN
    }));
    assert!(out.contains(&Output::RemoveVip(VIP.into())));
    assert!(out.contains(&Output::StateChange {
        from: State::Master,
        to: State::Backup,
        reason: Reason::Drain
    }));
    assert_eq!(r.poll_timeout(), None, "a drained backup arms no timer");
    // Nobody else answers, for a long time: it must not take the VIP back.
    r.handle_timeout(at(100_000));
    assert_eq!(r.state(), State::Backup);
    // A stopping master's priority-0 advert does not wake it either.
    r.handle_advert(at(100_100), addr(2), &v3(0, 100)).unwrap();
    r.handle_timeout(at(200_000));
    assert_eq!(r.state(), State::Backup);
    assert!(r.drained());
}

#[test]
fn undrain_resumes_election_after_master_down_interval() {
    let mut r = Router::new(base(1, 150).build().unwrap(), at(0));
    r.handle_startup(at(0));
    r.handle_drain(at(1), true);
    r.handle_timeout(at(60_000));
    assert_eq!(r.state(), State::Backup);
    r.handle_drain(at(60_000), false);
    let deadline = r.poll_timeout().expect("Master_Down_Timer armed again");
    assert_eq!(
        deadline.saturating_duration_since(at(60_000)),
        r.master_down_interval()
    );
    r.handle_timeout(deadline);
    assert_eq!(r.state(), State::Master);
}

#[test]
fn drain_hands_over_to_the_peer_within_skew_time_and_the_vip_is_never_lost() {
    let mut sim = Sim::new(SimConfig::default());
    let a = sim.add_router(base(1, 150).build().unwrap());
    let b = sim.add_router(base(2, 100).build().unwrap());
    sim.start(a);
    sim.run_until(at(5_000));
    sim.start(b);
    sim.run_until(at(10_000));
    assert_eq!(sim.masters(vrid(), 0), vec![a]);

    sim.drain_router(a, true);
    let skew = sim.router(b).skew_time();
    let drained_at = sim.now();
    sim.run_until(drained_at + skew + ms(50));
    assert_eq!(
        sim.masters(vrid(), 0),
        vec![b],
        "peer took over within skew time"
    );
    sim.run_until(at(60_000));
    assert_eq!(
        sim.masters(vrid(), 0),
        vec![b],
        "drained router stays backup"
    );

    sim.drain_router(a, false);
    sim.run_until(at(70_000));
    assert_eq!(
        sim.masters(vrid(), 0),
        vec![a],
        "undrained, it preempts back"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// keepalived `set_vrrp_backup` (a tracked virtual route deleted behind its back): the
/// master hands over as on drain, but its Master_Down_Timer is only Skew_Time, so unless a
/// higher priority answers it is master again at once.
#[test]
fn release_hands_mastership_over_and_election_goes_on() {
    let mut r = Router::new(base(1, 150).build().unwrap(), at(0));
    r.handle_startup(at(0));
    r.handle_release(at(1));
    assert_eq!(r.state(), State::Backup, "a Backup has nothing to release");
    r.handle_timeout(at(10_000));
    assert_eq!(r.state(), State::Master);
    outputs(&mut r);
    r.handle_release(at(10_100));
    let out = outputs(&mut r);
    assert!(out.contains(&Output::SendAdvert {
        priority: Priority::SHUTDOWN
    }));
    assert!(out.contains(&Output::RemoveVip(VIP.into())));
    assert!(out.contains(&Output::StateChange {
        from: State::Master,
        to: State::Backup,
        reason: Reason::Released
    }));
    assert!(!r.drained());
    let deadline = r.poll_timeout().expect("Master_Down_Timer armed");
    assert_eq!(
        deadline.saturating_duration_since(at(10_100)),
        r.skew_time()
    );
    r.handle_timeout(deadline);
    assert_eq!(r.state(), State::Master);
}
