//! From checked `vrrp_instance`s to what the runner needs: each router's configuration gets
//! its primary address (the one thing read from the system), and [`spec`] gives the
//! instance's I/O description. Nothing here can refuse a configuration: the file was
//! checked when read.

use std::net::IpAddr;

use vrrp_fsm::Config as FsmConfig;
use vrrp_net::{AddressScope, Instance, Vip};
use vrrp_proto::Family;

use crate::config::{Config, VirtualAddress, VrrpInstance};

/// True if `new` would run exactly as the instance running with the runner's `spec` and
/// `fsm` does, whose configuration was `old` (a reload leaves it alone).
pub fn unchanged(
    new: &VrrpInstance,
    new_spec: &Instance,
    old: &VrrpInstance,
    (spec, fsm): (&Instance, &FsmConfig),
) -> bool {
    new.router == *fsm
        && new_spec.interface == spec.interface
        && new_spec.peers == spec.peers
        && new_spec.vips == spec.vips
        && new_spec.track_links == spec.track_links
        && new_spec.vmac == spec.vmac
        && new.script_tracks == old.script_tracks
        && new.notify == old.notify
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

/// Give every instance its router's primary address: `unicast_src_ip`, else `primary`'s
/// answer for the interface and the VIPs' family (the runner looks it up through
/// rtnetlink).
///
/// The instances move out of `config` (each kept once, boxed: they move on to the
/// daemon's slots); `config` keeps the globals, scripts and sync groups.
pub fn plan(
    config: &mut Config,
    mut primary: impl FnMut(&str, Family) -> Option<IpAddr>,
) -> Result<Vec<Box<VrrpInstance>>, PlanError> {
    let instances = std::mem::take(&mut config.instances);
    let mut planned = Vec::with_capacity(instances.len());
    for mut i in instances {
        let family = i.router.family();
        let src = i.unicast_src_ip.or_else(|| primary(&i.interface, family));
        // `unicast_src_ip` was checked against the family when read; an interface's
        // address of the other family is no address of this one.
        if !src.is_some_and(|a| i.router.set_primary(a).is_ok()) {
            return Err(PlanError::NoAddress {
                loc: i.loc,
                name: i.name,
                family,
                interface: i.interface,
            });
        }
        planned.push(Box::new(i));
    }
    Ok(planned)
}

/// How the runner drives instance `i`: interface, peers, VIP forms, tracked interfaces
/// (the router's first tracks), VMAC.
pub fn spec(i: &VrrpInstance) -> Instance {
    Instance {
        name: i.name.clone(),
        interface: i.interface.clone(),
        peers: i.unicast_peers.clone(),
        vips: i.vips.iter().map(vip).collect(),
        track_links: i
            .track_interfaces
            .iter()
            .enumerate()
            .map(|(n, t)| (t.name.clone(), n))
            .collect(),
        vmac: i.use_vmac.as_ref().map(|name| {
            name.clone()
                .unwrap_or_else(|| format!("vrrp.{}", i.router.vrid().get()))
        }),
    }
}

/// A `virtual_ipaddress` line as the runner configures it.
fn vip(v: &VirtualAddress) -> Vip {
    let mut out = Vip::host(v.addr);
    out.prefix_len = v.prefix;
    out.label = v.label.clone();
    out.scope = match v.scope.as_deref() {
        Some("host") => AddressScope::Host,
        Some("link") => AddressScope::Link,
        Some("site") => AddressScope::Site,
        Some("nowhere") => AddressScope::Nowhere,
        _ => AddressScope::Universe,
    };
    out
}
