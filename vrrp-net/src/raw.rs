//! Raw IPPROTO_VRRP sockets, one per (interface, family).

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::errno::Errno;
use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrStorage,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use vrrp_proto::{Advertisement, ChecksumForm, Family, IPPROTO_VRRP, MULTICAST_V4, MULTICAST_V6};

use crate::error::NetError;

mod batch;
mod send_batch;
pub use batch::{RecvBatch, BATCH};
pub use send_batch::{Outgoing, SendQueue};

/// RFC 9568 §5.1.1.3 / §5.1.2.3: adverts are sent with TTL / hop limit 255.
const TTL_255: u32 = 255;
/// keepalived sends adverts with TOS / traffic class 0xc0 (internetwork control).
const TOS_INTERNETWORK_CONTROL: u32 = 0xc0;

/// What came with a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvMeta {
    /// Bytes written to the buffer. For IPv4 they start with the IP header (raw IPv4 sockets
    /// deliver it; feed them to `vrrp_proto::ip::parse_ipv4`); for IPv6 they are the VRRP
    /// message alone (feed them to `vrrp_proto::ip::check_ipv6`).
    pub len: usize,
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address (from the IPv4 header / IPV6_PKTINFO).
    pub dst: IpAddr,
    /// TTL (IPv4 header) or hop limit (IPV6_HOPLIMIT ancillary data).
    pub ttl: u8,
    /// Receiving interface (IP_PKTINFO / IPV6_PKTINFO).
    pub ifindex: u32,
}

/// A raw VRRP socket bound to one interface for one family, joined to the VRRP group.
#[derive(Debug)]
pub struct VrrpSocket {
    sock: Socket,
    family: Family,
    ifname: String,
    ifindex: u32,
    cmsg: Vec<u8>,
}

impl VrrpSocket {
    /// Open, bind to `ifname` (SO_BINDTODEVICE), join 224.0.0.18 / ff02::12 on `ifindex`,
    /// set TTL / hop limit 255, turn multicast loopback off and ask for PKTINFO (and the IPv6
    /// hop limit). Non-blocking, ready to register with mio.
    pub fn open(ifname: &str, ifindex: u32, family: Family) -> Result<Self, NetError> {
        let err = |op| move |e| NetError::socket(op, ifname, e);
        let domain = match family {
            Family::V4 => Domain::IPV4,
            Family::V6 => Domain::IPV6,
        };
        let sock = Socket::new(
            domain,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )
        .map_err(err("socket(IPPROTO_VRRP)"))?;
        sock.set_nonblocking(true).map_err(err("O_NONBLOCK"))?;
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(err("SO_BINDTODEVICE"))?;
        match family {
            Family::V4 => {
                sock.set_multicast_loop_v4(false)
                    .map_err(err("IP_MULTICAST_LOOP"))?;
                sock.set_multicast_ttl_v4(TTL_255)
                    .map_err(err("IP_MULTICAST_TTL"))?;
                sock.set_ttl_v4(TTL_255).map_err(err("IP_TTL"))?;
                sock.set_tos_v4(TOS_INTERNETWORK_CONTROL)
                    .map_err(err("IP_TOS"))?;
                setsockopt(&sock, sockopt::Ipv4PacketInfo, &true)
                    .map_err(|e| NetError::socket("IP_PKTINFO", ifname, e.into()))?;
                sock.join_multicast_v4_n(&MULTICAST_V4, &InterfaceIndexOrAddress::Index(ifindex))
                    .map_err(err("join 224.0.0.18"))?;
            }
            Family::V6 => {
                sock.set_multicast_loop_v6(false)
                    .map_err(err("IPV6_MULTICAST_LOOP"))?;
                sock.set_multicast_hops_v6(TTL_255)
                    .map_err(err("IPV6_MULTICAST_HOPS"))?;
                sock.set_unicast_hops_v6(TTL_255)
                    .map_err(err("IPV6_UNICAST_HOPS"))?;
                sock.set_multicast_if_v6(ifindex)
                    .map_err(err("IPV6_MULTICAST_IF"))?;
                setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true)
                    .map_err(|e| NetError::socket("IPV6_RECVPKTINFO", ifname, e.into()))?;
                setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true)
                    .map_err(|e| NetError::socket("IPV6_RECVHOPLIMIT", ifname, e.into()))?;
                sock.join_multicast_v6(&MULTICAST_V6, ifindex)
                    .map_err(err("join ff02::12"))?;
            }
        }
        Ok(VrrpSocket {
            sock,
            family,
            ifname: ifname.to_owned(),
            ifindex,
            cmsg: nix::cmsg_space!(libc::in6_pktinfo, libc::c_int),
        })
    }

    /// Join multicast group `group` too (keepalived's `vrrp_mcast_group4/6`, `mcast_dst_ip`;
    /// the VRRP group is joined at [`VrrpSocket::open`]). Joining the VRRP group again, or a
    /// group of the other family, does nothing.
    pub fn join(&self, group: IpAddr) -> Result<(), NetError> {
        let err = |e| NetError::socket("join group", &self.ifname, e);
        match (group, self.family) {
            (IpAddr::V4(g), Family::V4) if g != MULTICAST_V4 && g.is_multicast() => self
                .sock
                .join_multicast_v4_n(&g, &InterfaceIndexOrAddress::Index(self.ifindex))
                .map_err(err),
            (IpAddr::V6(g), Family::V6) if g != MULTICAST_V6 && g.is_multicast() => {
                self.sock.join_multicast_v6(&g, self.ifindex).map_err(err)
            }
            _ => Ok(()),
        }
    }

    /// The family this socket carries.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The interface index it is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The interface name it is bound to.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// Send one VRRP message (already emitted by vrrp-proto) from `src` to `dst`
    /// (the multicast group or a unicast peer). The source is set per packet with PKTINFO.
    pub fn send(&self, msg: &[u8], src: IpAddr, dst: IpAddr) -> Result<(), NetError> {
        let send_err = |source| NetError::Send {
            dst,
            ifname: self.ifname.clone(),
            source,
        };
        let iov = [IoSlice::new(msg)];
        let to = SockaddrStorage::from(SocketAddr::new(dst, 0));
        // The source address goes in PKTINFO, per packet (keepalived's unicast_src_ip).
        let (info4, info6);
        let cmsg = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(_)) => {
                info4 = pktinfo_v4(self.ifindex, s);
                ControlMessage::Ipv4PacketInfo(&info4)
            }
            (IpAddr::V6(s), IpAddr::V6(_)) => {
                info6 = pktinfo_v6(self.ifindex, s);
                ControlMessage::Ipv6PacketInfo(&info6)
            }
            _ => {
                return Err(send_err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "source and destination families differ",
                )))
            }
        };
        let res = sendmsg(
            self.sock.as_raw_fd(),
            &iov,
            &[cmsg],
            MsgFlags::empty(),
            Some(&to),
        );
        match res {
            Ok(n) if n == msg.len() => Ok(()),
            Ok(n) => Err(send_err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("short send: {n} of {} bytes", msg.len()),
            ))),
            Err(e) => Err(send_err(e.into())),
        }
    }

    /// Emit `advert` into `buf` for each destination and send it: the checksum covers the
    /// destination (RFC 9568 §5.2.8 pseudo-header), so each peer gets its own emit. Used with
    /// the multicast group as the only destination, or with keepalived's `unicast_peer` list.
    /// Every destination is tried; the first failure is returned.
    pub fn send_advert(
        &self,
        advert: &Advertisement<'_>,
        form: ChecksumForm,
        src: IpAddr,
        dsts: &[IpAddr],
        buf: &mut [u8],
    ) -> Result<(), NetError> {
        let mut first_err = None;
        for &dst in dsts {
            let res = match advert.emit(buf, src, dst, form) {
                Ok(n) => self.send(&buf[..n], src, dst),
                Err(e) => Err(NetError::Build {
                    what: "advert",
                    detail: format!("{e:?}"),
                }),
            };
            if let Err(e) = res {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Receive one datagram into `buf`. `Ok(None)` when nothing is waiting (WouldBlock).
    /// Datagrams whose ancillary data lacks what we asked for are returned with the fields
    /// we could fill from the socket (ifindex = ours, TTL 0 so the IP check drops them).
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<Option<RecvMeta>, NetError> {
        let fd = self.sock.as_raw_fd();
        let mut iov = [IoSliceMut::new(buf)];
        let msg =
            match recvmsg::<SockaddrStorage>(fd, &mut iov, Some(&mut self.cmsg), MsgFlags::empty())
            {
                Ok(m) => m,
                Err(Errno::EAGAIN) => return Ok(None),
                Err(e) => return Err(NetError::socket("recvmsg", &self.ifname, e.into())),
            };
        let src = msg.address.as_ref().and_then(storage_ip);
        let cmsgs = msg
            .cmsgs()
            .map_err(|e| NetError::socket("cmsg", &self.ifname, e.into()))?;
        let mut meta = meta(self.family, self.ifindex, msg.bytes, src, cmsgs);
        ipv4_ttl(self.family, &mut meta, buf);
        Ok(Some(meta))
    }
}

/// The metadata of a datagram of `len` bytes from `src`, from its ancillary data (the
/// IPv4 TTL is in the datagram itself: [`ipv4_ttl`]).
fn meta(
    family: Family,
    ifindex: u32,
    len: usize,
    src: Option<IpAddr>,
    cmsgs: impl Iterator<Item = ControlMessageOwned>,
) -> RecvMeta {
    let mut meta = RecvMeta {
        len,
        src: src.unwrap_or(unspecified(family)),
        dst: unspecified(family),
        ttl: 0,
        ifindex,
    };
    for c in cmsgs {
        match c {
            ControlMessageOwned::Ipv4PacketInfo(info) => {
                meta.ifindex = info.ipi_ifindex as u32;
                meta.dst = IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)));
            }
            ControlMessageOwned::Ipv6PacketInfo(info) => {
                meta.ifindex = info.ipi6_ifindex;
                meta.dst = IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr));
            }
            ControlMessageOwned::Ipv6HopLimit(h) => meta.ttl = u8::try_from(h).unwrap_or(0),
            _ => {}
        }
    }
    meta
}

/// Raw IPv4 sockets deliver the IP header: the TTL is its byte 8.
fn ipv4_ttl(family: Family, meta: &mut RecvMeta, buf: &[u8]) {
    if family == Family::V4 {
        if let Some(&ttl) = buf.get(8).filter(|_| meta.len > 8) {
            meta.ttl = ttl;
        }
    }
}

fn pktinfo_v4(ifindex: u32, src: Ipv4Addr) -> libc::in_pktinfo {
    libc::in_pktinfo {
        ipi_ifindex: ifindex as libc::c_int,
        ipi_spec_dst: libc::in_addr {
            s_addr: u32::from(src).to_be(),
        },
        ipi_addr: libc::in_addr { s_addr: 0 },
    }
}

fn pktinfo_v6(ifindex: u32, src: Ipv6Addr) -> libc::in6_pktinfo {
    libc::in6_pktinfo {
        ipi6_addr: libc::in6_addr {
            s6_addr: src.octets(),
        },
        ipi6_ifindex: ifindex,
    }
}

fn storage_ip(s: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    s.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

fn unspecified(family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

impl Source for VrrpSocket {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_fd().as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_fd().as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.sock.as_fd().as_raw_fd()).deregister(r)
    }
}
