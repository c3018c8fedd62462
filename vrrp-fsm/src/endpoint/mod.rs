//! Many virtual routers, sans-IO: the [`Endpoint`].
//!
//! Datagrams, link and tracking changes and the clock go in (`handle_*`, each taking `now`);
//! encoded adverts ([`Endpoint::poll_transmit`]), things to do and know
//! ([`Endpoint::poll_event`]) and the next deadline ([`Endpoint::poll_timeout`]) come out.
//! Inside: one [`Router`] per instance in a slab ([`InstanceId`]), the demux by
//! (interface, family, VRID), the unicast peer filter, sync groups, one timer heap, and the
//! counter attribution of everything the codec rejects.
//!
//! **Draining.** After each `handle_*` (and `add` / `remove` / `start` / `stop` /
//! `reconfigure`), drain [`Endpoint::poll_event`] and then [`Endpoint::poll_transmit`]
//! until both say None: events first. That is keepalived 2.2.7's order: becoming Master it
//! adds the VIPs and sends the gratuitous ARPs, then the advert (`vrrp_state_master_tx`);
//! stopping, it removes the VIPs, then sends the priority-0 advert
//! (`vrrp_restore_interface`). The queues are bounded all the same: informational events
//! ([`EventKind::Router`]) and adverts above priority 0 beyond the cap are dropped and counted
//! ([`EndpointStats`]), so a flood of adverts into a caller that never drains cannot grow
//! memory without bound; state changes and VIP work are never dropped.

mod drain;
mod receive;
mod slack;
mod types;

pub use slack::{advert_slack, MAX_SLACK};
pub use types::{
    Datagram, EndpointError, EndpointEvent, EndpointStats, EventKind, InstanceSpec, Transmit,
};

use std::collections::VecDeque;
use std::net::IpAddr;

use vrrp_proto::{ChecksumForm, Family};

use crate::config::UnicastChecksum;
use crate::counters::GlobalCounters;
use crate::demux::{Demux, DemuxKey, PeerFilter};
use crate::ids::{InstanceId, InterfaceId};
use crate::output::State;
use crate::router::Router;
use crate::slots::Slab;
use crate::sync_group::{RouterSet, SyncGroup};
use crate::time::Instant;
use crate::timer_heap::Timers;
use drain::Queued;

/// One instance: its router and how it talks.
#[derive(Debug)]
struct Instance {
    router: Router,
    interface: InterfaceId,
    /// False while its interface is gone ([`Endpoint::unbind`]): no demux entry, no adverts.
    bound: bool,
    peers: PeerFilter,
    track_interfaces: Vec<(InterfaceId, usize)>,
    /// The master it knows (ours while Master), and the one last reported.
    master: Option<IpAddr>,
    reported_master: Option<IpAddr>,
    /// Sends the pre-1.3.6 unicast checksum (224.0.0.18 in the pseudo-header): configured
    /// (`old_unicast_checksum`), or, as keepalived 2.2.7 does (`CHKSUM_COMPATIBILITY_AUTO`),
    /// since a VRRPv3/IPv4 unicast peer was heard using it (unless `never`).
    old_unicast: bool,
}

impl Instance {
    fn key(&self) -> DemuxKey {
        let c = self.router.config();
        (self.interface, c.family(), c.vrid())
    }
}

/// The instances of a [`Slab`], for sync groups.
struct Instances<'a>(&'a mut Slab<Instance>);

impl RouterSet<InstanceId> for Instances<'_> {
    fn router(&self, key: InstanceId) -> Option<&Router> {
        self.0.get(key.0).map(|i| &i.router)
    }
    fn router_mut(&mut self, key: InstanceId) -> Option<&mut Router> {
        self.0.get_mut(key.0).map(|i| &mut i.router)
    }
}

/// Many virtual routers behind one sans-IO interface. See the module documentation.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use vrrp_fsm::{Config, Endpoint, EventKind, InstanceSpec, Instant, InterfaceId, State, Vips};
/// use vrrp_proto::{ChecksumForm, Vrid};
///
/// let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
/// let vips = Vips::V4(vec![Ipv4Addr::new(192, 0, 2, 100)]);
/// let config = Config::builder(Vrid::new(51).unwrap(), me, vips).build().unwrap();
/// let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
/// let spec = InstanceSpec { interface: InterfaceId(2), config, peers: vec![], track_interfaces: vec![] };
/// let id = ep.add(Instant::ZERO, spec).unwrap();
/// ep.start_all(Instant::ZERO);
///
/// // The loop: sleep until poll_timeout (or a datagram), handle it, drain both queues.
/// let (mut buf, mut sent, mut vip_added) = ([0u8; 1500], 0, false);
/// let mut now = Instant::ZERO;
/// while sent < 3 {
///     now = ep.poll_timeout().unwrap();
///     ep.handle_timeout(now);
///     while let Some(ev) = ep.poll_event() {
///         vip_added |= matches!(ev.kind, EventKind::AddVip(_));
///     }
///     while let Some(t) = ep.poll_transmit(&mut buf) {
///         assert_eq!((t.interface, t.src), (InterfaceId(2), me));
///         sent += 1; // send &buf[..t.len] to t.dst
///     }
/// }
/// // Nobody else on the link: Master after Master_Down_Interval, then an advert a second.
/// assert_eq!(ep.router(id).unwrap().state(), State::Master);
/// assert!(vip_added);
/// ```
#[derive(Debug)]
pub struct Endpoint {
    instances: Slab<Instance>,
    demux: Demux<InstanceId>,
    groups: Vec<SyncGroup<InstanceId>>,
    /// Per group: the state it was last unanimous in, and whether a member moved since the
    /// last look.
    group_state: Vec<(Option<State>, bool)>,
    /// Some group's member moved since the last look (no scan of the groups otherwise).
    groups_moved: bool,
    /// Each router's next deadline ([`Router::poll_timeout`]), kept equal to it after
    /// every input, with the slack its state allows ([`advert_slack`]): a wakeup costs
    /// O(log instances), not a scan.
    timers: Timers<Instant, InstanceId>,
    counters: GlobalCounters,
    stats: EndpointStats,
    form: ChecksumForm,
    events: VecDeque<EndpointEvent>,
    transmits: VecDeque<Queued>,
    /// Encoded adverts of `transmits`, back to back (emptied when the queue is).
    tx_bytes: Vec<u8>,
    /// Buffers reused by every input (no allocation per packet or per wakeup).
    work: Vec<InstanceId>,
    due: Vec<InstanceId>,
}

impl Endpoint {
    /// No instances. v3/IPv4 adverts are sent with checksum `form` (keepalived's default is
    /// [`ChecksumForm::PseudoHeader`]); every form is accepted.
    pub fn new(form: ChecksumForm) -> Endpoint {
        Endpoint {
            instances: Slab::default(),
            demux: Demux::new(),
            groups: Vec::new(),
            group_state: Vec::new(),
            groups_moved: false,
            timers: Timers::new(),
            counters: GlobalCounters::default(),
            stats: EndpointStats::default(),
            form,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            tx_bytes: Vec::new(),
            work: Vec::new(),
            due: Vec::new(),
        }
    }

    // ---- instances -----------------------------------------------------------------------

    /// Add an instance (in Initialize: see [`Endpoint::start`]). Its id is the slot of an
    /// instance removed earlier if there is one.
    pub fn add(&mut self, now: Instant, spec: InstanceSpec) -> Result<InstanceId, EndpointError> {
        let family = spec.config.family();
        check_peers(family, &spec.peers)?;
        let key = (spec.interface, family, spec.config.vrid());
        if let Some(&other) = self.demux.peek(key) {
            return Err(EndpointError::VridTaken(other));
        }
        let old_unicast = spec.config.unicast_checksum() == UnicastChecksum::Old;
        let inst = Instance {
            router: Router::new(spec.config, now),
            interface: spec.interface,
            bound: true,
            peers: PeerFilter::new(spec.peers),
            track_interfaces: spec.track_interfaces,
            master: None,
            reported_master: None,
            old_unicast,
        };
        let id = InstanceId(self.instances.insert(inst));
        self.demux.insert(key, id);
        Ok(id)
    }

    /// Room for `n` more instances, allocated once (added one by one, a thousand
    /// instances would leave the peak of each doubling behind).
    pub fn reserve(&mut self, n: usize) {
        self.instances.reserve(n);
    }

    /// Stop instance `id` (as [`Endpoint::stop`]) and forget it: its VRID is free again on
    /// its interface, its timer, demux entry and sync-group membership go, and its id is
    /// given to the next instance added. What the stop produced (priority-0 advert, VIPs
    /// to remove, the state change) is queued: drain it before adding another instance.
    pub fn remove(&mut self, now: Instant, id: InstanceId) -> Result<(), EndpointError> {
        self.stop(now, id)?;
        self.timers.cancel(id);
        for g in &mut self.groups {
            g.remove(id);
        }
        if let Some(inst) = self.instances.remove(id.0) {
            let key = inst.key();
            if inst.bound && self.demux.peek(key) == Some(&id) {
                self.demux.remove(key);
            }
        }
        Ok(())
    }

    /// New description for instance `id`: configuration (VRID, version and family
    /// unchanged), peers, tracked interfaces, and the interface it runs on (a re-created
    /// interface has a new id).
    pub fn reconfigure(
        &mut self,
        now: Instant,
        id: InstanceId,
        spec: InstanceSpec,
    ) -> Result<(), EndpointError> {
        let inst = self.get(id)?;
        check_peers(inst.router.config().family(), &spec.peers)?;
        let (old_key, family, bound) = (inst.key(), inst.router.config().family(), inst.bound);
        let new_key = (spec.interface, family, spec.config.vrid());
        let moved = bound && new_key != old_key;
        if moved {
            if let Some(&other) = self.demux.peek(new_key) {
                return Err(EndpointError::VridTaken(other));
            }
        }
        let inst = self.get_mut(id)?;
        // `old_unicast_checksum` as configured now; with neither, what was heard stays.
        match spec.config.unicast_checksum() {
            UnicastChecksum::Old => inst.old_unicast = true,
            UnicastChecksum::Never => inst.old_unicast = false,
            UnicastChecksum::Auto => {}
        }
        inst.router.handle_reconfigure(now, spec.config)?;
        inst.interface = spec.interface;
        inst.peers = PeerFilter::new(spec.peers);
        inst.track_interfaces = spec.track_interfaces;
        if moved {
            self.demux.remove(old_key);
            self.demux.insert(new_key, id);
        }
        self.drain(now, &[id]);
        Ok(())
    }

    /// Instance `id`'s interface is gone (deleted): its demux entry goes, its link is down
    /// (FAULT), and it sends nothing until [`Endpoint::bind`] gives it an interface again.
    pub fn unbind(&mut self, now: Instant, id: InstanceId) -> Result<(), EndpointError> {
        let inst = self.get_mut(id)?;
        if !inst.bound {
            return Ok(());
        }
        inst.bound = false;
        inst.router.handle_link(now, false);
        let key = inst.key();
        if self.demux.peek(key) == Some(&id) {
            self.demux.remove(key);
        }
        self.drain(now, &[id]);
        Ok(())
    }

    /// Run instance `id` on `interface` (an interface of its name created again, with a new
    /// id), whose link is `up`. Refused if another instance runs its VRID and family there.
    pub fn bind(
        &mut self,
        now: Instant,
        id: InstanceId,
        interface: InterfaceId,
        up: bool,
    ) -> Result<(), EndpointError> {
        let inst = self.get(id)?;
        let c = inst.router.config();
        let key = (interface, c.family(), c.vrid());
        let old = inst.key();
        match self.demux.peek(key) {
            Some(&other) if other != id => return Err(EndpointError::VridTaken(other)),
            _ => {}
        }
        if inst.bound && self.demux.peek(old) == Some(&id) {
            self.demux.remove(old);
        }
        self.demux.insert(key, id);
        let inst = self.get_mut(id)?;
        inst.interface = interface;
        inst.bound = true;
        inst.router.handle_link(now, up);
        self.drain(now, &[id]);
        Ok(())
    }

    /// The interfaces instance `id` tracks changed ids (deleted and created again); their
    /// link states come with [`Endpoint::handle_link`].
    pub fn set_track_interfaces(
        &mut self,
        id: InstanceId,
        tracks: Vec<(InterfaceId, usize)>,
    ) -> Result<(), EndpointError> {
        self.get_mut(id)?.track_interfaces = tracks;
        Ok(())
    }

    /// keepalived `vrrp_sync_group`s: each a list of instances that move together
    /// (replaces the previous list; unknown ids are ignored).
    pub fn set_sync_groups(&mut self, groups: Vec<Vec<InstanceId>>) {
        self.groups = groups.into_iter().map(SyncGroup::new).collect();
        self.group_state = vec![(None, false); self.groups.len()];
    }

    /// keepalived `vrrp_startup_delay`: hold instance `id` until `until` (before its
    /// [`Endpoint::start`]; see [`crate::Router::hold_startup_until`]).
    pub fn hold_startup_until(
        &mut self,
        id: InstanceId,
        until: Instant,
    ) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.hold_startup_until(until);
        Ok(())
    }

    /// RFC 9568 §6.4.1 Startup event for instance `id`.
    pub fn start(&mut self, now: Instant, id: InstanceId) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.handle_startup(now);
        self.drain(now, &[id]);
        Ok(())
    }

    /// Start every instance.
    pub fn start_all(&mut self, now: Instant) {
        for id in self.ids() {
            let _ = self.start(now, id);
        }
    }

    /// RFC 9568 §6.4.2 / §6.4.3 Shutdown event for instance `id` (priority-0 advert if
    /// Master, VIPs removed, Initialize).
    pub fn stop(&mut self, now: Instant, id: InstanceId) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.handle_shutdown(now);
        self.drain(now, &[id]);
        Ok(())
    }

    /// Stop every instance.
    pub fn stop_all(&mut self, now: Instant) {
        for id in self.ids() {
            let _ = self.stop(now, id);
        }
    }

    // ---- inputs --------------------------------------------------------------------------

    /// Deadlines reached: every instance whose deadline is at or before `now` handles it
    /// (called at [`Endpoint::poll_timeout`], that is every Master due by then, in one
    /// batch). Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.handle_timeout_at_most(now, usize::MAX);
    }

    /// [`Endpoint::handle_timeout`] for at most `max` instances, the earliest due; true if
    /// more are due (then [`Endpoint::poll_timeout`] is still at or before `now`: call it
    /// again). A driver that polls the queues between calls keeps them as small as `max`
    /// instances' outputs, however many fall due at once (all of them, after a start).
    pub fn handle_timeout_at_most(&mut self, now: Instant, max: usize) -> bool {
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        due.extend(std::iter::from_fn(|| self.timers.pop_expired(now)).take(max));
        for &id in &due {
            if let Some(inst) = self.instances.get_mut(id.0) {
                inst.router.handle_timeout(now);
            }
        }
        self.drain(now, &due);
        let more = due.len() == max && self.next_deadline().is_some_and(|d| d <= now);
        self.due = due;
        more
    }

    /// Interface `interface` went up or down: the instances running on it see their link
    /// change, those tracking it their tracked object.
    pub fn handle_link(&mut self, now: Instant, interface: InterfaceId, up: bool) {
        let mut touched = std::mem::take(&mut self.work);
        touched.clear();
        for (i, inst) in self.instances.iter_mut() {
            let mut hit = false;
            if inst.bound && inst.interface == interface {
                inst.router.handle_link(now, up);
                hit = true;
            }
            for &(t, index) in &inst.track_interfaces {
                if t == interface {
                    inst.router.handle_track(now, index, up);
                    hit = true;
                }
            }
            if hit {
                touched.push(InstanceId(i));
            }
        }
        self.drain(now, &touched);
        self.work = touched;
    }

    /// Tracked object `index` of instance `id` (e.g. a keepalived `vrrp_script`) is up or down.
    pub fn handle_track(
        &mut self,
        now: Instant,
        id: InstanceId,
        index: usize,
        up: bool,
    ) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.handle_track(now, index, up);
        self.drain(now, &[id]);
        Ok(())
    }

    /// Tracked object `index` of instance `id` is now in `status` (a keepalived
    /// `track_file`'s value: [`Router::handle_track_status`]).
    pub fn handle_track_status(
        &mut self,
        now: Instant,
        id: InstanceId,
        index: usize,
        status: crate::TrackStatus,
    ) -> Result<(), EndpointError> {
        self.get_mut(id)?
            .router
            .handle_track_status(now, index, status);
        self.drain(now, &[id]);
        Ok(())
    }

    /// Drain instance `id` (hand mastership over, stay a Backup that never takes over) or
    /// undrain it ([`Router::handle_drain`]).
    pub fn handle_drain(
        &mut self,
        now: Instant,
        id: InstanceId,
        on: bool,
    ) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.handle_drain(now, on);
        self.drain(now, &[id]);
        Ok(())
    }

    /// Instance `id` gives mastership up ([`Router::handle_release`]).
    pub fn handle_release(&mut self, now: Instant, id: InstanceId) -> Result<(), EndpointError> {
        self.get_mut(id)?.router.handle_release(now);
        self.drain(now, &[id]);
        Ok(())
    }

    // ---- outputs -------------------------------------------------------------------------

    /// When to call [`Endpoint::handle_timeout`] next: the latest moment that still fires
    /// every timer within its slack. A Backup's Master_Down_Timer has none (this is never
    /// after it); a Master's advert may be up to 1 % of its interval late, at most
    /// [`MAX_SLACK`] ([`advert_slack`]), so that Masters due close together send in one
    /// wakeup. Calling it earlier (at [`Endpoint::next_deadline`]) fires every timer on time.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.timers.next_wakeup()
    }

    /// The earliest deadline of any instance (no slack): where
    /// [`Endpoint::handle_timeout`] first has work to do.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front()
    }

    // ---- accessors -----------------------------------------------------------------------

    /// Instance `id`'s router (state, priority, counters, timers).
    pub fn router(&self, id: InstanceId) -> Option<&Router> {
        self.instances.get(id.0).map(|i| &i.router)
    }

    /// The interface instance `id` runs on (None while unbound, or no such instance).
    pub fn interface(&self, id: InstanceId) -> Option<InterfaceId> {
        self.instances
            .get(id.0)
            .filter(|i| i.bound)
            .map(|i| i.interface)
    }

    /// Whether instance `id` sends the pre-1.3.6 unicast checksum since it heard a peer
    /// send it (see [`vrrp_proto::ChecksumForm::OldUnicast`]).
    pub fn sends_old_unicast_checksum(&self, id: InstanceId) -> bool {
        self.instances.get(id.0).is_some_and(|i| i.old_unicast)
    }

    /// The unicast peers of instance `id` (empty: multicast).
    pub fn peers(&self, id: InstanceId) -> Option<&[IpAddr]> {
        self.instances.get(id.0).map(|i| i.peers.peers())
    }

    /// The interfaces instance `id` tracks, with the tracked-object index each feeds.
    pub fn track_interfaces(&self, id: InstanceId) -> Option<&[(InterfaceId, usize)]> {
        self.instances
            .get(id.0)
            .map(|i| i.track_interfaces.as_slice())
    }

    /// The master instance `id` knows: its own address while Master, the source of the
    /// adverts it follows as Backup ([`EventKind::MasterChanged`] reports each change).
    pub fn master(&self, id: InstanceId) -> Option<IpAddr> {
        self.instances.get(id.0).and_then(|i| i.master)
    }

    /// Every live instance with its router.
    pub fn instances(&self) -> impl Iterator<Item = (InstanceId, &Router)> {
        self.instances
            .iter()
            .map(|(i, inst)| (InstanceId(i), &inst.router))
    }

    /// Live instances' ids.
    fn ids(&self) -> Vec<InstanceId> {
        self.instances.iter().map(|(i, _)| InstanceId(i)).collect()
    }

    /// Number of live instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// No live instance.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Instance slots allocated, and instances live in them (the difference is free slots,
    /// reused by the next [`Endpoint::add`]).
    pub fn slot_counts(&self) -> (usize, usize) {
        (self.instances.allocated(), self.instances.len())
    }

    /// Drops counted endpoint-wide (checksum, version, VRID, TTL, IP header errors).
    pub fn counters(&self) -> &GlobalCounters {
        &self.counters
    }

    /// Endpoint tallies: unknown VRIDs, queue overflows, encoding errors.
    pub fn stats(&self) -> EndpointStats {
        self.stats
    }

    /// Adverts for a VRID no instance runs on their interface and family.
    pub fn unknown_vrid(&self) -> u64 {
        self.stats.unknown_vrid
    }

    fn get(&self, id: InstanceId) -> Result<&Instance, EndpointError> {
        self.instances
            .get(id.0)
            .ok_or(EndpointError::NoInstance(id))
    }

    fn get_mut(&mut self, id: InstanceId) -> Result<&mut Instance, EndpointError> {
        self.instances
            .get_mut(id.0)
            .ok_or(EndpointError::NoInstance(id))
    }
}

/// Unicast peers must be of the instance's family (each is an advert destination).
fn check_peers(family: Family, peers: &[IpAddr]) -> Result<(), EndpointError> {
    match peers.iter().find(|p| p.is_ipv4() != (family == Family::V4)) {
        Some(&p) => Err(EndpointError::PeerFamily(p)),
        None => Ok(()),
    }
}
