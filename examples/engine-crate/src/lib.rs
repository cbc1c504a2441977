//! A join operator of its own, in a crate of its own: an event-time interval join keeping each
//! side's records in a `BTreeMap` (a `HashMap` would not be `Hash`; see the harness's docs),
//! evicting a record once the join's watermark shows that no on-time record can match it.
//! Everything joincheck-specific is in `tests/joincheck.rs`; the operator knows joincheck only
//! through the `Engine` trait it implements there.

use std::collections::BTreeMap;

/// One input record.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rec {
    /// 0 = left (impressions), 1 = right (clicks).
    pub side: usize,
    pub key: u32,
    pub ts: i64,
    pub id: u32,
}

/// What the operator emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    Pair { left: u32, right: u32 },
    Late { id: u32 },
}

/// `right.ts - left.ts` in `[lower, upper]`; watermark = min over inputs of (max ts - delay).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct IntervalJoin {
    pub lower: i64,
    pub upper: i64,
    pub delay: i64,
    max_seen: [Option<i64>; 2],
    watermark: i64,
    /// Per side: key -> records with that key.
    state: [BTreeMap<u32, Vec<Rec>>; 2],
    /// A seeded bug: the upper bound compared with `<` instead of `<=`.
    pub exclusive_upper: bool,
}

impl IntervalJoin {
    pub fn new(lower: i64, upper: i64, delay: i64) -> IntervalJoin {
        IntervalJoin {
            lower,
            upper,
            delay,
            max_seen: [None, None],
            watermark: i64::MIN,
            state: [BTreeMap::new(), BTreeMap::new()],
            exclusive_upper: false,
        }
    }

    fn in_bounds(&self, left: &Rec, right: &Rec) -> bool {
        let d = right.ts - left.ts;
        self.lower <= d && if self.exclusive_upper { d < self.upper } else { d <= self.upper }
    }

    /// Whether an on-time record (ts >= watermark) of the other side could still match `r`.
    fn can_match(&self, r: &Rec) -> bool {
        let hi = if r.side == 0 { r.ts.saturating_add(self.upper) } else { r.ts.saturating_sub(self.lower) };
        hi >= self.watermark
    }

    /// Processes one record.
    pub fn record(&mut self, r: Rec, out: &mut Vec<Emit>) {
        if r.ts < self.watermark {
            out.push(Emit::Late { id: r.id });
        } else {
            let other = 1 - r.side;
            for p in self.state[other].get(&r.key).into_iter().flatten() {
                let (l, rr) = if r.side == 0 { (&r, p) } else { (p, &r) };
                if self.in_bounds(l, rr) {
                    out.push(Emit::Pair { left: l.id, right: rr.id });
                }
            }
            if self.can_match(&r) {
                self.state[r.side].entry(r.key).or_default().push(r);
            }
        }
        let m = self.max_seen[r.side].map_or(r.ts, |m| m.max(r.ts));
        self.max_seen[r.side] = Some(m);
        if let [Some(l), Some(rt)] = self.max_seen {
            self.watermark = self.watermark.max(l.min(rt).saturating_sub(self.delay));
        }
        self.evict();
    }

    /// End of input: nothing more can match.
    pub fn end(&mut self) {
        self.watermark = i64::MAX;
        self.state = [BTreeMap::new(), BTreeMap::new()];
    }

    fn evict(&mut self) {
        let keep: Vec<Vec<Rec>> = (0..2)
            .map(|s| self.state[s].values().flatten().copied().filter(|r| self.can_match(r)).collect())
            .collect();
        for (side, records) in keep.into_iter().enumerate() {
            self.state[side].clear();
            for r in records {
                self.state[side].entry(r.key).or_default().push(r);
            }
        }
    }

    /// The ids held, ascending.
    pub fn stored(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.state.iter().flat_map(|s| s.values().flatten().map(|r| r.id)).collect();
        ids.sort_unstable();
        ids
    }
}
