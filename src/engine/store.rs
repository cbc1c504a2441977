//! The per-side join state every engine keeps, and the streaming oracle's window: records in
//! per-key buckets, each bucket ordered by (time, id), each record with whether it has
//! matched; and, for the engines that evict oldest first, a time-ordered queue beside them.
//!
//! A record's partners are one index (or hash) lookup and a binary search away (same key,
//! time inside the window); engines that evict by timers or ranges of one key store and
//! remove a record without touching any ordered index of the whole state. The eviction queue
//! is a calendar of (time, id, key) by slots of event time, built on first use and cleaned
//! lazily: a record removed by other means (a semi join's first match, a
//! timer, a Kafka segment) leaves its queue entry behind, and the queue skips entries whose
//! record is gone when it is asked for the oldest. The state itself is the buckets: equality
//! and the hash the model checker tells states apart by see only them, in a canonical order.

use crate::event::{Key, Output, Record, RecordId, Side};
pub(crate) use crate::hash::FxMap;
use crate::model::JoinParams;
use crate::time::EventTime;
use smallvec::SmallVec;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hash::{Hash, Hasher};
use std::ops::{Index, IndexMut};

/// A stored record of one side and key: its time, its id and whether it has matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// The record's event time.
    pub ts: EventTime,
    /// The record.
    pub id: RecordId,
    /// Whether it has matched (for outer joins: whether it needs no null row).
    pub matched: bool,
}

/// The records of one key, ordered by (time, id); most keys hold one on each side, inline
/// (24 bytes a bucket).
type Bucket = SmallVec<[Entry; 1]>;

/// Where the record (ts, id) sits in `bucket`, or where it would go.
fn find(bucket: &[Entry], ts: EventTime, id: RecordId) -> Result<usize, usize> {
    bucket.binary_search_by(|e| (e.ts, e.id).cmp(&(ts, id)))
}

/// Where the records at times `lo..=hi` sit in `bucket`.
fn span(bucket: &[Entry], lo: EventTime, hi: EventTime) -> std::ops::Range<usize> {
    let start = bucket.partition_point(|e| e.ts < lo);
    let end = start + bucket[start..].partition_point(|e| e.ts <= hi);
    start..end
}

/// Buckets by key: in a vector indexed by the key's number below [`Buckets::DENSE`] (every
/// reader numbers keys densely from 0, and the streaming readers reuse the numbers of keys
/// no record holds any more), in a hash map above it. An empty bucket is no bucket.
#[derive(Clone, Default)]
struct Buckets {
    dense: Vec<Bucket>,
    sparse: FxMap<Key, Bucket>,
}

impl Buckets {
    /// Key numbers below this index the vector (24 MB of empty buckets at most).
    const DENSE: u32 = 1 << 20;

    fn get(&self, key: &Key) -> Option<&Bucket> {
        if key.0 < Self::DENSE {
            self.dense.get(key.0 as usize).filter(|b| !b.is_empty())
        } else {
            self.sparse.get(key)
        }
    }

    fn get_mut(&mut self, key: &Key) -> Option<&mut Bucket> {
        if key.0 < Self::DENSE {
            self.dense.get_mut(key.0 as usize).filter(|b| !b.is_empty())
        } else {
            self.sparse.get_mut(key)
        }
    }

    /// The bucket of `key`, made if there is none.
    fn entry(&mut self, key: Key) -> &mut Bucket {
        if key.0 < Self::DENSE {
            let i = key.0 as usize;
            if i >= self.dense.len() {
                self.dense.resize_with(i + 1, Bucket::new);
            }
            &mut self.dense[i]
        } else {
            self.sparse.entry(key).or_default()
        }
    }

    /// Forgets the bucket of `key`, which is empty.
    fn remove(&mut self, key: &Key) {
        if key.0 < Self::DENSE {
            let b = &mut self.dense[key.0 as usize];
            debug_assert!(b.is_empty());
            if b.spilled() {
                *b = Bucket::new();
            }
        } else {
            self.sparse.remove(key);
        }
    }

    /// Every bucket, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (Key, &Bucket)> {
        let dense = self.dense.iter().enumerate().filter(|(_, b)| !b.is_empty());
        dense
            .map(|(i, b)| (Key(i as u32), b))
            .chain(self.sparse.iter().map(|(k, b)| (*k, b)))
    }

    /// The keys, ascending.
    fn sorted_keys(&self) -> Vec<Key> {
        let mut keys: Vec<Key> = self.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        keys
    }
}

impl PartialEq for Buckets {
    fn eq(&self, other: &Buckets) -> bool {
        let (a, b) = (self.sorted_keys(), other.sorted_keys());
        a == b && a.iter().all(|k| self.get(k) == other.get(k))
    }
}

/// One side's records held in join state.
#[derive(Clone, Default)]
pub struct Store {
    buckets: Buckets,
    len: usize,
    /// (time, id, key) of every stored record, plus entries of records removed since by other
    /// means than the queue; `None` until the first call of [`Store::oldest`].
    queue: Option<Queue>,
}

impl PartialEq for Store {
    fn eq(&self, other: &Store) -> bool {
        self.len == other.len && self.buckets == other.buckets
    }
}

impl Eq for Store {}

impl Hash for Store {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.len.hash(h);
        for key in self.buckets.sorted_keys() {
            key.hash(h);
            self.buckets.get(&key).hash(h);
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.buckets.sorted_keys();
        f.debug_map()
            .entries(keys.iter().map(|k| (k, self.buckets.get(k))))
            .finish()
    }
}

impl Store {
    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Stores a record; `false` (and nothing changes) when it is stored already.
    pub fn insert(&mut self, key: Key, ts: EventTime, id: RecordId, matched: bool) -> bool {
        let bucket = self.buckets.entry(key);
        let at = match bucket.last() {
            // Records mostly arrive in time order: the usual place is the end.
            Some(last) if (last.ts, last.id) < (ts, id) => bucket.len(),
            None => 0,
            Some(_) => match find(bucket, ts, id) {
                Ok(_) => return false,
                Err(at) => at,
            },
        };
        bucket.insert(at, Entry { ts, id, matched });
        self.len += 1;
        if let Some(queue) = &mut self.queue {
            queue.push((ts, id, key));
        }
        true
    }

    /// Removes a record; whether it had matched, or `None` when it was not stored.
    pub fn remove(&mut self, key: Key, ts: EventTime, id: RecordId) -> Option<bool> {
        let bucket = self.buckets.get_mut(&key)?;
        let at = find(bucket, ts, id).ok()?;
        let entry = bucket.remove(at);
        if bucket.is_empty() {
            self.buckets.remove(&key);
        }
        self.len -= 1;
        Some(entry.matched)
    }

    /// The records of `key`, by (time, id).
    pub fn of_key(&self, key: Key) -> &[Entry] {
        self.buckets.get(&key).map_or(&[], |b| b.as_slice())
    }

    /// The records of `key` at times `lo..=hi`, by (time, id).
    pub fn range(&self, key: Key, lo: EventTime, hi: EventTime) -> &[Entry] {
        match self.buckets.get(&key) {
            Some(bucket) => &bucket[span(bucket, lo, hi)],
            None => &[],
        }
    }

    /// The records of `key` at times `lo..=hi`, by (time, id), to mark as matched.
    pub fn range_mut(&mut self, key: Key, lo: EventTime, hi: EventTime) -> &mut [Entry] {
        match self.buckets.get_mut(&key) {
            Some(bucket) => {
                let at = span(bucket, lo, hi);
                &mut bucket[at]
            }
            None => &mut [],
        }
    }

    /// Visits the records of `key` at times `lo..=hi` in (time, id) order, and removes those
    /// for which `doomed` holds, handing each to `removed`; `doomed` may mark the records it
    /// keeps as matched.
    pub fn remove_where(
        &mut self,
        key: Key,
        lo: EventTime,
        hi: EventTime,
        mut doomed: impl FnMut(&mut Entry) -> bool,
        mut removed: impl FnMut(Entry),
    ) {
        let Some(bucket) = self.buckets.get_mut(&key) else {
            return;
        };
        let at = span(bucket, lo, hi);
        let mut kept = at.start;
        for i in at.clone() {
            let mut e = bucket[i];
            if doomed(&mut e) {
                removed(e);
            } else {
                bucket[kept] = e;
                kept += 1;
            }
        }
        let gone = at.end - kept;
        if gone > 0 {
            bucket.drain(kept..at.end);
            self.len -= gone;
            if bucket.is_empty() {
                self.buckets.remove(&key);
            }
        }
    }

    /// The oldest stored record by (time, id, key), without removing it.
    pub fn oldest(&mut self) -> Option<(EventTime, RecordId, Key)> {
        let buckets = &self.buckets;
        let every = || {
            Queue::of(
                buckets
                    .iter()
                    .flat_map(|(key, b)| b.iter().map(move |e| (e.ts, e.id, key))),
            )
        };
        let queue = self.queue.get_or_insert_with(every);
        // Entries of records removed by other means outnumbering the records: rebuild.
        if queue.len() > 2 * self.len + 1024 {
            *queue = every();
        }
        while let Some(top @ (ts, id, key)) = queue.peek() {
            // One entry per record: the queue has no entry of a removed record.
            if queue.len() == self.len {
                return Some(top);
            }
            if let Some(bucket) = buckets.get(&key) {
                if find(bucket, ts, id).is_ok() {
                    return Some(top);
                }
            }
            queue.pop();
        }
        None
    }

    /// Removes the oldest record, by (time, id, key), while `doomed` holds for it, handing
    /// each to `removed`.
    pub fn pop_oldest_while(
        &mut self,
        mut doomed: impl FnMut(Key, EventTime, RecordId) -> bool,
        mut removed: impl FnMut(Key, Entry),
    ) {
        while let Some((ts, id, key)) = self.oldest() {
            if !doomed(key, ts, id) {
                break;
            }
            if let Some(queue) = &mut self.queue {
                queue.pop();
            }
            let matched = self.remove(key, ts, id).expect("the queue's oldest is stored");
            removed(key, Entry { ts, id, matched });
        }
    }

    /// Every stored record as (key, entry), in (key, time, id) order.
    pub fn sorted(&self) -> Vec<(Key, Entry)> {
        let keys = self.buckets.sorted_keys();
        keys.into_iter()
            .flat_map(|k| self.buckets.get(&k).into_iter().flatten().map(move |e| (k, *e)))
            .collect()
    }
}

/// A queue entry: (time, id, key), in the order records leave.
type Queued = (EventTime, RecordId, Key);

/// Records in time order, as a calendar: entries in slots of [`Queue::SLOT_MS`] of event time,
/// the earliest slot (with anything pushed behind it since) in a small binary heap, the later
/// ones unordered in a B-tree of slots. A push is a lookup among the slots, which span the
/// window, and a vector push; the oldest comes off the small heap, which stays in cache. (One
/// ordered set of all entries cost a B-tree insert among hundreds of thousands per record; one
/// heap of all entries, a path through the whole array per pop.)
#[derive(Clone, Default)]
struct Queue {
    /// Every entry whose slot is at or before `head_slot`.
    head: BinaryHeap<Reverse<Queued>>,
    head_slot: Option<i64>,
    /// The other entries, by slot: all after `head_slot`.
    slots: BTreeMap<i64, Vec<Queued>>,
    len: usize,
}

impl Queue {
    /// The width of a slot: 1,024 ms.
    const SLOT_MS: i64 = 1 << 10;

    fn slot(e: &Queued) -> i64 {
        e.0.as_millis().div_euclid(Self::SLOT_MS)
    }

    fn of(entries: impl Iterator<Item = Queued>) -> Queue {
        let mut q = Queue::default();
        for e in entries {
            q.push(e);
        }
        q
    }

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, e: Queued) {
        self.len += 1;
        let slot = Self::slot(&e);
        match self.head_slot {
            Some(head) if slot <= head => self.head.push(Reverse(e)),
            _ => self.slots.entry(slot).or_default().push(e),
        }
    }

    /// Makes the head hold the oldest entry, if there is any.
    fn fill(&mut self) {
        while self.head.is_empty() {
            let Some((slot, entries)) = self.slots.pop_first() else {
                return;
            };
            self.head_slot = Some(slot);
            self.head = entries.into_iter().map(Reverse).collect();
        }
    }

    fn peek(&mut self) -> Option<Queued> {
        self.fill();
        self.head.peek().map(|r| r.0)
    }

    fn pop(&mut self) {
        self.fill();
        if self.head.pop().is_some() {
            self.len -= 1;
        }
    }
}

/// `ids` in ascending order, duplicates kept (so that the engine contract, which requires
/// `stored()` strictly ascending, still sees an id stored twice). Engines answer
/// [`super::Engine::stored`] after every step of a run, so this is on the path of every long
/// `replay`: ids are dense (numbers given in arrival order), so where they are distinct and not
/// too sparse a bitmap over their range puts them in order in linear time, several times faster
/// than a comparison sort of a large state.
pub fn ascending(mut ids: Vec<RecordId>) -> Vec<RecordId> {
    let Some(max) = ids.iter().map(|id| id.index()).max() else {
        return ids;
    };
    if ids.len() < 64 || max / 16 > ids.len() {
        ids.sort_unstable();
        return ids;
    }
    let mut bits = vec![0u64; max / 64 + 1];
    let mut distinct = 0;
    for id in &ids {
        let (word, bit) = (&mut bits[id.index() / 64], 1 << (id.index() % 64));
        distinct += usize::from(*word & bit == 0);
        *word |= bit;
    }
    if distinct != ids.len() {
        ids.sort_unstable();
        return ids;
    }
    ids.clear();
    for (w, mut word) in bits.into_iter().enumerate() {
        while word != 0 {
            let bit = word.trailing_zeros() as usize;
            ids.push(RecordId((w * 64 + bit) as u32));
            word &= word - 1;
        }
    }
    ids
}

/// Records held in join state, per side (indexed by [`Side::index`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SideStore([Store; 2]);

impl SideStore {
    /// The ids of every stored record, ascending (what [`super::Engine::stored`] returns).
    pub fn ids(&self) -> Vec<RecordId> {
        ascending(self.unordered_ids().collect())
    }

    /// The ids of every stored record, in no particular order (for engines that hold records
    /// elsewhere too and put them all in order once, with [`ascending`]).
    pub fn unordered_ids(&self) -> impl Iterator<Item = RecordId> + '_ {
        self.0
            .iter()
            .flat_map(|s| s.buckets.iter().flat_map(|(_, b)| b.iter().map(|e| e.id)))
    }

    /// How many records are stored, on both sides.
    pub fn len(&self) -> usize {
        self.0[0].len + self.0[1].len
    }

    /// Whether no record is stored on either side.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every stored record, left side first, each side in (key, time, id) order.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        Side::BOTH.into_iter().flat_map(move |side| {
            self.0[side.index()].sorted().into_iter().map(move |(key, e)| Record {
                side,
                key,
                ts: e.ts,
                id: e.id,
            })
        })
    }

    /// The stored records of the other side that `r` matches by key and time, by (time, id).
    pub fn partners(&self, params: &JoinParams, r: &Record) -> &[Entry] {
        match partner_times(params, r) {
            Some((lo, hi)) => self.0[r.side.other().index()].range(r.key, lo, hi),
            None => &[],
        }
    }

    /// Joins `r` with its stored partners: a match row for each (for a left semi join, a
    /// right record gives each partner its row on its first match, and a left record none),
    /// and each partner marked as matched. Whether `r` had a partner.
    pub fn join(&mut self, params: &JoinParams, r: &Record, out: &mut Vec<Output>) -> bool {
        let semi = params.kind == crate::model::JoinKind::LeftSemi;
        let partners = self.partners_mut(params, r);
        for p in partners.iter_mut() {
            debug_assert!({
                let p = Record {
                    side: r.side.other(),
                    key: r.key,
                    ts: p.ts,
                    id: p.id,
                };
                match r.side {
                    Side::Left => params.matches(r, &p),
                    Side::Right => params.matches(&p, r),
                }
            });
            match (semi, r.side) {
                (false, side) => out.push(Output::pair(side, r.id, p.id)),
                (true, Side::Right) if !p.matched => out.push(Output::Semi { left: p.id }),
                (true, _) => {}
            }
            p.matched = true;
        }
        !partners.is_empty()
    }

    /// The same partners, to mark as matched.
    pub fn partners_mut(&mut self, params: &JoinParams, r: &Record) -> &mut [Entry] {
        match partner_times(params, r) {
            Some((lo, hi)) => self.0[r.side.other().index()].range_mut(r.key, lo, hi),
            None => &mut [],
        }
    }
}

impl Index<usize> for SideStore {
    type Output = Store;

    fn index(&self, side: usize) -> &Store {
        &self.0[side]
    }
}

impl IndexMut<usize> for SideStore {
    fn index_mut(&mut self, side: usize) -> &mut Store {
        &mut self.0[side]
    }
}

/// The times a partner of `r` can have (same key, any id), or `None` when the window lies
/// entirely outside `i64`.
pub fn partner_times(params: &JoinParams, r: &Record) -> Option<(EventTime, EventTime)> {
    let (lo, hi) = params.bounds.partner_range(r);
    let lo = i64::try_from(lo.max(i128::from(i64::MIN))).ok()?;
    let hi = i64::try_from(hi.min(i128::from(i64::MAX))).ok()?;
    (lo <= hi).then(|| (EventTime::from_millis(lo), EventTime::from_millis(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> EventTime {
        EventTime::from_millis(ms)
    }

    #[test]
    fn ascending_ids_are_a_sort_dense_or_sparse_duplicates_kept() {
        use rand_chacha::rand_core::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..200 {
            let len = (rng.next_u32() % 3000) as usize;
            // Dense ranges take the bitmap, sparse ones the comparison sort.
            let range = if case % 2 == 0 { len as u32 + 1 } else { u32::MAX / 2 };
            let mut ids: Vec<RecordId> = (0..len).map(|_| RecordId(rng.next_u32() % range)).collect();
            if case % 4 == 0 {
                // Distinct dense ids (a shuffled range, what engines hold): the bitmap's path.
                let mut keyed: Vec<(u32, RecordId)> = (0..len as u32).map(|i| (rng.next_u32(), RecordId(i))).collect();
                keyed.sort_unstable();
                ids = keyed.into_iter().map(|(_, id)| id).collect();
            }
            let mut want = ids.clone();
            want.sort_unstable();
            assert_eq!(ascending(ids), want, "case {case}");
        }
    }

    #[test]
    fn buckets_keep_time_order_and_the_queue_skips_removed_records() {
        let mut s = Store::default();
        assert!(s.insert(Key(1), t(5), RecordId(0), false));
        assert!(s.insert(Key(1), t(3), RecordId(1), false));
        assert!(s.insert(Key(2), t(4), RecordId(2), false));
        assert!(!s.insert(Key(1), t(3), RecordId(1), true), "stored twice");
        assert_eq!(s.len(), 3);
        let times: Vec<i64> = s.of_key(Key(1)).iter().map(|e| e.ts.as_millis()).collect();
        assert_eq!(times, [3, 5]);
        assert_eq!(s.oldest(), Some((t(3), RecordId(1), Key(1))));
        // Removed by other means: the queue skips it.
        assert_eq!(s.remove(Key(1), t(3), RecordId(1)), Some(false));
        assert_eq!(s.oldest(), Some((t(4), RecordId(2), Key(2))));
        // Inserted after the queue exists: it is queued too.
        s.insert(Key(3), t(1), RecordId(3), true);
        let mut gone = Vec::new();
        s.pop_oldest_while(|_, ts, _| ts < t(5), |k, e| gone.push((k, e.id)));
        assert_eq!(gone, [(Key(3), RecordId(3)), (Key(2), RecordId(2))]);
        assert_eq!(s.len(), 1);
        assert_eq!(s.range(Key(1), t(5), t(5)).len(), 1);
        assert!(s.range(Key(1), t(6), t(9)).is_empty());
    }

    /// The calendar gives exactly the order of a sorted multiset, whatever the times (negative,
    /// equal, far apart, behind the slot being taken) and however pushes and pops interleave.
    #[test]
    fn the_queue_takes_entries_in_time_order() {
        use rand_chacha::rand_core::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for round in 0..200 {
            let mut q = Queue::default();
            let mut model: Vec<Queued> = Vec::new();
            let spread: i64 = [10, 3_000, 1 << 40][round % 3];
            let mut now = 0i64;
            for i in 0..400u32 {
                if rng.next_u32() % 3 == 0 {
                    model.sort_unstable();
                    assert_eq!(q.peek(), model.first().copied(), "round {round}, step {i}");
                    if !model.is_empty() {
                        model.remove(0);
                        q.pop();
                    }
                } else {
                    now += (rng.next_u64() % 50) as i64;
                    let ts = now - (rng.next_u64() % spread as u64) as i64;
                    let e = (t(ts), RecordId(i % 50), Key(rng.next_u32() % 4));
                    q.push(e);
                    model.push(e);
                }
                assert_eq!(q.len(), model.len());
            }
            model.sort_unstable();
            for e in model {
                assert_eq!(q.peek(), Some(e));
                q.pop();
            }
            assert_eq!(q.peek(), None);
        }
    }

    #[test]
    fn equal_states_hash_alike_whatever_their_history() {
        use std::hash::BuildHasher;
        let h = |s: &Store| {
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
        };
        let mut a = Store::default();
        let mut b = Store::default();
        for k in 0..40 {
            a.insert(Key(k), t(i64::from(k)), RecordId(k), false);
        }
        for k in (0..40).rev() {
            b.insert(Key(k), t(i64::from(k)), RecordId(k), false);
        }
        b.insert(Key(99), t(0), RecordId(99), false);
        b.oldest();
        b.remove(Key(99), t(0), RecordId(99));
        assert_eq!(a, b);
        assert_eq!(h(&a), h(&b));
        a.remove_where(Key(3), t(0), t(10), |_| true, |_| {});
        assert_ne!(a, b);
    }
}
