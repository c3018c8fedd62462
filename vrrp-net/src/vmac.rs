//! keepalived `use_vmac`: a macvlan child of the VRRP interface carrying the virtual MAC,
//! created, brought up and deleted through rtnetlink.

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoKind, InfoMacVlan, LinkAttribute,
    LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::error::{NetError, NetlinkOp};
use crate::netlink::{LinkEntry, Netlink};

impl Netlink {
    /// Create macvlan `name` on `parent` with hardware address `mac` (RFC 9568 §7.3 virtual
    /// MAC, from `vrrp_proto::virtual_mac`), in private mode as keepalived does, so the
    /// macvlan children of one parent do not see each other's frames. It is created down;
    /// bring it up with [`Netlink::set_link_up`]. Returns the new link.
    pub fn add_vmac(
        &mut self,
        parent: u32,
        name: &str,
        mac: [u8; 6],
    ) -> Result<LinkEntry, NetError> {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_owned()));
        m.attributes.push(LinkAttribute::Link(parent));
        m.attributes.push(LinkAttribute::Address(mac.to_vec()));
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::MacVlan),
            LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
                MacVlanMode::Private,
            )])),
        ]));
        self.request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
            NetlinkOp::AddMacvlan {
                name: name.to_owned(),
                parent,
            },
        )?;
        let link = self.link_by_name(name)?;
        // No IPv6 address generated from the virtual MAC: every router of the VRID would
        // derive the same link-local address (keepalived sets addrgenmode none too). The
        // kernel takes this only on an existing link, before it is brought up.
        let mut m = LinkMessage::default();
        m.header.index = link.ifindex;
        m.attributes
            .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]));
        let op = NetlinkOp::NoAddrGen {
            name: name.to_owned(),
        };
        self.request(RouteNetlinkMessage::SetLink(m), NLM_F_ACK, op)?;
        Ok(link)
    }

    /// Set IFF_UP on `ifindex` (or clear it).
    pub fn set_link_up(&mut self, ifindex: u32, up: bool) -> Result<(), NetError> {
        let op = NetlinkOp::SetLinkUp { ifindex, up };
        let mut m = LinkMessage::default();
        m.header.index = ifindex;
        m.header.flags = if up {
            LinkFlags::Up
        } else {
            LinkFlags::empty()
        };
        m.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::SetLink(m), NLM_F_ACK, op)
            .map(drop)
    }

    /// Delete link `ifindex` (a VMAC interface we created).
    pub fn del_link(&mut self, ifindex: u32) -> Result<(), NetError> {
        let op = NetlinkOp::DelLink { ifindex };
        let mut m = LinkMessage::default();
        m.header.index = ifindex;
        self.request(RouteNetlinkMessage::DelLink(m), NLM_F_ACK, op)
            .map(drop)
    }
}
