//! A primary/secondary pair on a simulated LAN, in simulated time: the election, the
//! primary crashing, the failover, the primary coming back (preemption), and a graceful
//! stop (priority 0). Deterministic: the same seed prints the same run.
//!
//! ```sh
//! cargo run -p vrrp-fsm --example lan [SEED]
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp_fsm::sim::{Sim, SimConfig};
use vrrp_fsm::{timers, Config, Instant, State, Vips};
use vrrp_proto::{Centiseconds, Priority, Version, Vrid};

const NAMES: [&str; 2] = ["primary (prio 150)", "secondary (prio 100)"];

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let vrid = Vrid::new(51).unwrap();
    let vip = Ipv4Addr::new(192, 0, 2, 100);
    let router = |last: u8, prio: u8| {
        Config::builder(
            vrid,
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
            Vips::V4(vec![vip]),
        )
        .priority(Priority(prio))
        .advert_interval(Centiseconds::new(100).unwrap())
        .build()
        .unwrap()
    };
    let mut sim = Sim::new(SimConfig {
        seed,
        latency: Duration::from_micros(200),
        jitter: Duration::from_millis(2),
        ..SimConfig::default()
    });
    let primary = sim.add_router(router(1, 150));
    let secondary = sim.add_router(router(2, 100));
    println!("VRRPv3, VRID 51, VIP {vip}, advert every 1 s, simulated LAN (seed {seed})\n");

    println!("-- both start");
    sim.start(primary);
    sim.start(secondary);
    let shown = report(&sim, 0);
    sim.run_for(Duration::from_secs(6));
    let shown = report(&sim, shown);
    let master = |sim: &Sim| sim.masters(vrid, 0);
    println!("   master: {}\n", names(&master(&sim)));

    println!("-- primary crashes at {}", sim.now());
    let last_advert = sim.last_sent(primary).unwrap();
    sim.kill(primary);
    sim.run_for(Duration::from_secs(6));
    let shown = report(&sim, shown);
    let took_over = first_master_after(&sim, secondary, last_advert);
    let mdi = timers::master_down_interval(Version::V3, Priority(100), Duration::from_secs(1));
    println!(
        "   failover {:.3} s after the primary's last advert (Master_Down_Interval {:.3} s)\n",
        took_over
            .saturating_duration_since(last_advert)
            .as_secs_f64(),
        mdi.as_secs_f64()
    );

    println!("-- primary restarts at {}", sim.now());
    sim.start(primary);
    sim.run_for(Duration::from_secs(6));
    let shown = report(&sim, shown);
    println!("   master: {}\n", names(&master(&sim)));

    println!(
        "-- primary stops gracefully (priority 0 advert) at {}",
        sim.now()
    );
    let stop = sim.now();
    sim.shutdown(primary);
    sim.run_for(Duration::from_secs(3));
    report(&sim, shown);
    let took_over = first_master_after(&sim, secondary, stop);
    let skew = timers::skew_time(Version::V3, Priority(100), Duration::from_secs(1));
    println!(
        "   takeover {:.3} s after the stop (Skew_Time {:.3} s)",
        took_over.saturating_duration_since(stop).as_secs_f64(),
        skew.as_secs_f64()
    );
    println!("   master: {}", names(&master(&sim)));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// Print the state changes recorded since `from`; returns how many there are now.
fn report(sim: &Sim, from: usize) -> usize {
    for c in &sim.changes()[from..] {
        println!(
            "   t={}s  {:<22} {:?} -> {:?} ({:?})",
            c.at, NAMES[c.id], c.from, c.to, c.reason
        );
    }
    sim.changes().len()
}

fn first_master_after(sim: &Sim, id: usize, t: Instant) -> Instant {
    sim.changes()
        .iter()
        .find(|c| c.id == id && c.at > t && c.to == State::Master)
        .expect("a takeover")
        .at
}

fn names(ids: &[usize]) -> String {
    ids.iter().map(|&i| NAMES[i]).collect::<Vec<_>>().join(", ")
}
