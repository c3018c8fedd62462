//! Timers: min-heaps of (time, id) with lazy cancellation, each timer firing within a window.
//!
//! Each [`TimerId`] has at most one live timer: due at a deadline, to be fired no later than
//! a latest time (the deadline itself unless armed with [`Timers::arm_within`]). Timers whose
//! windows overlap can then be fired in one wakeup: [`Timers::next_wakeup`] is the earliest
//! latest time, and [`Timers::pop_expired`] fires every timer due by then.
//!
//! Two heaps order the live timers, by deadline (what is due) and by latest time (when to
//! wake). Cancelling, or moving a timer earlier, bumps its generation and pushes new
//! entries; entries of an older generation are skipped when they surface. Moving a timer
//! later (a Backup hearing an advert pushes its Master_Down_Timer back) pushes nothing: an
//! entry that surfaces with a time older than its timer's is pushed again with the new one.
//! So each heap holds about one entry per timer, and a re-arm later costs no heap work.

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

/// Min-heaps of timers keyed by `K`; `D` is any ordered time (e.g. `Instant`).
#[derive(Debug)]
pub struct Timers<D: Ord + Copy, K: TimerId> {
    /// By deadline.
    due: BinaryHeap<Entry<D, K>>,
    /// By latest time to fire.
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
        if let Some(l) = self.live.get_mut(&key) {
            if deadline >= l.deadline && latest >= l.latest {
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
        self.due.push(Reverse((deadline, key, gen)));
        self.wake.push(Reverse((latest, key, gen)));
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
        settle(&mut self.due, &self.live, |l| l.deadline)
    }

    /// The latest moment to call [`Timers::pop_expired`] so that no timer fires after its
    /// latest time: the earliest of them (the earliest deadline when no timer has a window).
    pub fn next_wakeup(&mut self) -> Option<D> {
        settle(&mut self.wake, &self.live, |l| l.latest)
    }

    /// Pop one timer whose deadline is `<= now`, disarming it (earliest deadline first).
    pub fn pop_expired(&mut self, now: D) -> Option<K> {
        match settle(&mut self.due, &self.live, |l| l.deadline) {
            Some(d) if d <= now => {
                let Reverse((_, key, _)) = self.due.pop()?;
                self.live.remove(&key);
                Some(key)
            }
            _ => None,
        }
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
        let before = (t.due.len(), t.wake.len());
        for d in 11..1000 {
            t.arm(1, d);
        }
        assert_eq!(
            (t.due.len(), t.wake.len()),
            before,
            "no entry per re-arm later"
        );
        assert_eq!(t.next_deadline(), Some(999));
        assert_eq!(t.next_wakeup(), Some(999));
        assert_eq!(t.pop_expired(998), None);
        assert_eq!(t.pop_expired(999), Some(1));
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
}
