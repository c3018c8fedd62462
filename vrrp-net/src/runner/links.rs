//! Links under running instances, as keepalived 2.2.7 handles them (keepalived_netlink.c,
//! vrrp_if.c): a link going down or up feeds the routers that run on it or track it; a
//! deleted interface puts its instances in FAULT and closes their socket ("Interface eth1
//! deleted"); when an interface of that name appears again (a new ifindex) they are bound to
//! it — new raw socket, multicast membership, demux entry, tracked ifindex — and take part
//! again without a restart. A receive-buffer overrun of the monitor loses messages: every
//! link is then read again and every instance brought in line with what is there.
//!
//! keepalived does this with or without `dynamic_interfaces` (that keyword only lets a
//! configuration name interfaces that do not exist yet), so vrrpd always does it. The source
//! address must be on the new interface again for adverts to leave: that is for whoever
//! re-created it.

use vrrp_fsm::{InstanceId, InterfaceId};

use super::instance::NO_PORT;
use super::{Happening, InstanceNote, Runner, RunnerNote};
use crate::{LinkEntry, LinkEvent};

impl Runner {
    /// Link changes: the VRRP interface of an instance, or one it tracks.
    pub(super) fn read_links(&mut self, out: &mut Vec<Happening>) {
        let mut events = Vec::new();
        if let Err(e) = self.link.read_events(&mut events) {
            self.recv_errors += 1;
            out.push(Happening::Runner(RunnerNote::LinkMonitorFailed(e)));
        }
        if events.contains(&LinkEvent::Overrun) {
            // Everything read in this batch is older than a dump made now; some messages
            // were lost. The dump alone says how things are.
            out.push(Happening::Runner(RunnerNote::LinkOverrun));
            self.resync_links(out);
            return;
        }
        for ev in events {
            match ev {
                LinkEvent::LinkUp(ifindex) => self.link_state(ifindex, true, out),
                LinkEvent::LinkDown(ifindex) => self.link_state(ifindex, false, out),
                LinkEvent::Deleted(link) => self.link_named(&link.name, None, out),
                LinkEvent::Added(link) => {
                    let name = link.name.clone();
                    self.link_named(&name, Some(&link), out)
                }
                LinkEvent::Overrun => {}
            }
        }
    }

    /// Link `ifindex` went up or down: the endpoint feeds the instances on it and those
    /// tracking it.
    fn link_state(&mut self, ifindex: u32, up: bool, out: &mut Vec<Happening>) {
        let now = self.now();
        self.endpoint.handle_link(now, InterfaceId(ifindex), up);
        self.drain_endpoint(out);
    }

    /// Live instances' ids, as a list (the loops below change the runner).
    fn live(&self) -> Vec<InstanceId> {
        (0..self.infos.len())
            .filter(|&i| self.infos[i].is_some())
            .map(InstanceId)
            .collect()
    }

    /// The interface called `name` is now `link` (None: there is none). Instances running on
    /// it lose it, are bound to its new index, or just see its state; instances tracking it
    /// follow it by name.
    fn link_named(&mut self, name: &str, link: Option<&LinkEntry>, out: &mut Vec<Happening>) {
        let now = self.now();
        let (mut used, mut back) = (false, false);
        for i in self.live() {
            let Some(info) = self.info(i) else {
                continue;
            };
            let runs_on = info.spec.vmac.as_deref().unwrap_or(&info.spec.interface) == name;
            let vmac_parent = info.spec.vmac.is_some() && info.spec.interface == name;
            let (gone, ifindex) = (info.gone, info.ifindex);
            if runs_on {
                used = true;
                match link {
                    None if !gone => self.lose_interface(i),
                    None => {}
                    Some(l) if gone || ifindex != l.ifindex => {
                        if !gone {
                            // Deleted and created again while the messages were lost.
                            self.lose_interface(i);
                        }
                        back |= self.bind(i, l, out);
                    }
                    Some(l) => self.endpoint.handle_link(now, InterfaceId(l.ifindex), l.up),
                }
            } else if vmac_parent && gone && link.is_some() {
                // keepalived re-creates its VMAC once the interface under it is back.
                used = true;
                if let Some(l) = self.reopen_vmac(i, out) {
                    back |= self.bind(i, &l, out);
                }
            }
            used |= self.follow_tracked(i, name, link);
        }
        used |= self.addr_links.follow(name, link);
        if used {
            match link {
                None => out.push(Happening::Runner(RunnerNote::InterfaceDeleted(name.into()))),
                Some(_) if back => {
                    out.push(Happening::Runner(RunnerNote::InterfaceAdded(name.into())))
                }
                Some(_) => {}
            }
        }
        self.drain_endpoint(out);
    }

    /// Instance `i`'s tracked interfaces called `name` are now `link` (a new index, or gone:
    /// down); true if it tracks one.
    fn follow_tracked(&mut self, i: InstanceId, name: &str, link: Option<&LinkEntry>) -> bool {
        let (Some(info), Some(tracked)) = (self.info(i), self.endpoint.track_interfaces(i)) else {
            return false;
        };
        let mut tracked = tracked.to_vec();
        let mut changes = Vec::new();
        for (k, (n, _)) in info.spec.track_links.iter().enumerate() {
            let Some(t) = tracked.get_mut(k).filter(|_| n == name) else {
                continue;
            };
            if let Some(l) = link {
                t.0 = InterfaceId(l.ifindex);
            }
            changes.push((t.1, link.is_some_and(|l| l.up)));
        }
        if changes.is_empty() {
            return false;
        }
        let now = self.now();
        let _ = self.endpoint.set_track_interfaces(i, tracked);
        for (track, up) in changes {
            let _ = self.endpoint.handle_track(now, i, track, up);
        }
        true
    }

    /// Instance `i`'s interface is gone: FAULT (its VIPs went with the interface), unbound
    /// from it in the endpoint, its socket released (adverts are queued only during a drain,
    /// so none refers to it).
    fn lose_interface(&mut self, i: InstanceId) {
        let now = self.now();
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return;
        };
        info.gone = true;
        info.churn.interface_gone += 1;
        // A VMAC deleted with its interface is no longer ours to delete.
        info.vmac_created = false;
        let port = std::mem::replace(&mut info.port, NO_PORT);
        self.ports.release(self.poll.registry(), port);
        let _ = self.endpoint.unbind(now, i);
    }

    /// Bind gone instance `i` to `link`: a socket there (new or shared), the endpoint's
    /// interface for it. False (reported) if that fails; it stays gone until the next chance.
    fn bind(&mut self, i: InstanceId, link: &LinkEntry, out: &mut Vec<Happening>) -> bool {
        let Some(r) = self.endpoint.router(i) else {
            return false;
        };
        let (family, vrid) = (r.config().family(), r.config().vrid());
        let group = r.config().multicast_group();
        let registry = self.poll.registry();
        let mac = super::mac(link);
        let port = match self
            .ports
            .acquire(registry, &link.name, link.ifindex, mac, family, group)
        {
            Ok(p) => p,
            Err(error) => {
                let link = link.name.clone();
                let note = InstanceNote::RebindFailed { link, error };
                out.push(Happening::Instance { instance: i, note });
                return false;
            }
        };
        let now = self.now();
        if let Err(vrrp_fsm::EndpointError::VridTaken(by)) =
            self.endpoint
                .bind(now, i, InterfaceId(link.ifindex), link.up)
        {
            self.ports.release(self.poll.registry(), port);
            let link = link.name.clone();
            let note = InstanceNote::VridTaken { link, vrid, by };
            out.push(Happening::Instance { instance: i, note });
            return false;
        }
        let Some(Some(info)) = self.infos.get_mut(i.0) else {
            return false;
        };
        let old = std::mem::replace(&mut info.port, port);
        info.ifindex = link.ifindex;
        info.gone = false;
        info.churn.interface_back += 1;
        self.ports.release(self.poll.registry(), old);
        self.link.seed(link);
        true
    }

    /// Instance `i`'s VMAC, made again on its interface (back after being deleted).
    fn reopen_vmac(&mut self, i: InstanceId, out: &mut Vec<Happening>) -> Option<LinkEntry> {
        let spec = self.info(i)?.spec.clone();
        let name = spec.vmac.as_deref()?;
        let c = self.endpoint.router(i)?.config();
        let (src, family, vrid) = (c.primary(), c.family(), c.vrid());
        match self.open_vmac(&spec, src, name, family, vrid) {
            Ok((l, created)) => {
                if let Some(Some(info)) = self.infos.get_mut(i.0) {
                    info.vmac_created = true;
                }
                if created {
                    let note = InstanceNote::VmacCreated(name.into());
                    out.push(Happening::Instance { instance: i, note });
                }
                Some(l)
            }
            Err(error) => {
                let vmac = name.into();
                let note = InstanceNote::VmacRecreateFailed { vmac, error };
                out.push(Happening::Instance { instance: i, note });
                None
            }
        }
    }

    /// After an overrun: read every link and bring every instance in line with it.
    fn resync_links(&mut self, out: &mut Vec<Happening>) {
        let links = match self.netlink.links() {
            Ok(l) => l,
            Err(e) => {
                self.recv_errors += 1;
                out.push(Happening::Runner(RunnerNote::ResyncFailed(e)));
                return;
            }
        };
        self.link.reseed(&links);
        let mut names: Vec<String> = Vec::new();
        for info in self.infos.iter().flatten() {
            let own = info.spec.vmac.as_ref().unwrap_or(&info.spec.interface);
            let parent = info.spec.vmac.as_ref().map(|_| &info.spec.interface);
            for n in std::iter::once(own)
                .chain(parent)
                .chain(info.spec.track_links.iter().map(|t| &t.0))
            {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        for n in self.addr_links.names() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        for name in names {
            let link = links.iter().find(|l| l.name == name);
            self.link_named(&name, link, out);
        }
    }
}
