//! Dual-master accounting (`RouterCounters::dual_master`, `Event::DualMaster`): a Master
//! that hears an advert it wins counts one episode, not one per packet; an episode ends
//! after a quiet Master_Down_Interval; a Master that is beaten and steps down is preempted,
//! which is never a dual master. Simulated time throughout.

mod common;

use common::*;
use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{Discard, Event, Output, Reason, Router, State};
use vrrp_proto::Priority;

/// A started Master of priority `prio` at address `.1` (v3, 1 s), outputs drained.
fn master(prio: u8) -> Router {
    let mut r = started(base(1, prio).build().unwrap(), at(0));
    run(&mut r, at(4000));
    assert_eq!(r.state(), State::Master);
    r
}

fn dual_events(outs: &[Output]) -> usize {
    outs.iter()
        .filter(|o| matches!(o, Output::Event(Event::DualMaster { .. })))
        .count()
}

#[test]
fn flood_counts_one_episode_and_a_quiet_master_down_interval_ends_it() {
    let mut r = master(200);
    // Master_Down_Interval of a v3 priority-200 router at 1 s: 3 s + Skew_Time 0.21875 s.
    let mdi = r.master_down_interval();
    assert_eq!(mdi, ms(3218) + std::time::Duration::from_micros(750));

    // 5000 forged priority-1 adverts, one a millisecond, for 5 s: longer than the
    // Master_Down_Interval, but never quiet for one.
    let mut outs = Vec::new();
    for k in 0..5000 {
        let t = at(4000 + k);
        run(&mut r, t);
        assert_eq!(
            r.handle_advert(t, addr(2), &v3(1, 100)),
            Err(Discard::LowerPriority)
        );
        outs.extend(drain(&mut r));
    }
    assert_eq!(r.counters().master_rx_lower_pri, 5000, "per packet");
    assert_eq!(r.counters().dual_master, 1, "one episode");
    assert_eq!(dual_events(&outs), 1);
    assert_eq!(
        outs.iter().position(|o| matches!(o, Output::Event(_))),
        outs.iter()
            .position(|o| matches!(o, Output::Event(Event::DualMaster { .. }))),
        "the episode is announced before the first advert's rx_lower_pri event"
    );

    // Last one at 8.999 s. Quiet for just under a Master_Down_Interval: same episode.
    let last = at(8999);
    let t = last + mdi - ms(1);
    run(&mut r, t);
    let _ = r.handle_advert(t, addr(2), &v3(1, 100));
    assert_eq!(r.counters().dual_master, 1, "not quiet long enough");

    // Quiet for a whole Master_Down_Interval: a new episode.
    let t = t + mdi;
    run(&mut r, t);
    let _ = r.handle_advert(t, addr(2), &v3(1, 100));
    assert_eq!(
        r.counters().dual_master,
        2,
        "a new episode after a quiet interval"
    );
    assert_eq!(r.counters().master_rx_lower_pri, 5002);
    assert_eq!(r.state(), State::Master);
}

#[test]
fn equal_priority_from_a_lower_address_is_a_dual_master_priority_zero_is_not() {
    // We are .5: an equal priority from .2 is ours to win (RFC 9568 §6.4.3).
    let mut r = started(base(5, 100).build().unwrap(), at(0));
    run(&mut r, at(4000));
    assert_eq!(r.state(), State::Master);
    let _ = r.handle_advert(at(4100), addr(2), &v3(0, 100));
    assert_eq!(
        r.counters().dual_master,
        0,
        "priority 0 is a master leaving"
    );
    drain(&mut r);
    assert_eq!(
        r.handle_advert(at(4200), addr(2), &v3(100, 100)),
        Err(Discard::LowerPriority)
    );
    assert_eq!(r.counters().dual_master, 1);
    assert_eq!(r.counters().master_rx_lower_pri, 1);
    assert_eq!(dual_events(&drain(&mut r)), 1);
}

#[test]
fn preempted_master_is_not_a_dual_master() {
    let mut r = master(100);
    assert_eq!(r.handle_advert(at(4100), addr(2), &v3(200, 100)), Ok(()));
    let outs = drain(&mut r);
    assert_eq!(
        outs.first(),
        Some(&Output::Event(Event::Preempted {
            src: addr(2),
            priority: Priority(200)
        })),
        "announced while still Master, before it steps down: {outs:?}"
    );
    assert!(outs.contains(&Output::StateChange {
        from: State::Master,
        to: State::Backup,
        reason: Reason::HigherPriority
    }));
    assert_eq!(dual_events(&outs), 0);
    assert_eq!(r.counters().dual_master, 0);
    assert_eq!(r.counters().master_rx_lower_pri, 0);
}

#[test]
fn planned_failback_counts_no_dual_master_on_either_router() {
    // The higher priority returns after maintenance and takes the VIP back: B steps down.
    let mut sim = Sim::new(SimConfig::default());
    let hi = sim.add_router(base(1, 200).build().unwrap());
    let lo = sim.add_router(base(2, 100).build().unwrap());
    sim.start(hi);
    sim.start(lo);
    sim.run_until(at(10_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    sim.shutdown(hi);
    sim.run_until(at(20_000));
    assert_eq!(sim.masters(vrid(), 0), vec![lo]);
    sim.start(hi);
    sim.run_until(at(40_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    let preempted = sim
        .changes()
        .iter()
        .filter(|c| c.id == lo && c.reason == Reason::HigherPriority)
        .count();
    assert_eq!(preempted, 1, "{:?}", sim.changes());
    assert_eq!(sim.router(hi).counters().dual_master, 0);
    assert_eq!(sim.router(lo).counters().dual_master, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn split_brain_heal_counts_once_on_the_winner_never_on_the_loser() {
    // Two segments: both become Master. Joined again, the higher priority keeps the VIP.
    let mut sim = Sim::new(SimConfig::default());
    let hi = sim.add_router(base(1, 200).build().unwrap());
    let lo = sim.add_router(base(2, 100).build().unwrap());
    sim.start(hi);
    sim.start(lo);
    sim.run_until(at(10_000));
    sim.set_segment(lo, 1);
    sim.run_until(at(20_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    assert_eq!(sim.masters(vrid(), 1), vec![lo]);
    // Heal just after the winner advertised, so that the loser's next advert (within a
    // second) reaches the winner before the winner's next one reaches the loser.
    while sim.last_sent(hi) < Some(sim.now() - ms(10)) {
        sim.run_for(ms(5));
    }
    let lo_next = sim.router(lo).poll_timeout().unwrap();
    assert!(
        lo_next < sim.now() + ms(900),
        "phases too close to stage the heal"
    );
    sim.set_segment(lo, 0);
    sim.run_until(at(40_000));
    assert_eq!(sim.masters(vrid(), 0), vec![hi]);
    let (h, l) = (sim.router(hi).counters(), sim.router(lo).counters());
    assert_eq!(l.dual_master, 0, "the loser was preempted");
    assert_eq!(h.master_rx_lower_pri, 1, "the winner heard the loser once");
    assert_eq!(h.dual_master, 1, "and counted one episode");
}
