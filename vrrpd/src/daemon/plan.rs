//! From the typed keepalived.conf model to what the runner needs: for each `vrrp_instance`,
//! the state machine's configuration and the instance's I/O description.
//!
//! The track list of a router is `track_interface` lines first, then `track_script` lines,
//! in file order; [`Planned::script_tracks`] says which track index each script feeds.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_fsm::{Config as FsmConfig, InitialState as FsmInitial, Track, Vips};
use vrrp_net::{AddressScope, Instance, Vip};
use vrrp_proto::{Auth, Centiseconds, Family, Priority, Version, Vrid};

use crate::config::{Authentication, Config, InitialState, VirtualAddress, VrrpInstance};

/// One `vrrp_instance`, ready for the runner.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The instance as configured (notify hooks, names, locations). Boxed: it moves on to
    /// the daemon's slot, and the plans it leaves behind stay small.
    pub model: Box<VrrpInstance>,
    /// How it talks (interface, addresses, peers, VIP forms, tracked interfaces).
    pub spec: Instance,
    /// The state machine's configuration.
    pub fsm: FsmConfig,
    /// `track_script` entries: (script name, track index, reversed).
    pub script_tracks: Vec<ScriptTrack>,
}

/// A `track_script` line resolved to the router's track index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTrack {
    /// The `vrrp_script` name.
    pub script: String,
    /// Index into the router's tracks.
    pub index: usize,
    /// keepalived `weight N reverse`: the router is told the opposite of the script's
    /// status, with the weight negated, so the priority moves the other way.
    pub reverse: bool,
}

/// A planned instance once it runs: the runner owns its `spec` and `fsm`, the daemon the
/// rest (each is kept once).
pub struct Running<'a> {
    /// The instance as configured.
    pub model: &'a VrrpInstance,
    /// Its `track_script` entries.
    pub script_tracks: &'a [ScriptTrack],
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
            && self.script_tracks == running.script_tracks
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

/// Why an instance cannot be planned (after the config was accepted: needs the system).
#[derive(Debug, thiserror::Error)]
#[error("{loc}: vrrp_instance {name}: {message}")]
pub struct PlanError {
    /// Where the instance is written.
    pub loc: crate::config::Loc,
    /// Instance name.
    pub name: String,
    /// What is wrong.
    pub message: String,
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
        planned.push(plan_instance(config, i, &mut primary)?);
    }
    Ok(planned)
}

fn plan_instance(
    config: &Config,
    i: VrrpInstance,
    primary: &mut impl FnMut(&str, Family) -> Option<IpAddr>,
) -> Result<Planned, PlanError> {
    let fail = |message: String| PlanError {
        loc: i.loc.clone(),
        name: i.name.clone(),
        message,
    };
    let family = if i.vips[0].addr.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    };
    let src = match i.unicast_src_ip {
        Some(a) => a,
        None => primary(&i.interface, family)
            .ok_or_else(|| fail(format!("no {family:?} address on {}", i.interface)))?,
    };
    let vips = match family {
        Family::V4 => Vips::V4(i.vips.iter().filter_map(|v| v4(v.addr)).collect()),
        Family::V6 => Vips::V6(i.vips.iter().filter_map(|v| v6(v.addr)).collect()),
    };
    let vrid = Vrid::new(i.vrid).ok_or_else(|| fail("virtual_router_id 0".into()))?;
    let version = if i.version == 2 {
        Version::V2
    } else {
        Version::V3
    };
    let cs = (i.advert_int.as_millis() / 10).min(u128::from(u16::MAX)) as u16;
    let interval =
        Centiseconds::new(cs).ok_or_else(|| fail(format!("advert_int {:?}", i.advert_int)))?;
    let mut b = FsmConfig::builder(vrid, src, vips)
        .version(version)
        .priority(Priority(i.priority))
        .advert_interval(interval)
        .preempt(i.preempt)
        .preempt_delay(i.preempt_delay)
        .initial_state(match i.state {
            InitialState::Master => FsmInitial::Master,
            InitialState::Backup => FsmInitial::Backup,
        })
        .accept_mode(i.accept.unwrap_or(!config.global.vrrp_strict))
        .strict(config.global.vrrp_strict)
        // keepalived: the instance's value, else the global one; vrrp_strict forces it.
        .lower_prio_no_advert(
            config.global.vrrp_strict
                || i.lower_prio_no_advert
                    .unwrap_or(config.global.lower_prio_no_advert),
        )
        .garp_master_delay(Some(i.garp_master_delay).filter(|d| !d.is_zero()))
        .garp_master_repeat(i.garp_master_repeat.max(1))
        .garp_master_refresh(i.garp_master_refresh);
    if let Some(Authentication::Pass(p)) = &i.auth {
        let mut key = [0u8; 8];
        for (k, b) in key.iter_mut().zip(p.bytes()) {
            *k = b;
        }
        b = b.auth(Auth::SimplePassword(key));
    }
    let mut track_links = Vec::new();
    for (n, t) in i.track_interfaces.iter().enumerate() {
        b = b.track(Track {
            weight: t.weight.unwrap_or(0),
        });
        track_links.push((t.name.clone(), n));
    }
    let mut script_tracks = Vec::new();
    for (n, t) in i.track_scripts.iter().enumerate() {
        let Some(s) = config.scripts.iter().find(|s| s.name == t.name) else {
            continue;
        };
        let weight = t.weight.unwrap_or(s.weight);
        let reverse = s.weight_reverse;
        b = b.track(Track {
            weight: if reverse { -weight } else { weight },
        });
        script_tracks.push(ScriptTrack {
            script: t.name.clone(),
            index: i.track_interfaces.len() + n,
            reverse,
        });
    }
    let fsm = b.build().map_err(|e| fail(e.to_string()))?;
    let spec = Instance {
        name: i.name.clone(),
        interface: i.interface.clone(),
        peers: i.unicast_peers.clone(),
        vips: i.vips.iter().map(vip).collect(),
        track_links,
        vmac: i
            .use_vmac
            .as_ref()
            .map(|name| name.clone().unwrap_or_else(|| format!("vrrp.{}", i.vrid))),
    };
    Ok(Planned {
        model: Box::new(i),
        spec,
        fsm,
        script_tracks,
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

fn v4(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

fn v6(a: IpAddr) -> Option<Ipv6Addr> {
    match a {
        IpAddr::V6(a) => Some(a),
        IpAddr::V4(_) => None,
    }
}
