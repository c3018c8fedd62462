//! Receive coalescing: a burst of adverts is read in a few batches, not one wakeup each.
//!
//! A peer with many Masters sends their adverts together (its endpoint batches their
//! timers), hundreds within a few milliseconds. The kernel delivers each as it is sent, and a
//! Backup sleeping in `epoll_wait` is woken for almost every one: a wakeup, a context switch
//! and a `recvmmsg` per advert, on both sides of the link (the sender pays for the wakeups it
//! causes). So once a burst is seen (two turns in a row read adverts, close together) the
//! loop holds off before polling again, for at most [`RX_HOLD_MAX`] and never past the
//! endpoint's next deadline: the adverts queue in the socket meanwhile, and the next turn
//! reads them in batches of [`crate::raw::BATCH`]. A lone advert is never held.
//!
//! The price is that an advert in a burst may be handled up to the hold late; a Backup then
//! restarts its Master_Down_Timer that much later. The hold is bounded by the advert slack
//! of the fastest instance ([`vrrp_fsm::advert_slack`]: 1 % of its interval), so it is as
//! harmless as a Master's batched advert.

use std::time::Duration;

use vrrp_fsm::Instant;

/// The longest a burst is held.
pub(crate) const RX_HOLD_MAX: Duration = Duration::from_micros(500);

/// Whether the next turn holds off, from when the last turns read adverts.
#[derive(Debug)]
pub(crate) struct Coalesce {
    /// How long a burst is held (shrinks to the fastest instance's advert slack).
    hold: Duration,
    /// When the last turn that read adverts ended.
    last_read: Option<Instant>,
    /// The last two turns that read adverts were close together: a burst.
    burst: bool,
}

impl Default for Coalesce {
    fn default() -> Self {
        Coalesce {
            hold: RX_HOLD_MAX,
            last_read: None,
            burst: false,
        }
    }
}

impl Coalesce {
    /// An instance advertising every `interval` runs here: hold no longer than its slack.
    pub(crate) fn bound_by(&mut self, interval: Duration) {
        self.hold = self.hold.min(vrrp_fsm::advert_slack(interval));
    }

    /// A turn ending at `now` read `n` adverts.
    pub(crate) fn note_read(&mut self, now: Instant, n: usize) {
        if n == 0 {
            self.burst = false;
            return;
        }
        self.burst = self
            .last_read
            .is_some_and(|t| now.saturating_duration_since(t) < 2 * self.hold);
        self.last_read = Some(now);
    }

    /// How long to hold off before the next poll, at `now`: the hold if a burst is
    /// arriving, cut short by `until` (the endpoint's deadline, the caller's cap).
    pub(crate) fn hold_at(&self, now: Instant, until: Option<Instant>) -> Duration {
        if !self.burst {
            return Duration::ZERO;
        }
        let end = now + self.hold;
        let end = until.map_or(end, |u| u.min(end));
        end.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Instant {
        Instant::from_micros(n)
    }

    #[test]
    fn a_lone_advert_is_never_held() {
        let mut c = Coalesce::default();
        c.note_read(us(1_000_000), 1);
        assert_eq!(c.hold_at(us(1_000_010), None), Duration::ZERO);
        // The next one a whole interval later: still no burst.
        c.note_read(us(2_000_000), 1);
        assert_eq!(c.hold_at(us(2_000_010), None), Duration::ZERO);
    }

    #[test]
    fn a_burst_is_held_until_it_ends() {
        let mut c = Coalesce::default();
        c.note_read(us(1000), 1);
        c.note_read(us(1010), 1);
        assert_eq!(c.hold_at(us(1020), None), RX_HOLD_MAX);
        // Held, then a big batch: still a burst.
        c.note_read(us(1600), 40);
        assert_eq!(c.hold_at(us(1610), None), RX_HOLD_MAX);
        // A turn woken by something else reads nothing: the burst is over.
        c.note_read(us(2200), 0);
        assert_eq!(c.hold_at(us(2210), None), Duration::ZERO);
    }

    #[test]
    fn the_hold_never_passes_a_deadline_nor_the_fastest_slack() {
        let mut c = Coalesce::default();
        c.note_read(us(1000), 1);
        c.note_read(us(1010), 1);
        assert_eq!(
            c.hold_at(us(1020), Some(us(1120))),
            Duration::from_micros(100)
        );
        assert_eq!(c.hold_at(us(1020), Some(us(900))), Duration::ZERO);
        // An instance advertising every 10 ms: 1 % of it is 100 µs.
        c.bound_by(Duration::from_millis(10));
        c.note_read(us(1050), 1);
        assert_eq!(c.hold_at(us(1060), None), Duration::from_micros(100));
    }
}
