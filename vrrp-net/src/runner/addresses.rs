//! The instances' addresses, as keepalived 2.2.7 places and handles them (vrrp.c,
//! vrrp_ipaddress.c): each VIP or excluded address on its own interface (`dev`, else the
//! instance's — its VMAC with `use_vmac`, except an excluded address of the other family,
//! which goes on the interface under the VMAC), announced there with that interface's MAC;
//! the `virtual_ipaddress_excluded` addresses added after the VIPs on becoming Master,
//! announced after them, removed on leaving Master; at start, whatever an earlier run left of
//! any of them removed.
//!
//! Interfaces other than the instances' own are kept by name in [`AddrLinks`], resolved when
//! an instance is added and followed when links come and go (a deleted interface has no
//! index until one of that name appears again: addresses for it are then skipped, as
//! keepalived skips an interface that no longer exists).

use std::collections::HashMap;
use std::net::IpAddr;

use vrrp_fsm::{InstanceId, State};
use vrrp_proto::Family;

use super::notes::InstanceNote;
use super::{Happening, Instance, Runner};
use crate::{Announcer, LinkEntry, NetError, Vip};

/// An interface holding some instance's addresses that is not that instance's own.
pub(crate) struct AddrLink {
    /// Its index now (None: there is no interface of that name now).
    ifindex: Option<u32>,
    /// Its hardware address (source of the gratuitous ARPs / NAs sent there).
    mac: [u8; 6],
    /// Opened on the first announce there.
    announcer: Option<Announcer>,
}

/// Interfaces holding addresses of instances that run elsewhere, by name.
#[derive(Default)]
pub(crate) struct AddrLinks(HashMap<String, AddrLink>);

impl AddrLinks {
    /// Their names (for a resync).
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }

    /// The interface called `name` is now `link` (None: gone); true if some address uses it.
    pub(crate) fn follow(&mut self, name: &str, link: Option<&LinkEntry>) -> bool {
        let Some(l) = self.0.get_mut(name) else {
            return false;
        };
        let ifindex = link.map(|k| k.ifindex);
        if l.ifindex != ifindex {
            l.announcer = None;
        }
        l.ifindex = ifindex;
        if let Some(k) = link {
            l.mac = super::mac(k);
        }
        true
    }
}

/// Where an address of `spec` goes: None for the instance's own interface (its VMAC with
/// `use_vmac`), else the name of another interface. `family` is the instance's.
fn placed_on<'a>(spec: &'a Instance, vip: &'a Vip, family: Family) -> Option<&'a str> {
    let own_family = vip.addr.is_ipv4() == (family == Family::V4);
    match (vip.dev.as_deref(), spec.vmac.as_deref()) {
        (None, None) => None,
        (Some(d), None) if d == spec.interface => None,
        (Some(d), Some(v)) if d == v => None,
        // keepalived: an address of the VMAC's interface goes on the VMAC if it is of the
        // instance's family, else on the interface under it.
        (None, Some(_)) if own_family => None,
        (Some(d), Some(_)) if d == spec.interface && own_family => None,
        (None, Some(_)) => Some(&spec.interface),
        (Some(d), _) => Some(d),
    }
}

impl Runner {
    /// Resolve the interfaces other than its own that `spec`'s addresses go on (instance
    /// family `family`). With `strict`, one that does not exist is an error, as keepalived
    /// refuses a configuration naming one ("Non-existent interface specified in
    /// configuration"); without (a reload), it is kept without an index: its addresses are
    /// reported missing when due, and added once an interface of that name appears.
    pub(super) fn resolve_addr_links(
        &mut self,
        spec: &Instance,
        family: Family,
        strict: bool,
    ) -> Result<(), NetError> {
        for vip in spec.vips.iter().chain(&spec.excluded) {
            let Some(name) = placed_on(spec, vip, family) else {
                continue;
            };
            if self.addr_links.0.contains_key(name) {
                continue;
            }
            let link = match self.netlink.link_by_name(name) {
                Ok(l) => Some(l),
                Err(e) if strict => return Err(e),
                Err(_) => None,
            };
            if let Some(l) = &link {
                self.link.seed(l);
            }
            self.addr_links.0.insert(
                name.to_owned(),
                AddrLink {
                    ifindex: link.as_ref().map(|l| l.ifindex),
                    mac: link.as_ref().map_or([0; 6], super::mac),
                    announcer: None,
                },
            );
        }
        Ok(())
    }

    /// The interface index `vip` of instance `i` goes on now: Err(None) if it is the
    /// instance's own and that is gone (the instance is FAULT), Err(Some(name)) if it is
    /// another that does not exist now.
    fn target(&self, i: InstanceId, vip: &Vip) -> Result<u32, Option<String>> {
        // Not the router's: it is gone already while a removed instance's work is carried out.
        let Some(info) = self.info(i) else {
            return Err(None);
        };
        match placed_on(&info.spec, vip, info.family) {
            None if info.gone => Err(None),
            None => Ok(info.ifindex),
            Some(name) => self
                .addr_links
                .0
                .get(name)
                .and_then(|l| l.ifindex)
                .ok_or_else(|| Some(name.to_owned())),
        }
    }

    /// Add `vip` for instance `i` (keepalived takes an address already there as set).
    pub(super) fn put_address(&mut self, i: InstanceId, vip: &Vip, out: &mut Vec<Happening>) {
        let ifindex = match self.target(i, vip) {
            Ok(ifindex) => ifindex,
            // Its interface is gone: nothing to add it to, nothing failed.
            Err(None) => return,
            // keepalived: "Not adding address ... since interface doesn't exist".
            Err(Some(dev)) => {
                let note = InstanceNote::AddressInterfaceMissing(vip.addr, dev);
                return report(i, Some(note), out);
            }
        };
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        let done = match self.netlink.add_address(ifindex, vip) {
            Ok(()) => None,
            Err(NetError::AddressExists { .. }) => {
                info.churn.vip_already_present += 1;
                Some(InstanceNote::VipAlreadyPresent(vip.addr))
            }
            Err(e) => {
                info.os_errors.netlink += 1;
                Some(InstanceNote::VipAddFailed(vip.addr, e))
            }
        };
        report(i, done, out);
    }

    /// Delete `vip` from interface `ifindex`; once done, its deletion notice is ours, not
    /// someone else's ([`Runner::address_deleted`] never sees it).
    fn delete_address(&mut self, ifindex: u32, vip: &Vip) -> Result<(), NetError> {
        let res = self.netlink.del_address(ifindex, vip);
        if let (Ok(()), Some(m)) = (&res, self.route_monitor.as_mut()) {
            m.ours_address(ifindex, vip.addr);
        }
        res
    }

    /// Someone else deleted `addr` from interface `ifindex`: a master holding it as a VIP or
    /// excluded address there, without `no_track`, gives mastership up (pushed to
    /// `released`), as keepalived's `address_is_ours` / `set_vrrp_backup`; it adds the
    /// address again when it is master again.
    pub(super) fn address_deleted(
        &mut self,
        ifindex: u32,
        addr: IpAddr,
        released: &mut Vec<InstanceId>,
        out: &mut Vec<Happening>,
    ) {
        for k in 0..self.infos.len() {
            let id = InstanceId(k);
            let Some(r) = self.endpoint.router(id) else {
                continue;
            };
            if r.state() != State::Master || released.contains(&id) {
                continue;
            }
            let Some(info) = self.info(id) else {
                continue;
            };
            let held = r
                .config()
                .vips()
                .as_addresses()
                .iter()
                .any(|a| a == addr)
                .then(|| info.spec.vip(addr))
                .into_iter()
                .chain(
                    info.spec
                        .excluded
                        .iter()
                        .filter(|v| v.addr == addr)
                        .cloned(),
                )
                .find(|v| !v.no_track && self.target(id, v) == Ok(ifindex));
            if let Some(vip) = held {
                let note = InstanceNote::AddressDeletedByOther(vip.addr, vip.prefix_len);
                report(id, Some(note), out);
                released.push(id);
            }
        }
    }

    /// Remove `vip` of instance `i`.
    pub(super) fn take_address(&mut self, i: InstanceId, vip: &Vip, out: &mut Vec<Happening>) {
        let Ok(ifindex) = self.target(i, vip) else {
            return; // its interface is gone, and the address with it
        };
        if !matches!(self.infos.get(i.0), Some(Some(_))) {
            return;
        }
        let res = self.delete_address(ifindex, vip);
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        let done = match res {
            Ok(()) | Err(NetError::AddressMissing { .. }) => None,
            // The link went down because the interface is being deleted (its RTM_DELLINK
            // comes next): its addresses go with it. keepalived ignores ENODEV here too.
            Err(e) if e.is_no_device() => Some(InstanceNote::VipGoneWithInterface(vip.addr)),
            Err(e) => {
                info.os_errors.netlink += 1;
                Some(InstanceNote::VipRemoveFailed(vip.addr, e))
            }
        };
        report(i, done, out);
    }

    /// `count` gratuitous ARPs / unsolicited NAs for `vip` of instance `i`, on the interface
    /// it is on, from that interface's MAC (the VMAC's on a VMAC): at once, or spaced out
    /// by keepalived's `vrrp_garp_interval` / `vrrp_gna_interval` (pacing.rs).
    pub(super) fn announce_address(
        &mut self,
        i: InstanceId,
        vip: &Vip,
        count: u32,
        out: &mut Vec<Happening>,
    ) {
        if self.pacing.interval(vip.addr).is_zero() {
            return self.announce_now(i, vip, count, out);
        }
        let Some(info) = self.info(i) else {
            return;
        };
        let via = match placed_on(&info.spec, vip, info.family) {
            Some(name) => super::pacing::Out::Link(name.to_owned()),
            None => super::pacing::Out::Port(info.port),
        };
        let now = self.now();
        if !self.pacing.queue(now, via, i, vip, count) {
            let e = NetError::Build {
                what: "gratuitous ARP / NA",
                detail: format!(
                    "more than {} waiting for vrrp_garp_interval / vrrp_gna_interval",
                    super::pacing::MAX_PACED
                ),
            };
            self.announce_failed(i, vip.addr, e, out);
        }
    }

    /// Send the paced messages that are due.
    pub(super) fn send_paced(&mut self, out: &mut Vec<Happening>) {
        let now = self.now();
        for (i, vip) in self.pacing.take_due(now) {
            self.announce_now(i, &vip, 1, out);
        }
    }

    /// [`Runner::announce_address`], at once.
    fn announce_now(&mut self, i: InstanceId, vip: &Vip, count: u32, out: &mut Vec<Happening>) {
        let Some(info) = self.info(i) else {
            return;
        };
        let place = placed_on(&info.spec, vip, info.family).map(str::to_owned);
        let (gone, port) = (info.gone, info.port);
        let (announcer, mac) = match place.as_deref() {
            None if gone => return,
            None => {
                let port = &self.ports.ports[port];
                let mac = port.mac;
                (&mut self.ports.announcers[port.announcer].announcer, mac)
            }
            Some(name) => {
                let Some(link) = self.addr_links.0.get_mut(name) else {
                    return;
                };
                let Some(ifindex) = link.ifindex else {
                    return;
                };
                if link.announcer.is_none() {
                    match Announcer::open(name, ifindex) {
                        Ok(a) => link.announcer = Some(a),
                        Err(e) => return self.announce_failed(i, vip.addr, e, out),
                    }
                }
                let Some(a) = link.announcer.as_mut() else {
                    return;
                };
                (a, link.mac)
            }
        };
        for _ in 0..count {
            let res = match vip.addr {
                IpAddr::V4(a) => announcer.gratuitous_arp(mac, a),
                IpAddr::V6(a) => announcer.unsolicited_na(mac, a),
            };
            if let Err(e) = res {
                return self.announce_failed(i, vip.addr, e, out);
            }
        }
    }

    fn announce_failed(
        &mut self,
        i: InstanceId,
        addr: IpAddr,
        e: NetError,
        out: &mut Vec<Happening>,
    ) {
        if let Some(Some(info)) = self.infos.get_mut(i.0) {
            info.os_errors.announce += 1;
        }
        report(i, Some(InstanceNote::AnnounceFailed(addr, e)), out);
    }

    /// Instance `i` went from `from` to `to`: its excluded addresses are due to be added
    /// (becoming Master) or removed (leaving it), once the router's own VIP work is done.
    pub(super) fn excluded_follow_state(&mut self, i: InstanceId, from: State, to: State) {
        let has = self.info(i).is_some_and(|x| !x.spec.excluded.is_empty());
        if has && (from == State::Master) != (to == State::Master) {
            self.excluded_due.push((i, to == State::Master));
        }
    }

    /// Carry out the excluded-address work due for instance `i` (all instances: None):
    /// keepalived adds them after the VIPs and before the first gratuitous ARP, removes
    /// them after the VIPs.
    pub(super) fn flush_excluded(&mut self, only: Option<InstanceId>, out: &mut Vec<Happening>) {
        if self.excluded_due.is_empty() {
            return;
        }
        let mut due = std::mem::take(&mut self.excluded_due);
        due.retain(|&(i, add)| {
            if only.is_some_and(|o| o != i) {
                return true;
            }
            self.set_excluded(i, add, out);
            false
        });
        due.append(&mut self.excluded_due);
        self.excluded_due = due;
    }

    /// Add (or remove) every excluded address of instance `i`. An instance without VIPs has
    /// no gratuitous ARP of its own to follow: its excluded addresses are announced here.
    fn set_excluded(&mut self, i: InstanceId, add: bool, out: &mut Vec<Happening>) {
        let Some(info) = self.info(i) else {
            return;
        };
        if info.excluded_held == add {
            return;
        }
        let list = info.spec.excluded.clone();
        for vip in &list {
            if add {
                self.put_address(i, vip, out);
            } else {
                self.take_address(i, vip, out);
            }
        }
        if let Some(Some(info)) = self.infos.get_mut(i.0) {
            info.excluded_held = add;
        }
        let lone = self.endpoint.router(i).map(|r| {
            let c = r.config();
            (c.vips().is_empty(), c.garp_master_repeat())
        });
        if let (true, Some((true, repeat))) = (add, lone) {
            for vip in &list {
                self.announce_address(i, vip, repeat, out);
            }
        }
    }

    /// After the gratuitous ARPs for VIP `addr` of instance `i`: if it is the last VIP, the
    /// excluded addresses' (keepalived sends them after the VIPs', as often).
    pub(super) fn announce_excluded_after(
        &mut self,
        i: InstanceId,
        addr: IpAddr,
        count: u32,
        out: &mut Vec<Happening>,
    ) {
        let last = self
            .endpoint
            .router(i)
            .and_then(|r| r.config().vips().as_addresses().iter().last());
        let Some(info) = self.info(i) else {
            return;
        };
        if last != Some(addr) || !info.excluded_held {
            return;
        }
        for vip in info.spec.excluded.clone() {
            self.announce_address(i, &vip, count, out);
        }
    }

    /// Remove instance `i`'s addresses (VIPs and excluded) if present, left by an earlier
    /// run, as keepalived does at startup ("removing VIPs.", "removing E-VIPs."); counted.
    pub(super) fn remove_stale_addresses(&mut self, i: InstanceId, out: &mut Vec<Happening>) {
        let (Some(router), Some(info)) = (self.endpoint.router(i), self.info(i)) else {
            return;
        };
        let forms: Vec<Vip> = router
            .config()
            .vips()
            .as_addresses()
            .iter()
            .map(|a| info.spec.vip(a))
            .chain(info.spec.excluded.iter().cloned())
            .collect();
        for vip in &forms {
            let Ok(ifindex) = self.target(i, vip) else {
                continue;
            };
            if !matches!(self.infos.get(i.0), Some(Some(_))) {
                return;
            }
            let res = self.delete_address(ifindex, vip);
            let Some(Some(info)) = self.infos.get_mut(i.0) else {
                return;
            };
            let note = match res {
                Ok(()) => {
                    info.churn.stale_vip_removed += 1;
                    InstanceNote::StaleVipRemoved(vip.addr)
                }
                Err(NetError::AddressMissing { .. }) => continue,
                Err(e) => InstanceNote::StaleVipRemoveFailed(vip.addr, e),
            };
            report(i, Some(note), out);
        }
    }

    /// A reload gave instance `i`'s VIPs the forms `new`, once the router's own changes were
    /// carried out with `new` and the `old` forms of the addresses it dropped: a VIP it still
    /// holds whose form changed (another `dev`, prefix, label, flags...) is removed in its
    /// `old` form and added (and announced) in the new one, as keepalived replaces an
    /// address whose line changed.
    pub(super) fn replace_vip_forms(
        &mut self,
        i: InstanceId,
        old: &[Vip],
        new: Vec<Vip>,
        out: &mut Vec<Happening>,
    ) {
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        info.spec.vips = new;
        let (Some(info), Some(r)) = (self.info(i), self.endpoint.router(i)) else {
            return;
        };
        if r.state() != State::Master {
            return;
        }
        let repeat = r.config().garp_master_repeat();
        let changed: Vec<(Vip, Vip)> = r
            .config()
            .vips()
            .as_addresses()
            .iter()
            .filter_map(|a| {
                let o = old.iter().find(|v| v.addr == a)?;
                let n = info.spec.vip(a);
                (*o != n).then(|| (o.clone(), n))
            })
            .collect();
        for (o, n) in changed {
            self.take_address(i, &o, out);
            self.put_address(i, &n, out);
            self.announce_address(i, &n, repeat, out);
        }
    }

    /// A reload changed instance `i`'s excluded addresses to `new`: while they are held,
    /// those gone are removed and those new added (and announced).
    pub(super) fn replace_excluded(
        &mut self,
        i: InstanceId,
        new: Vec<Vip>,
        out: &mut Vec<Happening>,
    ) {
        let Some(info) = self.info(i) else {
            return;
        };
        let held = info.excluded_held;
        let old = info.spec.excluded.clone();
        if let Some(Some(info)) = self.infos.get_mut(i.0) {
            info.spec.excluded = new.clone();
        }
        if !held {
            return;
        }
        for vip in old.iter().filter(|v| !new.contains(v)) {
            self.take_address(i, vip, out);
        }
        let repeat = self
            .endpoint
            .router(i)
            .map_or(1, |r| r.config().garp_master_repeat());
        for vip in new.iter().filter(|v| !old.contains(v)) {
            self.put_address(i, vip, out);
            self.announce_address(i, vip, repeat, out);
        }
    }
}

/// Report what a step for one address met, if anything.
fn report(i: InstanceId, note: Option<InstanceNote>, out: &mut Vec<Happening>) {
    if let Some(note) = note {
        out.push(Happening::Instance { instance: i, note });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(vmac: Option<&str>) -> Instance {
        Instance {
            name: "VI_1".into(),
            interface: "eth0".into(),
            peers: Vec::new(),
            vips: Vec::new(),
            excluded: Vec::new(),
            track_links: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            vmac: vmac.map(Into::into),
        }
    }

    fn vip(addr: &str, dev: Option<&str>) -> Vip {
        let mut v = Vip::host(addr.parse().unwrap());
        v.dev = dev.map(Into::into);
        v
    }

    #[test]
    fn addresses_go_where_keepalived_puts_them() {
        let plain = spec(None);
        let v4 = Family::V4;
        assert_eq!(placed_on(&plain, &vip("192.0.2.1", None), v4), None);
        assert_eq!(placed_on(&plain, &vip("192.0.2.1", Some("eth0")), v4), None);
        assert_eq!(
            placed_on(&plain, &vip("192.0.2.1", Some("eth1")), v4),
            Some("eth1")
        );
        // An excluded address of the other family stays on the interface without a VMAC.
        assert_eq!(placed_on(&plain, &vip("2001:db8::1", None), v4), None);
        let vmac = spec(Some("vrrp.51"));
        assert_eq!(placed_on(&vmac, &vip("192.0.2.1", None), v4), None);
        assert_eq!(placed_on(&vmac, &vip("192.0.2.1", Some("eth0")), v4), None);
        assert_eq!(
            placed_on(&vmac, &vip("192.0.2.1", Some("vrrp.51")), v4),
            None
        );
        // With a VMAC, the other family goes on the interface under it.
        assert_eq!(
            placed_on(&vmac, &vip("2001:db8::1", None), v4),
            Some("eth0")
        );
        assert_eq!(
            placed_on(&vmac, &vip("2001:db8::1", Some("eth0")), v4),
            Some("eth0")
        );
        assert_eq!(
            placed_on(&vmac, &vip("192.0.2.1", Some("eth2")), v4),
            Some("eth2")
        );
    }
}
