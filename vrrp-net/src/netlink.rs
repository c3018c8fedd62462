//! rtnetlink requests over a plain blocking netlink socket: virtual addresses (add, remove,
//! list) and link lookups. Never runs `ip`.

use std::io;
use std::net::{IpAddr, Ipv6Addr};

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use vrrp_proto::Family;

use crate::error::{Interface, NetError, NetlinkOp};
use crate::Vip;

/// Receive buffer for one netlink datagram (the kernel sends at most 32 KiB per dump part).
const RECV_BUF: usize = 64 * 1024;

/// One address on an interface, as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrEntry {
    /// Interface index.
    pub ifindex: u32,
    /// The address (IFA_LOCAL, else IFA_ADDRESS).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Label, if the kernel reported one (IPv4).
    pub label: Option<String>,
    /// Scope.
    pub scope: AddressScope,
    /// IFA_F_SECONDARY is set.
    pub secondary: bool,
    /// IFA_F_NODAD is set.
    pub nodad: bool,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEntry {
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub name: String,
    /// Hardware address (empty for links without one).
    pub mac: Vec<u8>,
    /// Administratively up and carrier present (IFF_UP and IFF_RUNNING).
    pub up: bool,
}

/// A netlink route socket for requests and their replies.
#[derive(Debug)]
pub struct Netlink {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Netlink {
    /// Open and bind a NETLINK_ROUTE socket in the calling thread's network namespace.
    pub fn open() -> Result<Self, NetError> {
        let err = |source| NetError::Netlink {
            op: NetlinkOp::Open,
            source,
        };
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(err)?;
        sock.bind_auto().map_err(err)?;
        sock.connect(&SocketAddr::new(0, 0)).map_err(err)?;
        Ok(Netlink {
            sock,
            seq: 0,
            buf: Vec::with_capacity(RECV_BUF),
        })
    }

    /// Add `vip` on `ifindex` with its options ([`Vip`]).
    /// An address already there is [`NetError::AddressExists`].
    pub fn add_address(&mut self, ifindex: u32, vip: &Vip) -> Result<(), NetError> {
        let op = NetlinkOp::AddAddress {
            addr: vip.addr,
            prefix_len: vip.prefix_len,
            ifindex,
        };
        let msg = RouteNetlinkMessage::NewAddress(vip.add_message(ifindex));
        match self.request(msg, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, op) {
            Err(NetError::Netlink { source, .. })
                if source.raw_os_error() == Some(libc::EEXIST) =>
            {
                Err(NetError::AddressExists {
                    addr: vip.addr,
                    ifindex,
                })
            }
            other => other.map(drop),
        }
    }

    /// Remove `vip` from `ifindex`. Not idempotent: an address that is not there is
    /// [`NetError::AddressMissing`], which a caller cleaning up may choose to ignore.
    pub fn del_address(&mut self, ifindex: u32, vip: &Vip) -> Result<(), NetError> {
        let op = NetlinkOp::DelAddress {
            addr: vip.addr,
            prefix_len: vip.prefix_len,
            ifindex,
        };
        let msg = RouteNetlinkMessage::DelAddress(vip.del_message(ifindex));
        match self.request(msg, NLM_F_ACK, op) {
            Err(NetError::Netlink { source, .. })
                if source.raw_os_error() == Some(libc::EADDRNOTAVAIL) =>
            {
                Err(NetError::AddressMissing {
                    addr: vip.addr,
                    ifindex,
                })
            }
            other => other.map(drop),
        }
    }

    /// Every address on `ifindex` (both families).
    pub fn list_addresses(&mut self, ifindex: u32) -> Result<Vec<AddrEntry>, NetError> {
        let replies = self.request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
            NetlinkOp::ListAddresses { ifindex },
        )?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) if a.header.index == ifindex => addr_entry(a),
                _ => None,
            })
            .collect())
    }

    /// The address VRRP sends from on `ifindex`: for IPv4 the first primary (non-secondary)
    /// address; for IPv6 the link-local one (RFC 9568 §5.1.2.1: the source is the IPv6
    /// link-local address of the interface).
    pub fn primary_address(
        &mut self,
        ifindex: u32,
        family: Family,
    ) -> Result<Option<IpAddr>, NetError> {
        let addrs = self.list_addresses(ifindex)?;
        Ok(addrs
            .into_iter()
            .find(|a| match (family, a.addr) {
                (Family::V4, IpAddr::V4(_)) => !a.secondary,
                (Family::V6, IpAddr::V6(v6)) => is_link_local(v6),
                _ => false,
            })
            .map(|a| a.addr))
    }

    /// Every interface in this namespace.
    pub fn links(&mut self) -> Result<Vec<LinkEntry>, NetError> {
        let replies = self.request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
            NetlinkOp::ListLinks,
        )?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(link_entry(&l)),
                _ => None,
            })
            .collect())
    }

    /// The interface called `name`: one RTM_GETLINK for that name, not a dump of every link
    /// (a daemon starting a thousand instances looks a thousand names up).
    pub fn link_by_name(&mut self, name: &str) -> Result<LinkEntry, NetError> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            // No interface can have it (the kernel would answer EINVAL, not ENODEV).
            return Err(NetError::NoInterface(Interface::Name(name.to_owned())));
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        self.one_link(msg, Interface::Name(name.to_owned()))
    }

    /// The interface with index `ifindex`: one RTM_GETLINK for that index.
    pub fn link_by_index(&mut self, ifindex: u32) -> Result<LinkEntry, NetError> {
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        self.one_link(msg, Interface::Index(ifindex))
    }

    /// Ask for one link; the kernel's "no such device" is [`NetError::NoInterface`].
    fn one_link(&mut self, msg: LinkMessage, which: Interface) -> Result<LinkEntry, NetError> {
        let replies = match self.request(
            RouteNetlinkMessage::GetLink(msg),
            NLM_F_ACK,
            NetlinkOp::GetLink,
        ) {
            Err(NetError::Netlink { source, .. })
                if source.raw_os_error() == Some(libc::ENODEV) =>
            {
                return Err(NetError::NoInterface(which))
            }
            r => r?,
        };
        replies
            .iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(link_entry(l)),
                _ => None,
            })
            .ok_or(NetError::NoInterface(which))
    }

    /// Send one request and collect its replies until the ACK (or DONE for a dump).
    pub(crate) fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        op: NetlinkOp,
    ) -> Result<Vec<RouteNetlinkMessage>, NetError> {
        let io_err = |source| NetError::Netlink {
            op: op.clone(),
            source,
        };
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.seq;
        let mut req = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        req.finalize();
        let mut out = vec![0u8; req.buffer_len()];
        req.serialize(&mut out);
        self.sock.send(&out, 0).map_err(io_err)?;

        let mut replies = Vec::new();
        loop {
            self.buf.clear();
            self.sock.recv(&mut self.buf, 0).map_err(io_err)?;
            let mut off = 0;
            while off < self.buf.len() {
                let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&self.buf[off..])
                    .map_err(|e| NetError::NetlinkDecode {
                        op: op.clone(),
                        detail: e.to_string(),
                    })?;
                let len = m.header.length as usize;
                if len == 0 {
                    break;
                }
                off += (len + 3) & !3;
                if m.header.sequence_number != self.seq {
                    continue; // a late reply to an earlier request
                }
                match m.payload {
                    NetlinkPayload::InnerMessage(inner) => replies.push(inner),
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(replies),
                            Some(code) => Err(io_err(io::Error::from_raw_os_error(-code.get()))),
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn addr_entry(a: AddressMessage) -> Option<AddrEntry> {
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut flags = AddressFlags::from_bits_retain(u32::from(a.header.flags.bits()));
    for attr in a.attributes {
        match attr {
            AddressAttribute::Local(ip) => local = Some(ip),
            AddressAttribute::Address(ip) => address = Some(ip),
            AddressAttribute::Label(l) => label = Some(l),
            AddressAttribute::Flags(f) => flags = f,
            _ => {}
        }
    }
    Some(AddrEntry {
        ifindex: a.header.index,
        addr: local.or(address)?,
        prefix_len: a.header.prefix_len,
        label,
        scope: a.header.scope,
        secondary: flags.contains(AddressFlags::Secondary)
            || a.header.flags.contains(AddressHeaderFlags::Secondary),
        nodad: flags.contains(AddressFlags::Nodad),
    })
}

pub(crate) fn link_entry(l: &LinkMessage) -> LinkEntry {
    let mut name = String::new();
    let mut mac = Vec::new();
    for attr in &l.attributes {
        match attr {
            LinkAttribute::IfName(n) => name.clone_from(n),
            LinkAttribute::Address(a) => mac.clone_from(a),
            _ => {}
        }
    }
    LinkEntry {
        ifindex: l.header.index,
        name,
        mac,
        up: link_is_up(l.header.flags),
    }
}

/// Up means administratively up with carrier (IFF_UP and IFF_RUNNING), as keepalived reads it.
pub(crate) fn link_is_up(flags: LinkFlags) -> bool {
    flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::Running)
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}
