//! The `flink-sql-interval` profile: Flink SQL's rowtime interval join (`TimeIntervalJoin`,
//! `RowTimeIntervalJoin`, Flink 2.3.0; `shared/reference/flink-join-semantics.md` §1 and §7),
//! inner, left, right and full.
//!
//! For `right.ts - left.ts ∈ [lo, hi]`, i.e. `L.t BETWEEN R.t - hi AND R.t - lo`, the
//! operator's relative sizes are `rel[left] = hi` and `rel[right] = -lo` (the seed's query:
//! 1 hour and 0).
//!
//! ```text
//! op_time = max(combined watermark, 0);  expiration(s) = op_time == MAX ? MAX : op_time - rel[s] - 1
//! exp_time = [0, 0]                       // per cache side, shared by ALL keys (operator fields)
//! row x@t of side s, key k (o = other side; [lo, hi] = the times of x's partners):
//!    emitted = false
//!    if exp_time[o] < hi:                 // the scan gate, fed by rows of any key
//!       exp_time[o] = expiration(o)
//!       for each cached bucket t2 of o, k:  join if lo <= t2 <= hi (mark matched);
//!                                          then if t2 <= exp_time[o]: pad unmatched (o outer), remove
//!    if op_time < t + rel[s]: cache x (with emitted); if no timer pending for (s, k):
//!                             pending[s][k] = t + rel[s] + 1, register it
//!    else if !emitted and s is outer: emit x null-padded now            // never dropped as late
//! onTimer(k, T): for s in [right, left] with pending[s][k] == T:
//!    exp_time[s] = expiration(s); remove (and pad) buckets t <= exp_time[s];
//!    e = earliest survivor;  if e > 0: re-register at e + rel[s] + 1
//!                            else: forget the timer and drop every survivor silently
//! ```
//!
//! Watermarks come from `WATERMARK FOR ts AS ts - INTERVAL 'delay'` on each input (running
//! maximum from 0, emitted after the row that raises it) or from the trace; the operator's is
//! their minimum. End of input is `MAX`: every timer fires and every cached row goes (padded if
//! its side is outer). Late rows are never dropped: they join what is still cached, if the
//! scan gate is open, and are null-padded at once otherwise.
//!
//! Cached buckets are visited in time order; Flink's heap backend iterates a `HashMap`, which
//! makes a difference only to the "earliest survivor" of rows at or before the epoch.

use super::operator::TwoInputOperator;
use super::timers::TimerService;
use super::watermark::{SqlWatermark, TwoInputWatermark};
use crate::engine::store::{Entry, SideStore};
use crate::event::{Key, Output, Record, Side};
use crate::model::{JoinKind, JoinParams, WatermarkSource};
use crate::time::{EventTime, Watermark};
use smallvec::SmallVec;
use std::collections::BTreeMap;

/// Flink SQL's interval join.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SqlIntervalEngine {
    params: JoinParams,
    generators: Option<[SqlWatermark; 2]>,
    watermark: TwoInputWatermark,
    timers: TimerService,
    /// Per side: cached rows by (key, ts, id), with whether each has been joined.
    cache: SideStore,
    /// Per side and key: the pending cleanup timer.
    pending: [BTreeMap<Key, EventTime>; 2],
    /// Per cache side: the time up to which it has been cleaned (operator-wide).
    exp_time: [i128; 2],
    ended: bool,
}

impl SqlIntervalEngine {
    /// The engine for `params`, before its first step.
    ///
    /// # Panics
    /// For a left-semi join, which is not modelled.
    pub fn new(params: JoinParams) -> SqlIntervalEngine {
        assert!(
            params.kind != JoinKind::LeftSemi,
            "semi interval joins are not modelled"
        );
        let d = params.watermark.delay;
        SqlIntervalEngine {
            params,
            generators: (params.watermark.source == WatermarkSource::Derived)
                .then(|| [SqlWatermark::new(d[0]), SqlWatermark::new(d[1])]),
            watermark: TwoInputWatermark::default(),
            timers: TimerService::default(),
            cache: Default::default(),
            pending: Default::default(),
            exp_time: [0, 0],
            ended: false,
        }
    }

    fn rel(&self, side: Side) -> i128 {
        match side {
            Side::Left => self.params.bounds.highest(),
            Side::Right => -self.params.bounds.lowest(),
        }
    }

    fn op_time(&self) -> i128 {
        i128::from(self.watermark.combined().as_millis().max(0))
    }

    fn expiration(&self, side: Side) -> i128 {
        let op = self.op_time();
        if op == i128::from(i64::MAX) {
            op
        } else {
            op - self.rel(side) - 1
        }
    }

    /// Removes the cached row at `k` of `side`, null-padding it if it never joined and its
    /// side is outer.
    fn expire(&mut self, side: Side, key: Key, e: Entry, out: &mut Vec<Output>) {
        let joined = self.cache[side.index()]
            .remove(key, e.ts, e.id)
            .expect("expired row is cached");
        if !joined && self.params.kind.pads(side) {
            out.push(Output::Unmatched(e.id));
        }
    }

    fn on_row(&mut self, x: Record, out: &mut Vec<Output>) {
        let (s, o) = (x.side, x.side.other());
        let (lo, hi) = self.params.bounds.partner_range(&x);
        let mut emitted = false;
        if self.exp_time[o.index()] < hi {
            self.exp_time[o.index()] = self.expiration(o);
            // Every cached row of the key is visited: it joins if in range, and then leaves
            // if expired (with its null row if it never joined).
            let exp = self.exp_time[o.index()];
            let pads = self.params.kind.pads(o);
            self.cache[o.index()].remove_where(
                x.key,
                EventTime::MIN,
                EventTime::MAX,
                |e| {
                    let t2 = i128::from(e.ts.as_millis());
                    let joins = lo <= t2 && t2 <= hi;
                    if joins {
                        out.push(Output::pair(s, x.id, e.id));
                        emitted = true;
                    }
                    let gone = t2 <= exp;
                    if gone && !joins && !e.matched && pads {
                        out.push(Output::Unmatched(e.id));
                    }
                    e.matched |= joins;
                    gone
                },
                |_| {},
            );
        }
        let own_hi = i128::from(x.ts.as_millis()) + self.rel(s);
        if self.op_time() < own_hi {
            self.cache[s.index()].insert(x.key, x.ts, x.id, emitted);
            if let std::collections::btree_map::Entry::Vacant(slot) = self.pending[s.index()].entry(x.key) {
                let at = EventTime::clamped(own_hi + 1);
                slot.insert(at);
                self.timers.register(x.key, at);
            }
        } else if !emitted && self.params.kind.pads(s) {
            out.push(Output::Unmatched(x.id));
        }
    }

    fn on_timer(&mut self, key: Key, at: EventTime, out: &mut Vec<Output>) {
        for s in [Side::Right, Side::Left] {
            if self.pending[s.index()].get(&key) != Some(&at) {
                continue;
            }
            self.exp_time[s.index()] = self.expiration(s);
            let rows: SmallVec<[Entry; 4]> = self.cache[s.index()].of_key(key).into();
            let mut e: i128 = -1;
            for k in rows {
                let t = i128::from(k.ts.as_millis());
                if t <= self.exp_time[s.index()] {
                    self.expire(s, key, k, out);
                } else if t < e || e < 0 {
                    e = t;
                }
            }
            if e > 0 {
                let next = EventTime::clamped(e + self.rel(s) + 1);
                self.pending[s.index()].insert(key, next);
                self.timers.register(key, next);
            } else {
                // Survivors at or before the epoch vanish: no null row, no later join.
                self.pending[s.index()].remove(&key);
                self.cache[s.index()].remove_where(key, EventTime::MIN, EventTime::MAX, |_| true, |_| {});
            }
        }
    }

    fn advance(&mut self, side: Side, w: Watermark, out: &mut Vec<Output>) {
        if let Some(combined) = self.watermark.on_watermark(side, w) {
            while let Some((at, key, _)) = self.timers.pop_due(combined) {
                self.on_timer(key, at, out);
            }
        }
    }
}

impl TwoInputOperator for SqlIntervalEngine {
    fn process_element(&mut self, r: Record, out: &mut Vec<Output>) {
        // The row is forwarded before the watermark it raises.
        self.on_row(r, out);
        if let Some(generators) = self.generators.as_mut() {
            if let Some(w) = generators[r.side.index()].on_row(r.ts) {
                self.advance(r.side, w, out);
            }
        }
    }

    fn process_watermark(&mut self, side: Side, w: Watermark, out: &mut Vec<Output>) {
        self.advance(side, w, out);
    }
}

super::operator::flink_engine!(SqlIntervalEngine, store: cache);
