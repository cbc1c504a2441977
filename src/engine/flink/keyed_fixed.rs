//! The `flink-keyed-fixed` profile: the seed's `KeyedCoProcessFunction`, corrected.
//!
//! The same Flink primitives as `flink-keyed-ttl` (two-input watermark, event-time timers),
//! used the way an interval join needs them (docs/SEED-FLINK.md explains each change):
//!
//! ```text
//! processElement(x):  if x.ts < currentWatermark(): late-data side output; return  // judged, not guessed
//!                     join x with every buffered partner of the other side in range
//!                     buffer[x.side].put(x)                                           // both sides, by time
//!                     registerEventTimeTimer(cleanup(x))                              // one per time, deduplicated
//! onTimer(T):         remove every buffered x with cleanup(x) <= T;
//!                     null-pad the unmatched ones if the join is outer
//! cleanup(left  l) = l.ts + upper + 1     // the first watermark at which no on-time click can match
//!                                         // (l.ts + horizon + 1 when the model sets [join] horizon)
//! cleanup(right r) = r.ts - lower + 1     // likewise for impressions
//! ```
//!
//! No state TTL: event time decides everything, so the result does not depend on how fast the
//! job runs. A match does not clear anything: an impression keeps matching clicks until its
//! cleanup timer fires.

use super::operator::TwoInputOperator;
use super::timers::TimerService;
use super::watermark::TwoInputWatermark;
use crate::engine::store::{SideStore, StoreKey};
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams};
use crate::time::{EventTime, Watermark};

/// The corrected keyed function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyedFixedEngine {
    params: JoinParams,
    watermark: TwoInputWatermark,
    timers: TimerService,
    /// Per side: buffered records by (key, ts, id), with whether each has matched.
    buffer: SideStore,
    ended: bool,
}

impl KeyedFixedEngine {
    /// The engine for `params`, before its first step.
    ///
    /// # Panics
    /// For a left-semi join, which this design does not model.
    pub fn new(params: JoinParams) -> KeyedFixedEngine {
        assert!(
            params.kind != JoinKind::LeftSemi,
            "the keyed design emits pairs; semi joins are not modelled"
        );
        KeyedFixedEngine {
            params,
            watermark: TwoInputWatermark::default(),
            timers: TimerService::default(),
            buffer: Default::default(),
            ended: false,
        }
    }

    /// The first watermark at which no on-time record of the other side can match `r`.
    fn cleanup(&self, r: &Record) -> EventTime {
        let (_, last_partner) = self.params.bounds.partner_range(r);
        let at = match r.side {
            // A click at `last_partner` is on time until the watermark passes it; a model's
            // own horizon replaces that last chance (shorter loses matches, longer holds state).
            Side::Left => match self.params.horizon {
                Some(h) => i128::from(r.ts.as_millis()) + i128::from(h.as_millis()) + 1,
                None => last_partner + 1,
            },
            // An impression at `ts - lowest` likewise.
            Side::Right => i128::from(r.ts.as_millis()) - self.params.bounds.lowest() + 1,
        };
        EventTime::clamped(at)
    }

    fn on_record(&mut self, r: Record, out: &mut Vec<Output>) {
        if r.ts < self.watermark.combined().time() {
            out.push(Output::Late(r.id));
            return;
        }
        let other = r.side.other();
        let partners: Vec<StoreKey> = self.buffer.partners(&self.params, &r).map(|(k, _)| *k).collect();
        for p in &partners {
            out.push(match r.side {
                Side::Left => Output::Match { left: r.id, right: p.2 },
                Side::Right => Output::Match { left: p.2, right: r.id },
            });
            *self.buffer[other.index()].get_mut(p).expect("partner is buffered") = true;
        }
        self.buffer[r.side.index()].insert((r.key, r.ts, r.id), !partners.is_empty());
        self.timers.register(r.key, self.cleanup(&r));
    }

    fn on_timers(&mut self, w: Watermark, out: &mut Vec<Output>) {
        while let Some((at, key, _)) = self.timers.pop_due(w) {
            for side in Side::BOTH {
                let due: Vec<(Key, EventTime, RecordId)> = self.buffer[side.index()]
                    .range((key, EventTime::MIN, RecordId(0))..=(key, EventTime::MAX, RecordId(u32::MAX)))
                    .map(|(k, _)| *k)
                    .filter(|k| {
                        self.cleanup(&Record {
                            side,
                            key,
                            ts: k.1,
                            id: k.2,
                        }) <= at
                    })
                    .collect();
                for k in due {
                    let matched = self.buffer[side.index()].remove(&k).expect("due record is buffered");
                    if !matched && self.params.kind.pads(side) {
                        out.push(Output::Unmatched(k.2));
                    }
                }
            }
        }
    }
}

impl TwoInputOperator for KeyedFixedEngine {
    fn process_element(&mut self, r: Record, out: &mut Vec<Output>) {
        self.on_record(r, out);
    }

    fn process_watermark(&mut self, side: Side, w: Watermark, out: &mut Vec<Output>) {
        if let Some(w) = self.watermark.on_watermark(side, w) {
            self.on_timers(w, out);
        }
    }
}

super::operator::flink_engine!(KeyedFixedEngine, store: buffer);
