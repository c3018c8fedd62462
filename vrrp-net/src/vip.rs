//! A virtual address as keepalived 2.2.7 configures it (`virtual_ipaddress` and
//! `virtual_ipaddress_excluded` lines), and the RTM_NEWADDR / RTM_DELADDR messages for it
//! (keepalived's `netlink_ipaddress`, vrrp_ipaddress.c).

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage, CacheInfo};
use netlink_packet_route::AddressFamily;

use crate::AddressScope;

/// The kernel's "forever" lifetime (INFINITY_LIFE_TIME).
pub const FOREVER: u32 = u32::MAX;

/// A virtual address to add or remove, with every option of a keepalived address line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    /// The address (IFA_LOCAL).
    pub addr: IpAddr,
    /// Prefix length (keepalived's default: /32 for IPv4, /128 for IPv6; with `peer`, the
    /// peer's: /32 or /128).
    pub prefix_len: u8,
    /// keepalived `dev IFNAME`: the interface it goes on. None: the instance's own (its VMAC
    /// with `use_vmac`).
    pub dev: Option<String>,
    /// keepalived `label` (IPv4 only: keepalived drops it from IPv6 lines).
    pub label: Option<String>,
    /// keepalived `scope` (IPv6 addresses are always global, as keepalived makes them).
    pub scope: AddressScope,
    /// keepalived `brd ADDR` / `brd +` / `brd -`, resolved (IFA_BROADCAST, IPv4 only).
    pub broadcast: Option<Ipv4Addr>,
    /// keepalived `peer ADDR` (IFA_ADDRESS: a point-to-point address).
    pub peer: Option<IpAddr>,
    /// IFA_FLAGS sent with the address: keepalived's `home`, `noprefixroute`, `autojoin`,
    /// `mngtmpaddr`, and IFA_F_NODAD on IPv6 unless `-nodad`.
    pub flags: AddressFlags,
    /// IPv6 `preferred_lft` in seconds, sent as IFA_CACHEINFO with a valid lifetime of
    /// forever; [`FOREVER`] sends no IFA_CACHEINFO. keepalived's default: 0 (deprecated)
    /// for a /128, forever otherwise. Unused for IPv4.
    pub preferred_lft: u32,
    /// keepalived `no_track`: a VIP on another interface does not make the instance track
    /// that interface. (Read by whoever builds the tracks; the runner only carries it.)
    pub no_track: bool,
}

impl Vip {
    /// keepalived's address line with nothing but the address: /32 (IPv4) or /128 (IPv6),
    /// global scope, the instance's interface; an IPv6 one with IFA_F_NODAD and
    /// deprecated (preferred_lft 0), as keepalived 2.2.7 adds a /128.
    pub fn host(addr: IpAddr) -> Self {
        let v6 = addr.is_ipv6();
        Vip {
            addr,
            prefix_len: if v6 { 128 } else { 32 },
            dev: None,
            label: None,
            scope: AddressScope::Universe,
            broadcast: None,
            peer: None,
            flags: if v6 {
                AddressFlags::Nodad
            } else {
                AddressFlags::empty()
            },
            preferred_lft: if v6 { 0 } else { FOREVER },
            no_track: false,
        }
    }

    /// The RTM_NEWADDR message adding it on `ifindex`: IFA_LOCAL, IFA_ADDRESS (the peer,
    /// else the address), IFA_BROADCAST, IFA_LABEL, IFA_FLAGS, IFA_CACHEINFO (IPv6 with a
    /// preferred lifetime other than forever), as keepalived sends them.
    pub(crate) fn add_message(&self, ifindex: u32) -> AddressMessage {
        let mut m = self.header(ifindex);
        m.header.scope = self.scope;
        m.attributes.push(AddressAttribute::Local(self.addr));
        m.attributes
            .push(AddressAttribute::Address(self.peer.unwrap_or(self.addr)));
        if let (IpAddr::V4(_), Some(b)) = (self.addr, self.broadcast) {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let (IpAddr::V4(_), Some(label)) = (self.addr, &self.label) {
            m.attributes.push(AddressAttribute::Label(label.clone()));
        }
        if !self.flags.is_empty() {
            m.attributes.push(AddressAttribute::Flags(self.flags));
        }
        if self.addr.is_ipv6() && self.preferred_lft != FOREVER {
            m.attributes
                .push(AddressAttribute::CacheInfo(cache_info(self.preferred_lft)));
        }
        m
    }

    /// The RTM_DELADDR message removing it from `ifindex`: IFA_LOCAL, and for IPv4
    /// IFA_ADDRESS (the peer, else the address: the kernel matches a point-to-point address
    /// by its peer).
    pub(crate) fn del_message(&self, ifindex: u32) -> AddressMessage {
        let mut m = self.header(ifindex);
        m.attributes.push(AddressAttribute::Local(self.addr));
        if self.addr.is_ipv4() {
            m.attributes
                .push(AddressAttribute::Address(self.peer.unwrap_or(self.addr)));
        }
        m
    }

    fn header(&self, ifindex: u32) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = match self.addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        m.header.prefix_len = self.prefix_len;
        m.header.index = ifindex;
        m
    }
}

/// IFA_CACHEINFO: `preferred` seconds, valid forever.
fn cache_info(preferred: u32) -> CacheInfo {
    let mut c = CacheInfo::default();
    c.ifa_preferred = preferred;
    c.ifa_valid = FOREVER;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(m: &AddressMessage) -> &[AddressAttribute] {
        &m.attributes
    }

    #[test]
    fn a_bare_ipv6_address_is_nodad_and_deprecated_as_keepalived_adds_it() {
        let v = Vip::host("2001:db8::10".parse().unwrap());
        let m = v.add_message(7);
        assert_eq!((m.header.index, m.header.prefix_len), (7, 128));
        assert!(attrs(&m).contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        assert!(attrs(&m).contains(&AddressAttribute::CacheInfo(cache_info(0))));
        let d = v.del_message(7);
        assert_eq!(
            attrs(&d),
            &[AddressAttribute::Local(v.addr)],
            "IPv6 is removed by IFA_LOCAL alone"
        );
    }

    #[test]
    fn ipv4_options_become_attributes() {
        let mut v = Vip::host("192.0.2.12".parse().unwrap());
        v.peer = Some("198.51.100.1".parse().unwrap());
        v.broadcast = Some("192.0.2.255".parse().unwrap());
        v.label = Some("eth0:v".into());
        v.flags = AddressFlags::Noprefixroute | AddressFlags::Homeaddress;
        v.scope = AddressScope::Link;
        let m = v.add_message(3);
        assert_eq!(m.header.scope, AddressScope::Link);
        let a = attrs(&m);
        assert!(a.contains(&AddressAttribute::Address(v.peer.unwrap())));
        assert!(a.contains(&AddressAttribute::Broadcast("192.0.2.255".parse().unwrap())));
        assert!(a.contains(&AddressAttribute::Label("eth0:v".into())));
        assert!(a.contains(&AddressAttribute::Flags(
            AddressFlags::Noprefixroute | AddressFlags::Homeaddress
        )));
        assert!(!a
            .iter()
            .any(|x| matches!(x, AddressAttribute::CacheInfo(_))));
        let d = v.del_message(3);
        assert!(attrs(&d).contains(&AddressAttribute::Address(v.peer.unwrap())));
        // No flags at all: no IFA_FLAGS attribute.
        let plain = Vip::host("192.0.2.1".parse().unwrap()).add_message(3);
        assert!(!attrs(&plain)
            .iter()
            .any(|x| matches!(x, AddressAttribute::Flags(_))));
    }
}
