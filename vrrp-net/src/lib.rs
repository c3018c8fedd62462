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
//! * [`Netlink`] — rtnetlink requests: add / remove / list addresses (IPv6 VIPs with
//!   keepalived's options: [`Vip`]), look up links (index, name, MAC, primary address), and keepalived
//!   `use_vmac` macvlan links ([`Netlink::add_vmac`]). Removing an address that is not there
//!   is [`NetError::AddressMissing`] (not idempotent; a cleanup may ignore it). Routes and
//!   rules as keepalived installs them ([`Route`], [`Rule`]: protocol `keepalived`,
//!   [`Netlink::add_route`], [`Netlink::add_rule`]), and [`RouteMonitor`], their deletions.
//! * [`LinkMonitor`] — RTMGRP_LINK subscription yielding [`LinkEvent`]s (up/down, links
//!   created and deleted with their names, receive-buffer overruns).
//! * [`Announcer`] — AF_PACKET sender for gratuitous ARP and unsolicited NA frames.
//!
//! The event loop ([`Runner`]) drives one `vrrp_fsm::Endpoint`, which holds everything
//! about the virtual routers that needs no OS (demux by interface, family and VRID, the
//! unicast peer filter, sync groups, timers, counters): it registers every socket and the
//! link monitor with one `mio::Poll` (the caller adds its own sources, signals among them),
//! arms a timerfd at `Endpoint::poll_timeout()` (the endpoint batches Masters due close
//! together into one wakeup; the timerfd is re-armed only when that moves earlier), reads
//! datagrams in batches into `Endpoint::handle_datagram` (once a burst of adverts is seen it
//! lets the burst queue up for a few hundred microseconds before reading it: receive
//! coalescing), sends the endpoint's adverts in batches (`sendmmsg`) and carries out its
//! events (VIPs through rtnetlink, GARP / NA through AF_PACKET).
//! `tests/one_poll.rs` runs the bare loop (socket, link monitor, vrrp-fsm's demux and
//! timers) against a veth pair.
//!
//! The path of one advert, hop by hop: [`VrrpSocket::recv_batch`] (recvmmsg, with source,
//! destination, TTL / hop limit and ifindex from ancillary data) → `Endpoint::handle_datagram`
//! (vrrp-proto's IP checks and `decode`, demux, version check, peer filter,
//! `Router::handle_advert`, the master it heard, sync groups, counters) → the endpoint's
//! events (VIPs, GARP / NA, state changes, router events) carried out or reported as
//! [`Happening`]s → its adverts queued in a [`SendQueue`] and sent with `sendmmsg` → the
//! endpoint's next deadline set on the timerfd.

#![deny(missing_docs)]

mod alarm;
mod announce;
mod error;
mod link_monitor;
mod netlink;
mod raw;
mod route;
mod route_monitor;
mod rule;
mod runner;
mod sysctl;
mod vip;
mod vmac;

pub use announce::Announcer;
pub use error::{Interface, NetError, NetlinkOp};
pub use link_monitor::{LinkEvent, LinkMonitor};
pub use netlink::{AddrEntry, LinkEntry, Netlink};
/// Flags of a [`Vip`] (IFA_FLAGS), re-exported from netlink-packet-route.
pub use netlink_packet_route::address::AddressFlags;
/// Address scope of a [`Vip`] (keepalived `scope`), re-exported from netlink-packet-route.
pub use netlink_packet_route::address::AddressScope;
pub use netlink_packet_route::route::RouteMetric;
pub use raw::{Outgoing, RecvBatch, RecvMeta, SendQueue, VrrpSocket};
pub use route::{AddMode, NextHop, Route, RTPROT_KEEPALIVED, TABLE_MAIN};
pub use route_monitor::{Deleted, MonitorGroups, RouteMonitor};
pub use rule::{Rule, RuleKind};
pub use runner::{
    ChurnCounters, Happening, Instance, InstanceInfo, InstanceNote, OsErrors, Runner, RunnerNote,
    FIRST_USER_TOKEN,
};
pub use sysctl::set_ipv4_conf;
pub use vip::{Vip, FOREVER};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
