//! keepalived `use_vmac`: the macvlan an instance runs on, made as keepalived makes it
//! (name `vrrp.VRID` by default, private mode, virtual MAC, no generated IPv6 address) and
//! deleted again by the runner that made it.

use std::net::IpAddr;

use netlink_packet_route::address::AddressScope;
use vrrp_fsm::InstanceId;
use vrrp_proto::{virtual_mac, Family, Vrid};

use super::{Happening, Instance, InstanceNote, Runner};
use crate::{set_ipv4_conf, LinkEntry, NetError, Vip};

impl Runner {
    /// The VMAC interface `name` on `spec.interface`: reused if it exists (left by a crashed
    /// run), else created; either way it is ours and deleted when we are done. Returns it, up,
    /// and whether it was created now.
    pub(super) fn open_vmac(
        &mut self,
        spec: &Instance,
        src: IpAddr,
        name: &str,
        family: Family,
        vrid: Vrid,
    ) -> Result<(LinkEntry, bool), NetError> {
        let parent = self.netlink.link_by_name(&spec.interface)?;
        let (link, created) = match self.netlink.link_by_name(name) {
            Ok(l) => (l, false),
            Err(NetError::NoInterface(_)) => {
                let mac = virtual_mac(family, vrid);
                (self.netlink.add_vmac(parent.ifindex, name, mac)?, true)
            }
            Err(e) => return Err(e),
        };
        self.netlink.set_link_up(link.ifindex, true)?;
        // Only the interface holding an IPv4 address answers ARP for it (else the parent,
        // or another VMAC of the parent, would answer for the VIPs with its own MAC), and
        // the VMAC accepts packets from our own addresses (keepalived's settings).
        set_ipv4_conf(&parent.name, "arp_ignore", "1")?;
        set_ipv4_conf(&parent.name, "arp_filter", "1")?;
        set_ipv4_conf(name, "arp_ignore", "1")?;
        match family {
            Family::V4 => set_ipv4_conf(name, "accept_local", "1")?,
            Family::V6 => {
                // IPv6 adverts leave from a link-local address of the sending interface:
                // the parent's, as keepalived does.
                if let IpAddr::V6(ll) = src {
                    let mut vip = Vip::host(IpAddr::V6(ll));
                    vip.prefix_len = 64;
                    vip.scope = AddressScope::Link;
                    vip.preferred_lft = crate::FOREVER;
                    match self.netlink.add_address(link.ifindex, &vip) {
                        Ok(()) | Err(NetError::AddressExists { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok((self.netlink.link_by_index(link.ifindex)?, created))
    }

    /// Delete instance `i`'s VMAC interface, if it has one, and say how that went.
    pub(super) fn close_vmac(&mut self, i: InstanceId, out: &mut Vec<Happening>) {
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        if !info.vmac_created {
            return;
        }
        info.vmac_created = false;
        let note = match self.netlink.del_link(info.ifindex) {
            Ok(()) => InstanceNote::VmacDeleted,
            Err(e) => InstanceNote::VmacDeleteFailed(e),
        };
        out.push(Happening::Instance { instance: i, note });
    }

    /// Delete every VMAC interface the runner made, reporting each (call it after stopping
    /// the instances; dropping the runner does the same, unreported).
    pub fn close(&mut self, out: &mut Vec<Happening>) {
        for i in 0..self.infos.len() {
            self.close_vmac(InstanceId(i), out);
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.close(&mut Vec::new());
    }
}
