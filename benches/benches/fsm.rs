//! vrrp-fsm: the cost of one advert through a Backup (`handle_advert` + drain), of one raw
//! datagram through an `Endpoint` of 1000 Backups (IP checks, decode, demux, router, drain,
//! timer re-armed), of one advert sent by an `Endpoint` of 1000 Masters (timers batched,
//! advert encoded, both queues drained), and how many
//! simulated router-hours the deterministic LAN simulator runs per CPU second
//! (1000 routers: 250 VRIDs × 4 routers, 1 s interval, 1 simulated minute per iteration).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{Config, Datagram, Endpoint, InstanceSpec, Instant, InterfaceId, Router, Vips};
use vrrp_proto::{
    ip, Addresses, Advertisement, Centiseconds, ChecksumForm, Priority, Version, VersionFields,
    Vrid, MULTICAST_V4,
};

fn cfg(vrid: u8, me: u8, prio: u8) -> Config {
    Config::builder(
        Vrid::new(vrid).unwrap(),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, me)),
        Vips::V4(vec![Ipv4Addr::new(198, 51, 100, vrid)]),
    )
    .priority(Priority(prio))
    .build()
    .unwrap()
}

fn handle_advert(c: &mut Criterion) {
    let mut r = Router::new(cfg(1, 1, 100), Instant::ZERO);
    r.handle_startup(Instant::ZERO);
    while r.poll_output().is_some() {}
    let vips = [Ipv4Addr::new(198, 51, 100, 1)];
    let adv = Advertisement {
        vrid: Vrid::new(1).unwrap(),
        priority: Priority(200),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V4(&vips),
    };
    let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    let mut t = 0u64;
    c.bench_function("fsm/backup_handle_advert", |b| {
        b.iter(|| {
            t += 1_000_000;
            let res = r.handle_advert(Instant::from_micros(t), src, black_box(&adv));
            while let Some(o) = r.poll_output() {
                black_box(o);
            }
            black_box(res)
        })
    });
}

/// 1000 Backups on 4 interfaces (250 VRIDs each), fed their master's adverts in turn, as
/// the raw socket gives them (IPv4 header included); each iteration is one datagram and the
/// drain of both queues.
fn endpoint_handle_datagram(c: &mut Criterion) {
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    for ifindex in 0..4u32 {
        for vrid in 1..=250u8 {
            let spec = InstanceSpec {
                interface: InterfaceId(10 + ifindex),
                config: cfg(vrid, 1, 100),
                peers: vec![],
                track_interfaces: vec![],
            };
            ep.add(Instant::ZERO, spec).unwrap();
        }
    }
    ep.start_all(Instant::ZERO);
    while ep.poll_event().is_some() {}
    let (src, dst) = (Ipv4Addr::new(192, 0, 2, 2), MULTICAST_V4);
    let packets: Vec<Vec<u8>> = (1..=250u8)
        .map(|vrid| {
            let vips = [Ipv4Addr::new(198, 51, 100, vrid)];
            let adv = Advertisement {
                vrid: Vrid::new(vrid).unwrap(),
                priority: Priority(200),
                fields: VersionFields::V3 {
                    interval: Centiseconds::new(100).unwrap(),
                },
                addresses: Addresses::V4(&vips),
            };
            let mut b = vec![0; ip::IPV4_HEADER_LEN + adv.buffer_len()];
            let n = adv
                .emit(
                    &mut b[ip::IPV4_HEADER_LEN..],
                    src.into(),
                    dst.into(),
                    ChecksumForm::PseudoHeader,
                )
                .unwrap();
            ip::emit_ipv4_header(&mut b, src, dst, n, 0).unwrap();
            b
        })
        .collect();
    let (mut t, mut k, mut buf) = (0u64, 0usize, [0u8; 1500]);
    c.bench_function("fsm/endpoint_1000_backups_handle_datagram", |b| {
        b.iter(|| {
            t += 1_000;
            k = (k + 1) % 1000;
            let d = Datagram {
                interface: InterfaceId(10 + (k / 250) as u32),
                src: src.into(),
                dst: dst.into(),
                hop_limit: 255,
                bytes: &packets[k % 250],
            };
            ep.handle_datagram(Instant::from_micros(t), d);
            while let Some(e) = ep.poll_event() {
                black_box(e);
            }
            while let Some(x) = ep.poll_transmit(&mut buf) {
                black_box(x);
            }
        })
    });
    assert_eq!(ep.counters().checksum_errors, 0);
}

/// 1000 Masters (VRRPv3, 0.1 s) on 4 interfaces, started 100 µs apart so that their adverts
/// are due spread over the interval; each iteration is one interval driven the way a driver
/// does (sleep until `poll_timeout`, `handle_timeout`, drain both queues): 1000 adverts.
fn endpoint_masters_send(c: &mut Criterion) {
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let mut t = 0u64;
    for ifindex in 0..4u32 {
        for vrid in 1..=250u8 {
            let config = Config::builder(
                Vrid::new(vrid).unwrap(),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                Vips::V4(vec![Ipv4Addr::new(198, 51, 100, vrid)]),
            )
            .version(Version::V3)
            .advert_interval(Centiseconds::new(10).unwrap())
            .priority(Priority(255))
            .build()
            .unwrap();
            let spec = InstanceSpec {
                interface: InterfaceId(10 + ifindex),
                config,
                peers: vec![],
                track_interfaces: vec![],
            };
            let id = ep.add(Instant::from_micros(t), spec).unwrap();
            ep.start(Instant::from_micros(t), id).unwrap();
            t += 100;
        }
    }
    let mut buf = [0u8; 1500];
    while ep.poll_event().is_some() {}
    while ep.poll_transmit(&mut buf).is_some() {}
    let mut g = c.benchmark_group("fsm/endpoint_1000_masters");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("one_interval_of_adverts", |b| {
        b.iter(|| {
            let mut sent = 0;
            while sent < 1000 {
                let now = ep.poll_timeout().unwrap();
                ep.handle_timeout(now);
                while let Some(e) = ep.poll_event() {
                    black_box(e);
                }
                while let Some(x) = ep.poll_transmit(&mut buf) {
                    black_box(x);
                    sent += 1;
                }
            }
        })
    });
    g.finish();
}

fn simulated_lan(c: &mut Criterion) {
    let mut sim = Sim::new(SimConfig {
        seed: 42,
        jitter: Duration::from_millis(2),
        ..SimConfig::default()
    });
    for vrid in 1..=250u8 {
        for k in 0..4u8 {
            let id = sim.add_router(cfg(vrid, k + 1, 100 + k));
            sim.start(id);
        }
    }
    sim.run_for(Duration::from_secs(30));
    let mut g = c.benchmark_group("fsm/sim_1000_routers");
    // One element = one router for one simulated minute.
    g.throughput(Throughput::Elements(1000));
    g.bench_function("one_simulated_minute", |b| {
        b.iter(|| {
            sim.run_for(Duration::from_secs(60));
            black_box(sim.delivered())
        })
    });
    g.finish();
    assert!(sim.violations().is_empty());
}

criterion_group!(
    benches,
    handle_advert,
    endpoint_handle_datagram,
    endpoint_masters_send,
    simulated_lan
);
criterion_main!(benches);
