//! Link changes from rtnetlink (RTMGRP_LINK), as a mio source: up/down by index, links
//! created and deleted (with their names), and receive-buffer overruns.

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use nix::sys::socket::{setsockopt, sockopt};

use crate::error::{NetError, NetlinkOp};
use crate::netlink::link_entry;
use crate::LinkEntry;

const RECV_BUF: usize = 64 * 1024;

/// A link changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// A known link is now up with carrier (ifindex).
    LinkUp(u32),
    /// A known link went down or lost carrier (ifindex).
    LinkDown(u32),
    /// A link not known before: created (RTM_NEWLINK of a new index), renamed (reported as
    /// the old name deleted and the new one added), or simply never seeded.
    Added(LinkEntry),
    /// A link was deleted (RTM_DELLINK), or renamed away from this name.
    Deleted(LinkEntry),
    /// The socket's receive buffer overflowed (ENOBUFS): some link messages were lost. Read
    /// every link again ([`crate::Netlink::links`]) and [`LinkMonitor::reseed`].
    Overrun,
}

/// What the monitor last knew of a link.
#[derive(Debug)]
struct Known {
    up: bool,
    name: String,
}

/// A netlink socket subscribed to RTMGRP_LINK. Register it with mio for READABLE, then call
/// [`LinkMonitor::read_events`] when it is ready. Only changes are reported: repeated
/// RTM_NEWLINK messages for a link whose up/down state and name did not change yield nothing.
#[derive(Debug)]
pub struct LinkMonitor {
    sock: Socket,
    last: HashMap<u32, Known>,
    buf: Vec<u8>,
    overruns: u64,
    undecodable: u64,
}

impl LinkMonitor {
    /// Subscribe in the calling thread's network namespace. Links first seen in an event are
    /// reported as [`LinkEvent::Added`]; seed known links with [`LinkMonitor::seed`].
    pub fn open() -> Result<Self, NetError> {
        let err = |source| NetError::Netlink {
            op: NetlinkOp::SubscribeLinks,
            source,
        };
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(err)?;
        sock.bind(&SocketAddr::new(0, libc::RTMGRP_LINK as u32))
            .map_err(err)?;
        sock.set_non_blocking(true).map_err(err)?;
        Ok(LinkMonitor {
            sock,
            last: HashMap::new(),
            buf: Vec::with_capacity(RECV_BUF),
            overruns: 0,
            undecodable: 0,
        })
    }

    /// keepalived's `vrrp_netlink_monitor_rcv_bufs BYTES` (and `..._force`): the socket's
    /// receive buffer (SO_RCVBUF, capped by `net.core.rmem_max`; with `force`,
    /// SO_RCVBUFFORCE, which root may set past it). The kernel doubles the value.
    pub fn set_recv_buffer(&mut self, bytes: usize, force: bool) -> Result<(), NetError> {
        let err = |e: nix::Error| NetError::Netlink {
            op: NetlinkOp::SetMonitorBuffer { bytes },
            source: e.into(),
        };
        if force {
            setsockopt(&self.sock, sockopt::RcvBufForce, &bytes).map_err(err)
        } else {
            setsockopt(&self.sock, sockopt::RcvBuf, &bytes).map_err(err)
        }
    }

    /// Record the current state of a link (e.g. from [`crate::Netlink::links`]).
    pub fn seed(&mut self, link: &LinkEntry) {
        self.last.insert(
            link.ifindex,
            Known {
                up: link.up,
                name: link.name.clone(),
            },
        );
    }

    /// Forget everything known and record `links` (every link there is, after an overrun).
    pub fn reseed(&mut self, links: &[LinkEntry]) {
        self.last.clear();
        for l in links {
            self.seed(l);
        }
    }

    /// Receive-buffer overruns (ENOBUFS) seen so far.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Messages that could not be decoded, dropped (with the rest of their datagram).
    pub fn undecodable(&self) -> u64 {
        self.undecodable
    }

    /// Read everything waiting and append the changes to `out`. An overrun is reported as
    /// [`LinkEvent::Overrun`] (and counted); reading goes on after it.
    pub fn read_events(&mut self, out: &mut Vec<LinkEvent>) -> Result<(), NetError> {
        loop {
            self.buf.clear();
            match self.sock.recv(&mut self.buf, 0) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.overruns += 1;
                    if out.last() != Some(&LinkEvent::Overrun) {
                        out.push(LinkEvent::Overrun);
                    }
                    continue;
                }
                Err(source) => {
                    return Err(NetError::Netlink {
                        op: NetlinkOp::ReadLinkEvents,
                        source,
                    })
                }
            }
            let mut off = 0;
            while off < self.buf.len() {
                let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.buf[off..])
                else {
                    self.undecodable += 1;
                    break;
                };
                let len = m.header.length as usize;
                if len == 0 {
                    break;
                }
                off += (len + 3) & !3;
                match m.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                        self.new_link(link_entry(&l), out)
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                        let mut link = link_entry(&l);
                        link.up = false;
                        if let Some(k) = self.last.remove(&link.ifindex) {
                            if link.name.is_empty() {
                                link.name = k.name;
                            }
                        }
                        out.push(LinkEvent::Deleted(link));
                    }
                    _ => {}
                }
            }
        }
    }

    /// An RTM_NEWLINK: a new link, a renamed one, or a state change.
    fn new_link(&mut self, link: LinkEntry, out: &mut Vec<LinkEvent>) {
        match self.last.get_mut(&link.ifindex) {
            None => {
                self.seed(&link);
                out.push(LinkEvent::Added(link));
            }
            Some(k) if !k.name.is_empty() && !link.name.is_empty() && k.name != link.name => {
                let old = LinkEntry {
                    name: std::mem::replace(&mut k.name, link.name.clone()),
                    up: false,
                    ..link.clone()
                };
                k.up = link.up;
                out.push(LinkEvent::Deleted(old));
                out.push(LinkEvent::Added(link));
            }
            Some(k) => {
                if k.name.is_empty() {
                    k.name.clone_from(&link.name);
                }
                if k.up != link.up {
                    k.up = link.up;
                    out.push(if link.up {
                        LinkEvent::LinkUp(link.ifindex)
                    } else {
                        LinkEvent::LinkDown(link.ifindex)
                    });
                }
            }
        }
    }
}

impl Source for LinkMonitor {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).deregister(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(ifindex: u32, name: &str, up: bool) -> LinkEntry {
        LinkEntry {
            ifindex,
            name: name.into(),
            mac: vec![2, 0, 0, 0, 0, 1],
            up,
        }
    }

    /// RTM_NEWLINK as the monitor reads it: a new index is a link added (whatever its
    /// state), a known one reports only a change of state, and a new name for a known index
    /// is the old name deleted and the new one added (keepalived: "Interface name has
    /// changed", handled as a lost interface).
    #[test]
    fn new_link_messages_become_added_state_changes_or_renames() {
        let Ok(mut m) = LinkMonitor::open() else {
            eprintln!("SKIP new_link_messages_become_added_state_changes_or_renames: no netlink");
            return;
        };
        m.seed(&link(2, "eth0", true));
        let mut out = Vec::new();
        m.new_link(link(2, "eth0", true), &mut out);
        assert_eq!(out, vec![], "no change, nothing reported");
        m.new_link(link(2, "eth0", false), &mut out);
        assert_eq!(out, vec![LinkEvent::LinkDown(2)]);
        out.clear();
        m.new_link(link(7, "eth1", false), &mut out);
        assert_eq!(out, vec![LinkEvent::Added(link(7, "eth1", false))]);
        out.clear();
        m.new_link(link(7, "eth1", true), &mut out);
        assert_eq!(out, vec![LinkEvent::LinkUp(7)]);
        out.clear();
        m.new_link(link(7, "wan", true), &mut out);
        assert_eq!(
            out,
            vec![
                LinkEvent::Deleted(link(7, "eth1", false)),
                LinkEvent::Added(link(7, "wan", true))
            ]
        );
        out.clear();
        m.reseed(&[link(9, "eth0", true)]);
        m.new_link(link(2, "eth0", true), &mut out);
        assert_eq!(
            out,
            vec![LinkEvent::Added(link(2, "eth0", true))],
            "reseeding forgets what is not in the dump"
        );
    }
}
