//! A deterministic simulated LAN: N routers, seeded loss, latency, jitter and partitions.
//!
//! Everything is driven by simulated time and a seeded [`SplitMix64`]; the same seed and the
//! same calls give the same [`Sim::trace`], line for line. After every step the simulator
//! checks that a router holds its VIPs exactly while it is Master (violations are kept in
//! [`Sim::violations`]).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use vrrp_proto::{Advertisement, Priority, VersionFields, Vrid};

use crate::config::{Config, Vips};
use crate::output::{Output, Reason, State};
use crate::router::Router;
use crate::time::Instant;

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
struct Wire {
    vrid: Vrid,
    priority: Priority,
    fields: VersionFields,
    vips: Vips,
}

#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    to: usize,
    src: IpAddr,
    wire: Rc<Wire>,
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

#[derive(Debug)]
struct Node {
    cfg: Config,
    router: Router,
    alive: bool,
    segment: u32,
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
    by_vrid: Vec<Vec<usize>>,
    packets: BinaryHeap<InFlight>,
    timers: BinaryHeap<std::cmp::Reverse<(Instant, usize)>>,
    seq: u64,
    changes: Vec<Change>,
    trace: Vec<String>,
    violations: Vec<String>,
    delivered: u64,
}

impl Sim {
    /// An empty segment at time 0.
    pub fn new(cfg: SimConfig) -> Sim {
        Sim {
            rng: SplitMix64::new(cfg.seed),
            cfg,
            now: Instant::ZERO,
            nodes: Vec::new(),
            by_vrid: vec![Vec::new(); 256],
            packets: BinaryHeap::new(),
            timers: BinaryHeap::new(),
            seq: 0,
            changes: Vec::new(),
            trace: Vec::new(),
            violations: Vec::new(),
            delivered: 0,
        }
    }

    /// Add a router (not started); returns its id.
    pub fn add_router(&mut self, cfg: Config) -> usize {
        let id = self.nodes.len();
        self.by_vrid[usize::from(cfg.vrid().get())].push(id);
        self.nodes.push(Node {
            router: Router::new(cfg.clone(), self.now),
            cfg,
            alive: true,
            segment: 0,
            holds_vips: false,
            last_sent: None,
        });
        id
    }

    /// Startup event on router `id` (after a crash, a fresh router boots).
    pub fn start(&mut self, id: usize) {
        let now = self.now;
        let n = &mut self.nodes[id];
        if !n.alive {
            n.alive = true;
            n.holds_vips = false;
            n.router = Router::new(n.cfg.clone(), now);
        }
        n.router.handle_startup(now);
        self.drain(id);
    }

    /// Graceful shutdown (priority 0 advert if master).
    pub fn shutdown(&mut self, id: usize) {
        self.nodes[id].router.handle_shutdown(self.now);
        self.drain(id);
    }

    /// Crash: the router stops without a word.
    pub fn kill(&mut self, id: usize) {
        self.nodes[id].alive = false;
        self.trace.push(format!("{} r{} killed", self.now, id));
    }

    /// Put router `id` on segment `seg`: only routers on the same segment hear each other.
    pub fn set_segment(&mut self, id: usize, seg: u32) {
        self.nodes[id].segment = seg;
        self.trace
            .push(format!("{} r{} segment {}", self.now, id, seg));
    }

    /// Change the loss rate.
    pub fn set_loss_ppm(&mut self, ppm: u32) {
        self.cfg.loss_ppm = ppm;
    }

    /// Tracked object change on router `id`.
    pub fn track(&mut self, id: usize, index: usize, up: bool) {
        self.nodes[id].router.handle_track(self.now, index, up);
        self.drain(id);
    }

    /// Drain (or undrain) router `id` ([`Router::handle_drain`]).
    pub fn drain_router(&mut self, id: usize, on: bool) {
        self.nodes[id].router.handle_drain(self.now, on);
        self.drain(id);
    }

    /// Link change on router `id`.
    pub fn link(&mut self, id: usize, up: bool) {
        self.nodes[id].router.handle_link(self.now, up);
        self.drain(id);
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
            } else if let Some((_, id)) = next_timer {
                self.timers.pop();
                self.nodes[id].router.handle_timeout(self.now);
                self.drain(id);
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
        &self.nodes[id].router
    }
    /// Is router `id` running (not killed)?
    pub fn alive(&self, id: usize) -> bool {
        self.nodes[id].alive
    }
    /// Number of routers.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    /// True if there is no router.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// Live routers in Master for `vrid` on `segment`.
    pub fn masters(&self, vrid: Vrid, segment: u32) -> Vec<usize> {
        self.by_vrid[usize::from(vrid.get())]
            .iter()
            .copied()
            .filter(|&i| {
                let n = &self.nodes[i];
                n.alive && n.segment == segment && n.router.state() == State::Master
            })
            .collect()
    }
    /// When router `id` last sent an advert.
    pub fn last_sent(&self, id: usize) -> Option<Instant> {
        self.nodes[id].last_sent
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
        while let Some(&std::cmp::Reverse((at, id))) = self.timers.peek() {
            let n = &self.nodes[id];
            if n.alive && n.router.poll_timeout() == Some(at) {
                return Some((at, id));
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
        let adv = Advertisement {
            vrid: p.wire.vrid,
            priority: p.wire.priority,
            fields: p.wire.fields,
            addresses: p.wire.vips.as_addresses(),
        };
        // Discards are counted by the router; the simulator only moves packets.
        let _ = n.router.handle_advert(self.now, p.src, &adv);
        self.drain(p.to);
    }

    fn drain(&mut self, id: usize) {
        while let Some(o) = self.nodes[id].router.poll_output() {
            match o {
                Output::SendAdvert { priority } => self.send(id, priority),
                Output::AddVip(_) => self.nodes[id].holds_vips = true,
                Output::RemoveVip(_) => self.nodes[id].holds_vips = false,
                Output::StateChange { from, to, reason } => {
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
                Output::Announce { .. } | Output::Event(_) => {}
            }
        }
        let n = &self.nodes[id];
        if n.alive && n.holds_vips != (n.router.state() == State::Master) {
            self.violations.push(format!(
                "{} r{} state {:?} but holds_vips={}",
                self.now,
                id,
                n.router.state(),
                n.holds_vips
            ));
        }
        if let Some(at) = n.router.poll_timeout() {
            self.timers.push(std::cmp::Reverse((at, id)));
        }
    }

    fn send(&mut self, id: usize, priority: Priority) {
        let now = self.now;
        let n = &mut self.nodes[id];
        n.last_sent = Some(now);
        let adv = n.router.advert(priority);
        let wire = Rc::new(Wire {
            vrid: adv.vrid,
            priority: adv.priority,
            fields: adv.fields,
            vips: n.cfg.vips().clone(),
        });
        let (src, seg) = (n.cfg.primary(), n.segment);
        if self.cfg.trace_packets {
            self.trace
                .push(format!("{} r{} tx prio {}", now, id, priority.0));
        }
        let peers = &self.by_vrid[usize::from(wire.vrid.get())];
        for &to in peers {
            if to == id || !self.nodes[to].alive || self.nodes[to].segment != seg {
                continue;
            }
            if self.rng.below(1_000_000) < u64::from(self.cfg.loss_ppm) {
                if self.cfg.trace_packets {
                    self.trace.push(format!("{} r{} lost ->r{}", now, id, to));
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
                wire: Rc::clone(&wire),
            });
        }
    }
}
