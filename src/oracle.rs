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
//! late(r)   ⇔ r.ts < wm(i_r)   (or r.ts <= wm(i_r))        i_r = r's index in T
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
//! after `end` are ignored. The result is a set (ids are unique), compared with an engine's
//! outputs as a multiset, so an engine that emits a row twice differs from it.
//!
//! The computation below is deliberately naive (a fold for the watermarks, then every pair
//! per key): it is what every engine is checked against, so it must be obviously right, not
//! fast.

use crate::event::{Emitted, Output, Position, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams, JoinSpec, SpecWatermarks};
use crate::time::{Duration, Watermark};
use crate::trace::{Step, Trace};
use std::collections::BTreeMap;

/// What `joincheck oracle` prints and `diff` compares against: the declarative oracle's
/// outputs, or, for a profile that models a real engine's timing (Spark's micro-batches,
/// Flink SQL), that profile's exact prediction, which the conformance fixtures check against
/// the real engine. Predicted rows carry their batch and are sorted by it.
pub fn expected_outputs(spec: &JoinSpec, trace: &Trace) -> Vec<Emitted> {
    if spec.params.profile.predicts_engine() {
        let mut engine = crate::engine::for_spec(spec);
        let emitted = crate::engine::outputs(engine.as_mut(), trace);
        let mut rows: Vec<Emitted> = emitted
            .into_iter()
            .map(|e| Emitted {
                output: e.output,
                at: Position {
                    step: None,
                    batch: e.at.batch,
                },
            })
            .collect();
        rows.sort_by_key(|e| (e.at.batch, e.output));
        rows
    } else {
        Analysis::new(spec.params, trace)
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Position::default(),
            })
            .collect()
    }
}

/// What the oracle knows about every record of a trace.
pub struct Analysis<'t> {
    trace: &'t Trace,
    params: JoinParams,
    /// Per record (by id): the join watermark it met on arrival, and the step index.
    arrival: Vec<Option<(Watermark, usize)>>,
    /// Per record: its valid partners.
    partners: Vec<Vec<RecordId>>,
}

impl<'t> Analysis<'t> {
    pub fn new(params: JoinParams, trace: &'t Trace) -> Analysis<'t> {
        let mut wm = SpecWatermarks::new(&params.watermark);
        let mut arrival = vec![None; trace.records().len()];
        for (i, step) in trace.steps().iter().enumerate() {
            if *step == Step::End {
                break;
            }
            if let Step::Record(r) = step {
                arrival[r.id.index()] = Some((wm.join(&params.watermark), i));
            }
            wm.observe(&params.watermark, step);
        }
        let mut analysis = Analysis {
            trace,
            params,
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

    pub fn trace(&self) -> &'t Trace {
        self.trace
    }

    pub fn params(&self) -> &JoinParams {
        &self.params
    }

    /// Whether the record arrived before end of input and on time.
    pub fn admitted(&self, id: RecordId) -> bool {
        self.arrival[id.index()].is_some() && !self.is_late(id)
    }

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
                if kind.pads(r.side) {
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

    /// Compares `actual` outputs with the expected ones as multisets (positions ignored).
    pub fn diff(&self, actual: &[Emitted]) -> Diff {
        let expected: Vec<Emitted> = self
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Default::default(),
            })
            .collect();
        self.diff_with(&expected, actual)
    }

    /// Compares `actual` outputs with `expected` ones (the oracle's, or a profile's
    /// batch-exact prediction) as multisets. Batch numbers are compared when both sides
    /// carry them on every row; step numbers never are.
    pub fn diff_with(&self, expected: &[Emitted], actual: &[Emitted]) -> Diff {
        let by_batch = !expected.is_empty() && expected.iter().chain(actual).all(|e| e.at.batch.is_some());
        let key = |e: &Emitted| (e.output, if by_batch { e.at.batch } else { None });
        let mut counts: BTreeMap<(Output, Option<usize>), (usize, usize)> = BTreeMap::new();
        for e in expected {
            counts.entry(key(e)).or_default().0 += 1;
        }
        for e in actual {
            counts.entry(key(e)).or_default().1 += 1;
        }
        let batches_of = |rows: &[Emitted], o: &Output| -> Vec<usize> {
            rows.iter()
                .filter(|e| e.output == *o)
                .filter_map(|e| e.at.batch)
                .collect()
        };
        let declared = self.expected();
        let mut diff = Diff::default();
        for ((output, batch), (want, got)) in counts {
            let in_batch = batch.map_or(String::new(), |b| format!(" in batch {b}"));
            if got < want {
                let elsewhere = batches_of(actual, &output);
                let reason = if by_batch && !elsewhere.is_empty() {
                    format!("expected{in_batch}, emitted in batch {elsewhere:?} instead")
                } else if declared.binary_search(&output).is_ok() {
                    format!(
                        "{}{}",
                        self.why_expected(&output),
                        if by_batch {
                            format!(" (expected{in_batch})")
                        } else {
                            String::new()
                        }
                    )
                } else {
                    format!("the {} profile emits it{in_batch}", self.params.profile.name())
                };
                diff.missing.push(Difference {
                    output,
                    batch,
                    count: want - got,
                    reason,
                });
            } else if got > want && want == 0 {
                let elsewhere = batches_of(expected, &output);
                let reason = if by_batch && !elsewhere.is_empty() {
                    format!("emitted{in_batch}, expected in batch {elsewhere:?}")
                } else if declared.binary_search(&output).is_err() {
                    self.why_not_expected(&output)
                } else {
                    format!(
                        "valid by the join's semantics, but the {} profile does not emit it for this trace \
                         (joincheck replay shows the state at each step)",
                        self.params.profile.name()
                    )
                };
                diff.extra.push(Difference {
                    output,
                    batch,
                    count: got,
                    reason,
                });
            } else if got > want {
                diff.duplicated.push(Difference {
                    output,
                    batch,
                    count: got - want,
                    reason: format!("expected {want}, emitted {got} times{in_batch}"),
                });
            }
        }
        diff
    }

    /// One record in words: `c7 (right, key a, ts 11:50)`.
    pub fn describe(&self, id: RecordId) -> String {
        let r = self.trace.record(id);
        format!(
            "{} ({}, key {}, ts {})",
            self.trace.name(id),
            r.side,
            self.trace.key_name(r.key),
            r.ts
        )
    }

    /// How the record fared on arrival: `on time: ts 12:15, watermark 12:10 at step 4`.
    pub fn arrival_words(&self, id: RecordId) -> String {
        let r = self.trace.record(id);
        match self.arrival(id) {
            None => format!("{} arrived after end of input", self.trace.name(id)),
            Some((wm, step)) => {
                let cmp = match (self.params.watermark.lateness, self.is_late(id)) {
                    (crate::model::Lateness::Strict, true) => "<",
                    (crate::model::Lateness::Strict, false) => ">=",
                    (crate::model::Lateness::NonStrict, true) => "<=",
                    (crate::model::Lateness::NonStrict, false) => ">",
                };
                let verdict = if self.is_late(id) { "late" } else { "on time" };
                format!(
                    "{} was {verdict}: ts {} {cmp} watermark {} at arrival (step {step})",
                    self.trace.name(id),
                    r.ts,
                    wm
                )
            }
        }
    }

    /// Why the oracle expects `output`.
    pub fn why_expected(&self, output: &Output) -> String {
        match *output {
            Output::Match { left, right } => self.pair_words(left, right),
            Output::Semi { left } => {
                let right = self.partners(left)[0];
                format!(
                    "{} has a valid match: {}",
                    self.trace.name(left),
                    self.pair_words(left, right)
                )
            }
            Output::Unmatched(id) => format!(
                "{}; it has no valid match: {}",
                self.arrival_words(id),
                self.no_partner_words(id)
            ),
            Output::Late(id) => self.arrival_words(id),
        }
    }

    /// Why the oracle does not expect `output`.
    pub fn why_not_expected(&self, output: &Output) -> String {
        let trace = self.trace;
        let late_one = output.records().find(|id| !self.admitted(*id));
        match *output {
            Output::Match { left, right } => {
                let (l, r) = (trace.record(left), trace.record(right));
                if let Some(id) = late_one {
                    self.arrival_words(id)
                } else if l.key != r.key {
                    format!(
                        "keys differ: {} has key {}, {} has key {}",
                        trace.name(left),
                        trace.key_name(l.key),
                        trace.name(right),
                        trace.key_name(r.key)
                    )
                } else if self.params.kind == JoinKind::LeftSemi {
                    "a left semi join emits the left row alone, not pairs".to_owned()
                } else {
                    format!(
                        "{} - {} = {} is outside {}",
                        trace.name(right),
                        trace.name(left),
                        offset_words(l.ts.offset_to(r.ts)),
                        self.params.bounds
                    )
                }
            }
            Output::Semi { left } => match late_one {
                Some(id) => self.arrival_words(id),
                None if self.params.kind != JoinKind::LeftSemi => {
                    format!("a {} join emits no semi rows", self.params.kind.name())
                }
                None => format!(
                    "{} has no valid match: {}",
                    trace.name(left),
                    self.no_partner_words(left)
                ),
            },
            Output::Unmatched(id) => {
                let side = trace.record(id).side;
                if !self.params.kind.pads(side) {
                    format!("a {} join pads no {side} rows", self.params.kind.name())
                } else if let Some(id) = late_one {
                    format!("{}, so it produces nothing", self.arrival_words(id))
                } else {
                    let p = self.partners(id)[0];
                    let (l, r) = if side == Side::Left { (id, p) } else { (p, id) };
                    format!("{} has a valid match: {}", trace.name(id), self.pair_words(l, r))
                }
            }
            Output::Late(id) => self.arrival_words(id),
        }
    }

    fn pair_words(&self, left: RecordId, right: RecordId) -> String {
        let (l, r) = (self.trace.record(left), self.trace.record(right));
        format!(
            "{} and {} share key {}, {} - {} = {} lies in {}; {}; {}",
            self.describe(left),
            self.describe(right),
            self.trace.key_name(l.key),
            self.trace.name(right),
            self.trace.name(left),
            offset_words(l.ts.offset_to(r.ts)),
            self.params.bounds,
            self.arrival_words(left),
            self.arrival_words(right)
        )
    }

    fn no_partner_words(&self, id: RecordId) -> String {
        let r = self.trace.record(id);
        let (lo, hi) = self.params.bounds.partner_range(r);
        format!(
            "no on-time {} record with key {} lies in [{}, {}]",
            r.side.other(),
            self.trace.key_name(r.key),
            time_words(lo),
            time_words(hi)
        )
    }
}

/// A millisecond offset as a duration when it fits (`1h`, `1h1ms`), else as a number.
fn offset_words(ms: i128) -> String {
    match i64::try_from(ms) {
        Ok(v) => Duration::from_millis(v).to_string(),
        Err(_) => format!("{ms}ms"),
    }
}

/// An exact time as a clock when it fits in `i64`.
pub fn time_words(ms: i128) -> String {
    match i64::try_from(ms) {
        Ok(v) => crate::time::EventTime::from_millis(v).to_string(),
        Err(_) => format!("{ms}ms"),
    }
}

/// How an implementation's outputs differ from the oracle's.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Expected and not emitted (`count` copies short).
    pub missing: Vec<Difference>,
    /// Emitted and not expected at all.
    pub extra: Vec<Difference>,
    /// Expected, and emitted more often than expected (`count` surplus copies).
    pub duplicated: Vec<Difference>,
}

impl Diff {
    pub fn agrees(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.duplicated.is_empty()
    }
}

/// One differing row and the reason, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub output: Output,
    /// The batch, when batches were compared.
    pub batch: Option<usize>,
    pub count: usize,
    pub reason: String,
}
