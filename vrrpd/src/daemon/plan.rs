//! From a checked `vrrp_instance` to what the runner needs: the router's configuration
//! with its primary address (the one thing read from the system), and the instance's I/O
//! description. Nothing here can refuse a configuration: the file was checked when read.

use std::net::IpAddr;

use vrrp_fsm::Config as FsmConfig;
use vrrp_net::{AddressScope, Instance, Vip};
use vrrp_proto::Family;

use crate::config::{Config, VirtualAddress, VrrpInstance};

/// One `vrrp_instance`, ready for the runner.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The instance as configured (notify hooks, names, locations). Boxed: it moves on to
    /// the daemon's slot, and the plans it leaves behind stay small.
    pub model: Box<VrrpInstance>,
    /// How it talks (interface, addresses, peers, VIP forms, tracked interfaces).
    pub spec: Instance,
    /// The state machine's configuration, with its primary address.
    pub fsm: FsmConfig,
}

/// A planned instance once it runs: the runner owns its `spec` and `fsm`, the daemon the
/// rest.
pub struct Running<'a> {
    /// The instance as configured.
    pub model: &'a VrrpInstance,
    /// The runner's I/O description of it.
    pub spec: &'a Instance,
    /// Its router's configuration.
    pub fsm: &'a FsmConfig,
}

impl Planned {
    /// True if this plan would run exactly as `running` does (a reload leaves it alone).
    pub fn same_as(&self, running: &Running) -> bool {
        self.fsm == *running.fsm
            && self.spec.interface == running.spec.interface
            && self.spec.peers == running.spec.peers
            && self.spec.vips == running.spec.vips
            && self.spec.track_links == running.spec.track_links
            && self.spec.vmac == running.spec.vmac
            && self.model.script_tracks == running.model.script_tracks
            && self.model.notify == running.model.notify
    }

    /// True if this plan can be applied to the `running` router (same interface, VRID,
    /// version and family); otherwise it is a new router.
    pub fn same_identity(&self, running: &Running) -> bool {
        self.spec.interface == running.spec.interface
            && self.spec.track_links == running.spec.track_links
            && self.spec.vmac == running.spec.vmac
            && self.fsm.vrid() == running.fsm.vrid()
            && self.fsm.version() == running.fsm.version()
            && self.fsm.family() == running.fsm.family()
    }
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

/// Plan every instance. `primary` gives an interface's source address for a family (the
/// runner looks it up through rtnetlink).
///
/// The instances move out of `config` into the plans (each kept once, in its
/// [`Planned::model`]); `config` keeps the globals, scripts and sync groups.
pub fn plan(
    config: &mut Config,
    mut primary: impl FnMut(&str, Family) -> Option<IpAddr>,
) -> Result<Vec<Planned>, PlanError> {
    let instances = std::mem::take(&mut config.instances);
    let mut planned = Vec::with_capacity(instances.len());
    for i in instances {
        planned.push(plan_instance(i, &mut primary)?);
    }
    Ok(planned)
}

fn plan_instance(
    i: VrrpInstance,
    primary: &mut impl FnMut(&str, Family) -> Option<IpAddr>,
) -> Result<Planned, PlanError> {
    let family = i.router.family();
    let src = i.unicast_src_ip.or_else(|| primary(&i.interface, family));
    // `unicast_src_ip` was checked against the family when read; an interface's address
    // of the other family is no address of this one.
    let Some(fsm) = src.and_then(|a| i.router.clone().with_primary(a).ok()) else {
        return Err(PlanError::NoAddress {
            loc: i.loc.clone(),
            name: i.name.clone(),
            family,
            interface: i.interface.clone(),
        });
    };
    let spec = Instance {
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
    };
    Ok(Planned {
        model: Box::new(i),
        spec,
        fsm,
    })
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
