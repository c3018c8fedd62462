//! keepalived's tracking rules, in one place: what a tracked object (`track_interface`,
//! `track_script`, `track_file`, an address's interface) adds to a router's priority, or
//! whether it puts the router in FAULT, given its weight, `reverse` and status.
//!
//! keepalived 2.2.7 (vrrp_track.c, trackers/track_file.c):
//!
//! * Up / down objects (interfaces, scripts). Weight 0: down means FAULT (`reverse`: up
//!   means FAULT). Otherwise, with m = -1 for `reverse` and 1 without, a positive weight
//!   adds `weight × m` while up, a negative one adds `weight × m` while down.
//! * Valued objects (a file holding a number). Weight 0: a non-zero value means FAULT
//!   (`reverse`: zero means FAULT). Otherwise the object adds `value × weight × m`, at most
//!   253; -254 or less means FAULT.
//!
//! The router's priority is its base plus the sum, kept in 1..=254, and an address owner's
//! (255) never moves ([`crate::election::effective_priority`]).

/// A tracked object, identified by its index in [`crate::Config::tracks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Track {
    /// keepalived weight (`-MAX_WEIGHT..=MAX_WEIGHT`): 0 means the object's failure puts the
    /// router in FAULT; otherwise see the module's rules.
    pub weight: i32,
    /// keepalived `weight N reverse`: the weight applies the other way round.
    pub reverse: bool,
}

impl Track {
    /// A track of `weight`, not reversed.
    pub const fn new(weight: i32) -> Track {
        Track {
            weight,
            reverse: false,
        }
    }

    /// The same track, with keepalived `reverse` set or not.
    pub const fn reversed(self, reverse: bool) -> Track {
        Track { reverse, ..self }
    }

    /// What this object, in `status`, does to its router.
    pub fn contribution(&self, status: TrackStatus) -> Contribution {
        let m: i64 = if self.reverse { -1 } else { 1 };
        let w = i64::from(self.weight);
        match status {
            TrackStatus::Up | TrackStatus::Down => {
                let up = status == TrackStatus::Up;
                if w == 0 {
                    return if up == self.reverse {
                        Contribution::Fault
                    } else {
                        Contribution::Weight(0)
                    };
                }
                let counts = if up { w > 0 } else { w < 0 };
                Contribution::Weight(if counts { (w * m) as i32 } else { 0 })
            }
            TrackStatus::Value(v) => {
                if w == 0 {
                    return if (v != 0) != self.reverse {
                        Contribution::Fault
                    } else {
                        Contribution::Weight(0)
                    };
                }
                let s = v.saturating_mul(w).saturating_mul(m);
                if s <= -MAX_VALUED {
                    Contribution::Fault
                } else {
                    Contribution::Weight(s.min(MAX_VALUED - 1) as i32)
                }
            }
        }
    }
}

/// keepalived's bound on a valued object's contribution: at most 253, and -254 or less is
/// FAULT.
const MAX_VALUED: i64 = 254;

/// A tracked object's status, as its watcher last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackStatus {
    /// Up: an interface up, a script succeeding.
    Up,
    /// Down: an interface down, a script failing.
    Down,
    /// A number (keepalived `track_file`: the file's value; a missing file is 0).
    Value(i64),
}

/// What one tracked object does to its router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    /// The router is in FAULT while this holds.
    Fault,
    /// Added to the router's base priority.
    Weight(i32),
}

/// The objects `tracks` in `statuses` (same order) together: whether one puts the router in
/// FAULT, and the sum of the others' weights (saturating).
pub fn combine(tracks: &[Track], statuses: &[TrackStatus]) -> (bool, i32) {
    let mut fault = false;
    let mut sum: i32 = 0;
    for (t, &s) in tracks.iter().zip(statuses) {
        match t.contribution(s) {
            Contribution::Fault => fault = true,
            Contribution::Weight(w) => sum = sum.saturating_add(w),
        }
    }
    (fault, sum)
}

#[cfg(test)]
mod tests {
    use super::Contribution::{Fault, Weight};
    use super::TrackStatus::{Down, Up, Value};
    use super::*;

    fn t(w: i32) -> Track {
        Track::new(w)
    }
    fn r(w: i32) -> Track {
        Track::new(w).reversed(true)
    }

    #[test]
    fn weightless_up_down_is_fault_when_down_or_reversed_up() {
        assert_eq!(t(0).contribution(Up), Weight(0));
        assert_eq!(t(0).contribution(Down), Fault);
        assert_eq!(r(0).contribution(Up), Fault);
        assert_eq!(r(0).contribution(Down), Weight(0));
    }

    #[test]
    fn positive_weight_counts_while_up_negative_while_down() {
        assert_eq!(t(20).contribution(Up), Weight(20));
        assert_eq!(t(20).contribution(Down), Weight(0));
        assert_eq!(t(-30).contribution(Up), Weight(0));
        assert_eq!(t(-30).contribution(Down), Weight(-30));
    }

    #[test]
    fn reverse_negates_the_weight_where_it_counts() {
        // keepalived: weight × -1, applied in the same state as without reverse.
        assert_eq!(r(20).contribution(Up), Weight(-20));
        assert_eq!(r(20).contribution(Down), Weight(0));
        assert_eq!(r(-30).contribution(Up), Weight(0));
        assert_eq!(r(-30).contribution(Down), Weight(30));
    }

    #[test]
    fn file_value_times_weight() {
        assert_eq!(t(1).contribution(Value(0)), Weight(0));
        assert_eq!(t(1).contribution(Value(-60)), Weight(-60));
        assert_eq!(t(10).contribution(Value(3)), Weight(30));
        assert_eq!(t(-10).contribution(Value(3)), Weight(-30));
        assert_eq!(r(10).contribution(Value(3)), Weight(-30));
        assert_eq!(r(-2).contribution(Value(-4)), Weight(-8));
    }

    #[test]
    fn file_value_is_clamped_and_minus_254_is_fault() {
        assert_eq!(t(1).contribution(Value(253)), Weight(253));
        assert_eq!(t(1).contribution(Value(1000)), Weight(253));
        assert_eq!(t(1).contribution(Value(-253)), Weight(-253));
        assert_eq!(t(1).contribution(Value(-254)), Fault);
        assert_eq!(t(2).contribution(Value(-127)), Fault);
        assert_eq!(t(254).contribution(Value(i64::MAX)), Weight(253));
        assert_eq!(t(254).contribution(Value(i64::MIN)), Fault);
    }

    #[test]
    fn weightless_file_is_fault_on_non_zero_or_reversed_zero() {
        assert_eq!(t(0).contribution(Value(0)), Weight(0));
        assert_eq!(t(0).contribution(Value(1)), Fault);
        assert_eq!(t(0).contribution(Value(-5)), Fault);
        assert_eq!(r(0).contribution(Value(0)), Fault);
        assert_eq!(r(0).contribution(Value(7)), Weight(0));
    }

    #[test]
    fn combine_sums_and_reports_any_fault() {
        let tracks = [t(20), t(-30), t(1), t(0)];
        assert_eq!(combine(&tracks, &[Up, Down, Value(5), Up]), (false, -5));
        assert_eq!(combine(&tracks, &[Up, Up, Value(0), Down]), (true, 20));
        assert_eq!(
            combine(&[t(254), t(254)], &[Value(253), Value(253)]),
            (false, 506)
        );
    }
}
