//! Timers: min-heaps of (time, id) with lazy cancellation, each timer firing within a window.
//!
//! Each [`TimerId`] has at most one live timer: due at a deadline, to be fired no later than
//! a latest time (the deadline itself unless armed with [`Timers::arm_within`]). Timers whose
//! windows overlap can then be fired in one wakeup: [`Timers::next_wakeup`] is the earliest
//! latest time, and [`Timers::pop_expired`] fires every timer due by then.
//!
//! Heaps order the live timers: those without a window by deadline; those with one by
//! deadline (what is due) and by latest time (when to wake). Cancelling, moving a timer
//! earlier, or giving it a window or taking it away bumps its generation and pushes new
//! entries; entries of an older generation are skipped when they surface. Moving a timer
//! later (a Backup hearing an advert pushes its Master_Down_Timer back) pushes nothing: an
//! entry that surfaces with a time older than its timer's is pushed again with the new one.
//! So each heap holds about one entry per timer, a re-arm later costs no heap work, and a
//! timer without a window (a Backup's) is in one heap only.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;

/// The caller's key for a timer (e.g. a router index).
pub trait TimerId: Copy + Eq + Hash + Ord {}
impl<T: Copy + Eq + Hash + Ord> TimerId for T {}

/// A heap entry: a time, the key, the generation it was pushed for.
type Entry<D, K> = Reverse<(D, K, u64)>;

/// One live timer.
#[derive(Debug, Clone, Copy)]
struct Live<D> {
    deadline: D,
    latest: D,
    gen: u64,
}

impl<D: Ord> Live<D> {
    fn windowed(&self) -> bool {
        self.latest > self.deadline
    }
}

/// Min-heaps of timers keyed by `K`; `D` is any ordered time (e.g. `Instant`).
#[derive(Debug)]
pub struct Timers<D: Ord + Copy, K: TimerId> {
    /// Timers without a window, by deadline.
    exact: BinaryHeap<Entry<D, K>>,
    /// Timers with a window, by deadline ...
    due: BinaryHeap<Entry<D, K>>,
    /// ... and by latest time to fire.
    wake: BinaryHeap<Entry<D, K>>,
    live: HashMap<K, Live<D>>,
    next_gen: u64,
}

impl<D: Ord + Copy, K: TimerId> Default for Timers<D, K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: Ord + Copy, K: TimerId> Timers<D, K> {
    /// No timers.
    pub fn new() -> Self {
        Timers {
            exact: BinaryHeap::new(),
            due: BinaryHeap::new(),
            wake: BinaryHeap::new(),
            live: HashMap::new(),
            next_gen: 0,
        }
    }

    /// Arm (or re-arm) `key` to fire at `deadline`, replacing any earlier deadline.
    pub fn arm(&mut self, key: K, deadline: D) {
        self.arm_within(key, deadline, deadline);
    }

    /// Arm (or re-arm) `key` due at `deadline`, to be fired no later than `latest` (taken
    /// as `deadline` if earlier): it may wait for timers due a little after it.
    pub fn arm_within(&mut self, key: K, deadline: D, latest: D) {
        let latest = latest.max(deadline);
        let windowed = latest > deadline;
        if let Some(l) = self.live.get_mut(&key) {
            if deadline >= l.deadline && latest >= l.latest && windowed == l.windowed() {
                // Later (or the same): the old entries are pushed again when they surface.
                l.deadline = deadline;
                l.latest = latest;
                return;
            }
        }
        let gen = self.next_gen;
        self.next_gen += 1;
        self.live.insert(
            key,
            Live {
                deadline,
                latest,
                gen,
            },
        );
        if windowed {
            self.due.push(Reverse((deadline, key, gen)));
            self.wake.push(Reverse((latest, key, gen)));
        } else {
            self.exact.push(Reverse((deadline, key, gen)));
        }
    }

    /// Cancel `key`; returns whether it was armed.
    pub fn cancel(&mut self, key: K) -> bool {
        self.live.remove(&key).is_some()
    }

    /// The deadline `key` is armed for, if any.
    pub fn deadline_of(&self, key: K) -> Option<D> {
        self.live.get(&key).map(|l| l.deadline)
    }

    /// The deadline and latest firing time `key` is armed for, if any.
    pub fn window_of(&self, key: K) -> Option<(D, D)> {
        self.live.get(&key).map(|l| (l.deadline, l.latest))
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// No armed timers.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The earliest live deadline.
    pub fn next_deadline(&mut self) -> Option<D> {
        let exact = settle(&mut self.exact, &self.live, |l| l.deadline);
        let windowed = settle(&mut self.due, &self.live, |l| l.deadline);
        earliest(exact, windowed)
    }

    /// The latest moment to call [`Timers::pop_expired`] so that no timer fires after its
    /// latest time: the earliest of them (the earliest deadline when no timer has a window).
    pub fn next_wakeup(&mut self) -> Option<D> {
        let exact = settle(&mut self.exact, &self.live, |l| l.deadline);
        let windowed = settle(&mut self.wake, &self.live, |l| l.latest);
        earliest(exact, windowed)
    }

    /// Pop one timer whose deadline is `<= now`, disarming it (earliest deadline first).
    pub fn pop_expired(&mut self, now: D) -> Option<K> {
        let exact = settle(&mut self.exact, &self.live, |l| l.deadline);
        let windowed = settle(&mut self.due, &self.live, |l| l.deadline);
        let heap = match (exact, windowed) {
            (Some(e), Some(w)) if w < e => &mut self.due,
            (Some(_), _) => &mut self.exact,
            (None, Some(_)) => &mut self.due,
            (None, None) => return None,
        };
        match heap.peek() {
            Some(Reverse((d, _, _))) if *d <= now => {
                let Reverse((_, key, _)) = heap.pop()?;
                self.live.remove(&key);
                Some(key)
            }
            _ => None,
        }
    }
}

/// The earlier of two times, if any.
fn earliest<D: Ord>(a: Option<D>, b: Option<D>) -> Option<D> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Make the top of `heap` a live timer's current time (`time` of it), dropping entries of
/// cancelled or re-armed timers and pushing again those whose timer moved later; that time.
fn settle<D: Ord + Copy, K: TimerId>(
    heap: &mut BinaryHeap<Entry<D, K>>,
    live: &HashMap<K, Live<D>>,
    time: impl Fn(&Live<D>) -> D,
) -> Option<D> {
    while let Some(&Reverse((t, key, gen))) = heap.peek() {
        match live.get(&key) {
            Some(l) if l.gen == gen => {
                let now = time(l);
                if now == t {
                    return Some(t);
                }
                heap.pop();
                heap.push(Reverse((now, key, gen)));
            }
            _ => {
                heap.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(t: &mut Timers<u64, u32>, now: u64) -> Vec<u32> {
        std::iter::from_fn(|| t.pop_expired(now)).collect()
    }

    #[test]
    fn fires_in_deadline_order() {
        let mut t = Timers::new();
        t.arm(1u32, 30u64);
        t.arm(2, 10);
        t.arm(3, 20);
        assert_eq!(t.next_deadline(), Some(10));
        assert_eq!(drain(&mut t, 25), vec![2, 3]);
        assert_eq!(t.next_deadline(), Some(30));
        assert_eq!(drain(&mut t, 30), vec![1]);
        assert!(t.is_empty());
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn nothing_fires_before_its_deadline() {
        let mut t = Timers::new();
        t.arm(7u32, 100u64);
        assert_eq!(t.pop_expired(99), None);
        assert_eq!(t.len(), 1);
        assert_eq!(t.pop_expired(100), Some(7));
    }

    #[test]
    fn cancelled_timer_never_fires() {
        let mut t = Timers::new();
        t.arm(1u32, 10u64);
        t.arm(2, 20);
        assert!(t.cancel(1));
        assert!(!t.cancel(1));
        assert_eq!(t.next_deadline(), Some(20));
        assert_eq!(drain(&mut t, 1000), vec![2]);
    }

    #[test]
    fn rearm_replaces_deadline_both_ways() {
        let mut t = Timers::new();
        t.arm(1u32, 10u64);
        t.arm(1, 50); // later
        assert_eq!(t.deadline_of(1), Some(50));
        assert_eq!(t.pop_expired(20), None);
        t.arm(1, 5); // earlier
        assert_eq!(drain(&mut t, 20), vec![1]);
        assert_eq!(
            drain(&mut t, 100),
            Vec::<u32>::new(),
            "old entries are stale"
        );
    }

    #[test]
    fn rearm_after_fire_and_after_cancel() {
        let mut t = Timers::new();
        t.arm(1u32, 10u64);
        assert_eq!(t.pop_expired(10), Some(1));
        t.arm(1, 20);
        t.cancel(1);
        t.arm(1, 30);
        assert_eq!(t.len(), 1);
        assert_eq!(drain(&mut t, 100), vec![1]);
    }

    #[test]
    fn equal_deadlines_all_fire() {
        let mut t = Timers::new();
        for k in 0..100u32 {
            t.arm(k, 7u64);
        }
        let mut got = drain(&mut t, 7);
        got.sort_unstable();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }
    #[test]
    fn wakeup_is_the_earliest_latest_time_and_fires_all_due() {
        let mut t = Timers::new();
        t.arm_within(1u32, 100u64, 110);
        t.arm_within(2, 105, 115);
        t.arm(3, 120);
        assert_eq!(t.next_deadline(), Some(100));
        assert_eq!(t.next_wakeup(), Some(110));
        // Woken at 110: both windowed timers are due, the exact one is not.
        assert_eq!(drain(&mut t, 110), vec![1, 2]);
        assert_eq!(t.next_wakeup(), Some(120));
    }

    #[test]
    fn an_exact_timer_inside_a_window_bounds_the_wakeup() {
        let mut t = Timers::new();
        t.arm_within(1u32, 100u64, 110);
        t.arm(2, 104);
        assert_eq!(t.next_wakeup(), Some(104));
        assert_eq!(drain(&mut t, 104), vec![1, 2]);
    }

    #[test]
    fn moving_later_pushes_nothing_and_is_seen() {
        let mut t = Timers::new();
        t.arm(1u32, 10u64);
        t.arm_within(2, 10, 12);
        let before = (t.exact.len(), t.due.len(), t.wake.len());
        assert_eq!(before, (1, 1, 1), "a timer without a window is in one heap");
        for d in 11..1000 {
            t.arm(1, d);
            t.arm_within(2, d, d + 2);
        }
        assert_eq!(
            (t.exact.len(), t.due.len(), t.wake.len()),
            before,
            "no entry per re-arm later"
        );
        t.cancel(2);
        assert_eq!(t.next_deadline(), Some(999));
        assert_eq!(t.next_wakeup(), Some(999));
        assert_eq!(t.pop_expired(998), None);
        assert_eq!(t.pop_expired(999), Some(1));
    }

    #[test]
    fn a_timer_given_a_window_or_losing_it_is_in_the_right_heaps() {
        let mut t = Timers::new();
        t.arm(1u32, 100u64);
        t.arm_within(1, 100, 110);
        t.arm(2, 105);
        assert_eq!(t.next_wakeup(), Some(105));
        t.arm(1, 100);
        assert_eq!(t.next_wakeup(), Some(100));
        assert_eq!(drain(&mut t, 104), vec![1]);
        assert_eq!(drain(&mut t, 200), vec![2]);
        assert_eq!(t.next_wakeup(), None);
    }

    #[test]
    fn a_window_moved_earlier_or_narrowed_is_honoured() {
        let mut t = Timers::new();
        t.arm_within(1u32, 100u64, 150);
        t.arm_within(1, 100, 120);
        assert_eq!(t.window_of(1), Some((100, 120)));
        assert_eq!(t.next_wakeup(), Some(120));
        t.arm_within(1, 50, 40); // a latest before the deadline is the deadline
        assert_eq!(t.window_of(1), Some((50, 50)));
        assert_eq!(t.next_wakeup(), Some(50));
        assert_eq!(drain(&mut t, 50), vec![1]);
        assert_eq!(t.next_wakeup(), None, "old entries are stale");
    }
    /// Against a plain map: any sequence of arms (with or without a window), cancels and
    /// pops gives the same deadlines, wakeups and firings.
    mod model {
        use super::super::Timers;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        #[derive(Debug, Clone)]
        enum Op {
            Arm(u8, u16, u8),
            Cancel(u8),
            Pop(u16),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (0..8u8, 0..1000u16, 0..3u8).prop_map(|(k, d, w)| Op::Arm(k, d, w)),
                (0..8u8).prop_map(Op::Cancel),
                (0..1000u16).prop_map(Op::Pop),
            ]
        }

        proptest! {
            #[test]
            fn same_as_a_map(ops in proptest::collection::vec(op(), 1..200)) {
                let mut t: Timers<u32, u8> = Timers::new();
                let mut m: BTreeMap<u8, (u32, u32)> = BTreeMap::new();
                let mut clock = 0u32;
                for o in ops {
                    match o {
                        Op::Arm(k, d, w) => {
                            let d = clock + u32::from(d);
                            let latest = d + u32::from(w) * 5;
                            t.arm_within(k, d, latest);
                            m.insert(k, (d, latest));
                        }
                        Op::Cancel(k) => {
                            prop_assert_eq!(t.cancel(k), m.remove(&k).is_some());
                        }
                        Op::Pop(by) => {
                            clock += u32::from(by);
                            let mut fired = Vec::new();
                            while let Some(k) = t.pop_expired(clock) {
                                fired.push(k);
                            }
                            let mut due: Vec<(u32, u8)> = m
                                .iter()
                                .filter(|(_, &(d, _))| d <= clock)
                                .map(|(&k, &(d, _))| (d, k))
                                .collect();
                            due.sort();
                            for &(_, k) in &due {
                                m.remove(&k);
                            }
                            fired.sort();
                            let mut want: Vec<u8> = due.iter().map(|&(_, k)| k).collect();
                            want.sort();
                            prop_assert_eq!(fired, want);
                        }
                    }
                    prop_assert_eq!(t.len(), m.len());
                    prop_assert_eq!(t.next_deadline(), m.values().map(|v| v.0).min());
                    prop_assert_eq!(t.next_wakeup(), m.values().map(|v| v.1).min());
                }
            }
        }
    }
}
