//! `vrrp-one`: one virtual router from command-line flags — the smallest program built on
//! vrrp-net + vrrp-fsm, for people embedding the crates.
//!
//! ```sh
//! vrrp-one --interface eth0 --vrid 51 --priority 150 --vip 192.0.2.100[/24] \
//!          [--version 2|3] [--advert-cs 100] [--peer 192.0.2.2 ...] [--src 192.0.2.1] \
//!          [--nopreempt] [--name VI_1] [--vmac vrrp.51]
//! ```
//!
//! Prints keepalived's words on each state change (`(VI_1) Entering MASTER STATE`) and
//! stops cleanly on SIGTERM / SIGINT (priority-0 advert, VIPs removed).

use std::net::IpAddr;
use std::process::ExitCode;

use vrrp_fsm::{Config, Router, Vips};
use vrrp_net::{state_word, Instance, PeerFilter, Runner, Vip};
use vrrp_proto::{Centiseconds, ChecksumForm, Family, Priority, Version, Vrid};

struct Args {
    interface: String,
    name: String,
    vrid: Vrid,
    priority: Priority,
    version: Version,
    advert_cs: u16,
    vips: Vec<Vip>,
    peers: Vec<IpAddr>,
    src: Option<IpAddr>,
    preempt: bool,
    vmac: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        interface: String::new(),
        name: "VI_1".into(),
        vrid: Vrid::new(51).unwrap(),
        priority: Priority::DEFAULT,
        version: Version::V3,
        advert_cs: 100,
        vips: Vec::new(),
        peers: Vec::new(),
        src: None,
        preempt: true,
        vmac: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let bad = |what: &str| format!("{flag}: bad {what}");
        match flag.as_str() {
            "--interface" => a.interface = value()?,
            "--name" => a.name = value()?,
            "--vrid" => {
                a.vrid = value()?
                    .parse()
                    .ok()
                    .and_then(Vrid::new)
                    .ok_or(bad("VRID"))?
            }
            "--priority" => a.priority = Priority(value()?.parse().map_err(|_| bad("priority"))?),
            "--version" => {
                a.version = match value()?.as_str() {
                    "2" => Version::V2,
                    "3" => Version::V3,
                    _ => return Err(bad("version")),
                }
            }
            "--advert-cs" => a.advert_cs = value()?.parse().map_err(|_| bad("interval"))?,
            "--vip" => a.vips.push(parse_vip(&value()?).ok_or(bad("address"))?),
            "--peer" => a.peers.push(value()?.parse().map_err(|_| bad("address"))?),
            "--src" => a.src = Some(value()?.parse().map_err(|_| bad("address"))?),
            "--nopreempt" => a.preempt = false,
            "--vmac" => a.vmac = Some(value()?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.interface.is_empty() || a.vips.is_empty() {
        return Err("--interface and at least one --vip are required".into());
    }
    Ok(a)
}

/// Log lines to stderr, info and above (the library logs OS errors as warnings).
struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            eprintln!("{}: {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

/// `ADDR[/PREFIX]`, as in keepalived's `virtual_ipaddress` (default /32 or /128).
fn parse_vip(text: &str) -> Option<Vip> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a.parse().ok()?, Some(p.parse().ok()?)),
        None => (text.parse().ok()?, None),
    };
    let mut vip = Vip::host(addr);
    if let Some(p) = prefix {
        if p > vip.prefix_len {
            return None;
        }
        vip.prefix_len = p;
    }
    Some(vip)
}

fn main() -> ExitCode {
    let _ = log::set_logger(&Stderr).map(|()| log::set_max_level(log::LevelFilter::Info));
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrrp-one: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let a = parse()?;
    let family = if a.vips[0].addr.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    };
    let vips = match family {
        Family::V4 => Vips::V4(
            a.vips
                .iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V4(v) => Some(v),
                    IpAddr::V6(_) => None,
                })
                .collect(),
        ),
        Family::V6 => Vips::V6(
            a.vips
                .iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V6(v) => Some(v),
                    IpAddr::V4(_) => None,
                })
                .collect(),
        ),
    };
    let mut runner = Runner::new(ChecksumForm::PseudoHeader).map_err(|e| e.to_string())?;
    let src = match a.src {
        Some(s) => s,
        None => runner
            .primary_address(&a.interface, family)
            .map_err(|e| e.to_string())?
            .ok_or(format!("{}: no address to send from", a.interface))?,
    };
    let interval = Centiseconds::new(a.advert_cs).ok_or("--advert-cs: 1..=4095")?;
    let cfg = Config::builder(a.vrid, src, vips)
        .version(a.version)
        .priority(a.priority)
        .advert_interval(interval)
        .preempt(a.preempt)
        .build()
        .map_err(|e| e.to_string())?;
    let instance = Instance {
        name: a.name,
        interface: a.interface,
        src,
        dsts: a.peers.clone(),
        peers: PeerFilter::new(a.peers),
        vips: a.vips,
        track_links: Vec::new(),
        vmac: a.vmac,
    };
    runner
        .add(instance, Router::new(cfg, vrrp_fsm::Instant::ZERO))
        .map_err(|e| e.to_string())?;
    runner
        .run(|inst, t| println!("({}) Entering {} STATE", inst.name, state_word(t.to)))
        .map_err(|e| e.to_string())
}
