//! Timer arithmetic: Skew_Time and Master_Down_Interval, per protocol version.
//!
//! Everything is computed in microseconds in a `u64`, so neither the v3 product
//! `(256 - priority) * Master_Adver_Interval` can overflow nor the skew truncate to 0.

use core::time::Duration;
use vrrp_proto::{Priority, Version};

/// Skew_Time for a router of `priority` whose current Master_Adver_Interval is `interval`.
pub fn skew_time(version: Version, priority: Priority, interval: Duration) -> Duration {
    let weight = 256 - u64::from(priority.0);
    match version {
        // RFC 3768 §6.1: Skew_Time = (256 - Priority) / 256 seconds.
        Version::V2 => Duration::from_micros(weight * 1_000_000 / 256),
        // RFC 9568 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
        Version::V3 => {
            let us = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX / 256);
            Duration::from_micros(weight.saturating_mul(us) / 256)
        }
    }
}

/// Master_Down_Interval for a router of `priority` whose Master_Adver_Interval is `interval`.
pub fn master_down_interval(version: Version, priority: Priority, interval: Duration) -> Duration {
    // RFC 3768 §6.1: Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time.
    // RFC 9568 §6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
    interval * 3 + skew_time(version, priority, interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_skew_for_priority_100_is_156_25_ms() {
        let s = skew_time(Version::V2, Priority(100), Duration::from_secs(1));
        assert_eq!(s, Duration::from_micros(609_375));
    }

    #[test]
    fn v3_skew_never_truncates_to_zero_on_small_intervals() {
        // 1 cs interval, priority 254: (2 * 10 ms) / 256 = 78 µs, not 0.
        let s = skew_time(Version::V3, Priority(254), Duration::from_millis(10));
        assert_eq!(s, Duration::from_micros(78));
    }

    #[test]
    fn v3_mdi_at_max_interval_does_not_overflow() {
        // 4095 cs * 255 would overflow a u16.
        let i = Duration::from_millis(40_950);
        let mdi = master_down_interval(Version::V3, Priority(1), i);
        assert_eq!(mdi, i * 3 + Duration::from_micros(40_950_000 * 255 / 256));
    }
}
