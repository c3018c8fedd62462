//! One virtual router: the Initialize / Backup / Master / Fault state machine.
//!
//! Inputs are `handle_*` methods, each taking `now`; outputs are drained with
//! [`Router::poll_output`]; the next deadline is [`Router::poll_timeout`].

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use vrrp_proto::{Advertisement, Priority, Seconds, Version, VersionFields};

use crate::config::{Config, ConfigError};
use crate::counters::RouterCounters;
use crate::election::{advert_beats_local, backup_accepts, effective_priority};
use crate::output::{Event, Output, Reason, State};
use crate::time::Instant;
use crate::timers::{master_down_interval, skew_time};
use crate::track::{combine, TrackStatus};

/// Why a received advert was not acted on (each one is also counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// Router in Initialize or Fault.
    NotRunning,
    /// VRID, version or family not this router's.
    NotMine,
    /// Our own advert, looped back.
    OwnAdvert,
    /// RFC 3768 §7.1: v2 interval differs from ours (interval-errors).
    IntervalMismatch,
    /// RFC 3768 §7.1: authentication failed (the vrrp-proto error says which counter).
    Auth(vrrp_proto::Error),
    /// keepalived `vrrp_strict`: the address list differs from ours.
    AddressList,
    /// RFC 9568 §6.4.2: lower priority while preempting; or §6.4.3 lower priority at master.
    LowerPriority,
}

/// A virtual router: the state machine's layer, one RFC 9568 router driven by its
/// [`Config`] and by time, adverts and tracked objects given as inputs
/// (an [`Endpoint`](crate::Endpoint) holds many and routes datagrams to them). See the
/// crate docs for the handle/poll loop.
#[derive(Debug, Clone)]
pub struct Router {
    cfg: Config,
    state: State,
    priority: Priority,
    track_status: Vec<TrackStatus>,
    link_up: bool,
    group_fault: bool,
    drained: bool,
    master_adver_interval: Duration,
    adver_timer: Option<Instant>,
    master_down_timer: Option<Instant>,
    preempt_at: Option<Instant>,
    garp_delay_at: Option<Instant>,
    garp_refresh_at: Option<Instant>,
    /// keepalived `garp_lower_prio_delay`: the second burst after a lower-priority advert.
    garp_lower_at: Option<Instant>,
    /// When the last `garp_lower_prio_repeat` burst went (one per advert interval at most).
    garp_lower_burst: Option<Instant>,
    /// When, as Master, it last heard an advert it wins (dual-master episodes).
    won_heard_at: Option<Instant>,
    /// The source of the last advert this Backup took (keepalived `skip_check_adv_addr`).
    backup_heard: Option<IpAddr>,
    /// keepalived `vrrp_startup_delay`: until then, Master_Down_Timer runs from this time.
    startup_hold: Option<Instant>,
    out: VecDeque<Output>,
    counters: RouterCounters,
}

impl Router {
    /// A router in Initialize. Tracked objects start up, the link up.
    pub fn new(cfg: Config, _now: Instant) -> Router {
        let mut r = Router {
            state: State::Initialize,
            priority: cfg.priority,
            track_status: vec![TrackStatus::Up; cfg.tracks.len()],
            link_up: true,
            group_fault: false,
            drained: false,
            master_adver_interval: cfg.advert_interval(),
            adver_timer: None,
            master_down_timer: None,
            preempt_at: None,
            garp_delay_at: None,
            garp_refresh_at: None,
            garp_lower_at: None,
            garp_lower_burst: None,
            won_heard_at: None,
            backup_heard: None,
            startup_hold: None,
            out: VecDeque::new(),
            counters: RouterCounters::default(),
            cfg,
        };
        r.priority = r.compute_priority();
        r
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }
    /// Effective priority (keepalived: base + tracked weights).
    pub fn priority(&self) -> Priority {
        self.priority
    }
    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    /// Statistics.
    pub fn counters(&self) -> &RouterCounters {
        &self.counters
    }
    /// Statistics, for the I/O layer to count decode errors it attributed to this router.
    pub fn counters_mut(&mut self) -> &mut RouterCounters {
        &mut self.counters
    }
    /// Master_Adver_Interval currently in use (v3 Backup learns it from the master).
    pub fn master_adver_interval(&self) -> Duration {
        self.master_adver_interval
    }
    /// Master_Down_Interval for the current priority and Master_Adver_Interval.
    pub fn master_down_interval(&self) -> Duration {
        let rfc = master_down_interval(self.cfg.version, self.priority, self.master_adver_interval);
        // keepalived `down_timer_adverts`: that many intervals instead of the RFC's 3.
        let n = self.cfg.down_timer_adverts;
        rfc + self.master_adver_interval * n.saturating_sub(3)
            - self.master_adver_interval * 3u32.saturating_sub(n)
    }
    /// Skew_Time for the current priority and Master_Adver_Interval.
    pub fn skew_time(&self) -> Duration {
        skew_time(self.cfg.version, self.priority, self.master_adver_interval)
    }

    /// RFC 9568 §6.1 Accept_Mode: should the I/O layer accept packets addressed to the VIPs?
    /// Only while Master, and always for the address owner (RFC 9568 §6.4.3).
    pub fn accepts_vip_traffic(&self) -> bool {
        self.state == State::Master && (self.cfg.accept_mode || self.priority == Priority::OWNER)
    }

    /// The advert to send for an [`Output::SendAdvert`], built from the current state.
    pub fn advert(&self, priority: Priority) -> Advertisement<'_> {
        let fields = match self.cfg.version {
            Version::V2 => VersionFields::V2 {
                // RFC 3768 §5.3.7: Adver Int in seconds (validated a whole number).
                interval: Seconds((self.cfg.interval.get() / 100) as u8),
                auth: self.cfg.auth,
            },
            Version::V3 => VersionFields::V3 {
                interval: self.cfg.interval,
            },
        };
        Advertisement {
            vrid: self.cfg.vrid,
            priority,
            fields,
            addresses: self.cfg.vips.as_addresses(),
        }
    }

    /// Next output, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Earliest deadline at which [`Router::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.adver_timer,
            self.master_down_timer,
            self.garp_delay_at,
            self.garp_refresh_at,
            self.garp_lower_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- inputs -------------------------------------------------------------------------

    /// RFC 9568 §6.4.1 Startup event.
    pub fn handle_startup(&mut self, now: Instant) {
        if self.state != State::Initialize {
            return;
        }
        if self.faulted() {
            self.enter_fault(Reason::Startup);
        } else if self.priority == Priority::OWNER && !self.held(now) {
            // RFC 9568 §6.4.1: priority 255 becomes Master at once.
            self.become_master(now, Reason::Owner);
        } else if self.priority == Priority::OWNER {
            // keepalived: an owner held by `vrrp_startup_delay` waits, announcing nothing
            // (keepalived keeps it in a silent Backup), and starts when the delay ends.
            self.master_down_timer = self.startup_hold;
        } else {
            // keepalived `state MASTER` below priority 255 starts the same way: keepalived
            // 2.2.7, measured here, sends nothing and takes over after Master_Down_Interval.
            self.become_backup(now, Reason::Startup);
        }
    }

    /// RFC 9568 §6.4.2 / §6.4.3 Shutdown event.
    pub fn handle_shutdown(&mut self, _now: Instant) {
        match self.state {
            State::Master => {
                // RFC 9568 §6.4.3: cancel Adver_Timer, send an advert with priority 0.
                self.send_advert(Priority::SHUTDOWN);
                self.remove_vips();
            }
            State::Backup | State::Fault => {}
            State::Initialize => {
                // A start held by `vrrp_startup_delay` does not happen.
                self.clear_timers();
                return;
            }
        }
        self.clear_timers();
        self.set_state(State::Initialize, Reason::Shutdown);
    }

    /// Deadlines reached. Calling it early or twice is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if due(self.master_down_timer, now) && self.state == State::Initialize {
            // An owner's start held by `vrrp_startup_delay` (see handle_startup).
            self.master_down_timer = None;
            self.handle_startup(now);
            return;
        }
        if due(self.master_down_timer, now) && self.state == State::Backup {
            // RFC 9568 §6.4.2: Master_Down_Timer fired.
            self.become_master(now, Reason::MasterDown);
            return;
        }
        if self.state != State::Master {
            return;
        }
        if let Some(deadline) = self.adver_timer.filter(|&d| d <= now) {
            // RFC 9568 §6.4.3: Adver_Timer fired: send an advert, reset the timer. From its
            // deadline: a caller that fires it a little late (an endpoint batching Masters)
            // does not slow the advert rate; one a whole interval late starts again from now.
            self.send_advert(self.priority);
            let interval = self.cfg.advert_interval();
            let next = deadline + interval;
            self.adver_timer = Some(if next > now { next } else { now + interval });
        }
        if due(self.garp_delay_at, now) {
            // keepalived `garp_master_delay`: the second burst.
            self.garp_delay_at = None;
            self.announce(self.cfg.garp_repeat);
        }
        if due(self.garp_lower_at, now) {
            // keepalived `garp_lower_prio_delay`: the second burst.
            self.garp_lower_at = None;
            self.announce(self.cfg.garp_lower_prio_repeat);
        }
        if due(self.garp_refresh_at, now) {
            // keepalived `garp_master_refresh` (a deadline left by a configuration that
            // no longer refreshes is dropped).
            self.garp_refresh_at = self.cfg.garp_refresh.map(|every| {
                self.announce(self.cfg.garp_refresh_repeat);
                now + every
            });
        }
    }

    /// A decoded advert from `src`. Returns why it was not acted on, if it was not.
    pub fn handle_advert(
        &mut self,
        now: Instant,
        src: IpAddr,
        adv: &Advertisement<'_>,
    ) -> Result<(), Discard> {
        self.check_advert(src, adv)?;
        self.counters.adverts_rcvd += 1;
        if adv.priority == Priority::SHUTDOWN {
            self.counters.priority_zero_rcvd += 1;
        }
        match self.state {
            State::Backup => self.backup_rx(now, src, adv),
            State::Master => self.master_rx(now, src, adv),
            State::Initialize | State::Fault => Err(Discard::NotRunning),
        }
    }

    /// Link (the VRRP interface, or a tracked one with weight 0) went up or down. With
    /// keepalived `dont_track_primary` ([`crate::ConfigBuilder::track_primary`]) it is
    /// noted but does not put the router in FAULT.
    pub fn handle_link(&mut self, now: Instant, up: bool) {
        self.link_up = up;
        self.refresh_fault(now, Reason::LinkDown);
    }

    /// Tracked object `index` (in [`Config::tracks`] order) is now up or down.
    /// An unknown index is ignored.
    pub fn handle_track(&mut self, now: Instant, index: usize, up: bool) {
        let status = if up {
            TrackStatus::Up
        } else {
            TrackStatus::Down
        };
        self.handle_track_status(now, index, status);
    }

    /// Tracked object `index` (in [`Config::tracks`] order) is now in `status` (a
    /// keepalived `track_file` gives its value). An unknown index is ignored.
    pub fn handle_track_status(&mut self, now: Instant, index: usize, status: TrackStatus) {
        let Some(slot) = self.track_status.get_mut(index) else {
            return;
        };
        *slot = status;
        let (old, new) = (self.priority, self.compute_priority());
        self.priority = new;
        if old != new {
            self.out
                .push_back(Output::Event(Event::PriorityChanged { old, new }));
        }
        self.refresh_fault(now, Reason::TrackDown);
    }

    /// New configuration. VRID, version and family must not change.
    pub fn handle_reconfigure(&mut self, now: Instant, cfg: Config) -> Result<(), ConfigError> {
        if cfg.vrid != self.cfg.vrid
            || cfg.version != self.cfg.version
            || cfg.family() != self.cfg.family()
        {
            return Err(ConfigError::IdentityChanged);
        }
        let old = std::mem::replace(&mut self.cfg, cfg);
        self.track_status
            .resize(self.cfg.tracks.len(), TrackStatus::Up);
        self.priority = self.compute_priority();
        if self.state == State::Master {
            for a in old.vips.as_addresses().iter() {
                if !self.cfg.vips.contains(a) {
                    self.out.push_back(Output::RemoveVip(a));
                }
            }
            for a in self.cfg.vips.as_addresses().iter() {
                if !old.vips.contains(a) {
                    self.out.push_back(Output::AddVip(a));
                    self.out.push_back(Output::Announce {
                        addr: a,
                        count: self.cfg.garp_repeat,
                    });
                }
            }
            // GARP refresh follows the new setting (a stale deadline would never clear).
            self.garp_refresh_at = self.cfg.garp_refresh.map(|d| now + d);
            // The next advert carries the new priority / VIPs / interval: send it now.
            self.send_advert(self.priority);
            self.adver_timer = Some(now + self.cfg.advert_interval());
        }
        self.refresh_fault(now, Reason::TrackDown);
        Ok(())
    }

    /// vrrpd `drain`: hand mastership over as on shutdown (priority-0 advert so a Backup
    /// takes over after Skew_Time, VIPs removed) but keep running as a Backup that never
    /// takes over, whatever it hears, until undrained. Undraining a Backup restarts its
    /// Master_Down_Timer, so normal election (and preemption) resumes.
    pub fn handle_drain(&mut self, now: Instant, on: bool) {
        if self.drained == on {
            return;
        }
        self.drained = on;
        match (on, self.state) {
            (true, State::Master) => {
                self.send_advert(Priority::SHUTDOWN);
                self.remove_vips();
                self.become_backup(now, Reason::Drain);
            }
            // A start held by `vrrp_startup_delay` still happens (as a drained Backup).
            (true, State::Initialize) => {}
            (true, _) => self.master_down_timer = None,
            (false, State::Backup) => self.arm_master_down(now, self.master_down_interval()),
            (false, _) => {}
        }
    }

    /// keepalived `set_vrrp_backup`: a Master gives mastership up (priority-0 advert, VIPs
    /// removed) and becomes a Backup whose Master_Down_Timer is only Skew_Time ("we want a
    /// quick transition back to master"): a router of higher priority that heard the
    /// priority-0 advert takes over; otherwise this one is master again at once, putting
    /// back what it holds. Nothing happens in any other state.
    pub fn handle_release(&mut self, now: Instant) {
        if self.state == State::Master {
            self.send_advert(Priority::SHUTDOWN);
            self.remove_vips();
            self.become_backup(now, Reason::Released);
            self.arm_master_down(now, self.skew_time());
        }
    }

    /// True while drained ([`Router::handle_drain`]).
    pub fn drained(&self) -> bool {
        self.drained
    }

    /// Sync group (keepalived `vrrp_sync_group`): impose or lift a group-wide FAULT.
    pub fn set_group_fault(&mut self, now: Instant, on: bool) {
        self.group_fault = on;
        self.refresh_fault(now, Reason::SyncGroup);
    }

    /// Sync group: follow a member that became Master (Backup → Master).
    pub fn sync_to_master(&mut self, now: Instant) {
        if self.state == State::Backup {
            self.become_master(now, Reason::SyncGroup);
        }
    }

    /// Sync group: follow a member that became Backup (Master → Backup).
    pub fn sync_to_backup(&mut self, now: Instant) {
        if self.state == State::Master {
            self.remove_vips();
            self.become_backup(now, Reason::SyncGroup);
        }
    }

    // ---- receive rules ------------------------------------------------------------------

    fn check_advert(&mut self, src: IpAddr, adv: &Advertisement<'_>) -> Result<(), Discard> {
        if matches!(self.state, State::Initialize | State::Fault) {
            self.counters.rcvd_while_down += 1;
            return Err(Discard::NotRunning);
        }
        // RFC 9568 §7.1: VRID, version and family must be this router's.
        if adv.vrid != self.cfg.vrid
            || adv.version() != self.cfg.version
            || adv.addresses.family() != self.cfg.family()
            || src.is_ipv4() != self.cfg.primary.is_ipv4()
        {
            self.counters.not_mine += 1;
            return Err(Discard::NotMine);
        }
        if src == self.cfg.primary {
            self.counters.own_advert += 1;
            return Err(Discard::OwnAdvert);
        }
        if let VersionFields::V2 { interval, .. } = adv.fields {
            // RFC 3768 §7.1: authenticate per the configured method.
            if let Err(e) = adv.check_auth(&self.cfg.auth) {
                if let vrrp_proto::Counter::Router(c) = e.counter() {
                    self.counters.incr(c);
                }
                return Err(Discard::Auth(e));
            }
            // RFC 3768 §7.1: MUST drop if Adver Interval differs from the local one.
            // (RFC 9568 v3 has no such rule: the Backup learns the interval.)
            if u16::from(interval.0) * 100 != self.cfg.interval.get() {
                self.counters.interval_errors += 1;
                return Err(Discard::IntervalMismatch);
            }
        }
        // RFC 9568 §7.1: MAY verify the address list; mismatch MUST be logged (counted).
        // keepalived drops only with `vrrp_strict`.
        // An advert without addresses (VRRPv2 from keepalived's VIP-less instance) is taken
        // only by a router without VIPs of its own, as the RFC's count >= 1 would have it
        // dropped otherwise.
        // keepalived `skip_check_adv_addr`: a Backup does not look again at the addresses of
        // the master it last heard.
        let skip = self.cfg.skip_check_adv_addr
            && self.state == State::Backup
            && self.backup_heard == Some(src);
        if !skip && !self.same_addresses(adv) {
            self.counters.address_list_errors += 1;
            if self.cfg.strict || adv.addresses.is_empty() {
                return Err(Discard::AddressList);
            }
        }
        Ok(())
    }

    fn same_addresses(&self, adv: &Advertisement<'_>) -> bool {
        adv.addresses.len() == self.cfg.vips.len()
            && adv.addresses.iter().all(|a| self.cfg.vips.contains(a))
    }

    /// RFC 9568 §6.4.2 Backup receiving an advert.
    fn backup_rx(
        &mut self,
        now: Instant,
        src: IpAddr,
        adv: &Advertisement<'_>,
    ) -> Result<(), Discard> {
        self.backup_heard = Some(src);
        if adv.priority == Priority::SHUTDOWN {
            // RFC 9568 §6.4.2: priority 0: Master_Down_Timer = Skew_Time.
            self.arm_master_down(now, self.skew_time());
            return Ok(());
        }
        let accepted = backup_accepts(self.cfg.preempt, adv.priority, self.priority)
            || self.preempt_delay_holds(now);
        if !accepted {
            // RFC 9568 §6.4.2: otherwise discard (we will preempt when the timer fires).
            return Err(Discard::LowerPriority);
        }
        if adv.priority >= self.priority {
            self.preempt_at = None;
        }
        // RFC 9568 §6.4.2: v3 Backup sets Master_Adver_Interval from the advert and
        // recomputes Skew_Time and Master_Down_Interval.
        if let VersionFields::V3 { interval } = adv.fields {
            self.master_adver_interval = interval.as_duration();
        }
        self.arm_master_down(now, self.master_down_interval());
        Ok(())
    }

    /// keepalived `preempt_delay`: a lower-priority master is tolerated until the delay,
    /// started at the first such advert, has run out.
    fn preempt_delay_holds(&mut self, now: Instant) -> bool {
        if self.cfg.preempt_delay.is_zero() {
            return false;
        }
        let until = *self.preempt_at.get_or_insert(now + self.cfg.preempt_delay);
        now < until
    }

    /// RFC 9568 §6.4.3 Master receiving an advert.
    fn master_rx(
        &mut self,
        now: Instant,
        src: IpAddr,
        adv: &Advertisement<'_>,
    ) -> Result<(), Discard> {
        if adv.priority == Priority::SHUTDOWN {
            // RFC 9568 §6.4.3: priority 0: send an advert at once, reset Adver_Timer.
            self.send_advert(self.priority);
            self.adver_timer = Some(now + self.cfg.advert_interval());
            return Ok(());
        }
        let priority = adv.priority;
        if advert_beats_local(priority, src, self.priority, self.cfg.primary) {
            // RFC 9568 §6.4.3: cancel Adver_Timer, learn the interval (v3), set
            // Master_Down_Timer, go Backup. A preemption (a planned failback looks the
            // same), not a dual master.
            self.out
                .push_back(Output::Event(Event::Preempted { src, priority }));
            // keepalived `higher_prio_send_advert`: one advert of ours on the way out.
            if self.cfg.higher_prio_send_advert {
                self.send_advert(self.priority);
            }
            if let VersionFields::V3 { interval } = adv.fields {
                self.master_adver_interval = interval.as_duration();
            }
            self.remove_vips();
            self.become_backup(now, Reason::HigherPriority);
            return Ok(());
        }
        self.note_dual_master(now, src, priority);
        // keepalived: a master hearing a lower priority advert raises
        // `notify_master_rx_lower_pri` and, unless `lower_prio_no_advert`, answers at once
        // so that the other side steps down (RFC 9568 §6.4.3 only discards it).
        self.counters.master_rx_lower_pri += 1;
        self.out
            .push_back(Output::Event(Event::MasterRxLowerPri { src, priority }));
        if !self.cfg.lower_prio_no_advert {
            self.send_advert(self.priority);
            self.adver_timer = Some(now + self.cfg.advert_interval());
        }
        // keepalived `garp_lower_prio_repeat` / `garp_lower_prio_delay`: claim the VIPs
        // again at once, and once more after the delay. keepalived does both for every such
        // advert; here at most one burst per Advertisement_Interval (a flood of adverts is
        // not answered by a flood of ARPs), and one pending second burst, moved on by each.
        let recent = self
            .garp_lower_burst
            .is_some_and(|t| now < t + self.cfg.advert_interval());
        if self.cfg.garp_lower_prio_repeat > 0 && !recent {
            self.garp_lower_burst = Some(now);
            self.announce(self.cfg.garp_lower_prio_repeat);
            self.garp_lower_at = self.cfg.garp_lower_prio_delay.map(|d| now + d);
        }
        Err(Discard::LowerPriority)
    }

    /// This Master heard an advert it wins: another master is on the segment. A new
    /// dual-master episode unless it heard one within the last Master_Down_Interval, so
    /// that a flood, or a split brain that lasts, counts once.
    fn note_dual_master(&mut self, now: Instant, src: IpAddr, priority: Priority) {
        let quiet = self.won_heard_at.map_or(true, |t| {
            now.saturating_duration_since(t) >= self.master_down_interval()
        });
        self.won_heard_at = Some(now);
        if quiet {
            self.counters.dual_master += 1;
            self.out
                .push_back(Output::Event(Event::DualMaster { src, priority }));
        }
    }

    // ---- transitions --------------------------------------------------------------------

    fn become_master(&mut self, now: Instant, reason: Reason) {
        if self.drained {
            // vrrpd drain: never take over; stay (or become) a Backup that waits.
            if self.state != State::Backup {
                self.become_backup(now, reason);
            }
            return;
        }
        self.clear_timers();
        self.set_state(State::Master, reason);
        self.counters.master_transitions += 1;
        for a in self.cfg.vips.as_addresses().iter() {
            self.out.push_back(Output::AddVip(a));
        }
        // RFC 9568 §6.4.1 / §6.4.2: send an advert, broadcast gratuitous ARP / NA,
        // set Adver_Timer to Advertisement_Interval.
        self.send_advert(self.priority);
        self.announce(self.cfg.garp_repeat);
        self.adver_timer = Some(now + self.cfg.advert_interval());
        // keepalived `garp_master_delay` / `garp_master_refresh`.
        self.garp_delay_at = self.cfg.garp_delay.map(|d| now + d);
        self.garp_refresh_at = self.cfg.garp_refresh.map(|d| now + d);
    }

    fn become_backup(&mut self, now: Instant, reason: Reason) {
        self.clear_timers();
        if reason != Reason::HigherPriority {
            // RFC 9568 §6.4.1: Master_Adver_Interval = Advertisement_Interval.
            self.master_adver_interval = self.cfg.advert_interval();
        }
        // RFC 9568 §6.4.1 / §6.4.3: Master_Down_Timer = Master_Down_Interval.
        self.arm_master_down(now, self.master_down_interval());
        self.set_state(State::Backup, reason);
    }

    fn enter_fault(&mut self, reason: Reason) {
        if self.state == State::Master {
            // keepalived: leaving master for FAULT sends priority 0 if the link still works.
            if self.link_up {
                self.send_advert(Priority::SHUTDOWN);
            }
            self.remove_vips();
        }
        self.clear_timers();
        self.set_state(State::Fault, reason);
    }

    /// keepalived FAULT: enter when a cause appears, leave (to Backup, or Master for the
    /// owner) when all causes have cleared.
    fn refresh_fault(&mut self, now: Instant, reason: Reason) {
        match (self.state, self.faulted()) {
            (State::Backup | State::Master, true) => self.enter_fault(reason),
            (State::Fault, false) if self.priority == Priority::OWNER => {
                self.become_master(now, Reason::FaultCleared)
            }
            (State::Fault, false) => self.become_backup(now, Reason::FaultCleared),
            _ => {}
        }
    }

    fn faulted(&self) -> bool {
        self.group_fault || self.own_fault()
    }

    /// A fault cause of this router's own (link down, weightless tracked object down),
    /// ignoring a FAULT imposed by its sync group.
    pub fn own_fault(&self) -> bool {
        (!self.link_up && self.cfg.track_primary) || combine(&self.cfg.tracks, &self.track_status).0
    }

    /// The effective priority: the base plus the tracked objects' weights (keepalived's
    /// rules: [`crate::track`]; the clamp: [`effective_priority`]).
    fn compute_priority(&self) -> Priority {
        effective_priority(
            self.cfg.priority,
            combine(&self.cfg.tracks, &self.track_status).1,
        )
    }

    fn set_state(&mut self, to: State, reason: Reason) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.out.push_back(Output::StateChange { from, to, reason });
        }
    }

    /// Master_Down_Timer to `now + after`, unless drained (a drained Backup never times the
    /// master out). keepalived `vrrp_startup_delay`: armed before the end of the delay, it
    /// counts from there instead (`vrrp_init_instance_sands`).
    fn arm_master_down(&mut self, now: Instant, after: Duration) {
        let from = if self.held(now) {
            self.startup_hold.unwrap_or(now)
        } else {
            self.startup_hold = None;
            now
        };
        self.master_down_timer = (!self.drained).then_some(from + after);
    }

    /// keepalived `vrrp_startup_delay`: hold this router until `until` (call before
    /// [`Router::handle_startup`]): no Master_Down_Timer armed before then expires sooner
    /// than its interval after `until`, and a priority-255 owner stays in Initialize until
    /// `until` (its [`Router::poll_timeout`]), then starts. A hold in the past does nothing.
    pub fn hold_startup_until(&mut self, until: Instant) {
        self.startup_hold = Some(until);
    }

    /// Whether a `vrrp_startup_delay` hold is still on at `now`.
    fn held(&self, now: Instant) -> bool {
        self.startup_hold.is_some_and(|h| now < h)
    }

    fn clear_timers(&mut self) {
        self.adver_timer = None;
        self.master_down_timer = None;
        self.preempt_at = None;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.garp_lower_at = None;
    }

    fn send_advert(&mut self, priority: Priority) {
        self.counters.adverts_sent += 1;
        if priority == Priority::SHUTDOWN {
            self.counters.priority_zero_sent += 1;
        }
        self.out.push_back(Output::SendAdvert { priority });
    }

    fn announce(&mut self, count: u32) {
        for addr in self.cfg.vips.as_addresses().iter() {
            self.out.push_back(Output::Announce { addr, count });
        }
    }

    fn remove_vips(&mut self) {
        for a in self.cfg.vips.as_addresses().iter() {
            self.out.push_back(Output::RemoveVip(a));
        }
    }
}

fn due(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| d <= now)
}
