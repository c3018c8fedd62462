//! From the statement tree to the typed [`Config`], collecting warnings.

use super::address::addresses;
use super::error::{ConfigError, Warning};
use super::model::*;
use super::router::{self, AuthKind, Draft};
use super::track::{self, Kind};
use super::tree::Statement;
use super::values::*;
use super::{not_applied, process, route, rule};
use std::time::Duration;
use vrrp_fsm::{MAX_PREEMPT_DELAY, MAX_WEIGHT};
use vrrp_proto::{Family, Priority, Version, Vrid};

/// Top-level blocks keepalived has that vrrpd does not implement: skipped with a warning.
pub const SKIPPED_BLOCKS: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "linkbeat_use_polling",
    "bfd_instance",
    "garp_group",
];

/// Everything built: the config and the warnings on the way.
#[derive(Debug)]
pub struct Built {
    /// The configuration.
    pub config: Config,
    /// Warnings, in file order.
    pub warnings: Vec<Warning>,
}

/// Builds a [`Config`] from top-level statements handed over one at a time.
#[derive(Default)]
pub struct Builder {
    config: Config,
    /// The `vrrp_instance` blocks, checked in [`Builder::finish`] (they need the whole file).
    drafts: Vec<Draft>,
    warnings: Vec<Warning>,
    /// Preferences of rules written without one (rule.rs).
    rule_priority: rule::NextPriority,
}

impl Builder {
    /// Take in one top-level statement.
    pub fn statement(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let b = self;
        if super::naming::root_keyword(&mut b.config.naming, stmt)? {
            return Ok(());
        }
        match stmt.keyword.as_str() {
            "global_defs" => b.global_defs(stmt)?,
            "vrrp_script" => b.script(stmt)?,
            "vrrp_track_process" => b.track_process(stmt)?,
            "vrrp_instance" => b.instance(stmt)?,
            "vrrp_sync_group" => b.sync_group(stmt)?,
            "track_file" | "vrrp_track_file" => {
                let f = track::block(stmt, &mut b.warnings)?;
                if let Some(dup) = b.config.track_files.iter().find(|o| o.name == f.name) {
                    return Err(ConfigError::invalid(
                        &stmt.loc,
                        format!("track_file {} already defined at {}", f.name, dup.loc),
                    ));
                }
                b.config.track_files.push(f);
            }
            "static_ipaddress" => b.static_addresses(stmt)?,
            "static_routes" => {
                let mut r = route::routes(stmt, &mut b.warnings)?;
                b.config.static_routes.append(&mut r);
            }
            "static_rules" => {
                let mut r = rule::rules(stmt, &mut b.rule_priority, &mut b.warnings)?;
                b.config.static_rules.append(&mut r);
            }
            kw if SKIPPED_BLOCKS.contains(&kw) => b.warn(
                stmt,
                format!("'{kw}' is not implemented by vrrpd (VRRP only); block skipped"),
            ),
            kw => {
                let what = if stmt.block.is_some() {
                    "block"
                } else {
                    "keyword"
                };
                b.warn(stmt, format!("unknown {what} '{kw}' ignored"));
            }
        }
        Ok(())
    }

    fn warn(&mut self, stmt: &Statement, message: String) {
        self.warnings.push(Warning {
            loc: stmt.loc.clone(),
            message,
        });
    }

    fn unknown(&mut self, stmt: &Statement, section: &str) {
        self.warn(
            stmt,
            format!("unknown keyword '{}' in {section} ignored", stmt.keyword),
        );
    }

    fn global_defs(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let g = &mut self.config.global;
        g.loc = Some(stmt.loc.clone());
        let mut unknown = Vec::new();
        let mut late = Vec::new();
        for s in stmt.children() {
            if super::fifo::global_keyword(&mut g.fifos, s, &mut self.warnings)? {
                continue;
            }
            match s.keyword.as_str() {
                "router_id" => g.router_id = Some(one_arg(s)?.to_string()),
                "vrrp_version" => g.vrrp_version = version(s)?,
                "vrrp_strict" => {
                    g.vrrp_strict = true;
                    g.vrrp_strict_loc = Some(s.loc.clone());
                }
                "vrrp_skip_check_adv_addr" => g.skip_check_adv_addr = true,
                "vrrp_garp_interval" | "vrrp_gna_interval" => {
                    let d = seconds_arg(s, 1000.0)?;
                    if s.keyword == "vrrp_garp_interval" {
                        g.garp_interval = d;
                    } else {
                        g.gna_interval = d;
                    }
                    // keepalived's notice.
                    if d >= Duration::from_secs(1) {
                        let secs = one_arg(s)?;
                        late.push((
                            s,
                            format!("The {} is very large - {secs} seconds", s.keyword),
                        ));
                    }
                }
                "vrrp_garp_master_refresh_repeat" => {
                    g.garp_master_refresh_repeat = garp_repeat(s, None, &mut late)?
                }
                "vrrp_down_timer_adverts" => g.down_timer_adverts = int_arg(s, 1u32, 100u32)?,
                "vrrp_mcast_group4" => {
                    g.mcast_group4 = Some(super::wire::group(s, Some(Family::V4), false)?)
                }
                "vrrp_mcast_group6" => {
                    let a = super::wire::group(s, Some(Family::V6), false)?;
                    if let Some(w) = super::wire::group6_warning(a) {
                        late.push((s, w));
                    }
                    g.mcast_group6 = Some(a);
                }
                "vrrp_min_garp" => {
                    if bool_arg(s)? {
                        min_garp(g);
                    }
                }
                "vrrp_garp_master_delay" => g.garp_master_delay = seconds_arg(s, 1000.0)?,
                "vrrp_garp_master_repeat" => {
                    g.garp_master_repeat = garp_repeat(s, None, &mut late)?
                }
                "vrrp_garp_master_refresh" => g.garp_master_refresh = refresh(s)?,
                "vrrp_garp_lower_prio_repeat" => {
                    g.garp_lower_prio_repeat = Some(router::garp_lower_repeat(s)?)
                }
                "vrrp_garp_lower_prio_delay" => {
                    g.garp_lower_prio_delay = Some(seconds_arg(s, 1000.0)?)
                }
                "vrrp_v3_checksum_as_v2" | "v3_checksum_as_v2" => g.v3_checksum_as_v2 = true,
                "script_user" => g.script_user = Some(user_group(s)?),
                "enable_script_security" => g.enable_script_security = true,
                "vrrp_lower_prio_no_advert" => g.lower_prio_no_advert = bool_arg(s)?,
                "vrrp_netlink_monitor_rcv_bufs" => {
                    g.netlink_monitor_rcv_bufs = Some(int_arg(s, 1u32, u32::MAX)?)
                }
                "vrrp_netlink_monitor_rcv_bufs_force" => {
                    g.netlink_monitor_rcv_bufs_force = bool_arg(s)?
                }
                "vrrp_startup_delay" => {
                    let (delay, warning) = startup_delay(s)?;
                    g.startup_delay = Some(delay);
                    if let Some(w) = warning {
                        late.push((s, w));
                    }
                }
                "vrrp_higher_prio_send_advert" => g.higher_prio_send_advert = bool_arg(s)?,
                // vrrpd always drops a unicast advert from a source that is not a peer.
                "vrrp_check_unicast_src" => no_args(s)?,
                kw if not_applied::NOT_APPLICABLE_GLOBAL.contains(&kw) => {
                    late.push((s, not_applied::not_applicable(kw)));
                }
                kw => match not_applied::NOT_APPLIED_GLOBAL
                    .iter()
                    .find(|(k, _)| *k == kw)
                {
                    Some((_, why)) => late.push((s, format!("'{kw}' ignored: {why}"))),
                    None => unknown.push(s),
                },
            }
        }
        for s in unknown {
            self.unknown(s, "global_defs");
        }
        for (s, w) in late {
            self.warn(s, w);
        }
        Ok(())
    }

    fn script(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let name = block_name(stmt)?;
        let mut script = VrrpScript {
            name,
            script: String::new(),
            interval: Duration::from_secs(1),
            timeout: None,
            fall: 1,
            rise: 1,
            weight: 0,
            weight_reverse: false,
            user: None,
            init_fail: false,
            loc: stmt.loc.clone(),
        };
        let mut unknown = Vec::new();
        for s in stmt.children() {
            match s.keyword.as_str() {
                "script" => script.script = command(s, &mut self.warnings)?,
                "interval" => script.interval = seconds_arg(s, 86_400.0)?,
                "timeout" => script.timeout = Some(seconds_arg(s, 86_400.0)?),
                "fall" => script.fall = int_arg(s, 1u32, 1_000_000u32)?,
                "rise" => script.rise = int_arg(s, 1u32, 1_000_000u32)?,
                "weight" => {
                    let (w, reverse) = weight(s)?;
                    script.weight = w;
                    script.weight_reverse = reverse;
                }
                "user" => script.user = Some(user_group(s)?),
                "init_fail" => {
                    no_args(s)?;
                    script.init_fail = true
                }
                _ => unknown.push(s),
            }
        }
        if script.script.is_empty() {
            return Err(ConfigError::invalid(
                &stmt.loc,
                format!("vrrp_script {} has no 'script'", script.name),
            ));
        }
        if script.interval.is_zero() {
            return Err(ConfigError::invalid(
                &stmt.loc,
                format!("vrrp_script {}: interval must be above 0", script.name),
            ));
        }
        for s in unknown {
            self.unknown(s, "vrrp_script");
        }
        // keepalived 2.2.7 keeps both silently and tracks the first; vrrpd refuses, so
        // that which health check runs is never a surprise.
        if let Some(dup) = self.config.scripts.iter().find(|o| o.name == script.name) {
            return Err(ConfigError::invalid(
                &stmt.loc,
                format!("vrrp_script {} already defined at {}", script.name, dup.loc),
            ));
        }
        self.config.scripts.push(script);
        Ok(())
    }

    /// `vrrp_track_process NAME { ... }` (config/process.rs); a name defined twice is
    /// refused, as for `vrrp_script`.
    fn track_process(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let p = process::block(stmt)?;
        if let Some(w) = process::comm_warning(&p) {
            self.warn(stmt, w);
        }
        if let Some(dup) = self.config.processes.iter().find(|o| o.name == p.name) {
            return Err(ConfigError::invalid(
                &stmt.loc,
                format!(
                    "vrrp_track_process {} already defined at {}",
                    p.name, dup.loc
                ),
            ));
        }
        self.config.processes.push(p);
        Ok(())
    }

    fn instance(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let g = &self.config.global;
        let mut i = Draft {
            name: block_name(stmt)?,
            state: InitialState::Backup,
            interface: String::new(),
            vrid: None,
            priority: Priority::DEFAULT,
            advert_int: Duration::from_secs(1),
            version: None,
            preempt: true,
            preempt_delay: Duration::ZERO,
            auth: None,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            peer_ttl: Vec::new(),
            unicast_ttl: None,
            mcast_dst_ip: None,
            track_interfaces: Vec::new(),
            track_scripts: Vec::new(),
            track_files: Vec::new(),
            dont_track_primary: false,
            track_processes: Vec::new(),
            notify: Notify::default(),
            garp_master_delay: g.garp_master_delay,
            garp_master_repeat: g.garp_master_repeat,
            garp_master_refresh: g.garp_master_refresh,
            garp_master_refresh_repeat: g.garp_master_refresh_repeat,
            notify_master_refresh: None,
            notify_priority_changes: None,
            use_vmac: None,
            accept: None,
            accept_loc: None,
            lower_prio_no_advert: None,
            unicast_checksum: None,
            higher_prio_send_advert: None,
            strict_mode: None,
            strict_loc: None,
            skip_check_adv_addr: g.skip_check_adv_addr,
            down_timer_adverts: g.down_timer_adverts,
            garp_lower_prio_repeat: None,
            garp_lower_prio_delay: None,
            loc: stmt.loc.clone(),
        };
        let mut unknown = Vec::new();
        let mut late = Vec::new();
        let mut native_ipv6 = None;
        let mut unicast_block = None;
        let mut unicast_src = false;
        let (mut priority_written, mut state_written) = (false, false);
        for s in stmt.children() {
            if notify_keyword(&mut i.notify, s, &mut self.warnings)? {
                continue;
            }
            match s.keyword.as_str() {
                "state" => {
                    i.state = state(s, i.state, &i.name, &mut late)?;
                    state_written = true;
                }
                "interface" => i.interface = one_arg(s)?.to_string(),
                "virtual_router_id" => i.vrid = Vrid::new(int_arg(s, 1u8, 255u8)?),
                "priority" => {
                    i.priority = router::priority(s)?;
                    priority_written = true;
                }
                "advert_int" => i.advert_int = seconds_arg(s, 255.0)?,
                "version" => i.version = Some(version(s)?),
                "nopreempt" => {
                    no_args(s)?;
                    i.preempt = false
                }
                "preempt" => i.preempt = true,
                "preempt_delay" => {
                    i.preempt_delay = seconds_arg(s, MAX_PREEMPT_DELAY.as_secs_f64())?
                }
                "authentication" => i.auth = authentication(s, &i.name, &mut self.warnings)?,
                "virtual_ipaddress" => i.vips = addresses(s, &mut self.warnings)?,
                "virtual_ipaddress_excluded" => i.excluded_vips = addresses(s, &mut self.warnings)?,
                "virtual_routes" => i.routes = route::routes(s, &mut self.warnings)?,
                "virtual_rules" => {
                    i.rules = rule::rules(s, &mut self.rule_priority, &mut self.warnings)?
                }
                "unicast_src_ip" => {
                    i.unicast_src_ip = Some(ip(s, one_arg(s)?)?);
                    unicast_src = true;
                }
                "mcast_src_ip" => i.unicast_src_ip = Some(ip(s, one_arg(s)?)?),
                "mcast_dst_ip" => i.mcast_dst_ip = Some(super::wire::group(s, None, true)?),
                "unicast_ttl" => i.unicast_ttl = Some(super::wire::ttl(s)?),
                "unicast_peer" => {
                    i.unicast_peers.clear();
                    i.peer_ttl.clear();
                    for line in s.children() {
                        let (addr, range) = super::wire::peer(line, &mut self.warnings)?;
                        i.unicast_peers.push(addr);
                        if let Some((min, max)) = range {
                            i.peer_ttl.push((addr, min, max));
                        }
                    }
                    unicast_block = Some(s.loc.clone());
                }
                "notify_master_refresh" => i.notify_master_refresh = refresh(s)?,
                "notify_priority_changes" => i.notify_priority_changes = Some(bool_arg(s)?),
                "track_interface" => {
                    i.track_interfaces =
                        track::lines(s, Kind::Interface, &i.name, &mut self.warnings)?
                }
                "track_script" => {
                    i.track_scripts = track::lines(s, Kind::Script, &i.name, &mut self.warnings)?
                }
                "track_file" => {
                    i.track_files = track::lines(s, Kind::File, &i.name, &mut self.warnings)?
                }
                "dont_track_primary" => {
                    no_args(s)?;
                    i.dont_track_primary = true
                }
                "track_process" => i.track_processes = process::refs(s)?,
                "garp_master_delay" => i.garp_master_delay = seconds_arg(s, 1000.0)?,
                "garp_master_repeat" => {
                    i.garp_master_repeat = garp_repeat(s, Some(&i.name), &mut late)?
                }
                "garp_master_refresh" => i.garp_master_refresh = refresh(s)?,
                "garp_master_refresh_repeat" => {
                    i.garp_master_refresh_repeat = garp_repeat(s, Some(&i.name), &mut late)?
                }
                "use_vmac" => i.use_vmac = Some(s.args.first().cloned()),
                "accept" | "no_accept" => {
                    i.accept = Some(s.keyword == "accept");
                    i.accept_loc = Some(s.loc.clone());
                }
                "lower_prio_no_advert" => i.lower_prio_no_advert = Some(bool_arg(s)?),
                "old_unicast_checksum" => {
                    i.unicast_checksum = router::unicast_checksum(s, &mut self.warnings)
                }
                "strict_mode" => {
                    i.strict_mode = Some(bool_arg(s)?);
                    i.strict_loc = Some(s.loc.clone());
                }
                "skip_check_adv_addr" => i.skip_check_adv_addr = bool_arg(s)?,
                "down_timer_adverts" => i.down_timer_adverts = int_arg(s, 1u32, 100u32)?,
                // keepalived: turns unicast's source check on; vrrpd always checks it.
                "check_unicast_src" => no_args(s)?,
                "garp_lower_prio_repeat" => {
                    i.garp_lower_prio_repeat = Some(router::garp_lower_repeat(s)?)
                }
                "garp_lower_prio_delay" => i.garp_lower_prio_delay = Some(seconds_arg(s, 1000.0)?),
                "higher_prio_send_advert" => i.higher_prio_send_advert = Some(bool_arg(s)?),
                "smtp_alert" => late.push((s, not_applied::not_applicable("smtp_alert"))),
                "debug" => late.push((
                    s,
                    "'debug' ignored: vrrpd's log detail is set with -D".to_string(),
                )),
                // keepalived: IPv6 and VRRPv3; vrrpd takes both from the VIPs.
                "native_ipv6" => native_ipv6 = Some(s),
                _ => unknown.push(s),
            }
        }
        // Unicast safety: keepalived silently falls back to multicast, which on a cloud
        // network means two masters. Refuse instead.
        if i.unicast_peers.is_empty() {
            if let Some(loc) = unicast_block {
                return Err(ConfigError::invalid(
                    &loc,
                    format!(
                        "vrrp_instance {}: unicast_peer lists no peer (refusing to fall back to multicast)",
                        i.name
                    ),
                ));
            }
            if unicast_src {
                return Err(ConfigError::invalid(
                    &stmt.loc,
                    format!(
                        "vrrp_instance {}: unicast_src_ip without unicast_peer (refusing to fall back to multicast)",
                        i.name
                    ),
                ));
            }
        }
        // keepalived: without `priority`, `state MASTER` means the address owner (255);
        // without `state`, priority 255 means MASTER.
        if !priority_written && i.state == InitialState::Master {
            i.priority = Priority::OWNER;
        }
        if !state_written && i.priority == Priority::OWNER {
            i.state = InitialState::Master;
        }
        if let Some(s) = native_ipv6 {
            if i.vips.iter().any(|v| v.addr.is_ipv4()) {
                late.push((
                    s,
                    format!(
                        "({}) Cannot specify native_ipv6 with IPv4 addresses",
                        i.name
                    ),
                ));
            }
        }
        for s in unknown {
            self.unknown(s, "vrrp_instance");
        }
        for (s, w) in late {
            self.warn(s, w);
        }
        self.drafts.push(i);
        Ok(())
    }

    /// `static_ipaddress`: `virtual_ipaddress` lines, each with its `dev`.
    fn static_addresses(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        for a in addresses(stmt, &mut self.warnings)? {
            if a.dev.is_none() {
                return Err(ConfigError::invalid(
                    &a.loc,
                    format!(
                        "static_ipaddress {}: needs 'dev' (keepalived would use its default_interface, which vrrpd does not have)",
                        a.addr
                    ),
                ));
            }
            self.config.static_addresses.push(a);
        }
        Ok(())
    }

    fn sync_group(&mut self, stmt: &Statement) -> Result<(), ConfigError> {
        let mut group = SyncGroup {
            name: block_name(stmt)?,
            members: Vec::new(),
            track_processes: Vec::new(),
            notify: Notify::default(),
            notify_priority_changes: None,
            track_interfaces: Vec::new(),
            track_scripts: Vec::new(),
            track_files: Vec::new(),
            tracking_weight: false,
            loc: stmt.loc.clone(),
        };
        let mut unknown = Vec::new();
        for s in stmt.children() {
            // keepalived has no `notify_master_rx_lower_pri` or `notify_deleted` for a group:
            // unknown there.
            if !matches!(
                s.keyword.as_str(),
                "notify_master_rx_lower_pri" | "notify_deleted"
            ) && notify_keyword(&mut group.notify, s, &mut self.warnings)?
            {
                continue;
            }
            match s.keyword.as_str() {
                "group" => {
                    for m in s.children() {
                        list_line(m)?;
                        group.members.push((m.keyword.clone(), m.loc.clone()));
                    }
                }
                "notify_priority_changes" => group.notify_priority_changes = Some(bool_arg(s)?),
                "track_interface" => {
                    group.track_interfaces =
                        track::lines(s, Kind::Interface, &group.name, &mut self.warnings)?
                }
                "track_script" => {
                    group.track_scripts =
                        track::lines(s, Kind::Script, &group.name, &mut self.warnings)?
                }
                "track_file" => {
                    group.track_files =
                        track::lines(s, Kind::File, &group.name, &mut self.warnings)?
                }
                "sync_group_tracking_weight" => {
                    no_args(s)?;
                    group.tracking_weight = true
                }
                "global_tracking" => {
                    no_args(s)?;
                    self.warnings.push(Warning {
                        loc: s.loc.clone(),
                        message: format!(
                            "({}) global_tracking is deprecated. Use track_interface/script/file on the sync group",
                            group.name
                        ),
                    });
                    group.tracking_weight = true
                }
                "smtp_alert" => self.warnings.push(Warning {
                    loc: s.loc.clone(),
                    message: not_applied::not_applicable("smtp_alert"),
                }),
                "track_process" => group.track_processes = process::refs(s)?,
                _ => unknown.push(s),
            }
        }
        for s in unknown {
            self.unknown(s, "vrrp_sync_group");
        }
        self.config.sync_groups.push(group);
        Ok(())
    }

    /// Cross-references. Duplicate instance names are errors; a `track_script` naming no
    /// `vrrp_script`, or a sync-group member naming no instance, is a warning and the
    /// reference is dropped, as keepalived does ("... not found, ignoring").
    /// The configuration, once every statement is in (cross-checks between blocks here).
    pub fn finish(mut self) -> Result<Built, ConfigError> {
        let c = &mut self.config;
        for (n, i) in self.drafts.iter().enumerate() {
            if let Some(dup) = self.drafts[..n].iter().find(|o| o.name == i.name) {
                return Err(ConfigError::invalid(
                    &i.loc,
                    format!("vrrp_instance {} already defined at {}", i.name, dup.loc),
                ));
            }
        }
        let scripts: Vec<String> = c.scripts.iter().map(|s| s.name.clone()).collect();
        for i in &mut self.drafts {
            i.track_scripts.retain(|t| {
                let known = scripts.contains(&t.name);
                if !known {
                    self.warnings.push(Warning {
                        loc: t.loc.clone(),
                        message: format!(
                            "track_script '{}': no vrrp_script of that name, ignored",
                            t.name
                        ),
                    });
                }
                known
            });
        }
        track::resolve(&mut self.drafts, c, &mut self.warnings);
        process::apply_groups(
            &mut self.drafts,
            &mut c.sync_groups,
            &c.processes,
            &mut self.warnings,
        );
        c.instances.reserve_exact(self.drafts.len());
        for d in self.drafts {
            c.instances.push(router::check(d, c, &mut self.warnings)?);
        }
        let instances: Vec<String> = c.instances.iter().map(|i| i.name.clone()).collect();
        for g in &mut c.sync_groups {
            g.members.retain(|(m, loc)| {
                let known = instances.contains(m);
                if !known {
                    self.warnings.push(Warning {
                        loc: loc.clone(),
                        message: format!(
                            "sync group {}: no vrrp_instance named '{m}', ignored",
                            g.name
                        ),
                    });
                }
                known
            });
        }
        super::fifo::finish(&mut c.global.fifos, &mut self.warnings);
        self.warnings.sort_by(|a, b| {
            (a.loc.file.as_ref(), a.loc.line).cmp(&(b.loc.file.as_ref(), b.loc.line))
        });
        Ok(Built {
            config: self.config,
            warnings: self.warnings,
        })
    }
}

/// `state MASTER|BACKUP`, as keepalived reads it: `BACKUP` after `MASTER` is ignored,
/// anything else (`master`, say) means BACKUP; both with keepalived's warning.
fn state<'a>(
    s: &'a Statement,
    before: InitialState,
    name: &str,
    late: &mut Vec<(&'a Statement, String)>,
) -> Result<InitialState, ConfigError> {
    Ok(match one_arg(s)? {
        "MASTER" => InitialState::Master,
        "BACKUP" if before == InitialState::Master => {
            late.push((
                s,
                format!("({name}) state previously set as MASTER - ignoring BACKUP"),
            ));
            InitialState::Master
        }
        "BACKUP" => InitialState::Backup,
        other => {
            late.push((
                s,
                format!("({name}) unknown state '{other}', defaulting to BACKUP"),
            ));
            InitialState::Backup
        }
    })
}

/// `version` / `vrrp_version`: 2 or 3.
fn version(s: &Statement) -> Result<Version, ConfigError> {
    Ok(match int_arg(s, 2u8, 3u8)? {
        2 => Version::V2,
        _ => Version::V3,
    })
}

pub(super) fn block_name(stmt: &Statement) -> Result<String, ConfigError> {
    if stmt.block.is_none() {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{}' needs a block {{ ... }}", stmt.keyword),
        ));
    }
    Ok(one_arg(stmt)?.to_string())
}

/// A line of a list block: one word, no sub-block.
fn list_line(s: &Statement) -> Result<(), ConfigError> {
    if s.block.is_some() {
        return Err(ConfigError::invalid(
            &s.loc,
            format!("unexpected block after '{}'", s.keyword),
        ));
    }
    Ok(())
}

/// A `notify*` line into `n` (true), or false if `s` is not one; what is worth a warning
/// goes to `warnings`.
fn notify_keyword(
    n: &mut Notify,
    s: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let slot = match s.keyword.as_str() {
        "notify_master" => &mut n.master,
        "notify_backup" => &mut n.backup,
        "notify_fault" => &mut n.fault,
        "notify_stop" => &mut n.stop,
        "notify" => &mut n.generic,
        "notify_master_rx_lower_pri" => &mut n.master_rx_lower_pri,
        "notify_deleted" => {
            // keepalived: the script is optional; the keyword alone says "DELETED".
            if n.report_deleted {
                warnings.push(already_specified(s, "notify_deleted"));
                return Ok(true);
            }
            n.report_deleted = true;
            if s.args.is_empty() {
                return Ok(true);
            }
            &mut n.deleted
        }
        _ => return Ok(false),
    };
    if slot.is_some() {
        // keepalived keeps the first line and reports the others.
        warnings.push(already_specified(s, &format!("{} script", s.keyword)));
        return Ok(true);
    }
    let (line, warning) = crate::scripts::notify::parse_line(s)?;
    *slot = Some(Box::new(line));
    if let Some(message) = warning {
        warnings.push(Warning {
            loc: s.loc.clone(),
            message,
        });
    }
    Ok(true)
}

/// keepalived's report of a second `notify*` line of the same kind (the first is kept).
fn already_specified(s: &Statement, what: &str) -> Warning {
    Warning {
        loc: s.loc.clone(),
        message: format!(
            "{what} already specified - ignoring {}",
            s.args.first().map_or("", String::as_str)
        ),
    }
}

/// `vrrp_startup_delay SECONDS`, as keepalived reads it: from 0.001 to 4294 seconds
/// (its microsecond count must fit 32 bits); 60 or more is worth keepalived's warning.
fn startup_delay(s: &Statement) -> Result<(Duration, Option<String>), ConfigError> {
    let d = seconds_arg(s, 4294.0)?;
    if d < Duration::from_millis(1) {
        return Err(ConfigError::invalid(
            &s.loc,
            "'vrrp_startup_delay' must be at least 0.001 seconds",
        ));
    }
    let warning = (d >= Duration::from_secs(60)).then(|| {
        format!(
            "vrrp_startup_delay is very large: {} seconds",
            d.as_secs_f64()
        )
    });
    Ok((d, warning))
}

/// `garp_master_repeat N` and its kin, by the router's rule (1 to
/// [`vrrp_fsm::MAX_GARP_REPEAT`]); 0 is 1 with keepalived's warning (its pre-2.0.7 form).
fn garp_repeat<'a>(
    s: &'a Statement,
    instance: Option<&str>,
    late: &mut Vec<(&'a Statement, String)>,
) -> Result<u32, ConfigError> {
    if one_arg(s)? == "0" {
        let who = instance.map_or(String::new(), |n| format!("({n}): "));
        late.push((
            s,
            format!("{who}{} must be greater than 0, setting to 1", s.keyword),
        ));
        return Ok(1);
    }
    router::garp_repeat(s)
}

/// `vrrp_min_garp`: one gratuitous ARP / NA on becoming master, no second burst, no
/// refresh; as keepalived, only where the value is still the default.
fn min_garp(g: &mut GlobalDefs) {
    let d = GlobalDefs::default();
    if g.garp_master_repeat == d.garp_master_repeat {
        g.garp_master_repeat = 1;
    }
    if g.garp_master_delay == d.garp_master_delay {
        g.garp_master_delay = Duration::ZERO;
    }
    g.garp_master_refresh = None;
}

fn refresh(s: &Statement) -> Result<Option<Duration>, ConfigError> {
    let d = seconds_arg(s, 86_400.0)?;
    Ok((!d.is_zero()).then_some(d))
}

/// `weight N [reverse]`, N in keepalived's range (`-MAX_WEIGHT..=MAX_WEIGHT`).
pub(super) fn weight(s: &Statement) -> Result<(i32, bool), ConfigError> {
    match s.args.as_slice() {
        [w] => Ok((int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?, false)),
        [w, r] if r == "reverse" => Ok((int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?, true)),
        _ => Err(ConfigError::invalid(&s.loc, "'weight' takes N [reverse]")),
    }
}

/// `authentication { auth_type PASS|AH; auth_pass TEXT }`, as keepalived reads it: an
/// unknown `auth_type`, or none, or no `auth_pass`, means no authentication, with
/// keepalived's warning; a password over 8 bytes is cut, with its warning.
fn authentication(
    stmt: &Statement,
    name: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<(AuthKind, String)>, ConfigError> {
    let mut kind = None;
    let mut pass: Option<String> = None;
    let mut warn = |s: &Statement, message: String| {
        warnings.push(Warning {
            loc: s.loc.clone(),
            message,
        })
    };
    for s in stmt.children() {
        match s.keyword.as_str() {
            "auth_type" => match one_arg(s)? {
                "PASS" => kind = Some(AuthKind::Pass),
                "AH" => kind = Some(AuthKind::Ah),
                other => warn(s, format!("({name}) unknown authentication type '{other}'")),
            },
            "auth_pass" => {
                let text = one_arg(s)?;
                if text.len() > 8 {
                    warn(s, "Truncating auth_pass to 8 characters".to_string());
                }
                pass = Some(text.to_string());
            }
            _ => {
                return Err(ConfigError::invalid(
                    &s.loc,
                    format!("unknown keyword '{}' in authentication", s.keyword),
                ))
            }
        }
    }
    let Some(kind) = kind else {
        warn(
            stmt,
            format!("({name}) authentication without a known auth_type: no authentication"),
        );
        return Ok(None);
    };
    match pass.filter(|p| !p.is_empty()) {
        Some(pass) => Ok(Some((kind, pass))),
        None => {
            warn(
                stmt,
                format!("({name}) Authentication specified but no password given. Ignoring"),
            );
            Ok(None)
        }
    }
}
