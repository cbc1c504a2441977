//! The visited set: one 64-bit fingerprint per state, in one open-addressing table that every
//! search thread inserts into without a lock.
//!
//! A state is known by its fingerprint, a 64-bit hash of the whole state ([`fingerprint`]).
//! Two distinct states with one fingerprint would make the search skip the second; for `n`
//! states the chance that any two collide is below `n² / 2⁶⁵` (1.3·10⁻⁵ at 22 million states,
//! 0.03% at 100 million), the bound TLC reports for its own fingerprint set. The fingerprint is
//! stateright's own (aHash with its fixed keys), so both checkers know a state by one name.
//!
//! The table is a flat array of `AtomicU64` slots (0 is "empty"; a fingerprint of 0 is stored
//! as 1), probed linearly from a slot chosen by the fingerprint's high bits, and claimed by a
//! compare-and-swap: no shard locks and no per-entry payload, so a state costs 8 bytes divided
//! by the load. The table grows by half when it is 80% full, so the load stays between 53% and
//! 80% (10 to 15 bytes per state) once it has outgrown its first size.
//!
//! Growing needs every thread out of the table: each holds a read guard on it while it works
//! ([`Inserter`]) and gives it up every few hundred states, so a grower waits briefly for the
//! write guard, moves every fingerprint to a table half again as large, and lets them back in.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

/// The smallest table: large enough that the few thousand insertions threads make between
/// two looks at the count cannot fill the 20% the growth threshold leaves.
const MIN_SLOTS: usize = 1 << 17;

/// A fingerprint is never 0 (the empty slot): stateright's hash, with 0 moved to 1.
pub(super) fn fingerprint<T: Hash>(value: &T) -> u64 {
    // stateright's `stable` hasher: aHash with these keys (stateright 0.31, src/lib.rs).
    let state = ahash::RandomState::with_seeds(123_456_789_987_654_321, 98_765_432_123_456_789, 0, 0);
    state.hash_one(value).max(1)
}

/// A set of fingerprints shared by the search threads.
pub(super) struct Visited {
    table: RwLock<Table>,
    /// Fingerprints inserted, as far as the inserters have said (each says every
    /// [`Inserter::SAY_EVERY`] insertions and when it is dropped).
    len: AtomicUsize,
}

struct Table {
    slots: Box<[AtomicU64]>,
}

impl Table {
    fn new(slots: usize) -> Table {
        Table {
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Where `fp`'s probe starts: the fingerprint's high bits scaled to the table (Lemire's
    /// multiply-shift), so the table need not be a power of two.
    fn home(&self, fp: u64) -> usize {
        ((u128::from(fp) * self.slots.len() as u128) >> 64) as usize
    }

    /// The most fingerprints before the table must grow.
    fn threshold(&self) -> usize {
        self.slots.len() / 5 * 4
    }

    /// Inserts `fp`: `Some(true)` if it was new, `Some(false)` if it was there, `None` if the
    /// probe met a run so long that the table should grow first.
    fn insert(&self, fp: u64) -> Option<bool> {
        debug_assert_ne!(fp, 0, "0 marks an empty slot");
        let n = self.slots.len();
        let mut i = self.home(fp);
        // At 80% load the expected probe is 13 slots; a run of thousands means a table
        // overfilled between two looks at the count.
        for _ in 0..4096.min(n) {
            let slot = &self.slots[i];
            match slot.load(Ordering::Relaxed) {
                0 => match slot.compare_exchange(0, fp, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return Some(true),
                    Err(other) if other == fp => return Some(false),
                    // Another thread took the slot for another fingerprint: probe on.
                    Err(_) => {}
                },
                other if other == fp => return Some(false),
                _ => {}
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
        None
    }
}

impl Visited {
    /// An empty set sized for about `expected` fingerprints (it grows past them).
    pub(super) fn new(expected: usize) -> Visited {
        let slots = (expected.saturating_mul(5) / 4).max(MIN_SLOTS);
        Visited {
            table: RwLock::new(Table::new(slots)),
            len: AtomicUsize::new(0),
        }
    }

    /// Fingerprints inserted, as of the inserters' last word (exact once all are dropped).
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// One thread's way into the set.
    pub(super) fn inserter(&self) -> Inserter<'_> {
        Inserter {
            set: self,
            table: Some(self.read()),
            unsaid: 0,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        // A thread that panicked while holding a guard has left a table every slot of which
        // is either empty or a whole fingerprint: still sound.
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Grows the table to half again its size, unless another thread already grew it from
    /// `slots`.
    fn grow_from(&self, slots: usize) {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        if table.slots.len() != slots {
            return;
        }
        let bigger = Table::new(slots + slots / 2);
        for slot in table.slots.iter() {
            let fp = slot.load(Ordering::Relaxed);
            if fp != 0 {
                let new = bigger.insert(fp).expect("a table at most 54% full has short runs");
                debug_assert!(new, "a fingerprint is in the table once");
            }
        }
        *table = bigger;
    }
}

/// One thread's handle on the set: it holds the table while the thread works and counts its
/// insertions, saying them to the set now and then.
pub(super) struct Inserter<'s> {
    set: &'s Visited,
    table: Option<RwLockReadGuard<'s, Table>>,
    unsaid: usize,
}

impl Inserter<'_> {
    /// Insertions between two updates of the set's count (and looks at the threshold).
    const SAY_EVERY: usize = 1024;

    /// Inserts `fp`; whether it was new.
    pub(super) fn insert(&mut self, fp: u64) -> bool {
        loop {
            let table = self.table.get_or_insert_with(|| self.set.read());
            match table.insert(fp) {
                Some(new) => {
                    if new {
                        self.unsaid += 1;
                        if self.unsaid >= Self::SAY_EVERY {
                            self.say();
                        }
                    }
                    return new;
                }
                None => self.grow(),
            }
        }
    }

    /// Reads the slot where `fp`'s probe starts, so that its cache line is on its way when
    /// [`Inserter::insert`] comes: the search touches all of a state's successors, then
    /// inserts them, and their cache misses overlap instead of following one another.
    pub(super) fn touch(&mut self, fp: u64) {
        let table = self.table.get_or_insert_with(|| self.set.read());
        let slot: *const AtomicU64 = &table.slots[table.home(fp)];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint that reads nothing into the program and cannot fault,
        // whatever the address (here a slot of the table, which the guard keeps alive); SSE,
        // which has it, is part of every x86_64 target.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Lets a grower in: gives the table up until the next insertion.
    pub(super) fn pause(&mut self) {
        self.say();
        self.table = None;
    }

    /// Adds this thread's insertions to the set's count, and grows the table if that
    /// passes its threshold.
    fn say(&mut self) {
        if self.unsaid == 0 {
            return;
        }
        let len = self.set.len.fetch_add(self.unsaid, Ordering::Relaxed) + self.unsaid;
        self.unsaid = 0;
        if self.table.as_ref().is_some_and(|t| len > t.threshold()) {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let slots = match self.table.take() {
            Some(table) => table.slots.len(),
            None => self.set.read().slots.len(),
        };
        self.set.grow_from(slots);
    }
}

impl Drop for Inserter<'_> {
    fn drop(&mut self) {
        self.set.len.fetch_add(self.unsaid, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_new_once_across_threads_and_growth() {
        let set = Visited::new(0);
        let per_thread = 300_000u64;
        std::thread::scope(|s| {
            for t in 0..2u64 {
                let set = &set;
                s.spawn(move || {
                    let mut ins = set.inserter();
                    let mut new = 0;
                    // Both threads insert the same 300,000 fingerprints, offset so that they
                    // race on every one: each is new exactly once in all.
                    for i in 0..per_thread {
                        let fp = fingerprint(&((i + t * 7) % per_thread));
                        new += usize::from(ins.insert(fp));
                        if i % 500 == 0 {
                            ins.pause();
                        }
                    }
                    new
                });
            }
        });
        assert_eq!(set.len(), per_thread as usize);
        let table = set.read();
        assert!(table.slots.len() > MIN_SLOTS, "the table grew");
        let stored = table.slots.iter().filter(|s| s.load(Ordering::Relaxed) != 0).count();
        assert_eq!(stored, per_thread as usize, "every fingerprint is stored once");
        assert!(stored <= table.threshold(), "and the table is within its load");
    }
}
