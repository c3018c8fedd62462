//! What the runner did, or failed to do, besides state changes and router events: typed
//! values for the caller to count, log or ignore. The runner writes no log line; vrrpd
//! writes keepalived's words for these.

use std::net::IpAddr;

use vrrp_proto::Vrid;

use crate::NetError;

/// Something the runner did or met on one instance's behalf.
#[derive(Debug)]
pub enum InstanceNote {
    /// At start, a VIP left by an earlier run was on the interface and was removed (counted
    /// in [`super::ChurnCounters::stale_vip_removed`]).
    StaleVipRemoved(IpAddr),
    /// At start, a VIP left by an earlier run could not be removed.
    StaleVipRemoveFailed(IpAddr, NetError),
    /// Becoming master, the VIP was already on the interface: kept as ours.
    VipAlreadyPresent(IpAddr),
    /// Adding a VIP failed (counted in [`super::OsErrors::netlink`]).
    VipAddFailed(IpAddr, NetError),
    /// An address (VIP or excluded) is due on an interface that does not exist now (named:
    /// its `dev`), so it is not added (keepalived: "Not adding address ... since interface
    /// doesn't exist").
    AddressInterfaceMissing(IpAddr, String),
    /// Removing a VIP found the interface gone: the address went with it (not an error).
    VipGoneWithInterface(IpAddr),
    /// Removing a VIP failed (counted in [`super::OsErrors::netlink`]).
    VipRemoveFailed(IpAddr, NetError),
    /// At start, a virtual route or rule left by an earlier run was removed (counted in
    /// [`super::ChurnCounters::stale_route_removed`]); the route or rule as text.
    StaleRouteRemoved(String),
    /// Becoming master, a virtual route or rule was already installed: kept as ours
    /// (counted in [`super::ChurnCounters::route_already_present`]).
    RouteAlreadyPresent(String),
    /// Adding a virtual route or rule failed (counted in [`super::OsErrors::route`]).
    RouteAddFailed(String, NetError),
    /// Removing a virtual route or rule failed (counted in [`super::OsErrors::route`]).
    RouteRemoveFailed(String, NetError),
    /// A tracked virtual route or rule of this master was deleted by someone else: it gives
    /// mastership up (keepalived `set_vrrp_backup`); the route or rule as text.
    RouteDeletedByOther(String),
    /// A VIP or excluded address of this master (without `no_track`) was deleted by
    /// someone else: it gives mastership up (keepalived `set_vrrp_backup`).
    AddressDeletedByOther(IpAddr, u8),
    /// A gratuitous ARP / unsolicited NA could not be sent (counted in
    /// [`super::OsErrors::announce`]).
    AnnounceFailed(IpAddr, NetError),
    /// An advert could not be sent (counted in [`super::OsErrors::send`]). Can repeat at
    /// the advert rate: a caller that logs it should rate-limit.
    SendFailed(NetError),
    /// Its interface is back as `link`, but another instance runs its VRID there.
    VridTaken {
        /// The interface that came back.
        link: String,
        /// The VRID.
        vrid: Vrid,
        /// The instance running it there.
        by: vrrp_fsm::InstanceId,
    },
    /// Its interface is back as `link`, but no socket could be opened there.
    RebindFailed {
        /// The interface that came back.
        link: String,
        /// Why.
        error: NetError,
    },
    /// Its VMAC interface (keepalived `use_vmac`) of this name was created.
    VmacCreated(String),
    /// Its VMAC interface of this name could not be created again under its interface.
    VmacRecreateFailed {
        /// The VMAC interface name.
        vmac: String,
        /// Why.
        error: NetError,
    },
    /// Its VMAC interface was deleted.
    VmacDeleted,
    /// Its VMAC interface could not be deleted.
    VmacDeleteFailed(NetError),
}

/// Something the runner met that belongs to no instance.
#[derive(Debug)]
pub enum RunnerNote {
    /// Reading the link monitor failed (counted in [`super::Runner::recv_errors`]).
    LinkMonitorFailed(NetError),
    /// The link monitor's receive buffer overran: every link's state was read again
    /// (counted in [`super::Runner::link_overruns`]). At most one per overrun batch.
    LinkOverrun,
    /// Reading every link again after an overrun failed (counted in
    /// [`super::Runner::recv_errors`]).
    ResyncFailed(NetError),
    /// Reading route and rule deletions failed (counted in [`super::Runner::recv_errors`]).
    RouteMonitorFailed(NetError),
    /// An interface some instance runs on or tracks was deleted.
    InterfaceDeleted(String),
    /// An interface some instance runs on came back, and instances were bound to it.
    InterfaceAdded(String),
    /// Receiving on the raw socket of interface `ifname` failed (counted in
    /// [`super::Runner::recv_errors`]). Can repeat per packet: rate-limit it if logged.
    RecvFailed {
        /// The socket's interface.
        ifname: String,
        /// Why.
        error: NetError,
    },
}
