//! From checked `vrrp_instance`s to what the runner needs: each router's configuration gets
//! its primary address (the one thing read from the system), and [`spec`] gives the
//! instance's I/O description. Nothing here can refuse a configuration: the file was
//! checked when read.

use std::collections::HashMap;
use std::net::IpAddr;

use vrrp_fsm::Config as FsmConfig;
use vrrp_net::{AddressFlags, AddressScope, Instance, Vip};
use vrrp_proto::Family;

use crate::config::{Config, Notify, VirtualAddress, VrrpInstance};

/// True if `new` would run exactly as the instance `old` running with the runner's `spec`
/// and `fsm` does (a reload leaves it alone).
pub(super) fn unchanged(
    new: &VrrpInstance,
    new_spec: &Instance,
    old: &super::Slot,
    (spec, fsm): (&Instance, &FsmConfig),
) -> bool {
    new.router == *fsm
        && new_spec.interface == spec.interface
        && new_spec.peers == spec.peers
        && new_spec.vips == spec.vips
        && new_spec.excluded == spec.excluded
        && new_spec.track_links == spec.track_links
        && new_spec.vmac == spec.vmac
        && new_spec.routes == spec.routes
        && new_spec.rules == spec.rules
        && new.script_tracks == old.script_tracks
        && new.process_tracks == old.process_tracks
        && Some(&new.notify).filter(|n| **n != Notify::default()) == old.notify.as_deref()
}

/// True if `new` can be applied to the router running with the runner's `spec` and `fsm`
/// (same interface, tracked interfaces, VMAC, VRID, version and family); otherwise it is a
/// new router.
pub fn same_router(
    new: &VrrpInstance,
    new_spec: &Instance,
    (spec, fsm): (&Instance, &FsmConfig),
) -> bool {
    new_spec.interface == spec.interface
        && new_spec.track_links == spec.track_links
        && new_spec.vmac == spec.vmac
        && new.router.vrid() == fsm.vrid()
        && new.router.version() == fsm.version()
        && new.router.family() == fsm.family()
}

/// Why an instance cannot run on this system (the configuration itself was accepted).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// No `unicast_src_ip`, and the interface has no address of the VIPs' family.
    #[error("{loc}: vrrp_instance {name}: no {family:?} address on {interface}")]
    NoAddress {
        /// Where the instance is written.
        loc: crate::config::Loc,
        /// Instance name.
        name: String,
        /// The VIPs' family.
        family: Family,
        /// The interface asked.
        interface: String,
    },
}

/// Why the runner could not take instance `i`, worded for the user: an interface that does
/// not exist is named with the line that needs it (the instance's, or the address line
/// whose `dev` it is: keepalived refuses such a configuration too, "Non-existent interface
/// specified in configuration").
pub fn add_error(i: &VrrpInstance, e: vrrp_net::NetError) -> String {
    if let vrrp_net::NetError::NoInterface(vrrp_net::Interface::Name(ifname)) = &e {
        let line = i
            .vips
            .iter()
            .chain(&i.excluded_vips)
            .find(|v| v.dev.as_deref() == Some(ifname.as_str()));
        if let Some(v) = line {
            return format!(
                "{}: vrrp_instance {}: interface {ifname} for ip address {} doesn't exist",
                v.loc, i.name, v.addr
            );
        }
        if let Some(t) = i.track_interfaces.iter().find(|t| t.name == *ifname) {
            return format!(
                "{}: {}",
                t.loc,
                crate::lint::missing_tracked(&i.name, ifname)
            );
        }
    }
    format!("{}: vrrp_instance {}: {e}", i.loc, i.name)
}

/// Give every instance its router's primary address: `unicast_src_ip`, else `primary`'s
/// answer for the interface and the VIPs' family (the runner looks it up through
/// rtnetlink), asked once per interface and family.
///
/// The instances move out of `config`, in place (each is handed to the runner, then
/// dropped: the daemon keeps only its name, hooks and tracked scripts); `config` keeps the
/// globals, scripts and sync groups.
pub fn plan(
    config: &mut Config,
    mut primary: impl FnMut(&str, Family) -> Option<IpAddr>,
) -> Result<Vec<VrrpInstance>, PlanError> {
    let mut planned = std::mem::take(&mut config.instances);
    let mut known: HashMap<(&str, Family), Option<IpAddr>> = HashMap::new();
    for i in &mut planned {
        let family = i.router.family();
        let src = i.unicast_src_ip.or_else(|| {
            *known
                .entry((&i.interface, family))
                .or_insert_with(|| primary(&i.interface, family))
        });
        // `unicast_src_ip` was checked against the family when read; an interface's
        // address of the other family is no address of this one.
        if src.is_none_or(|a| i.router.set_primary(a).is_err()) {
            return Err(PlanError::NoAddress {
                loc: i.loc.clone(),
                name: i.name.clone(),
                family,
                interface: i.interface.clone(),
            });
        }
    }
    Ok(planned)
}

/// How the runner drives instance `i`: interface, peers, VIP and excluded address forms,
/// tracked interfaces (the router's first tracks, and those holding its addresses), VMAC,
/// virtual routes and rules.
pub fn spec(i: &VrrpInstance) -> Instance {
    Instance {
        name: i.name.clone(),
        interface: i.interface.clone(),
        peers: i.unicast_peers.clone(),
        vips: i.vips.iter().map(vip).collect(),
        excluded: i.excluded_vips.iter().map(vip).collect(),
        track_links: i
            .track_interfaces
            .iter()
            .enumerate()
            .map(|(n, t)| (t.name.clone(), n))
            .chain(i.address_links.iter().cloned())
            .collect(),
        routes: i.routes.iter().map(|l| l.route.clone()).collect(),
        rules: i.rules.iter().map(|l| l.rule.clone()).collect(),
        vmac: i.use_vmac.as_ref().map(|name| {
            name.clone()
                .unwrap_or_else(|| format!("vrrp.{}", i.router.vrid().get()))
        }),
    }
}

/// A `virtual_ipaddress` / `virtual_ipaddress_excluded` line as the runner configures it:
/// keepalived's flags (IFA_F_NODAD on IPv6 unless `-nodad`).
pub(crate) fn vip(v: &VirtualAddress) -> Vip {
    let mut flags = AddressFlags::empty();
    for (on, flag) in [
        (v.home, AddressFlags::Homeaddress),
        (v.mngtmpaddr, AddressFlags::Managetempaddr),
        (v.noprefixroute, AddressFlags::Noprefixroute),
        (v.autojoin, AddressFlags::Mcautojoin),
        (v.addr.is_ipv6() && !v.dad, AddressFlags::Nodad),
    ] {
        if on {
            flags |= flag;
        }
    }
    Vip {
        addr: v.addr,
        prefix_len: v.prefix,
        dev: v.dev.clone(),
        label: v.label.clone(),
        scope: AddressScope::from(v.scope),
        broadcast: v.broadcast,
        peer: v.peer,
        flags,
        preferred_lft: v.preferred_lft,
        no_track: v.no_track,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(extra: &str) -> Config {
        let text = format!(
            "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n{extra}  \
             virtual_ipaddress {{\n    192.0.2.10/24 label eth0:vip\n  }}\n}}\n"
        );
        crate::config::parse(Path::new("t.conf"), &text)
            .unwrap_or_else(|e| panic!("{e}"))
            .config
    }

    #[test]
    fn the_primary_is_unicast_src_ip_else_the_interfaces() {
        let asked = std::cell::Cell::new(0);
        let lookup = |ifname: &str, family: Family| {
            asked.set(asked.get() + 1);
            assert_eq!((ifname, family), ("eth0", Family::V4));
            Some(IpAddr::from([192, 0, 2, 1]))
        };
        let p = plan(&mut config(""), lookup).unwrap();
        assert_eq!(p[0].router.primary(), IpAddr::from([192, 0, 2, 1]));
        let unicast = "  unicast_src_ip 192.0.2.5\n  unicast_peer {\n    192.0.2.6\n  }\n";
        let p = plan(&mut config(unicast), lookup).unwrap();
        assert_eq!(p[0].router.primary(), IpAddr::from([192, 0, 2, 5]));
        assert_eq!(asked.get(), 1, "unicast_src_ip needs no look-up");
        let s = spec(&p[0]);
        assert_eq!((s.name.as_str(), s.interface.as_str()), ("VI_1", "eth0"));
        assert_eq!(s.peers, vec![IpAddr::from([192, 0, 2, 6])]);
        assert_eq!(s.vips[0].prefix_len, 24);
        assert_eq!(s.vips[0].label.as_deref(), Some("eth0:vip"));
    }

    /// A thousand instances on one interface cost one look-up (each is a netlink dump).
    #[test]
    fn the_interfaces_address_is_looked_up_once_per_interface_and_family() {
        let text: String = (1..=100)
            .map(|n| {
                format!(
                    "vrrp_instance VI_{n} {{\n  interface eth{}\n  virtual_router_id {n}\n  \
                     virtual_ipaddress {{\n    192.0.2.{n}\n  }}\n}}\n",
                    n % 2
                )
            })
            .collect();
        let mut c = crate::config::parse(Path::new("t.conf"), &text)
            .unwrap_or_else(|e| panic!("{e}"))
            .config;
        let mut asked = Vec::new();
        let p = plan(&mut c, |ifname, family| {
            asked.push((ifname.to_owned(), family));
            Some(IpAddr::from([192, 0, 2, 250]))
        })
        .unwrap();
        assert_eq!(p.len(), 100);
        assert_eq!(
            asked,
            vec![
                ("eth1".to_owned(), Family::V4),
                ("eth0".to_owned(), Family::V4)
            ]
        );
    }

    #[test]
    fn no_address_of_the_family_is_a_typed_error() {
        for found in [None, Some("2001:db8::1".parse().unwrap())] {
            let e = plan(&mut config(""), |_, _| found).unwrap_err();
            let PlanError::NoAddress {
                family, interface, ..
            } = &e;
            assert_eq!((*family, interface.as_str()), (Family::V4, "eth0"));
            assert_eq!(
                e.to_string(),
                "t.conf:1: vrrp_instance VI_1: no V4 address on eth0"
            );
        }
    }
}
