//! What goes into an [`super::Endpoint`] and what comes out of it.

use std::net::IpAddr;

use vrrp_proto::Priority;

use crate::config::Config;
use crate::ids::{InstanceId, InterfaceId};
use crate::output::{Event, Reason, State};

/// One virtual router as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    /// The interface it runs on.
    pub interface: InterfaceId,
    /// Its validated configuration (the source of its adverts is [`Config::primary`]).
    pub config: Config,
    /// keepalived `unicast_peer`: where adverts go and the only sources accepted. Empty:
    /// the VRRP multicast group, every source accepted.
    pub peers: Vec<IpAddr>,
    /// keepalived `track_interface`: interfaces whose link state feeds tracked object
    /// `index` (in [`Config::tracks`] order).
    pub track_interfaces: Vec<(InterfaceId, usize)>,
}

/// A received datagram, as a raw IPPROTO_VRRP socket gives it.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// The interface it arrived on.
    pub interface: InterfaceId,
    /// IP source (IPv6: from ancillary data; IPv4: the header in `bytes` is what counts).
    pub src: IpAddr,
    /// IP destination (as `src`).
    pub dst: IpAddr,
    /// IPv6 hop limit from ancillary data (IPv4: the header's TTL is used).
    pub hop_limit: u8,
    /// IPv4: the whole datagram, IP header included. IPv6: the VRRP message alone.
    pub bytes: &'a [u8],
}

/// An encoded advert to send, written into the buffer given to
/// [`super::Endpoint::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// The instance that sends it.
    pub instance: InstanceId,
    /// The interface to send it on.
    pub interface: InterfaceId,
    /// IP source.
    pub src: IpAddr,
    /// IP destination: the multicast group or one unicast peer.
    pub dst: IpAddr,
    /// IPv4 TTL / IPv6 hop limit to send it with (255, or keepalived's `unicast_ttl` to a
    /// unicast peer).
    pub ttl: u8,
    /// Bytes of the VRRP message (no IP header) at the start of the buffer.
    pub len: usize,
}

/// Something the caller should carry out or know, about one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointEvent {
    /// The instance it is about.
    pub instance: InstanceId,
    /// What.
    pub kind: EventKind,
}

/// What an [`EndpointEvent`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The instance changed state.
    StateChange {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
        /// Its effective priority after the change.
        priority: Priority,
    },
    /// Configure a virtual address on the instance's interface.
    AddVip(IpAddr),
    /// Remove a virtual address from the instance's interface.
    RemoveVip(IpAddr),
    /// Send `count` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for `addr`.
    Announce {
        /// The virtual address.
        addr: IpAddr,
        /// How many.
        count: u32,
    },
    /// What the router heard as Master (dual master, lower priority, preempted).
    Router(Event),
    /// Every member of sync group `group` (its index in [`super::Endpoint::set_sync_groups`])
    /// is now in state `to` (reported once each time the group becomes unanimous in a new
    /// state; `instance` is its first member, `priority` that member's).
    GroupState {
        /// Index of the group.
        group: usize,
        /// The state all members are in.
        to: State,
        /// The first member's effective priority.
        priority: Priority,
    },
    /// The master this instance knows changed: its own address while Master, the sender
    /// of the adverts a Backup follows, None while it knows of none.
    MasterChanged(Option<IpAddr>),
}

/// Why the endpoint refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// No instance has this id (never added, or removed).
    #[error("no instance {0}")]
    NoInstance(InstanceId),
    /// Another instance runs this VRID, family and interface.
    #[error("VRID taken on this interface by instance {0}")]
    VridTaken(InstanceId),
    /// A unicast peer is not of the instance's family.
    #[error("unicast peer {0} is not of the instance's family")]
    PeerFamily(IpAddr),
    /// The new configuration is refused by the router.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// Endpoint-wide tallies besides [`crate::GlobalCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Adverts whose VRID no instance runs on that interface and family.
    pub unknown_vrid: u64,
    /// Informational events (lower priority heard, dual master) dropped because the event
    /// queue was full: the caller did not drain it.
    pub events_dropped: u64,
    /// Adverts (priority above 0) not queued because the transmit queue was full.
    pub transmits_dropped: u64,
    /// Adverts that could not be encoded, or did not fit the caller's buffer.
    pub emit_errors: u64,
}
