//! Sending many adverts with one system call (`sendmmsg`).
//!
//! A master with a thousand routers sends a thousand adverts a second, most of them due at
//! the same moments. Queued during a turn and sent together, they take a system call per
//! [`SEND_BATCH`] datagrams instead of one each; and the peer, woken once per system call
//! rather than once per datagram, reads them in batches too.

use std::io::IoSlice;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{sendmmsg, ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};
use vrrp_proto::{Advertisement, ChecksumForm};

use super::{pktinfo_v4, pktinfo_v6, VrrpSocket};
use crate::error::NetError;

/// Datagrams per `sendmmsg`.
pub const SEND_BATCH: usize = 64;

/// One emitted advert waiting to be sent.
#[derive(Debug, Clone, Copy)]
struct Queued {
    /// The caller's socket key (the runner's port).
    socket: usize,
    /// The caller's tag for errors (the runner's instance).
    tag: usize,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    start: usize,
    end: usize,
}

/// Where a message written by [`SendQueue::push_with`] goes.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing {
    /// The caller's socket key (the runner's port).
    pub socket: usize,
    /// The caller's tag for errors (the runner's instance).
    pub tag: usize,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// TTL / hop limit (255 but for keepalived's `unicast_ttl`).
    pub ttl: u8,
    /// Bytes written.
    pub len: usize,
}

/// Adverts emitted but not yet sent, in order. Buffers are kept from one use to the next.
pub struct SendQueue {
    data: Vec<u8>,
    queued: Vec<Queued>,
    headers: MultiHeaders<SockaddrStorage>,
}

impl Default for SendQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl SendQueue {
    /// An empty queue.
    pub fn new() -> SendQueue {
        SendQueue {
            data: Vec::new(),
            queued: Vec::new(),
            headers: MultiHeaders::preallocate(
                SEND_BATCH,
                Some(nix::cmsg_space!(libc::in6_pktinfo, libc::c_int)),
            ),
        }
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// Queue a message that `write` puts straight into the queue's buffer (`max_len` bytes
    /// are offered): it returns where the message goes and its length, or None (nothing is
    /// queued, and false is returned).
    pub fn push_with(
        &mut self,
        max_len: usize,
        write: impl FnOnce(&mut [u8]) -> Option<Outgoing>,
    ) -> bool {
        let start = self.data.len();
        self.data.resize(start + max_len, 0);
        match write(&mut self.data[start..]) {
            Some(o) => {
                let len = o.len.min(max_len);
                self.data.truncate(start + len);
                self.queued.push(Queued {
                    socket: o.socket,
                    tag: o.tag,
                    src: o.src,
                    dst: o.dst,
                    ttl: o.ttl,
                    start,
                    end: start + len,
                });
                true
            }
            None => {
                self.data.truncate(start);
                false
            }
        }
    }

    /// Emit `advert` from `src` for each of `dsts` (the checksum covers the destination, so
    /// each gets its own copy) and queue it for socket `socket`; `tag` names the sender in
    /// errors reported by [`SendQueue::flush`].
    pub fn push(
        &mut self,
        socket: usize,
        tag: usize,
        advert: &Advertisement<'_>,
        form: ChecksumForm,
        src: IpAddr,
        dsts: &[IpAddr],
    ) -> Result<(), NetError> {
        let len = advert.buffer_len();
        for &dst in dsts {
            let start = self.data.len();
            self.data.resize(start + len, 0);
            match advert.emit(&mut self.data[start..], src, dst, form) {
                Ok(n) => {
                    self.data.truncate(start + n);
                    self.queued.push(Queued {
                        socket,
                        tag,
                        src,
                        dst,
                        ttl: vrrp_proto::REQUIRED_TTL,
                        start,
                        end: start + n,
                    });
                }
                Err(e) => {
                    self.data.truncate(start);
                    return Err(NetError::Build {
                        what: "advert",
                        detail: format!("{e:?}"),
                    });
                }
            }
        }
        Ok(())
    }

    /// Send everything queued, in order: consecutive datagrams for the same socket, source
    /// and TTL go out in one `sendmmsg`. `socket_of` gives the socket of a key; each datagram
    /// that cannot be sent is reported to `failed` with its tag, and the rest still go.
    pub fn flush<'s>(
        &mut self,
        socket_of: impl Fn(usize) -> &'s VrrpSocket,
        mut failed: impl FnMut(usize, NetError),
    ) {
        let mut i = 0;
        while i < self.queued.len() {
            let first = self.queued[i];
            let run = self.queued[i..]
                .iter()
                .take(SEND_BATCH)
                .take_while(|q| {
                    q.socket == first.socket && q.src == first.src && q.ttl == first.ttl
                })
                .count();
            let sock = socket_of(first.socket);
            match send_run(
                sock,
                &mut self.headers,
                &self.data,
                &self.queued[i..i + run],
            ) {
                Ok(sent) => i += sent.max(1),
                Err(e) => {
                    failed(first.tag, e);
                    i += 1;
                }
            }
        }
        self.queued.clear();
        self.data.clear();
    }
}

/// One `sendmmsg` of `run` (same socket, source and TTL); how many were sent. An error is the
/// first datagram's.
fn send_run(
    sock: &VrrpSocket,
    headers: &mut MultiHeaders<SockaddrStorage>,
    data: &[u8],
    run: &[Queued],
) -> Result<usize, NetError> {
    let first = run[0];
    let err = |source: std::io::Error| NetError::Send {
        dst: first.dst,
        ifname: sock.ifname.clone(),
        source,
    };
    let n = run.len().min(SEND_BATCH);
    let iovs: [[IoSlice<'_>; 1]; SEND_BATCH] = std::array::from_fn(|k| {
        [IoSlice::new(
            run.get(k).map_or(&[][..], |q| &data[q.start..q.end]),
        )]
    });
    let addrs: [Option<SockaddrStorage>; SEND_BATCH] = std::array::from_fn(|k| {
        run.get(k)
            .map(|q| SockaddrStorage::from(SocketAddr::new(q.dst, 0)))
    });
    let (info4, info6);
    let cmsg = match first.src {
        IpAddr::V4(s) => {
            info4 = pktinfo_v4(sock.ifindex, s);
            ControlMessage::Ipv4PacketInfo(&info4)
        }
        IpAddr::V6(s) => {
            info6 = pktinfo_v6(sock.ifindex, s);
            ControlMessage::Ipv6PacketInfo(&info6)
        }
    };
    // The TTL goes with each message (255, or keepalived's `unicast_ttl`). Always both
    // messages: `sendmmsg` hands the kernel the whole preallocated control buffer.
    let ttl = libc::c_int::from(first.ttl);
    let ttl_cmsg = match first.src {
        IpAddr::V4(_) => ControlMessage::Ipv4Ttl(&ttl),
        IpAddr::V6(_) => ControlMessage::Ipv6HopLimit(&ttl),
    };
    let cmsgs = [cmsg, ttl_cmsg];
    let sent = sendmmsg(
        sock.sock.as_raw_fd(),
        headers,
        iovs[..n].iter(),
        &addrs[..n],
        cmsgs,
        MsgFlags::empty(),
    )
    .map_err(|e| err(e.into()))?;
    Ok(sent.count())
}
