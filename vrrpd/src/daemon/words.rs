//! keepalived's words for what the runner reports: vrrp-net returns typed values
//! ([`Happening`]), the daemon writes the lines — the same lines keepalived writes where it
//! has one, as people and tests grep for them.
//!
//! Lines a received packet can cause are bounded: a LAN host can send adverts at line rate,
//! so each kind of line has its own [`RateLimit`] per instance (one per daemon for socket
//! receive errors, which belong to no instance). A flood costs a counter increment per
//! packet, and the next line written says how many were suppressed.

use std::time::{Duration, Instant};

use log::{debug, info, warn};
use vrrp_fsm::{Event, InstanceId, State};
use vrrp_net::{Happening, InstanceNote, Runner, RunnerNote};

use super::rate_limit::RateLimit;

/// Lines of one kind written per window, then suppressed until the window ends.
const BURST: u32 = 5;
/// The window.
const WINDOW: Duration = Duration::from_secs(60);

/// A limiter with the daemon's bound on per-packet log lines.
const fn limiter() -> RateLimit {
    RateLimit::new(BURST, WINDOW)
}

/// One instance's limiters, one per kind of line a packet can cause.
#[derive(Debug, Clone)]
struct PacketLogs {
    /// keepalived's "Received advert from … with lower priority …" (one per packet).
    lower_priority: RateLimit,
    /// "dual master: …" (one per episode, itself at most one per Master_Down_Interval).
    dual_master: RateLimit,
    /// "sending advert: …" (a flood answered advert by advert can fail advert by advert).
    send_error: RateLimit,
}

impl Default for PacketLogs {
    fn default() -> Self {
        PacketLogs {
            lower_priority: limiter(),
            dual_master: limiter(),
            send_error: limiter(),
        }
    }
}

/// The daemon's writer of runner happenings, with its rate limits.
#[derive(Debug)]
pub(super) struct Words {
    /// By runner instance index.
    packets: Vec<PacketLogs>,
    /// Socket receive error lines.
    recv: RateLimit,
    /// The link monitor's overrun line (one a minute at most).
    overrun: RateLimit,
}

impl Default for Words {
    fn default() -> Self {
        Words {
            packets: Vec::new(),
            recv: limiter(),
            overrun: RateLimit::new(1, Duration::from_secs(60)),
        }
    }
}

/// keepalived's words for the states, as in its log lines.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

impl Words {
    /// Runner instance `i` is gone (its slot goes to the next instance added): its limits
    /// start afresh.
    pub(super) fn forget(&mut self, i: InstanceId) {
        if let Some(p) = self.packets.get_mut(i.0) {
            *p = PacketLogs::default();
        }
    }

    fn packets(&mut self, i: InstanceId) -> &mut PacketLogs {
        if self.packets.len() <= i.0 {
            self.packets.resize_with(i.0 + 1, PacketLogs::default);
        }
        &mut self.packets[i.0]
    }

    /// Write the line of `h`, if it has one (call it before the instance's slot is reused).
    pub(super) fn say(&mut self, runner: &Runner, h: &Happening) {
        let name_of = |i: InstanceId| runner.info(i).map_or("?", |info| info.spec.name.as_str());
        match h {
            Happening::StateChange {
                instance,
                from,
                to,
                reason,
                ..
            } => {
                let name = name_of(*instance);
                // keepalived's exact wording: people grep for it.
                info!("({name}) Entering {} STATE", state_word(*to));
                debug!(
                    "({name}) {} -> {}: {reason:?}",
                    state_word(*from),
                    state_word(*to)
                );
            }
            Happening::Event {
                instance,
                event,
                priority,
            } => {
                let name = name_of(*instance);
                let quiet = runner
                    .router(*instance)
                    .is_some_and(|r| r.config().lower_prio_no_advert());
                let logs = self.packets(*instance);
                say_event(logs, name, priority.0, quiet, *event);
            }
            Happening::Instance { instance, note } => {
                let name = name_of(*instance);
                let interface = runner.info(*instance).map_or("?", |i| &i.spec.interface);
                match note {
                    InstanceNote::SendFailed(e) => {
                        let logs = self.packets(*instance);
                        if let Some(n) = logs.send_error.allow(Instant::now()) {
                            warn!("({name}) sending advert: {e}{n}");
                        }
                    }
                    InstanceNote::VridTaken { link, vrid, by } => warn!(
                        "({name}) cannot run on {link} again: VRID {} is taken there by ({})",
                        vrid.get(),
                        name_of(*by)
                    ),
                    note => say_instance(name, interface, note),
                }
            }
            Happening::Runner(note) => self.say_runner(note),
            Happening::GroupState { .. } | Happening::Ready(_) => {}
        }
    }

    fn say_runner(&mut self, note: &RunnerNote) {
        match note {
            RunnerNote::LinkMonitorFailed(e) => warn!("link monitor: {e}"),
            RunnerNote::RouteMonitorFailed(e) => warn!("route monitor: {e}"),
            RunnerNote::LinkOverrun => {
                if let Some(s) = self.overrun.allow(Instant::now()) {
                    info!(
                        "Netlink: Receive buffer overrun on monitor socket - (No buffer space \
                         available); every link's state read again{s}"
                    );
                }
            }
            RunnerNote::ResyncFailed(e) => {
                warn!("link monitor: re-reading links after an overrun: {e}")
            }
            RunnerNote::InterfaceDeleted(name) => info!("Interface {name} deleted"),
            RunnerNote::InterfaceAdded(name) => info!("Interface {name} added"),
            RunnerNote::RecvFailed { ifname, error } => {
                if let Some(n) = self.recv.allow(Instant::now()) {
                    warn!("{ifname}: {error}{n}");
                }
            }
        }
    }
}

/// The line of a note of instance `name` on `interface` that is not rate-limited.
fn say_instance(name: &str, interface: &str, note: &InstanceNote) {
    match note {
        InstanceNote::StaleVipRemoved(addr) => {
            info!("({name}) removed {addr}, left behind by an earlier run")
        }
        InstanceNote::StaleVipRemoveFailed(addr, e) => {
            warn!("({name}) removing stale {addr}: {e}")
        }
        InstanceNote::VipAlreadyPresent(addr) => {
            info!("({name}) {addr} was already on {interface}, kept")
        }
        InstanceNote::VipAddFailed(addr, e) => warn!("({name}) adding {addr}: {e}"),
        InstanceNote::AddressInterfaceMissing(addr, dev) => {
            warn!("({name}) Not adding address {addr} to {dev} since interface doesn't exist")
        }
        InstanceNote::VipGoneWithInterface(addr) => {
            debug!("({name}) {addr}: interface gone, address gone with it")
        }
        InstanceNote::VipRemoveFailed(addr, e) => warn!("({name}) removing {addr}: {e}"),
        InstanceNote::AnnounceFailed(addr, e) => warn!("({name}) announcing {addr}: {e}"),
        InstanceNote::RebindFailed { link, error } => {
            warn!("({name}) cannot run on {link} again: {error}")
        }
        InstanceNote::VmacCreated(vmac) => info!("({name}) created VMAC interface {vmac}"),
        InstanceNote::VmacRecreateFailed { vmac, error } => {
            warn!("({name}) cannot create VMAC {vmac} again: {error}")
        }
        InstanceNote::StaleRouteRemoved(what) => {
            info!("({name}) removed {what}, left behind by an earlier run")
        }
        InstanceNote::RouteAlreadyPresent(what) => info!("({name}) {what} was already set, kept"),
        InstanceNote::AddressDeletedByOther(addr, prefix) => {
            warn!("({name}) address {addr}/{prefix} was deleted by someone else: leaving MASTER")
        }
        InstanceNote::RouteDeletedByOther(what) => {
            warn!("({name}) {what} was deleted by someone else: leaving MASTER")
        }
        InstanceNote::RouteAddFailed(what, e) => warn!("({name}) setting {what}: {e}"),
        InstanceNote::RouteRemoveFailed(what, e) => warn!("({name}) removing {what}: {e}"),
        InstanceNote::VmacDeleted => info!("({name}) deleted VMAC interface"),
        InstanceNote::VmacDeleteFailed(e) => warn!("({name}) deleting VMAC interface: {e}"),
        // Rate-limited or needing the runner: written by `Words::say`.
        InstanceNote::SendFailed(_) | InstanceNote::VridTaken { .. } => {}
    }
}

/// The log line of a router event, in keepalived's words where keepalived has one. The
/// per-packet ones are rate-limited per instance; a preemption is a state change (at most
/// one per Master_Down_Interval, as the router must take over again first). `ours` is our
/// priority when it happened; `quiet`, keepalived's `lower_prio_no_advert`.
fn say_event(logs: &mut PacketLogs, name: &str, ours: u8, quiet: bool, event: Event) {
    let now = Instant::now();
    match event {
        Event::MasterRxLowerPri { src, priority } => {
            if let Some(n) = logs.lower_priority.allow(now) {
                let forcing = if quiet { "" } else { ", forcing new election" };
                info!(
                    "({name}) Received advert from {src} with lower priority {}, ours {ours}{forcing}{n}",
                    priority.0
                );
            }
        }
        Event::DualMaster { src, priority } => {
            if let Some(n) = logs.dual_master.allow(now) {
                warn!(
                    "({name}) dual master: {src} advertises priority {} while we are master{n}",
                    priority.0
                );
            }
        }
        Event::Preempted { src, priority } if priority.0 > ours => info!(
            "({name}) Master received advert from {src} with higher priority {}, ours {ours}",
            priority.0
        ),
        Event::Preempted { src, priority } => info!(
            "({name}) Master received advert from {src} with same priority {} but higher IP address than ours",
            priority.0
        ),
        Event::PriorityChanged { old, new } => info!(
            "({name}) Changing effective priority from {} to {}",
            old.0, new.0
        ),
        Event::OldUnicastChecksum { src } => info!(
            "({name}) Setting unicast VRRPv3 checksum to old version (heard from {src})"
        ),
    }
}
