//! A deterministic simulated LAN: nodes, each one [`Endpoint`] with one or more virtual
//! routers (and their sync groups), with seeded loss, latency, jitter and partitions.
//!
//! Adverts travel as bytes: each node's endpoint encodes them ([`Endpoint::poll_transmit`]),
//! the simulator puts an IPv4 header in front (IPv6: the message alone, as a raw socket
//! gives it) and delivers them with [`Endpoint::handle_datagram`], so the codec, the demux
//! and the counters are simulated too.
//!
//! Everything is driven by simulated time and a seeded [`SplitMix64`]; the same seed and the
//! same calls give the same [`Sim::trace`], line for line. After every step the simulator
//! checks that a router holds its VIPs exactly while it is Master (violations are kept in
//! [`Sim::violations`]).
//!
//! Routers have ids in the order they are added ([`Sim::add_router`] puts each on a node of
//! its own; [`Sim::add_router_to`] adds one to an existing node). Crashes, segments and links
//! belong to nodes: [`Sim::kill`], [`Sim::set_segment`] and [`Sim::link`] act on the node of
//! the router named.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use vrrp_proto::{ip, ChecksumForm, Vrid};

use crate::config::Config;
use crate::endpoint::{Datagram, Endpoint, EventKind, InstanceSpec};
use crate::ids::{InstanceId, InterfaceId};
use crate::output::{Reason, State};
use crate::router::Router;
use crate::time::Instant;

/// The one interface of every simulated node.
const LAN: InterfaceId = InterfaceId(1);

/// The splitmix64 generator: tiny, seeded, good enough for schedules.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// Segment behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// PRNG seed.
    pub seed: u64,
    /// Probability of losing each delivery, in parts per million.
    pub loss_ppm: u32,
    /// Fixed one-way latency.
    pub latency: Duration,
    /// Extra uniform random latency in `0..jitter`.
    pub jitter: Duration,
    /// Record every advert sent in the trace (not just state changes).
    pub trace_packets: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            loss_ppm: 0,
            latency: Duration::from_micros(100),
            jitter: Duration::ZERO,
            trace_packets: false,
        }
    }
}

/// One recorded state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// When.
    pub at: Instant,
    /// Which router.
    pub id: usize,
    /// From.
    pub from: State,
    /// To.
    pub to: State,
    /// Why.
    pub reason: Reason,
}

#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    to: usize,
    src: IpAddr,
    dst: IpAddr,
    bytes: Rc<[u8]>,
}

impl PartialEq for InFlight {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InFlight {
    /// Reversed: the heap pops the earliest (then lowest sequence) first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// One simulated host: an endpoint and what it takes to boot it again after a crash.
#[derive(Debug)]
struct Node {
    endpoint: Endpoint,
    /// Its routers' configurations and ids; instance `k` of a fresh endpoint is `configs[k]`.
    configs: Vec<Config>,
    routers: Vec<usize>,
    groups: Vec<Vec<InstanceId>>,
    alive: bool,
    segment: u32,
}

impl Node {
    fn boot(configs: &[Config], groups: &[Vec<InstanceId>], now: Instant) -> Endpoint {
        let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
        for c in configs {
            let spec = InstanceSpec {
                interface: LAN,
                config: c.clone(),
                peers: Vec::new(),
                track_interfaces: Vec::new(),
            };
            // Each node's VRIDs are distinct (checked by add_router_to).
            let _ = ep.add(now, spec);
        }
        ep.set_sync_groups(groups.to_vec());
        ep
    }
}

/// A router: where it lives and what the simulator checks about it.
#[derive(Debug)]
struct SimRouter {
    node: usize,
    instance: InstanceId,
    vrid: Vrid,
    holds_vips: bool,
    last_sent: Option<Instant>,
}

/// The simulated segment.
#[derive(Debug)]
pub struct Sim {
    cfg: SimConfig,
    now: Instant,
    rng: SplitMix64,
    nodes: Vec<Node>,
    routers: Vec<SimRouter>,
    /// Nodes running each VRID (each node once), in the order they got it.
    by_vrid: Vec<Vec<usize>>,
    packets: BinaryHeap<InFlight>,
    timers: BinaryHeap<std::cmp::Reverse<(Instant, usize)>>,
    seq: u64,
    changes: Vec<Change>,
    trace: Vec<String>,
    violations: Vec<String>,
    delivered: u64,
    buf: Vec<u8>,
}

impl Sim {
    /// An empty segment at time 0.
    pub fn new(cfg: SimConfig) -> Sim {
        Sim {
            rng: SplitMix64::new(cfg.seed),
            cfg,
            now: Instant::ZERO,
            nodes: Vec::new(),
            routers: Vec::new(),
            by_vrid: vec![Vec::new(); 256],
            packets: BinaryHeap::new(),
            timers: BinaryHeap::new(),
            seq: 0,
            changes: Vec::new(),
            trace: Vec::new(),
            violations: Vec::new(),
            delivered: 0,
            buf: vec![0; 65_536],
        }
    }

    /// Add a node with no router; returns its id.
    pub fn add_node(&mut self) -> usize {
        self.nodes.push(Node {
            endpoint: Endpoint::new(ChecksumForm::PseudoHeader),
            configs: Vec::new(),
            routers: Vec::new(),
            groups: Vec::new(),
            alive: true,
            segment: 0,
        });
        self.nodes.len() - 1
    }

    /// Add a router (not started) on a node of its own; returns its id.
    pub fn add_router(&mut self, cfg: Config) -> usize {
        let node = self.add_node();
        self.add_router_to(node, cfg)
    }

    /// Add a router (not started) to `node`; returns its id.
    ///
    /// # Panics
    /// If `node` already runs that VRID and family (a test's mistake).
    pub fn add_router_to(&mut self, node: usize, cfg: Config) -> usize {
        let id = self.routers.len();
        let vrid = cfg.vrid();
        let n = &mut self.nodes[node];
        let spec = InstanceSpec {
            interface: LAN,
            config: cfg.clone(),
            peers: Vec::new(),
            track_interfaces: Vec::new(),
        };
        let instance = n
            .endpoint
            .add(self.now, spec)
            .expect("one router per VRID and family on a node");
        n.configs.push(cfg);
        n.routers.push(id);
        let nodes = &mut self.by_vrid[usize::from(vrid.get())];
        if !nodes.contains(&node) {
            nodes.push(node);
        }
        self.routers.push(SimRouter {
            node,
            instance,
            vrid,
            holds_vips: false,
            last_sent: None,
        });
        id
    }

    /// keepalived `vrrp_sync_group`s on `node`, as lists of router ids (all on `node`).
    pub fn set_sync_groups(&mut self, node: usize, groups: Vec<Vec<usize>>) {
        let groups: Vec<Vec<InstanceId>> = groups
            .iter()
            .map(|g| g.iter().map(|&id| self.routers[id].instance).collect())
            .collect();
        let n = &mut self.nodes[node];
        n.groups = groups.clone();
        n.endpoint.set_sync_groups(groups);
    }

    /// Startup event on router `id` (after a crash, its node boots afresh).
    pub fn start(&mut self, id: usize) {
        let now = self.now;
        let node = self.routers[id].node;
        let n = &mut self.nodes[node];
        if !n.alive {
            n.alive = true;
            n.endpoint = Node::boot(&n.configs, &n.groups, now);
            for &r in &n.routers {
                self.routers[r].holds_vips = false;
            }
        }
        let _ = n.endpoint.start(now, self.routers[id].instance);
        self.drain(node);
    }

    /// Graceful shutdown (priority 0 advert if master).
    pub fn shutdown(&mut self, id: usize) {
        let node = self.routers[id].node;
        let _ = self.nodes[node]
            .endpoint
            .stop(self.now, self.routers[id].instance);
        self.drain(node);
    }

    /// Crash: the router's node stops without a word.
    pub fn kill(&mut self, id: usize) {
        self.nodes[self.routers[id].node].alive = false;
        self.trace.push(format!("{} r{} killed", self.now, id));
    }

    /// Put router `id`'s node on segment `seg`: only nodes on the same segment hear each other.
    pub fn set_segment(&mut self, id: usize, seg: u32) {
        self.nodes[self.routers[id].node].segment = seg;
        self.trace
            .push(format!("{} r{} segment {}", self.now, id, seg));
    }

    /// Change the loss rate.
    pub fn set_loss_ppm(&mut self, ppm: u32) {
        self.cfg.loss_ppm = ppm;
    }

    /// Tracked object change on router `id`.
    pub fn track(&mut self, id: usize, index: usize, up: bool) {
        let node = self.routers[id].node;
        let instance = self.routers[id].instance;
        let _ = self.nodes[node]
            .endpoint
            .handle_track(self.now, instance, index, up);
        self.drain(node);
    }

    /// Drain (or undrain) router `id` ([`Router::handle_drain`]).
    pub fn drain_router(&mut self, id: usize, on: bool) {
        let node = self.routers[id].node;
        let instance = self.routers[id].instance;
        let _ = self.nodes[node]
            .endpoint
            .handle_drain(self.now, instance, on);
        self.drain(node);
    }

    /// Link change on router `id`'s node (every router there runs on that link).
    pub fn link(&mut self, id: usize, up: bool) {
        let node = self.routers[id].node;
        self.nodes[node].endpoint.handle_link(self.now, LAN, up);
        self.drain(node);
    }

    /// Run until `t` (inclusive).
    pub fn run_until(&mut self, t: Instant) {
        loop {
            let next_pkt = self.packets.peek().map(|p| p.at);
            let next_timer = self.next_timer();
            let next = match (next_pkt, next_timer) {
                (Some(p), Some((tm, _))) => p.min(tm),
                (Some(p), None) => p,
                (None, Some((tm, _))) => tm,
                (None, None) => break,
            };
            if next > t {
                break;
            }
            self.now = next;
            if next_pkt == Some(next) {
                if let Some(p) = self.packets.pop() {
                    self.deliver(p);
                }
            } else if let Some((_, node)) = next_timer {
                self.timers.pop();
                self.nodes[node].endpoint.handle_timeout(self.now);
                self.drain(node);
            }
        }
        self.now = self.now.max(t);
    }

    /// Run for `d` more.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    /// Current simulated time.
    pub fn now(&self) -> Instant {
        self.now
    }
    /// Router `id`.
    pub fn router(&self, id: usize) -> &Router {
        let r = &self.routers[id];
        self.nodes[r.node]
            .endpoint
            .router(r.instance)
            .expect("simulated routers are never removed")
    }
    /// The endpoint of `node` (counters, the master each router knows, ...).
    pub fn endpoint(&self, node: usize) -> &Endpoint {
        &self.nodes[node].endpoint
    }
    /// The node router `id` runs on.
    pub fn node_of(&self, id: usize) -> usize {
        self.routers[id].node
    }
    /// Is router `id` running (its node not killed)?
    pub fn alive(&self, id: usize) -> bool {
        self.nodes[self.routers[id].node].alive
    }
    /// Number of routers.
    pub fn len(&self) -> usize {
        self.routers.len()
    }
    /// True if there is no router.
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty()
    }
    /// Live routers in Master for `vrid` on `segment`.
    pub fn masters(&self, vrid: Vrid, segment: u32) -> Vec<usize> {
        (0..self.routers.len())
            .filter(|&i| {
                let n = &self.nodes[self.routers[i].node];
                self.routers[i].vrid == vrid
                    && n.alive
                    && n.segment == segment
                    && self.router(i).state() == State::Master
            })
            .collect()
    }
    /// When router `id` last sent an advert.
    pub fn last_sent(&self, id: usize) -> Option<Instant> {
        self.routers[id].last_sent
    }
    /// Every state change so far.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }
    /// The text trace.
    pub fn trace(&self) -> &[String] {
        &self.trace
    }
    /// Invariant violations seen so far (empty when all is well).
    pub fn violations(&self) -> &[String] {
        &self.violations
    }
    /// Adverts delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    fn next_timer(&mut self) -> Option<(Instant, usize)> {
        while let Some(&std::cmp::Reverse((at, node))) = self.timers.peek() {
            let n = &mut self.nodes[node];
            if n.alive && n.endpoint.poll_timeout() == Some(at) {
                return Some((at, node));
            }
            self.timers.pop();
        }
        None
    }

    fn deliver(&mut self, p: InFlight) {
        let n = &mut self.nodes[p.to];
        if !n.alive {
            return;
        }
        self.delivered += 1;
        let d = Datagram {
            interface: LAN,
            src: p.src,
            dst: p.dst,
            hop_limit: vrrp_proto::REQUIRED_TTL,
            bytes: &p.bytes,
        };
        // Drops are counted by the endpoint; the simulator only moves packets.
        n.endpoint.handle_datagram(self.now, d);
        self.drain(p.to);
    }

    /// Carry out what `node`'s endpoint asks for: events first, then adverts.
    fn drain(&mut self, node: usize) {
        while let Some(ev) = self.nodes[node].endpoint.poll_event() {
            let id = self.router_id(node, ev.instance);
            match ev.kind {
                EventKind::AddVip(_) => self.routers[id].holds_vips = true,
                EventKind::RemoveVip(_) => self.routers[id].holds_vips = false,
                EventKind::StateChange {
                    from, to, reason, ..
                } => {
                    self.changes.push(Change {
                        at: self.now,
                        id,
                        from,
                        to,
                        reason,
                    });
                    self.trace.push(format!(
                        "{} r{} {:?}->{:?} {:?}",
                        self.now, id, from, to, reason
                    ));
                }
                EventKind::Announce { .. }
                | EventKind::Router(_)
                | EventKind::GroupState { .. }
                | EventKind::MasterChanged(_) => {}
            }
        }
        let mut buf = std::mem::take(&mut self.buf);
        while let Some(t) = self.nodes[node].endpoint.poll_transmit(&mut buf) {
            let id = self.router_id(node, t.instance);
            self.send(node, id, t.src, t.dst, &buf[..t.len]);
        }
        self.buf = buf;
        let n = &mut self.nodes[node];
        for &id in &n.routers {
            let r = &self.routers[id];
            let Some(router) = n.endpoint.router(r.instance) else {
                continue;
            };
            if n.alive && r.holds_vips != (router.state() == State::Master) {
                self.violations.push(format!(
                    "{} r{} state {:?} but holds_vips={}",
                    self.now,
                    id,
                    router.state(),
                    r.holds_vips
                ));
            }
        }
        if let Some(at) = n.endpoint.poll_timeout() {
            self.timers.push(std::cmp::Reverse((at, node)));
        }
    }

    fn router_id(&self, node: usize, instance: InstanceId) -> usize {
        self.nodes[node].routers[instance.index()]
    }

    fn send(&mut self, from: usize, id: usize, src: IpAddr, dst: IpAddr, msg: &[u8]) {
        let now = self.now;
        self.routers[id].last_sent = Some(now);
        if self.cfg.trace_packets {
            self.trace
                .push(format!("{} r{} tx prio {}", now, id, msg[2]));
        }
        let bytes: Rc<[u8]> = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut b = vec![0; ip::IPV4_HEADER_LEN + msg.len()];
                let _ = ip::emit_ipv4_header(&mut b, s, d, msg.len(), 0);
                b[ip::IPV4_HEADER_LEN..].copy_from_slice(msg);
                b.into()
            }
            _ => msg.into(),
        };
        let seg = self.nodes[from].segment;
        let vrid = usize::from(msg[1]);
        for k in 0..self.by_vrid[vrid].len() {
            let to = self.by_vrid[vrid][k];
            if to == from || !self.nodes[to].alive || self.nodes[to].segment != seg {
                continue;
            }
            if self.rng.below(1_000_000) < u64::from(self.cfg.loss_ppm) {
                if self.cfg.trace_packets {
                    self.trace.push(format!("{} r{} lost ->n{}", now, id, to));
                }
                continue;
            }
            let jitter_us = u64::try_from(self.cfg.jitter.as_micros()).unwrap_or(u64::MAX);
            let delay = self.cfg.latency + Duration::from_micros(self.rng.below(jitter_us));
            self.seq += 1;
            self.packets.push(InFlight {
                at: now + delay,
                seq: self.seq,
                to,
                src,
                dst,
                bytes: Rc::clone(&bytes),
            });
        }
    }
}
