//! The `flink-interval` profile: Flink's DataStream `IntervalJoinOperator` (Flink 2.3.0;
//! `shared/reference/flink-join-semantics.md` §6), inner joins only.
//!
//! ```text
//! bounds [lo', hi'] (exclusive ends normalised: lo + 1, hi - 1); a right element uses [-hi', -lo']
//! element x@t of side s:
//!     if t < currentWatermark: late (side output); return          // t == wm is on time (FLINK-33524)
//!                                                                    // (the model's lateness rule)
//!     buffer[s][t].push(x)                                         // own buffer first
//!     for (t2, bucket) in buffer[other]: if t + a <= t2 <= t + b: emit each pair
//!     registerEventTimeTimer(namespace s, t + max(relUpper, 0))     // left: relUpper = hi'; right: -lo'
//! onTimer(LEFT, T):  remove bucket (hi' <= 0 ? T : T - hi') from the left buffer
//! onTimer(RIGHT, T): remove bucket (lo' <= 0 ? T + lo' : T) from the right buffer
//! ```
//!
//! Watermarks: each input's comes from the trace, or from a `BoundedOutOfOrderness(delay)`
//! generator emitting after every event (`max - delay - 1`); the operator's is their minimum.
//! End of input is the `MAX` watermark, which fires every timer.
//!
//! Known boundary (§6): a left element at `t` is removed once the watermark reaches
//! `t + hi'`, yet a right element at exactly `t + hi'` is still on time then, and finds it
//! gone. The checker reports it; `models/flink-interval-impressions-clicks.toml` records it.

use super::operator::TwoInputOperator;
use super::timers::TimerService;
use super::watermark::{BoundedOutOfOrderness, TwoInputWatermark};
use crate::engine::fault::Fault;
use crate::engine::store::{Entry, SideStore};
use crate::event::{Output, Record, Side};
use crate::model::{JoinKind, JoinParams, WatermarkSource};
use crate::time::{EventTime, Watermark};

/// Flink's DataStream interval join.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IntervalJoinEngine {
    params: JoinParams,
    generators: Option<[BoundedOutOfOrderness; 2]>,
    watermark: TwoInputWatermark,
    timers: TimerService,
    /// Per side: buffered elements by (key, ts, id).
    buffer: SideStore,
    ended: bool,
    /// Always `Fault::None` outside the mutation benchmark.
    fault: Fault,
}

impl IntervalJoinEngine {
    /// The engine for `params`, before its first step.
    ///
    /// # Panics
    /// When the join is not inner: the DataStream interval join is inner only.
    pub fn new(params: JoinParams) -> IntervalJoinEngine {
        assert_eq!(
            params.kind,
            JoinKind::Inner,
            "Flink's DataStream interval join is inner only"
        );
        let d = params.watermark.delay;
        IntervalJoinEngine {
            params,
            generators: (params.watermark.source == WatermarkSource::Derived)
                .then(|| [BoundedOutOfOrderness::new(d[0]), BoundedOutOfOrderness::new(d[1])]),
            watermark: TwoInputWatermark::default(),
            timers: TimerService::default(),
            buffer: Default::default(),
            ended: false,
            fault: Fault::None,
        }
    }

    /// The join this engine runs.
    pub fn params(&self) -> JoinParams {
        self.params
    }

    /// The engine with a deliberate defect (`crate::testing::mutants`).
    pub(crate) fn with_fault(params: JoinParams, fault: Fault) -> IntervalJoinEngine {
        IntervalJoinEngine {
            fault,
            ..IntervalJoinEngine::new(params)
        }
    }

    /// `relUpper` of a side: how far after its own time an element can still find partners.
    fn rel_upper(&self, side: Side) -> i128 {
        match side {
            Side::Left => self.params.bounds.highest(),
            Side::Right => -self.params.bounds.lowest(),
        }
    }

    fn on_element(&mut self, x: Record, out: &mut Vec<Output>) {
        if self.params.watermark.lateness.is_late(x.ts, self.watermark.combined()) {
            out.push(Output::Late(x.id));
            return;
        }
        self.buffer[x.side.index()].insert(x.key, x.ts, x.id, false);
        for &Entry { id: partner, .. } in self.buffer.partners(&self.params, &x) {
            out.push(Output::pair(x.side, x.id, partner));
        }
        let at = match self.fault {
            Fault::TimerAtTimestamp => i128::from(x.ts.as_millis()),
            _ => i128::from(x.ts.as_millis()) + self.rel_upper(x.side).max(0),
        };
        self.timers
            .register_in(x.side.index() as u8, x.key, EventTime::clamped(at));
    }

    fn advance(&mut self, side: Side, w: Watermark) {
        if let Some(combined) = self.watermark.on_watermark(side, w) {
            while let Some((at, key, namespace)) = self.timers.pop_due(combined) {
                let side = if namespace == 0 { Side::Left } else { Side::Right };
                let t = i128::from(at.as_millis());
                let bucket = match side {
                    _ if self.fault == Fault::TimerAtTimestamp => t,
                    Side::Left if self.rel_upper(side) > 0 => t - self.params.bounds.highest(),
                    Side::Right if self.params.bounds.lowest() <= 0 => t + self.params.bounds.lowest(),
                    _ => t,
                };
                let Ok(bucket) = i64::try_from(bucket).map(EventTime::from_millis) else {
                    continue;
                };
                // Cleanup times past the end of `i64` are registered as `MAX`, where the timers
                // of every such element of the key coincide: the one that fires removes them
                // all, from its bucket up (fuzz/regressions/eviction_vs_oracle/flink-interval-
                // clamped-timer-leak).
                let last = if at == EventTime::MAX { EventTime::MAX } else { bucket };
                self.buffer[side.index()].remove_where(key, bucket, last, |_| true, |_| {});
            }
        }
    }
}

impl TwoInputOperator for IntervalJoinEngine {
    fn process_element(&mut self, r: Record, out: &mut Vec<Output>) {
        self.on_element(r, out);
        if let Some(generators) = self.generators.as_mut() {
            if let Some(w) = generators[r.side.index()].on_event(r.ts) {
                self.advance(r.side, w);
            }
        }
    }

    fn process_watermark(&mut self, side: Side, w: Watermark, _: &mut Vec<Output>) {
        self.advance(side, w);
    }
}

super::operator::flink_engine!(IntervalJoinEngine, store: buffer);
