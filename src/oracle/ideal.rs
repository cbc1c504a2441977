//! The ideal join, and what a configuration loses against it.
//!
//! The oracle (`super`) says what a join must emit *under its model's rules*: a record the
//! model calls late is admitted by nobody, so a pair it would have made is not expected, and
//! every verdict is relative to that. A user choosing a watermark delay asks the other
//! question: of the pairs the data really holds, how many does this configuration emit?
//!
//! ```text
//! I(T)   = { (l, r) ∈ T² : l.side = left, r.side = right, l.key = r.key, r.ts − l.ts ∈ B }
//!                                         the ideal join: every record admitted, state forever
//! N(T)   = { x ∈ T : x's side padded, ∄ pair of I(T) with x }     the ideal null rows
//! ```
//!
//! An engine run emits some of `I(T)` (as pairs, or for a left semi join as the left rows of
//! pairs); every ideal pair it does not emit is **lost**, for the first of these causes:
//!
//! 1. **late**: the engine dropped one of the two records as late (the left, the right, or
//!    both), by how much its event time trailed the join's watermark when it arrived;
//! 2. **evicted or expired**: both records were taken, and the engine did not join them:
//!    one left state (watermark eviction, TTL, a timer) before the other came. Against the
//!    model this is a `no_lost_match` violation unless the model's rules say so.
//!
//! Ideal null rows are emitted, or missing because the record was dropped as late, because
//! its null row needed the end of input (never flushed: at the model's last watermarks before
//! the end, an on-time partner could still have come, so only the end of input could close
//! it), or otherwise. The causes are the model's, not an engine's state: every command that
//! reports loss (`replay`, `oracle`, `diff`, `simulate`, `advise`, `check`) counts them alike. A null row for a
//! record that has an ideal partner is counted too: its match was lost.

use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams, SpecWatermarks};
use crate::time::Watermark;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Ideal rows below which a loss share says little: every command that prints one says so.
pub const FEW_IDEAL_ROWS: u64 = 1_000;

/// The ideal join of a stream, fed record by record, with what an engine emitted.
///
/// Memory grows with the records (every record is kept: the ideal join has no eviction) and
/// with the ideal pairs.
#[derive(Debug)]
pub struct IdealJoin {
    params: JoinParams,
    /// Every record so far, per key and side, by (ts, id).
    seen: HashMap<Key, [BTreeSet<(i64, RecordId)>; 2]>,
    /// Side, and the watermark the record met on arrival minus its time (its lateness
    /// when positive), per record.
    records: HashMap<RecordId, (Side, i64)>,
    pairs: Vec<(RecordId, RecordId)>,
    with_partner: HashSet<RecordId>,
    emitted_pairs: HashSet<(RecordId, RecordId)>,
    emitted_semi: HashSet<RecordId>,
    emitted_null: HashSet<RecordId>,
    late: HashSet<RecordId>,
}

/// Lost pairs dropped as late, by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LateLoss {
    /// Pairs whose left record was dropped (and not the right).
    pub left: u64,
    /// Pairs whose right record was dropped (and not the left).
    pub right: u64,
    /// Pairs with both records dropped.
    pub both: u64,
    /// How far behind the watermark the dropped records of lost pairs were, in ms: the median.
    pub behind_p50_ms: i64,
    /// ... and the largest.
    pub behind_max_ms: i64,
}

/// Ideal null rows (outer joins), by what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OuterLoss {
    /// Records of padded sides with no ideal partner.
    pub ideal: u64,
    /// ... of which the engine emitted a null row.
    pub emitted: u64,
    /// ... dropped as late instead.
    pub late: u64,
    /// ... due only at end of input: an on-time partner could still have come at the model's
    /// last watermarks before the end (never flushed).
    pub never_flushed: u64,
    /// ... missing otherwise.
    pub otherwise: u64,
    /// Null rows the engine emitted for records that do have an ideal partner.
    pub for_lost_matches: u64,
}

/// What a configuration emits of the ideal join, and what it loses, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Loss {
    /// Ideal pairs (for a left semi join: left records with an ideal partner).
    pub ideal: u64,
    /// ... the engine emitted.
    pub emitted: u64,
    /// ... lost because the engine dropped a record as late.
    pub late: LateLoss,
    /// ... lost with both records taken: evicted or expired before the partner came.
    pub evicted: u64,
    /// Null rows, for outer joins.
    pub outer: Option<OuterLoss>,
}

impl Loss {
    /// Ideal rows lost, for any cause.
    pub fn lost(&self) -> u64 {
        self.ideal - self.emitted
    }

    /// The 95% interval (Wilson's) of the share lost, as from a sample of the ideal rows:
    /// how far the figure could be off for a workload of this size; `None` without ideal rows.
    pub fn lost_interval(&self) -> Option<(f64, f64)> {
        if self.ideal == 0 {
            return None;
        }
        let (n, p, z) = (self.ideal as f64, self.lost_share(), 1.96f64);
        let denominator = 1.0 + z * z / n;
        let center = (p + z * z / (2.0 * n)) / denominator;
        let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
        Some(((center - half).max(0.0), (center + half).min(1.0)))
    }

    /// Whether there are too few ideal rows for the loss share to say much
    /// ([`FEW_IDEAL_ROWS`]).
    pub fn too_few_rows(&self) -> bool {
        self.ideal < FEW_IDEAL_ROWS
    }

    /// Lost as a share of the ideal rows (0 when there are none).
    pub fn lost_share(&self) -> f64 {
        if self.ideal == 0 {
            0.0
        } else {
            self.lost() as f64 / self.ideal as f64
        }
    }

    /// One line a person reads: `ideal join: 9,515 matches; emitted 4,977 (52.3%); lost 4,538:
    /// late 4,538 (left 12, right 4,526, both 0; behind the watermark by p50 3m, max 41m),
    /// evicted or expired 0`. Pairs lost with both records taken are a `no_lost_match`
    /// violation: `by_design` (the model expects it violated, as for a TTL shorter than the
    /// window) says so, otherwise they are called an engine bug.
    pub fn text(&self, kind: JoinKind, by_design: bool) -> String {
        self.text_with(kind, by_design)
    }

    /// [`Loss::text`] for `spec`'s join, by design when it expects `no_lost_match` violated.
    pub fn text_for(&self, spec: &crate::model::JoinSpec) -> String {
        let by_design = spec.expected(crate::property::Property::NoLostMatch) == crate::property::Expected::Violated;
        self.text_with(spec.params.kind, by_design)
    }

    fn text_with(&self, kind: JoinKind, by_design: bool) -> String {
        let what = if kind == JoinKind::LeftSemi {
            "left rows with a match"
        } else {
            "matches"
        };
        let pct = |n: u64| {
            if self.ideal == 0 {
                String::new()
            } else {
                format!(" ({:.2}%)", 100.0 * n as f64 / self.ideal as f64)
            }
        };
        let l = &self.late;
        let late = l.left + l.right + l.both;
        let lost_pct = match self.lost_interval() {
            Some((lo, hi)) => format!(
                " ({:.2}%; 95% interval {:.2}%–{:.2}%)",
                100.0 * self.lost_share(),
                100.0 * lo,
                100.0 * hi
            ),
            None => String::new(),
        };
        let mut s = format!(
            "ideal join: {} {what}; emitted {}{}; lost {}{lost_pct}: late {late} (left {}, right {}, both {}",
            self.ideal,
            self.emitted,
            pct(self.emitted),
            self.lost(),
            l.left,
            l.right,
            l.both
        );
        if late > 0 {
            s += &format!(
                "; behind the watermark by p50 {}, max {}",
                crate::time::Duration::from_millis(l.behind_p50_ms),
                crate::time::Duration::from_millis(l.behind_max_ms)
            );
        }
        s += &format!("), evicted or expired {}", self.evicted);
        if self.evicted > 0 {
            s += if by_design {
                " (no_lost_match, as the model expects)"
            } else {
                " (an engine bug: no_lost_match, which the model expects to hold)"
            };
        }
        if let Some(o) = &self.outer {
            s += &format!(
                "\nideal null rows: {}; emitted {}; missing {} (late {}, never flushed at end of input {}, \
                 otherwise {}); and {} null rows for records whose match was lost",
                o.ideal,
                o.emitted,
                o.late + o.never_flushed + o.otherwise,
                o.late,
                o.never_flushed,
                o.otherwise,
                o.for_lost_matches
            );
        }
        if self.too_few_rows() {
            s += &format!(
                "\nonly {} ideal rows: too few for the loss share to say much (at least {FEW_IDEAL_ROWS}; a longer \
                 workload would)",
                self.ideal
            );
        }
        s
    }
}

impl IdealJoin {
    /// The ideal join of `params`' window and key condition (its lateness and eviction rules
    /// play no part).
    pub fn new(params: JoinParams) -> IdealJoin {
        IdealJoin {
            params,
            seen: HashMap::new(),
            records: HashMap::new(),
            pairs: Vec::new(),
            with_partner: HashSet::new(),
            emitted_pairs: HashSet::new(),
            emitted_semi: HashSet::new(),
            emitted_null: HashSet::new(),
            late: HashSet::new(),
        }
    }

    /// A record arrives, meeting the join watermark `wm` (the model's, by its rules).
    pub fn record(&mut self, r: &Record, wm: Watermark) {
        let behind = wm.as_millis().saturating_sub(r.ts.as_millis());
        self.records.insert(r.id, (r.side, behind));
        let (lo, hi) = self.params.bounds.partner_range(r);
        let clamp = |t: i128| t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        let sides = self.seen.entry(r.key).or_default();
        let others = &sides[r.side.other().index()];
        let range = (clamp(lo), RecordId(0))..=(clamp(hi), RecordId(u32::MAX));
        for &(_, p) in others.range(range) {
            let pair = match r.side {
                Side::Left => (r.id, p),
                Side::Right => (p, r.id),
            };
            self.pairs.push(pair);
            self.with_partner.insert(p);
            self.with_partner.insert(r.id);
        }
        sides[r.side.index()].insert((r.ts.as_millis(), r.id));
    }

    /// The engine emitted `o`.
    pub fn output(&mut self, o: &Output) {
        match *o {
            Output::Match { left, right } => {
                self.emitted_pairs.insert((left, right));
            }
            Output::Semi { left } => {
                self.emitted_semi.insert(left);
            }
            Output::Unmatched(id) => {
                self.emitted_null.insert(id);
            }
            Output::Late(id) => {
                self.late.insert(id);
            }
        }
    }

    /// The loss, once the input is over; `last` are the model's watermarks before end of input.
    pub fn finish(&self, last: &SpecWatermarks) -> Loss {
        let mut loss = Loss::default();
        let mut behind: Vec<i64> = Vec::new();
        if self.params.kind == JoinKind::LeftSemi {
            let mut lefts: Vec<RecordId> = self.pairs.iter().map(|p| p.0).collect();
            lefts.sort_unstable();
            lefts.dedup();
            for l in lefts {
                loss.ideal += 1;
                if self.emitted_semi.contains(&l) {
                    loss.emitted += 1;
                    continue;
                }
                if !self.lost_late(&self.semi_late(l), &mut loss.late, &mut behind) {
                    loss.evicted += 1;
                }
            }
        } else {
            for &(l, r) in &self.pairs {
                loss.ideal += 1;
                if self.emitted_pairs.contains(&(l, r)) {
                    loss.emitted += 1;
                } else if !self.lost_late(&[l, r], &mut loss.late, &mut behind) {
                    loss.evicted += 1;
                }
            }
        }
        behind.sort_unstable();
        loss.late.behind_max_ms = behind.last().copied().unwrap_or(0);
        loss.late.behind_p50_ms = behind.get(behind.len().saturating_sub(1) / 2).copied().unwrap_or(0);
        if [Side::Left, Side::Right].iter().any(|s| self.params.kind.pads(*s)) {
            loss.outer = Some(self.outer_loss(last));
        }
        loss
    }

    /// Whether a lost row of the records `ids` was lost as late: if so it counts in `late` by
    /// side, and how far behind the watermark its dropped records were goes to `behind`.
    fn lost_late(&self, ids: &[RecordId], late: &mut LateLoss, behind: &mut Vec<i64>) -> bool {
        let dropped: Vec<RecordId> = ids.iter().copied().filter(|id| self.late.contains(id)).collect();
        behind.extend(dropped.iter().map(|id| self.records[id].1.max(0)));
        match dropped.len() {
            0 => false,
            2 => {
                late.both += 1;
                true
            }
            _ => {
                if self.records[&dropped[0]].0 == Side::Left {
                    late.left += 1;
                } else {
                    late.right += 1;
                }
                true
            }
        }
    }

    /// The records whose lateness lost the semi row of left record `l`: itself when it was
    /// dropped, else one of its partners when every one was, else none.
    fn semi_late(&self, l: RecordId) -> Vec<RecordId> {
        // Lost: late if the left record, or every one of its partners, was dropped.
        let partners: Vec<RecordId> = self.pairs.iter().filter(|p| p.0 == l).map(|p| p.1).collect();
        let all_partners_late = partners.iter().all(|p| self.late.contains(p));
        if self.late.contains(&l) {
            vec![l]
        } else if all_partners_late {
            vec![partners[0]]
        } else {
            vec![]
        }
    }

    /// The ideal null rows by what became of them, with `last` the model's watermarks before
    /// end of input.
    fn outer_loss(&self, last: &SpecWatermarks) -> OuterLoss {
        let mut o = OuterLoss::default();
        for (&key, sides) in &self.seen {
            for (side, records) in [Side::Left, Side::Right].into_iter().zip(sides) {
                if !self.params.kind.pads(side) {
                    continue;
                }
                for &(ts, id) in records {
                    let record = Record {
                        side,
                        key,
                        ts: crate::time::EventTime::from_millis(ts),
                        id,
                    };
                    self.outer_row(&record, last, &mut o);
                }
            }
        }
        o
    }

    /// What became of `record`'s ideal null row, counted in `o`.
    fn outer_row(&self, record: &Record, last: &SpecWatermarks, o: &mut OuterLoss) {
        let id = &record.id;
        {
            let emitted = self.emitted_null.contains(id);
            if self.with_partner.contains(id) {
                o.for_lost_matches += u64::from(emitted);
                return;
            }
            o.ideal += 1;
            if emitted {
                o.emitted += 1;
            } else if self.late.contains(id) {
                o.late += 1;
            } else if self.params.can_still_match_now(record, last, false) {
                o.never_flushed += 1;
            } else {
                o.otherwise += 1;
            }
        }
    }
}

/// The loss of a whole trace's outputs against its ideal join: `analysis` gives the watermark
/// each record met (by the model's rules), `outputs` what was emitted (an engine's, or the
/// oracle's own expectation).
pub fn loss_of_trace(analysis: &super::Analysis<'_>, outputs: &[Output]) -> Loss {
    let mut ideal = IdealJoin::new(*analysis.params());
    for r in analysis.trace().records() {
        let wm = analysis.arrival(r.id).map_or(Watermark::MIN, |(wm, _)| wm);
        ideal.record(r, wm);
    }
    outputs.iter().for_each(|o| ideal.output(o));
    ideal.finish(analysis.last_watermarks())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JoinSpec;
    use crate::trace::Trace;

    fn loss(model: &str, trace: &str, outputs: &str) -> Loss {
        let spec = JoinSpec::parse(model, "m.toml", "m").unwrap();
        let trace = Trace::parse(trace, "t.jsonl").unwrap();
        let outputs: Vec<Output> = trace
            .parse_outputs(outputs, "o.jsonl")
            .unwrap()
            .into_iter()
            .map(|e| e.output)
            .collect();
        loss_of_trace(&super::super::Analysis::new(spec.params, &trace), &outputs)
    }

    const MODEL: &str = "profile = \"reference\"\n[join]\nkind = \"left_outer\"\nbounds = \"[0ms, 1h]\"\n\
                         [watermark]\nsource = \"derived\"\nleft_delay = \"10m\"\nright_delay = \"10m\"\n";

    #[test]
    fn lost_pairs_are_counted_by_cause_against_the_ideal_join() {
        // i1 + c1 emitted; c2 is late (behind by 1h - 10m - 20m = 30m) and loses i1 + c2;
        // i2 + c3 were both taken and not joined (evicted); i3 has no partner at all.
        let trace = r#"{"type":"record","side":"left","key":"a","ts":0,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":1200000,"id":"c1"}
{"type":"record","side":"right","key":"b","ts":6000000,"id":"c9"}
{"type":"record","side":"left","key":"b","ts":5400000,"id":"i9"}
{"type":"record","side":"right","key":"a","ts":600000,"id":"c2"}
{"type":"record","side":"left","key":"c","ts":7200000,"id":"i2"}
{"type":"record","side":"right","key":"c","ts":7200000,"id":"c3"}
{"type":"record","side":"left","key":"d","ts":7200000,"id":"i3"}
"#;
        let outputs = r#"{"type":"match","left":"i1","right":"c1","key":"a"}
{"type":"match","left":"i9","right":"c9","key":"b"}
{"type":"late","side":"right","id":"c2","key":"a"}
{"type":"unmatched","side":"left","id":"i2","key":"c"}
"#;
        let l = loss(MODEL, trace, outputs);
        assert_eq!((l.ideal, l.emitted, l.lost(), l.evicted), (4, 2, 2, 1));
        assert_eq!((l.late.left, l.late.right, l.late.both), (0, 1, 0));
        assert_eq!(l.late.behind_max_ms, 5_400_000 - 600_000 - 600_000);
        let o = l.outer.unwrap();
        // i3 is the only ideal null row, and it is missing: at the last watermark (1h50m) a
        // click could still come for it, so only the end of input could give it (never
        // flushed); i2's null row stands for a lost match.
        assert_eq!((o.ideal, o.emitted, o.never_flushed, o.otherwise), (1, 0, 1, 0));
        assert_eq!(o.for_lost_matches, 1);
        assert!(l
            .text(JoinKind::LeftOuter, false)
            .contains("lost 2 (50.00%; 95% interval 15.00%–85.00%): late 1 (left 0, right 1, both 0"));
    }
}
