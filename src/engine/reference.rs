//! The `reference` profile: the clean event-time interval join the oracle defines, as an
//! incremental operator.
//!
//! - Each input has a watermark: the largest event time seen on it minus its delay (when the
//!   model derives watermarks), raised by explicit `watermark` steps. The join's watermark
//!   combines the two by the model's policy (min or max) and never moves back.
//! - A record is late when its time is behind the join's watermark at its arrival (`ts < wm`
//!   or `ts <= wm`, as the model says). A late record is reported as `late` and forgotten.
//! - An on-time record joins every stored partner of the other side (same key, offset inside
//!   the bounds) and is stored in a per-side buffer ordered by key and time, unless no future
//!   on-time record could ever be its partner.
//! - A stored record is evicted exactly when no on-time record that may still arrive could
//!   match it: with the join watermark at `wm`, the earliest on-time time is `wm` (or
//!   `wm + 1` when `ts <= wm` is late), and a left record `l` can still match iff
//!   `l.ts + highest_offset` reaches it (mirror image for the right side). An unmatched
//!   record of an outer side gets its null-padded row when it is evicted.
//! - Left semi: a left record is emitted once, on its first match, and then dropped from
//!   state (it can produce nothing more).
//! - End of input is the final `MAX` watermark: nothing can arrive any more, so every stored
//!   record is evicted and the state ends empty. This profile uses no timers.
//!
//! The model's knobs ([`crate::model::Knobs`], `policy = "per_side"`, `lateness = "none"`)
//! change those rules one at a time, which is how the `quix-streams` and `pathway` profiles
//! are this engine:
//!
//! - `policy = "per_side"`: a record is judged against its own input's watermark, and a
//!   stored record waits for partners judged against the other input's; `lateness = "none"`:
//!   nothing is late, so nothing is evicted by the bounds before end of input.
//! - `eviction = "own_side"`: no eviction by the bounds; when a record arrives on a side, the
//!   records of that side its watermark (before the arrival) has passed leave state.
//!   `eviction = "per_key"`: no eviction by the bounds; after a record is stored, the records
//!   of its key and side more than the side's delay older than the key's newest leave state.
//! - `end_of_input = "nothing"`: end of input changes nothing.
//! - `outer_rows = "eager"`: a record of a padded side that finds no partner on arrival gets
//!   its null row at once (and none later); `"eager_retract"` emits the rows of `"at_close"`,
//!   its net rows.

use super::store::SideStore;
use super::{Engine, Watermarks};
use crate::engine::fault::Fault;
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{EndOfInput, Eviction, JoinKind, JoinParams, Lateness, OuterRows};
use crate::time::{EventTime, Watermark};
use crate::trace::Step;

/// The reference join engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceEngine {
    params: JoinParams,
    /// Per input: the watermark (derived or explicit, whichever is ahead).
    input_wm: [Watermark; 2],
    /// Per input: the largest event time seen, for derived watermarks.
    max_seen: [Option<EventTime>; 2],
    /// The watermark lateness and eviction act on.
    join_wm: Watermark,
    ended: bool,
    /// Per side: stored records by key, each with whether it has matched, and their eviction
    /// queue.
    state: SideStore,
    /// Always `Fault::None` outside the mutation benchmark.
    fault: Fault,
    /// The key of the record being processed (for `Fault::EvictOnlyOnKeyArrival`).
    arriving: Option<Key>,
}

/// The model checker tells states apart by this hash alone: it covers the engine's state, but
/// not what is the same throughout a check (`params`, `fault`) or what is only set during a
/// step (`arriving`).
impl std::hash::Hash for ReferenceEngine {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.input_wm.hash(h);
        self.max_seen.hash(h);
        self.join_wm.hash(h);
        self.ended.hash(h);
        self.state.hash(h);
    }
}

impl ReferenceEngine {
    /// The engine for `params`, before its first step.
    pub fn new(params: JoinParams) -> ReferenceEngine {
        ReferenceEngine {
            params,
            input_wm: [Watermark::MIN; 2],
            max_seen: [None; 2],
            join_wm: Watermark::MIN,
            ended: false,
            state: Default::default(),
            fault: Fault::None,
            arriving: None,
        }
    }

    /// The engine with a deliberate defect (`crate::testing::mutants`).
    pub(crate) fn with_fault(params: JoinParams, fault: Fault) -> ReferenceEngine {
        ReferenceEngine {
            fault,
            ..ReferenceEngine::new(params)
        }
    }

    /// The join this engine runs.
    pub fn params(&self) -> &JoinParams {
        &self.params
    }

    fn on_record(&mut self, r: Record, out: &mut Vec<Output>) {
        self.arriving = Some(r.key);
        let side = r.side.index();
        if self.params.watermark.lateness.is_late(r.ts, self.judge_wm(r.side)) {
            out.push(Output::Late(r.id));
        } else {
            self.join_on_arrival(r, out);
        }
        match self.params.knobs.eviction {
            Eviction::Bounds => {}
            Eviction::OwnSide => self.expire_own_side(r.side, out),
            Eviction::PerKey => self.expire_key(r.side, r.key, out),
        }
        // Every record, late or not, counts towards its input's largest time (a late record
        // cannot raise it while delays are non-negative, but nothing here depends on that).
        if self.params.watermark.source == crate::model::WatermarkSource::Derived {
            let max = self.max_seen[side].map_or(r.ts, |m| m.max(r.ts));
            self.max_seen[side] = Some(max);
            let derived = Watermark::at(max.saturating_sub(self.params.watermark.delay[side]));
            self.input_wm[side].advance_if_ahead(derived);
            self.advance_join_watermark(out);
        }
    }

    fn join_on_arrival(&mut self, r: Record, out: &mut Vec<Output>) {
        let semi = self.params.kind == JoinKind::LeftSemi;
        // A stored left record of a semi join has not matched yet (matched ones leave state
        // at once): a right record gives it its first match, and it leaves below.
        let matched = self.state.join(&self.params, &r, out);
        if semi && r.side == Side::Right && matched {
            let (lo, hi) = super::store::partner_times(&self.params, &r).expect("partners were found");
            self.state[Side::Left.index()].remove_where(r.key, lo, hi, |_| true, |_| {});
        }
        if semi && r.side == Side::Left && matched {
            out.push(Output::Semi { left: r.id });
            return;
        }
        // An eager null row is the record's one row unless a match follows: stored as if it
        // had matched, it gets none at eviction.
        let eager = !matched && self.params.kind.pads(r.side) && self.params.knobs.outer_rows == OuterRows::Eager;
        if eager {
            out.push(Output::Unmatched(r.id));
        }
        // Under another eviction rule than the bounds, the rule alone decides what leaves.
        let keep = self.params.knobs.eviction != Eviction::Bounds
            || self.params.can_still_match(&r, self.partner_wm(r.side), self.ended);
        if keep {
            assert!(
                self.state[r.side.index()].insert(r.key, r.ts, r.id, matched || eager),
                "record {:?} stored twice",
                r.id
            );
        } else if !matched && !eager && self.params.kind.pads(r.side) {
            out.push(Output::Unmatched(r.id));
        }
    }

    /// The watermark a record of `side` is judged against on arrival ([`crate::model::Policy::judge`]).
    fn judge_wm(&self, side: Side) -> Watermark {
        self.params.watermark.policy.judge(self.input_wm, self.join_wm, side)
    }

    /// The watermark the partners of a stored record of `side` are judged against.
    fn partner_wm(&self, side: Side) -> Watermark {
        self.judge_wm(side.other())
    }

    /// `eviction = "own_side"`: the records of `side` that its input's watermark has passed
    /// (late by the model's rule, `ts < wm` when nothing is late) leave state, whatever the
    /// bounds say. Called before the arriving record raises the watermark: it acts on what
    /// the earlier records of the side have done.
    fn expire_own_side(&mut self, side: Side, out: &mut Vec<Output>) {
        let wm = self.input_wm[side.index()];
        let rule = match self.params.watermark.lateness {
            Lateness::Off => Lateness::Strict,
            rule => rule,
        };
        let pads = self.params.kind.pads(side);
        self.state[side.index()].pop_oldest_while(|_, ts, _| rule.is_late(ts, wm), |_, e| close(e, pads, out));
    }

    /// `eviction = "per_key"`: the records of `key` on `side` more than the side's delay older
    /// than the key's newest there leave state.
    fn expire_key(&mut self, side: Side, key: Key, out: &mut Vec<Output>) {
        let store = &mut self.state[side.index()];
        let Some(newest) = store.of_key(key).last().map(|e| e.ts) else {
            return;
        };
        let Some(cutoff) = newest
            .saturating_sub(self.params.watermark.delay[side.index()])
            .as_millis()
            .checked_sub(1)
        else {
            return;
        };
        let pads = self.params.kind.pads(side);
        store.remove_where(
            key,
            EventTime::MIN,
            EventTime::from_millis(cutoff),
            |_| true,
            |e| close(e, pads, out),
        );
    }

    fn on_watermark(&mut self, side: Option<Side>, ts: Watermark, out: &mut Vec<Output>) {
        for s in Side::selected(side) {
            // A watermark behind the current one says nothing new (Flink ignores it too).
            self.input_wm[s.index()].advance_if_ahead(ts);
        }
        self.advance_join_watermark(out);
    }

    fn advance_join_watermark(&mut self, out: &mut Vec<Output>) {
        let combined = self.params.watermark.policy.combine(self.input_wm[0], self.input_wm[1]);
        // Both inputs only move forward, and min and max are monotone, so neither does this.
        self.join_wm.advance_to(combined);
        self.evict(out);
    }

    fn on_end(&mut self, out: &mut Vec<Output>) {
        self.ended = true;
        if self.params.knobs.end_of_input == EndOfInput::Nothing {
            return;
        }
        self.input_wm = [Watermark::MAX; 2];
        self.join_wm.advance_to(Watermark::MAX);
        self.evict(out);
        assert!(
            self.fault != Fault::None || self.state.is_empty(),
            "state left after end of input"
        );
    }

    /// Removes, oldest first, every stored record that no future on-time record can match.
    /// Whether a record can still match is monotone in its time on each side, so the scan
    /// stops at the first record that can.
    fn evict(&mut self, out: &mut Vec<Output>) {
        if self.fault != Fault::None {
            return self.evict_with_fault(out);
        }
        // Other rules evict as records arrive; end of input flushes whatever they kept.
        if self.params.knobs.eviction != Eviction::Bounds && !self.ended {
            return;
        }
        let ended = self.ended;
        for side in Side::BOTH {
            let (params, partner_wm) = (self.params, self.partner_wm(side));
            self.state[side.index()].pop_oldest_while(
                |key, ts, id| {
                    let record = Record { side, key, ts, id };
                    !params.can_still_match(&record, partner_wm, ended)
                },
                |_, e| close(e, params.kind.pads(side), out),
            );
        }
        debug_assert!(
            self.stored_records()
                .all(|r| self.params.can_still_match(&r, self.partner_wm(r.side), self.ended)),
            "a record that can no longer match survived eviction at {}",
            self.join_wm
        );
    }

    /// Eviction under a deliberate defect (`crate::testing::mutants`); kept apart so that the
    /// engine's own rule above reads as what it is.
    fn evict_with_fault(&mut self, out: &mut Vec<Output>) {
        let doomed: Vec<Record> = self
            .stored_records()
            .filter(|r| !self.params.can_still_match(r, self.partner_wm(r.side), self.ended))
            .filter(|r| match self.fault {
                Fault::NeverEvict(side) => r.side != side,
                Fault::EvictOnlyOnKeyArrival => self.arriving == Some(r.key),
                _ => true,
            })
            .collect();
        for r in doomed {
            if !self.remove(r.side, (r.key, r.ts, r.id)) && self.params.kind.pads(r.side) {
                out.push(Output::Unmatched(r.id));
            }
        }
    }

    /// Removes one stored record; returns whether it had matched.
    fn remove(&mut self, side: Side, at: (Key, EventTime, RecordId)) -> bool {
        self.state[side.index()]
            .remove(at.0, at.1, at.2)
            .expect("record is stored")
    }

    fn stored_records(&self) -> impl Iterator<Item = Record> + '_ {
        self.state.records()
    }
}

/// A record leaving state: its null row, when it never matched and its side is padded.
fn close(e: super::store::Entry, pads: bool, out: &mut Vec<Output>) {
    if !e.matched && pads {
        out.push(Output::Unmatched(e.id));
    }
}

impl Engine for ReferenceEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        if self.ended {
            // Nothing happens after end of input; a well-formed trace has no such steps.
            return;
        }
        match *step {
            Step::Record(r) => {
                self.on_record(r, out);
                self.arriving = None;
            }
            Step::Watermark { side, ts } => self.on_watermark(side, ts, out),
            Step::End => self.on_end(out),
            // Batches, processing time and snapshots do not affect this profile.
            Step::Batch | Step::ProcessingTime(_) | Step::Snapshot => {}
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        self.state.ids()
    }

    fn stored_len(&self) -> usize {
        self.state.len()
    }

    fn pending_timers(&self) -> usize {
        0
    }

    fn watermarks(&self) -> Option<Watermarks> {
        Some(Watermarks {
            left: self.input_wm[0],
            right: self.input_wm[1],
            join: self.join_wm,
        })
    }
}
