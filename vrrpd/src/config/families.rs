//! keepalived 2.2.7's rules for an instance's addresses (vrrp_data.c `alloc_vrrp_vip`,
//! vrrp.c `vrrp_complete_instance`): the instance's family, its VRRP version, what becomes of
//! VIPs of the other family, of an empty VIP list, of more VIPs than an advert holds, and
//! which interfaces holding its addresses it tracks.

use std::net::IpAddr;

use vrrp_fsm::{ConfigBuilder, Track};
use vrrp_proto::{Family, Version};

use super::error::{ConfigError, Warning};
use super::model::GlobalDefs;
use super::router::Draft;

/// keepalived's DEFAULT_MTU: the packet the VIPs must fit in.
const MTU: usize = 1500;

/// Settle `d`'s family and version, and its VIP and excluded lists as keepalived does:
///
/// * the family is the first VIP's (else `unicast_src_ip`'s, else IPv4); a VIP of the other
///   family is dropped with keepalived's warning ("address family must match VRRP instance
///   ... - ignoring");
/// * IPv6 runs VRRPv3 whatever `vrrp_version` says; an instance saying `version 2` is
///   switched to 3 with keepalived's warning;
/// * no VIP: refused with VRRPv3 or strict mode ("No VIP specified; at least one is
///   required"), else run with a warning ("... at least one is sensible");
/// * VIPs beyond what a 1500-byte advert holds (255 IPv4, 89 IPv6) move to the excluded
///   list with keepalived's warning.
pub(super) fn settle(
    d: &mut Draft,
    global: &GlobalDefs,
    warnings: &mut Vec<Warning>,
) -> Result<(Version, Family), ConfigError> {
    let name = d.name.clone();
    let mut warn = |loc: &super::Loc, message: String| {
        warnings.push(Warning {
            loc: loc.clone(),
            message,
        })
    };
    let first = d.vips.first().map(|v| v.addr).or(d.unicast_src_ip);
    let family = match first {
        Some(IpAddr::V6(_)) => Family::V6,
        _ => Family::V4,
    };
    let v4 = family == Family::V4;
    d.vips.retain(|v| {
        let same = v.addr.is_ipv4() == v4;
        if !same {
            warn(
                &v.loc,
                format!(
                    "({name}): address family must match VRRP instance [{}] - ignoring",
                    v.addr
                ),
            );
        }
        same
    });
    let version = match (family, d.version) {
        (Family::V6, Some(Version::V2)) => {
            warn(
                &d.loc,
                format!("({name}) cannot use IPv6 with VRRP version 2; setting version 3"),
            );
            Version::V3
        }
        (Family::V6, _) => Version::V3,
        (Family::V4, v) => v.unwrap_or(global.vrrp_version),
    };
    if d.vips.is_empty() {
        if version == Version::V3 || d.strict_mode.unwrap_or(global.vrrp_strict) {
            return Err(ConfigError::invalid(
                &d.loc,
                format!("({name}) No VIP specified; at least one is required"),
            ));
        }
        warn(
            &d.loc,
            format!("({name}) No VIP specified; at least one is sensible"),
        );
    }
    // keepalived: over multicast, the first IPv6 VIP should be link-local.
    let first_v6 = d.vips.first().and_then(|v| match v.addr {
        IpAddr::V6(a) => Some(a),
        IpAddr::V4(_) => None,
    });
    if let Some(a) = first_v6.filter(|a| a.segments()[0] & 0xffc0 != 0xfe80) {
        if d.unicast_peers.is_empty() {
            let verb = if d.strict_mode.unwrap_or(global.vrrp_strict) {
                "must"
            } else {
                "should"
            };
            warn(
                &d.loc,
                format!("({name}) the first IPv6 VIP address {verb} be link local ({a})"),
            );
        }
    }
    let max = max_addresses(family, version);
    if d.vips.len() > max {
        warn(
            &d.loc,
            format!(
                "({name}) Number of VIPs ({}) exceeds maximum/space available in packet (max {max} addresses) - excess moved to eVIPs",
                d.vips.len()
            ),
        );
        let excess = d.vips.split_off(max);
        d.excluded_vips.extend(excess);
    }
    Ok((version, family))
}

/// How many addresses keepalived puts in an advert on a 1500-byte link: what fits after the
/// Ethernet, IP and VRRP headers (and v2's authentication data), at most 255.
fn max_addresses(family: Family, version: Version) -> usize {
    let (ip_header, size) = match family {
        Family::V4 => (20, 4),
        Family::V6 => (40, 16),
    };
    let auth = if version == Version::V2 { 8 } else { 0 };
    ((MTU - 14 - ip_header - 8 - auth) / size).min(255)
}

/// The interfaces holding `d`'s addresses other than its own that it tracks, as keepalived
/// does unless the address says `no_track` (FAULT while one is down: the address could not
/// be added there), each once, as tracks of the router from index `first`.
pub(super) fn address_links(
    mut b: ConfigBuilder,
    d: &Draft,
    first: usize,
) -> (ConfigBuilder, Vec<(String, usize)>) {
    let mut links: Vec<(String, usize)> = Vec::new();
    let vmac = d.use_vmac.as_ref().map(|v| match (v, d.vrid) {
        (Some(n), _) => n.clone(),
        (None, Some(vrid)) => format!("vrrp.{}", vrid.get()),
        (None, None) => String::new(),
    });
    let own = |dev: &str| dev == d.interface || vmac.as_deref() == Some(dev);
    for v in d.vips.iter().chain(&d.excluded_vips) {
        let Some(dev) = v.dev.as_deref() else {
            continue;
        };
        if v.no_track || own(dev) || links.iter().any(|(n, _)| n == dev) {
            continue;
        }
        b = b.track(Track::new(0));
        links.push((dev.to_owned(), first + links.len()));
    }
    (b, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advert_room_is_keepalived_s() {
        assert_eq!(max_addresses(Family::V4, Version::V2), 255);
        assert_eq!(max_addresses(Family::V6, Version::V3), 89);
    }
}
