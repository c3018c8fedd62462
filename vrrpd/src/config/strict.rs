//! keepalived's strict mode (`vrrp_strict` in `global_defs`, `strict_mode` in an instance)
//! and the instance options whose default it changes, settled as keepalived 2.2.7's
//! `vrrp_complete_instance` (vrrp.c) settles them: what strict mode forbids is reset with
//! keepalived's warning, unicast peers are refused.

use std::time::Duration;

use vrrp_proto::{Priority, Version};

use super::error::{ConfigError, Warning};
use super::model::{GlobalDefs, InitialState};
use super::router::{AuthKind, Draft};

/// The options strict mode decides, settled for one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Settled {
    pub(super) strict: bool,
    pub(super) accept: bool,
    pub(super) lower_prio_no_advert: bool,
    pub(super) higher_prio_send_advert: bool,
    pub(super) garp_lower_prio_repeat: u32,
    pub(super) garp_lower_prio_delay: Duration,
}

/// Settle `d`'s strict mode and the options it governs; `d`'s authentication, state,
/// `nopreempt` and `preempt_delay` are changed where keepalived changes them.
pub(super) fn settle(
    d: &mut Draft,
    global: &GlobalDefs,
    version: Version,
    warnings: &mut Vec<Warning>,
) -> Result<Settled, ConfigError> {
    let strict = d.strict_mode.unwrap_or(global.vrrp_strict);
    let name = d.name.clone();
    let loc = d.loc.clone();
    let mut warn = |message: String| {
        warnings.push(Warning {
            loc: loc.clone(),
            message,
        })
    };
    let owner = d.priority == Priority::OWNER;
    if strict && (d.state == InitialState::Master) != owner {
        warn(format!(
            "({name}) State MASTER must match being address owner"
        ));
        d.state = if owner {
            InitialState::Master
        } else {
            InitialState::Backup
        };
    }
    preemption(d, &mut warn);
    if d.auth.is_some() {
        if strict {
            warn(format!(
                "({name}) Strict mode does not support authentication. Ignoring."
            ));
            d.auth = None;
        } else if version == Version::V3 && !matches!(d.auth, Some((AuthKind::Ah, _))) {
            // AH stays refused (router.rs): vrrpd does not implement it.
            warn(format!(
                "({name}) VRRP version 3 does not support authentication. Ignoring."
            ));
            d.auth = None;
        }
    }
    // keepalived refuses unicast in strict mode when the interface can multicast; vrrpd
    // does not look at the interface when reading the file, and refuses it always.
    if strict && !d.unicast_peers.is_empty() {
        return Err(ConfigError::invalid(
            &d.loc,
            format!("({name}) Unicast peers are not supported in strict mode"),
        ));
    }
    if strict && !d.preempt_delay.is_zero() {
        warn(format!(
            "({name}) preempt_delay is incompatible with strict mode - resetting"
        ));
        d.preempt_delay = Duration::ZERO;
    }
    if strict && d.down_timer_adverts != 3 {
        warn(format!(
            "({name}) down_timer_adverts is incompatible with strict mode - resetting"
        ));
        d.down_timer_adverts = 3;
    }
    let mut accept = d.accept.unwrap_or(owner || !strict);
    if accept && !owner && strict && version == Version::V2 {
        warn(format!(
            "({name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"
        ));
        accept = false;
    }
    // keepalived enforces accept mode off with a firewall: nftables rules dropping every
    // packet to the VIPs (its `vrrp_nftables.c`). vrrpd installs none, so it would answer
    // what keepalived drops: refused, saying why and what to write instead.
    let has_addresses = !d.vips.is_empty() || !d.excluded_vips.is_empty();
    if !accept && !owner && has_addresses {
        let why = match (d.accept, strict) {
            (Some(false), _) => "no_accept",
            (_, true) if version == Version::V2 => "strict mode with VRRPv2",
            _ => "strict mode without accept",
        };
        // At the line that turned it off: `no_accept`, else what made the instance strict.
        let at = match d.accept {
            Some(false) => d.accept_loc.as_ref(),
            _ => d.strict_loc.as_ref().or(global.vrrp_strict_loc.as_ref()),
        };
        return Err(ConfigError::invalid(
            at.unwrap_or(&d.loc),
            format!(
                "({name}) accept mode is off ({why}): keepalived then installs nftables rules \
                 dropping all traffic to the VIPs, which vrrpd does not do; refusing rather than \
                 answer that traffic. Write `accept` in the instance (with VRRPv3 under strict \
                 mode), or remove vrrp_strict / strict_mode / no_accept"
            ),
        ));
    }
    let lower_prio_no_advert = match d.lower_prio_no_advert {
        None => strict || global.lower_prio_no_advert,
        Some(false) if strict => {
            warn(format!(
                "({name}) Strict mode requires no lower priority advert. resetting"
            ));
            true
        }
        Some(v) => v,
    };
    let higher_prio_send_advert = match d.higher_prio_send_advert {
        None => !strict && global.higher_prio_send_advert,
        Some(true) if strict => {
            warn(format!(
                "({name}) strict mode requires higher_prio_send_advert to be clear. resetting"
            ));
            false
        }
        Some(v) => v,
    };
    let garp_lower_prio_repeat = match d.garp_lower_prio_repeat {
        None if strict => 0,
        None => global
            .garp_lower_prio_repeat
            .unwrap_or(global.garp_master_repeat),
        Some(n) if strict && n > 0 => {
            warn(format!(
                "({name}) Strict mode requires no repeat garps. resetting"
            ));
            0
        }
        Some(n) => n,
    };
    let garp_lower_prio_delay = match d.garp_lower_prio_delay {
        None if strict => Duration::ZERO,
        None => global
            .garp_lower_prio_delay
            .unwrap_or(global.garp_master_delay),
        Some(t) if strict && !t.is_zero() => {
            warn(format!(
                "({name}) Strict mode requires no repeat garp delay. resetting"
            ));
            Duration::ZERO
        }
        Some(t) => t,
    };
    Ok(Settled {
        strict,
        accept,
        lower_prio_no_advert,
        higher_prio_send_advert,
        garp_lower_prio_repeat,
        garp_lower_prio_delay,
    })
}

/// keepalived's rules on preemption (after the state is settled): `nopreempt` does not go
/// with priority 255 nor with `state MASTER`, nor `preempt_delay` with either of those or
/// with `nopreempt`; each is cleared with keepalived's warning.
fn preemption(d: &mut Draft, warn: &mut impl FnMut(String)) {
    let name = d.name.clone();
    if d.priority == Priority::OWNER && !d.preempt {
        warn(format!(
            "({name}) nopreempt is incompatible with priority 255. resetting nopreempt"
        ));
        d.preempt = true;
    }
    if d.state == InitialState::Master {
        if !d.preempt {
            warn(format!(
                "({name}) Warning - nopreempt will not work with initial state MASTER - clearing"
            ));
            d.preempt = true;
        }
        if !d.preempt_delay.is_zero() {
            warn(format!(
                "({name}) Warning - preempt delay will not work with initial state MASTER - clearing"
            ));
            d.preempt_delay = Duration::ZERO;
        }
    }
    if !d.preempt_delay.is_zero() && !d.preempt {
        warn(format!(
            "({name}) preempt_delay is incompatible with nopreempt mode - resetting"
        ));
        d.preempt_delay = Duration::ZERO;
    }
}
