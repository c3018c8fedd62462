//! `vrrpd -t`'s second opinion: configurations keepalived accepts that will not do what
//! their author thinks. Each finding is a [`Warning`] naming file and line.
//!
//! [`static_checks`] look at the file alone; [`system_checks`] also look at this machine
//! (its interfaces and addresses through rtnetlink, the script files).

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;

use crate::config::{Config, Loc, Warning};
use crate::scripts::{resolve_program, security, split_command};

fn warn(out: &mut Vec<Warning>, loc: &Loc, message: String) {
    out.push(Warning {
        loc: loc.clone(),
        message,
    });
}

/// Findings from the configuration alone.
pub fn static_checks(c: &Config) -> Vec<Warning> {
    let mut out = Vec::new();
    for (n, i) in c.instances.iter().enumerate() {
        let (vrid, family) = (i.router.vrid(), i.router.family());
        if let Some(o) = c.instances[..n].iter().find(|o| {
            o.interface == i.interface && o.router.vrid() == vrid && o.router.family() == family
        }) {
            warn(
                &mut out,
                &i.loc,
                format!(
                    "vrrp_instance {}: virtual_router_id {} on {} is also used by {} at {}",
                    i.name,
                    vrid.get(),
                    i.interface,
                    o.name,
                    o.loc
                ),
            );
        }
    }
    for g in &c.sync_groups {
        let members: Vec<_> = g
            .members
            .iter()
            .filter_map(|(m, _)| c.instances.iter().find(|i| i.name == *m))
            .collect();
        if let Some(first) = members.first() {
            let every = first.router.advert_interval();
            if let Some(o) = members.iter().find(|i| i.router.advert_interval() != every) {
                warn(
                    &mut out,
                    &g.loc,
                    format!(
                        "vrrp_sync_group {}: advert_int differs between {} ({:?}) and {} ({:?}); members fail over at different times",
                        g.name,
                        first.name,
                        every,
                        o.name,
                        o.router.advert_interval()
                    ),
                );
            }
        }
    }
    out
}

/// An interface's addresses: (address, prefix length).
pub type Addresses = Vec<(IpAddr, u8)>;

/// Findings that need this machine: interfaces missing, VIPs outside every subnet of their
/// interface, scripts missing, not executable, or writable by someone other than root.
/// `addresses` returns an interface's addresses (address, prefix length), or None if there
/// is no such interface.
pub fn system_checks(c: &Config, addresses: &dyn Fn(&str) -> Option<Addresses>) -> Vec<Warning> {
    let mut out = Vec::new();
    for i in &c.instances {
        for t in &i.track_interfaces {
            if addresses(&t.name).is_none() {
                warn(&mut out, &t.loc, missing_tracked(&i.name, &t.name));
            }
        }
        let Some(addrs) = addresses(&i.interface) else {
            warn(
                &mut out,
                &i.loc,
                format!(
                    "vrrp_instance {}: no interface {} on this machine",
                    i.name, i.interface
                ),
            );
            continue;
        };
        for v in &i.excluded_vips {
            if let Some(dev) = v.dev.as_deref().filter(|d| addresses(d).is_none()) {
                warn(&mut out, &v.loc, missing_dev(dev, v.addr));
            }
        }
        for v in &i.vips {
            let dev = v.dev.as_deref().unwrap_or(&i.interface);
            let subnet_addrs = if dev == i.interface {
                Some(addrs.clone())
            } else {
                addresses(dev)
            };
            if subnet_addrs.is_none() {
                warn(&mut out, &v.loc, missing_dev(dev, v.addr));
                continue;
            }
            let inside = subnet_addrs
                .unwrap_or_default()
                .iter()
                .any(|(a, p)| same_subnet(*a, v.addr, *p));
            if !inside && !is_link_local(v.addr) {
                warn(
                    &mut out,
                    &v.loc,
                    format!(
                        "virtual_ipaddress {}: outside every subnet of {dev}; hosts on the link may not reach it",
                        v.addr
                    ),
                );
            }
        }
    }
    interfaces_of_routes(c, addresses, &mut out);
    let mut scripts: Vec<(&Loc, String, &str)> = Vec::new();
    for s in &c.scripts {
        scripts.push((&s.loc, format!("vrrp_script {}", s.name), &s.script));
    }
    for i in &c.instances {
        for line in [
            &i.notify.master,
            &i.notify.backup,
            &i.notify.fault,
            &i.notify.stop,
            &i.notify.generic,
            &i.notify.master_rx_lower_pri,
        ]
        .into_iter()
        .flatten()
        {
            scripts.push((&i.loc, format!("vrrp_instance {} notify", i.name), line));
        }
    }
    for (loc, what, line) in scripts {
        if let Some(msg) = script_problem(line) {
            warn(&mut out, loc, format!("{what}: {msg}"));
        }
    }
    out
}

/// Interfaces named by routes, rules and static addresses that this machine lacks (the
/// kernel refuses such a route; keepalived refuses the line).
fn interfaces_of_routes(
    c: &Config,
    addresses: &dyn Fn(&str) -> Option<Addresses>,
    out: &mut Vec<Warning>,
) {
    let routes = c
        .instances
        .iter()
        .flat_map(|i| &i.routes)
        .chain(&c.static_routes);
    let rules = c
        .instances
        .iter()
        .flat_map(|i| &i.rules)
        .chain(&c.static_rules);
    let mut named: Vec<(&Loc, &str)> = Vec::new();
    for l in routes {
        let hops = l.route.nexthops.iter().filter_map(|n| n.dev.as_deref());
        named.extend(
            l.route
                .dev
                .as_deref()
                .into_iter()
                .chain(hops)
                .map(|d| (&l.loc, d)),
        );
    }
    for l in rules {
        named.extend(
            [&l.rule.iif, &l.rule.oif]
                .into_iter()
                .flatten()
                .map(|d| (&l.loc, d.as_str())),
        );
    }
    named.extend(
        c.static_addresses
            .iter()
            .filter_map(|a| Some((&a.loc, a.dev.as_deref()?))),
    );
    for (loc, dev) in named {
        if addresses(dev).is_none() {
            warn(out, loc, format!("no interface {dev} on this machine"));
        }
    }
}

/// keepalived's words for an address line whose `dev` does not exist (it refuses to
/// start, and so does vrrpd).
/// keepalived's words on a `track_interface` line naming no interface; keepalived goes on
/// without tracking it, vrrpd refuses to start (it would not do what the file says).
pub fn missing_tracked(instance: &str, ifname: &str) -> String {
    format!("({instance}) tracked interface {ifname} doesn't exist; vrrpd will not start (keepalived runs without tracking it)")
}

fn missing_dev(dev: &str, addr: IpAddr) -> String {
    format!("interface {dev} for ip address {addr} doesn't exist; vrrpd will not start, as keepalived does not")
}

/// What is wrong with the program a script line runs, if anything: not found, not
/// executable, or changeable by someone other than root ([`security::check`], whoever it
/// runs as).
fn script_problem(line: &str) -> Option<String> {
    let argv = split_command(line).ok()?;
    let program = argv.first()?;
    let path = match resolve_program(program) {
        Ok(p) => p,
        Err(e) => return Some(format!("'{program}': {e}")),
    };
    let traced = match security::trace(&path) {
        Ok(t) => t,
        Err(e) => return Some(format!("{}: {}", e.path.display(), e.error)),
    };
    if traced.file.permissions().mode() & 0o111 == 0 {
        return Some(format!("{} is not executable", path.display()));
    }
    if let Err(bad) = security::check(&traced) {
        return Some(format!(
            "{} can be changed by a user other than root ({}); scripts run as root can be hijacked",
            bad.path.display(),
            bad.reason
        ));
    }
    None
}

fn is_link_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
        IpAddr::V4(v) => v.is_link_local(),
    }
}

/// True if `a` and `b` share the first `prefix` bits (and a family).
fn same_subnet(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let p = u32::from(prefix.min(32));
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let p = u32::from(prefix.min(128));
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}
