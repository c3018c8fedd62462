//! Timer batching in the `Endpoint`: Masters due close together send in one wakeup, no
//! advert is later than its slack nor slows the advert rate, and a Backup's
//! Master_Down_Timer is never late.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp_fsm::{
    advert_slack, Config, Endpoint, EventKind, InstanceId, InstanceSpec, Instant, InterfaceId,
    State, Vips,
};
use vrrp_proto::{Centiseconds, ChecksumForm, Priority, Version, Vrid};

const INTERVAL: Duration = Duration::from_millis(100);

fn spec(n: usize, prio: u8) -> InstanceSpec {
    let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let vips = Vips::V4(vec![Ipv4Addr::new(192, 0, 2, 100)]);
    let vrid = Vrid::new((n % 250) as u8 + 1).unwrap();
    InstanceSpec {
        interface: InterfaceId((n / 250) as u32 + 1),
        config: Config::builder(vrid, me, vips)
            .version(Version::V3)
            .advert_interval(Centiseconds::new(10).unwrap())
            .priority(Priority(prio))
            .build()
            .unwrap(),
        peers: vec![],
        track_interfaces: vec![],
    }
}

/// Drive `ep` as a driver sleeping until `poll_timeout` would, until `end`: per wakeup,
/// the instances that sent and the state changes.
fn run(ep: &mut Endpoint, end: Instant) -> Vec<(Instant, Vec<InstanceId>, Vec<InstanceId>)> {
    let mut buf = [0u8; 1500];
    let mut wakeups = Vec::new();
    while let Some(now) = ep.poll_timeout().filter(|&t| t <= end) {
        ep.handle_timeout(now);
        let mut changed = Vec::new();
        while let Some(ev) = ep.poll_event() {
            if let EventKind::StateChange { .. } = ev.kind {
                changed.push(ev.instance);
            }
        }
        let sent = std::iter::from_fn(|| ep.poll_transmit(&mut buf))
            .map(|t| t.instance)
            .collect();
        wakeups.push((now, sent, changed));
    }
    wakeups
}

/// 1000 Masters (owners, priority 255) started 100 µs apart: their adverts are due spread
/// over the whole interval.
fn spread_masters() -> (Endpoint, Vec<(InstanceId, Instant)>) {
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let mut started = Vec::new();
    for n in 0..1000 {
        let t = Instant::from_micros(n as u64 * 100);
        let id = ep.add(t, spec(n, 255)).unwrap();
        ep.start(t, id).unwrap();
        while ep.poll_event().is_some() {}
        while ep.poll_transmit(&mut [0u8; 1500]).is_some() {}
        assert_eq!(ep.router(id).unwrap().state(), State::Master);
        started.push((id, t));
    }
    (ep, started)
}

#[test]
fn spread_masters_wake_far_fewer_times_than_they_send() {
    let (mut ep, _) = spread_masters();
    let end = Instant::from_micros(10_100_000);
    let wakeups = run(&mut ep, end);
    let sent: usize = wakeups.iter().map(|w| w.1.len()).sum();
    // 1000 routers × 100 intervals.
    assert!(sent >= 99_000, "{sent} adverts");
    // One wakeup per slack window at most: 1 ms windows over 100 ms intervals.
    let per_interval = wakeups.len() as f64 / 100.0;
    let bound = (INTERVAL.as_micros() / advert_slack(INTERVAL).as_micros()) as f64 + 1.0;
    assert!(
        per_interval <= bound,
        "{per_interval} wakeups per interval for 1000 Masters (bound {bound})"
    );
}

#[test]
fn no_advert_later_than_its_slack_nor_the_rate_slowed() {
    let (mut ep, started) = spread_masters();
    let end = Instant::from_micros(10_100_000);
    let slack = advert_slack(INTERVAL);
    let mut sends: HashMap<InstanceId, Vec<Instant>> = HashMap::new();
    for (now, sent, _) in run(&mut ep, end) {
        for id in sent {
            sends.entry(id).or_default().push(now);
        }
    }
    for (id, t0) in started {
        // The k-th advert after the one sent at startup is due at t0 + k × interval.
        let times = &sends[&id];
        assert!(times.len() >= 100, "{id:?} sent {} adverts", times.len());
        for (k, &t) in times.iter().enumerate() {
            let due = t0 + INTERVAL * (k as u32 + 1);
            assert!(t >= due, "{id:?} advert {k} early: {t} < {due}");
            assert!(
                t <= due + slack,
                "{id:?} advert {k} late: {t} > {due} + {slack:?}"
            );
        }
    }
}

#[test]
fn a_backup_among_batched_masters_takes_over_exactly_at_master_down() {
    let (mut ep, _) = spread_masters();
    // One Backup on a fifth interface, started in the middle of the Masters' windows.
    let mut s = spec(1000, 100);
    s.interface = InterfaceId(9);
    let t0 = Instant::from_micros(50_050);
    let b = ep.add(t0, s).unwrap();
    ep.start(t0, b).unwrap();
    while ep.poll_event().is_some() {}
    let down = t0 + ep.router(b).unwrap().master_down_interval();
    let end = Instant::from_micros(1_000_000);
    let changed: Vec<Instant> = run(&mut ep, end)
        .into_iter()
        .filter(|(_, _, changed)| changed.contains(&b))
        .map(|(now, _, _)| now)
        .collect();
    assert_eq!(changed, vec![down], "Master_Down_Timer fired late or early");
    assert_eq!(ep.router(b).unwrap().state(), State::Master);
}

/// 1000 Backups started together fall due together; `handle_timeout_at_most` takes them
/// 256 at a time (the queues hold one batch's outputs), says when more are due, and every
/// one of them becomes Master at that same deadline.
#[test]
fn timeouts_due_together_are_handled_in_bounded_batches() {
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    for n in 0..1000 {
        let id = ep.add(Instant::ZERO, spec(n, 100)).unwrap();
        ep.start(Instant::ZERO, id).unwrap();
    }
    while ep.poll_event().is_some() {}
    let now = ep.poll_timeout().unwrap();
    let mut buf = [0u8; 1500];
    let mut batches = Vec::new();
    loop {
        let more = ep.handle_timeout_at_most(now, 256);
        let masters = std::iter::from_fn(|| ep.poll_event())
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::StateChange {
                        to: State::Master,
                        ..
                    }
                )
            })
            .count();
        let sent = std::iter::from_fn(|| ep.poll_transmit(&mut buf)).count();
        assert_eq!(sent, masters);
        batches.push(masters);
        if !more {
            break;
        }
        assert!(ep.poll_timeout().is_some_and(|t| t <= now));
    }
    assert_eq!(batches, vec![256, 256, 256, 232]);
    assert!(ep.poll_timeout().unwrap() > now);
}
