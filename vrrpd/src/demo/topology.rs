//! The demo's network: two routers on one switch, each in its own namespace.
//!
//! ```text
//!  PREFIX-a            PREFIX-lan              PREFIX-b
//!  veth0 ----------- pa  [br0]  pb ----------- veth1
//!  192.0.2.1/24                                192.0.2.2/24
//!  2001:db8::1/64                              2001:db8::2/64
//! ```
//!
//! The switch namespace is there because a failover needs the survivor's link to stay up:
//! with one veth pair straight between the routers, setting the master's end down takes the
//! carrier off the backup's end as well, and the backup would go to FAULT instead of MASTER.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_lab::{Cidr, Lan, Netns, Wiring};
use vrrp_net::Netlink;

use super::error::DemoError;

/// One router's interface in its namespace (the namespace itself is the [`Lan`]'s).
#[derive(Debug)]
pub struct Router {
    /// "A" or "B".
    pub label: &'static str,
    /// Its namespace's name.
    pub netns: String,
    /// Its interface (the VRRP interface in its keepalived.conf).
    pub ifname: &'static str,
    /// That interface's index inside its namespace.
    pub ifindex: u32,
    /// Its IPv4 address (/24).
    pub v4: Ipv4Addr,
    /// Its IPv6 address (/64, DAD off).
    pub v6: Ipv6Addr,
    nl: Netlink,
}

impl Router {
    /// Whether `addr` is on this router's interface.
    pub fn has_address(&mut self, addr: IpAddr) -> Result<bool, DemoError> {
        let list = self.nl.list_addresses(self.ifindex).map_err(|e| {
            DemoError::net(
                format!("list addresses of {} in {}", self.ifname, self.netns),
                e,
            )
        })?;
        Ok(list.iter().any(|a| a.addr == addr))
    }

    /// Set the interface administratively up or down.
    pub fn set_link(&mut self, up: bool) -> Result<(), DemoError> {
        self.nl.set_link_up(self.ifindex, up).map_err(|e| {
            DemoError::net(
                format!("set {} {} in {}", self.ifname, updown(up), self.netns),
                e,
            )
        })
    }

    /// Whether the interface is up with carrier.
    pub fn link_up(&mut self) -> Result<bool, DemoError> {
        let l = self
            .nl
            .link_by_index(self.ifindex)
            .map_err(|e| DemoError::net(format!("look up {} in {}", self.ifname, self.netns), e))?;
        Ok(l.up)
    }
}

/// The lab's [`Lan`] (namespaces `PREFIX-a`, `PREFIX-b`, `PREFIX-lan` and the directory
/// `$TMPDIR/PREFIX`), wired as in the module doc, and a netlink handle on each router.
/// Dropping it (or [`Topology::remove`]) deletes the namespaces, and so every link in them,
/// and the directory.
#[derive(Debug)]
pub struct Topology {
    /// Router A (192.0.2.1).
    pub a: Router,
    /// Router B (192.0.2.2).
    pub b: Router,
    /// The namespaces, links and directory.
    pub net: Lan,
}

impl Topology {
    /// The demo's interface names.
    pub const WIRING: Wiring = Wiring {
        a_if: "veth0",
        b_if: "veth1",
        a_port: "pa",
        b_port: "pb",
    };

    /// Build it. On error, whatever was already made is removed.
    pub fn build(prefix: &str) -> Result<Topology, DemoError> {
        let net = Lan::build(prefix, Topology::WIRING)?;
        let w = Topology::WIRING;
        let a = router("A", &net.a, w.a_if, Lan::A_ADDRS)?;
        let b = router("B", &net.b, w.b_if, Lan::B_ADDRS)?;
        Ok(Topology { a, b, net })
    }

    /// The two routers, A first.
    pub fn routers(&mut self) -> [&mut Router; 2] {
        [&mut self.a, &mut self.b]
    }

    /// Wait (bounded) until both routers' interfaces are up with carrier: frames sent
    /// before that are dropped.
    pub fn wait_links_up(&mut self) -> Result<(), DemoError> {
        Ok(self.net.wait_links_up()?)
    }

    /// Delete the three namespaces and the directory; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        self.net.remove()
    }
}

/// Router `label` on `ifname` in `ns`, with the addresses `addrs` (IPv4, IPv6) the [`Lan`]
/// gave it.
fn router(
    label: &'static str,
    ns: &Netns,
    ifname: &'static str,
    addrs: [&str; 2],
) -> Result<Router, DemoError> {
    let (v4, v6) = match addrs.map(|a| a.parse::<Cidr>().map(|c| c.addr)) {
        [Ok(IpAddr::V4(v4)), Ok(IpAddr::V6(v6))] => (v4, v6),
        _ => return Err(DemoError::Internal("lab addresses are not IPv4, IPv6")),
    };
    let name = ns.name().to_owned();
    let what = format!("open netlink in {name}");
    let mut nl = ns
        .run(Netlink::open)?
        .map_err(|e| DemoError::net(&what, e))?;
    let link = nl
        .link_by_name(ifname)
        .map_err(|e| DemoError::net(format!("find {ifname} in {name}"), e))?;
    Ok(Router {
        label,
        netns: name,
        ifname,
        ifindex: link.ifindex,
        v4,
        v6,
        nl,
    })
}

fn updown(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}
