//! Log lines a received packet can cause, bounded: a LAN host can send adverts at line
//! rate, so each kind of line has its own [`RateLimit`] per instance (one per runner for
//! socket receive errors, which belong to no instance). A flood costs a counter increment
//! per packet, and the next line written says how many were suppressed.

use std::time::Duration;

use crate::RateLimit;

/// Lines of one kind written per window, then suppressed until the window ends.
const BURST: u32 = 5;
/// The window.
const WINDOW: Duration = Duration::from_secs(60);

/// A limiter with the runner's bound on per-packet log lines.
pub(crate) const fn limiter() -> RateLimit {
    RateLimit::new(BURST, WINDOW)
}

/// One instance's limiters, one per kind of line a packet can cause.
#[derive(Debug, Clone)]
pub(crate) struct PacketLogs {
    /// keepalived's "Received advert from … with lower priority …" (one per packet).
    pub(crate) lower_priority: RateLimit,
    /// "dual master: …" (one per episode, itself at most one per Master_Down_Interval).
    pub(crate) dual_master: RateLimit,
    /// "sending advert: …" (a flood answered advert by advert can fail advert by advert).
    pub(crate) send_error: RateLimit,
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
