//! rtnetlink routes and rules as keepalived configures them: added, shown by `ip` as
//! iproute2 shows keepalived's, removed; "already there" and "not there" told apart.
mod common;

use std::net::IpAddr;

use common::*;
use vrrp_net::{AddMode, NextHop, Route, RouteMetric, Rule, RuleKind};

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn rule(priority: u32, kind: RuleKind) -> Rule {
    Rule {
        ipv6: false,
        from: None,
        to: None,
        invert: false,
        priority,
        tos: 0,
        fwmark: None,
        realms: 0,
        suppress_prefixlen: None,
        suppress_ifgroup: None,
        iif: None,
        oif: None,
        tunnel_id: 0,
        uid_range: None,
        protocol: Some(vrrp_net::RTPROT_KEEPALIVED),
        ip_proto: None,
        sport: None,
        dport: None,
        kind,
        track: true,
    }
}

fn routes() -> Vec<Route> {
    let big_table = Route {
        via: Some(addr("192.0.2.254")),
        dev: Some(A_IF.into()),
        table: 1000,
        metric: Some(7),
        metrics: vec![
            RouteMetric::Mtu(1400),
            RouteMetric::Advmss(1300),
            RouteMetric::Lock(1 << 2),
        ],
        ..Route::to(addr("198.51.100.0"), 26)
    };
    let onlink = Route {
        via: Some(addr("198.51.100.9")),
        dev: Some(A_IF.into()),
        onlink: true,
        table: 101,
        ..Route::to(addr("198.51.100.64"), 26)
    };
    let v6 = Route {
        via: Some(addr("2001:db8::fe")),
        dev: Some(A_IF.into()),
        pref: Some(1),
        table: 102,
        ..Route::to(addr("2001:db8:7::"), 48)
    };
    let multipath = Route {
        table: 103,
        nexthops: vec![
            NextHop {
                via: Some(addr("192.0.2.253")),
                dev: Some(A_IF.into()),
                weight: Some(3),
                ..NextHop::default()
            },
            NextHop {
                via: Some(addr("192.0.2.252")),
                dev: Some(A_IF.into()),
                ..NextHop::default()
            },
        ],
        ..Route::to(addr("198.51.100.128"), 26)
    };
    let prohibit = Route {
        kind: 8,
        kind_given: true,
        table: 104,
        protocol: 4,
        ..Route::to(addr("198.51.100.192"), 26)
    };
    let v4_via_v6 = Route {
        via: Some(addr("2001:db8::fe")),
        dev: Some(A_IF.into()),
        table: 105,
        ..Route::to(addr("198.51.100.0"), 28)
    };
    vec![big_table, onlink, v6, multipath, prohibit, v4_via_v6]
}

fn rules() -> Vec<Rule> {
    let ports = Rule {
        uid_range: Some((1000, 2000)),
        sport: Some((1000, 2000)),
        dport: Some((80, 80)),
        ip_proto: Some(6),
        ..rule(300, RuleKind::Table(1000))
    };
    let goto = Rule {
        from: Some((addr("192.0.2.0"), 28)),
        ..rule(310, RuleKind::Goto(320))
    };
    let suppress = Rule {
        suppress_prefixlen: Some(0),
        protocol: None,
        ..rule(330, RuleKind::Table(254))
    };
    let blackhole = Rule {
        invert: true,
        from: Some((addr("192.0.2.0"), 24)),
        fwmark: Some((0x10, Some(0xff))),
        ..rule(340, RuleKind::Blackhole)
    };
    let iif = Rule {
        iif: Some(A_IF.into()),
        tos: 0x10,
        ..rule(360, RuleKind::Unreachable)
    };
    let v6 = Rule {
        ipv6: true,
        to: Some((addr("2001:db8:7::"), 48)),
        ..rule(370, RuleKind::Table(102))
    };
    vec![ports, goto, suppress, blackhole, iif, v6]
}

/// Route lines as `ip route show table all` prints them (nexthops joined with ` | `).
fn shown_routes() -> Vec<String> {
    let text = ip(&["route", "show", "table", "all"]);
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match (line.starts_with(char::is_whitespace), out.last_mut()) {
            (true, Some(last)) => *last = format!("{} | {}", last.trim_end(), line.trim()),
            _ => out.push(line.trim_end().to_string()),
        }
    }
    out
}

fn shown_rules() -> String {
    ip(&["-4", "rule", "show"]) + &ip(&["-6", "rule", "show"])
}

#[test]
fn routes_and_rules_added_shown_as_keepalived_removed() {
    let Some(lab) = lab("routes") else { return };
    in_ns(&lab.a, || {
        let mut nl = vrrp_net::Netlink::open().unwrap();
        for r in routes() {
            nl.add_route(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
        }
        for r in rules() {
            nl.add_rule(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
        }
        let shown = shown_routes();
        for want in [
            "198.51.100.0/26 via 192.0.2.254 dev veth0 table 1000 proto keepalived metric 7 mtu lock 1400 advmss 1300",
            "198.51.100.64/26 via 198.51.100.9 dev veth0 table 101 proto keepalived onlink",
            "2001:db8:7::/48 via 2001:db8::fe dev veth0 table 102 proto keepalived metric 1024 pref high",
            "198.51.100.128/26 table 103 proto keepalived | nexthop via 192.0.2.253 dev veth0 weight 3 | nexthop via 192.0.2.252 dev veth0 weight 1",
            "prohibit 198.51.100.192/26 table 104 proto static",
            "198.51.100.0/28 via inet6 2001:db8::fe dev veth0 table 105 proto keepalived",
        ] {
            assert!(shown.iter().any(|l| l == want), "no '{want}' in {shown:#?}");
        }
        let shown = shown_rules();
        for want in [
            "300:\tfrom all uidrange 1000-2000 ipproto tcp sport 1000-2000 dport 80 lookup 1000 proto keepalived",
            "310:\tfrom 192.0.2.0/28 goto 320 [unresolved] proto keepalived",
            "330:\tfrom all lookup main suppress_prefixlength 0",
            "340:\tnot from 192.0.2.0/24 fwmark 0x10/0xff blackhole proto keepalived",
            "360:\tfrom all tos 0x10 iif veth0 unreachable proto keepalived",
            "370:\tfrom all to 2001:db8:7::/48 lookup 102 proto keepalived",
        ] {
            assert!(shown.lines().any(|l| l == want), "no '{want}' in\n{shown}");
        }

        // keepalived's `add` (NLM_F_EXCL): the route is there; its default, prepend, and
        // rules (always NLM_F_EXCL): likewise.
        let mut excl = routes().remove(0);
        excl.mode = AddMode::Add;
        assert!(nl.add_route(&excl).unwrap_err().is_exists());
        assert!(nl.add_rule(&rules()[0]).unwrap_err().is_exists());
        // `append`: a second route to the same destination, after the first.
        let appended = Route {
            via: Some(addr("192.0.2.251")),
            mode: AddMode::Append,
            ..routes().remove(0)
        };
        nl.add_route(&appended).unwrap();
        nl.del_route(&appended).unwrap();

        for r in routes() {
            nl.del_route(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
            assert!(nl.del_route(&r).unwrap_err().is_not_found(), "{r}");
        }
        for r in rules() {
            nl.del_rule(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
            assert!(nl.del_rule(&r).unwrap_err().is_not_found(), "{r}");
        }
        let left: Vec<String> = shown_routes()
            .into_iter()
            .filter(|l| l.contains("proto keepalived") || l.contains("table 10"))
            .collect();
        assert!(left.is_empty(), "{left:#?}");
        let rules_left = shown_rules();
        assert!(
            rules_left
                .lines()
                .all(|l| l.starts_with("0:") || l.starts_with("3276")),
            "{rules_left}"
        );
    });
}

/// keepalived's tracking: a deletion by someone else (`ip route del`, `ip rule del`) is
/// reported and matched to the route or rule; one we made ourselves, announced with
/// `ours_route` / `ours_rule`, is not reported.
#[test]
fn route_monitor_reports_others_deletions_not_ours() {
    use mio::{Interest, Poll, Token};
    use vrrp_net::{Deleted, RouteMonitor};
    let Some(lab) = lab("rtmon") else { return };
    in_ns(&lab.a, || {
        let mut nl = vrrp_net::Netlink::open().unwrap();
        let mut mon = RouteMonitor::open().unwrap();
        let mut poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut mon, Token(1), Interest::READABLE)
            .unwrap();
        let route = routes().remove(1);
        let r = rules().remove(3);
        let oif = nl.link_by_name(A_IF).unwrap().ifindex;
        nl.add_route(&route).unwrap();
        nl.add_rule(&r).unwrap();
        ip(&["route", "del", "198.51.100.64/26", "table", "101"]);
        ip(&["rule", "del", "pref", "340"]);
        assert!(wait_readable(&mut poll, Token(1)));
        let mut got = Vec::new();
        mon.read(&mut got).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        let Deleted::Route(m) = &got[0] else {
            panic!("{got:?}")
        };
        assert!(route.is_virtual_route(m, Some(oif)));
        assert!(
            !route.is_virtual_route(m, Some(oif + 100)),
            "another interface"
        );
        assert!(!routes()[0].is_static_route(m));
        let Deleted::Rule(m) = &got[1] else {
            panic!("{got:?}")
        };
        assert!(r.is_rule(m));
        assert!(!rules()[0].is_rule(m));

        nl.add_route(&route).unwrap();
        nl.add_rule(&r).unwrap();
        nl.del_route(&route).unwrap();
        mon.ours_route(&route);
        nl.del_rule(&r).unwrap();
        mon.ours_rule(&r);
        let mut got = Vec::new();
        mon.read(&mut got).unwrap();
        assert!(got.is_empty(), "our own deletions: {got:?}");
    });
}
