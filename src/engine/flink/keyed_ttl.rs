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
//! click to join an impression at most that long after it. A model may set it apart from the
//! window (`[join] horizon = "36h"`, the seed's `Time.hours(24)` in both the TTL and the
//! timer), which is what `joincheck advise --horizons` sweeps. Orphan clicks go to the late-data
//! side output, so they are reported as `late` rows. Nothing else in the function looks at
//! event time, and Flink drops nothing itself.

use super::operator::TwoInputOperator;
use super::timers::TimerService;
use super::ttl::{TtlConfig, TtlValueState, UpdateType, Visibility};
use super::watermark::TwoInputWatermark;
use crate::event::{Output, Record, Side};
use crate::model::JoinParams;
use crate::time::{Duration, ProcessingTime, Watermark};

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
    /// The engine for `params`, before its first step; the TTL and the timer offset are the
    /// model's horizon (by default the window's largest offset, as in the seed).
    pub fn new(params: JoinParams) -> KeyedTtlEngine {
        let ttl = params.horizon();
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

    /// The impressions a full snapshot holds now: with `cleanupFullSnapshot` the expired ones
    /// are left out of it (local state keeps them until read).
    pub fn full_snapshot_entries(&self) -> usize {
        self.impression.snapshot(self.now).len()
    }

    fn on_timers(&mut self, w: Watermark) {
        while let Some((_, key, _)) = self.timers.pop_due(w) {
            if self.impression.value(key, self.now).is_some() {
                self.impression.clear(key);
            }
        }
    }
}

impl TwoInputOperator for KeyedTtlEngine {
    fn process_element(&mut self, r: Record, out: &mut Vec<Output>) {
        if r.side == Side::Left {
            self.impression.update(r.key, r, self.now);
            self.timers.register(r.key, r.ts.saturating_add(self.ttl));
            return;
        }
        match self.impression.value(r.key, self.now) {
            Some(imp) => {
                out.push(Output::Match {
                    left: imp.id,
                    right: r.id,
                });
                self.impression.clear(r.key);
            }
            None => out.push(Output::Late(r.id)),
        }
    }

    fn process_watermark(&mut self, side: Side, w: Watermark, _: &mut Vec<Output>) {
        if let Some(w) = self.watermark.on_watermark(side, w) {
            self.on_timers(w);
        }
    }

    fn processing_time(&mut self, now: ProcessingTime) {
        self.now = self.now.max(now);
    }
}

super::operator::flink_engine!(
    KeyedTtlEngine,
    stored: |e: &KeyedTtlEngine| {
        crate::engine::store::ascending(e.impression.stored().map(|(_, r)| r.id).collect())
    },
    len: |e: &KeyedTtlEngine| e.impression.stored().count()
);
