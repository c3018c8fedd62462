//! What `vrrpd status` shows and SIGUSR1 dumps: every instance's state, effective priority,
//! master, timers and RFC 6527 / RFC 8347 counters, as serde values.

use serde::Serialize;
use vrrp_fsm::State;
use vrrp_net::Runner;

use super::words::state_word;

/// The whole daemon.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Process id.
    pub pid: u32,
    /// Configuration file in force.
    pub config: String,
    /// Seconds since the daemon started.
    pub uptime_s: f64,
    /// Successful reloads.
    pub reloads: u64,
    /// Reloads refused (bad new configuration; the old one kept running).
    pub reloads_failed: u64,
    /// One entry per running instance, in configuration order.
    pub instances: Vec<InstanceStatus>,
    /// Drops counted before any instance saw the packet (RFC 8347 global statistics).
    pub global: GlobalStatus,
    /// The runner's tables (gauges, not counts): a reload that replaces instances reuses
    /// freed slots.
    pub slots: SlotStatus,
    /// Script outcomes.
    pub scripts: ScriptStatus,
}

/// One `vrrp_instance`.
#[derive(Debug, Serialize)]
pub struct InstanceStatus {
    /// Instance name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// VRID.
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// "ipv4" or "ipv6".
    pub family: &'static str,
    /// keepalived's word: INIT, BACKUP, MASTER, FAULT.
    pub state: &'static str,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority in force (tracked weights applied).
    pub effective_priority: u8,
    /// Source of our adverts.
    pub source: String,
    /// The current master's address, if known (ours while MASTER).
    pub master: Option<String>,
    /// Virtual addresses with prefix.
    pub vips: Vec<String>,
    /// Configured advert interval, ms.
    pub advert_interval_ms: u64,
    /// Master_Adver_Interval in use, ms (v3 backups learn it).
    pub master_adver_interval_ms: u64,
    /// Master_Down_Interval, ms.
    pub master_down_interval_ms: u64,
    /// Skew_Time, ms.
    pub skew_time_ms: u64,
    /// Unicast peers (empty: multicast).
    pub unicast_peers: Vec<String>,
    /// Drained by `vrrpd drain` (stays Backup, never takes over).
    pub drained: bool,
    /// Dual-master episodes: as master, it heard an advert it wins (lower priority, or
    /// equal from a lower address) after none for a Master_Down_Interval. Being preempted
    /// by a higher priority is not one; each lower-priority advert is `master_rx_lower_pri`.
    pub dual_master: u64,
    /// Its interface is gone (deleted): FAULT until an interface of that name appears.
    pub interface_missing: bool,
    /// Last state change: Unix time in ms, and why (None before the first).
    pub last_transition_unix_ms: Option<u64>,
    /// Why the last state change happened (e.g. `MasterDown`, `HigherPriority`).
    pub last_transition_reason: Option<String>,
    /// Per-router statistics (RFC 6527 / RFC 8347 names).
    pub counters: RouterCountersStatus,
}

/// RFC 6527 / RFC 8347 per-router statistics plus our own drops.
#[derive(Debug, Serialize)]
pub struct RouterCountersStatus {
    pub master_transitions: u64,
    pub advertisement_rcvd: u64,
    pub advertisement_sent: u64,
    pub interval_errors: u64,
    pub priority_zero_pkts_rcvd: u64,
    pub priority_zero_pkts_sent: u64,
    pub invalid_type_pkts_rcvd: u64,
    pub address_list_errors: u64,
    pub packet_length_errors: u64,
    pub invalid_auth_type: u64,
    pub auth_type_mismatch: u64,
    pub auth_failures: u64,
    pub unknown_peer: u64,
    pub rcvd_while_down: u64,
    pub master_rx_lower_pri: u64,
    pub send_errors: u64,
    pub netlink_errors: u64,
    pub announce_errors: u64,
    /// Its interface was deleted under it (it went FAULT).
    pub interface_gone: u64,
    /// An interface of that name appeared again and it was bound to it.
    pub interface_back: u64,
    /// Becoming master, a VIP was already on the interface (kept, not an error).
    pub vip_already_present: u64,
    /// At start, a VIP already on the interface was removed (as keepalived does).
    pub stale_vip_removed: u64,
}

/// Router-wide drops.
#[derive(Debug, Serialize)]
pub struct GlobalStatus {
    pub checksum_errors: u64,
    pub version_errors: u64,
    pub vrid_errors: u64,
    pub ip_ttl_errors: u64,
    pub ip_header_errors: u64,
    /// Adverts for a VRID no instance runs on that interface.
    pub unknown_vrid: u64,
    /// Socket receive errors.
    pub recv_errors: u64,
    /// Link monitor receive-buffer overruns (ENOBUFS); after each, every link was read
    /// again and every instance brought in line.
    pub netlink_overruns: u64,
    /// Control-socket clients (`vrrpd status`, `drain`): the pool's counts.
    pub control_clients: ClientCounters,
    /// `--metrics-listen` clients: the pool's counts.
    pub metrics_clients: ClientCounters,
}

/// One client pool (control socket or metrics): what is open now and what was refused.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct ClientCounters {
    /// Clients connected now.
    pub open: u64,
    /// Bytes of replies not yet sent now (bounded by the pool's budget).
    pub reply_bytes: u64,
    /// Connections accepted from the listener (refused ones included).
    pub accepted: u64,
    /// Closed at once: the pool, or the unprivileged clients' share of it, was full.
    pub refused: u64,
    /// Unprivileged clients dropped to make room for root or the daemon's user.
    pub evicted: u64,
    /// Dropped for not finishing within the client timeout (2 s).
    pub timed_out: u64,
    /// Replies replaced by a short error (HTTP 503 for metrics): held unsent, they would
    /// have passed the pool's memory budget.
    pub over_budget: u64,
}

/// How full the runner's tables are (gauges).
#[derive(Debug, Serialize)]
pub struct SlotStatus {
    /// Instance slots allocated (live and free).
    pub runner_slots_allocated: usize,
    /// Instances live in them.
    pub runner_slots_live: usize,
    /// Raw VRRP sockets open (one per interface and family in use).
    pub sockets_open: usize,
    /// Slots of the socket table (open and free).
    pub socket_slots_allocated: usize,
}

/// Notify and check script outcomes.
#[derive(Debug, Default, Serialize)]
pub struct ScriptStatus {
    pub notify_run: u64,
    pub notify_ok: u64,
    pub notify_failed: u64,
    pub notify_timed_out: u64,
    pub notify_skipped: u64,
    pub notify_spawn_errors: u64,
    /// Events folded into the same hook's run already queued (at most one queued
    /// `notify_master_rx_lower_pri` / refresh `notify_master` per instance).
    pub notify_coalesced: u64,
    /// `vrrp_script` name → "ok" / "failed".
    pub checks: Vec<(String, &'static str)>,
}

/// Collect the instances' status from the runner (removed instances are left out);
/// `last_change` holds each instance's last transition (Unix ms, reason).
pub fn instances(
    runner: &Runner,
    last_change: &std::collections::HashMap<usize, (u64, String)>,
) -> Vec<InstanceStatus> {
    (0..runner.len())
        .filter_map(|i| {
            let info = runner.info(i)?;
            let r = runner.router(i)?;
            if info.removed {
                return None;
            }
            let cfg = r.config();
            let c = r.counters();
            let ms = |d: std::time::Duration| d.as_millis() as u64;
            Some(InstanceStatus {
                name: info.spec.name.clone(),
                interface: info.spec.interface.clone(),
                vrid: cfg.vrid().get(),
                version: match cfg.version() {
                    vrrp_proto::Version::V2 => 2,
                    _ => 3,
                },
                family: match cfg.family() {
                    vrrp_proto::Family::V4 => "ipv4",
                    vrrp_proto::Family::V6 => "ipv6",
                },
                state: state_word(r.state()),
                base_priority: cfg.priority().0,
                effective_priority: r.priority().0,
                source: info.spec.src.to_string(),
                master: info
                    .master
                    .filter(|_| matches!(r.state(), State::Master | State::Backup))
                    .map(|a| a.to_string()),
                vips: cfg
                    .vips()
                    .as_addresses()
                    .iter()
                    .map(|a| {
                        let p = info
                            .spec
                            .vips
                            .iter()
                            .find(|v| v.addr == a)
                            .map_or(if a.is_ipv4() { 32 } else { 128 }, |v| v.prefix_len);
                        format!("{a}/{p}")
                    })
                    .collect(),
                advert_interval_ms: ms(cfg.advert_interval()),
                master_adver_interval_ms: ms(r.master_adver_interval()),
                master_down_interval_ms: ms(r.master_down_interval()),
                skew_time_ms: ms(r.skew_time()),
                unicast_peers: info.spec.dsts.iter().map(|a| a.to_string()).collect(),
                drained: r.drained(),
                dual_master: c.dual_master,
                interface_missing: info.gone,
                last_transition_unix_ms: last_change.get(&i).map(|c| c.0),
                last_transition_reason: last_change.get(&i).map(|c| c.1.clone()),
                counters: RouterCountersStatus {
                    master_transitions: c.master_transitions,
                    advertisement_rcvd: c.adverts_rcvd,
                    advertisement_sent: c.adverts_sent,
                    interval_errors: c.interval_errors,
                    priority_zero_pkts_rcvd: c.priority_zero_rcvd,
                    priority_zero_pkts_sent: c.priority_zero_sent,
                    invalid_type_pkts_rcvd: c.invalid_type,
                    address_list_errors: c.address_list_errors,
                    packet_length_errors: c.packet_length_errors,
                    invalid_auth_type: c.invalid_auth_type,
                    auth_type_mismatch: c.auth_type_mismatch,
                    auth_failures: c.auth_failures,
                    unknown_peer: c.unknown_peer,
                    rcvd_while_down: c.rcvd_while_down,
                    master_rx_lower_pri: c.master_rx_lower_pri,
                    send_errors: info.os_errors.send,
                    netlink_errors: info.os_errors.netlink,
                    announce_errors: info.os_errors.announce,
                    interface_gone: info.churn.interface_gone,
                    interface_back: info.churn.interface_back,
                    vip_already_present: info.churn.vip_already_present,
                    stale_vip_removed: info.churn.stale_vip_removed,
                },
            })
        })
        .collect()
}

/// Router-wide drops from the runner, and the client pools' counts.
pub fn global(
    runner: &Runner,
    control_clients: ClientCounters,
    metrics_clients: ClientCounters,
) -> GlobalStatus {
    let g = runner.counters();
    GlobalStatus {
        checksum_errors: g.checksum_errors,
        version_errors: g.version_errors,
        vrid_errors: g.vrid_errors,
        ip_ttl_errors: g.ip_ttl_errors,
        ip_header_errors: g.ip_header_errors,
        unknown_vrid: runner.unknown_vrid(),
        recv_errors: runner.recv_errors(),
        control_clients,
        metrics_clients,
        netlink_overruns: runner.link_overruns(),
    }
}

/// How full the runner's tables are.
pub fn slots(runner: &Runner) -> SlotStatus {
    let (allocated, live) = runner.slot_counts();
    let (open, socket_slots) = runner.socket_counts();
    SlotStatus {
        runner_slots_allocated: allocated,
        runner_slots_live: live,
        sockets_open: open,
        socket_slots_allocated: socket_slots,
    }
}

/// keepalived's SIGUSR1 dump (`/tmp/keepalived.data`), in its spirit: one block per instance.
pub fn dump_text(s: &Status) -> String {
    let mut t = String::from("------< VRRP Topology >------\n");
    for i in &s.instances {
        t += &format!(
            " VRRP Instance = {}\n   State = {}\n   Interface = {}\n   Virtual Router ID = {}\n   \
             Version = {}\n   Base priority = {}\n   Effective priority = {}\n   \
             Master = {}\n   Advert interval = {} ms\n   Master down interval = {} ms\n   \
             Virtual IP = {}\n   Adverts received = {}\n   Adverts sent = {}\n   \
             Master transitions = {}\n",
            i.name,
            i.state,
            i.interface,
            i.vrid,
            i.version,
            i.base_priority,
            i.effective_priority,
            i.master.as_deref().unwrap_or("-"),
            i.advert_interval_ms,
            i.master_down_interval_ms,
            i.vips.join(" "),
            i.counters.advertisement_rcvd,
            i.counters.advertisement_sent,
            i.counters.master_transitions,
        );
    }
    t
}

/// The human form of `vrrpd status`: one line per instance.
pub fn table(v: &serde_json::Value) -> String {
    let mut t = format!(
        "{:<16} {:<10} {:>4} {:>2} {:<7} {:>4} {:<24} {}\n",
        "INSTANCE", "INTERFACE", "VRID", "V", "STATE", "PRIO", "MASTER", "VIPS"
    );
    let empty = Vec::new();
    for i in v["instances"].as_array().unwrap_or(&empty) {
        let s = |k: &str| i[k].as_str().unwrap_or("-").to_owned();
        let vips: Vec<&str> = i["vips"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        t += &format!(
            "{:<16} {:<10} {:>4} {:>2} {:<7} {:>4} {:<24} {}\n",
            s("name"),
            s("interface"),
            i["vrid"],
            i["version"],
            s("state"),
            i["effective_priority"],
            s("master"),
            vips.join(",")
        );
    }
    t
}
