//! What the caller hands the [`super::Runner`] for one virtual router, what the runner keeps
//! about it, and what it reports back.

use std::net::IpAddr;

use vrrp_fsm::{Event, Reason, State};
use vrrp_proto::Priority;

use super::notes::{InstanceNote, RunnerNote};
use crate::{PeerFilter, Vip};

/// One virtual router and how it talks: its name (keepalived instance name), its interface,
/// the source address, where adverts go (the multicast group, or the unicast peers) and which
/// sources are accepted.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Instance name, for log lines (`(VI_1) Entering MASTER STATE`).
    pub name: String,
    /// The interface VRRP runs on.
    pub interface: String,
    /// Source address of our adverts.
    pub src: IpAddr,
    /// Destinations: keepalived's `unicast_peer` list; empty means the VRRP group.
    pub dsts: Vec<IpAddr>,
    /// Accepted sources (empty: all, multicast mode).
    pub peers: PeerFilter,
    /// How each VIP is configured (prefix, label, scope: keepalived's `virtual_ipaddress`
    /// options). An address the router asks for that is not listed is a host address.
    pub vips: Vec<Vip>,
    /// keepalived `track_interface`: interfaces whose link state feeds the router, each with
    /// the index of its [`vrrp_fsm::Track`] in the router's configuration.
    pub track_links: Vec<(String, usize)>,
    /// keepalived `use_vmac`: run on a macvlan child of `interface` with this name, carrying
    /// the RFC 9568 §7.3 virtual MAC; the VIPs go on it and adverts and GARPs leave from it.
    pub vmac: Option<String>,
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
    }
}

/// What the runner knows of an instance besides its router.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    /// As given to [`super::Runner::add`].
    pub spec: Instance,
    /// Interface index of `spec.interface`.
    pub ifindex: u32,
    /// Tracked interfaces resolved to (ifindex, track index).
    pub(crate) tracked: Vec<(u32, usize)>,
    /// Source of the last advert the router accepted as from the master (ours when Master).
    pub master: Option<IpAddr>,
    /// OS errors, counted.
    pub os_errors: OsErrors,
    /// Removed by [`super::Runner::remove`]: its router is stopped and ignored, and its
    /// slot will be given to the next instance added.
    pub removed: bool,
    /// Its interface is gone (deleted): the instance is FAULT, has no socket, and waits for
    /// an interface of that name to appear.
    pub gone: bool,
    /// Effects counted (interface deleted and back, VIPs found already there).
    pub churn: ChurnCounters,
    /// Index of its socket in the runner's port table ([`NO_PORT`] while `gone`).
    pub(crate) port: usize,
    /// It runs on a VMAC interface, deleted when the instance is removed or the runner dropped.
    pub(crate) vmac_created: bool,
}

/// Something the caller should know about, returned by [`super::Runner::turn`].
#[derive(Debug)]
pub enum Happening {
    /// Instance `instance` changed state.
    StateChange {
        /// Index of the instance (order of [`super::Runner::add`]).
        instance: usize,
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
        /// Index of the instance.
        instance: usize,
        /// The event.
        event: Event,
        /// Its effective priority when the event happened.
        priority: Priority,
    },
    /// What the runner did or met on instance `instance`'s behalf (VIPs, adverts, VMAC,
    /// its interface).
    Instance {
        /// Index of the instance.
        instance: usize,
        /// What.
        note: InstanceNote,
    },
    /// What the runner met that belongs to no instance (links, socket receive errors).
    Runner(RunnerNote),
    /// A source the caller registered with [`super::Runner::registry`] is ready.
    Ready(mio::Token),
}

impl Happening {
    /// The instance it is about, if any.
    pub fn instance(&self) -> Option<usize> {
        match self {
            Happening::StateChange { instance, .. }
            | Happening::Event { instance, .. }
            | Happening::Instance { instance, .. } => Some(*instance),
            Happening::Runner(_) | Happening::Ready(_) => None,
        }
    }
}
