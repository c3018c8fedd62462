//! The event loop joining vrrp-fsm routers to the network: raw sockets (one per interface
//! and family) and the link monitor in one `mio::Poll`; the routers' deadlines as the poll
//! timeout; outputs carried out through the sockets, rtnetlink and AF_PACKET. It installs no
//! signal handler and writes no log line: what happened comes back as [`Happening`] values.
//!
//! Two ways to drive it. [`Runner::run`] is the whole loop for a program that only runs
//! routers (`vrrp-one`), until the caller's stop condition. A daemon with more to watch (scripts, a control socket) registers its
//! own sources with [`Runner::registry`] (tokens from [`FIRST_USER_TOKEN`]) and calls
//! [`Runner::turn`] in its own loop; each turn returns what happened as [`Happening`]s.
//!
//! Routers are told apart by (ifindex, family, VRID) ([`Demux`]). Time for the state machines
//! is the monotonic clock since the runner was made.

mod instance;
mod links;
mod notes;
mod outputs;
mod ports;
mod vmacs;

pub use instance::{ChurnCounters, Happening, Instance, InstanceInfo, OsErrors};
pub use notes::{InstanceNote, RunnerNote};

use std::net::IpAddr;
use std::time::Duration;

use mio::{Events, Interest, Poll, Registry, Token};
use vrrp_fsm::{Config, ConfigError, Discard, GlobalCounters, Instant, Router, State, SyncGroup};
use vrrp_proto::{
    decode, ip, ChecksumForm, ChecksumPolicy, Family, Vrid, MULTICAST_V4, MULTICAST_V6,
};

use crate::alarm::Alarm;
use crate::{Demux, DemuxKey, LinkMonitor, NetError, Netlink};
use crate::{RecvBatch, SendQueue, Timers};
use crate::{Slot, SlotAlloc};
use instance::NO_PORT;
use ports::Ports;

const LINK: Token = Token(0);
const ALARM: Token = Token(1);

/// The first mio token a caller may use with [`Runner::registry`].
pub const FIRST_USER_TOKEN: usize = 1 << 24;

/// The event loop. See the module documentation.
pub struct Runner {
    poll: Poll,
    events: Events,
    link: LinkMonitor,
    netlink: Netlink,
    ports: Ports,
    /// Instances by slot: a removed instance's slot is given to the next one added.
    routers: Vec<Router>,
    infos: Vec<InstanceInfo>,
    slots: SlotAlloc,
    groups: Vec<SyncGroup>,
    demux: Demux<usize>,
    /// Each router's next deadline ([`Router::poll_timeout`]), re-armed whenever the
    /// router has handled something: a wakeup costs O(log routers), not a scan.
    timers: Timers<Instant, usize>,
    /// Wakes the poll at the earliest deadline of `timers`, to the microsecond.
    alarm: Alarm,
    counters: GlobalCounters,
    /// Happenings produced outside a turn (while adding an instance), reported by the next.
    deferred: Vec<Happening>,
    /// Buffers reused by every turn (no allocation per wakeup or per packet).
    tokens: Vec<Token>,
    due: Vec<usize>,
    work: Vec<usize>,
    recv_errors: u64,
    form: ChecksumForm,
    started: std::time::Instant,
    /// Adverts emitted during a turn, sent together (`sendmmsg`).
    sends: SendQueue,
    /// Where datagrams are received, a batch per system call.
    rx: RecvBatch,
}

impl Runner {
    /// Open the netlink sockets. v3/IPv4 adverts are sent
    /// with checksum `form` (keepalived's default is [`ChecksumForm::PseudoHeader`]); both
    /// forms are accepted.
    pub fn new(form: ChecksumForm) -> Result<Runner, NetError> {
        let netlink = Netlink::open()?;
        let mut link = LinkMonitor::open()?;
        let mut alarm = Alarm::open()?;
        let poll = Poll::new().map_err(|e| NetError::socket("epoll_create", "-", e))?;
        let reg = |e| NetError::socket("epoll_ctl", "-", e);
        poll.registry()
            .register(&mut link, LINK, Interest::READABLE)
            .map_err(reg)?;
        poll.registry()
            .register(&mut alarm, ALARM, Interest::READABLE)
            .map_err(reg)?;
        Ok(Runner {
            poll,
            events: Events::with_capacity(256),
            link,
            netlink,
            ports: Ports::default(),
            routers: Vec::new(),
            infos: Vec::new(),
            slots: SlotAlloc::default(),
            groups: Vec::new(),
            demux: Demux::new(),
            timers: Timers::new(),
            alarm,
            counters: GlobalCounters::default(),
            deferred: Vec::new(),
            tokens: Vec::new(),
            due: Vec::new(),
            work: Vec::new(),
            recv_errors: 0,
            form,
            started: std::time::Instant::now(),
            sends: SendQueue::new(),
            rx: RecvBatch::new(),
        })
    }

    /// The address VRRP sends from on `ifname` (first IPv4 address / IPv6 link-local).
    pub fn primary_address(
        &mut self,
        ifname: &str,
        family: Family,
    ) -> Result<Option<IpAddr>, NetError> {
        let link = self.netlink.link_by_name(ifname)?;
        self.netlink.primary_address(link.ifindex, family)
    }

    /// The VRRP multicast group of `family`.
    pub fn group(family: Family) -> IpAddr {
        match family {
            Family::V4 => IpAddr::V4(MULTICAST_V4),
            Family::V6 => IpAddr::V6(MULTICAST_V6),
        }
    }

    /// The registry of the runner's poll, for the caller's own sources (tokens from
    /// [`FIRST_USER_TOKEN`]); they come back from [`Runner::turn`] as [`Happening::Ready`].
    pub fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// Add an instance driven by `router` (not started: see [`Runner::start`]); opens the
    /// interface's socket if it is the first instance there. Returns its index: the slot of
    /// an instance removed earlier if there is one, else a new one.
    pub fn add(&mut self, spec: Instance, router: Router) -> Result<usize, NetError> {
        let family = router.config().family();
        let (link, vmac_new) = match &spec.vmac {
            Some(name) => self.open_vmac(&spec, name, family, router.config().vrid())?,
            None => (self.netlink.link_by_name(&spec.interface)?, false),
        };
        let vmac_created = spec.vmac.is_some();
        if vmac_created {
            // The new link's own creation events are queued on the monitor: handle them
            // now, before its state is seeded, so they are not taken for a link failure.
            let mut early = Vec::new();
            self.read_links(&mut early);
            self.deferred.extend(early);
        }
        let mut mac = [0u8; 6];
        if link.mac.len() == 6 {
            mac.copy_from_slice(&link.mac);
        }
        let mut tracked = Vec::new();
        let mut router = router;
        let now = self.now();
        router.handle_link(now, link.up);
        for (name, track) in &spec.track_links {
            let t = self.netlink.link_by_name(name)?;
            self.link.seed(&t);
            router.handle_track(now, *track, t.up);
            tracked.push((t.ifindex, *track));
        }
        let port =
            self.ports
                .acquire(self.poll.registry(), &link.name, link.ifindex, mac, family)?;
        self.link.seed(&link);
        let info = InstanceInfo {
            spec,
            ifindex: link.ifindex,
            tracked,
            master: None,
            os_errors: OsErrors::default(),
            removed: false,
            gone: false,
            churn: Default::default(),
            port,
            vmac_created,
        };
        let slot = self.slots.take();
        let index = slot.index();
        if vmac_new {
            let vmac = info.spec.vmac.clone().unwrap_or_default();
            self.deferred.push(Happening::Instance {
                instance: index,
                note: InstanceNote::VmacCreated(vmac),
            });
        }
        self.demux.insert(
            (
                vrrp_fsm::InterfaceId(link.ifindex),
                family,
                router.config().vrid(),
            ),
            index,
        );
        match slot {
            Slot::Reused(i) => {
                self.routers[i] = router;
                self.infos[i] = info;
            }
            Slot::New(_) => {
                self.routers.push(router);
                self.infos.push(info);
            }
        }
        Ok(index)
    }

    /// The keepalived `vrrp_sync_group`s: each a list of instance indices that move together
    /// (replaces the previous list).
    pub fn set_sync_groups(&mut self, groups: Vec<Vec<usize>>) {
        self.groups = groups.into_iter().map(SyncGroup::new).collect();
    }

    /// Start instance `i`: remove its VIPs left behind by a crashed run (so that a backup
    /// never answers for an address it does not own), then the RFC 9568 §6.4.1 Startup event.
    /// What adding instances produced (a VMAC created, link events) comes out first.
    pub fn start(&mut self, i: usize, out: &mut Vec<Happening>) {
        out.append(&mut self.deferred);
        if i >= self.routers.len() || self.infos[i].removed {
            return;
        }
        if !self.infos[i].gone {
            self.remove_stale_vips(i, out);
        }
        let now = self.now();
        self.routers[i].handle_startup(now);
        self.drain_outputs(&[i], out);
    }

    /// Stop instance `i` (priority-0 advert if Master, VIPs removed, Initialize).
    pub fn stop(&mut self, i: usize, out: &mut Vec<Happening>) {
        if i >= self.routers.len() {
            return;
        }
        let now = self.now();
        self.routers[i].handle_shutdown(now);
        self.drain_outputs(&[i], out);
    }

    /// Stop instance `i` and forget it: its VRID is free again on its interface, its timer,
    /// demux entry, sync-group membership and socket reference are released, and its slot
    /// goes to the next instance added. What the stop produced is appended to `out` (state
    /// changes of `i` among it: the caller must handle them before it adds an instance, which
    /// may get index `i`); happenings of `i` still deferred are dropped.
    pub fn remove(&mut self, i: usize, out: &mut Vec<Happening>) {
        if i >= self.routers.len() || self.infos[i].removed {
            return;
        }
        self.stop(i, out);
        self.timers.cancel(i);
        self.deferred.retain(|h| h.instance() != Some(i));
        let info = &mut self.infos[i];
        info.removed = true;
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
        self.close_vmac(i, out);
        // Its per-instance vectors go now; the slot itself is overwritten on reuse.
        let info = &mut self.infos[i];
        info.tracked = Vec::new();
        info.spec.vips = Vec::new();
        info.spec.dsts = Vec::new();
        info.spec.track_links = Vec::new();
        info.spec.peers = Default::default();
        for g in &mut self.groups {
            if g.members().contains(&i) {
                *g = SyncGroup::new(g.members().iter().copied().filter(|m| *m != i).collect());
            }
        }
        self.slots.give_back(i);
    }

    /// New configuration for instance `i` (VRID, version and family unchanged), with its
    /// VIPs' forms and peers.
    pub fn reconfigure(
        &mut self,
        i: usize,
        cfg: Config,
        spec: Instance,
        out: &mut Vec<Happening>,
    ) -> Result<(), ConfigError> {
        let Some(r) = self.routers.get_mut(i) else {
            return Ok(());
        };
        let now = Instant::from_micros(self.started.elapsed().as_micros() as u64);
        r.handle_reconfigure(now, cfg)?;
        self.infos[i].spec.src = spec.src;
        self.infos[i].spec.vips = spec.vips;
        self.infos[i].spec.dsts = spec.dsts;
        self.infos[i].spec.peers = spec.peers;
        self.infos[i].spec.name = spec.name;
        self.drain_outputs(&[i], out);
        Ok(())
    }

    /// Tracked object `index` of instance `i` (e.g. a keepalived `vrrp_script`) is up or down.
    pub fn track(&mut self, i: usize, index: usize, up: bool, out: &mut Vec<Happening>) {
        if i >= self.routers.len() || self.infos[i].removed {
            return;
        }
        let now = self.now();
        self.routers[i].handle_track(now, index, up);
        self.drain_outputs(&[i], out);
    }

    /// Drain instance `i` (hand mastership over, stay a Backup that never takes over) or
    /// undrain it ([`Router::handle_drain`]).
    pub fn drain(&mut self, i: usize, on: bool, out: &mut Vec<Happening>) {
        if i >= self.routers.len() || self.infos[i].removed {
            return;
        }
        let now = self.now();
        self.routers[i].handle_drain(now, on);
        self.drain_outputs(&[i], out);
    }

    /// Number of instance slots (removed instances' slots included, until reused): every
    /// index below it is a valid argument; check [`InstanceInfo::removed`].
    pub fn len(&self) -> usize {
        self.routers.len()
    }

    /// Instance slots allocated, and instances live in them (the difference is free slots,
    /// reused by the next [`Runner::add`]).
    pub fn slot_counts(&self) -> (usize, usize) {
        (self.slots.allocated(), self.slots.live())
    }

    /// Raw sockets open, and slots of the socket table.
    pub fn socket_counts(&self) -> (usize, usize) {
        self.ports.counts()
    }

    /// The link monitor's receive-buffer overruns (ENOBUFS); after each, every link's state
    /// was read again.
    pub fn link_overruns(&self) -> u64 {
        self.link.overruns()
    }

    /// keepalived's `vrrp_netlink_monitor_rcv_bufs` (and `..._force`): the link monitor's
    /// socket receive buffer, in bytes.
    pub fn set_link_monitor_buffer(&mut self, bytes: usize, force: bool) -> Result<(), NetError> {
        self.link.set_recv_buffer(bytes, force)
    }

    /// True if no instance was added.
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty()
    }

    /// Instance `i`'s router (state, priority, counters, timers).
    pub fn router(&self, i: usize) -> Option<&Router> {
        self.routers.get(i)
    }

    /// What the runner knows of instance `i`.
    pub fn info(&self, i: usize) -> Option<&InstanceInfo> {
        self.infos.get(i)
    }

    /// Drops counted router-wide (checksum, version, VRID, TTL, IP header errors).
    pub fn counters(&self) -> &GlobalCounters {
        &self.counters
    }

    /// Packets dropped before any router saw them because no instance has their VRID on
    /// that interface (RFC 8347 vrid-errors are in [`Runner::counters`] too).
    pub fn unknown_vrid(&self) -> u64 {
        self.demux.unknown_count()
    }

    /// Receive errors from the sockets and the link monitor (reported as
    /// [`Happening::Runner`] and counted; the loop goes on).
    pub fn recv_errors(&self) -> u64 {
        self.recv_errors
    }

    /// The state machines' clock: time since the runner was made.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.started.elapsed().as_micros() as u64)
    }

    /// Wait for something to happen (at most `cap`, and no later than the earliest router
    /// deadline), handle it, and append to `out` what the caller should know.
    pub fn turn(
        &mut self,
        cap: Option<Duration>,
        out: &mut Vec<Happening>,
    ) -> Result<(), NetError> {
        let waiting = !self.deferred.is_empty();
        out.append(&mut self.deferred);
        // The routers' earliest deadline wakes the poll through the alarm (precise); the
        // poll's own timeout is only the caller's cap.
        let now = self.now();
        let deadline = self.timers.next_deadline();
        self.alarm.set(deadline, now)?;
        let timeout = if waiting { Some(Duration::ZERO) } else { cap };
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(NetError::socket("epoll_wait", "-", e));
            }
        }
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.clear();
        tokens.extend(self.events.iter().map(|e| e.token()));
        for &token in &tokens {
            match token {
                LINK => self.read_links(out),
                ALARM => self.alarm.acknowledge(),
                t if t.0 >= FIRST_USER_TOKEN => out.push(Happening::Ready(t)),
                t => {
                    if let Some(p) = self.ports.by_token(t) {
                        self.read_adverts(p, out);
                    }
                }
            }
        }
        self.tokens = tokens;
        let now = self.now();
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        due.extend(std::iter::from_fn(|| self.timers.pop_expired(now)));
        for &i in &due {
            self.routers[i].handle_timeout(now);
        }
        self.drain_outputs(&due, out);
        self.due = due;
        Ok(())
    }

    /// Start every instance and run until `on` returns true: it is shown every happening
    /// (with the runner, to look instances up) and says whether to stop — the caller's stop
    /// condition, e.g. a signal source of its own registered with [`Runner::registry`]
    /// coming [`Happening::Ready`]. Then stop every instance (priority-0 advert, VIPs
    /// removed, VMACs deleted), show `on` what that did, and return.
    pub fn run(&mut self, mut on: impl FnMut(&Runner, &Happening) -> bool) -> Result<(), NetError> {
        let mut out = Vec::new();
        for i in 0..self.routers.len() {
            self.start(i, &mut out);
        }
        loop {
            let mut stop = false;
            for h in out.drain(..) {
                stop |= on(self, &h);
            }
            if stop {
                for i in 0..self.routers.len() {
                    self.stop(i, &mut out);
                }
                self.close(&mut out);
                for h in out.drain(..) {
                    on(self, &h);
                }
                return Ok(());
            }
            self.turn(None, &mut out)?;
        }
    }

    /// Remove instance `i`'s VIPs if present (left by an earlier run), as keepalived does at
    /// startup; counted.
    fn remove_stale_vips(&mut self, i: usize, out: &mut Vec<Happening>) {
        let info = &mut self.infos[i];
        for addr in self.routers[i].config().vips().as_addresses().iter() {
            let note = match self.netlink.del_address(info.ifindex, &info.spec.vip(addr)) {
                Ok(()) => {
                    info.churn.stale_vip_removed += 1;
                    InstanceNote::StaleVipRemoved(addr)
                }
                Err(NetError::AddressMissing { .. }) => continue,
                Err(e) => InstanceNote::StaleVipRemoveFailed(addr, e),
            };
            out.push(Happening::Instance { instance: i, note });
        }
    }

    /// Room for `n` more instances, allocated once (a thousand instances, added one by one,
    /// would otherwise leave the peak of each doubling behind).
    pub fn reserve(&mut self, n: usize) {
        self.routers.reserve_exact(n);
        self.infos.reserve_exact(n);
    }

    /// Keep router `i`'s entry in the timer heap equal to its `poll_timeout()`.
    pub(super) fn rearm(&mut self, i: usize) {
        match self.routers[i].poll_timeout() {
            Some(t) if self.timers.deadline_of(i) != Some(t) => self.timers.arm(i, t),
            Some(_) => {}
            None => {
                self.timers.cancel(i);
            }
        }
    }

    /// Read every waiting datagram of port `p` (mio is edge-triggered: until a batch comes
    /// back less than full) and hand each advert to its router.
    fn read_adverts(&mut self, p: usize, out: &mut Vec<Happening>) {
        loop {
            let n = match self.ports.ports[p].sock.recv_batch(&mut self.rx) {
                Ok(n) => n,
                Err(error) => {
                    self.recv_errors += 1;
                    let ifname = self.ports.ports[p].sock.ifname().to_string();
                    out.push(Happening::Runner(RunnerNote::RecvFailed { ifname, error }));
                    return;
                }
            };
            for k in 0..n {
                self.read_advert(p, k, out);
            }
            if n < crate::raw::BATCH {
                return;
            }
        }
    }

    /// Datagram `k` of the last batch read from port `p`.
    fn read_advert(&mut self, p: usize, k: usize, out: &mut Vec<Happening>) {
        let family = self.ports.ports[p].family;
        let Some((bytes, meta)) = self.rx.get(k) else {
            return;
        };
        let Some(meta) = meta.copied() else {
            // Its ancillary data was cut: no destination or interface to check it by.
            self.recv_errors += 1;
            return;
        };
        let received = match (meta.src, meta.dst) {
            (IpAddr::V6(s), IpAddr::V6(d)) => ip::check_ipv6(bytes, s, d, meta.ttl),
            _ => ip::parse_ipv4(bytes),
        };
        let r = match received {
            Ok(r) => r,
            Err(e) => {
                self.counters.count(&e, None);
                return;
            }
        };
        let (src, d) = match decode(r.payload, r.src, r.dst, ChecksumPolicy::Either) {
            Ok(d) => (r.src, d),
            Err(e) => {
                // A per-router error (length, type, auth...) goes to the router whose
                // VRID the packet names, if we run it; RFC 8347 has no global home.
                let owner = r
                    .payload
                    .get(1)
                    .and_then(|v| Vrid::new(*v))
                    .and_then(|vrid| {
                        self.demux
                            .peek((vrrp_fsm::InterfaceId(meta.ifindex), family, vrid))
                    })
                    .copied();
                let rc = owner.map(|i| self.routers[i].counters_mut());
                self.counters.count(&e, rc);
                return;
            }
        };
        let key: DemuxKey = (vrrp_fsm::InterfaceId(meta.ifindex), family, d.advert.vrid);
        let Some(index) = self.demux.lookup(key).map(|i| *i) else {
            // RFC 8347 vrid-errors / RFC 6527 vrrpv3RouterVrIdErrors: "unknown or
            // unsupported VRID" (the demux counts it as unknown_vrid too).
            self.counters.incr(vrrp_proto::GlobalCounter::VridErrors);
            return;
        };
        // RFC 9568 §7.1: the version must be the one this router runs; RFC 8347
        // version-errors ("unknown or unsupported version"), as keepalived counts it.
        // The state machine would drop it as not its own, on no visible counter.
        if d.advert.version() != self.routers[index].config().version() {
            self.counters.incr(vrrp_proto::GlobalCounter::VersionErrors);
            return;
        }
        if !self.infos[index].spec.peers.accept(src) {
            self.routers[index].counters_mut().unknown_peer += 1;
            return;
        }
        let now = Instant::from_micros(self.started.elapsed().as_micros() as u64);
        // Discards, lower priorities and dual masters are counted by the router; what it
        // has to say about them comes out as events, reported by the drain.
        let router = &mut self.routers[index];
        let accepted = router.handle_advert(now, src, &d.advert);
        // The master a Backup hears, accepted or (while it preempts) not.
        if matches!(accepted, Ok(()) | Err(Discard::LowerPriority))
            && router.state() == State::Backup
            && d.advert.priority.0 != 0
        {
            self.infos[index].master = Some(src);
        }
        self.drain_outputs(&[index], out);
    }
}
