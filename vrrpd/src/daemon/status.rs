//! What `vrrpd status` shows and SIGUSR1 dumps: every instance's state, effective priority,
//! master, timers and RFC 6527 / RFC 8347 counters, as serde values.

use serde::{Serialize, Serializer};
use vrrp_fsm::{counter_table, CounterInfo, CounterTable, GlobalCounters, RouterCounters, State};
use vrrp_net::{ChurnCounters, OsErrors, Runner};

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
    /// The daemon's own counts (reloads).
    #[serde(flatten, serialize_with = "as_map")]
    pub daemon: DaemonCounters,
    /// One entry per running instance, in configuration order.
    pub instances: Vec<InstanceStatus>,
    /// Drops counted before any instance saw the packet (RFC 8347 global statistics).
    pub global: GlobalStatus,
    /// The runner's tables (gauges, not counts): a reload that replaces instances reuses
    /// freed slots.
    pub slots: SlotStatus,
    /// Script outcomes.
    pub scripts: ScriptStatus,
    /// `vrrp_track_process` blocks and the tracker's counts.
    pub processes: ProcessTracking,
    /// `track_file` blocks some instance tracks, with the value last read.
    pub track_files: Vec<TrackFileStatus>,
}

/// One watched `track_file` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackFileStatus {
    /// The block's name.
    pub name: String,
    /// `file PATH`.
    pub path: String,
    /// The number the file held when last read (0: missing, unreadable or empty).
    pub value: i64,
    /// `weight N` of the block.
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
}

/// `vrrp_track_process`: the tracker's counts and every block's count and quorum.
#[derive(Debug, Serialize)]
pub struct ProcessTracking {
    /// The tracker's counts (/proc passes, exits seen, table full).
    #[serde(flatten, serialize_with = "as_map")]
    pub counters: super::process::ProcessCounters,
    /// Each block, in file order.
    pub blocks: Vec<super::process::ProcessStatus>,
}

counter_table! {
    /// What the daemon itself counts.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct DaemonCounters {
        /// Successful reloads.
        reloads,
        /// Reloads refused (bad new configuration; the old one kept running).
        reloads_failed,
        /// Adding or removing a `static_ipaddress` / `static_routes` / `static_rules`
        /// entry failed.
        static_errors,
        /// Lines written to the notify FIFOs.
        fifo_lines_written,
        /// Lines dropped from the notify FIFOs (the reader did not keep up).
        fifo_lines_dropped,
    }
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
    /// `virtual_ipaddress_excluded` (and VIPs that did not fit in an advert), with prefix
    /// and, when not the instance's, their interface (`ADDR/P dev IF`).
    pub excluded_vips: Vec<String>,
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
    /// Its interface is gone (deleted): FAULT until an interface of that name appears.
    pub interface_missing: bool,
    /// Last state change: Unix time in ms, and why (None before the first).
    pub last_transition_unix_ms: Option<u64>,
    /// Why the last state change happened (e.g. `MasterDown`, `HigherPriority`).
    pub last_transition_reason: Option<String>,
    /// Its counters: the router's (RFC 6527 / RFC 8347 and our own drops), OS errors and
    /// interface churn, one flat object named by the counter tables.
    pub counters: InstanceCounters,
}

/// One instance's counter tables, shown as one flat object (names are unique across them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InstanceCounters {
    /// The state machine's statistics.
    #[serde(flatten, serialize_with = "as_map")]
    pub router: RouterCounters,
    /// OS errors met serving it.
    #[serde(flatten, serialize_with = "as_map")]
    pub os_errors: OsErrors,
    /// Its interface deleted and back, VIPs found already there.
    #[serde(flatten, serialize_with = "as_map")]
    pub churn: ChurnCounters,
}

impl InstanceCounters {
    /// Every counter with its value, table after table.
    pub fn iter(&self) -> impl Iterator<Item = (&'static CounterInfo, u64)> + '_ {
        self.router
            .counters()
            .chain(self.os_errors.counters())
            .chain(self.churn.counters())
    }
}

/// A counter table as a map of its names to its values.
fn as_map<T: CounterTable, S: Serializer>(t: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(t.counters().map(|(c, v)| (c.name, v)))
}

counter_table! {
    /// The runner's own counts of what reached no instance.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct RunnerCounters {
        /// Adverts for a VRID no instance runs on that interface.
        unknown_vrid,
        /// Socket receive errors.
        recv_errors,
        /// Link monitor receive-buffer overruns (ENOBUFS); after each, every link was read
        /// again and every instance brought in line.
        netlink_overruns,
    }
}

/// Router-wide drops.
#[derive(Debug, Serialize)]
pub struct GlobalStatus {
    /// Drops counted before any instance saw the packet (RFC 8347 global statistics).
    #[serde(flatten, serialize_with = "as_map")]
    pub counters: GlobalCounters,
    /// What the runner counted itself.
    #[serde(flatten, serialize_with = "as_map")]
    pub runner: RunnerCounters,
    /// Control-socket clients (`vrrpd status`, `drain`): the pool's counts.
    #[serde(serialize_with = "as_map")]
    pub control_clients: ClientCounters,
    /// `--metrics-listen` clients: the pool's counts.
    #[serde(serialize_with = "as_map")]
    pub metrics_clients: ClientCounters,
}

impl GlobalStatus {
    /// Every global counter with its value, table after table.
    pub fn iter(&self) -> impl Iterator<Item = (&'static CounterInfo, u64)> + '_ {
        self.counters.counters().chain(self.runner.counters())
    }
}

counter_table! {
    /// One client pool (control socket or metrics): what is open now and what was refused.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct ClientCounters {
        /// Clients connected now.
        open: gauge,
        /// Bytes of replies not yet sent now (bounded by the pool's budget).
        reply_bytes: gauge,
        /// Connections accepted from the listener (refused ones included).
        accepted,
        /// Closed at once: the pool, or the unprivileged clients' share of it, was full.
        refused,
        /// Unprivileged clients dropped to make room for root or the daemon's user.
        evicted,
        /// Dropped for not finishing within the client timeout (2 s).
        timed_out,
        /// Replies replaced by a short error (HTTP 503 for metrics): held unsent, they would
        /// have passed the pool's memory budget.
        over_budget,
    }
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
    /// Notify outcomes, counted.
    #[serde(flatten, serialize_with = "as_map")]
    pub notify: crate::scripts::notify::Counters,
    /// `vrrp_script` name → "ok" / "failed".
    pub checks: Vec<(String, &'static str)>,
}

/// Collect the instances' status from the runner (removed instances are left out);
/// `last_change` holds each instance's last transition (Unix ms, reason).
pub fn instances(
    runner: &Runner,
    last_change: &std::collections::HashMap<vrrp_fsm::InstanceId, (u64, vrrp_fsm::Reason)>,
) -> Vec<InstanceStatus> {
    runner
        .ids()
        .filter_map(|i| {
            let info = runner.info(i)?;
            let r = runner.router(i)?;
            let cfg = r.config();
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
                source: cfg.primary().to_string(),
                master: runner
                    .master(i)
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
                excluded_vips: info
                    .spec
                    .excluded
                    .iter()
                    .map(|v| match &v.dev {
                        Some(dev) => format!("{}/{} dev {dev}", v.addr, v.prefix_len),
                        None => format!("{}/{}", v.addr, v.prefix_len),
                    })
                    .collect(),
                advert_interval_ms: ms(cfg.advert_interval()),
                master_adver_interval_ms: ms(r.master_adver_interval()),
                master_down_interval_ms: ms(r.master_down_interval()),
                skew_time_ms: ms(r.skew_time()),
                unicast_peers: info.spec.peers.iter().map(|a| a.to_string()).collect(),
                drained: r.drained(),
                interface_missing: info.gone,
                last_transition_unix_ms: last_change.get(&i).map(|c| c.0),
                last_transition_reason: last_change.get(&i).map(|c| format!("{:?}", c.1)),
                counters: InstanceCounters {
                    router: r.counters().clone(),
                    os_errors: info.os_errors,
                    churn: info.churn,
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
    GlobalStatus {
        counters: runner.counters().clone(),
        runner: RunnerCounters {
            unknown_vrid: runner.unknown_vrid(),
            recv_errors: runner.recv_errors(),
            netlink_overruns: runner.link_overruns(),
        },
        control_clients,
        metrics_clients,
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

/// keepalived's SIGUSR1 dump (`/tmp/keepalived.data`), in its spirit: one block per
/// instance, then the global counters; every counter under its table name.
pub fn dump_text(s: &Status) -> String {
    let mut t = String::from("------< VRRP Topology >------\n");
    for i in &s.instances {
        t += &format!(
            " VRRP Instance = {}\n   State = {}\n   Interface = {}\n   Virtual Router ID = {}\n   \
             Version = {}\n   Base priority = {}\n   Effective priority = {}\n   \
             Master = {}\n   Advert interval = {} ms\n   Master down interval = {} ms\n   \
             Virtual IP = {}\n   Excluded virtual IP = {}\n",
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
            i.excluded_vips.join(", "),
        );
        dump_counters(&mut t, "   ", i.counters.iter());
    }
    if !s.track_files.is_empty() {
        // keepalived's dump_track_file.
        t += "------< VRRP Track files >------\n";
        for f in &s.track_files {
            let reverse = if f.reverse { " reverse" } else { "" };
            t += &format!(
                " Track file = {}\n   File = {}\n   Status = {}\n   Weight = {}{reverse}\n",
                f.name, f.path, f.value, f.weight
            );
        }
    }
    if !s.processes.blocks.is_empty() {
        t += "------< VRRP Track processes >------\n";
        for p in &s.processes.blocks {
            super::process::dump_text(&mut t, p);
        }
    }
    t += "------< Global counters >------\n";
    dump_counters(
        &mut t,
        " ",
        s.daemon
            .counters()
            .chain(s.global.iter())
            .chain(s.scripts.notify.counters())
            .chain(s.processes.counters.counters()),
    );
    for (pool, c) in [
        ("control_clients", &s.global.control_clients),
        ("metrics_clients", &s.global.metrics_clients),
    ] {
        t += &format!(" {pool}:\n");
        dump_counters(&mut t, "   ", c.counters());
    }
    t
}

/// One `name = value` line per counter, each line starting with `indent`.
fn dump_counters<'a>(
    t: &mut String,
    indent: &str,
    c: impl Iterator<Item = (&'a CounterInfo, u64)>,
) {
    for (c, v) in c {
        t.push_str(&format!("{indent}{} = {v}\n", c.name));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::metrics;

    fn one_instance(counters: InstanceCounters) -> Status {
        Status {
            pid: 1,
            config: "k.conf".into(),
            uptime_s: 1.0,
            daemon: DaemonCounters {
                reloads: 10,
                reloads_failed: 11,
                static_errors: 12,
                ..Default::default()
            },
            instances: vec![InstanceStatus {
                name: "VI_1".into(),
                interface: "eth0".into(),
                vrid: 51,
                version: 3,
                family: "ipv4",
                state: "MASTER",
                base_priority: 100,
                effective_priority: 100,
                source: "192.0.2.1".into(),
                master: Some("192.0.2.1".into()),
                vips: vec!["192.0.2.100/32".into()],
                excluded_vips: vec!["198.51.100.7/24 dev eth1".into()],
                advert_interval_ms: 1000,
                master_adver_interval_ms: 1000,
                master_down_interval_ms: 3609,
                skew_time_ms: 609,
                unicast_peers: vec![],
                drained: false,
                interface_missing: false,
                last_transition_unix_ms: None,
                last_transition_reason: None,
                counters,
            }],
            global: GlobalStatus {
                counters: GlobalCounters {
                    checksum_errors: 3,
                    ..Default::default()
                },
                runner: RunnerCounters {
                    unknown_vrid: 4,
                    ..Default::default()
                },
                control_clients: ClientCounters::default(),
                metrics_clients: ClientCounters {
                    open: 6,
                    refused: 7,
                    ..Default::default()
                },
            },
            slots: SlotStatus {
                runner_slots_allocated: 1,
                runner_slots_live: 1,
                sockets_open: 1,
                socket_slots_allocated: 1,
            },
            scripts: ScriptStatus {
                notify: crate::scripts::notify::Counters {
                    run: 5,
                    ..Default::default()
                },
                checks: vec![],
            },
            processes: ProcessTracking {
                counters: crate::daemon::process::ProcessCounters {
                    process_scans: 13,
                    ..Default::default()
                },
                blocks: vec![],
            },
            track_files: vec![TrackFileStatus {
                name: "chk".into(),
                path: "/run/chk".into(),
                value: -7,
                weight: 10,
                reverse: true,
            }],
        }
    }

    /// Tracked files show in status JSON and in the dump as keepalived dumps them.
    #[test]
    fn track_files_in_status_and_dump() {
        let s = one_instance(InstanceCounters::default());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["track_files"][0]["name"], "chk");
        assert_eq!(json["track_files"][0]["value"], -7);
        assert_eq!(json["track_files"][0]["reverse"], true);
        assert_eq!(
            json["instances"][0]["excluded_vips"][0],
            "198.51.100.7/24 dev eth1"
        );
        let text = dump_text(&s);
        assert!(
            text.contains("   Excluded virtual IP = 198.51.100.7/24 dev eth1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "------< VRRP Track files >------\n Track file = chk\n   File = /run/chk\n   \
                 Status = -7\n   Weight = 10 reverse\n"
            ),
            "{text}"
        );
    }

    /// Every entry of every counter table shows in status JSON, in the metrics text and in
    /// the dump, under its table name and with its value; adding an entry to a table is
    /// all it takes to show it.
    #[test]
    fn every_table_entry_is_in_status_metrics_and_dump() {
        let mut c = InstanceCounters::default();
        c.router.adverts_rcvd = 7;
        c.router.dual_master = 2;
        c.os_errors.send = 8;
        c.churn.interface_gone = 9;
        let s = one_instance(c);
        let json = serde_json::to_value(&s).unwrap();
        let text = metrics::render(&s);
        let dump = dump_text(&s);
        let labels = "instance=\"VI_1\",interface=\"eth0\",vrid=\"51\"";

        let instance: Vec<_> = s.instances[0].counters.iter().collect();
        let expected = RouterCounters::COUNTERS.len()
            + OsErrors::COUNTERS.len()
            + ChurnCounters::COUNTERS.len();
        assert_eq!(instance.len(), expected);
        let obj = json["instances"][0]["counters"].as_object().unwrap();
        assert_eq!(obj.len(), expected, "names unique across tables: {obj:?}");
        for (c, v) in instance {
            assert_eq!(obj[c.name], v, "status counters.{}", c.name);
            let line = format!("vrrp_instance_{}_total{{{labels}}} {v}\n", c.name);
            assert!(text.contains(&line), "no {line} in {text}");
            let help = match c.rfc {
                Some(rfc) => format!("{} {rfc}.", c.help),
                None => c.help.to_owned(),
            };
            let help = format!("# HELP vrrp_instance_{}_total {help}\n", c.name);
            assert!(text.contains(&help), "no {help}");
            assert!(dump.contains(&format!("   {} = {v}\n", c.name)), "{dump}");
        }

        let global: Vec<_> = s.global.iter().collect();
        assert_eq!(
            global.len(),
            GlobalCounters::COUNTERS.len() + RunnerCounters::COUNTERS.len()
        );
        for (c, v) in global {
            assert_eq!(json["global"][c.name], v, "status global.{}", c.name);
            let line = format!("vrrp_global_{}_total {v}\n", c.name);
            assert!(text.contains(&line), "no {line} in {text}");
            assert!(dump.contains(&format!(" {} = {v}\n", c.name)), "{dump}");
        }
        for (c, v) in s.daemon.counters() {
            assert_eq!(json[c.name], v, "status {}", c.name);
            let line = format!("vrrpd_{}_total {v}\n", c.name);
            assert!(text.contains(&line), "no {line} in {text}");
            assert!(dump.contains(&format!(" {} = {v}\n", c.name)), "{dump}");
        }
        for (c, v) in s.processes.counters.counters() {
            assert_eq!(json["processes"][c.name], v, "status processes.{}", c.name);
            let line = format!("vrrpd_{}_total {v}\n", c.name);
            assert!(text.contains(&line), "no {line} in {text}");
            assert!(dump.contains(&format!(" {} = {v}\n", c.name)), "{dump}");
        }
        for (c, v) in s.scripts.notify.counters() {
            assert_eq!(json["scripts"][c.name], v, "status scripts.{}", c.name);
            let line = format!("vrrp_script_{}_total {v}\n", c.name);
            assert!(text.contains(&line), "no {line} in {text}");
            assert!(dump.contains(&format!(" {} = {v}\n", c.name)), "{dump}");
        }

        for (server, pool) in [
            ("control", &s.global.control_clients),
            ("metrics", &s.global.metrics_clients),
        ] {
            let all: Vec<_> = pool.counters().collect();
            assert_eq!(all.len(), ClientCounters::COUNTERS.len());
            for (c, v) in all {
                let j = &json["global"][format!("{server}_clients")][c.name];
                assert_eq!(*j, v, "status global.{server}_clients.{}", c.name);
                let total = if c.gauge { "" } else { "_total" };
                let line = format!(
                    "vrrpd_clients_{}{total}{{server=\"{server}\"}} {v}\n",
                    c.name
                );
                assert!(text.contains(&line), "no {line} in {text}");
            }
        }
        assert!(dump.contains(" metrics_clients:\n   open = 6\n"), "{dump}");
        assert!(text.contains("# TYPE vrrpd_clients_open gauge\n"));
        assert!(text.contains("# TYPE vrrpd_clients_refused_total counter\n"));

        // The values set above, under the names the README gives.
        assert_eq!(json["instances"][0]["counters"]["adverts_rcvd"], 7);
        assert_eq!(json["instances"][0]["counters"]["dual_master"], 2);
        assert_eq!(json["instances"][0]["counters"]["send_errors"], 8);
        assert_eq!(json["instances"][0]["counters"]["interface_gone"], 9);
        assert_eq!(json["global"]["checksum_errors"], 3);
        assert_eq!(json["global"]["unknown_vrid"], 4);
        assert_eq!(json["scripts"]["notify_run"], 5);
        assert_eq!(json["reloads_failed"], 11);
        assert!(text.contains("vrrpd_reloads_failed_total 11\n"));
        assert!(text.contains(&format!("vrrp_instance_send_errors_total{{{labels}}} 8\n")));
        assert!(text.contains("vrrp_script_notify_run_total 5\n"));
        assert!(text.contains(
            "# HELP vrrp_instance_adverts_rcvd_total Adverts received. RFC 8347 advertisement-rcvd.\n"
        ));
        assert!(dump.contains("   dual_master = 2\n"), "{dump}");
    }
}
