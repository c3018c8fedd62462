//! The event loop driving one [`vrrp_fsm::Endpoint`]: raw sockets (one per interface and
//! family) and the link monitor in one `mio::Poll`, the endpoint's deadline on a timerfd;
//! datagrams read in batches into [`Endpoint::handle_datagram`], its adverts sent in batches,
//! its events carried out through rtnetlink (VIPs) and AF_PACKET (GARP / NA) and reported.
//! Protocol facts (demux, peer filter, counters, sync groups, dual master, who the master
//! is) are the endpoint's; the runner only does the I/O. It installs no signal handler and
//! writes no log line: what happened comes back as [`Happening`] values.
//!
//! Two ways to drive it. [`Runner::run`] is the whole loop for a program that only runs
//! routers (`vrrp-one`), until the caller's stop condition. A daemon with more to watch
//! (scripts, a control socket) registers its own sources with [`Runner::registry`] (tokens
//! from [`FIRST_USER_TOKEN`]) and calls [`Runner::turn`] in its own loop; each turn returns
//! what happened as [`Happening`]s.
//!
//! Time for the endpoint is the monotonic clock since the runner was made.

mod addresses;
mod coalesce;
mod instance;
mod links;
mod notes;
mod outputs;
mod pacing;
mod ports;
mod routes;
mod vmacs;

pub use instance::{ChurnCounters, Happening, Instance, InstanceInfo, OsErrors};
pub use notes::{InstanceNote, RunnerNote};

use std::net::IpAddr;
use std::time::Duration;

use mio::{Events, Interest, Poll, Registry, Token};
use vrrp_fsm::{
    Config, Datagram, Endpoint, EndpointError, GlobalCounters, InstanceId, InstanceSpec, Instant,
    InterfaceId, Router,
};
use vrrp_proto::{ChecksumForm, Family};

use crate::alarm::Alarm;
use crate::{LinkMonitor, NetError, Netlink, RecvBatch, SendQueue};
use addresses::AddrLinks;
use coalesce::Coalesce;
use instance::NO_PORT;
use ports::Ports;

const LINK: Token = Token(0);
const ALARM: Token = Token(1);
/// Route and rule deletions (routes.rs), watched once an instance tracks one.
const ROUTES: Token = Token(2);

/// Most instances whose timers one turn handles: when more fall due at once (all of them
/// after a start), the next turn goes on at once, and the queues between the endpoint,
/// the runner and the caller hold one batch's outputs, not every instance's.
const TIMEOUT_BATCH: usize = 64;

/// The first mio token a caller may use with [`Runner::registry`].
pub const FIRST_USER_TOKEN: usize = 1 << 24;

/// The event loop. See the module documentation.
pub struct Runner {
    poll: Poll,
    events: Events,
    link: LinkMonitor,
    netlink: Netlink,
    ports: Ports,
    /// Every virtual router, sans-IO.
    endpoint: Endpoint,
    /// What the runner knows of each instance, by [`InstanceId`] index (None: free slot).
    infos: Vec<Option<InstanceInfo>>,
    /// Wakes the poll at the endpoint's deadline, to the microsecond.
    alarm: Alarm,
    /// Happenings produced outside a turn (while adding an instance), reported by the next.
    deferred: Vec<Happening>,
    /// Buffers reused by every turn (no allocation per wakeup or per packet).
    tokens: Vec<Token>,
    recv_errors: u64,
    started: std::time::Instant,
    /// Adverts the endpoint emitted during a turn, sent together (`sendmmsg`).
    sends: SendQueue,
    /// Where datagrams are received, a batch per system call.
    rx: RecvBatch,
    /// Whether to let a burst of adverts queue up before the next poll.
    coalesce: Coalesce,
    /// Instances that became master whose virtual routes and rules are to be added once
    /// their VIPs are (routes.rs).
    routes_due: Vec<InstanceId>,
    /// Deleted routes and rules, once some instance tracks one (routes.rs).
    route_monitor: Option<crate::RouteMonitor>,
    /// More timers were due than the last turn handled ([`TIMEOUT_BATCH`]).
    timeouts_left: bool,
    /// Interfaces holding addresses of instances running on another one (`dev`).
    addr_links: AddrLinks,
    /// Instances whose excluded addresses are to be added (true) or removed, once the
    /// router's VIP work queued with the state change is done.
    excluded_due: Vec<(InstanceId, bool)>,
    /// keepalived `vrrp_startup_delay`: instances started before then are held until then.
    startup_hold: Option<Instant>,
    /// keepalived `vrrp_garp_interval` / `vrrp_gna_interval` (pacing.rs).
    pacing: pacing::Pacing,
}

impl Runner {
    /// Open the netlink sockets. v3/IPv4 adverts are sent with checksum `form`
    /// (keepalived's default is [`ChecksumForm::PseudoHeader`]); every form is accepted.
    pub fn new(form: ChecksumForm) -> Result<Runner, NetError> {
        let netlink = Netlink::open()?;
        let mut link = LinkMonitor::open()?;
        let mut alarm = Alarm::open()?;
        let poll = Poll::new().map_err(|e| NetError::event_loop("epoll_create", e))?;
        let reg = |e| NetError::event_loop("epoll_ctl", e);
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
            endpoint: Endpoint::new(form),
            infos: Vec::new(),
            timeouts_left: false,
            alarm,
            deferred: Vec::new(),
            tokens: Vec::new(),
            recv_errors: 0,
            started: std::time::Instant::now(),
            sends: SendQueue::new(),
            rx: RecvBatch::new(),
            coalesce: Coalesce::default(),
            routes_due: Vec::new(),
            route_monitor: None,
            addr_links: AddrLinks::default(),
            excluded_due: Vec::new(),
            startup_hold: None,
            pacing: pacing::Pacing::default(),
        })
    }

    /// keepalived `vrrp_garp_interval` / `vrrp_gna_interval`: the least time between two
    /// gratuitous ARPs (IPv4) / unsolicited NAs (IPv6) out of one interface (zero, the
    /// default: a burst goes back to back).
    pub fn set_announce_intervals(&mut self, garp: Duration, gna: Duration) {
        self.pacing.set(garp, gna);
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

    /// The registry of the runner's poll, for the caller's own sources (tokens from
    /// [`FIRST_USER_TOKEN`]); they come back from [`Runner::turn`] as [`Happening::Ready`].
    pub fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// Add an instance with configuration `cfg` (not started: see [`Runner::start`]); opens
    /// the interface's socket if it is the first instance there. Its id is the slot of an
    /// instance removed earlier if there is one.
    pub fn add(&mut self, spec: Instance, cfg: Config) -> Result<InstanceId, NetError> {
        self.watch_if_tracked(&spec, &cfg)?;
        let family = cfg.family();
        let (link, vmac_new) = match &spec.vmac {
            Some(name) => self.open_vmac(&spec, cfg.primary(), name, family, cfg.vrid())?,
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
        let mut tracked = Vec::new();
        let mut track_up = Vec::new();
        for (name, track) in &spec.track_links {
            let t = self.netlink.link_by_name(name)?;
            self.link.seed(&t);
            tracked.push((InterfaceId(t.ifindex), *track));
            track_up.push((*track, t.up));
        }
        self.resolve_addr_links(&spec, family, true)?;
        let port = self.ports.acquire(
            self.poll.registry(),
            &link.name,
            link.ifindex,
            mac(&link),
            family,
            cfg.multicast_group(),
        )?;
        self.link.seed(&link);
        let now = self.now();
        self.coalesce.bound_by(cfg.advert_interval());
        let endpoint_spec = InstanceSpec {
            interface: InterfaceId(link.ifindex),
            config: cfg,
            peers: spec.peers.clone(),
            track_interfaces: tracked,
        };
        let id = match self.endpoint.add(now, endpoint_spec) {
            Ok(id) => id,
            Err(e) => {
                self.ports.release(self.poll.registry(), port);
                return Err(NetError::Build {
                    what: "instance",
                    detail: e.to_string(),
                });
            }
        };
        // The link and tracked interfaces as they are now (the instance is in Initialize:
        // this only records them).
        let _ = self
            .endpoint
            .bind(now, id, InterfaceId(link.ifindex), link.up);
        for (track, up) in track_up {
            let _ = self.endpoint.handle_track(now, id, track, up);
        }
        if vmac_new {
            let vmac = spec.vmac.clone().unwrap_or_default();
            self.deferred.push(Happening::Instance {
                instance: id,
                note: InstanceNote::VmacCreated(vmac),
            });
        }
        let info = InstanceInfo {
            spec,
            ifindex: link.ifindex,
            os_errors: OsErrors::default(),
            gone: false,
            churn: Default::default(),
            port,
            vmac_created,
            installed: Default::default(),
            family,
            excluded_held: false,
        };
        if self.infos.len() <= id.0 {
            self.infos.resize_with(id.0 + 1, || None);
        }
        self.infos[id.0] = Some(info);
        Ok(id)
    }

    /// The keepalived `vrrp_sync_group`s: each a list of instances that move together
    /// (replaces the previous list). [`Happening::GroupState`] names them by position here.
    pub fn set_sync_groups(&mut self, groups: Vec<Vec<InstanceId>>) {
        self.endpoint.set_sync_groups(groups);
    }

    /// Start instance `id`: remove its virtual rules and routes, then its VIPs and excluded
    /// addresses, left behind by a crashed run (so that a backup never answers for an
    /// address it does not own), then the RFC 9568 §6.4.1 Startup event.
    /// What adding instances produced (a VMAC created, link events) comes out first.
    pub fn start(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        out.append(&mut self.deferred);
        if self.info(id).is_none() {
            return;
        }
        if !self.info(id).is_some_and(|i| i.gone) {
            self.remove_stale_routes(id, out);
        }
        self.remove_stale_addresses(id, out);
        let now = self.now();
        if let Some(until) = self.startup_hold.filter(|&h| now < h) {
            let _ = self.endpoint.hold_startup_until(id, until);
        }
        let _ = self.endpoint.start(now, id);
        self.drain_endpoint(out);
    }

    /// keepalived `vrrp_startup_delay`: instances started within `delay` from now (those of
    /// the first start, and any added by a reload meanwhile) enter Backup at once but take
    /// over no sooner than their Master_Down_Interval after `delay` ends (a priority-255
    /// owner: when it ends).
    pub fn hold_startup(&mut self, delay: Duration) {
        self.startup_hold = Some(self.now() + delay);
    }

    /// Stop instance `id` (priority-0 advert if Master, VIPs removed, Initialize).
    pub fn stop(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        let now = self.now();
        let _ = self.endpoint.stop(now, id);
        self.drain_endpoint(out);
    }

    /// Stop instance `id` and forget it: its VRID is free again on its interface, its timer,
    /// demux entry, sync-group membership and socket reference are released, and its id
    /// goes to the next instance added. What the stop produced is appended to `out` (state
    /// changes of `id` among it: the caller must handle them before it adds an instance,
    /// which may get the same id); happenings of `id` still deferred are dropped.
    pub fn remove(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        if self.info(id).is_none() {
            return;
        }
        let now = self.now();
        let _ = self.endpoint.remove(now, id);
        // The priority-0 advert and the VIP removals go out before the socket is released.
        self.drain_endpoint(out);
        self.deferred.retain(|h| h.instance() != Some(id));
        self.pacing.forget(id);
        let Some(port) = self.infos[id.0]
            .as_mut()
            .map(|i| std::mem::replace(&mut i.port, NO_PORT))
        else {
            return;
        };
        self.ports.release(self.poll.registry(), port);
        self.close_vmac(id, out);
        self.infos[id.0] = None;
    }

    /// New configuration for instance `id` (VRID, version and family unchanged), with its
    /// VIPs' forms and peers.
    pub fn reconfigure(
        &mut self,
        id: InstanceId,
        cfg: Config,
        spec: Instance,
        out: &mut Vec<Happening>,
    ) -> Result<(), EndpointError> {
        let (Some(interface), Some(tracks)) = (
            self.endpoint
                .interface(id)
                .or_else(|| self.info(id).map(|i| InterfaceId(i.ifindex))),
            self.endpoint.track_interfaces(id).map(<[_]>::to_vec),
        ) else {
            return Ok(());
        };
        if let Err(e) = self.watch_if_tracked(&spec, &cfg) {
            out.push(Happening::Runner(RunnerNote::RouteMonitorFailed(e)));
        }
        let now = self.now();
        self.coalesce.bound_by(cfg.advert_interval());
        let endpoint_spec = InstanceSpec {
            interface,
            config: cfg,
            peers: spec.peers.clone(),
            track_interfaces: tracks,
        };
        let family = endpoint_spec.config.family();
        let group = endpoint_spec.config.multicast_group();
        if let Some(info) = self.infos[id.0].as_ref() {
            if let Err(error) = self.ports.join(info.port, group) {
                let link = info.spec.interface.clone();
                let note = InstanceNote::RebindFailed { link, error };
                out.push(Happening::Instance { instance: id, note });
            }
        }
        let res = self.endpoint.reconfigure(now, id, endpoint_spec);
        let mut old_vips = Vec::new();
        if res.is_ok() {
            // Interfaces the new address lines name (a missing one is reported when due).
            let _ = self.resolve_addr_links(&spec, family, false);
            if let Some(info) = self.infos[id.0].as_mut() {
                // While the router's changes are carried out, the addresses it drops keep
                // their old forms (they are removed where they are).
                old_vips = std::mem::take(&mut info.spec.vips);
                info.spec.vips = spec.vips.clone();
                let dropped = old_vips
                    .iter()
                    .filter(|o| !spec.vips.iter().any(|n| n.addr == o.addr));
                info.spec.vips.extend(dropped.cloned());
                info.spec.peers = spec.peers;
                info.spec.name = spec.name;
            }
        }
        self.drain_endpoint(out);
        if res.is_ok() {
            self.replace_vip_forms(id, &old_vips, spec.vips, out);
            self.replace_excluded(id, spec.excluded, out);
            self.reconfigure_routes(id, spec.routes, spec.rules, out);
        }
        res
    }

    /// Tracked object `index` of instance `id` (e.g. a keepalived `vrrp_script`) is up or down.
    pub fn track(&mut self, id: InstanceId, index: usize, up: bool, out: &mut Vec<Happening>) {
        let now = self.now();
        let _ = self.endpoint.handle_track(now, id, index, up);
        self.drain_endpoint(out);
    }

    /// Tracked object `index` of instance `id` is now in `status` (a keepalived
    /// `track_file`'s value).
    pub fn track_status(
        &mut self,
        id: InstanceId,
        index: usize,
        status: vrrp_fsm::TrackStatus,
        out: &mut Vec<Happening>,
    ) {
        let now = self.now();
        let _ = self.endpoint.handle_track_status(now, id, index, status);
        self.drain_endpoint(out);
    }

    /// Drain instance `id` (hand mastership over, stay a Backup that never takes over) or
    /// undrain it ([`Router::handle_drain`]).
    pub fn drain(&mut self, id: InstanceId, on: bool, out: &mut Vec<Happening>) {
        let now = self.now();
        let _ = self.endpoint.handle_drain(now, id, on);
        self.drain_endpoint(out);
    }

    /// Every live instance's id.
    pub fn ids(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.endpoint.instances().map(|(id, _)| id)
    }

    /// Number of live instances.
    pub fn len(&self) -> usize {
        self.endpoint.len()
    }

    /// True if no instance is live.
    pub fn is_empty(&self) -> bool {
        self.endpoint.is_empty()
    }

    /// Instance slots allocated, and instances live in them (the difference is free slots,
    /// reused by the next [`Runner::add`]).
    pub fn slot_counts(&self) -> (usize, usize) {
        self.endpoint.slot_counts()
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

    /// The endpoint: every instance's router, the master each knows, counters.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Instance `id`'s router (state, priority, counters, timers).
    pub fn router(&self, id: InstanceId) -> Option<&Router> {
        self.endpoint.router(id)
    }

    /// The master instance `id` knows (its own address while Master).
    pub fn master(&self, id: InstanceId) -> Option<IpAddr> {
        self.endpoint.master(id)
    }

    /// What the runner knows of instance `id`.
    pub fn info(&self, id: InstanceId) -> Option<&InstanceInfo> {
        self.infos.get(id.0).and_then(Option::as_ref)
    }

    /// Drops counted router-wide (checksum, version, VRID, TTL, IP header errors).
    pub fn counters(&self) -> &GlobalCounters {
        self.endpoint.counters()
    }

    /// Packets dropped before any router saw them because no instance has their VRID on
    /// that interface (RFC 8347 vrid-errors are in [`Runner::counters`] too).
    pub fn unknown_vrid(&self) -> u64 {
        self.endpoint.unknown_vrid()
    }

    /// Receive errors from the sockets and the link monitor (reported as
    /// [`Happening::Runner`] and counted; the loop goes on).
    pub fn recv_errors(&self) -> u64 {
        self.recv_errors
    }

    /// The endpoint's clock: time since the runner was made.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.started.elapsed().as_micros() as u64)
    }

    /// Wait for something to happen (at most `cap`, and no later than the endpoint's
    /// deadline), handle it, and append to `out` what the caller should know.
    pub fn turn(
        &mut self,
        cap: Option<Duration>,
        out: &mut Vec<Happening>,
    ) -> Result<(), NetError> {
        let waiting = !self.deferred.is_empty() || self.timeouts_left;
        out.append(&mut self.deferred);
        let deadline = [self.endpoint.poll_timeout(), self.pacing.next_due()]
            .into_iter()
            .flatten()
            .min();
        if !waiting {
            // A burst of adverts is arriving: let it queue up (coalesce.rs).
            let now = self.now();
            let until = [deadline, cap.map(|c| now + c)].into_iter().flatten().min();
            let hold = self.coalesce.hold_at(now, until);
            if !hold.is_zero() {
                std::thread::sleep(hold);
            }
        }
        // The endpoint's deadline wakes the poll through the alarm (precise); the poll's
        // own timeout is only the caller's cap.
        let now = self.now();
        self.alarm.set(deadline, now)?;
        let timeout = if waiting { Some(Duration::ZERO) } else { cap };
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(NetError::event_loop("epoll_wait", e));
            }
        }
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.clear();
        tokens.extend(self.events.iter().map(|e| e.token()));
        let mut read = 0;
        for &token in &tokens {
            match token {
                LINK => self.read_links(out),
                ROUTES => self.read_route_changes(out),
                ALARM => self.alarm.acknowledge(),
                t if t.0 >= FIRST_USER_TOKEN => out.push(Happening::Ready(t)),
                t => {
                    if let Some(p) = self.ports.by_token(t) {
                        read += self.read_adverts(p, out);
                    }
                }
            }
        }
        self.tokens = tokens;
        let now = self.now();
        self.timeouts_left = self.endpoint.handle_timeout_at_most(now, TIMEOUT_BATCH);
        self.drain_endpoint(out);
        self.send_paced(out);
        self.coalesce.note_read(now, read);
        Ok(())
    }

    /// Start every instance and run until `on` returns true: it is shown every happening
    /// (with the runner, to look instances up) and says whether to stop — the caller's stop
    /// condition, e.g. a signal source of its own registered with [`Runner::registry`]
    /// coming [`Happening::Ready`]. Then stop every instance (priority-0 advert, VIPs
    /// removed, VMACs deleted), show `on` what that did, and return.
    pub fn run(&mut self, mut on: impl FnMut(&Runner, &Happening) -> bool) -> Result<(), NetError> {
        let mut out = Vec::new();
        let ids: Vec<InstanceId> = self.ids().collect();
        for &id in &ids {
            self.start(id, &mut out);
        }
        loop {
            let mut stop = false;
            for h in out.drain(..) {
                stop |= on(self, &h);
            }
            if stop {
                for &id in &ids {
                    self.stop(id, &mut out);
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

    /// Room for `n` more instances, allocated once (a thousand instances, added one by one,
    /// would otherwise leave the peak of each doubling behind).
    pub fn reserve(&mut self, n: usize) {
        self.infos.reserve_exact(n);
        self.endpoint.reserve(n);
    }

    /// Read every waiting datagram of port `p` (mio is edge-triggered: until a batch comes
    /// back less than full) and hand each to the endpoint; how many were read.
    fn read_adverts(&mut self, p: usize, out: &mut Vec<Happening>) -> usize {
        let mut read = 0;
        loop {
            let n = match self.ports.ports[p].sock.recv_batch(&mut self.rx) {
                Ok(n) => n,
                Err(error) => {
                    self.recv_errors += 1;
                    let ifname = self.ports.ports[p].sock.ifname().to_string();
                    out.push(Happening::Runner(RunnerNote::RecvFailed { ifname, error }));
                    return read;
                }
            };
            read += n;
            let now = self.now();
            for k in 0..n {
                let Some((bytes, meta)) = self.rx.get(k) else {
                    continue;
                };
                let Some(meta) = meta.copied() else {
                    // Its ancillary data was cut: no destination or interface to check it by.
                    self.recv_errors += 1;
                    continue;
                };
                let d = Datagram {
                    interface: InterfaceId(meta.ifindex),
                    src: meta.src,
                    dst: meta.dst,
                    hop_limit: meta.ttl,
                    bytes,
                };
                self.endpoint.handle_datagram(now, d);
                // Drained after each datagram, so the endpoint's queues stay small; the
                // adverts go out once per batch.
                self.drain_queues(out);
            }
            self.flush_sends(out);
            if n < crate::raw::BATCH {
                return read;
            }
        }
    }
}

/// The hardware address of `link` (zeros if it has none of 6 bytes).
fn mac(link: &crate::LinkEntry) -> [u8; 6] {
    let mut mac = [0u8; 6];
    if link.mac.len() == 6 {
        mac.copy_from_slice(&link.mac);
    }
    mac
}
