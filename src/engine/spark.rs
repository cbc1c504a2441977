//! The `spark` profile: Spark Structured Streaming's stream-stream join
//! (`StreamingSymmetricHashJoinExec`, Spark 4.x defaults), micro-batch by micro-batch.
//!
//! Sources, as summarised in `shared/reference/spark-join-semantics.md` and checked against
//! recorded pyspark 4.3.0 runs (`tests/conformance/spark/`):
//!
//! - **Micro-batches.** The records before the first `batch` step form batch 0 and each marker
//!   closes one batch; records after the last marker form a final batch that runs at `end`.
//!   Until its batch runs, a record sits in the source, not in join state ([`Engine::buffered`]).
//! - **Watermarks** (`WatermarkTracker`, `MicroBatchExecution.markMicroBatchEnd`): at the end
//!   of each data batch, each input that had rows in it (late rows included) moves its
//!   watermark to `max ts - delay`; an input that has had no rows counts as 0; the global
//!   watermark `W` is `max(W, policy(inputs))`, starts at 0 and takes effect for the next batch.
//! - **Late rows** (`WatermarkSupport.watermarkExpression`): a row with `ts <= lateWm` is
//!   dropped, where `lateWm` is the `W` of the *previous* Spark batch, no-data batches included
//!   (SPARK-40925, default `statefulOperator.allowMultiple = true`; 0 for batch 0, so rows at or
//!   before the epoch are always late).
//! - **State watermarks of a range** (`StreamingJoinHelper.getStateValueWatermark`): from the
//!   range condition, with the other side's time replaced by `W` and `- 1` ms for a non-strict
//!   bound: a left row is evicted when `l.ts <= W - upper - 1` (`l.ts + highest < W`), a right
//!   row when `r.ts <= W + lower - 1` (`r.ts - lowest < W`), where `highest`/`lowest` are the
//!   largest/smallest offsets inside the bounds.
//! - **State watermarks of an equality** (`bounds = "= d"`, the condition
//!   `clickTime = impressionTime + interval d`): the planner's `ExtractEquiJoinKeys`
//!   (`catalyst/planning/patterns.scala`) takes every equality between an expression of one
//!   side and one of the other as a join key, so the event times join the key.
//!   `StreamingSymmetricHashJoinHelper.getStateWatermarkPredicates` then finds the key column
//!   that carries a watermark (`joinKeyOrdinalForWatermark`: a bare watermarked column, left keys
//!   first) and gives **both** sides a `JoinStateKeyWatermarkPredicate` on that key column:
//!   `key <= W` (`WatermarkSupport.watermarkExpression`, no 1 ms margin). The left row's key is
//!   `l.ts + d` and the right row's `r.ts`: a left row goes when `l.ts + d <= W`, one watermark
//!   millisecond before the range `[d, d]` would evict it; a right row when `r.ts <= W`, which
//!   for `d < 0` is before every left partner (`l = r.ts - d > W`) is behind the watermark, so
//!   such a join loses matches (recorded: `tests/conformance/spark/fixtures/joins/equality-negative`).
//!   Written the other way round (`impressionTime = clickTime - interval d`), the left column
//!   is the bare one and the keys become `l.ts` and `r.ts - d`; a model states the first form.
//! - **Order inside a batch** (`processPartitions`, `storeAndJoinWithOtherSide`): left rows first
//!   (joined with the right rows of earlier batches, then always stored), then right rows
//!   (joined with the left state, which now holds this batch's left rows; stored unless already
//!   evictable, except an unmatched row of a right or full outer join, SPARK-49829); eviction
//!   after joining.
//! - **Outer rows** (state format v2 `matched` flag, SPARK-26154): a null-padded row for each
//!   row of a padded side that leaves state unmatched.
//! - **Left semi** (SPARK-32862; Spark 4.3.0 has SPARK-55973, apache/spark#54769, "LeftSemi
//!   optimization for stream-stream join"): the right rows go first, then the left rows. A
//!   right row emits each left row it matches in state, once, and **removes** it from state
//!   at once, instead of marking it matched and keeping it until the watermark passes; a left
//!   row that matches the right state (this batch's right rows included) is emitted and never
//!   stored. Only unmatched left rows and right rows stay in state. Recorded: three
//!   impressions and a click they all match, in one batch, leave 1 row in state, not 4.
//! - **No-data batch** (`shouldRunAnotherBatch`): after a data batch that moved `W`, Spark runs
//!   a batch without input that evicts with the new `W`; its rows carry the data batch's
//!   number. At most one follows a data batch.
//! - **End of input**: Spark has none. `end` runs the pending batch, if any, and then nothing
//!   more happens: what is still in state stays there, and no null rows are flushed.
//!
//! Spark reports late rows only as a per-batch count (`numRowsDroppedByWatermark`); this
//! profile emits a `late` row for each, so that lateness can be checked per record.
//! Spark's timestamps are microseconds and its watermarks milliseconds; joincheck's times are
//! milliseconds, for which Spark's `ts_us <= wm_ms * 1000` is exactly `ts <= wm`.

use super::store::SideStore;
use super::{Engine, Watermarks};
use crate::engine::fault::Fault;
use crate::event::{Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams};
use crate::time::{EventTime, Watermark};
use crate::trace::Step;

/// Spark's join, one micro-batch at a time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SparkEngine {
    params: JoinParams,
    /// The global watermark `W` (published at the end of the last data batch).
    w: Watermark,
    /// `W` as it was during the previous Spark batch: the late filter's threshold.
    prev_batch_w: Watermark,
    /// Per input: its watermark, `None` until it has had a row.
    input_wm: [Option<Watermark>; 2],
    /// Records of the open batch, in arrival order.
    pending: Vec<Record>,
    /// Per side: rows in join state by (key, ts, id), with their `matched` flag.
    state: SideStore,
    ended: bool,
    /// Always `Fault::None` outside the mutation benchmark.
    fault: Fault,
}

impl SparkEngine {
    /// The engine for `params`, before its first step; its watermark starts at 0.
    pub fn new(params: JoinParams) -> SparkEngine {
        let zero = Watermark::at(EventTime::from_millis(0));
        SparkEngine {
            params,
            w: zero,
            prev_batch_w: zero,
            input_wm: [None; 2],
            pending: Vec::new(),
            state: Default::default(),
            ended: false,
            fault: Fault::None,
        }
    }

    /// The join this engine runs.
    pub fn params(&self) -> JoinParams {
        self.params
    }

    /// The engine with a deliberate defect (`crate::testing::mutants`).
    pub(crate) fn with_fault(params: JoinParams, fault: Fault) -> SparkEngine {
        SparkEngine {
            fault,
            ..SparkEngine::new(params)
        }
    }

    /// Whether a row of `side` at `ts` is evicted by the state watermark of `w`.
    fn evictable(&self, side: Side, ts: EventTime, w: Watermark) -> bool {
        evictable(&self.params, self.fault, side, ts, w)
    }

    /// Runs the pending records as one data batch, then the no-data batch if `W` moved.
    fn run_batch(&mut self, out: &mut Vec<Output>) {
        let batch_w = self.w;
        let rows = std::mem::take(&mut self.pending);
        // Each input that had rows in this batch, late ones included, moves its watermark;
        // the result is published at the end of the batch.
        let mut input_wm = self.input_wm;
        for side in Side::BOTH {
            if let Some(max) = rows.iter().filter(|r| r.side == side).map(|r| r.ts).max() {
                let derived = Watermark::at(max.saturating_sub(self.params.watermark.delay[side.index()]));
                let w = input_wm[side.index()].get_or_insert(derived);
                *w = (*w).max(derived);
            }
        }
        let zero = Watermark::at(EventTime::from_millis(0));
        let [l, r] = input_wm.map(|w| w.unwrap_or(zero).max(zero));
        let candidate = self.params.watermark.policy.combine(l, r);

        let late_w = match self.fault {
            Fault::SparkLateFilterWithNextWatermark => candidate.max(self.prev_batch_w),
            _ => self.prev_batch_w,
        };
        let late = |r: &Record| self.params.watermark.lateness.is_late(r.ts, late_w);
        let (late_rows, on_time): (Vec<Record>, Vec<Record>) = rows.iter().partition(|r| late(r));
        out.extend(late_rows.iter().map(|r| Output::Late(r.id)));
        // A left semi join runs the right rows first (SPARK-55973).
        let order = match self.params.kind {
            JoinKind::LeftSemi => [Side::Right, Side::Left],
            _ => Side::BOTH,
        };
        for side in order {
            for r in on_time.iter().filter(|r| r.side == side) {
                self.join_and_store(*r, batch_w, out);
            }
        }
        // Eviction after joining, with this batch's watermark.
        self.evict(batch_w, out);

        self.input_wm = input_wm;
        self.prev_batch_w = batch_w;
        if candidate > self.w {
            self.w.advance_to(candidate);
            // The no-data batch: no input, eviction with the new watermark.
            let w = self.w;
            self.evict(w, out);
            self.prev_batch_w = w;
        }
    }

    fn join_and_store(&mut self, r: Record, batch_w: Watermark, out: &mut Vec<Output>) {
        let semi = self.params.kind == JoinKind::LeftSemi;
        // Emitted once and removed at once (below): a stored left row is never matched.
        let matched = self.state.join(&self.params, &r, out);
        if semi && r.side == Side::Right && matched {
            let (lo, hi) = super::store::partner_times(&self.params, &r).expect("partners were found");
            self.state[Side::Left.index()].remove_where(r.key, lo, hi, |_| true, |_| {});
        }
        let store = match r.side {
            Side::Left if semi && matched => {
                out.push(Output::Semi { left: r.id });
                false
            }
            Side::Left | Side::Right if self.fault == Fault::SparkSkipEvictableRows => {
                !self.evictable(r.side, r.ts, batch_w)
            }
            // New left rows are always stored, so this batch's right rows can still match them.
            Side::Left => true,
            Side::Right => {
                !self.evictable(Side::Right, r.ts, batch_w) || (self.params.kind.pads(Side::Right) && !matched)
            }
        };
        if store {
            self.state[r.side.index()].insert(r.key, r.ts, r.id, matched);
        }
    }

    /// Removes every row its side's state watermark (from `w`) evicts; null-pads unmatched
    /// rows of padded sides, left first, each side in (key, time, id) order as Spark's
    /// state store iterates. Whether a row is evictable is monotone in its time, so the rows
    /// come off the oldest end of the side's queue.
    fn evict(&mut self, w: Watermark, out: &mut Vec<Output>) {
        let (params, fault) = (self.params, self.fault);
        let mut doomed = Vec::new();
        for side in Side::BOTH {
            self.state[side.index()].pop_oldest_while(
                |_, ts, _| evictable(&params, fault, side, ts, w),
                |key, e| doomed.push((key, e)),
            );
            if self.params.kind.pads(side) {
                doomed.sort_unstable_by_key(|&(key, e)| (key, e.ts, e.id));
                out.extend(
                    doomed
                        .iter()
                        .filter(|(_, e)| !e.matched)
                        .map(|(_, e)| Output::Unmatched(e.id)),
                );
            }
            doomed.clear();
        }
        debug_assert!(
            Side::BOTH.iter().all(|s| self.state[s.index()]
                .sorted()
                .iter()
                .all(|(_, e)| !self.evictable(*s, e.ts, w))),
            "a row older than its state watermark survived eviction"
        );
    }
}

/// Whether a row of `side` at `ts` is evicted by the state watermark of `w`.
fn evictable(params: &JoinParams, fault: Fault, side: Side, ts: EventTime, w: Watermark) -> bool {
    let ts = i128::from(ts.as_millis());
    let w = i128::from(w.as_millis());
    if params.bounds.is_equality() {
        // The key predicate `key <= W` on the event-time key: `l.ts + d` and `r.ts`.
        return match side {
            Side::Left => ts + params.bounds.lowest() <= w,
            Side::Right => ts <= w,
        };
    }
    match side {
        Side::Left if fault == Fault::SparkLeftStateFromLowerBound => ts + params.bounds.lowest() < w,
        Side::Left => ts + params.bounds.highest() < w,
        Side::Right => ts - params.bounds.lowest() < w,
    }
}

impl Engine for SparkEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        if self.ended {
            return;
        }
        match *step {
            Step::Record(r) => self.pending.push(r),
            Step::Batch => self.run_batch(out),
            Step::End => {
                if !self.pending.is_empty() {
                    self.run_batch(out);
                }
                self.ended = true;
            }
            // Spark derives its watermark from the data (models reject explicit watermark
            // steps) and has no processing-time state or snapshot-triggered cleanup here.
            Step::Watermark { .. } | Step::ProcessingTime(_) | Step::Snapshot => {}
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        self.state.ids()
    }

    fn buffered(&self) -> Vec<RecordId> {
        super::store::ascending(self.pending.iter().map(|r| r.id).collect())
    }

    fn stored_len(&self) -> usize {
        self.state.len()
    }

    fn pending_timers(&self) -> usize {
        0
    }

    fn micro_batches(&self) -> bool {
        true
    }

    fn watermarks(&self) -> Option<Watermarks> {
        let zero = Watermark::at(EventTime::from_millis(0));
        Some(Watermarks {
            left: self.input_wm[0].unwrap_or(zero),
            right: self.input_wm[1].unwrap_or(zero),
            join: self.w,
        })
    }
}
