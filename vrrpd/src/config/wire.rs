//! keepalived's options on where and how adverts go: the multicast group
//! (`vrrp_mcast_group4` / `vrrp_mcast_group6` in global_defs, `mcast_dst_ip` in an
//! instance), `unicast_ttl`, `unicast_peer { ADDR min_ttl N max_ttl N }`, read and settled
//! as keepalived 2.2.7 does (global_parser.c, vrrp_parser.c, vrrp_data.c, vrrp.c).

use std::net::{IpAddr, Ipv6Addr};

use vrrp_proto::{Family, REQUIRED_TTL};

use super::error::{ConfigError, Warning};
use super::model::GlobalDefs;
use super::router::Draft;
use super::tree::Statement;
use super::values::{int_in, ip, one_arg};

/// `vrrp_mcast_group4 ADDR` / `vrrp_mcast_group6 ADDR` / `mcast_dst_ip ADDR`: a multicast
/// address (`v6_link_local`: IPv6 must be link-local multicast, as keepalived requires of
/// `mcast_dst_ip`). keepalived skips a bad one and uses 224.0.0.18 / ff02::12; vrrpd
/// refuses it, since nodes on different groups never hear each other (two masters).
pub(super) fn group(
    s: &Statement,
    family: Option<Family>,
    v6_link_local: bool,
) -> Result<IpAddr, ConfigError> {
    let a = ip(s, one_arg(s)?)?;
    let fam_ok = match family {
        Some(Family::V4) => a.is_ipv4(),
        Some(Family::V6) => a.is_ipv6(),
        None => true,
    };
    let link_local = |g: &Ipv6Addr| g.segments()[0] & 0xff0f == 0xff02;
    let ok = fam_ok
        && match a {
            IpAddr::V4(g) => g.is_multicast(),
            IpAddr::V6(g) => g.is_multicast() && (!v6_link_local || link_local(&g)),
        };
    if !ok {
        let what = match (family, v6_link_local) {
            (Some(Family::V4), _) => "an IPv4 multicast address",
            (Some(Family::V6), _) => "an IPv6 multicast address",
            (None, true) => "a multicast address (IPv6: link-local)",
            (None, false) => "a multicast address",
        };
        return Err(ConfigError::invalid(
            &s.loc,
            format!(
                "'{}' must be {what}, found '{a}' (refusing to fall back to the VRRP group)",
                s.keyword
            ),
        ));
    }
    Ok(a)
}

/// keepalived's warning for a `vrrp_mcast_group6` that is not link-local multicast.
pub(super) fn group6_warning(a: IpAddr) -> Option<String> {
    match a {
        IpAddr::V6(g) if g.segments()[0] & 0xff0f != 0xff02 => Some(format!(
            "vrrp_mcast_group6 [{g}] should be link-local multicast."
        )),
        _ => None,
    }
}

/// `unicast_ttl N`: 1 to 255 (keepalived takes 0 too; a TTL 0 advert never reaches a peer).
pub(super) fn ttl(s: &Statement) -> Result<u8, ConfigError> {
    int_in(s, one_arg(s)?, 1u8, 255u8)
}

/// One line of a `unicast_peer` block: `ADDR [min_ttl N] [max_ttl N]`; the TTL range is
/// returned only if one was written. keepalived reports an unknown option or a missing
/// value and keeps the peer; vrrpd refuses the line. `min_ttl` above `max_ttl` is warned
/// about as keepalived does (every advert from that peer is dropped).
pub(super) fn peer(
    s: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<(IpAddr, Option<(u8, u8)>), ConfigError> {
    if s.block.is_some() {
        return Err(ConfigError::invalid(
            &s.loc,
            format!("unexpected block after '{}'", s.keyword),
        ));
    }
    let addr = ip(s, &s.keyword)?;
    let (mut min, mut max, mut any) = (0u8, 255u8, false);
    let mut args = s.args.iter();
    while let Some(opt) = args.next() {
        let Some(value) = args.next() else {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unicast_peer {addr}: '{opt}' is missing a value"),
            ));
        };
        let n = int_in(s, value, 0u8, 255u8)?;
        match opt.as_str() {
            "min_ttl" => min = n,
            "max_ttl" => max = n,
            other => {
                return Err(ConfigError::invalid(
                    &s.loc,
                    format!("unicast_peer {addr}: unknown option '{other}'"),
                ))
            }
        }
        any = true;
    }
    if min > max {
        warnings.push(Warning {
            loc: s.loc.clone(),
            message: format!("min_ttl {min} > max_ttl {max} - all packets will be discarded"),
        });
    }
    Ok((addr, any.then_some((min, max))))
}

/// The instance's multicast group (None: the VRRP group) and its unicast TTL, with
/// keepalived's warnings where it ignores one.
pub(super) fn settle(
    d: &Draft,
    global: &GlobalDefs,
    family: Family,
    warnings: &mut Vec<Warning>,
) -> (Option<IpAddr>, u8) {
    let name = &d.name;
    let mut warn = |message: String| {
        warnings.push(Warning {
            loc: d.loc.clone(),
            message,
        })
    };
    let unicast = !d.unicast_peers.is_empty();
    let mut group = d
        .mcast_dst_ip
        .filter(|g| g.is_ipv4() == (family == Family::V4));
    if let (Some(g), None) = (d.mcast_dst_ip, group) {
        warn(format!(
            "({name}) mcast dest address {g} MUST match VRRP instance family. Skipping..."
        ));
    }
    if unicast && group.is_some() {
        warn(format!(
            "({name}) multicast destination specified with unicast - ignoring"
        ));
        group = None;
    }
    let group = if unicast {
        None
    } else {
        group.or(match family {
            Family::V4 => global.mcast_group4,
            Family::V6 => global.mcast_group6,
        })
    };
    let ttl = match d.unicast_ttl {
        Some(t) if !unicast && t != REQUIRED_TTL => {
            warn(format!(
                "({name}) unicast_ttl {t} ignored without unicast peers (keepalived would send IPv4 multicast adverts with it, which receivers drop)"
            ));
            REQUIRED_TTL
        }
        Some(t) => t,
        None => REQUIRED_TTL,
    };
    (group, ttl)
}
