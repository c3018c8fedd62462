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
use std::time::{Duration, Instant};

use vrrp_net::{AddressScope, Netlink, Vip};

use super::error::DemoError;
use super::netns::NetNs;

/// How long the links get to come up (a bound, not an expectation).
const LINK_WAIT: Duration = Duration::from_secs(5);

/// One router's namespace and interface.
#[derive(Debug)]
pub struct Router {
    /// "A" or "B".
    pub label: &'static str,
    /// Its namespace.
    pub ns: NetNs,
    /// Its interface (the VRRP interface in its keepalived.conf).
    pub ifname: &'static str,
    /// That interface's index inside `ns`.
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
                format!("list addresses of {} in {}", self.ifname, self.ns.name()),
                e,
            )
        })?;
        Ok(list.iter().any(|a| a.addr == addr))
    }

    /// Set the interface administratively up or down.
    pub fn set_link(&mut self, up: bool) -> Result<(), DemoError> {
        self.nl.set_link_up(self.ifindex, up).map_err(|e| {
            DemoError::net(
                format!("set {} {} in {}", self.ifname, updown(up), self.ns.name()),
                e,
            )
        })
    }

    /// Whether the interface is up with carrier.
    pub fn link_up(&mut self) -> Result<bool, DemoError> {
        let l = self.nl.link_by_index(self.ifindex).map_err(|e| {
            DemoError::net(format!("look up {} in {}", self.ifname, self.ns.name()), e)
        })?;
        Ok(l.up)
    }
}

/// Namespaces `PREFIX-a`, `PREFIX-b` and `PREFIX-lan`, wired as in the module doc.
/// Dropping it (or [`Topology::remove`]) deletes the namespaces and so every link in them.
#[derive(Debug)]
pub struct Topology {
    /// Router A (192.0.2.1).
    pub a: Router,
    /// Router B (192.0.2.2).
    pub b: Router,
    /// The switch.
    pub lan: NetNs,
}

impl Topology {
    /// Build it. On error, whatever was already made is removed.
    pub fn build(prefix: &str) -> Result<Topology, DemoError> {
        let ns_a = NetNs::create(&format!("{prefix}-a"))?;
        let ns_b = NetNs::create(&format!("{prefix}-b"))?;
        let lan = NetNs::create(&format!("{prefix}-lan"))?;
        for ns in [&ns_a, &ns_b] {
            // Before the interfaces arrive, so they inherit it from "default".
            for key in ["all", "default"] {
                ns.sysctl(&format!("net/ipv6/conf/{key}/accept_dad"), "0")?;
            }
        }

        let mut sw = lan.netlink()?;
        let sw_name = lan.name().to_owned();
        let at = |what: &str| format!("{what} in {sw_name}");
        lo_up(&mut sw, &sw_name)?;
        let br = sw
            .add_bridge("br0")
            .map_err(|e| DemoError::net(at("add bridge br0"), e))?;
        for (port, peer, ns) in [("pa", "veth0", &ns_a), ("pb", "veth1", &ns_b)] {
            let p = sw
                .add_veth_pair(port, peer, Some(ns.fd()?))
                .map_err(|e| DemoError::net(at(&format!("add veth {port}/{peer}")), e))?;
            sw.set_link_master(p.ifindex, br.ifindex)
                .map_err(|e| DemoError::net(at(&format!("put {port} on br0")), e))?;
            sw.set_link_up(p.ifindex, true)
                .map_err(|e| DemoError::net(at(&format!("set {port} up")), e))?;
        }
        sw.set_link_up(br.ifindex, true)
            .map_err(|e| DemoError::net(at("set br0 up"), e))?;

        let a = router(
            "A",
            ns_a,
            "veth0",
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
        )?;
        let b = router(
            "B",
            ns_b,
            "veth1",
            Ipv4Addr::new(192, 0, 2, 2),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
        )?;
        let mut topo = Topology { a, b, lan };
        topo.wait_links_up()?;
        Ok(topo)
    }

    /// The two routers, A first.
    pub fn routers(&mut self) -> [&mut Router; 2] {
        [&mut self.a, &mut self.b]
    }

    /// Wait (bounded) until both routers' interfaces are up with carrier: frames sent
    /// before that are dropped.
    pub fn wait_links_up(&mut self) -> Result<(), DemoError> {
        let end = Instant::now() + LINK_WAIT;
        for r in self.routers() {
            while !r.link_up()? {
                if Instant::now() > end {
                    return Err(DemoError::Timeout {
                        what: format!("{} in {} to come up", r.ifname, r.ns.name()),
                        secs: LINK_WAIT.as_secs_f64(),
                    });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(())
    }

    /// Delete the three namespaces; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        let mut problems = self.a.ns.remove();
        problems.extend(self.b.ns.remove());
        problems.extend(self.lan.remove());
        problems
    }
}

fn router(
    label: &'static str,
    ns: NetNs,
    ifname: &'static str,
    v4: Ipv4Addr,
    v6: Ipv6Addr,
) -> Result<Router, DemoError> {
    let mut nl = ns.netlink()?;
    let name = ns.name().to_owned();
    lo_up(&mut nl, &name)?;
    let link = nl
        .link_by_name(ifname)
        .map_err(|e| DemoError::net(format!("find {ifname} in {name}"), e))?;
    for (addr, prefix_len) in [(IpAddr::V4(v4), 24), (IpAddr::V6(v6), 64)] {
        let vip = Vip {
            addr,
            prefix_len,
            label: None,
            scope: AddressScope::Universe,
        };
        nl.add_address(link.ifindex, &vip).map_err(|e| {
            DemoError::net(format!("add {addr}/{prefix_len} on {ifname} in {name}"), e)
        })?;
    }
    nl.set_link_up(link.ifindex, true)
        .map_err(|e| DemoError::net(format!("set {ifname} up in {name}"), e))?;
    Ok(Router {
        label,
        ns,
        ifname,
        ifindex: link.ifindex,
        v4,
        v6,
        nl,
    })
}

fn lo_up(nl: &mut Netlink, ns: &str) -> Result<(), DemoError> {
    let what = format!("set lo up in {ns}");
    let lo = nl
        .link_by_name("lo")
        .map_err(|e| DemoError::net(&what, e))?;
    nl.set_link_up(lo.ifindex, true)
        .map_err(|e| DemoError::net(&what, e))
}

fn updown(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}
