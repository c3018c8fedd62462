//! What the state machine asks the I/O layer to do, and why its state changed.

use core::net::IpAddr;
use vrrp_proto::Priority;

/// Router state (RFC 9568 §6.4, plus keepalived's FAULT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// RFC 9568 §6.4.1: not started, or shut down.
    Initialize,
    /// RFC 9568 §6.4.2.
    Backup,
    /// RFC 9568 §6.4.3.
    Master,
    /// keepalived FAULT: a tracked interface is down or a weightless tracked object failed.
    Fault,
}

/// Why a state change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Startup (RFC 9568 §6.4.1).
    Startup,
    /// Priority 255: the address owner takes over at once (RFC 9568 §6.4.1).
    Owner,
    /// Master_Down_Timer fired (RFC 9568 §6.4.2).
    MasterDown,
    /// An advert with higher priority (or equal priority and higher address) (RFC 9568 §6.4.3).
    HigherPriority,
    /// Shutdown (RFC 9568 §6.4.2 / §6.4.3).
    Shutdown,
    /// Link down (keepalived FAULT).
    LinkDown,
    /// A weightless tracked object went down (keepalived FAULT).
    TrackDown,
    /// All fault causes cleared.
    FaultCleared,
    /// A sync group member moved (keepalived `vrrp_sync_group`).
    SyncGroup,
    /// Drained by the operator (vrrpd `drain`): mastership handed over.
    Drain,
    /// Mastership given up because something it holds was taken away behind its back
    /// (keepalived `set_vrrp_backup`: a tracked virtual route or rule was deleted).
    Released,
}

/// Things a Master heard that are not (yet) state changes. Each is emitted while the
/// router is still Master, before any state change the same advert causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// keepalived `notify_master_rx_lower_pri`: master heard a lower-priority advert (or
    /// an equal priority from a lower address). One per such advert.
    MasterRxLowerPri {
        /// Sender.
        src: IpAddr,
        /// Its priority.
        priority: Priority,
    },
    /// A dual-master episode begins: the first advert this Master wins after none for a
    /// Master_Down_Interval (counted in [`crate::RouterCounters::dual_master`]); it comes
    /// just before that advert's [`Event::MasterRxLowerPri`].
    DualMaster {
        /// The other master.
        src: IpAddr,
        /// Its priority.
        priority: Priority,
    },
    /// An advert that beats this Master (higher priority, or equal from a higher
    /// address): it steps down (RFC 9568 §6.4.3). A preemption, not a dual master.
    Preempted {
        /// The new master.
        src: IpAddr,
        /// Its priority.
        priority: Priority,
    },
    /// The effective priority changed (a tracked object's weight came or went); keepalived
    /// writes it to its notify FIFOs with `notify_priority_changes`.
    PriorityChanged {
        /// Before.
        old: Priority,
        /// Now.
        new: Priority,
    },
    /// A VRRPv3/IPv4 unicast peer checksums the pre-1.3.6 way (224.0.0.18 in the
    /// pseudo-header): from now on this instance does too, as keepalived 2.2.7 does
    /// ("Setting unicast VRRPv3 checksum to old version"). Reported by the
    /// [`crate::Endpoint`], once per instance; never by a lone [`crate::Router`].
    OldUnicastChecksum {
        /// The peer heard.
        src: IpAddr,
    },
}

/// One thing for the I/O layer to do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Send an advert now; build it with [`crate::Router::advert`]`(priority)`.
    SendAdvert {
        /// Priority to put in it (0 when stopping).
        priority: Priority,
    },
    /// Configure a virtual address on the interface.
    AddVip(IpAddr),
    /// Remove a virtual address from the interface.
    RemoveVip(IpAddr),
    /// Send `count` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for `addr`.
    Announce {
        /// The virtual address.
        addr: IpAddr,
        /// How many.
        count: u32,
    },
    /// State changed.
    StateChange {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// A keepalived notification.
    Event(Event),
}
