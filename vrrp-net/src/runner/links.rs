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

use super::instance::NO_PORT;
use super::{Happening, InstanceNote, Runner, RunnerNote};
use crate::{DemuxKey, LinkEntry, LinkEvent};

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

    /// Link `ifindex` went up or down.
    fn link_state(&mut self, ifindex: u32, up: bool, out: &mut Vec<Happening>) {
        let now = self.now();
        let mut touched = Vec::new();
        for i in 0..self.routers.len() {
            let info = &self.infos[i];
            if info.removed {
                continue;
            }
            if info.ifindex == ifindex && !info.gone {
                self.routers[i].handle_link(now, up);
                touched.push(i);
            }
            for &(t, track) in &info.tracked {
                if t == ifindex {
                    self.routers[i].handle_track(now, track, up);
                    touched.push(i);
                }
            }
        }
        self.drain_outputs(&touched, out);
    }

    /// The interface called `name` is now `link` (None: there is none). Instances running on
    /// it lose it, are bound to its new index, or just see its state; instances tracking it
    /// follow it by name.
    fn link_named(&mut self, name: &str, link: Option<&LinkEntry>, out: &mut Vec<Happening>) {
        let now = self.now();
        let mut touched = Vec::new();
        let (mut used, mut back) = (false, false);
        for i in 0..self.routers.len() {
            let info = &self.infos[i];
            if info.removed {
                continue;
            }
            let runs_on = info.spec.vmac.as_deref().unwrap_or(&info.spec.interface) == name;
            let vmac_parent = info.spec.vmac.is_some() && info.spec.interface == name;
            if runs_on {
                used = true;
                match link {
                    None if !info.gone => {
                        self.lose_interface(i);
                        touched.push(i);
                    }
                    None => {}
                    Some(l) if info.gone || info.ifindex != l.ifindex => {
                        if !info.gone {
                            // Deleted and created again while the messages were lost.
                            self.lose_interface(i);
                        }
                        if self.bind(i, l, out) {
                            back = true;
                            self.routers[i].handle_link(now, l.up);
                        }
                        touched.push(i);
                    }
                    Some(l) => {
                        self.routers[i].handle_link(now, l.up);
                        touched.push(i);
                    }
                }
            } else if vmac_parent && info.gone && link.is_some() {
                // keepalived re-creates its VMAC once the interface under it is back.
                used = true;
                if let Some(l) = self.reopen_vmac(i, out) {
                    if self.bind(i, &l, out) {
                        back = true;
                        self.routers[i].handle_link(now, l.up);
                    }
                }
                touched.push(i);
            }
            let info = &mut self.infos[i];
            for k in 0..info.tracked.len() {
                if info.spec.track_links.get(k).map(|t| t.0.as_str()) != Some(name) {
                    continue;
                }
                used = true;
                let track = info.tracked[k].1;
                let up = match link {
                    Some(l) => {
                        info.tracked[k].0 = l.ifindex;
                        l.up
                    }
                    None => false,
                };
                self.routers[i].handle_track(now, track, up);
                touched.push(i);
            }
        }
        if used {
            match link {
                None => out.push(Happening::Runner(RunnerNote::InterfaceDeleted(name.into()))),
                Some(_) if back => {
                    out.push(Happening::Runner(RunnerNote::InterfaceAdded(name.into())))
                }
                Some(_) => {}
            }
        }
        self.drain_outputs(&touched, out);
    }

    /// Instance `i`'s interface is gone: FAULT (its VIPs went with the interface), no demux
    /// entry, its socket released (no advert is queued between drains, so none refers to it).
    fn lose_interface(&mut self, i: usize) {
        let now = self.now();
        let info = &mut self.infos[i];
        info.gone = true;
        info.churn.interface_gone += 1;
        // A VMAC deleted with its interface is no longer ours to delete.
        info.vmac_created = false;
        let key: DemuxKey = (
            vrrp_fsm::InterfaceId(info.ifindex),
            self.routers[i].config().family(),
            self.routers[i].config().vrid(),
        );
        if self.demux.peek(key) == Some(&i) {
            self.demux.remove(key);
        }
        let port = std::mem::replace(&mut info.port, NO_PORT);
        self.ports.release(self.poll.registry(), port);
        self.routers[i].handle_link(now, false);
    }

    /// Bind gone instance `i` to `link`: a socket there (new or shared), its demux entry,
    /// its index. False (reported) if that fails; it stays gone until the next chance.
    fn bind(&mut self, i: usize, link: &LinkEntry, out: &mut Vec<Happening>) -> bool {
        let family = self.routers[i].config().family();
        let vrid = self.routers[i].config().vrid();
        let key: DemuxKey = (vrrp_fsm::InterfaceId(link.ifindex), family, vrid);
        if let Some(&other) = self.demux.peek(key) {
            if other != i {
                let link = link.name.clone();
                let note = InstanceNote::VridTaken {
                    link,
                    vrid,
                    by: other,
                };
                out.push(Happening::Instance { instance: i, note });
                return false;
            }
        }
        let mut mac = [0u8; 6];
        if link.mac.len() == 6 {
            mac.copy_from_slice(&link.mac);
        }
        let registry = self.poll.registry();
        let port = match self
            .ports
            .acquire(registry, &link.name, link.ifindex, mac, family)
        {
            Ok(p) => p,
            Err(error) => {
                let link = link.name.clone();
                let note = InstanceNote::RebindFailed { link, error };
                out.push(Happening::Instance { instance: i, note });
                return false;
            }
        };
        let info = &mut self.infos[i];
        let old = std::mem::replace(&mut info.port, port);
        info.ifindex = link.ifindex;
        info.gone = false;
        info.churn.interface_back += 1;
        self.ports.release(self.poll.registry(), old);
        self.demux.insert(key, i);
        self.link.seed(link);
        true
    }

    /// Instance `i`'s VMAC, made again on its interface (back after being deleted).
    fn reopen_vmac(&mut self, i: usize, out: &mut Vec<Happening>) -> Option<LinkEntry> {
        let spec = self.infos[i].spec.clone();
        let name = spec.vmac.as_deref()?;
        let family = self.routers[i].config().family();
        let vrid = self.routers[i].config().vrid();
        match self.open_vmac(&spec, name, family, vrid) {
            Ok((l, created)) => {
                self.infos[i].vmac_created = true;
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
        for info in self.infos.iter().filter(|i| !i.removed) {
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
        for name in names {
            let link = links.iter().find(|l| l.name == name);
            self.link_named(&name, link, out);
        }
    }
}
