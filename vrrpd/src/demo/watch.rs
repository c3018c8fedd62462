//! Waiting for the VIP to get where it should, timed: every wait polls the address lists
//! every [`POLL`], stops early on the demo's own SIGINT / SIGTERM / SIGHUP or when a daemon
//! exits, and gives up after a bound.

use std::time::{Duration, Instant};

use super::error::DemoError;
use super::interrupt::Interrupts;
use super::lab::Lab;

/// How often the address lists are read while waiting for the VIP to move.
pub const POLL: Duration = Duration::from_millis(5);

/// Poll `done(lab, elapsed)` every [`POLL`] until it is true; returns the elapsed time since
/// `since` at that moment. Fails on timeout, on a signal, or if a daemon exits.
pub(super) fn wait_for(
    sig: &mut Interrupts,
    lab: &mut Lab,
    since: Instant,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&mut Lab, Duration) -> Result<bool, DemoError>,
) -> Result<Duration, DemoError> {
    loop {
        let t = since.elapsed();
        if done(lab, t)? {
            return Ok(t);
        }
        if t > limit {
            return Err(DemoError::Timeout {
                what: what.to_owned(),
                secs: limit.as_secs_f64(),
            });
        }
        for d in &mut lab.daemons {
            d.ensure_running()?;
        }
        sig.sleep(POLL)?;
    }
}

/// Wait until exactly one router holds the VIP and keeps it for `settle`; returns it and
/// when (since `since`) it got it.
pub(super) fn wait_stable_holder(
    sig: &mut Interrupts,
    lab: &mut Lab,
    since: Instant,
    settle: Duration,
    limit: Duration,
) -> Result<(usize, Duration), DemoError> {
    let mut candidate: Option<(usize, Duration)> = None;
    wait_for(sig, lab, since, limit, "one stable VIP holder", |lab, t| {
        let a = lab.has_vip(0)?;
        let b = lab.has_vip(1)?;
        let holder = match (a, b) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        };
        candidate = match (holder, candidate) {
            (Some(h), Some((c, since))) if h == c => Some((c, since)),
            (Some(h), _) => Some((h, t)),
            (None, _) => None,
        };
        Ok(candidate.is_some_and(|(_, got)| t - got >= settle))
    })?;
    candidate.ok_or_else(|| DemoError::Timeout {
        what: "one stable VIP holder".into(),
        secs: limit.as_secs_f64(),
    })
}
