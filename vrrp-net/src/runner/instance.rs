//! What the caller hands the [`super::Runner`] for one virtual router, what the runner keeps
//! about it, and what it reports back.

use std::net::IpAddr;

use vrrp_fsm::{Event, InstanceId, Reason, State};
use vrrp_proto::Priority;

use super::notes::{InstanceNote, RunnerNote};
use crate::{Route, Rule, Vip};

/// One virtual router and how it talks: its name (keepalived instance name), its interface,
/// its unicast peers (none: the multicast group), its VIPs' forms, what it tracks. The
/// source of its adverts is its configuration's primary address.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Instance name (the caller's, e.g. for log lines: `(VI_1) Entering MASTER STATE`).
    pub name: String,
    /// The interface VRRP runs on.
    pub interface: String,
    /// keepalived's `unicast_peer` list: where adverts go and the only sources accepted.
    /// Empty: the VRRP multicast group, every source accepted.
    pub peers: Vec<IpAddr>,
    /// How each VIP is configured (keepalived's `virtual_ipaddress` options: prefix, `dev`,
    /// label, scope, flags...). An address the router asks for that is not listed is a host
    /// address on the instance's interface.
    pub vips: Vec<Vip>,
    /// keepalived `virtual_ipaddress_excluded`: addresses of either family, not in the
    /// advert, added after the VIPs on becoming Master and removed on leaving it, announced
    /// after them.
    pub excluded: Vec<Vip>,
    /// keepalived `track_interface`: interfaces whose link state feeds the router, each with
    /// the index of its [`vrrp_fsm::Track`] in the router's configuration.
    pub track_links: Vec<(String, usize)>,
    /// keepalived `use_vmac`: run on a macvlan child of `interface` with this name, carrying
    /// the RFC 9568 §7.3 virtual MAC; the VIPs go on it and adverts and GARPs leave from it.
    pub vmac: Option<String>,
    /// keepalived `virtual_routes`: added after the VIPs on becoming master, removed (after
    /// the rules, before the VIPs) on leaving it.
    pub routes: Vec<Route>,
    /// keepalived `virtual_rules`: added after the routes, removed first.
    pub rules: Vec<Rule>,
}

impl Instance {
    /// The configured form of `addr`.
    pub(crate) fn vip(&self, addr: IpAddr) -> Vip {
        self.vips
            .iter()
            .find(|v| v.addr == addr)
            .cloned()
            .unwrap_or_else(|| Vip::host(addr))
    }
}

vrrp_fsm::counter_table! {
    /// OS errors met while serving one instance (each is also reported as a
    /// [`Happening::Instance`]).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct OsErrors (suffix "_errors") {
        /// Sending an advert failed.
        send,
        /// Adding or removing a VIP failed (other than "already there" / "not there").
        netlink,
        /// Sending a gratuitous ARP or unsolicited NA failed.
        announce,
        /// Adding or removing a virtual route or rule failed (other than "already there" /
        /// "not there").
        route,
    }
}

/// The port index of an instance that has no socket (its interface is gone).
pub(crate) const NO_PORT: usize = usize::MAX;

vrrp_fsm::counter_table! {
    /// What happened to an instance's interface and addresses under it, counted.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct ChurnCounters {
        /// Its interface was deleted (the instance went FAULT, its VIPs went with it).
        interface_gone,
        /// An interface of that name appeared again and the instance was bound to it (new
        /// socket, multicast membership, ifindex).
        interface_back,
        /// Becoming master, a VIP was already on the interface: kept as ours (as keepalived
        /// does), not an error.
        vip_already_present,
        /// At start, a VIP was already on the interface (left by an earlier run, or added by
        /// hand) and was removed, as keepalived does at startup.
        stale_vip_removed,
        /// At start, a virtual route or rule was already installed (left by an earlier
        /// run) and was removed.
        stale_route_removed,
        /// Becoming master, a virtual route or rule was already installed: kept as ours.
        route_already_present,
    }
}

/// What the runner knows of an instance besides what its endpoint knows (router, master,
/// demux entry, timers).
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    /// As given to [`super::Runner::add`].
    pub spec: Instance,
    /// Interface index of `spec.interface` (or of its VMAC).
    pub ifindex: u32,
    /// OS errors, counted.
    pub os_errors: OsErrors,
    /// Its interface is gone (deleted): the instance is FAULT, has no socket, and waits for
    /// an interface of that name to appear.
    pub gone: bool,
    /// Effects counted (interface deleted and back, VIPs found already there).
    pub churn: ChurnCounters,
    /// The router's family (where an address goes depends on it with `use_vmac`).
    pub(crate) family: vrrp_proto::Family,
    /// Its `virtual_ipaddress_excluded` addresses are configured (added on becoming
    /// Master, cleared on leaving it).
    pub excluded_held: bool,
    /// Index of its socket in the runner's port table ([`NO_PORT`] while `gone`).
    pub(crate) port: usize,
    /// It runs on a VMAC interface, deleted when the instance is removed or the runner dropped.
    pub(crate) vmac_created: bool,
    /// Which of `spec.routes` / `spec.rules` this run installed (keepalived's `set`).
    pub(crate) installed: super::routes::Installed,
}

/// Something the caller should know about, returned by [`super::Runner::turn`].
#[derive(Debug)]
pub enum Happening {
    /// Instance `instance` changed state.
    StateChange {
        /// The instance.
        instance: InstanceId,
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
        /// Its effective priority after the change.
        priority: Priority,
    },
    /// A keepalived notification of instance `instance` (e.g. master heard a lower priority).
    Event {
        /// The instance.
        instance: InstanceId,
        /// The event.
        event: Event,
        /// Its effective priority when the event happened.
        priority: Priority,
    },
    /// What the runner did or met on instance `instance`'s behalf (VIPs, adverts, VMAC,
    /// its interface).
    Instance {
        /// The instance.
        instance: InstanceId,
        /// What.
        note: InstanceNote,
    },
    /// Every member of sync group `group` (its index in [`super::Runner::set_sync_groups`])
    /// is now in state `to` (once each time the group becomes unanimous in a new state).
    GroupState {
        /// Index of the group.
        group: usize,
        /// The state all its members are in.
        to: State,
        /// Its first member's effective priority.
        priority: Priority,
    },
    /// What the runner met that belongs to no instance (links, socket receive errors).
    Runner(RunnerNote),
    /// A source the caller registered with [`super::Runner::registry`] is ready.
    Ready(mio::Token),
}

impl Happening {
    /// The instance it is about, if any.
    pub fn instance(&self) -> Option<InstanceId> {
        match self {
            Happening::StateChange { instance, .. }
            | Happening::Event { instance, .. }
            | Happening::Instance { instance, .. } => Some(*instance),
            Happening::GroupState { .. } | Happening::Runner(_) | Happening::Ready(_) => None,
        }
    }
}
