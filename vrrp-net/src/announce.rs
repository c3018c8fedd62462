//! Gratuitous ARP and unsolicited NA for VIPs, sent as whole Ethernet frames on an AF_PACKET
//! socket (the frames come from vrrp-proto's builders).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{sendto, LinkAddr, MsgFlags, SockaddrLike};
use socket2::{Domain, Socket, Type};
use vrrp_proto::{gratuitous_arp, unsolicited_na, ARP_FRAME_LEN, NA_FRAME_LEN};

use crate::error::{Interface, NetError};

/// An AF_PACKET socket that only sends (protocol 0: the kernel delivers it nothing).
#[derive(Debug)]
pub struct Announcer {
    sock: Socket,
    ifname: String,
    ifindex: u32,
    to: LinkAddr,
    buf: [u8; frame_buf_len()],
}

const fn frame_buf_len() -> usize {
    if ARP_FRAME_LEN > NA_FRAME_LEN {
        ARP_FRAME_LEN
    } else {
        NA_FRAME_LEN
    }
}

impl Announcer {
    /// Open an AF_PACKET socket sending on `ifindex` (named `ifname` in errors).
    pub fn open(ifname: &str, ifindex: u32) -> Result<Self, NetError> {
        let sock = Socket::new(Domain::PACKET, Type::RAW, None)
            .map_err(|e| NetError::socket("socket(AF_PACKET)", ifname, e))?;
        Ok(Announcer {
            sock,
            ifname: ifname.to_owned(),
            ifindex,
            to: link_addr(ifindex)?,
            buf: [0; frame_buf_len()],
        })
    }

    /// The interface index frames go out of.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// RFC 9568 §6.4.2 (IPv4): broadcast a gratuitous ARP for `vip` from `mac` (the virtual
    /// MAC, or the interface MAC as keepalived does without `use_vmac`).
    pub fn gratuitous_arp(&mut self, mac: [u8; 6], vip: Ipv4Addr) -> Result<(), NetError> {
        let n = gratuitous_arp(&mut self.buf, mac, vip).map_err(|e| NetError::Build {
            what: "gratuitous ARP",
            detail: format!("{e:?}"),
        })?;
        self.send(n)
    }

    /// RFC 9568 §6.4.2 (IPv6): an unsolicited Neighbor Advertisement for `vip` to ff02::1,
    /// hop limit 255, with the router flag.
    pub fn unsolicited_na(&mut self, mac: [u8; 6], vip: Ipv6Addr) -> Result<(), NetError> {
        let n = unsolicited_na(&mut self.buf, mac, vip, true).map_err(|e| NetError::Build {
            what: "unsolicited NA",
            detail: format!("{e:?}"),
        })?;
        self.send(n)
    }

    fn send(&self, n: usize) -> Result<(), NetError> {
        match sendto(
            self.sock.as_raw_fd(),
            &self.buf[..n],
            &self.to,
            MsgFlags::empty(),
        ) {
            Ok(sent) if sent == n => Ok(()),
            Ok(sent) => Err(NetError::socket(
                "AF_PACKET send",
                &self.ifname,
                io::Error::new(io::ErrorKind::WriteZero, format!("short send {sent}/{n}")),
            )),
            Err(e) => Err(NetError::socket("AF_PACKET send", &self.ifname, e.into())),
        }
    }
}

/// A `sockaddr_ll` naming the outgoing interface; the frame carries its own MAC header.
fn link_addr(ifindex: u32) -> Result<LinkAddr, NetError> {
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: 0,
        sll_ifindex: ifindex as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: the pointer is to a fully initialised sockaddr_ll of `len` bytes that outlives
    // the call; from_raw copies it and checks the family.
    unsafe { LinkAddr::from_raw(std::ptr::from_ref(&sll).cast(), Some(len)) }.ok_or_else(|| {
        NetError::Socket {
            op: "sockaddr_ll",
            interface: Some(Interface::Index(ifindex)),
            source: io::Error::from(io::ErrorKind::InvalidInput),
        }
    })
}
