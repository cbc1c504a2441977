//! The per-side join state every engine keeps: records by (key, time, id), each with whether it
//! has matched, ordered so that a record's partners are one range query away.

use crate::event::{Key, Record, RecordId, Side};
use crate::model::JoinParams;
use crate::time::EventTime;
use std::collections::BTreeMap;
use std::ops::{Index, IndexMut, RangeInclusive};

/// Where a record sits in its side's state.
pub type StoreKey = (Key, EventTime, RecordId);

/// Records held in join state, per side (indexed by [`Side::index`]), each with whether it
/// has matched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SideStore([BTreeMap<StoreKey, bool>; 2]);

impl SideStore {
    /// The ids of every stored record, ascending (what [`super::Engine::stored`] returns).
    pub fn ids(&self) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = self.0.iter().flat_map(|s| s.keys().map(|k| k.2)).collect();
        ids.sort_unstable();
        ids
    }

    /// How many records are stored, on both sides.
    pub fn len(&self) -> usize {
        self.0[0].len() + self.0[1].len()
    }

    /// Whether no record is stored on either side.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(BTreeMap::is_empty)
    }

    /// Every stored record, left side first, each side in (key, time, id) order.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        Side::BOTH.into_iter().flat_map(move |side| {
            self.0[side.index()]
                .keys()
                .map(move |&(key, ts, id)| Record { side, key, ts, id })
        })
    }

    /// The stored records of the other side that `r` matches by key and time, with whether
    /// each has matched.
    pub fn partners<'a>(
        &'a self,
        params: &JoinParams,
        r: &Record,
    ) -> impl Iterator<Item = (&'a StoreKey, &'a bool)> + 'a {
        let side = &self.0[r.side.other().index()];
        partner_keys(params, r)
            .into_iter()
            .flat_map(move |range| side.range(range))
    }
}

impl Index<usize> for SideStore {
    type Output = BTreeMap<StoreKey, bool>;

    fn index(&self, side: usize) -> &Self::Output {
        &self.0[side]
    }
}

impl IndexMut<usize> for SideStore {
    fn index_mut(&mut self, side: usize) -> &mut Self::Output {
        &mut self.0[side]
    }
}

/// The state keys a partner of `r` can have: same key, time inside the window, any id.
/// `None` when the window lies entirely outside `i64`.
pub fn partner_keys(params: &JoinParams, r: &Record) -> Option<RangeInclusive<StoreKey>> {
    let (lo, hi) = params.bounds.partner_range(r);
    let lo = i64::try_from(lo.max(i128::from(i64::MIN))).ok()?;
    let hi = i64::try_from(hi.min(i128::from(i64::MAX))).ok()?;
    (lo <= hi).then(|| {
        (r.key, EventTime::from_millis(lo), RecordId(0))..=(r.key, EventTime::from_millis(hi), RecordId(u32::MAX))
    })
}
