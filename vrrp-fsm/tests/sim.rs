//! Invariants on the simulated LAN, including proptest-driven random schedules.

mod common;

use common::*;
use proptest::prelude::*;
use std::time::Duration;
use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{Config, Instant, Reason, State, Vips};
use vrrp_proto::{Centiseconds, Priority, Vrid};

fn cfg(vr: u8, me: u8, prio: u8) -> Config {
    Config::builder(
        Vrid::new(vr).unwrap(),
        addr(me),
        Vips::V4(vec![std::net::Ipv4Addr::new(198, 51, 100, vr)]),
    )
    .priority(Priority(prio))
    .build()
    .unwrap()
}

fn first_master_after(sim: &Sim, t: Instant) -> Option<vrrp_fsm::sim::Change> {
    sim.changes()
        .iter()
        .find(|c| c.at > t && c.to == State::Master)
        .copied()
}

#[test]
fn sim_converges_to_exactly_one_master_per_vrid() {
    let mut sim = Sim::new(SimConfig {
        seed: 7,
        jitter: ms(5),
        ..SimConfig::default()
    });
    for vr in 1..=5u8 {
        for k in 0..3u8 {
            let id = sim.add_router(cfg(vr, 10 * vr + k, 100 + k * 10));
            sim.start(id);
        }
    }
    sim.run_until(at(30_000));
    for vr in 1..=5u8 {
        let m = sim.masters(Vrid::new(vr).unwrap(), 0);
        assert_eq!(m.len(), 1, "vrid {vr}: {m:?}");
        assert_eq!(sim.router(m[0]).priority(), Priority(120), "highest wins");
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn sim_rfc9568_6_4_2_takeover_within_master_down_interval_of_last_advert() {
    let latency = ms(2);
    let mut sim = Sim::new(SimConfig {
        latency,
        ..SimConfig::default()
    });
    let m = sim.add_router(cfg(1, 1, 200));
    let b = sim.add_router(cfg(1, 2, 100));
    sim.start(m);
    sim.start(b);
    sim.run_until(at(10_000));
    assert_eq!(sim.masters(Vrid::new(1).unwrap(), 0), vec![m]);
    let dead_at = at(10_500);
    sim.run_until(dead_at);
    sim.kill(m);
    sim.run_until(at(20_000));
    let last = sim.last_sent(m).unwrap();
    let took = first_master_after(&sim, dead_at).unwrap();
    assert_eq!(took.id, b);
    let mdi = sim.router(b).master_down_interval();
    // The backup's timer was last reset when the last advert arrived (last + latency).
    assert!(
        took.at <= last + latency + mdi,
        "late: {} > {}",
        took.at,
        last + mdi
    );
    assert!(took.at >= last + mdi, "early: {} < {}", took.at, last + mdi);
}

#[test]
fn sim_rfc9568_6_4_2_priority_zero_handover_within_skew_time() {
    let mut sim = Sim::new(SimConfig::default());
    let m = sim.add_router(cfg(1, 1, 200));
    let b = sim.add_router(cfg(1, 2, 100));
    sim.start(m);
    sim.start(b);
    sim.run_until(at(10_000));
    let t = sim.now();
    sim.shutdown(m);
    sim.run_until(at(15_000));
    let took = first_master_after(&sim, t).unwrap();
    assert_eq!(took.id, b);
    let skew = sim.router(b).skew_time();
    assert!(took.at <= t + SimConfig::default().latency + skew);
    assert!(took.at > t);
}

#[test]
fn sim_no_state_change_over_a_simulated_day_without_loss() {
    let mut sim = Sim::new(SimConfig {
        seed: 3,
        jitter: ms(20),
        ..SimConfig::default()
    });
    for k in 0..3u8 {
        let id = sim.add_router(cfg(1, k + 1, 100 + k));
        sim.start(id);
    }
    sim.run_until(at(60_000));
    let settled = sim.changes().len();
    sim.run_for(Duration::from_secs(24 * 3600));
    assert_eq!(
        sim.changes().len(),
        settled,
        "{:?}",
        &sim.changes()[settled..]
    );
    assert_eq!(sim.masters(Vrid::new(1).unwrap(), 0).len(), 1);
    assert!(sim.delivered() >= 2 * 24 * 3600, "adverts really flowed");
}

#[test]
fn sim_partition_gives_one_master_per_side_and_heals() {
    let mut sim = Sim::new(SimConfig::default());
    let ids: Vec<_> = (0..4u8)
        .map(|k| sim.add_router(cfg(1, k + 1, 100 + k)))
        .collect();
    for &i in &ids {
        sim.start(i);
    }
    sim.run_until(at(10_000));
    sim.set_segment(ids[0], 1);
    sim.set_segment(ids[1], 1);
    sim.run_until(at(20_000));
    let vr = Vrid::new(1).unwrap();
    assert_eq!(sim.masters(vr, 0).len(), 1);
    assert_eq!(sim.masters(vr, 1).len(), 1);
    sim.set_segment(ids[0], 0);
    sim.set_segment(ids[1], 0);
    sim.run_until(at(30_000));
    assert_eq!(sim.masters(vr, 0), vec![ids[3]]);
}

fn scripted(seed: u64, ops: &[(u8, u8, u16)]) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed,
        loss_ppm: 50_000,
        latency: ms(1),
        jitter: ms(30),
        trace_packets: true,
    });
    let n = 4;
    for k in 0..n {
        let c = Config::builder(
            Vrid::new(1).unwrap(),
            addr(k + 1),
            Vips::V4(vec![std::net::Ipv4Addr::new(198, 51, 100, 1)]),
        )
        .priority(Priority(100 + (k % 2) * 50))
        .preempt(k != 0)
        .advert_interval(Centiseconds::new(50 + u16::from(k) * 25).unwrap())
        .build()
        .unwrap();
        let id = sim.add_router(c);
        sim.start(id);
    }
    for &(op, who, dt) in ops {
        let id = usize::from(who) % usize::from(n);
        match op % 6 {
            0 => sim.kill(id),
            1 => sim.start(id),
            2 => sim.shutdown(id),
            3 => sim.set_segment(id, u32::from(dt % 2)),
            4 => sim.set_loss_ppm(u32::from(dt) * 20),
            _ => sim.start(id),
        }
        sim.run_for(ms(u64::from(dt)));
    }
    sim.run_for(Duration::from_secs(10));
    sim
}

fn heal_and_settle(sim: &mut Sim) {
    sim.set_loss_ppm(0);
    for i in 0..sim.len() {
        sim.set_segment(i, 0);
        if !sim.alive(i) || sim.router(i).state() == State::Initialize {
            sim.start(i);
        }
    }
    sim.run_for(Duration::from_secs(60));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sim_random_schedules_converge_to_one_master(
        seed in any::<u64>(),
        ops in proptest::collection::vec((any::<u8>(), any::<u8>(), 0u16..8000), 0..25),
    ) {
        let mut sim = scripted(seed, &ops);
        heal_and_settle(&mut sim);
        let masters = sim.masters(Vrid::new(1).unwrap(), 0);
        prop_assert_eq!(masters.len(), 1, "masters {:?}", masters);
        prop_assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        // After settling, a further quiet minute changes nothing.
        let settled = sim.changes().len();
        sim.run_for(Duration::from_secs(60));
        prop_assert_eq!(sim.changes().len(), settled);
    }

    #[test]
    fn sim_same_seed_gives_same_trace(
        seed in any::<u64>(),
        ops in proptest::collection::vec((any::<u8>(), any::<u8>(), 0u16..8000), 0..15),
    ) {
        let a = scripted(seed, &ops);
        let b = scripted(seed, &ops);
        prop_assert!(a.trace().len() > 4);
        prop_assert_eq!(a.trace().join("\n"), b.trace().join("\n"));
    }
}

#[test]
fn sim_different_seeds_give_different_traces() {
    let ops = [(4u8, 0u8, 5000u16), (0, 3, 7000), (1, 3, 7000)];
    let a = scripted(1, &ops);
    let b = scripted(2, &ops);
    assert_ne!(a.trace(), b.trace(), "the seed must drive loss and jitter");
}

#[test]
fn sim_nopreempt_never_moves_vip_back() {
    let mut sim = Sim::new(SimConfig {
        seed: 11,
        jitter: ms(10),
        ..SimConfig::default()
    });
    let mk = |me, prio| {
        Config::builder(Vrid::new(1).unwrap(), addr(me), Vips::V4(vec![VIP]))
            .priority(Priority(prio))
            .preempt(false)
            .build()
            .unwrap()
    };
    let a = sim.add_router(mk(1, 150));
    let b = sim.add_router(mk(2, 100));
    sim.start(a);
    sim.start(b);
    sim.run_until(at(10_000));
    sim.kill(a);
    sim.run_until(at(20_000));
    let t = sim.now();
    sim.start(a);
    sim.run_for(Duration::from_secs(3600));
    let moves: Vec<_> = sim
        .changes()
        .iter()
        .filter(|c| c.at >= t && c.to == State::Master)
        .collect();
    assert!(moves.is_empty(), "{moves:?}");
    assert_eq!(sim.masters(Vrid::new(1).unwrap(), 0), vec![b]);
    assert!(sim
        .changes()
        .iter()
        .all(|c| c.reason != Reason::HigherPriority || c.at < t));
}

/// keepalived `vrrp_sync_group` on the simulated LAN: two nodes, each one endpoint running
/// VRID 1 and VRID 2 in a sync group. A tracked script failing on the primary's VRID 1
/// takes its VRID 2 to FAULT too, so the secondary takes both; when it recovers, the
/// primary preempts both back.
#[test]
fn sim_sync_group_of_two_instances_on_two_nodes_moves_together() {
    let tracked = |vr: u8, me: u8, prio: u8| {
        Config::builder(
            Vrid::new(vr).unwrap(),
            addr(me),
            Vips::V4(vec![std::net::Ipv4Addr::new(198, 51, 100, vr)]),
        )
        .priority(Priority(prio))
        .track(vrrp_fsm::Track::new(0))
        .build()
        .unwrap()
    };
    let mut sim = Sim::new(SimConfig::default());
    let (p, s) = (sim.add_node(), sim.add_node());
    let p1 = sim.add_router_to(p, tracked(1, 1, 200));
    let p2 = sim.add_router_to(p, tracked(2, 1, 200));
    let s1 = sim.add_router_to(s, tracked(1, 2, 100));
    let s2 = sim.add_router_to(s, tracked(2, 2, 100));
    sim.set_sync_groups(p, vec![vec![p1, p2]]);
    sim.set_sync_groups(s, vec![vec![s1, s2]]);
    for id in [p1, p2, s1, s2] {
        sim.start(id);
    }
    sim.run_until(at(10_000));
    let (v1, v2) = (Vrid::new(1).unwrap(), Vrid::new(2).unwrap());
    assert_eq!(
        (sim.masters(v1, 0), sim.masters(v2, 0)),
        (vec![p1], vec![p2])
    );
    assert_eq!(sim.node_of(p2), p);
    let t = sim.now();
    sim.track(p1, 0, false);
    sim.run_until(at(15_000));
    assert_eq!(sim.router(p1).state(), State::Fault);
    assert_eq!(sim.router(p2).state(), State::Fault, "the group follows");
    assert!(sim
        .changes()
        .iter()
        .any(|c| c.at == t && c.id == p2 && c.to == State::Fault && c.reason == Reason::SyncGroup));
    assert_eq!(
        (sim.masters(v1, 0), sim.masters(v2, 0)),
        (vec![s1], vec![s2])
    );
    let back = sim.now();
    sim.track(p1, 0, true);
    sim.run_until(at(25_000));
    assert_eq!(
        (sim.masters(v1, 0), sim.masters(v2, 0)),
        (vec![p1], vec![p2])
    );
    let returned = |id| {
        sim.changes()
            .iter()
            .any(|c| c.at >= back && c.id == id && c.to == State::Master)
    };
    assert!(returned(p1) && returned(p2));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
