//! `vrrp-one`: one virtual router from command-line flags — the smallest program built on
//! vrrp-net + vrrp-fsm, for people embedding the crates.
//!
//! ```sh
//! vrrp-one --interface eth0 --vrid 51 --priority 150 --vip 192.0.2.100[/24] \
//!          [--version 2|3] [--advert-cs 100] [--peer 192.0.2.2 ...] [--src 192.0.2.1] \
//!          [--nopreempt] [--name VI_1] [--vmac vrrp.51]
//! ```
//!
//! Prints a line on each state change (`(VI_1) Entering MASTER STATE`, the state as named by
//! vrrp-fsm) and on each thing the runner reports, and stops cleanly on SIGTERM / SIGINT
//! (priority-0 advert, VIPs removed). The library handles no signal: this program blocks
//! SIGTERM and SIGINT and reads them from a signalfd registered with the runner's poll.

use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use mio::unix::SourceFd;
use mio::{Interest, Token};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use vrrp_fsm::{Config, InstanceId, Vips};
use vrrp_net::{Happening, Instance, InstanceNote, Runner, Vip, FIRST_USER_TOKEN};
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

/// The signalfd's token in the runner's poll.
const STOP: Token = Token(FIRST_USER_TOKEN);

/// SIGTERM and SIGINT, blocked (no handler, no default action) and readable from a signalfd.
fn stop_signals() -> Result<SignalFd, String> {
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGTERM);
    mask.add(Signal::SIGINT);
    mask.thread_block()
        .map_err(|e| format!("block SIGTERM/SIGINT: {e}"))?;
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| format!("signalfd: {e}"))
}

/// Print what the runner reports: state changes on stdout, the rest on stderr.
fn print(runner: &Runner, h: &Happening) {
    let name = |i: InstanceId| runner.info(i).map_or("?", |info| info.spec.name.as_str());
    match h {
        Happening::StateChange { instance, to, .. } => {
            let state = format!("{to:?}").to_uppercase();
            println!("({}) Entering {state} STATE", name(*instance));
        }
        Happening::Instance {
            instance,
            note: InstanceNote::StaleVipRemoved(addr),
        } => eprintln!(
            "({}) removed {addr}, left behind by an earlier run",
            name(*instance)
        ),
        Happening::Instance { instance, note } => eprintln!("({}) {note:?}", name(*instance)),
        Happening::Event {
            instance, event, ..
        } => {
            eprintln!("({}) {event:?}", name(*instance))
        }
        Happening::Runner(note) => eprintln!("{note:?}"),
        Happening::GroupState { .. } | Happening::Ready(_) => {}
    }
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
    let stop = stop_signals()?;
    let mut runner = Runner::new(ChecksumForm::PseudoHeader).map_err(|e| e.to_string())?;
    runner
        .registry()
        .register(&mut SourceFd(&stop.as_raw_fd()), STOP, Interest::READABLE)
        .map_err(|e| format!("register signalfd: {e}"))?;
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
        peers: a.peers,
        vips: a.vips,
        excluded: Vec::new(),
        track_links: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        vmac: a.vmac,
    };
    runner.add(instance, cfg).map_err(|e| e.to_string())?;
    runner
        .run(|runner, h| {
            print(runner, h);
            // SIGTERM or SIGINT: stop (the signalfd is drained by the exit).
            matches!(h, Happening::Ready(STOP)) && matches!(stop.read_signal(), Ok(Some(_)))
        })
        .map_err(|e| e.to_string())
}
