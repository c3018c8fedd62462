//! Helpers shared by the scenario tests.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use vrrp_fsm::{Config, ConfigBuilder, Instant, Output, Router, Vips};
use vrrp_proto::{Addresses, Advertisement, Centiseconds, Priority, VersionFields, Vrid};

pub const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
pub static VIPS: [Ipv4Addr; 1] = [VIP];

pub fn addr(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

pub fn vrid() -> Vrid {
    Vrid::new(51).unwrap()
}

pub fn base(me: u8, prio: u8) -> ConfigBuilder {
    Config::builder(vrid(), addr(me), Vips::V4(vec![VIP])).priority(Priority(prio))
}

pub fn at(ms: u64) -> Instant {
    Instant::from_micros(ms * 1000)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn v3(prio: u8, cs: u16) -> Advertisement<'static> {
    Advertisement {
        vrid: vrid(),
        priority: Priority(prio),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(cs).unwrap(),
        },
        addresses: Addresses::V4(&VIPS),
    }
}

pub fn drain(r: &mut Router) -> Vec<Output> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

/// A started router, outputs drained.
pub fn started(cfg: Config, now: Instant) -> Router {
    let mut r = Router::new(cfg, now);
    r.handle_startup(now);
    drain(&mut r);
    r
}

/// Run timeouts until `until`, collecting outputs with the time they came out.
pub fn run(r: &mut Router, until: Instant) -> Vec<(Instant, Output)> {
    let mut got = Vec::new();
    while let Some(t) = r.poll_timeout().filter(|&t| t <= until) {
        r.handle_timeout(t);
        got.extend(drain(r).into_iter().map(|o| (t, o)));
    }
    got
}
