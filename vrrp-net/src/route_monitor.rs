//! Deleted routes, rules and addresses from rtnetlink (RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE,
//! _IPV4_RULE, _IPV6_RULE, _IPV4_IFADDR, _IPV6_IFADDR), as a mio source: what keepalived
//! watches to track its routes, rules and addresses (`netlink_route_filter` /
//! `netlink_rule_filter` / `netlink_if_address_filter`). Only deletions of routes of protocol
//! `keepalived`, and of rules without another FRA_PROTOCOL, are reported; every address
//! deletion is (the runner matches them with its VIPs).

use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::{RouteMessage, RouteProtocol};
use netlink_packet_route::rule::{RuleAttribute, RuleMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::error::{NetError, NetlinkOp};
use crate::route::RTPROT_KEEPALIVED;
use crate::{Route, Rule};

const RECV_BUF: usize = 64 * 1024;
const RTNLGRP_IPV4_IFADDR: u32 = 5;
const RTNLGRP_IPV6_IFADDR: u32 = 9;
const RTNLGRP_IPV4_ROUTE: u32 = 7;
const RTNLGRP_IPV4_RULE: u32 = 8;
const RTNLGRP_IPV6_ROUTE: u32 = 11;
const RTNLGRP_IPV6_RULE: u32 = 19;

/// A route or rule someone deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// RTM_DELROUTE of a route of protocol `keepalived`.
    Route(Box<RouteMessage>),
    /// RTM_DELRULE of a rule with no FRA_PROTOCOL or FRA_PROTOCOL `keepalived`.
    Rule(Box<RuleMessage>),
    /// RTM_DELADDR: `addr` left interface `ifindex`.
    Address {
        /// The interface.
        ifindex: u32,
        /// The address (IFA_LOCAL, else IFA_ADDRESS).
        addr: IpAddr,
    },
    /// The receive buffer overflowed: deletions may have been lost.
    Overrun,
}

/// A deletion the caller made itself, not to be reported when its notice comes.
#[derive(Debug)]
enum Ours {
    Route(Route),
    Rule(Rule),
    Address(u32, IpAddr),
}

/// At most this many of our own deletions wait for their notices (each comes at once; the
/// bound only matters if notices were lost).
const MAX_OURS: usize = 4096;

/// What a [`RouteMonitor`] is subscribed to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorGroups {
    /// Route and rule changes of both families.
    pub routes: bool,
    /// Address changes of both families.
    pub addresses: bool,
}

impl MonitorGroups {
    /// Routes, rules and addresses.
    pub const ALL: MonitorGroups = MonitorGroups {
        routes: true,
        addresses: true,
    };
}

/// A netlink socket subscribed to route, rule and address changes of both families.
#[derive(Debug)]
pub struct RouteMonitor {
    sock: Socket,
    buf: Vec<u8>,
    overruns: u64,
    ours: Vec<Ours>,
    watch: MonitorGroups,
}

impl RouteMonitor {
    /// Subscribe to everything, in the calling thread's network namespace.
    pub fn open() -> Result<Self, NetError> {
        Self::open_for(MonitorGroups::ALL)
    }

    /// Subscribe to `watch`, in the calling thread's network namespace.
    pub fn open_for(watch: MonitorGroups) -> Result<Self, NetError> {
        let err = |source| NetError::Netlink {
            op: NetlinkOp::SubscribeRoutes,
            source,
        };
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(err)?;
        sock.bind(&SocketAddr::new(0, 0)).map_err(err)?;
        sock.set_non_blocking(true).map_err(err)?;
        let mut m = RouteMonitor {
            sock,
            buf: Vec::with_capacity(RECV_BUF),
            overruns: 0,
            ours: Vec::new(),
            watch: MonitorGroups::default(),
        };
        m.watch(watch)?;
        Ok(m)
    }

    /// Subscribe to `more` as well (what is already watched stays).
    pub fn watch(&mut self, more: MonitorGroups) -> Result<(), NetError> {
        let err = |source| NetError::Netlink {
            op: NetlinkOp::SubscribeRoutes,
            source,
        };
        let mut groups = Vec::new();
        if more.routes && !self.watch.routes {
            groups.extend([
                RTNLGRP_IPV4_ROUTE,
                RTNLGRP_IPV6_ROUTE,
                RTNLGRP_IPV4_RULE,
                RTNLGRP_IPV6_RULE,
            ]);
        }
        if more.addresses && !self.watch.addresses {
            groups.extend([RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR]);
        }
        for g in groups {
            self.sock.add_membership(g).map_err(err)?;
        }
        self.watch.routes |= more.routes;
        self.watch.addresses |= more.addresses;
        Ok(())
    }

    /// The caller deleted `route` itself: its deletion notice is not reported.
    pub fn ours_route(&mut self, route: &Route) {
        self.ours.truncate(MAX_OURS - 1);
        self.ours.push(Ours::Route(route.clone()));
    }

    /// The caller deleted `rule` itself: its deletion notice is not reported.
    pub fn ours_rule(&mut self, rule: &Rule) {
        self.ours.truncate(MAX_OURS - 1);
        self.ours.push(Ours::Rule(rule.clone()));
    }

    /// The caller deleted `addr` from interface `ifindex` itself: its notice is not reported.
    pub fn ours_address(&mut self, ifindex: u32, addr: IpAddr) {
        self.ours.truncate(MAX_OURS - 1);
        self.ours.push(Ours::Address(ifindex, addr));
    }

    /// Whether `d` is the notice of one of our own deletions (then forgotten).
    fn is_ours(&mut self, d: &Deleted) -> bool {
        let k = self.ours.iter().position(|o| match (o, d) {
            (Ours::Route(r), Deleted::Route(m)) => r.is_static_route(m),
            (Ours::Rule(r), Deleted::Rule(m)) => r.is_rule(m),
            (Ours::Address(i, a), Deleted::Address { ifindex, addr }) => i == ifindex && a == addr,
            _ => false,
        });
        k.map(|k| self.ours.remove(k)).is_some()
    }

    /// Receive-buffer overruns seen so far.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Read everything waiting; append the deletions to `out`.
    pub fn read(&mut self, out: &mut Vec<Deleted>) -> Result<(), NetError> {
        loop {
            self.buf.clear();
            match self.sock.recv(&mut self.buf, 0) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.overruns += 1;
                    self.ours.clear();
                    out.push(Deleted::Overrun);
                    continue;
                }
                Err(source) => {
                    return Err(NetError::Netlink {
                        op: NetlinkOp::ReadRouteEvents,
                        source,
                    })
                }
            }
            let mut off = 0;
            while off < self.buf.len() {
                let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.buf[off..])
                else {
                    break;
                };
                let len = m.header.length as usize;
                if len == 0 {
                    break;
                }
                off += (len + 3) & !3;
                let d = match m.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelRoute(r))
                        if r.header.protocol == RouteProtocol::from(RTPROT_KEEPALIVED) =>
                    {
                        Deleted::Route(Box::new(r))
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelRule(r))
                        if rule_is_keepalived(&r) =>
                    {
                        Deleted::Rule(Box::new(r))
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => {
                        match deleted_address(&a) {
                            Some(d) => d,
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                if !self.is_ours(&d) {
                    out.push(d);
                }
            }
        }
    }
}

/// The address an RTM_DELADDR is about (IFA_LOCAL, else IFA_ADDRESS: IPv6 has only the
/// latter, a point-to-point IPv4 address has both).
fn deleted_address(a: &AddressMessage) -> Option<Deleted> {
    let mut local = None;
    let mut address = None;
    for attr in &a.attributes {
        match attr {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            _ => {}
        }
    }
    Some(Deleted::Address {
        ifindex: a.header.index,
        addr: local.or(address)?,
    })
}

/// keepalived ignores a rule whose FRA_PROTOCOL is another's.
fn rule_is_keepalived(r: &RuleMessage) -> bool {
    !r.attributes.iter().any(
        |a| matches!(a, RuleAttribute::Protocol(p) if *p != RouteProtocol::from(RTPROT_KEEPALIVED)),
    )
}

impl Source for RouteMonitor {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).deregister(r)
    }
}
