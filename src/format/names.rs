//! The names of a streamed trace: record ids and keys, held while a run still holds the record.
//!
//! `oracle --stream`, `diff --stream` and the streamed `replay --stats` and `simulate` runs
//! read a trace line by line and cannot keep every name, so names are numbered as they come
//! ([`StreamNames::admit`]) and let go of when the run no longer holds the record
//! ([`StreamNames::release`]). One interner for all of them, fed by one line reader
//! ([`super::feed`]), so that they check a reused id alike and say so in one sentence.

use crate::event::{Key, Output, RecordId, Side};
use crate::hash::{fx_hash, ByHash, FxMap};
use std::collections::VecDeque;
use std::hash::Hasher;

/// A record's id: inline up to 23 bytes (no allocation for the usual `i123456`), else boxed.
#[derive(Clone, Debug)]
enum Name {
    Inline(u8, [u8; 23]),
    Heap(Box<str>),
}

impl Name {
    fn new(s: &str) -> Name {
        match u8::try_from(s.len()) {
            Ok(n) if n <= 23 => {
                let mut bytes = [0; 23];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Name::Inline(n, bytes)
            }
            _ => Name::Heap(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Name::Inline(n, bytes) => std::str::from_utf8(&bytes[..usize::from(*n)]).expect("copied from a str"),
            Name::Heap(s) => s,
        }
    }
}

// A name hashes and compares as its text, so that a map keyed by names is searched by `&str`.
impl std::hash::Hash for Name {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h);
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// A live record's names.
#[derive(Clone, Debug)]
struct Live {
    side: Side,
    key: Key,
    /// The fingerprint of (side, id) under which `StreamNames::by_print` knows it, if it does.
    print: Option<u64>,
    name: Name,
    /// Its place in the trace among the records (the id a whole-trace run gives it).
    seq: u64,
}

/// Whether record numbers are used again once their record is let go of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ids {
    /// Reused first in, first out: records leave roughly in time order and come roughly in
    /// time order, so the slots (and a state's buckets by key number) are visited almost in
    /// sequence, where a stack would scatter them. Memory follows the live window.
    Recycled,
    /// Never reused, for a run that still names records after their names are gone (a tally
    /// of rows not yet balanced, the ideal join).
    Unique,
}

/// Names of the live records and their keys; record numbers per [`Ids`], key numbers
/// recycled once no live record has the key.
///
/// A reused id is found through a 64-bit fingerprint of (side, id) and confirmed by comparing
/// the names, so the check is exact; the map holds 12 bytes per live record and no string.
/// (Two different live ids with one fingerprint, about one chance in 10^8 for a window of
/// half a million, leave the second out of the check rather than report a false reuse.)
/// Keys are found the same way, by a 64-bit hash confirmed by comparing the names: a key
/// whose hash another live key has (a chance in 10^8 again) goes to a map by name instead.
/// Both maps thus hold 16 bytes an entry, the fewer cache lines the better: at a window of
/// hundreds of thousands of records every lookup is a cache miss.
pub(crate) struct StreamNames {
    key_of: ByHash<Key>,
    /// Keys whose hash another live key had when they came.
    key_of_collided: FxMap<Name, Key>,
    /// Per key number: its name, its hash, how many live records use it, and whether it is
    /// in `key_of_collided`.
    keys: Vec<KeySlot>,
    /// Numbers of keys no live record has, reused first in, first out.
    free_keys: VecDeque<Key>,
    by_print: ByHash<RecordId>,
    records: Slots,
    /// How many records have been admitted.
    admitted: u64,
}

/// The live records by number.
enum Slots {
    Recycled {
        records: Vec<Option<Live>>,
        /// Numbers of records that left (see [`Ids::Recycled`]).
        free: VecDeque<RecordId>,
    },
    Unique {
        records: FxMap<RecordId, Live>,
        next: u32,
    },
}

impl Slots {
    /// The number the next record gets.
    fn next_id(&self) -> RecordId {
        match self {
            Slots::Recycled { records, free } => match free.front() {
                Some(&rid) => rid,
                None => RecordId(u32::try_from(records.len()).expect("fewer than 2^32 live records")),
            },
            Slots::Unique { next, .. } => RecordId(*next),
        }
    }

    /// Stores `live` under [`Slots::next_id`].
    fn push(&mut self, live: Live) -> RecordId {
        let rid = self.next_id();
        match self {
            Slots::Recycled { records, free } => match free.pop_front() {
                Some(_) => records[rid.index()] = Some(live),
                None => records.push(Some(live)),
            },
            Slots::Unique { records, next } => {
                *next = next
                    .checked_add(1)
                    .expect("fewer than 2^32 records in a streamed trace");
                records.insert(rid, live);
            }
        }
        rid
    }

    fn get(&self, id: RecordId) -> Option<&Live> {
        match self {
            Slots::Recycled { records, .. } => records.get(id.index()).and_then(Option::as_ref),
            Slots::Unique { records, .. } => records.get(&id),
        }
    }

    fn take(&mut self, id: RecordId) -> Option<Live> {
        match self {
            Slots::Recycled { records, free } => {
                let live = records.get_mut(id.index())?.take()?;
                free.push_back(id);
                Some(live)
            }
            Slots::Unique { records, .. } => records.remove(&id),
        }
    }

    /// The live records' numbers, in no particular order.
    fn ids(&self) -> Vec<RecordId> {
        match self {
            Slots::Recycled { records, .. } => (0..records.len())
                .filter(|&i| records[i].is_some())
                .map(|i| RecordId(i as u32))
                .collect(),
            Slots::Unique { records, .. } => records.keys().copied().collect(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Slots::Recycled { records, free } => records.len() - free.len(),
            Slots::Unique { records, .. } => records.len(),
        }
    }
}

/// A live key.
#[derive(Clone, Debug)]
struct KeySlot {
    name: Name,
    hash: u64,
    count: u32,
    collided: bool,
}

fn fingerprint(side: Side, id: &str) -> u64 {
    fx_hash((side.index() as u8, id))
}

impl super::Names for StreamNames {
    fn record_name(&self, id: RecordId) -> &str {
        self.live(id).name.as_str()
    }

    fn record_key(&self, id: RecordId) -> &str {
        self.keys[self.key(id).0 as usize].name.as_str()
    }

    fn record_side(&self, id: RecordId) -> Side {
        self.live(id).side
    }
}

impl StreamNames {
    /// No names yet; record numbers per `ids`.
    pub(crate) fn new(ids: Ids) -> StreamNames {
        StreamNames {
            key_of: ByHash::default(),
            key_of_collided: FxMap::default(),
            keys: Vec::new(),
            free_keys: VecDeque::new(),
            by_print: ByHash::default(),
            records: match ids {
                Ids::Recycled => Slots::Recycled {
                    records: Vec::new(),
                    free: VecDeque::new(),
                },
                Ids::Unique => Slots::Unique {
                    records: FxMap::default(),
                    next: 0,
                },
            },
            admitted: 0,
        }
    }

    /// Numbers a record; `None` when a live record of `side` already has the id.
    pub(crate) fn admit(&mut self, side: Side, key: &str, id: &str) -> Option<RecordId> {
        use std::collections::hash_map::Entry;
        let print = fingerprint(side, id);
        let rid = self.records.next_id();
        let free_print = match self.by_print.entry(print) {
            Entry::Vacant(slot) => {
                slot.insert(rid);
                true
            }
            Entry::Occupied(slot) => {
                let other = self.records.get(*slot.get()).expect("a live record");
                if other.side == side && other.name.as_str() == id {
                    return None;
                }
                false
            }
        };
        let key = self.key_number(key);
        let live = Live {
            side,
            key,
            print: free_print.then_some(print),
            name: Name::new(id),
            seq: self.admitted,
        };
        self.admitted += 1;
        let pushed = self.records.push(live);
        debug_assert_eq!(pushed, rid, "the number the fingerprint map was given");
        Some(rid)
    }

    /// The number of the key named `key`, counting one more record that has it.
    fn key_number(&mut self, key: &str) -> Key {
        use std::collections::hash_map::Entry;
        let hash = fx_hash(key);
        let next = match self.free_keys.front() {
            Some(&k) => k,
            None => Key(u32::try_from(self.keys.len()).expect("fewer than 2^32 live keys")),
        };
        let collided = match self.key_of.entry(hash) {
            Entry::Occupied(slot) => {
                let k = *slot.get();
                let known = &mut self.keys[k.0 as usize];
                if known.name.as_str() == key {
                    known.count += 1;
                    return k;
                }
                match self.key_of_collided.get(key) {
                    Some(&k) => {
                        self.keys[k.0 as usize].count += 1;
                        return k;
                    }
                    None => {
                        self.key_of_collided.insert(Name::new(key), next);
                        true
                    }
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(next);
                false
            }
        };
        let slot = KeySlot {
            name: Name::new(key),
            hash,
            count: 1,
            collided,
        };
        match self.free_keys.pop_front() {
            Some(k) => self.keys[k.0 as usize] = slot,
            None => self.keys.push(slot),
        }
        next
    }

    fn live(&self, id: RecordId) -> &Live {
        self.records.get(id).expect("a live record")
    }

    /// The key number of a live record.
    pub(crate) fn key(&self, id: RecordId) -> Key {
        self.live(id).key
    }

    /// The id of a live record as the trace writes it.
    pub(crate) fn name(&self, id: RecordId) -> &str {
        self.live(id).name.as_str()
    }

    /// The side of a live record.
    pub(crate) fn side(&self, id: RecordId) -> Side {
        self.live(id).side
    }

    /// Forgets a record that left, and its key when no live record has it.
    pub(crate) fn release(&mut self, id: RecordId) {
        let live = self.records.take(id).expect("a live record");
        if let Some(print) = live.print {
            self.by_print.remove(&print);
        }
        let slot = &mut self.keys[live.key.0 as usize];
        slot.count -= 1;
        if slot.count == 0 {
            if slot.collided {
                self.key_of_collided.remove(slot.name.as_str());
            } else {
                self.key_of.remove(&slot.hash);
            }
            self.free_keys.push_back(live.key);
        }
    }

    /// Forgets every live record but those in `held` (ascending).
    pub(crate) fn release_all_but(&mut self, held: &[RecordId]) {
        debug_assert!(held.windows(2).all(|w| w[0] <= w[1]), "held ascending");
        let mut ids = self.records.ids();
        // Released in number order, so that recycled numbers come back in that order.
        ids.sort_unstable();
        for id in ids {
            if held.binary_search(&id).is_err() {
                self.release(id);
            }
        }
    }

    /// The order key of an output among outputs of one batch: the order of [`Output`] with
    /// each id replaced by its record's place in the trace, so that rows sort as a
    /// whole-trace run sorts them.
    pub(crate) fn order(&self, o: &Output) -> (u8, u64, u64) {
        let seq = |id: RecordId| self.live(id).seq;
        match *o {
            Output::Match { left, right } => (0, seq(left), seq(right)),
            Output::Semi { left } => (1, seq(left), 0),
            Output::Unmatched(id) => (2, seq(id), 0),
            Output::Late(id) => (3, seq(id), 0),
        }
    }

    /// How many records are live.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recycled numbers come back first in, first out; unique ones never; a live id is
    /// refused on its own side only, and is free again once released.
    #[test]
    fn record_numbers_follow_their_policy_and_a_live_id_is_refused() {
        for ids in [Ids::Recycled, Ids::Unique] {
            let mut names = StreamNames::new(ids);
            let a = names.admit(Side::Left, "k", "i1").expect("new");
            let b = names.admit(Side::Right, "k", "i1").expect("the other side may use it");
            assert_eq!(names.admit(Side::Left, "k2", "i1"), None, "{ids:?}");
            assert_eq!((names.name(b), names.side(b)), ("i1", Side::Right));
            assert_eq!(names.key(a), names.key(b), "one key, one number");
            names.release(a);
            let c = names.admit(Side::Left, "k2", "i1").expect("released");
            match ids {
                Ids::Recycled => assert_eq!(c, a, "the freed number"),
                Ids::Unique => assert!(c > b, "{c:?} after {b:?}"),
            }
            assert_eq!(names.len(), 2);
            names.release_all_but(&[c]);
            assert_eq!(names.len(), 1);
            assert_eq!(names.name(c), "i1");
        }
    }

    /// A key's number is freed with its last record and reused for the next new key; names
    /// longer than the inline 23 bytes are kept whole.
    #[test]
    fn key_numbers_are_reused_once_no_record_has_the_key() {
        let mut names = StreamNames::new(Ids::Recycled);
        let long = "a-record-id-longer-than-twenty-three-bytes";
        let a = names.admit(Side::Left, "k", long).expect("new");
        let key = names.key(a);
        names.release(a);
        let b = names.admit(Side::Left, "other", "i2").expect("new");
        assert_eq!(names.key(b), key, "the freed key number");
        let c = names.admit(Side::Left, "k", long).expect("released");
        assert_ne!(names.key(c), names.key(b));
        assert_eq!(names.name(c), long);
        assert_eq!(super::super::Names::record_key(&names, c), "k");
    }
}
