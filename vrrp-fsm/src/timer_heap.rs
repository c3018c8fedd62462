//! Timers: a min-heap of (deadline, id) with lazy cancellation.
//!
//! Each [`TimerId`] has at most one live deadline. Re-arming or cancelling bumps the id's
//! generation; heap entries of an older generation are skipped when they surface, so both are
//! O(log n) / O(1) with no search through the heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;

/// The caller's key for a timer (e.g. a router index).
pub trait TimerId: Copy + Eq + Hash + Ord {}
impl<T: Copy + Eq + Hash + Ord> TimerId for T {}

/// Min-heap of deadlines keyed by `K`; `D` is any ordered time (e.g. `Instant`).
#[derive(Debug)]
pub struct Timers<D: Ord + Copy, K: TimerId> {
    heap: BinaryHeap<Reverse<(D, K, u64)>>,
    live: HashMap<K, (D, u64)>,
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
            heap: BinaryHeap::new(),
            live: HashMap::new(),
            next_gen: 0,
        }
    }

    /// Arm (or re-arm) `key` to fire at `deadline`, replacing any earlier deadline.
    pub fn arm(&mut self, key: K, deadline: D) {
        let gen = self.next_gen;
        self.next_gen += 1;
        self.live.insert(key, (deadline, gen));
        self.heap.push(Reverse((deadline, key, gen)));
    }

    /// Cancel `key`; returns whether it was armed.
    pub fn cancel(&mut self, key: K) -> bool {
        self.live.remove(&key).is_some()
    }

    /// The deadline `key` is armed for, if any.
    pub fn deadline_of(&self, key: K) -> Option<D> {
        self.live.get(&key).map(|&(d, _)| d)
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// No armed timers.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The earliest live deadline (drops stale heap entries on the way).
    pub fn next_deadline(&mut self) -> Option<D> {
        self.skip_stale();
        self.heap.peek().map(|Reverse((d, _, _))| *d)
    }

    /// Pop one timer whose deadline is `<= now`, disarming it.
    pub fn pop_expired(&mut self, now: D) -> Option<K> {
        self.skip_stale();
        match self.heap.peek() {
            Some(Reverse((d, _, _))) if *d <= now => {
                let Reverse((_, key, _)) = self.heap.pop()?;
                self.live.remove(&key);
                Some(key)
            }
            _ => None,
        }
    }

    fn skip_stale(&mut self) {
        while let Some(Reverse((_, key, gen))) = self.heap.peek() {
            if self.live.get(key).is_some_and(|&(_, g)| g == *gen) {
                return;
            }
            self.heap.pop();
        }
    }
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
}
