//! The VRRP state machine (`vrrp_fsm::Router`) driven by an arbitrary sequence of inputs,
//! with invariants checked after every step, then the same sequence again on a fresh router
//! to check determinism.
//!
//! Inputs: startup, shutdown, timeouts (time only moves forward, by arbitrary steps or
//! exactly to `poll_timeout()`), adverts (from a small address pool that includes the
//! router's primary and VIPs; arbitrary VRID / version / family / priority / interval /
//! auth), link, tracked objects, reconfigure (same or other identity), sync-group fault,
//! drain / undrain.
//!
//! Invariants, derived from vrrp-fsm/src/router.rs and RFC 9568 / RFC 3768 (§ in comments):
//! - StateChange outputs chain (`from` = previous `to`, from Initialize, `from != to`),
//!   with a reason that fits the transition, and end at `state()`;
//! - AddVip / RemoveVip / Announce only while Master (as told by the StateChange outputs so
//!   far); AddVip and Announce only of configured VIPs; RemoveVip only of held ones; after
//!   every step the held set is the configured VIPs in Master and empty otherwise;
//! - every transition to Master adds every VIP and sends an advert in the same step;
//! - SendAdvert only while Master (`state MASTER` below 255 starts as a silent Backup);
//!   priority 0 is followed in the same step by leaving Master for
//!   Initialize, Fault or (drain) Backup; any other priority is `priority()`;
//! - drained: never Master, and a Backup runs no Master_Down_Timer;
//! - `priority()` = base + weights (positive while up, negative while down; negated when
//!   `reverse`) clamped to 1..=254, or 255 for the owner (base 255) whatever the weights;
//! - Fault iff a fault cause holds (link down, weight-0 track down, or up when `reverse`,
//!   group fault) while running; the owner goes Master at once on startup (§6.4.1);
//! - discarded adverts other than LowerPriority produce no output and no state change; a
//!   Backup never leaves Backup on an advert; a Master that accepts a better advert goes
//!   Backup (§6.4.3), a worse one never moves it; priority 0 to a (not drained) Backup sets
//!   the Master_Down_Timer to Skew_Time (§6.4.2);
//! - timers: none in Initialize/Fault (nor in a drained Backup); in Master the next deadline
//!   is at most one Advertisement_Interval away; in Backup at most 4 Master_Adver_Intervals
//!   plus 1 s away; after `handle_timeout(now)` the next deadline is not before `now`, and
//!   calling it again at the same `now` at most twice moves it past `now` (known findings
//!   F1 and F2, tolerated unless VRRP_FUZZ_STRICT names them, see fuzz/README.md);
//! - reconfigure is refused iff VRID, version or family changes, and then changes nothing;
//! - determinism: the same inputs on a fresh router give the same outputs and states.
#![no_main]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vrrp_fsm::{
    Config, Discard, Event, InitialState, Instant, Output, Reason, Router, State, Track, Vips,
};
use vrrp_proto::{
    Addresses, Advertisement, Auth, Centiseconds, Priority, Seconds, Version, VersionFields, Vrid,
};

const V4: [Ipv4Addr; 8] = [
    Ipv4Addr::new(192, 0, 2, 1),
    Ipv4Addr::new(192, 0, 2, 2),
    Ipv4Addr::new(192, 0, 2, 3),
    Ipv4Addr::new(192, 0, 2, 10),
    Ipv4Addr::new(192, 0, 2, 11),
    Ipv4Addr::new(10, 0, 0, 1),
    Ipv4Addr::new(0, 0, 0, 0),
    Ipv4Addr::new(255, 255, 255, 255),
];
const V6: [Ipv6Addr; 8] = [
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2),
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 3),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x11),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::UNSPECIFIED,
    Ipv6Addr::new(
        0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    ),
];
const PASSWORDS: [[u8; 8]; 2] = [*b"secret\0\0", *b"other\0\0\0"];

fn v4(i: u8) -> Ipv4Addr {
    V4[usize::from(i) % V4.len()]
}
fn v6(i: u8) -> Ipv6Addr {
    V6[usize::from(i) % V6.len()]
}

/// A configuration, possibly invalid (the builder then refuses it and it is skipped).
#[derive(Debug, Clone, Arbitrary)]
struct CfgIn {
    vrid: u8,
    v2: bool,
    v6: bool,
    primary: u8,
    vips: Vec<u8>,
    priority: u8,
    interval: u16,
    accept: bool,
    preempt: bool,
    preempt_delay_ms: u32,
    initial_master: bool,
    auth: Option<u8>,
    garp_delay_ms: Option<u16>,
    garp_repeat: u8,
    garp_refresh_ms: Option<u16>,
    garp_refresh_repeat: u8,
    tracks: Vec<i16>,
    strict: bool,
}

/// What the harness needs to know of a built config (some fields have no accessor).
#[derive(Debug, Clone)]
struct Built {
    cfg: Config,
    garp_repeat: u32,
    garp_refresh_repeat: u32,
}

impl CfgIn {
    fn build(&self) -> Option<Built> {
        let vrid = Vrid::new(self.vrid)?;
        let version = if self.v2 { Version::V2 } else { Version::V3 };
        let (primary, vips) = if self.v6 {
            (
                IpAddr::V6(v6(self.primary)),
                Vips::V6(self.vips.iter().take(6).map(|&i| v6(i)).collect()),
            )
        } else {
            (
                IpAddr::V4(v4(self.primary)),
                Vips::V4(self.vips.iter().take(6).map(|&i| v4(i)).collect()),
            )
        };
        // Mostly valid intervals, sometimes anything (the builder judges).
        let cs = match self.interval % 4 {
            0 => self.interval >> 2,
            _ if self.v2 => ((self.interval >> 2) % 40 + 1) * 100,
            _ => (self.interval >> 2) % 4095 + 1,
        };
        let interval = Centiseconds::new(cs)?;
        let garp_repeat = u32::from(self.garp_repeat % 8);
        let garp_refresh_repeat = u32::from(self.garp_refresh_repeat % 4);
        let mut b = Config::builder(vrid, primary, vips)
            .version(version)
            .priority(Priority(self.priority))
            .advert_interval(interval)
            .accept_mode(self.accept)
            .preempt(self.preempt)
            .preempt_delay(Duration::from_millis(u64::from(
                self.preempt_delay_ms % 1_100_000,
            )))
            .initial_state(if self.initial_master {
                InitialState::Master
            } else {
                InitialState::Backup
            })
            .auth(match self.auth {
                None => Auth::None,
                Some(i) => Auth::SimplePassword(PASSWORDS[usize::from(i) % 2]),
            })
            .garp_master_delay(self.garp_delay_ms.map(|m| Duration::from_millis(m.into())))
            .garp_master_repeat(garp_repeat)
            .garp_master_refresh(
                self.garp_refresh_ms
                    .map(|m| Duration::from_millis(m.into())),
            )
            .garp_master_refresh_repeat(garp_refresh_repeat)
            .strict(self.strict);
        for &w in self.tracks.iter().take(4) {
            b = b.track(Track::new(i32::from(w % 300)).reversed(w % 7 == 0));
        }
        let cfg = b.build().ok()?;
        Some(Built {
            cfg,
            garp_repeat,
            garp_refresh_repeat,
        })
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct AdvIn {
    /// 0: other VRID, 1: other version, 2: other family, 3: from our primary, else ours.
    kind: u8,
    vrid: u8,
    /// 0: raw, 1: our priority, 2: ours ± 1, 3: 0 or 255.
    prio_kind: u8,
    prio: u8,
    src: u8,
    /// Empty: our VIPs.
    addrs: Vec<u8>,
    /// None: our interval.
    interval: Option<u16>,
    /// None: our auth.
    auth: Option<Option<u8>>,
}

#[derive(Debug, Clone, Arbitrary)]
enum Op {
    Startup,
    Shutdown,
    Timeout,
    TimeoutAtDeadline,
    Advert(AdvIn),
    Link(bool),
    Track(u8, bool),
    Reconfigure { keep_identity: bool, cfg: CfgIn },
    GroupFault(bool),
    Drain(bool),
}

#[derive(Debug, Clone, Arbitrary)]
struct Step {
    /// Time advanced before the op: value and unit (µs, ms, 10 ms, s).
    dt: u16,
    unit: u8,
    op: Op,
}

#[derive(Debug, Arbitrary)]
struct Input {
    cfg: CfgIn,
    steps: Vec<Step>,
}

/// Everything observable after a step, for the determinism check.
type Trace = Vec<(Vec<Output>, State, Priority, Option<Instant>)>;

fuzz_target!(|input: Input| {
    let Some(built) = input.cfg.build() else {
        return;
    };
    let steps = &input.steps[..input.steps.len().min(64)];
    let first = run(&built, steps);
    let second = run(&built, steps);
    assert_eq!(first, second, "same inputs, different outputs");
});

struct Harness {
    r: Router,
    b: Built,
    now: Instant,
    /// State as told by the StateChange outputs.
    told: State,
    held: BTreeSet<IpAddr>,
    track_up: Vec<bool>,
    link_up: bool,
    group_fault: bool,
    drained: bool,
}

fn run(built: &Built, steps: &[Step]) -> Trace {
    let now = Instant::from_micros(1_000_000);
    let mut h = Harness {
        r: Router::new(built.cfg.clone(), now),
        b: built.clone(),
        now,
        told: State::Initialize,
        held: BTreeSet::new(),
        track_up: vec![true; built.cfg.tracks().len()],
        link_up: true,
        group_fault: false,
        drained: false,
    };
    let mut trace = Trace::new();
    for step in steps {
        let unit = match step.unit % 4 {
            0 => 1,
            1 => 1_000,
            2 => 10_000,
            _ => 1_000_000,
        };
        h.now = h.now + Duration::from_micros(u64::from(step.dt) * unit);
        let outs = h.step(&step.op);
        trace.push((outs, h.r.state(), h.r.priority(), h.r.poll_timeout()));
    }
    trace
}

fn vip_set(cfg: &Config) -> BTreeSet<IpAddr> {
    cfg.vips().as_addresses().iter().collect()
}

fn faulted(h: &Harness) -> bool {
    !h.link_up
        || h.group_fault
        || h.r
            .config()
            .tracks()
            .iter()
            .zip(&h.track_up)
            .any(|(t, &up)| t.weight == 0 && up == t.reverse)
}

fn model_priority(h: &Harness) -> Priority {
    let cfg = h.r.config();
    if cfg.priority() == Priority::OWNER {
        return Priority::OWNER;
    }
    let sum: i32 = cfg
        .tracks()
        .iter()
        .zip(&h.track_up)
        .map(|(t, &up)| match ((t.weight > 0) == up, t.reverse) {
            (false, _) => 0,
            (true, false) => t.weight,
            (true, true) => -t.weight,
        })
        .sum();
    Priority((i32::from(cfg.priority().0) + sum).clamp(1, 254) as u8)
}

impl Harness {
    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.r.poll_output()).collect()
    }

    fn step(&mut self, op: &Op) -> Vec<Output> {
        let now = self.now;
        let before = self.r.state();
        let old_cfg = self.r.config().clone();
        let mut advert_result = None;
        let mut advert_seen = None;
        match op {
            Op::Startup => self.r.handle_startup(now),
            Op::Shutdown => self.r.handle_shutdown(now),
            Op::Timeout => self.timeout(),
            Op::TimeoutAtDeadline => {
                if let Some(t) = self.r.poll_timeout() {
                    self.now = self.now.max(t);
                }
                self.timeout();
            }
            Op::Advert(a) => {
                let (res, prio, beats) = self.advert(a);
                advert_result = Some(res);
                advert_seen = Some((prio, beats));
            }
            Op::Link(up) => {
                self.link_up = *up;
                self.r.handle_link(now, *up);
            }
            Op::Track(i, up) => {
                let i = usize::from(*i) % (self.track_up.len() + 1);
                if let Some(slot) = self.track_up.get_mut(i) {
                    *slot = *up;
                }
                self.r.handle_track(now, i, *up);
            }
            Op::Reconfigure { keep_identity, cfg } => {
                let mut cfg = cfg.clone();
                if *keep_identity {
                    let c = self.r.config();
                    cfg.vrid = c.vrid().get();
                    cfg.v2 = c.version() == Version::V2;
                    cfg.v6 = !c.primary().is_ipv4();
                }
                if let Some(nb) = cfg.build() {
                    let c = &nb.cfg;
                    let same = c.vrid() == old_cfg.vrid()
                        && c.version() == old_cfg.version()
                        && c.family() == old_cfg.family();
                    match self.r.handle_reconfigure(now, nb.cfg.clone()) {
                        Ok(()) => {
                            assert!(same, "reconfigure to another identity accepted");
                            assert_eq!(self.r.config(), &nb.cfg);
                            self.track_up.resize(nb.cfg.tracks().len(), true);
                            self.b = nb;
                        }
                        Err(e) => {
                            assert!(!same, "same-identity reconfigure refused: {e}");
                            assert_eq!(self.r.config(), &old_cfg);
                            assert_eq!(self.r.state(), before);
                        }
                    }
                }
            }
            Op::GroupFault(on) => {
                self.group_fault = *on;
                self.r.set_group_fault(now, *on);
            }
            Op::Drain(on) => {
                self.drained = *on;
                self.r.handle_drain(now, *on);
            }
        }
        let outs = self.drain();
        self.check(op, before, &old_cfg, &outs);
        if let (Some(res), Some((prio, beats))) = (advert_result, advert_seen) {
            self.check_advert(before, res, prio, beats, &outs);
        }
        outs
    }

    fn timeout(&mut self) {
        let now = self.now;
        self.r.handle_timeout(now);
        // Findings F1 (zero refresh re-armed at `now`) and F2 (stale refresh deadline after
        // a reconfigure), fixed in vrrp-fsm, broke this.
        let t = self.r.poll_timeout();
        assert!(
            t.is_none_or(|t| t >= now),
            "deadline {t:?} before now {now} right after handle_timeout"
        );
        // Liveness: a deadline at `now` (garp_master_delay 0) must clear on a re-call.
        // The extra outputs are checked with this step's (the caller drains after).
        let mut calls = 0;
        while self.r.poll_timeout().is_some_and(|t| t <= now) {
            calls += 1;
            if calls > 2 {
                panic!(
                    "handle_timeout({now}) called {calls} times, deadline still {:?}",
                    self.r.poll_timeout()
                );
            }
            self.r.handle_timeout(now);
        }
    }

    /// Build and feed an advert. Returns the result, its priority, and whether it
    /// beats us by RFC 9568 §6.4.3 (at the time it was received).
    fn advert(&mut self, a: &AdvIn) -> (Result<(), Discard>, Priority, bool) {
        let cfg = self.r.config().clone();
        let mut vrid = cfg.vrid();
        let mut v2 = cfg.version() == Version::V2;
        let mut is_v6 = !cfg.primary().is_ipv4();
        let mut src = if is_v6 {
            IpAddr::V6(v6(a.src))
        } else {
            IpAddr::V4(v4(a.src))
        };
        match a.kind % 8 {
            0 => vrid = Vrid::new(a.vrid).unwrap_or(vrid),
            1 => v2 = !v2,
            2 => {
                is_v6 = !is_v6;
                src = if is_v6 {
                    IpAddr::V6(v6(a.src))
                } else {
                    IpAddr::V4(v4(a.src))
                };
            }
            3 => src = cfg.primary(),
            _ => {}
        }
        if v2 && is_v6 {
            // No such advert decodes (RFC 3768 is IPv4 only).
            v2 = false;
        }
        let own = self.r.priority().0;
        let priority = Priority(match a.prio_kind % 4 {
            0 => a.prio,
            1 => own,
            2 if a.prio.is_multiple_of(2) => own.saturating_add(1),
            2 => own.saturating_sub(1),
            _ if a.prio.is_multiple_of(2) => 0,
            _ => 255,
        });
        let same_family = is_v6 != cfg.primary().is_ipv4();
        // decode() refuses an advert with no address: an empty list means ours (or one
        // pool address when the family is not ours).
        let pick = if a.addrs.is_empty() {
            vec![a.src]
        } else {
            a.addrs.iter().take(6).copied().collect()
        };
        let mine4: Vec<Ipv4Addr> = pick.iter().map(|&i| v4(i)).collect();
        let mine6: Vec<Ipv6Addr> = pick.iter().map(|&i| v6(i)).collect();
        let addresses = if a.addrs.is_empty() && same_family {
            cfg.vips().as_addresses()
        } else if is_v6 {
            Addresses::V6(&mine6)
        } else {
            Addresses::V4(&mine4)
        };
        let own_cs = cfg.advert_interval().as_millis() as u16 / 10;
        let fields = if v2 {
            let secs = match a.interval {
                None => (own_cs / 100).max(1) as u8,
                Some(s) => (s % 255 + 1) as u8,
            };
            let auth = match a.auth {
                None => self.auth_of(),
                Some(None) => Auth::None,
                Some(Some(i)) => Auth::SimplePassword(PASSWORDS[usize::from(i) % 2]),
            };
            VersionFields::V2 {
                interval: Seconds(secs),
                auth,
            }
        } else {
            let cs = match a.interval {
                None => own_cs.max(1),
                Some(c) => c % 4095 + 1,
            };
            VersionFields::V3 {
                interval: Centiseconds::new(cs).unwrap_or(Centiseconds::MAX),
            }
        };
        let adv = Advertisement {
            vrid,
            priority,
            fields,
            addresses,
        };
        let beats = advert_beats(priority, src, self.r.priority(), cfg.primary());
        (self.r.handle_advert(self.now, src, &adv), priority, beats)
    }

    fn auth_of(&self) -> Auth {
        // The config's auth has no accessor: rebuild it from an advert.
        match self.r.advert(Priority(1)).fields {
            VersionFields::V2 { auth, .. } => auth,
            VersionFields::V3 { .. } => Auth::None,
        }
    }

    fn check(&mut self, op: &Op, before: State, old_cfg: &Config, outs: &[Output]) {
        let cfg = self.r.config().clone();
        let vips = vip_set(&cfg);
        let old_vips = vip_set(old_cfg);
        let prio = self.r.priority();
        let mut removed = BTreeSet::new();
        let mut zero_sent = false;
        let mut became_master = false;
        let mut advert_after_master = false;
        for (n, o) in outs.iter().enumerate() {
            match *o {
                Output::StateChange { from, to, reason } => {
                    assert_eq!(from, self.told, "StateChange chain broken: {outs:?}");
                    assert_ne!(from, to, "StateChange to the same state");
                    let ok = match (from, to) {
                        (State::Initialize, State::Master) => reason == Reason::Owner,
                        // A drained owner starts as a Backup (reason Owner).
                        (State::Initialize, State::Backup) => {
                            reason == Reason::Startup || (self.drained && reason == Reason::Owner)
                        }
                        (State::Initialize, State::Fault) => reason == Reason::Startup,
                        (_, State::Initialize) => reason == Reason::Shutdown,
                        (State::Backup, State::Master) => {
                            matches!(reason, Reason::MasterDown | Reason::SyncGroup)
                        }
                        (State::Master, State::Backup) => matches!(
                            reason,
                            Reason::HigherPriority | Reason::SyncGroup | Reason::Drain
                        ),
                        (State::Fault, State::Backup | State::Master) => {
                            reason == Reason::FaultCleared
                        }
                        (State::Backup | State::Master, State::Fault) => matches!(
                            reason,
                            Reason::LinkDown | Reason::TrackDown | Reason::SyncGroup
                        ),
                        _ => false,
                    };
                    assert!(ok, "transition {from:?} -> {to:?} for {reason:?}");
                    if reason == Reason::Owner {
                        assert_eq!(prio, Priority::OWNER);
                    }
                    if from == State::Master && zero_sent {
                        // Shutdown, FAULT, or drain (handed over as on shutdown).
                        assert!(
                            matches!(to, State::Initialize | State::Fault)
                                || reason == Reason::Drain
                        );
                        zero_sent = false;
                    }
                    assert!(!(to == State::Master && self.drained), "drained but Master");
                    if to == State::Master {
                        became_master = true;
                        // §6.4.1 / §6.4.2: add the VIPs and send an advert.
                        let added: BTreeSet<IpAddr> = outs[n..]
                            .iter()
                            .filter_map(|o| match o {
                                Output::AddVip(a) => Some(*a),
                                _ => None,
                            })
                            .collect();
                        assert!(vips.is_subset(&added), "became Master without every VIP");
                        advert_after_master = outs[n..].iter().any(
                            |o| matches!(o, Output::SendAdvert { priority } if priority.0 != 0),
                        );
                    }
                    self.told = to;
                }
                Output::AddVip(a) => {
                    assert_eq!(self.told, State::Master, "AddVip outside Master");
                    assert!(vips.contains(&a), "AddVip of an unconfigured address");
                    self.held.insert(a);
                }
                Output::RemoveVip(a) => {
                    assert_eq!(self.told, State::Master, "RemoveVip outside Master");
                    assert!(
                        self.held.remove(&a) || removed.contains(&a),
                        "RemoveVip of an address not held: {a}"
                    );
                    assert!(vips.contains(&a) || old_vips.contains(&a));
                    removed.insert(a);
                }
                Output::Announce { addr, count } => {
                    assert_eq!(self.told, State::Master, "Announce outside Master");
                    assert!(self.held.contains(&addr), "Announce of an address not held");
                    assert!(
                        count == self.b.garp_repeat || count == self.b.garp_refresh_repeat,
                        "Announce count {count}"
                    );
                }
                Output::SendAdvert { priority } => {
                    // Only a Master advertises (`state MASTER` below 255 starts as Backup
                    // and sends nothing, as keepalived 2.2.7 does).
                    assert_eq!(self.told, State::Master, "SendAdvert outside Master");
                    if priority == Priority::SHUTDOWN {
                        zero_sent = true;
                    } else {
                        assert_eq!(priority, prio, "advert priority is not priority()");
                    }
                }
                // A priority change comes in any state, and says what priority() says.
                Output::Event(Event::PriorityChanged { old, new }) => {
                    assert_ne!(old, new, "PriorityChanged without a change");
                    assert_eq!(new, prio, "PriorityChanged to other than priority()");
                }
                Output::Event(_) => {
                    assert_eq!(self.told, State::Master, "Event outside Master");
                }
            }
        }
        assert!(
            !zero_sent,
            "priority 0 sent without leaving Master: {outs:?}"
        );
        assert_eq!(self.r.drained(), self.drained);
        if became_master {
            assert!(advert_after_master, "became Master without an advert");
        }
        let state = self.r.state();
        assert_eq!(
            self.told, state,
            "StateChange outputs disagree with state()"
        );
        if state == State::Master {
            assert_eq!(self.held, vips, "Master without exactly its VIPs");
        } else {
            assert!(
                self.held.is_empty(),
                "{state:?} still holding {:?}",
                self.held
            );
        }
        // keepalived weights; RFC 9568 §6.1 owner priority is 255 and only the owner's.
        assert_eq!(prio, model_priority(self), "priority()");
        assert_ne!(prio, Priority::SHUTDOWN);
        assert_eq!(prio == Priority::OWNER, cfg.priority() == Priority::OWNER);
        match state {
            State::Fault => assert!(faulted(self), "Fault without a cause"),
            State::Backup | State::Master => assert!(!faulted(self), "running while faulted"),
            State::Initialize => {}
        }
        if matches!(op, Op::Startup) && before == State::Initialize {
            assert_ne!(state, State::Initialize);
            if !faulted(self) && !self.drained && prio == Priority::OWNER {
                assert_eq!(state, State::Master, "§6.4.1: owner not Master at startup");
            }
        }
        let next = self.r.poll_timeout();
        match state {
            State::Initialize | State::Fault => assert_eq!(next, None, "timer in {state:?}"),
            State::Master => {
                let t = next.expect("Master with no timer");
                assert!(
                    t <= self.now + cfg.advert_interval(),
                    "Master's next advert late"
                );
            }
            // A drained Backup never times the master out: no timer.
            State::Backup if self.drained => assert_eq!(next, None, "drained Backup timer"),
            State::Backup => {
                let t = next.expect("Backup with no Master_Down_Timer");
                let bound = self.r.master_adver_interval() * 4 + Duration::from_secs(1);
                assert!(t <= self.now + bound, "Backup's Master_Down_Timer too far");
            }
        }
    }

    fn check_advert(
        &self,
        before: State,
        res: Result<(), Discard>,
        prio: Priority,
        beats: bool,
        outs: &[Output],
    ) {
        let after = self.r.state();
        match res {
            Err(Discard::LowerPriority) => {
                assert_ne!(prio, Priority::SHUTDOWN);
                assert_eq!(after, before);
                if before == State::Master {
                    assert!(!beats, "a better advert discarded by Master");
                }
            }
            Err(d) => {
                assert!(outs.is_empty(), "discarded ({d:?}) but outputs {outs:?}");
                assert_eq!(after, before);
                if matches!(before, State::Initialize | State::Fault) {
                    assert_eq!(d, Discard::NotRunning);
                }
            }
            Ok(()) => {
                assert!(matches!(before, State::Backup | State::Master));
                if before == State::Backup {
                    assert_eq!(after, State::Backup, "Backup moved on an advert");
                    if prio == Priority::SHUTDOWN && !self.drained {
                        // §6.4.2: Master_Down_Timer = Skew_Time.
                        let t = self.r.poll_timeout().expect("Backup timer");
                        assert!(t <= self.now + self.r.skew_time());
                    }
                } else if prio == Priority::SHUTDOWN || !beats {
                    assert_eq!(after, State::Master);
                } else {
                    // §6.4.3: a better advert makes the Master a Backup.
                    assert_eq!(after, State::Backup, "Master kept over a better advert");
                }
            }
        }
    }
}

/// RFC 9568 §6.4.3: higher priority, or equal priority and a greater primary address.
fn advert_beats(adv: Priority, src: IpAddr, local: Priority, local_addr: IpAddr) -> bool {
    adv > local || (adv == local && src > local_addr)
}
