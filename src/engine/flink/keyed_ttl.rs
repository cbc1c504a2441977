//! The `flink-keyed-ttl` profile: the seed's `KeyedCoProcessFunction`, exactly.
//!
//! ```text
//! processElement1(imp):   impressionState.update(imp)                 // overwrite, TTL 24h
//!                         registerEventTimeTimer(imp.ts + TTL)
//! processElement2(click): imp = impressionState.value()
//!                         if imp != null: emit (imp, click); impressionState.clear()
//!                         else: "orphan": log to the late-data side output
//! onTimer(ts):            if impressionState.value() != null: impressionState.clear()
//! ```
//!
//! with `StateTtlConfig` `OnCreateAndWrite`, `NeverReturnExpired` and `cleanupFullSnapshot`.
//! The Flink mechanics come from `super::flink`: the operator's watermark is the minimum of
//! its two inputs' (explicit `watermark` steps here), timers fire when it reaches them, one
//! per key and timestamp; TTL runs on the processing-time clock (`processing_time` steps);
//! a full snapshot leaves expired entries out of the snapshot but not out of local state, so
//! `snapshot` steps change nothing the join does. End of input is the `MAX` watermark: every
//! timer fires.
//!
//! The TTL is the model's upper bound (`join.bounds = "[0ms, 24h]"`): the designer meant a
//! click to join an impression at most that long after it. Orphan clicks go to the late-data
//! side output, so they are reported as `late` rows. Nothing else in the function looks at
//! event time, and Flink drops nothing itself.

use super::timers::TimerService;
use super::ttl::{TtlConfig, TtlValueState, UpdateType, Visibility};
use super::watermark::TwoInputWatermark;
use crate::engine::{Engine, Watermarks};
use crate::event::{Output, Record, RecordId, Side};
use crate::model::JoinParams;
use crate::time::{Duration, ProcessingTime, Watermark};
use crate::trace::Step;

/// The seed's function on Flink's timer service and TTL state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyedTtlEngine {
    ttl: Duration,
    watermark: TwoInputWatermark,
    timers: TimerService,
    /// `impressionState`: the impression record per key.
    impression: TtlValueState<Record>,
    now: ProcessingTime,
    ended: bool,
}

impl KeyedTtlEngine {
    pub fn new(params: JoinParams) -> KeyedTtlEngine {
        let ttl = Duration::from_millis(i64::try_from(params.bounds.highest()).unwrap_or(i64::MAX));
        KeyedTtlEngine {
            ttl,
            watermark: TwoInputWatermark::default(),
            timers: TimerService::default(),
            impression: TtlValueState::new(TtlConfig {
                ttl,
                update: UpdateType::OnCreateAndWrite,
                visibility: Visibility::NeverReturnExpired,
            }),
            now: ProcessingTime::default(),
            ended: false,
        }
    }

    fn on_timers(&mut self, w: Watermark) {
        while let Some((_, key, _)) = self.timers.pop_due(w) {
            if self.impression.value(key, self.now).is_some() {
                self.impression.clear(key);
            }
        }
    }
}

impl Engine for KeyedTtlEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        if self.ended {
            return;
        }
        match *step {
            Step::Record(r) if r.side == Side::Left => {
                self.impression.update(r.key, r, self.now);
                self.timers.register(r.key, r.ts.saturating_add(self.ttl));
            }
            Step::Record(click) => match self.impression.value(click.key, self.now) {
                Some(imp) => {
                    out.push(Output::Match {
                        left: imp.id,
                        right: click.id,
                    });
                    self.impression.clear(click.key);
                }
                None => out.push(Output::Late(click.id)),
            },
            Step::Watermark { side, ts } => {
                for s in Side::selected(side) {
                    if let Some(w) = self.watermark.on_watermark(s, ts) {
                        self.on_timers(w);
                    }
                }
            }
            Step::ProcessingTime(t) => self.now = self.now.max(t),
            Step::End => {
                for s in Side::BOTH {
                    if let Some(w) = self.watermark.on_watermark(s, Watermark::MAX) {
                        self.on_timers(w);
                    }
                }
                self.ended = true;
            }
            Step::Batch | Step::Snapshot => {}
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = self.impression.stored().map(|(_, r)| r.id).collect();
        ids.sort_unstable();
        ids
    }

    fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    fn watermarks(&self) -> Option<Watermarks> {
        Some(self.watermark.view())
    }
}
