//! The typed configuration: what vrrpd understands of keepalived.conf.

pub use super::process::{ParamMatch, ProcessRef, ProcessTrack, TrackProcess};
use super::source::Loc;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use vrrp_proto::Version;

/// keepalived `state MASTER` / `state BACKUP` is the router's own type.
pub use vrrp_fsm::InitialState;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// `global_defs`.
    pub global: GlobalDefs,
    /// `vrrp_script` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_process` blocks, in file order.
    pub processes: Vec<TrackProcess>,
    /// `vrrp_instance` blocks, in file order.
    pub instances: Vec<VrrpInstance>,
    /// `vrrp_sync_group` blocks, in file order.
    pub sync_groups: Vec<SyncGroup>,
    /// `static_ipaddress`: installed at start, removed at stop.
    pub static_addresses: Vec<VirtualAddress>,
    /// `static_routes`: installed at start (after the addresses), removed at stop.
    pub static_routes: Vec<RouteLine>,
    /// `static_rules`: installed at start (after the routes), removed at stop (first).
    pub static_rules: Vec<RuleLine>,
    /// `track_file` (or `vrrp_track_file`) blocks, in file order.
    pub track_files: Vec<TrackFile>,
    /// `net_namespace`, `instance` (top level).
    pub naming: super::naming::Naming,
}

/// A `virtual_routes` / `static_routes` line.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteLine {
    /// The route.
    pub route: vrrp_net::Route,
    /// Where it is written.
    pub loc: Loc,
}

/// A `virtual_rules` / `static_rules` line.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleLine {
    /// The rule.
    pub rule: vrrp_net::Rule,
    /// Where it is written.
    pub loc: Loc,
}

/// `global_defs { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalDefs {
    /// `router_id`.
    pub router_id: Option<String>,
    /// `vrrp_version` (default 2, as keepalived).
    pub vrrp_version: Version,
    /// `vrrp_strict`.
    pub vrrp_strict: bool,
    /// Where `vrrp_strict` is written.
    pub vrrp_strict_loc: Option<Loc>,
    /// `vrrp_skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    /// `vrrp_garp_interval`: least time between two gratuitous ARPs out of one interface.
    pub garp_interval: Duration,
    /// `vrrp_gna_interval`: least time between two unsolicited NAs out of one interface.
    pub gna_interval: Duration,
    /// `vrrp_garp_master_delay` default for instances.
    pub garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat` default for instances.
    pub garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh` default for instances (None = off).
    pub garp_master_refresh: Option<Duration>,
    /// `vrrp_garp_master_refresh_repeat` default for instances.
    pub garp_master_refresh_repeat: u32,
    /// `vrrp_v3_checksum_as_v2`-style: v3/IPv4 checksum without pseudo-header.
    pub v3_checksum_as_v2: bool,
    /// `script_user USER [GROUP]`.
    pub script_user: Option<(String, Option<String>)>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `vrrp_lower_prio_no_advert [<BOOL>]`: default of the instances'
    /// `lower_prio_no_advert` (keepalived: false).
    pub lower_prio_no_advert: bool,
    /// `vrrp_higher_prio_send_advert [<BOOL>]`: default of the instances'
    /// `higher_prio_send_advert` (keepalived: false).
    pub higher_prio_send_advert: bool,
    /// `vrrp_garp_lower_prio_repeat N` (None: `vrrp_garp_master_repeat`, as keepalived).
    pub garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_garp_lower_prio_delay SECONDS` (None: `vrrp_garp_master_delay`, as keepalived).
    pub garp_lower_prio_delay: Option<Duration>,
    /// `vrrp_down_timer_adverts N` (1 to 100, default 3): default of the instances'
    /// `down_timer_adverts`.
    pub down_timer_adverts: u32,
    /// `vrrp_mcast_group4 ADDR`: the group IPv4 multicast instances use (None: 224.0.0.18).
    pub mcast_group4: Option<IpAddr>,
    /// `vrrp_mcast_group6 ADDR`: the group IPv6 multicast instances use (None: ff02::12).
    pub mcast_group6: Option<IpAddr>,
    /// `vrrp_netlink_monitor_rcv_bufs BYTES`: the link monitor's receive buffer (None: the
    /// kernel's default, `net.core.rmem_default`; keepalived sets 64 KiB).
    pub netlink_monitor_rcv_bufs: Option<u32>,
    /// `vrrp_netlink_monitor_rcv_bufs_force [true|false]`: set it with SO_RCVBUFFORCE, past
    /// `net.core.rmem_max`.
    pub netlink_monitor_rcv_bufs_force: bool,
    /// `vrrp_startup_delay SECONDS`: at the daemon's start, instances enter Backup but
    /// take over no sooner than their Master_Down_Interval after this (None: off).
    pub startup_delay: Option<Duration>,
    /// Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, their scripts and flags).
    pub fifos: super::fifo::NotifyFifos,
    /// Where `global_defs` was (for messages).
    pub loc: Option<Loc>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: Version::V2,
            vrrp_strict: false,
            vrrp_strict_loc: None,
            skip_check_adv_addr: false,
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_master_refresh: None,
            garp_master_refresh_repeat: 1,
            v3_checksum_as_v2: false,
            script_user: None,
            enable_script_security: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            garp_lower_prio_repeat: None,
            garp_lower_prio_delay: None,
            down_timer_adverts: 3,
            mcast_group4: None,
            mcast_group6: None,
            netlink_monitor_rcv_bufs: None,
            netlink_monitor_rcv_bufs_force: false,
            startup_delay: None,
            fifos: Default::default(),
            loc: None,
        }
    }
}

/// `vrrp_script NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpScript {
    /// Its name, referenced from `track_script`.
    pub name: String,
    /// The command line (split by a shell-like rule at run time).
    pub script: String,
    /// `interval` (default 1 s).
    pub interval: Duration,
    /// `timeout` (default: the interval).
    pub timeout: Option<Duration>,
    /// `fall` (default 1).
    pub fall: u32,
    /// `rise` (default 1).
    pub rise: u32,
    /// `weight` (-254..=254, default 0 = failure means FAULT).
    pub weight: i32,
    /// `weight N reverse`.
    pub weight_reverse: bool,
    /// `user USER [GROUP]`.
    pub user: Option<(String, Option<String>)>,
    /// `init_fail`: start in the failed state.
    pub init_fail: bool,
    /// Where the block starts.
    pub loc: Loc,
}

/// One line of `virtual_ipaddress` or `virtual_ipaddress_excluded`, with keepalived
/// 2.2.7's defaults resolved (vrrp_ipaddress.c `alloc_ipaddress`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualAddress {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (default /32 or /128; with `peer`, /32 or /128 as keepalived makes it).
    pub prefix: u8,
    /// `dev IFNAME` (default: the instance's interface).
    pub dev: Option<String>,
    /// `label LABEL` (IPv4 only: keepalived drops it from IPv6 lines, with a warning).
    pub label: Option<String>,
    /// `scope SCOPE` as a number (0 global, 200 site, 253 link, 254 host, 255 nowhere;
    /// IPv6 is always global, as keepalived makes it).
    pub scope: u8,
    /// `brd ADDR`, `brd +` or `brd -`, resolved (IPv4 only).
    pub broadcast: Option<Ipv4Addr>,
    /// `peer ADDR` (IFA_ADDRESS).
    pub peer: Option<IpAddr>,
    /// `home` (IFA_F_HOMEADDRESS).
    pub home: bool,
    /// `-nodad`: duplicate address detection stays on (keepalived sets IFA_F_NODAD on
    /// every other IPv6 address).
    pub dad: bool,
    /// `mngtmpaddr` (IFA_F_MANAGETEMPADDR).
    pub mngtmpaddr: bool,
    /// `noprefixroute` (IFA_F_NOPREFIXROUTE).
    pub noprefixroute: bool,
    /// `autojoin` (IFA_F_MCAUTOJOIN).
    pub autojoin: bool,
    /// IPv6 `preferred_lft` in seconds (`forever`: `u32::MAX`); keepalived's default is 0
    /// (deprecated) for a /128 and forever otherwise. Not used for IPv4.
    pub preferred_lft: u32,
    /// `no_track`: an address on another interface does not make the instance track it.
    pub no_track: bool,
    /// Where it was written.
    pub loc: Loc,
}

/// A tracked object with an optional weight (`track_interface` / `track_script` lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// Interface or script name.
    pub name: String,
    /// `weight N` (None: not written: a script's or file's own weight, else 0, failure
    /// meaning FAULT).
    pub weight: Option<i32>,
    /// `weight N reverse` / `noreverse` (None: not written: a script's or file's own).
    pub reverse: Option<bool>,
    /// Where it was written.
    pub loc: Loc,
}

/// Notify hooks of an instance or a sync group. Each line is boxed: most instances have
/// none, and a thousand instances' unboxed lines would take 0.4 MiB at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    /// `notify_master`.
    pub master: Option<Box<NotifyLine>>,
    /// `notify_backup`.
    pub backup: Option<Box<NotifyLine>>,
    /// `notify_fault`.
    pub fault: Option<Box<NotifyLine>>,
    /// `notify_stop`.
    pub stop: Option<Box<NotifyLine>>,
    /// `notify` (generic, called with TYPE NAME STATE PRIORITY).
    pub generic: Option<Box<NotifyLine>>,
    /// `notify_master_rx_lower_pri`.
    pub master_rx_lower_pri: Option<Box<NotifyLine>>,
    /// `notify_deleted [SCRIPT]`'s script (instances only).
    pub deleted: Option<Box<NotifyLine>>,
    /// `notify_deleted` given: an instance removed by a reload is announced DELETED (its
    /// script, the generic `notify`, the FIFOs); without it, as keepalived, FAULT.
    pub report_deleted: bool,
}

/// One `notify* SCRIPT [USERNAME [GROUPNAME]]` line: the script (a command line, quoted
/// in the file when it has arguments) and the user it runs as (None: `script_user`, or
/// keepalived's default). Derefs to the command line. Two lines are equal when they run the
/// same command as the same user, wherever they are written.
#[derive(Debug, Clone)]
pub struct NotifyLine {
    /// The command line, split into argv when prepared.
    pub command: String,
    /// `USERNAME [GROUPNAME]`.
    pub user: Option<(String, Option<String>)>,
    /// Where it is written (None: made by a program), for messages about it.
    pub loc: Option<Loc>,
}

impl PartialEq for NotifyLine {
    fn eq(&self, other: &NotifyLine) -> bool {
        self.command == other.command && self.user == other.user
    }
}

impl Eq for NotifyLine {}

impl From<String> for NotifyLine {
    /// A line with no user.
    fn from(command: String) -> NotifyLine {
        NotifyLine {
            command,
            user: None,
            loc: None,
        }
    }
}

impl From<&str> for NotifyLine {
    /// A line with no user.
    fn from(command: &str) -> NotifyLine {
        NotifyLine::from(command.to_string())
    }
}

impl From<String> for Box<NotifyLine> {
    /// A boxed line with no user (as [`Notify`] holds them).
    fn from(command: String) -> Box<NotifyLine> {
        Box::new(NotifyLine::from(command))
    }
}

impl From<&str> for Box<NotifyLine> {
    /// A boxed line with no user.
    fn from(command: &str) -> Box<NotifyLine> {
        Box::new(NotifyLine::from(command))
    }
}

impl std::ops::Deref for NotifyLine {
    type Target = str;
    fn deref(&self) -> &str {
        &self.command
    }
}

/// `vrrp_instance NAME { ... }`, checked: the daemon's layer. What the router itself runs
/// is [`VrrpInstance::router`], vrrp-fsm's configuration, built and checked once when the
/// file is read; the rest is what only vrrpd needs (names, interfaces, VIP forms, peers,
/// tracked objects by name, hooks, where it is written).
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpInstance {
    /// Instance name.
    pub name: String,
    /// `interface`.
    pub interface: String,
    /// The router's configuration (VRID, version, priority, interval, auth, preempt,
    /// state, GARP, accept, strict, tracks...). Its primary address is `unicast_src_ip`, or
    /// the unspecified address of the family until the daemon reads the interface's
    /// ([`vrrp_fsm::Config::set_primary`]).
    pub router: vrrp_fsm::Config,
    /// `virtual_ipaddress`, all of one family (the router's VIPs, with their forms; those
    /// of the other family were dropped with keepalived's warning).
    pub vips: Vec<VirtualAddress>,
    /// `virtual_ipaddress_excluded` (either family), then the VIPs that did not fit in an
    /// advert (moved here with keepalived's warning).
    pub excluded_vips: Vec<VirtualAddress>,
    /// `virtual_routes`.
    pub routes: Vec<RouteLine>,
    /// `virtual_rules`.
    pub rules: Vec<RuleLine>,
    /// Interfaces holding the instance's addresses, other than its own, that it tracks as
    /// keepalived does (down: FAULT) unless every address there says `no_track`; with their
    /// track index in the router (after the `track_script` ones).
    pub address_links: Vec<(String, usize)>,
    /// `unicast_src_ip` or `mcast_src_ip`: the source of the adverts (None: the
    /// interface's first address of the family).
    pub unicast_src_ip: Option<IpAddr>,
    /// `unicast_peer`; empty means multicast.
    pub unicast_peers: Vec<IpAddr>,
    /// `track_interface`: the router's tracks `0..track_interfaces.len()`.
    pub track_interfaces: Vec<Tracked>,
    /// `track_script` lines naming a known `vrrp_script` (the others are dropped with a
    /// warning), resolved: the router's tracks after the interfaces'.
    pub script_tracks: Vec<ScriptTrack>,
    /// `track_file` lines (the instance's, then its sync group's) naming a known
    /// `track_file` block, resolved: the router's tracks after the scripts'.
    pub file_tracks: Vec<FileTrack>,
    /// `track_process` lines (the instance's, then its sync group's) naming a known
    /// `vrrp_track_process`, resolved: the router's tracks after the address links'.
    pub process_tracks: Vec<ProcessTrack>,
    /// notify hooks.
    pub notify: Notify,
    /// vrrpd's `notify_master_refresh SECONDS` (not in keepalived): while master, run
    /// `notify_master` again every SECONDS, so a VIP moved away by a cloud API behind our
    /// back is claimed again (None: off).
    pub notify_master_refresh: Option<Duration>,
    /// `notify_priority_changes [BOOL]` (None: the sync group's, else global_defs'
    /// `vrrp_notify_priority_changes`): effective priority changes go to the notify FIFOs.
    pub notify_priority_changes: Option<bool>,
    /// `use_vmac [NAME]`: Some(None) for the default name.
    pub use_vmac: Option<Option<String>>,
    /// Where the block starts.
    pub loc: Loc,
}

/// A `track_script` line resolved to the router's track index (its weight is in the
/// router's [`vrrp_fsm::Track`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTrack {
    /// The `vrrp_script` name.
    pub script: String,
    /// Index into the router's tracks (its weight and `reverse` are the router's).
    pub index: usize,
}

/// `vrrp_sync_group NAME { group { ... } ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroup {
    /// Group name.
    pub name: String,
    /// Member instance names, with where each is written.
    pub members: Vec<(String, Loc)>,
    /// `track_process` lines naming a known `vrrp_track_process` (each member tracks them).
    pub track_processes: Vec<ProcessRef>,
    /// Group notify hooks.
    pub notify: Notify,
    /// `notify_priority_changes [BOOL]`: default of its members'.
    pub notify_priority_changes: Option<bool>,
    /// `track_interface` lines, added to every member.
    pub track_interfaces: Vec<Tracked>,
    /// `track_script` lines, added to every member.
    pub track_scripts: Vec<Tracked>,
    /// `track_file` lines, added to every member.
    pub track_files: Vec<Tracked>,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): the members keep
    /// the weights of their own tracked objects.
    pub tracking_weight: bool,
    /// Where the block starts.
    pub loc: Loc,
}

/// `track_file NAME { ... }` (keepalived; `vrrp_track_file` is its older spelling): a file
/// holding a number that instances track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    /// Its name, referenced from `track_file` lines.
    pub name: String,
    /// `file PATH` (absolute).
    pub path: std::path::PathBuf,
    /// `weight N` (default 1): the value times N is added to the priority.
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `init_file [VALUE] [overwrite]`.
    pub init: Option<InitFile>,
    /// Where the block starts.
    pub loc: Loc,
}

/// `init_file [VALUE] [overwrite]`: write VALUE to the file at start if it is missing
/// (or, with `overwrite`, whatever it holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitFile {
    /// The value written (default 0).
    pub value: i32,
    /// `overwrite`: write it even if the file exists (not on a reload).
    pub overwrite: bool,
}

/// A `track_file` line resolved to the router's track index (its weight and reverse are in
/// the router's [`vrrp_fsm::Track`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTrack {
    /// The `track_file` block's name.
    pub file: String,
    /// Index into the router's tracks.
    pub index: usize,
}
