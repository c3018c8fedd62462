//! Receiving many datagrams with one system call (`recvmmsg`).
//!
//! A backup hears one advert per virtual router per interval; with a thousand routers that is
//! a thousand datagrams a second, in small bursts. Reading a burst with one `recvmmsg` instead
//! of a `recvmsg` per datagram (plus one more to see `EAGAIN`) saves most of the system calls.
//! A batch that comes back less than full means the queue was empty at that moment: with
//! edge-triggered polling a later datagram raises a new event, so no further call is needed.

use std::io::IoSliceMut;
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};

use super::{ipv4_ttl, meta, storage_ip, RecvMeta, VrrpSocket};
use crate::error::NetError;

/// Datagrams read per system call.
pub const BATCH: usize = 16;

/// Room for one datagram: the largest VRRP message (IPv6, 255 addresses: 4088 bytes), or an
/// IPv4 one behind the largest IPv4 header. A longer datagram is cut here; its IP or VRRP
/// length then disagrees with what arrived, and it is dropped and counted as such.
pub const SLOT: usize = 4608;

/// Buffers for [`VrrpSocket::recv_batch`], allocated once and reused, and its headers.
pub struct RecvBatch {
    bufs: Box<[[u8; SLOT]; BATCH]>,
    headers: MultiHeaders<SockaddrStorage>,
    /// Per datagram: its metadata, or None when its ancillary data was cut (unusable).
    metas: [Option<RecvMeta>; BATCH],
    len: usize,
}

impl Default for RecvBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl RecvBatch {
    /// Empty buffers for `BATCH` (16) datagrams.
    pub fn new() -> RecvBatch {
        RecvBatch {
            // Zeroed on the heap directly (calloc): never built on the stack, and pages
            // no datagram has reached are not resident.
            bufs: vec![[0; SLOT]; BATCH]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("BATCH slots")),
            headers: fresh_headers(),
            metas: [None; BATCH],
            len: 0,
        }
    }

    /// Datagrams read by the last call.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the last call read nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Datagram `i` of the last call: its bytes and metadata, or None for the metadata when
    /// its ancillary data was cut (count it as a receive error).
    pub fn get(&self, i: usize) -> Option<(&[u8], Option<&RecvMeta>)> {
        if i >= self.len {
            return None;
        }
        let meta = self.metas[i].as_ref();
        let len = meta.map_or(0, |m| m.len.min(SLOT));
        Some((&self.bufs[i][..len], meta))
    }
}

/// `BATCH` headers, each with room for the largest ancillary data asked for (IPv6 packet
/// info and hop limit).
fn fresh_headers() -> MultiHeaders<SockaddrStorage> {
    let cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
    MultiHeaders::preallocate(BATCH, Some(cmsg))
}

impl VrrpSocket {
    /// Read up to `BATCH` (16) waiting datagrams with one `recvmmsg`; returns how many (0 when
    /// nothing is waiting). Fewer than `BATCH` (16) means the queue is drained.
    pub fn recv_batch(&mut self, batch: &mut RecvBatch) -> Result<usize, NetError> {
        batch.len = 0;
        // The kernel writes back each header's address and ancillary lengths (what that
        // datagram carried), and nix does not restore them: reused, a header read before
        // by an IPv4 socket would cut an IPv6 datagram's source and cmsgs. Fresh headers
        // each call (three small allocations per `recvmmsg`, not per datagram).
        batch.headers = fresh_headers();
        let mut iovs = batch.bufs.each_mut().map(|b| [IoSliceMut::new(b)]);
        let msgs = match recvmmsg(
            self.sock.as_raw_fd(),
            &mut batch.headers,
            iovs.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(m) => m,
            Err(Errno::EAGAIN) => return Ok(0),
            Err(e) => return Err(NetError::socket("recvmmsg", &self.ifname, e.into())),
        };
        for (slot, msg) in batch.metas.iter_mut().zip(msgs) {
            let src = msg.address.as_ref().and_then(storage_ip);
            *slot = msg
                .cmsgs()
                .ok()
                .map(|cmsgs| meta(self.family, self.ifindex, msg.bytes, src, cmsgs));
            batch.len += 1;
        }
        let got = batch.len;
        for (meta, buf) in batch.metas.iter_mut().zip(batch.bufs.iter()).take(got) {
            if let Some(m) = meta {
                ipv4_ttl(self.family, m, buf);
            }
        }
        Ok(batch.len)
    }
}
