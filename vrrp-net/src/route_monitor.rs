//! Deleted routes and rules from rtnetlink (RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE, _IPV4_RULE,
//! _IPV6_RULE), as a mio source: what keepalived watches to track its routes and rules
//! (`netlink_route_filter` / `netlink_rule_filter`). Only deletions of routes of protocol
//! `keepalived`, and of rules without another FRA_PROTOCOL, are reported.

use std::io;
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::route::{RouteMessage, RouteProtocol};
use netlink_packet_route::rule::{RuleAttribute, RuleMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::error::{NetError, NetlinkOp};
use crate::route::RTPROT_KEEPALIVED;
use crate::{Route, Rule};

const RECV_BUF: usize = 64 * 1024;
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
    /// The receive buffer overflowed: deletions may have been lost.
    Overrun,
}

/// A deletion the caller made itself, not to be reported when its notice comes.
#[derive(Debug)]
enum Ours {
    Route(Route),
    Rule(Rule),
}

/// At most this many of our own deletions wait for their notices (each comes at once; the
/// bound only matters if notices were lost).
const MAX_OURS: usize = 4096;

/// A netlink socket subscribed to route and rule changes of both families.
#[derive(Debug)]
pub struct RouteMonitor {
    sock: Socket,
    buf: Vec<u8>,
    overruns: u64,
    ours: Vec<Ours>,
}

impl RouteMonitor {
    /// Subscribe in the calling thread's network namespace.
    pub fn open() -> Result<Self, NetError> {
        let err = |source| NetError::Netlink {
            op: NetlinkOp::SubscribeRoutes,
            source,
        };
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(err)?;
        sock.bind(&SocketAddr::new(0, 0)).map_err(err)?;
        for g in [
            RTNLGRP_IPV4_ROUTE,
            RTNLGRP_IPV6_ROUTE,
            RTNLGRP_IPV4_RULE,
            RTNLGRP_IPV6_RULE,
        ] {
            sock.add_membership(g).map_err(err)?;
        }
        sock.set_non_blocking(true).map_err(err)?;
        Ok(RouteMonitor {
            sock,
            buf: Vec::with_capacity(RECV_BUF),
            overruns: 0,
            ours: Vec::new(),
        })
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

    /// Whether `d` is the notice of one of our own deletions (then forgotten).
    fn is_ours(&mut self, d: &Deleted) -> bool {
        let k = self.ours.iter().position(|o| match (o, d) {
            (Ours::Route(r), Deleted::Route(m)) => r.is_static_route(m),
            (Ours::Rule(r), Deleted::Rule(m)) => r.is_rule(m),
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
                    _ => continue,
                };
                if !self.is_ours(&d) {
                    out.push(d);
                }
            }
        }
    }
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
