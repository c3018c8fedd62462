//! Linux I/O for VRRP (issue 5): raw sockets, rtnetlink, ARP/NA, timers. It installs no
//! signal handler and writes no log line: the caller owns its signals and its words.
//!
//! Every building block here is a plain value the event loop owns; the ones that wait on the
//! kernel implement [`mio::event::Source`] so one `mio::Poll` drives them all:
//!
//! * [`VrrpSocket`] — one raw IPPROTO_VRRP socket per (interface, family), bound to the
//!   interface, joined to 224.0.0.18 / ff02::12, TTL / hop limit 255, no multicast loopback.
//!   [`VrrpSocket::recv`] returns the bytes with their [`RecvMeta`] (source, destination,
//!   TTL / hop limit, ifindex).
//! * [`Demux`] — (interface, family, VRID) → the caller's router key, so 1000 instances cost
//!   1000 timers, not 1000 sockets. [`PeerFilter`] drops and counts unicast strangers.
//!   (Re-exported from vrrp-fsm, where they live now with [`SlotAlloc`], [`Slab`] and
//!   [`Timers`], as parts of `vrrp_fsm::Endpoint`.)
//! * [`Netlink`] — rtnetlink requests: add / remove / list addresses (IPv6 VIPs with
//!   IFA_F_NODAD), look up links (index, name, MAC, primary address), and keepalived
//!   `use_vmac` macvlan links ([`Netlink::add_vmac`]). Removing an address that is not there
//!   is [`NetError::AddressMissing`] (not idempotent; a cleanup may ignore it).
//! * [`LinkMonitor`] — RTMGRP_LINK subscription yielding [`LinkEvent`]s (up/down, links
//!   created and deleted with their names, receive-buffer overruns).
//! * [`SlotAlloc`], [`Slab`] — stable indices reused once given back (the runner's
//!   instances and sockets).
//! * [`Announcer`] — AF_PACKET sender for gratuitous ARP and unsolicited NA frames.
//! * [`Timers`] — min-heap of (deadline, key) with lazy cancellation.
//!
//! The event loop ([`Runner`]) is: register every socket and the link monitor with one
//! `mio::Poll` (the caller adds its own sources, signals among them); poll with the timeout `Timers::next_deadline()`;
//! drain each readable source until it reports nothing (mio is edge-triggered); route each
//! advert by [`Demux`] and [`PeerFilter`] to its router; then pop expired timers.
//! `tests/one_poll.rs` runs exactly that loop against a veth pair.

mod alarm;
mod announce;
mod error;
mod link_monitor;
mod netlink;
mod raw;
mod runner;
mod sysctl;
mod veth;
mod vmac;

pub use announce::Announcer;
pub use error::NetError;
pub use link_monitor::{LinkEvent, LinkMonitor};
pub use netlink::{AddrEntry, LinkEntry, Netlink, Vip};
/// Address scope of a [`Vip`] (keepalived `scope`), re-exported from netlink-packet-route.
pub use netlink_packet_route::address::AddressScope;
pub use raw::{Outgoing, RecvBatch, RecvMeta, SendQueue, VrrpSocket};
pub use runner::{
    ChurnCounters, Happening, Instance, InstanceInfo, InstanceNote, OsErrors, Runner, RunnerNote,
    FIRST_USER_TOKEN,
};
pub use sysctl::set_ipv4_conf;
pub use vrrp_fsm::{Demux, DemuxKey, PeerFilter};
pub use vrrp_fsm::{Slab, Slot, SlotAlloc};
pub use vrrp_fsm::{TimerId, Timers};
