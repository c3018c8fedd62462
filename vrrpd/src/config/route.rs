//! `virtual_routes` and `static_routes` lines, read as keepalived 2.2.7 reads them
//! (`alloc_route` / `parse_nexthops` in `vrrp_iproute.c`): every option it takes is either
//! applied or refused with the file and line. A line keepalived reports and skips is refused
//! here (a route silently missing after a failover is an outage).

use std::net::IpAddr;

use vrrp_net::{AddMode, NextHop, Route, RouteMetric};

use super::error::{ConfigError, Warning};
use super::model::RouteLine;
use super::rtnames::{number, Names};
use super::tree::Statement;

/// RTAX_* indexes, for `lock`.
const RTAX_MTU: u32 = 2;
const RTAX_WINDOW: u32 = 3;
const RTAX_RTT: u32 = 4;
const RTAX_RTTVAR: u32 = 5;
const RTAX_SSTHRESH: u32 = 6;
const RTAX_CWND: u32 = 7;
const RTAX_ADVMSS: u32 = 8;
const RTAX_REORDERING: u32 = 9;
const RTAX_RTO_MIN: u32 = 13;
const RTAX_CC_ALGO: u32 = 16;
/// keepalived's bounds for rtt values, in ms (TCP_RTO_MIN .. TCP_RTO_MAX).
const RTT_MIN_MS: u64 = 200;
const RTT_MAX_MS: u64 = 120_000;

/// The words of a line, one at a time, with errors at its place.
pub(super) struct Words<'a> {
    s: &'a Statement,
    words: Vec<&'a str>,
    at: usize,
}

impl<'a> Words<'a> {
    pub(super) fn new(s: &'a Statement) -> Self {
        let words = std::iter::once(s.keyword.as_str())
            .chain(s.args.iter().map(String::as_str))
            .collect();
        Words { s, words, at: 0 }
    }

    pub(super) fn next(&mut self) -> Option<&'a str> {
        let w = self.words.get(self.at).copied();
        self.at += 1;
        w
    }

    pub(super) fn peek(&self) -> Option<&'a str> {
        self.words.get(self.at).copied()
    }

    /// The value after option `opt`.
    pub(super) fn value(&mut self, opt: &str) -> Result<&'a str, ConfigError> {
        self.next()
            .ok_or_else(|| self.err(format!("'{opt}' needs a value")))
    }

    pub(super) fn err(&self, msg: impl Into<String>) -> ConfigError {
        ConfigError::invalid(&self.s.loc, msg)
    }

    pub(super) fn warn(&self, warnings: &mut Vec<Warning>, msg: impl Into<String>) {
        warnings.push(Warning {
            loc: self.s.loc.clone(),
            message: msg.into(),
        });
    }

    /// A number in `0..=max`.
    pub(super) fn num(&mut self, opt: &str, max: u32) -> Result<u32, ConfigError> {
        let v = self.value(opt)?;
        number(v)
            .filter(|&n| n <= max)
            .ok_or_else(|| self.err(format!("'{opt}': invalid value '{v}' (0 to {max})")))
    }

    /// A name or number from iproute2's list `names`.
    pub(super) fn named(&mut self, opt: &str, names: Names, max: u32) -> Result<u32, ConfigError> {
        let v = self.value(opt)?;
        names
            .lookup(v, max)
            .ok_or_else(|| self.err(format!("'{opt}': '{v}' not found or invalid")))
    }

    /// `A[/B]` realms: B in the low 16 bits, A above (keepalived's `get_realms`).
    pub(super) fn realms(&mut self, opt: &str) -> Result<u32, ConfigError> {
        let v = self.value(opt)?;
        let one = |t: &str| Names::Realm.lookup(t, 0xffff);
        let r = match v.split_once('/') {
            Some((a, b)) => one(a).zip(one(b)).map(|(a, b)| (a << 16) | b),
            None => one(v),
        };
        r.ok_or_else(|| self.err(format!("'{opt}': invalid realms '{v}'")))
    }
}

/// An address with an optional prefix (`ADDR[/LEN]`; keepalived's `parse_ipaddress`).
pub(super) fn prefix(text: &str) -> Option<(IpAddr, u8)> {
    let (a, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse().ok().filter(|&l| l <= max)?,
        None => max,
    };
    Some((addr, len))
}

/// A destination or `from`: a prefix, or `default` / `any` / `all` (prefix length 0 of
/// the route's family, decided at the end).
fn destination(text: &str) -> Option<Option<(IpAddr, u8)>> {
    match text {
        "default" | "any" | "all" => Some(None),
        t => prefix(t).map(Some),
    }
}

/// Family bookkeeping: the first address decides, the others must agree.
pub(super) struct Family(pub(super) Option<bool>);

impl Family {
    pub(super) fn set(&mut self, v6: bool, w: &Words) -> Result<(), ConfigError> {
        match self.0 {
            Some(f) if f != v6 => Err(w.err("cannot mix IPv4 and IPv6 addresses")),
            _ => {
                self.0 = Some(v6);
                Ok(())
            }
        }
    }

    pub(super) fn v6(&self) -> bool {
        self.0 == Some(true)
    }
}

/// One route line.
fn route(s: &Statement, warnings: &mut Vec<Warning>) -> Result<Route, ConfigError> {
    let mut w = Words::new(s);
    let mut fam = Family(None);
    let mut r = Route::to(IpAddr::from([0, 0, 0, 0]), 0);
    let mut dst: Option<Option<(IpAddr, u8)>> = None;
    let mut protocol = None;
    let mut no_track = false;
    let mut lock = 0u32;
    let mut nexthops = false;
    while let Some(opt) = w.next() {
        match opt {
            "inet" => fam.set(false, &w)?,
            "inet6" => fam.set(true, &w)?,
            "src" => {
                let v = w.value(opt)?;
                let a: IpAddr = v
                    .parse()
                    .map_err(|_| w.err(format!("invalid route src address {v}")))?;
                fam.set(a.is_ipv6(), &w)?;
                r.pref_src = Some(a);
            }
            "via" | "gw" => {
                if opt == "gw" {
                    w.warn(warnings, "\"gw\" for routes is deprecated. Please use \"via\"");
                }
                let mut v = w.value(opt)?;
                if v == "inet" || v == "inet6" {
                    // keepalived: the family of the route, which must agree.
                    fam.set(v == "inet6", &w)?;
                    v = w.value(opt)?;
                }
                let a: IpAddr = v
                    .parse()
                    .map_err(|_| w.err(format!("invalid route via address {v}")))?;
                fam.set(a.is_ipv6(), &w)?;
                r.via = Some(a);
            }
            "from" => {
                let v = w.value(opt)?;
                let p = prefix(v).ok_or_else(|| w.err(format!("invalid route from address {v}")))?;
                if p.0.is_ipv4() {
                    return Err(w.err(format!(
                        "route from address only supported with IPv6 ({v})"
                    )));
                }
                fam.set(true, &w)?;
                r.src = Some(p);
            }
            "tos" | "dsfield" => r.tos = Some(w.named(opt, Names::DsField, 255)? as u8),
            "table" => r.table = w.named(opt, Names::Table, u32::MAX)?,
            "protocol" | "proto" => protocol = Some(w.named(opt, Names::Protocol, 255)? as u8),
            "scope" => r.scope = Some(w.named(opt, Names::Scope, 255)? as u8),
            "metric" | "priority" | "preference" => r.metric = Some(w.num(opt, u32::MAX)?),
            "dev" | "oif" => r.dev = Some(w.value(opt)?.to_string()),
            "onlink" => r.onlink = true,
            "expires" => {
                if fam.0 == Some(false) {
                    return Err(w.err("expires is only valid for IPv6"));
                }
                fam.set(true, &w)?;
                r.expires = Some(w.num(opt, u32::MAX)?);
            }
            "mtu" | "advmss" | "reordering" | "cwnd" | "ssthresh" | "window" | "initcwnd"
            | "initrwnd" | "hoplimit" | "quickack" | "fastopen_no_cookie" | "rtt"
            | "rttvar" | "rto_min" => r.metrics.push(metric(&mut w, opt, &mut lock)?),
            "features" => {
                let v = w.value(opt)?;
                if v != "ecn" {
                    return Err(w.err(format!("feature {v} not supported")));
                }
                r.metrics.push(RouteMetric::Features(1));
            }
            "congctl" => {
                let mut v = w.value(opt)?;
                if v == "lock" {
                    lock |= 1 << RTAX_CC_ALGO;
                    v = w.value(opt)?;
                }
                r.metrics.push(RouteMetric::CcAlgo(v.to_string()));
            }
            "realms" => {
                if fam.0 == Some(true) {
                    return Err(w.err("realms are only valid for IPv4"));
                }
                fam.set(false, &w)?;
                r.realms = w.realms(opt)?;
            }
            "pref" => {
                if fam.0 == Some(false) {
                    return Err(w.err("pref is only valid for IPv6"));
                }
                fam.set(true, &w)?;
                r.pref = Some(match w.value(opt)? {
                    "low" => 3,
                    "medium" => 0,
                    "high" => 1,
                    v => number(v)
                        .filter(|&n| n <= 255)
                        .ok_or_else(|| w.err(format!("Invalid pref value {v}")))?
                        as u8,
                });
            }
            "add" => r.mode = AddMode::Add,
            "prepend" => r.mode = AddMode::Prepend,
            "append" => r.mode = AddMode::Append,
            "or" => {
                w.warn(warnings, "\"or\" for routes is deprecated. Please use \"nexthop\"");
                let v = w.value(opt)?;
                if !r.nexthops.is_empty() {
                    w.warn(warnings, "\"or\" route already specified - ignoring subsequent");
                    continue;
                }
                let a: IpAddr = v
                    .parse()
                    .map_err(|_| w.err(format!("Invalid \"or\" address {v}")))?;
                fam.set(a.is_ipv6(), &w)?;
                let first = NextHop {
                    via: r.via.take(),
                    ..NextHop::default()
                };
                let second = NextHop {
                    via: Some(a),
                    ..NextHop::default()
                };
                r.nexthops = vec![first, second];
            }
            "nexthop" => {
                if !r.nexthops.is_empty() {
                    return Err(w.err("Cannot specify nexthops with \"or\" route"));
                }
                nexthops = true;
                break;
            }
            "no_track" => no_track = true,
            "track_group" => {
                return Err(w.err(
                    "track_group (static route tracking groups) is not implemented by vrrpd",
                ))
            }
            "encap" | "as" | "vrf" | "ttl-propagate" => {
                return Err(w.err(format!(
                    "route option '{opt}' (MPLS / lightweight tunnels / VRF) is not implemented by vrrpd"
                )))
            }
            other => {
                let mut d = other;
                if d == "to" {
                    d = w.value(opt)?;
                }
                if let Some(kind) = Names::RouteType.lookup(d, 255) {
                    r.kind = kind as u8;
                    r.kind_given = true;
                    d = w.value(d)?;
                }
                let p = destination(d)
                    .ok_or_else(|| w.err(format!("unknown route keyword {d}")))?;
                if let Some((a, _)) = p {
                    fam.set(a.is_ipv6(), &w)?;
                }
                dst = Some(p);
            }
        }
    }
    if nexthops {
        // `nexthop` was consumed: put it back for the nexthop reader.
        w.at -= 1;
        r.nexthops = parse_nexthops(&mut w, &mut fam)?;
    }
    let Some(dst) = dst else {
        return Err(w.err("Route must have a destination"));
    };
    let v6 = fam.v6();
    r.dst = dst.unwrap_or(if v6 {
        (IpAddr::from([0u16; 8]), 0)
    } else {
        (IpAddr::from([0u8; 4]), 0)
    });
    if lock != 0 {
        r.metrics.push(RouteMetric::Lock(lock));
    }
    let tracked = !no_track;
    if tracked {
        if protocol.is_some_and(|p| p != vrrp_net::RTPROT_KEEPALIVED) {
            w.warn(
                warnings,
                format!(
                    "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED({}), resetting protocol",
                    vrrp_net::RTPROT_KEEPALIVED
                ),
            );
        }
        r.protocol = vrrp_net::RTPROT_KEEPALIVED;
    } else if let Some(p) = protocol {
        r.protocol = p;
    }
    // keepalived tracks only a route with an interface.
    r.track = tracked && r.dev.is_some();
    Ok(r)
}

/// `mtu [lock] N`, `rtt [lock] TIME`, ...: one RTA_METRICS entry.
fn metric(w: &mut Words, opt: &str, lock: &mut u32) -> Result<RouteMetric, ConfigError> {
    let lockable = match opt {
        "mtu" => Some(RTAX_MTU),
        "advmss" => Some(RTAX_ADVMSS),
        "rtt" => Some(RTAX_RTT),
        "rttvar" => Some(RTAX_RTTVAR),
        "reordering" => Some(RTAX_REORDERING),
        "cwnd" => Some(RTAX_CWND),
        "ssthresh" => Some(RTAX_SSTHRESH),
        "rto_min" => Some(RTAX_RTO_MIN),
        "window" => Some(RTAX_WINDOW),
        _ => None,
    };
    if let (Some(bit), Some("lock")) = (lockable, w.peek()) {
        // keepalived does not take `lock` for window; iproute2 does: so does vrrpd.
        *lock |= 1 << bit;
        w.next();
    }
    Ok(match opt {
        "mtu" => RouteMetric::Mtu(w.num(opt, u32::MAX)?),
        "advmss" => RouteMetric::Advmss(w.num(opt, u32::MAX)?),
        "reordering" => RouteMetric::Reordering(w.num(opt, u32::MAX)?),
        "cwnd" => RouteMetric::Cwnd(w.num(opt, u32::MAX)?),
        "ssthresh" => RouteMetric::SsThresh(w.num(opt, u32::MAX)?),
        "window" => RouteMetric::Window(w.num(opt, u32::MAX)?),
        "initcwnd" => RouteMetric::InitCwnd(w.num(opt, u32::MAX)?),
        "initrwnd" => RouteMetric::InitRwnd(w.num(opt, u32::MAX)?),
        "hoplimit" => RouteMetric::Hoplimit(w.num(opt, 255)?),
        "quickack" => RouteMetric::QuickAck(w.num(opt, 1)?),
        "fastopen_no_cookie" => RouteMetric::FastopenNoCookie(w.num(opt, 1)?),
        "rtt" => RouteMetric::Rtt(rtt(w, opt, 8)?),
        "rttvar" => RouteMetric::RttVar(rtt(w, opt, 4)?),
        _ => RouteMetric::RtoMin(rtt(w, opt, 1)?),
    })
}

/// keepalived's `get_time_rtt`: a bare number is in the kernel's units; with `s` / `ms` it
/// is converted (×`unit` per ms); clamped to 0.2 s .. 120 s as keepalived does.
fn rtt(w: &mut Words, opt: &str, unit: u64) -> Result<u32, ConfigError> {
    let v = w.value(opt)?;
    let bad = || w.err(format!("Invalid {opt} {v} for route"));
    let lower = v.to_ascii_lowercase();
    let (num, scale) = if let Some(n) = lower.strip_suffix("ms") {
        (n, Some(1.0))
    } else if let Some(n) = ["secs", "sec", "s"]
        .iter()
        .find_map(|s| lower.strip_suffix(s))
    {
        (n, Some(1000.0))
    } else {
        (lower.as_str(), None)
    };
    if num.contains(['e', 'E']) {
        return Err(bad());
    }
    let x: f64 = num.parse().map_err(|_| bad())?;
    if !x.is_finite() || x < 0.0 {
        return Err(bad());
    }
    let units = match scale {
        Some(ms) => ((x * ms).round() as u64).saturating_mul(unit),
        None => x.round() as u64,
    };
    Ok(units.clamp(RTT_MIN_MS * unit, RTT_MAX_MS * unit) as u32)
}

/// `nexthop via A dev IF weight W onlink realms R nexthop ...` to the end of the line.
fn parse_nexthops(w: &mut Words, fam: &mut Family) -> Result<Vec<NextHop>, ConfigError> {
    let mut out = Vec::new();
    while w.peek() == Some("nexthop") {
        w.next();
        let mut nh = NextHop::default();
        while let Some(opt) = w.peek() {
            match opt {
                "via" => {
                    w.next();
                    let mut v = w.value(opt)?;
                    if v == "inet" || v == "inet6" {
                        fam.set(v == "inet6", w)?;
                        v = w.value(opt)?;
                    }
                    let a: IpAddr = v
                        .parse()
                        .map_err(|_| w.err(format!("invalid nexthop address {v}")))?;
                    fam.set(a.is_ipv6(), w)?;
                    nh.via = Some(a);
                }
                "dev" => {
                    w.next();
                    nh.dev = Some(w.value(opt)?.to_string());
                }
                "weight" => {
                    w.next();
                    let n = w.num(opt, 256)?;
                    if n == 0 {
                        return Err(w.err("Invalid weight 0 specified for route"));
                    }
                    nh.weight = Some(n as u16);
                }
                "onlink" => {
                    w.next();
                    nh.onlink = true;
                }
                "realms" => {
                    w.next();
                    fam.set(false, w)?;
                    nh.realms = w.realms(opt)?;
                }
                "encap" | "as" => {
                    return Err(w.err(format!(
                        "nexthop option '{opt}' is not implemented by vrrpd"
                    )))
                }
                _ => break,
            }
        }
        out.push(nh);
    }
    if let Some(extra) = w.peek() {
        return Err(w.err(format!(
            "Route has trailing nonsense after nexthops - {extra}"
        )));
    }
    Ok(out)
}

/// A `virtual_routes` / `static_routes` block. A route with an interface and no `no_track`
/// is tracked ([`Route::track`]: deleted behind our back, the instance leaves MASTER, or a
/// static route is put back).
pub(super) fn routes(
    stmt: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<RouteLine>, ConfigError> {
    let mut out = Vec::with_capacity(stmt.children().len());
    for s in stmt.children() {
        if s.block.is_some() {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unexpected block after '{}'", s.keyword),
            ));
        }
        let route = route(s, warnings)?;
        out.push(RouteLine {
            route,
            loc: s.loc.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(line: &str) -> Result<(Route, Vec<Warning>), ConfigError> {
        let text = format!("virtual_routes {{\n  {line}\n}}\n");
        let mut warnings = Vec::new();
        let mut got = None;
        super::super::tree::visit_str(Path::new("t.conf"), &text, &mut |stmt| {
            got = Some(routes(&stmt, &mut warnings)?);
            Ok(())
        })?;
        let mut lines = got.unwrap();
        Ok((lines.remove(0).route, warnings))
    }

    fn ok(line: &str) -> Route {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}")).0
    }

    fn err(line: &str) -> String {
        match parse(line) {
            Ok((r, _)) => panic!("{line}: accepted as {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn keepalived_sample_lines() {
        let r = ok("src 192.0.2.1 198.51.100.0/24 via 192.0.2.254 dev eth1");
        assert_eq!(r.dst, ("198.51.100.0".parse().unwrap(), 24));
        assert_eq!(r.pref_src, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(r.via, Some("192.0.2.254".parse().unwrap()));
        assert_eq!(r.dev.as_deref(), Some("eth1"));
        assert_eq!((r.table, r.protocol), (254, 18));
        let r = ok("blackhole 198.51.100.1/32");
        assert_eq!((r.kind, r.kind_given), (6, true));
        let r = ok("0.0.0.0/0 gw 192.0.2.1 table 100");
        assert_eq!((r.dst.1, r.table), (0, 100));
        let r = ok("198.51.100.0/24 via 192.0.2.252 or 192.0.2.253");
        assert_eq!(r.via, None);
        let hops: Vec<_> = r.nexthops.iter().map(|n| n.via.unwrap()).collect();
        assert_eq!(
            hops,
            [
                "192.0.2.252".parse::<IpAddr>().unwrap(),
                "192.0.2.253".parse().unwrap()
            ]
        );
        let r = ok("src 192.0.2.1 to 198.51.100.0/24 via 192.0.2.254 dev eth1");
        assert_eq!(r.dst.1, 24);
    }

    #[test]
    fn every_option() {
        let r = ok("unreachable 2001:db8:5::/48 table 300 metric 7 pref high expires 60 protocol static no_track");
        assert_eq!(
            (r.kind, r.table, r.metric, r.pref),
            (7, 300, Some(7), Some(1))
        );
        assert_eq!((r.expires, r.protocol), (Some(60), 4));
        let r = ok("198.51.100.0/24 dev eth0 scope link tos 0x10 onlink realms 1/2 append mtu lock 1400 advmss 1360 rtt 1s rttvar 300 initcwnd 10 features ecn congctl cubic hoplimit 9");
        assert_eq!(
            (r.scope, r.tos, r.onlink, r.realms),
            (Some(253), Some(16), true, 0x10002)
        );
        assert_eq!(r.mode, AddMode::Append);
        assert!(r.metrics.contains(&RouteMetric::Mtu(1400)));
        assert!(r.metrics.contains(&RouteMetric::Rtt(8000)));
        assert!(
            r.metrics.contains(&RouteMetric::RttVar(800)),
            "clamped to 200 ms x4"
        );
        assert!(r.metrics.contains(&RouteMetric::Lock(1 << RTAX_MTU)));
        assert!(r.metrics.contains(&RouteMetric::CcAlgo("cubic".into())));
        let r = ok("default via 192.0.2.1");
        assert_eq!(r.dst, (IpAddr::from([0, 0, 0, 0]), 0));
        let r = ok("inet6 default via 2001:db8::1");
        assert!(r.is_ipv6());
        let r = ok(
            "2001:db8:1::/64 from 2001:db8:2::/64 via 2001:db8::1 dev eth0 protocol 99 no_track",
        );
        assert_eq!(r.src.unwrap().1, 64);
        assert_eq!(r.protocol, 99);
        let r = ok("198.51.100.0/24 nexthop via 192.0.2.1 dev eth0 weight 2 nexthop via 192.0.2.2 weight 256 onlink");
        assert_eq!(r.nexthops.len(), 2);
        assert_eq!(r.nexthops[0].weight, Some(2));
        assert_eq!(r.nexthops[0].dev.as_deref(), Some("eth0"));
        assert_eq!(
            (r.nexthops[1].weight, r.nexthops[1].onlink),
            (Some(256), true)
        );
        let r = ok("throw 198.51.100.0/24 table 5");
        assert_eq!(r.kind, 9);
    }

    #[test]
    fn refusals_name_the_line_and_why() {
        for (line, why) in [
            ("via 192.0.2.1", "Route must have a destination"),
            (
                "198.51.100.0/24 via 2001:db8::1",
                "cannot mix IPv4 and IPv6",
            ),
            (
                "198.51.100.0/24 from 192.0.2.0/24",
                "only supported with IPv6",
            ),
            (
                "198.51.100.0/24 table nosuchtable",
                "'table': 'nosuchtable' not found",
            ),
            ("198.51.100.0/24 bogus", "unknown route keyword bogus"),
            (
                "198.51.100./24 dev eth0",
                "unknown route keyword 198.51.100./24",
            ),
            ("198.51.100.0/24 metric", "'metric' needs a value"),
            (
                "198.51.100.0/24 nexthop via 192.0.2.1 weight 0",
                "Invalid weight 0",
            ),
            (
                "198.51.100.0/24 nexthop via 192.0.2.1 junk",
                "trailing nonsense",
            ),
            (
                "198.51.100.0/24 encap mpls 100 dev eth0",
                "not implemented by vrrpd",
            ),
            (
                "198.51.100.0/24 dev eth0 track_group g",
                "not implemented by vrrpd",
            ),
            (
                "198.51.100.0/24 realms 1 pref low",
                "pref is only valid for IPv6",
            ),
            (
                "198.51.100.0/24 features sack",
                "feature sack not supported",
            ),
        ] {
            let e = err(line);
            assert!(e.starts_with("t.conf:2: "), "{line}: {e}");
            assert!(e.contains(why), "{line}: {e}");
        }
    }

    #[test]
    fn hostile_values_are_errors_or_clamped_never_panics() {
        for line in [
            "198.51.100.0/24 rtt 99999999999999999999999999s",
            "198.51.100.0/24 rtt lock",
            "198.51.100.0/24 rto_min -5ms",
            "198.51.100.0/24 mtu 99999999999",
            "198.51.100.0/24 nexthop",
            "198.51.100.0/24 nexthop nexthop",
            "to",
            "blackhole",
            "198.51.100.0/24 via inet",
            "198.51.100.0/24/7",
            "198.51.100.0/33",
            "198.51.100.0/24 realms 70000",
            "198.51.100.0/24 table 99999999999",
        ] {
            let _ = parse(line);
        }
        let r = ok("198.51.100.0/24 rtt 99999999999999999999999999s");
        assert!(r
            .metrics
            .contains(&RouteMetric::Rtt((RTT_MAX_MS * 8) as u32)));
    }

    #[test]
    fn warnings_as_keepalived_and_for_tracking() {
        let (_, w) = parse("198.51.100.0/24 gw 192.0.2.1 dev eth0").unwrap();
        let text: Vec<_> = w.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert!(text[0].contains("t.conf:2: warning: \"gw\" for routes is deprecated"));
        let (r, w) = parse("198.51.100.0/24 via 192.0.2.1 dev eth0").unwrap();
        assert!(w.is_empty() && r.track, "{w:?}");
        let (r, _) = parse("198.51.100.0/24 via 192.0.2.1 dev eth0 no_track").unwrap();
        assert!(!r.track, "no_track");
        let (r, _) = parse("198.51.100.0/24 via 192.0.2.1").unwrap();
        assert!(!r.track, "keepalived tracks only a route with a dev");
        let (r, w) = parse("198.51.100.0/24 via 192.0.2.1 dev eth0 protocol 4").unwrap();
        assert_eq!(r.protocol, 18, "tracked: keepalived resets the protocol");
        assert!(w[0].message.contains("resetting protocol"));
    }
}
