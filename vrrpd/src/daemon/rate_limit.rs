//! Rate limiting of log lines that a remote host or a local client can trigger at will (one
//! per packet, one per connection): at most `burst` lines per `window`, and the next line
//! written says how many were suppressed in between. A flood costs a counter increment per
//! event, not a line per event.

use std::fmt;
use std::time::{Duration, Instant};

/// At most `burst` lines per `window`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    burst: u32,
    window: Duration,
    window_start: Option<Instant>,
    used: u32,
    suppressed: u64,
}

/// Lines suppressed before the one now allowed; displays as `""` or
/// `" (N similar lines suppressed)"`, to append to the allowed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed(pub u64);

impl fmt::Display for Suppressed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => write!(f, " (1 similar line suppressed)"),
            n => write!(f, " ({n} similar lines suppressed)"),
        }
    }
}

impl RateLimit {
    /// A limiter allowing `burst` lines per `window`.
    pub const fn new(burst: u32, window: Duration) -> RateLimit {
        RateLimit {
            burst,
            window,
            window_start: None,
            used: 0,
            suppressed: 0,
        }
    }

    /// May a line be written at `now`? `Some` with the number suppressed since the last
    /// line written (to be said in that line), `None` if this one is to be suppressed.
    pub fn allow(&mut self, now: Instant) -> Option<Suppressed> {
        let fresh = self
            .window_start
            .is_none_or(|s| now.saturating_duration_since(s) >= self.window);
        if fresh {
            self.window_start = Some(now);
            self.used = 0;
        }
        if self.used < self.burst {
            self.used += 1;
            Some(Suppressed(std::mem::take(&mut self.suppressed)))
        } else {
            self.suppressed += 1;
            None
        }
    }

    /// Lines suppressed and not yet reported.
    pub fn pending(&self) -> u64 {
        self.suppressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_suppressed_then_reported() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(3, Duration::from_secs(10));
        for _ in 0..3 {
            assert_eq!(r.allow(t0), Some(Suppressed(0)));
        }
        for _ in 0..1000 {
            assert_eq!(r.allow(t0 + Duration::from_secs(9)), None);
        }
        assert_eq!(r.pending(), 1000);
        let next = r.allow(t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(next, Suppressed(1000));
        assert_eq!(next.to_string(), " (1000 similar lines suppressed)");
        assert_eq!(r.pending(), 0);
        assert_eq!(Suppressed(0).to_string(), "");
    }
}
