//! A parsed `vrrp_instance` ([`Draft`]) turned into a checked [`VrrpInstance`]: its router's
//! configuration is built here, once, by vrrp-fsm's [`ConfigBuilder`], which holds the
//! protocol rules; its refusals become messages naming the instance's file and line. The
//! rules only a keepalived.conf has (required keywords, one family per VIP list, `auth_type
//! AH`, peers' family, what an interval vrrpd can hold) are checked here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use vrrp_fsm::{ConfigBuilder, ConfigError as Refusal, InitialState, Track, UnicastChecksum, Vips};
use vrrp_proto::{Auth, Centiseconds, Family, Priority, Version, Vrid};

use super::error::{ConfigError, Warning};
use super::families;
use super::model::{
    Config, FileTrack, Notify, ProcessRef, RouteLine, RuleLine, ScriptTrack, TrackFile, Tracked,
    VirtualAddress, VrrpInstance, VrrpScript,
};
use super::source::Loc;
use super::tree::Statement;
use super::values::{not_in_range, one_arg};

/// `auth_type` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AuthKind {
    /// `auth_type PASS`.
    Pass,
    /// `auth_type AH`: recognised, refused (not supported).
    Ah,
}

/// A `vrrp_instance` block as parsed, before the checks that need the whole file (the
/// `vrrp_script` weights, `global_defs`). Each field is the keyword of its name, as written.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub(super) name: String,
    pub(super) state: InitialState,
    pub(super) interface: String,
    pub(super) vrid: Option<Vrid>,
    pub(super) priority: Priority,
    pub(super) advert_int: Duration,
    /// The instance's `version` (None: `vrrp_version` of global_defs, or 3 for IPv6).
    pub(super) version: Option<Version>,
    pub(super) preempt: bool,
    pub(super) preempt_delay: Duration,
    pub(super) auth: Option<(AuthKind, String)>,
    pub(super) vips: Vec<VirtualAddress>,
    pub(super) excluded_vips: Vec<VirtualAddress>,
    pub(super) routes: Vec<RouteLine>,
    pub(super) rules: Vec<RuleLine>,
    /// `unicast_src_ip` or `mcast_src_ip` (keepalived keeps one source, the last written).
    pub(super) unicast_src_ip: Option<IpAddr>,
    pub(super) unicast_peers: Vec<IpAddr>,
    /// `unicast_peer { ADDR min_ttl N max_ttl N }`: the peers with a TTL range.
    pub(super) peer_ttl: Vec<(IpAddr, u8, u8)>,
    /// `unicast_ttl N`.
    pub(super) unicast_ttl: Option<u8>,
    /// `mcast_dst_ip ADDR`.
    pub(super) mcast_dst_ip: Option<IpAddr>,
    pub(super) track_interfaces: Vec<Tracked>,
    pub(super) track_scripts: Vec<Tracked>,
    pub(super) track_files: Vec<Tracked>,
    pub(super) dont_track_primary: bool,
    /// `track_process` lines, then (once read) its sync group's.
    pub(super) track_processes: Vec<ProcessRef>,
    pub(super) notify: Notify,
    pub(super) garp_master_delay: Duration,
    pub(super) garp_master_repeat: u32,
    pub(super) garp_master_refresh: Option<Duration>,
    pub(super) garp_master_refresh_repeat: u32,
    pub(super) notify_master_refresh: Option<Duration>,
    pub(super) notify_priority_changes: Option<bool>,
    pub(super) use_vmac: Option<Option<String>>,
    pub(super) accept: Option<bool>,
    /// Where `accept` / `no_accept` is written.
    pub(super) accept_loc: Option<Loc>,
    pub(super) lower_prio_no_advert: Option<bool>,
    /// `old_unicast_checksum [never]`, with the line it is on.
    pub(super) unicast_checksum: Option<(UnicastChecksum, Loc)>,
    pub(super) higher_prio_send_advert: Option<bool>,
    /// `strict_mode [BOOL]` (None: `vrrp_strict` of global_defs).
    pub(super) strict_mode: Option<bool>,
    /// Where `strict_mode` is written.
    pub(super) strict_loc: Option<Loc>,
    /// `skip_check_adv_addr [BOOL]` (default: global_defs' `vrrp_skip_check_adv_addr`).
    pub(super) skip_check_adv_addr: bool,
    /// `down_timer_adverts N` (default: global_defs' `vrrp_down_timer_adverts`).
    pub(super) down_timer_adverts: u32,
    pub(super) garp_lower_prio_repeat: Option<u32>,
    pub(super) garp_lower_prio_delay: Option<Duration>,
    pub(super) loc: Loc,
}

/// Check `d` and build its router's configuration. `scripts` gives the weights of the
/// `track_script` lines (each names a known script: unknown ones were dropped). What
/// keepalived warns about and goes on with is pushed to `warnings`.
pub(super) fn check(
    mut d: Draft,
    config: &Config,
    warnings: &mut Vec<Warning>,
) -> Result<VrrpInstance, ConfigError> {
    let (global, scripts, files) = (&config.global, &config.scripts[..], &config.track_files[..]);
    let fail = |msg: String| Err(ConfigError::invalid(&d.loc, msg));
    if d.interface.is_empty() {
        return fail(format!("vrrp_instance {} has no 'interface'", d.name));
    }
    let Some(vrid) = d.vrid else {
        return fail(format!(
            "vrrp_instance {} has no 'virtual_router_id'",
            d.name
        ));
    };
    let (version, family) = families::settle(&mut d, global, warnings)?;
    let settled = super::strict::settle(&mut d, global, version, warnings)?;
    let vips = vips(&d.vips, family);
    let name = &d.name;
    let fail = |msg: String| Err(ConfigError::invalid(&d.loc, msg));
    let Some(interval) = centiseconds(d.advert_int) else {
        return fail(interval_message(name, version, d.advert_int));
    };
    let auth = match &d.auth {
        None => Auth::None,
        Some((AuthKind::Ah, _)) => {
            return fail(format!(
                "vrrp_instance {name}: auth_type AH is not supported (use PASS or none)"
            ))
        }
        Some((AuthKind::Pass, p)) => Auth::password(p.as_bytes()),
    };
    let placeholder = match vips.family() {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let (group, ttl) = super::wire::settle(&d, global, family, warnings);
    let mut b = vrrp_fsm::Config::builder(vrid, d.unicast_src_ip.unwrap_or(placeholder), vips)
        .version(version)
        .priority(d.priority)
        .advert_interval(interval)
        .preempt(d.preempt)
        .preempt_delay(d.preempt_delay)
        .initial_state(d.state)
        .auth(auth)
        .accept_mode(settled.accept)
        .strict(settled.strict)
        .lower_prio_no_advert(settled.lower_prio_no_advert)
        .higher_prio_send_advert(settled.higher_prio_send_advert)
        .garp_lower_prio(
            settled.garp_lower_prio_repeat,
            Some(settled.garp_lower_prio_delay),
        )
        .garp_master_delay(Some(d.garp_master_delay).filter(|d| !d.is_zero()))
        .garp_master_repeat(d.garp_master_repeat)
        .garp_master_refresh(d.garp_master_refresh)
        .garp_master_refresh_repeat(d.garp_master_refresh_repeat)
        .track_primary(!d.dont_track_primary)
        .skip_check_adv_addr(d.skip_check_adv_addr)
        .down_timer_adverts(d.down_timer_adverts)
        .multicast_group(group)
        .unicast_ttl(ttl)
        .unicast_checksum(
            d.unicast_checksum
                .as_ref()
                .map_or(UnicastChecksum::Auto, |c| c.0),
        );
    for &(peer, min, max) in &d.peer_ttl {
        b = b.peer_ttl(peer, min, max);
    }
    if let Some((_, loc)) = &d.unicast_checksum {
        // keepalived: only a VRRPv3/IPv4 unicast checksum has a choice of destinations.
        if version != Version::V3 || family != Family::V4 || d.unicast_peers.is_empty() {
            warnings.push(Warning {
                loc: loc.clone(),
                message: format!(
                    "({name}) old_unicast_checksum has no effect: only VRRPv3 IPv4 unicast \
                     adverts have it"
                ),
            });
        }
    }
    let (b, script_tracks) = tracks(b, &d, scripts);
    let (b, file_tracks) =
        file_tracks(b, &d, files, d.track_interfaces.len() + script_tracks.len());
    let first = d.track_interfaces.len() + script_tracks.len() + file_tracks.len();
    let (b, address_links) = families::address_links(b, &d, first);
    let first = first + address_links.len();
    let (b, process_tracks) =
        super::process::tracks(b, &d.track_processes, &config.processes, first);
    let router = b.build().map_err(|r| refusal(&d, version, r))?;
    let family = router.family();
    if let Some(p) = d
        .unicast_peers
        .iter()
        .find(|a| a.is_ipv4() != (family == Family::V4))
    {
        return fail(format!(
            "vrrp_instance {name}: unicast_peer {p} is not of the virtual addresses' family"
        ));
    }
    Ok(VrrpInstance {
        name: d.name,
        interface: d.interface,
        router,
        vips: d.vips,
        excluded_vips: d.excluded_vips,
        routes: d.routes,
        rules: d.rules,
        address_links,
        unicast_src_ip: d.unicast_src_ip,
        unicast_peers: d.unicast_peers,
        track_interfaces: d.track_interfaces,
        script_tracks,
        file_tracks,
        process_tracks,
        notify: d.notify,
        notify_master_refresh: d.notify_master_refresh,
        notify_priority_changes: d.notify_priority_changes,
        use_vmac: d.use_vmac,
        loc: d.loc,
    })
}

/// The router's tracks: `track_interface` lines first, then `track_script` lines, in file
/// order; and which track index each script feeds.
fn tracks(
    mut b: ConfigBuilder,
    d: &Draft,
    scripts: &[VrrpScript],
) -> (ConfigBuilder, Vec<ScriptTrack>) {
    for t in &d.track_interfaces {
        b = b.track(Track::new(t.weight.unwrap_or(0)).reversed(t.reverse.unwrap_or(false)));
    }
    let mut script_tracks = Vec::new();
    for t in &d.track_scripts {
        let Some(s) = scripts.iter().find(|s| s.name == t.name) else {
            continue;
        };
        let weight = t.weight.unwrap_or(s.weight);
        let reverse = t.reverse.unwrap_or(s.weight_reverse);
        b = b.track(Track::new(weight).reversed(reverse));
        script_tracks.push(ScriptTrack {
            script: t.name.clone(),
            index: d.track_interfaces.len() + script_tracks.len(),
        });
    }
    (b, script_tracks)
}

/// The router's tracks for the `track_file` lines (each names a known block: unknown ones
/// were dropped), from index `first`: the line's weight and reverse, else the block's.
fn file_tracks(
    mut b: ConfigBuilder,
    d: &Draft,
    files: &[TrackFile],
    first: usize,
) -> (ConfigBuilder, Vec<FileTrack>) {
    let mut out = Vec::new();
    for t in &d.track_files {
        let Some(f) = files.iter().find(|f| f.name == t.name) else {
            continue;
        };
        let track =
            Track::new(t.weight.unwrap_or(f.weight)).reversed(t.reverse.unwrap_or(f.reverse));
        b = b.track(track);
        out.push(FileTrack {
            file: f.name.clone(),
            index: first + out.len(),
        });
    }
    (b, out)
}

/// The VIP list as the router's (all of one family: [`families::settle`] saw to it).
fn vips(list: &[VirtualAddress], family: Family) -> Vips {
    if family == Family::V6 {
        Vips::V6(
            list.iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V6(a) => Some(a),
                    IpAddr::V4(_) => None,
                })
                .collect(),
        )
    } else {
        Vips::V4(
            list.iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V4(a) => Some(a),
                    IpAddr::V6(_) => None,
                })
                .collect(),
        )
    }
}

/// `priority N`, by the router's rule ([`vrrp_fsm::check_priority`]), refused at its line.
pub(super) fn priority(s: &Statement) -> Result<Priority, ConfigError> {
    let text = one_arg(s)?;
    text.parse()
        .ok()
        .map(Priority)
        .filter(|p| vrrp_fsm::check_priority(*p).is_ok())
        .ok_or_else(|| not_in_range(s, text, 1, Priority::OWNER.0))
}

/// `garp_master_repeat N` (or the global `vrrp_garp_master_repeat`), by the router's rule
/// ([`vrrp_fsm::check_garp_repeat`]), refused at its line.
pub(super) fn garp_repeat(s: &Statement) -> Result<u32, ConfigError> {
    let text = one_arg(s)?;
    text.parse()
        .ok()
        .filter(|n| vrrp_fsm::check_garp_repeat(*n).is_ok())
        .ok_or_else(|| not_in_range(s, text, 1, vrrp_fsm::MAX_GARP_REPEAT))
}

/// `garp_lower_prio_repeat N` (or the global `vrrp_garp_lower_prio_repeat`): 0 (none) or
/// what [`vrrp_fsm::check_garp_repeat`] allows, refused at its line.
pub(super) fn garp_lower_repeat(s: &Statement) -> Result<u32, ConfigError> {
    let text = one_arg(s)?;
    text.parse()
        .ok()
        .filter(|n| *n == 0 || vrrp_fsm::check_garp_repeat(*n).is_ok())
        .ok_or_else(|| not_in_range(s, text, 0, vrrp_fsm::MAX_GARP_REPEAT))
}

/// `advert_int` in RFC 9568's 12-bit centiseconds (None above 40.95 s).
fn centiseconds(d: Duration) -> Option<Centiseconds> {
    let cs = u16::try_from(d.as_millis() / 10).ok()?;
    Centiseconds::new(cs)
}

/// Why `advert_int` is refused with `version`.
fn interval_message(name: &str, version: Version, d: Duration) -> String {
    match version {
        // RFC 3768: whole seconds, at least 1.
        Version::V2 if d.subsec_nanos() != 0 || d.is_zero() => {
            format!("vrrp_instance {name}: advert_int must be whole seconds (>= 1) with VRRPv2")
        }
        // RFC 3768 allows up to 255 s; vrrpd keeps every interval in RFC 9568's 12-bit
        // centiseconds, so it stops at 40 s.
        Version::V2 => {
            format!("vrrp_instance {name}: advert_int above 40 s is not supported by vrrpd")
        }
        // RFC 9568 §5.2.7: 12-bit centiseconds, 10 ms .. 40.95 s.
        Version::V3 => {
            format!("vrrp_instance {name}: advert_int must be from 0.01 to 40.95 s with VRRPv3")
        }
    }
}

/// vrrp-fsm's refusal, in keepalived.conf's words, at the instance's line.
fn refusal(d: &Draft, version: Version, r: Refusal) -> ConfigError {
    let name = &d.name;
    let msg = match r {
        Refusal::IntervalZero | Refusal::V2IntervalNotSeconds => {
            interval_message(name, version, d.advert_int)
        }
        Refusal::V2OverIpv6 => format!("vrrp_instance {name}: IPv6 needs VRRP version 3"),
        Refusal::V3Auth => {
            format!("vrrp_instance {name}: VRRPv3 has no authentication (RFC 9568 §9)")
        }
        Refusal::AddressCount(0) => format!("({name}) No VIP specified; at least one is required"),
        Refusal::AddressCount(n) => {
            format!("vrrp_instance {name}: {n} virtual addresses, at most 255")
        }
        Refusal::FamilyMismatch => format!(
            "vrrp_instance {name}: source address {} (unicast_src_ip / mcast_src_ip) is not of the virtual addresses' family",
            d.unicast_src_ip.map_or_else(String::new, |a| a.to_string())
        ),
        other => format!("vrrp_instance {name}: {other}"),
    };
    ConfigError::invalid(&d.loc, msg)
}

/// keepalived `old_unicast_checksum`: the old VRRPv3/IPv4 unicast checksum from the start;
/// `old_unicast_checksum never`: never switch to it. Another word is warned about and
/// ignored, as keepalived does ("Unknown old_unicast_chksum mode").
pub(super) fn unicast_checksum(
    s: &Statement,
    warnings: &mut Vec<Warning>,
) -> Option<(UnicastChecksum, Loc)> {
    let warn = |warnings: &mut Vec<Warning>, message: String| {
        warnings.push(Warning {
            loc: s.loc.clone(),
            message,
        })
    };
    if let Some(extra) = s.args.get(1) {
        warn(
            warnings,
            format!("old_unicast_checksum: extra word '{extra}' ignored"),
        );
    }
    let mode = match s.args.first().map(String::as_str) {
        None => UnicastChecksum::Old,
        Some("never") => UnicastChecksum::Never,
        Some(other) => {
            warn(
                warnings,
                format!("unknown old_unicast_checksum mode '{other}' ignored (expected 'never')"),
            );
            return None;
        }
    };
    Some((mode, s.loc.clone()))
}
