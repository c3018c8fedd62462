//! Policy rules keepalived installs (`virtual_rules`, `static_rules`): what one is, and adding
//! and removing it through rtnetlink as keepalived 2.2.7 does (`netlink_rule` in
//! `vrrp_iprule.c`): NLM_F_CREATE | NLM_F_EXCL on add, the table in the header below 256
//! and in FRA_TABLE above, FRA_PROTOCOL `keepalived` (18) unless `no_track`.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::RouteProtocol;
use netlink_packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use netlink_packet_route::{AddressFamily, IpProtocol, RouteNetlinkMessage};

use crate::route::realm;
use crate::{NetError, Netlink, NetlinkOp};

/// What a matching packet does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `table N` / `lookup N`.
    Table(u32),
    /// `l3mdev`: look up the table of the packet's L3 master device.
    L3mdev,
    /// `goto N`: go on at the rule of preference N.
    Goto(u32),
    /// `nop`.
    Nop,
    /// `blackhole`.
    Blackhole,
    /// `unreachable`.
    Unreachable,
    /// `prohibit`.
    Prohibit,
}

/// A rule as keepalived configures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// IPv6 (else IPv4).
    pub ipv6: bool,
    /// `from PREFIX`.
    pub from: Option<(IpAddr, u8)>,
    /// `to PREFIX`.
    pub to: Option<(IpAddr, u8)>,
    /// `not`.
    pub invert: bool,
    /// `preference` / `priority` / `order` (keepalived numbers unnumbered rules down from
    /// 16384).
    pub priority: u32,
    /// `tos` / `dsfield`.
    pub tos: u8,
    /// `fwmark N[/MASK]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// `realms` (FRA_FLOW), 0: none.
    pub realms: u32,
    /// `suppress_prefixlength`.
    pub suppress_prefixlen: Option<u32>,
    /// `suppress_ifgroup`.
    pub suppress_ifgroup: Option<u32>,
    /// `iif` / `dev`.
    pub iif: Option<String>,
    /// `oif`.
    pub oif: Option<String>,
    /// `tunnel-id`, 0: none.
    pub tunnel_id: u64,
    /// `uidrange A-B`.
    pub uid_range: Option<(u32, u32)>,
    /// `protocol` (FRA_PROTOCOL; keepalived sets 18 unless `no_track`).
    pub protocol: Option<u8>,
    /// `ipproto`.
    pub ip_proto: Option<u8>,
    /// `sport A[-B]`.
    pub sport: Option<(u16, u16)>,
    /// `dport A[-B]`.
    pub dport: Option<(u16, u16)>,
    /// The action.
    pub kind: RuleKind,
    /// keepalived tracks it (no `no_track`): deleted by someone else, a virtual rule makes
    /// its instance leave MASTER, a static one is put back.
    pub track: bool,
}

impl Rule {
    fn message(&self) -> RuleMessage {
        let mut m = RuleMessage::default();
        let h = &mut m.header;
        h.family = if self.ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        h.tos = self.tos;
        if self.invert {
            h.flags = RuleFlags::Invert;
        }
        h.action = match self.kind {
            RuleKind::Table(_) | RuleKind::L3mdev => RuleAction::ToTable,
            RuleKind::Goto(_) => RuleAction::Goto,
            RuleKind::Nop => RuleAction::Nop,
            RuleKind::Blackhole => RuleAction::Blackhole,
            RuleKind::Unreachable => RuleAction::Unreachable,
            RuleKind::Prohibit => RuleAction::Prohibit,
        };
        let a = &mut m.attributes;
        if let RuleKind::Table(t) = self.kind {
            if t < 256 {
                m.header.table = t as u8;
            } else {
                a.push(RuleAttribute::Table(t));
            }
        }
        if let Some((addr, len)) = self.from {
            m.header.src_len = len;
            a.push(RuleAttribute::Source(addr));
        }
        if let Some((addr, len)) = self.to {
            m.header.dst_len = len;
            a.push(RuleAttribute::Destination(addr));
        }
        a.push(RuleAttribute::Priority(self.priority));
        if let Some((mark, mask)) = self.fwmark {
            a.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                a.push(RuleAttribute::FwMask(mask));
            }
        }
        if self.realms != 0 {
            a.push(RuleAttribute::Realm(realm(self.realms)));
        }
        if let Some(p) = self.suppress_prefixlen {
            a.push(RuleAttribute::SuppressPrefixLen(p));
        }
        if let Some(g) = self.suppress_ifgroup {
            a.push(RuleAttribute::SuppressIfGroup(g));
        }
        if let Some(i) = &self.iif {
            a.push(RuleAttribute::Iifname(i.clone()));
        }
        if let Some(o) = &self.oif {
            a.push(RuleAttribute::Oifname(o.clone()));
        }
        if self.tunnel_id != 0 {
            a.push(RuleAttribute::TunId(self.tunnel_id));
        }
        if let Some((start, end)) = self.uid_range {
            a.push(RuleAttribute::UidRange(RuleUidRange { start, end }));
        }
        if self.kind == RuleKind::L3mdev {
            a.push(RuleAttribute::L3MDev(true));
        }
        if let Some(p) = self.protocol {
            a.push(RuleAttribute::Protocol(RouteProtocol::from(p)));
        }
        if let Some(p) = self.ip_proto {
            a.push(RuleAttribute::IpProtocol(IpProtocol::from(p)));
        }
        if let Some((start, end)) = self.sport {
            a.push(RuleAttribute::SourcePortRange(RulePortRange { start, end }));
        }
        if let Some((start, end)) = self.dport {
            a.push(RuleAttribute::DestinationPortRange(RulePortRange {
                start,
                end,
            }));
        }
        if let RuleKind::Goto(target) = self.kind {
            a.push(RuleAttribute::Goto(target));
        }
        m
    }
}

impl Rule {
    /// keepalived's `compare_rule`: deleted rule `m` is this one (family, preference,
    /// action, goto target, table, `not`, from, to, TOS, fwmark and mask, interfaces).
    pub fn is_rule(&self, m: &RuleMessage) -> bool {
        let want = self.message();
        let (h, w) = (&m.header, &want.header);
        let attr = |msg: &RuleMessage, f: fn(&RuleAttribute) -> Option<String>| {
            msg.attributes.iter().find_map(f)
        };
        let table = |msg: &RuleMessage| {
            attr(msg, |a| match a {
                RuleAttribute::Table(t) => Some(t.to_string()),
                _ => None,
            })
            .unwrap_or(msg.header.table.to_string())
        };
        let same = |f: fn(&RuleAttribute) -> Option<String>| attr(m, f) == attr(&want, f);
        let fwmask = |msg: &RuleMessage| {
            attr(msg, |a| match a {
                RuleAttribute::FwMask(k) => Some(k.to_string()),
                _ => None,
            })
            .filter(|k| k != "4294967295")
        };
        h.family == w.family
            && h.action == w.action
            && h.tos == w.tos
            && h.src_len == w.src_len
            && h.dst_len == w.dst_len
            && h.flags.contains(RuleFlags::Invert) == self.invert
            && (matches!(self.kind, RuleKind::L3mdev) || table(m) == table(&want))
            && same(|a| match a {
                RuleAttribute::Priority(p) => Some(p.to_string()),
                _ => None,
            })
            && same(|a| match a {
                RuleAttribute::Goto(p) => Some(p.to_string()),
                _ => None,
            })
            && same(|a| match a {
                RuleAttribute::Source(p) => Some(p.to_string()),
                _ => None,
            })
            && same(|a| match a {
                RuleAttribute::Destination(p) => Some(p.to_string()),
                _ => None,
            })
            && same(|a| match a {
                RuleAttribute::FwMark(p) => Some(p.to_string()),
                _ => None,
            })
            && fwmask(m) == fwmask(&want)
            && same(|a| match a {
                RuleAttribute::Iifname(p) => Some(p.clone()),
                _ => None,
            })
            && same(|a| match a {
                RuleAttribute::Oifname(p) => Some(p.clone()),
                _ => None,
            })
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pref {}", self.priority)?;
        if let Some((a, l)) = self.from {
            write!(f, " from {a}/{l}")?;
        }
        if let Some((a, l)) = self.to {
            write!(f, " to {a}/{l}")?;
        }
        match self.kind {
            RuleKind::Table(t) => write!(f, " table {t}"),
            RuleKind::Goto(t) => write!(f, " goto {t}"),
            k => write!(f, " {k:?}"),
        }
    }
}

impl Netlink {
    /// Add `rule` (keepalived `IPRULE_ADD`: NLM_F_EXCL, an equal rule there is EEXIST).
    pub fn add_rule(&mut self, rule: &Rule) -> Result<(), NetError> {
        self.request(
            RouteNetlinkMessage::NewRule(rule.message()),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
            NetlinkOp::AddRule(Box::new(rule.clone())),
        )
        .map(drop)
    }

    /// Remove `rule`. A rule that is not there is [`NetError::is_not_found`].
    pub fn del_rule(&mut self, rule: &Rule) -> Result<(), NetError> {
        self.request(
            RouteNetlinkMessage::DelRule(rule.message()),
            NLM_F_ACK,
            NetlinkOp::DelRule(Box::new(rule.clone())),
        )
        .map(drop)
    }
}
