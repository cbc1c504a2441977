//! The declarative oracle: from a join and a whole trace, the outputs that must appear.
//!
//! This module is the executable form of the semantics, stated once. For a trace `T` and a
//! join with bounds `B = [lower, upper]` (each end inclusive or exclusive) on
//! `right.ts - left.ts`:
//!
//! ```text
//! wm_s(i)   = max( max{ r.ts - delay_s : r ∈ T[..i], r.side = s }   (derived watermarks)
//!                , max{ w.ts : w ∈ T[..i], w a watermark step for s } , MIN )
//! wm(i)     = policy(wm_left(i), wm_right(i))             policy ∈ {min, max}
//!             (policy per_side: wm(i) for a record of side s is wm_s(i))
//! late(r)   ⇔ r.ts < wm(i_r)   (or r.ts <= wm(i_r); never, for lateness "none")
//!                                                         i_r = r's index in T
//! A(T)      = { r ∈ T : ¬late(r) }                          the admitted records
//! V(T)      = { (l, r) ∈ A(T)² : l.side = left, r.side = right,
//!                 l.key = r.key, r.ts − l.ts ∈ B }          the valid matches
//!
//! expected(T) = { match(l, r)  : (l, r) ∈ V(T) }                       (all kinds but semi)
//!             ∪ { semi(l)      : l ∈ A(T), ∃ r. (l, r) ∈ V(T) }         (left semi)
//!             ∪ { unmatched(x) : x ∈ A(T), x's side padded, ∄ pair of V(T) with x }
//!             ∪ { late(x)      : x ∈ T, late(x) }
//! ```
//!
//! Padded sides: left outer pads the left, right outer the right, full outer both. Steps
//! after `end` are ignored. Under `end_of_input = "nothing"` (a stream that does not end) an
//! unmatched record is owed its null row only if no on-time record could match it at the
//! last watermarks; the other engine knobs (eviction, outer-row timing) change what an engine
//! does, not what it must emit. The result is a set (ids are unique), compared with an engine's
//! outputs as a multiset, so an engine that emits a row twice differs from it.
//!
//! The computation below is deliberately naive (a fold for the watermarks, then every pair
//! per key): it is what every engine is checked against, so it must be obviously right, not
//! fast.

use crate::event::{Output, Record, RecordId, Side};

mod diff;
pub mod ideal;
pub mod sql;
pub mod stream;
pub mod streaming;

use crate::model::{JoinKind, JoinParams, SpecWatermarks};
use crate::time::Watermark;
use crate::trace::{Step, Trace};
pub use diff::{Cause, Diff, Difference};
use std::collections::BTreeMap;
pub use streaming::StreamingOracle;

/// What the oracle knows about every record of a trace.
pub struct Analysis<'t> {
    trace: &'t Trace,
    params: JoinParams,
    /// The spec's watermarks before end of input.
    last: SpecWatermarks,
    /// Per record (by id): the watermark it was judged against on arrival (the join's, or its
    /// input's under `policy = "per_side"`), and the step index.
    arrival: Vec<Option<(Watermark, usize)>>,
    /// Per record: its valid partners.
    partners: Vec<Vec<RecordId>>,
}

impl<'t> Analysis<'t> {
    /// Analyses `trace` under `params`: each record's arrival watermark, lateness and valid
    /// partners.
    pub fn new(params: JoinParams, trace: &'t Trace) -> Analysis<'t> {
        let mut wm = SpecWatermarks::new(&params.watermark);
        let mut arrival = vec![None; trace.records().len()];
        for (i, step) in trace.steps().iter().enumerate() {
            if *step == Step::End {
                break;
            }
            if let Step::Record(r) = step {
                arrival[r.id.index()] = Some((wm.judge(&params.watermark, r.side), i));
            }
            wm.observe(&params.watermark, step);
        }
        let mut analysis = Analysis {
            trace,
            params,
            last: wm,
            arrival,
            partners: vec![Vec::new(); trace.records().len()],
        };
        let mut by_key: BTreeMap<_, [Vec<Record>; 2]> = BTreeMap::new();
        for r in trace.records().iter().filter(|r| analysis.admitted(r.id)) {
            by_key.entry(r.key).or_default()[r.side.index()].push(*r);
        }
        for [lefts, rights] in by_key.values() {
            for l in lefts {
                for r in rights.iter().filter(|r| params.matches(l, r)) {
                    analysis.partners[l.id.index()].push(r.id);
                    analysis.partners[r.id.index()].push(l.id);
                }
            }
        }
        analysis
    }

    /// The trace analysed.
    pub fn trace(&self) -> &'t Trace {
        self.trace
    }

    /// The join the trace is analysed under.
    pub fn params(&self) -> &JoinParams {
        &self.params
    }

    /// Whether the record arrived before end of input and on time.
    pub fn admitted(&self, id: RecordId) -> bool {
        self.arrival[id.index()].is_some() && !self.is_late(id)
    }

    /// Whether the record arrived before end of input and was late against the join watermark
    /// it met.
    pub fn is_late(&self, id: RecordId) -> bool {
        self.arrival[id.index()]
            .is_some_and(|(wm, _)| self.params.watermark.lateness.is_late(self.trace.record(id).ts, wm))
    }

    /// The join watermark the record met on arrival and the index of its step; `None` for a
    /// record after end of input.
    pub fn arrival(&self, id: RecordId) -> Option<(Watermark, usize)> {
        self.arrival[id.index()]
    }

    /// The record's valid partners.
    pub fn partners(&self, id: RecordId) -> &[RecordId] {
        &self.partners[id.index()]
    }

    /// The valid matches `V(T)`, left id first, in ascending order.
    pub fn valid_matches(&self) -> Vec<(RecordId, RecordId)> {
        let mut v: Vec<_> = self
            .trace
            .records()
            .iter()
            .filter(|r| r.side == Side::Left)
            .flat_map(|l| self.partners(l.id).iter().map(move |r| (l.id, *r)))
            .collect();
        v.sort_unstable();
        v
    }

    /// The model's watermarks before end of input.
    pub fn last_watermarks(&self) -> &SpecWatermarks {
        &self.last
    }

    /// Whether an unmatched record's null row is due by end of input: always when end of input
    /// flushes; under `end_of_input = "nothing"` only once no on-time record could match it
    /// at the last watermarks.
    fn closed(&self, r: &Record) -> bool {
        self.params.flushes_at_end() || !self.params.can_still_match_now(r, &self.last, false)
    }

    /// The expected outputs, sorted.
    pub fn expected(&self) -> Vec<Output> {
        let kind = self.params.kind;
        let mut out = Vec::new();
        for r in self.trace.records() {
            if self.is_late(r.id) {
                out.push(Output::Late(r.id));
            } else if !self.admitted(r.id) {
                continue;
            } else if self.partners(r.id).is_empty() {
                if kind.pads(r.side) && self.closed(r) {
                    out.push(Output::Unmatched(r.id));
                }
            } else if r.side == Side::Left {
                if kind == JoinKind::LeftSemi {
                    out.push(Output::Semi { left: r.id });
                } else {
                    out.extend(
                        self.partners(r.id)
                            .iter()
                            .map(|&right| Output::Match { left: r.id, right }),
                    );
                }
            }
        }
        out.sort_unstable();
        out
    }
}
