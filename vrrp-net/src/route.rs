//! Routes keepalived installs (`virtual_routes`, `static_routes`): what one is, and adding and
//! removing it through rtnetlink as keepalived 2.2.7 does (`netlink_route` in
//! `vrrp_iproute.c`): protocol `keepalived` (18) unless another is given, `prepend`
//! semantics by default (NLM_F_CREATE without NLM_F_EXCL), a table above 255 in RTA_TABLE,
//! metrics in RTA_METRICS, nexthops in RTA_MULTIPATH.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteMetric, RouteNextHop,
    RouteNextHopFlags, RoutePreference, RouteProtocol, RouteRealm, RouteScope, RouteType, RouteVia,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::{NetError, Netlink, NetlinkOp};

/// keepalived's own routing protocol number (`RTPROT_KEEPALIVED`), on every route and rule
/// it installs unless the configuration names another.
pub const RTPROT_KEEPALIVED: u8 = 18;

/// The main routing table (`RT_TABLE_MAIN`).
pub const TABLE_MAIN: u32 = 254;

/// How a route is added when an equal one may be there (keepalived `add` / `prepend` /
/// `append`; prepend is the kernel's and keepalived's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddMode {
    /// NLM_F_CREATE: a route to the same destination is kept, this one goes first.
    #[default]
    Prepend,
    /// NLM_F_CREATE | NLM_F_EXCL: fails if the route exists.
    Add,
    /// NLM_F_CREATE | NLM_F_APPEND: goes after routes to the same destination.
    Append,
}

/// One nexthop of a multipath route (`nexthop via A dev IF weight W onlink`, or `or`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NextHop {
    /// Gateway (RTA_GATEWAY, or RTA_VIA if of the other family).
    pub via: Option<IpAddr>,
    /// Output interface name.
    pub dev: Option<String>,
    /// keepalived `weight` (1..=256), sent as rtnh_hops = weight - 1; None: kernel default.
    pub weight: Option<u16>,
    /// RTNH_F_ONLINK.
    pub onlink: bool,
    /// IPv4 realms (RTA_FLOW), 0: none.
    pub realms: u32,
}

/// A route as keepalived configures it. Interfaces are named: they are looked up when the
/// route is added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination and prefix length.
    pub dst: (IpAddr, u8),
    /// `from` (IPv6 source-specific routing): RTA_SRC and its prefix length.
    pub src: Option<(IpAddr, u8)>,
    /// `src`: preferred source (RTA_PREFSRC).
    pub pref_src: Option<IpAddr>,
    /// `via` / `gw`: gateway.
    pub via: Option<IpAddr>,
    /// `dev` / `oif`: output interface.
    pub dev: Option<String>,
    /// `table` (default main).
    pub table: u32,
    /// `metric` / `priority` / `preference` (RTA_PRIORITY).
    pub metric: Option<u32>,
    /// `scope` (RT_SCOPE_*); None: universe on add, nowhere (any) on delete.
    pub scope: Option<u8>,
    /// `protocol` (default [`RTPROT_KEEPALIVED`]).
    pub protocol: u8,
    /// Route type (RTN_*: unicast, blackhole, unreachable, prohibit, throw, ...).
    pub kind: u8,
    /// The type was written (a delete then matches it).
    pub kind_given: bool,
    /// `tos` / `dsfield`.
    pub tos: Option<u8>,
    /// `onlink` (RTNH_F_ONLINK in rtm_flags).
    pub onlink: bool,
    /// `realms` (RTA_FLOW), 0: none.
    pub realms: u32,
    /// `mtu`, `advmss`, `rtt`, `window`, ... (RTA_METRICS), with the lock bits.
    pub metrics: Vec<RouteMetric>,
    /// `pref` (IPv6 router preference, RTA_PREF).
    pub pref: Option<u8>,
    /// `expires` (IPv6, seconds).
    pub expires: Option<u32>,
    /// `add` / `prepend` / `append`.
    pub mode: AddMode,
    /// `nexthop ...` / `or`: a multipath route.
    pub nexthops: Vec<NextHop>,
    /// keepalived tracks it (a `dev`, no `no_track`): deleted by someone else, a virtual
    /// route makes its instance leave MASTER, a static one is put back.
    pub track: bool,
}

impl Route {
    /// A unicast route to `dst`/`len` in the main table, as keepalived defaults it.
    pub fn to(dst: IpAddr, len: u8) -> Self {
        Route {
            dst: (dst, len),
            src: None,
            pref_src: None,
            via: None,
            dev: None,
            table: TABLE_MAIN,
            metric: None,
            scope: None,
            protocol: RTPROT_KEEPALIVED,
            kind: u8::from(RouteType::Unicast),
            kind_given: false,
            tos: None,
            onlink: false,
            realms: 0,
            metrics: Vec::new(),
            pref: None,
            expires: None,
            mode: AddMode::Prepend,
            nexthops: Vec::new(),
            track: false,
        }
    }

    /// keepalived's `route_is_ours` for a static route: deleted route `m` has this one's
    /// family, table, destination and TOS.
    pub fn is_static_route(&self, m: &RouteMessage) -> bool {
        let h = &m.header;
        let table = m
            .attributes
            .iter()
            .find_map(|a| match a {
                RouteAttribute::Table(t) => Some(*t),
                _ => None,
            })
            .unwrap_or(u32::from(h.table));
        let dst = m.attributes.iter().find_map(|a| match a {
            RouteAttribute::Destination(RouteAddress::Inet(v4)) => Some(IpAddr::V4(*v4)),
            RouteAttribute::Destination(RouteAddress::Inet6(v6)) => Some(IpAddr::V6(*v6)),
            _ => None,
        });
        let unspecified = if self.is_ipv6() {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0u8; 4])
        };
        h.address_family == family(self.dst.0)
            && table == self.table
            && h.destination_prefix_length == self.dst.1
            && h.tos == self.tos.unwrap_or(0)
            && dst.unwrap_or(unspecified) == self.dst.0
    }

    /// keepalived's `route_is_ours` for a virtual route: as [`Route::is_static_route`],
    /// and the same metric (none: 0) and output interface (`oif`: `dev`'s index now).
    pub fn is_virtual_route(&self, m: &RouteMessage, oif: Option<u32>) -> bool {
        let priority = m.attributes.iter().find_map(|a| match a {
            RouteAttribute::Priority(p) => Some(*p),
            _ => None,
        });
        let got_oif = m.attributes.iter().find_map(|a| match a {
            RouteAttribute::Oif(i) => Some(*i),
            _ => None,
        });
        self.is_static_route(m)
            && priority.unwrap_or(0) == self.metric.unwrap_or(0)
            && (self.dev.is_none() || (oif.is_some() && got_oif == oif))
    }

    /// True for an IPv6 route.
    pub fn is_ipv6(&self) -> bool {
        self.dst.0.is_ipv6()
    }

    fn message(
        &self,
        del: bool,
        ifindex: &mut impl FnMut(&str) -> Result<u32, NetError>,
    ) -> Result<RouteMessage, NetError> {
        let mut m = RouteMessage::default();
        let family = family(self.dst.0);
        let h: &mut RouteHeader = &mut m.header;
        h.address_family = family;
        h.destination_prefix_length = self.dst.1;
        if self.table < 256 {
            h.table = self.table as u8;
        } else {
            m.attributes.push(RouteAttribute::Table(self.table));
        }
        let h = &mut m.header;
        h.scope = match (self.scope, del) {
            (Some(s), _) => RouteScope::from(s),
            (None, true) => RouteScope::NoWhere,
            (None, false) => RouteScope::Universe,
        };
        h.kind = if del && !self.kind_given {
            RouteType::Unspec
        } else {
            RouteType::from(self.kind)
        };
        h.protocol = RouteProtocol::from(self.protocol);
        h.tos = self.tos.unwrap_or(0);
        if self.onlink {
            h.flags = RouteFlags::Onlink;
        }
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(self.dst.0)));
        if let Some((src, len)) = self.src {
            m.header.source_prefix_length = len;
            m.attributes
                .push(RouteAttribute::Source(RouteAddress::from(src)));
        }
        if let Some(p) = self.pref_src {
            m.attributes
                .push(RouteAttribute::PrefSource(RouteAddress::from(p)));
        }
        if let Some(via) = self.via {
            m.attributes.push(gateway(family, via));
        }
        if let Some(dev) = &self.dev {
            m.attributes.push(RouteAttribute::Oif(ifindex(dev)?));
        }
        if let Some(metric) = self.metric {
            m.attributes.push(RouteAttribute::Priority(metric));
        }
        if self.realms != 0 {
            m.attributes.push(RouteAttribute::Realm(realm(self.realms)));
        }
        if let Some(e) = self.expires {
            m.attributes.push(RouteAttribute::Expires(e));
        }
        if !self.metrics.is_empty() {
            m.attributes
                .push(RouteAttribute::Metrics(self.metrics.clone()));
        }
        if let Some(p) = self.pref {
            m.attributes
                .push(RouteAttribute::Preference(RoutePreference::from(p)));
        }
        if !self.nexthops.is_empty() {
            let mut hops = Vec::with_capacity(self.nexthops.len());
            for nh in &self.nexthops {
                let mut hop = RouteNextHop::default();
                if let Some(via) = nh.via {
                    hop.attributes.push(gateway(family, via));
                }
                if let Some(dev) = &nh.dev {
                    hop.interface_index = ifindex(dev)?;
                }
                if let Some(w) = nh.weight {
                    hop.hops = (w.saturating_sub(1) & 0xff) as u8;
                }
                if nh.onlink {
                    hop.flags = RouteNextHopFlags::Onlink;
                }
                if nh.realms != 0 {
                    hop.attributes.push(RouteAttribute::Realm(realm(nh.realms)));
                }
                hops.push(hop);
            }
            m.attributes.push(RouteAttribute::MultiPath(hops));
        }
        Ok(m)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.dst.0, self.dst.1)?;
        if let Some(v) = self.via {
            write!(f, " via {v}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if self.table != TABLE_MAIN {
            write!(f, " table {}", self.table)?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        Ok(())
    }
}

fn family(a: IpAddr) -> AddressFamily {
    match a {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// RTA_GATEWAY for a gateway of the route's family, RTA_VIA for the other (IPv4 via IPv6).
fn gateway(route: AddressFamily, via: IpAddr) -> RouteAttribute {
    match (route, via) {
        (AddressFamily::Inet, IpAddr::V6(v6)) => RouteAttribute::Via(RouteVia::Inet6(v6)),
        (AddressFamily::Inet6, IpAddr::V4(v4)) => RouteAttribute::Via(RouteVia::Inet(v4)),
        (_, a) => RouteAttribute::Gateway(RouteAddress::from(a)),
    }
}

/// keepalived's realms word: source in the high 16 bits, destination in the low.
pub(crate) fn realm(realms: u32) -> RouteRealm {
    RouteRealm {
        source: (realms >> 16) as u16,
        destination: (realms & 0xffff) as u16,
    }
}

impl Netlink {
    /// Add `route` (keepalived `IPROUTE_ADD`).
    pub fn add_route(&mut self, route: &Route) -> Result<(), NetError> {
        let msg = route.message(false, &mut |n| self.ifindex(n))?;
        let flags = NLM_F_CREATE
            | NLM_F_ACK
            | match route.mode {
                AddMode::Prepend => 0,
                AddMode::Add => NLM_F_EXCL,
                AddMode::Append => NLM_F_APPEND,
            };
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            flags,
            NetlinkOp::AddRoute(Box::new(route.clone())),
        )
        .map(drop)
    }

    /// Remove `route` (keepalived `IPROUTE_DEL`). A route that is not there is
    /// [`NetError::is_not_found`].
    pub fn del_route(&mut self, route: &Route) -> Result<(), NetError> {
        let msg = route.message(true, &mut |n| self.ifindex(n))?;
        self.request(
            RouteNetlinkMessage::DelRoute(msg),
            NLM_F_ACK,
            NetlinkOp::DelRoute(Box::new(route.clone())),
        )
        .map(drop)
    }

    fn ifindex(&mut self, name: &str) -> Result<u32, NetError> {
        self.link_by_name(name).map(|l| l.ifindex)
    }
}
