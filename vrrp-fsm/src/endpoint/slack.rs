//! How late a timer may fire, so that timers due close together fire in one wakeup.
//!
//! A thousand Masters send a thousand adverts an interval; fired each at its own deadline
//! they cost a wakeup each. A Master's timers (advert, gratuitous ARP bursts) may instead
//! fire a little late: up to 1 % of its advert interval, never more than [`MAX_SLACK`]. A
//! Backup waits three intervals and a skew before it takes over, so an advert that late
//! changes nothing. A Backup's Master_Down_Timer, and every timer in another state, fires
//! on time: failover is measured against it.

use core::time::Duration;

use crate::output::State;
use crate::router::Router;

/// The most any timer may fire late.
pub const MAX_SLACK: Duration = Duration::from_millis(2);

/// How late a Master advertising every `interval` may send: 1 % of it, at most
/// [`MAX_SLACK`]. Also a bound on how long a received advert may wait to be read.
pub fn advert_slack(interval: Duration) -> Duration {
    (interval / 100).min(MAX_SLACK)
}

/// How late `router`'s next timer may fire.
pub(super) fn timer_slack(router: &Router) -> Duration {
    match router.state() {
        State::Master => advert_slack(router.config().advert_interval()),
        State::Backup | State::Initialize | State::Fault => Duration::ZERO,
    }
}
