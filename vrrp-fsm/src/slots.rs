//! Stable indices that are handed out again once given back: an endpoint's instances and a
//! driver's sockets live in slots, and a reload that replaces instances reuses the slots of the ones
//! it removed, so that the tables stop growing at the peak number of live entries.

use std::ops::{Index, IndexMut};

/// Which slot to fill: a free one (given back earlier) or a new one at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A slot given back earlier, to be overwritten.
    Reused(usize),
    /// A new slot, one past the last.
    New(usize),
}

impl Slot {
    /// The slot's index.
    pub fn index(self) -> usize {
        match self {
            Slot::Reused(i) | Slot::New(i) => i,
        }
    }
}

/// Hands out slot indices, the ones given back first (most recently given back first).
#[derive(Debug, Clone, Default)]
pub struct SlotAlloc {
    free: Vec<usize>,
    allocated: usize,
}

impl SlotAlloc {
    /// The slot for a new entry.
    pub fn take(&mut self) -> Slot {
        match self.free.pop() {
            Some(i) => Slot::Reused(i),
            None => {
                self.allocated += 1;
                Slot::New(self.allocated - 1)
            }
        }
    }

    /// Give slot `i` back. Giving back a slot that is free, or was never handed out, is
    /// ignored (returns false).
    pub fn give_back(&mut self, i: usize) -> bool {
        if i >= self.allocated || self.free.contains(&i) {
            return false;
        }
        self.free.push(i);
        true
    }

    /// Slots ever handed out (the length of the tables they index).
    pub fn allocated(&self) -> usize {
        self.allocated
    }

    /// Slots in use.
    pub fn live(&self) -> usize {
        self.allocated - self.free.len()
    }
}

/// Entries in slots: `insert` fills a free slot before growing; `remove` drops the entry at
/// once. Indexing a free slot panics, as indexing past a `Vec` does.
#[derive(Debug)]
pub struct Slab<T> {
    items: Vec<Option<T>>,
    alloc: SlotAlloc,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            items: Vec::new(),
            alloc: SlotAlloc::default(),
        }
    }
}

impl<T> Slab<T> {
    /// Store `item`; returns its index.
    pub fn insert(&mut self, item: T) -> usize {
        match self.alloc.take() {
            Slot::Reused(i) => {
                self.items[i] = Some(item);
                i
            }
            Slot::New(i) => {
                self.items.push(Some(item));
                i
            }
        }
    }

    /// Room for `n` more entries, allocated once.
    pub fn reserve(&mut self, n: usize) {
        self.items.reserve_exact(n);
    }

    /// Take the entry at `i` out (None if that slot is free).
    pub fn remove(&mut self, i: usize) -> Option<T> {
        let item = self.items.get_mut(i)?.take()?;
        self.alloc.give_back(i);
        Some(item)
    }

    /// The entry at `i`, if that slot is in use.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)?.as_ref()
    }

    /// The entry at `i`, if that slot is in use.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i)?.as_mut()
    }

    /// Every entry with its index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i, t.as_ref()?)))
    }

    /// Every entry with its index, mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.items
            .iter_mut()
            .enumerate()
            .filter_map(|(i, t)| Some((i, t.as_mut()?)))
    }

    /// Slots ever used (free ones included).
    pub fn allocated(&self) -> usize {
        self.alloc.allocated()
    }

    /// Entries stored.
    pub fn len(&self) -> usize {
        self.alloc.live()
    }

    /// No entry stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Index<usize> for Slab<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).expect("slab slot in use")
    }
}

impl<T> IndexMut<usize> for Slab<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.get_mut(i).expect("slab slot in use")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_back_slots_are_reused_before_growing() {
        let mut a = SlotAlloc::default();
        assert_eq!(a.take(), Slot::New(0));
        assert_eq!(a.take(), Slot::New(1));
        assert_eq!(a.take(), Slot::New(2));
        assert!(a.give_back(1));
        assert!(!a.give_back(1), "twice");
        assert!(!a.give_back(7), "never handed out");
        assert_eq!((a.allocated(), a.live()), (3, 2));
        assert_eq!(a.take(), Slot::Reused(1));
        assert_eq!(a.take(), Slot::New(3));
        assert_eq!((a.allocated(), a.live()), (4, 4));
    }

    /// What a reload does to the runner: remove half the instances, add as many new ones;
    /// over many rounds the table stays at its first size.
    #[test]
    fn replace_rounds_do_not_grow() {
        let mut a = SlotAlloc::default();
        let mut live: Vec<usize> = (0..50).map(|_| a.take().index()).collect();
        for round in 0..100 {
            let (gone, kept): (Vec<usize>, Vec<usize>) =
                live.iter().partition(|i| (*i + round) % 2 == 0);
            for i in &gone {
                assert!(a.give_back(*i));
            }
            live = kept;
            for _ in 0..gone.len() {
                let s = a.take();
                assert!(matches!(s, Slot::Reused(_)), "round {round}: {s:?}");
                live.push(s.index());
            }
            assert_eq!((a.allocated(), a.live()), (50, 50), "round {round}");
        }
        live.sort_unstable();
        live.dedup();
        assert_eq!(live.len(), 50, "no slot handed out twice");
    }

    #[test]
    fn slab_drops_removed_entries_and_refills_their_slots() {
        let mut s = Slab::default();
        let a = s.insert(String::from("a"));
        let b = s.insert(String::from("b"));
        assert_eq!(s.remove(a).as_deref(), Some("a"));
        assert_eq!(s.remove(a), None);
        assert!(s.get(a).is_none());
        assert_eq!((s.allocated(), s.len()), (2, 1));
        let c = s.insert(String::from("c"));
        assert_eq!(c, a, "the free slot is filled first");
        assert_eq!(s[b], "b");
        s[c].push('!');
        let all: Vec<(usize, &String)> = s.iter().collect();
        assert_eq!(all, vec![(0, &String::from("c!")), (1, &String::from("b"))]);
        assert_eq!(s.allocated(), 2);
    }
}
