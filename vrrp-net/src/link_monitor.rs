//! Link state changes from rtnetlink (RTMGRP_LINK), as a mio source.

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::error::NetError;
use crate::netlink::link_is_up;

const RECV_BUF: usize = 64 * 1024;

/// A link changed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// The link is up with carrier (ifindex).
    LinkUp(u32),
    /// The link went down, lost carrier or was deleted (ifindex).
    LinkDown(u32),
}

/// A netlink socket subscribed to RTMGRP_LINK. Register it with mio for READABLE, then call
/// [`LinkMonitor::read_events`] when it is ready. Only changes are reported: repeated
/// RTM_NEWLINK messages for a link whose up/down state did not change yield nothing.
#[derive(Debug)]
pub struct LinkMonitor {
    sock: Socket,
    last: HashMap<u32, bool>,
    buf: Vec<u8>,
}

impl LinkMonitor {
    /// Subscribe in the calling thread's network namespace. Links first seen in an event are
    /// reported whatever their state; seed known links with [`LinkMonitor::seed`] to avoid that.
    pub fn open() -> Result<Self, NetError> {
        let err = |source| NetError::Netlink {
            op: "subscribe RTMGRP_LINK".into(),
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
        })
    }

    /// Record the current state of a link (e.g. from [`crate::Netlink::links`]).
    pub fn seed(&mut self, ifindex: u32, up: bool) {
        self.last.insert(ifindex, up);
    }

    /// Read everything waiting and append the state changes to `out`.
    pub fn read_events(&mut self, out: &mut Vec<LinkEvent>) -> Result<(), NetError> {
        loop {
            self.buf.clear();
            match self.sock.recv(&mut self.buf, 0) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(source) => {
                    return Err(NetError::Netlink {
                        op: "read link events".into(),
                        source,
                    })
                }
            }
            let mut off = 0;
            while off < self.buf.len() {
                let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.buf[off..])
                else {
                    log::debug!("undecodable link event dropped");
                    break;
                };
                let len = m.header.length as usize;
                if len == 0 {
                    break;
                }
                off += (len + 3) & !3;
                let (ifindex, up) = match m.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                        (l.header.index, link_is_up(l.header.flags))
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                        (l.header.index, false)
                    }
                    _ => continue,
                };
                if self.last.insert(ifindex, up) != Some(up) {
                    out.push(if up {
                        LinkEvent::LinkUp(ifindex)
                    } else {
                        LinkEvent::LinkDown(ifindex)
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
