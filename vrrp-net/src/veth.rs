//! Wiring for namespace labs (`vrrpd demo`): veth pairs whose peer may live in another
//! network namespace, and the software bridge they plug into, created through rtnetlink.
//!
//! A bridge belongs here because a bare veth pair cannot show a failover: setting one end
//! down takes the carrier off the other end too, so both routers would see their link fail.
//! Two veth pairs plugged into a bridge (a switch) keep the survivor's link up.

use std::os::fd::{AsRawFd, BorrowedFd};

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::error::NetError;
use crate::netlink::{LinkEntry, Netlink};

impl Netlink {
    /// Create the veth pair `name` — `peer_name`. `name` is created in this socket's
    /// namespace; the peer goes into the namespace `peer_netns` (an open
    /// `/run/netns/NAME` or `/proc/PID/ns/net`) when given, else it stays here. Both ends
    /// are created down. Returns the local end.
    pub fn add_veth_pair(
        &mut self,
        name: &str,
        peer_name: &str,
        peer_netns: Option<BorrowedFd<'_>>,
    ) -> Result<LinkEntry, NetError> {
        let op = format!("add veth {name} peer {peer_name}");
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName(peer_name.to_owned()));
        if let Some(fd) = peer_netns {
            // The kernel reads the fd while handling the request; `fd` outlives the call.
            peer.attributes.push(LinkAttribute::NetNsFd(fd.as_raw_fd()));
        }
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_owned()));
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
        ]));
        self.request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
            &op,
        )?;
        self.link_by_name(name)
    }

    /// Create bridge `name` (default settings: no STP, so ports forward at once). It is
    /// created down. Returns the new link.
    pub fn add_bridge(&mut self, name: &str) -> Result<LinkEntry, NetError> {
        let op = format!("add bridge {name}");
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_owned()));
        m.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
            &op,
        )?;
        self.link_by_name(name)
    }

    /// Make `ifindex` a port of bridge `master` (IFLA_MASTER).
    pub fn set_link_master(&mut self, ifindex: u32, master: u32) -> Result<(), NetError> {
        let op = format!("set ifindex {ifindex} master {master}");
        let mut m = LinkMessage::default();
        m.header.index = ifindex;
        m.attributes.push(LinkAttribute::Controller(master));
        self.request(RouteNetlinkMessage::SetLink(m), NLM_F_ACK, &op)
            .map(drop)
    }
}
