//! The `kafka-streams` profile: Kafka Streams' KStream-KStream windowed join
//! (`KStream.join`/`leftJoin`/`outerJoin` with `JoinWindows`), as Kafka Streams 4.4.0 runs it
//! in one task (`docs/CONFORMANCE.md` has the recorded runs that check it).
//!
//! For `right.ts - left.ts ∈ [lo, hi]` the windows are `before = -lo`, `after = hi` and a
//! `grace`; each store keeps records for `retention = before + after + grace`
//! (`KStreamImplJoin`, `JoinWindows.size()`). The classes, by what they do:
//!
//! ```text
//! stream_time = max ts of every record of the task, both inputs (KStreamImplJoin.TimeTracker)
//! obs[s]      = max ts put into side s's window store            (AbstractRocksDBSegmentedBytesStore)
//! visible(s)  = the records of s's store with ts >= obs[s] - retention + 1   (getActualFrom)
//! record x@t of side s, o the other side; (jb, ja) = (before, after) for the left processor,
//! (after, before) for the right one (KStreamKStreamJoinLeftSide / RightSide):
//!   stream_time = max(stream_time, t)                              (KStreamKStreamJoin.process)
//!   if an outer store exists and t == stream_time: emit_closed(ja)
//!   from = max(0, t - jb); to = max(0, t + ja)                   (Java long arithmetic: wraps)
//!   for y in visible(o) with y.key = x.key, from <= y.ts <= to:
//!       delete the outer entries (o, key, y.ts); emit (x, y)               (emitInnerJoin)
//!   if s is padded and nothing matched:
//!       if to < stream_time: emit x null-padded now
//!       else: min_time = min(min_time, t); put x in the outer store
//!   then put x in s's store (KStreamJoinWindow forwards first, then puts):
//!       obs[s] = max(obs[s], t); skipped, and counted as a dropped record, when
//!       t / seg < (obs[s] - retention) / seg, seg = max(retention / 2, 60 s)  (segments)
//! emit_closed(ja):                                   (emitNonJoinedOuterRecords)
//!   return if min_time + ja + grace >= stream_time   (Java long arithmetic: MAX wraps)
//!   min_time = MAX
//!   for entry e in (ts, right before left, key) order:
//!       min_time = e.ts; stop if both sides were found open
//!       open if e.ts + (left: after, right: before) + grace >= stream_time: note it, next
//!       emit e's records null-padded, delete e
//! ```
//!
//! An outer store exists for left and outer joins and both processors use it; the left
//! processor pads for left and outer joins, the right one for outer joins (Kafka Streams has
//! no right join). A stream does not end: end of input emits nothing and frees nothing.
//! Kafka Streams drops no record from the join for being late: a record behind stream time
//! still probes the other store, and is padded at once if nothing matches; what lateness
//! costs it is its own store entry (and its partners' entries, already expired). The engine
//! therefore never emits [`Output::Late`]; [`KafkaStreamsEngine::dropped`] counts the
//! skipped puts, as the task's `dropped-records-total` metric does.
//!
//! Times here are bare `i64` milliseconds, not the crate's time newtypes, on purpose: Kafka's
//! arithmetic is Java `long` arithmetic, which wraps where the newtypes saturate, and the wrap
//! decides things (`minTime = Long.MAX_VALUE` plus `after + grace` is negative, so the outer
//! store is scanned).
//!
//! Kafka's default timestamp extractor stops the application on a negative timestamp
//! (`FailOnInvalidTimestamp`); the profile's traces have none, and the engine skips such a
//! record entirely, as `LogAndSkipOnInvalidTimestamp` would. A record at `Long.MAX_VALUE`
//! is outside the profile too: the join's window stores cannot return it (the profile row
//! says why).

use crate::engine::fault::Fault;
use crate::engine::store::{Entry, SideStore};
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams, KafkaWindows, Removed};
use crate::time::EventTime;
use crate::trace::Step;
use std::collections::BTreeMap;

/// Kafka's `ConsumerRecord.NO_TIMESTAMP`: the stream time before any record.
const NO_TIMESTAMP: i64 = -1;

/// An outer-store key: `TimestampedKeyAndJoinSide` in its serialized order (timestamp, then
/// the side byte, 0 for right and 1 for left, then the key).
type OuterKey = (i64, u8, Key);

/// Kafka Streams' KStream-KStream join in one task.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KafkaStreamsEngine {
    params: JoinParams,
    /// `JoinWindows.beforeMs`, `afterMs` and `gracePeriodMs`.
    before_ms: i64,
    after_ms: i64,
    grace_ms: i64,
    /// The window stores' retention, `before + after + grace`.
    retention_ms: i64,
    /// The task's stream time (`TimeTracker.streamTime`).
    stream_time: i64,
    /// `TimeTracker.minTime`: where the last outer-store scan stopped, or the least time put
    /// in the outer store since.
    min_time: i64,
    /// Per side: the window store's observed stream time.
    observed: [i64; 2],
    /// Per side: the visible records of the window store (expired oldest first).
    windows: SideStore,
    /// The outer-join store: unmatched records waiting for their window to close.
    outer: BTreeMap<OuterKey, Vec<RecordId>>,
    /// Records whose put into their window store was skipped.
    dropped: u64,
    /// Whether the trace has ended (a stream does not; nothing happens after).
    ended: bool,
    /// Always `Fault::None` outside the mutation benchmark.
    fault: Fault,
}

impl KafkaStreamsEngine {
    /// The engine for `params`, before its first step.
    ///
    /// # Panics
    /// For a join Kafka Streams does not have (right outer, semi), or windows whose retention
    /// does not fit a Java `long`; the model reader rejects both.
    pub fn new(params: JoinParams) -> KafkaStreamsEngine {
        KafkaStreamsEngine::with_fault(params, Fault::None)
    }

    /// The engine with a deliberate defect, for the mutation benchmark.
    pub(crate) fn with_fault(params: JoinParams, fault: Fault) -> KafkaStreamsEngine {
        assert!(
            matches!(params.kind, JoinKind::Inner | JoinKind::LeftOuter | JoinKind::FullOuter),
            "Kafka Streams joins streams inner, left or outer"
        );
        let windows = KafkaWindows::of(&params).expect("the model reader checks the windows");
        KafkaStreamsEngine {
            params,
            before_ms: windows.before_ms,
            after_ms: windows.after_ms,
            grace_ms: windows.grace_ms,
            // Without the short retention: what the window and the grace need, and never
            // less than Kafka's own.
            retention_ms: if params.removed.has(Removed::KAFKA_RETENTION_SHORT) {
                let need = windows.before_ms.max(windows.after_ms).saturating_add(windows.grace_ms);
                windows.retention_ms.max(need)
            } else {
                windows.retention_ms
            },
            stream_time: NO_TIMESTAMP,
            min_time: i64::MAX,
            observed: [NO_TIMESTAMP; 2],
            windows: SideStore::default(),
            outer: BTreeMap::new(),
            dropped: 0,
            ended: false,
            fault,
        }
    }

    /// How many records' puts into their window store were skipped because their segment had
    /// expired: the task's `dropped-records-total`.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Per side, how many records a query of the window store returns (what retention has not
    /// hidden), and how many entries the outer store holds.
    pub fn store_sizes(&self) -> [usize; 3] {
        [
            self.windows[0].len(),
            self.windows[1].len(),
            self.outer.values().map(Vec::len).sum(),
        ]
    }

    /// Whether the processor of `side` pads its unmatched records.
    fn pads(&self, side: Side) -> bool {
        match side {
            Side::Left => matches!(self.params.kind, JoinKind::LeftOuter | JoinKind::FullOuter),
            Side::Right => self.params.kind == JoinKind::FullOuter,
        }
    }

    /// Whether the join has an outer store (left and outer joins, for both processors).
    fn has_outer_store(&self) -> bool {
        self.params.kind != JoinKind::Inner && self.fault != Fault::KafkaEagerNullRows
    }

    /// The earliest time a query of `side`'s window store returns.
    fn first_visible(&self, side: Side) -> i64 {
        let removed = self.params.removed;
        if removed.has(Removed::KAFKA_RETENTION_SHORT.with(Removed::KAFKA_OWN_SIDE_EXPIRY)) {
            // Without both: a record stays while a partner may still come on time, by the
            // task's stream time: `ts + after + grace >= stream time` for a left record.
            let reach = match side {
                Side::Left => self.after_ms,
                Side::Right => self.before_ms,
            };
            return self.stream_time.saturating_sub(reach.saturating_add(self.grace_ms));
        }
        let base = if removed.has(Removed::KAFKA_OWN_SIDE_EXPIRY) {
            self.stream_time
        } else {
            self.observed[side.index()]
        };
        let edge = i64::from(!removed.has(Removed::KAFKA_RETENTION_SHORT));
        base.saturating_sub(self.retention_ms).saturating_add(edge)
    }

    fn process(&mut self, x: Record, out: &mut Vec<Output>) {
        let t = x.ts.as_millis();
        if t < 0 {
            self.dropped += 1;
            return;
        }
        if self.params.removed.has(Removed::KAFKA_LATE_JOINED) && t < self.watermark() {
            // The engine without its design's joining of late records (what KAFKA-16123
            // proposed): one behind the model's watermark is dropped, and said so.
            out.push(Output::Late(x.id));
            return;
        }
        let (s, o) = (x.side, x.side.other());
        let (join_before, join_after) = match s {
            Side::Left => (self.before_ms, self.after_ms),
            Side::Right => (self.after_ms, self.before_ms),
        };
        self.stream_time = self.stream_time.max(t);
        if self.has_outer_store() && t == self.stream_time {
            self.emit_closed(join_after, out);
        }
        // Java long arithmetic, as KStreamKStreamJoin writes it (`Math.max(0L,
        // inputRecordTimestamp + joinAfterMs)`): a record whose window end passes
        // Long.MAX_VALUE wraps to a negative end, fetches nothing, and is padded at once.
        let (from, to) = if self.params.removed.has(Removed::KAFKA_EPOCH_CLAMP) {
            (t.saturating_sub(join_before), t.saturating_add(join_after))
        } else {
            (t.wrapping_sub(join_before).max(0), t.wrapping_add(join_after).max(0))
        };
        let from = from.max(self.first_visible(o));
        let mut matched = false;
        if from <= to {
            let outer_store = self.has_outer_store();
            let (windows, outer) = (&self.windows, &mut self.outer);
            let (from, to) = (EventTime::from_millis(from), EventTime::from_millis(to));
            for &Entry { ts, id, .. } in windows[o.index()].range(x.key, from, to) {
                matched = true;
                if outer_store {
                    outer.remove(&(ts.as_millis(), side_byte(o), x.key));
                }
                out.push(Output::pair(s, x.id, id));
            }
        }
        if self.pads(s) && !matched {
            // KAFKA-19536: the window's end, without the grace (the fix waits for the grace).
            let closes = if self.params.removed.has(Removed::KAFKA_19536) {
                to.saturating_add(self.grace_ms)
            } else {
                to
            };
            if closes < self.stream_time || !self.has_outer_store() {
                out.push(Output::Unmatched(x.id));
            } else {
                debug_assert!(self.has_outer_store(), "a padded side of a join with an outer store");
                self.min_time = self.min_time.min(t);
                self.outer.entry((t, side_byte(s), x.key)).or_default().push(x.id);
            }
        }
        self.put(x);
        if self.params.removed.has(Removed::KAFKA_OWN_SIDE_EXPIRY) {
            // Without stores that expire only by their own side's time: both, by the task's.
            for side in [Side::Left, Side::Right] {
                let first = self.first_visible(side);
                self.windows[side.index()].pop_oldest_while(|_, ts, _| ts.as_millis() < first, |_, _| {});
            }
        }
    }

    /// The model's watermark over what the stores have observed (Kafka's rule: the largest
    /// time seen less the grace, by default), for the engine without late records joined.
    fn watermark(&self) -> i64 {
        let delay = self.params.watermark.delay;
        (0..2)
            .filter(|&i| self.observed[i] != NO_TIMESTAMP)
            .map(|i| self.observed[i].saturating_sub(delay[i].as_millis()))
            .max()
            .unwrap_or(i64::MIN)
    }

    /// `KStreamJoinWindow`: the record goes into its side's window store.
    fn put(&mut self, x: Record) {
        let (t, i) = (x.ts.as_millis(), x.side.index());
        self.observed[i] = self.observed[i].max(t);
        let segment = (self.retention_ms / 2).max(60_000);
        let own_side = !self.params.removed.has(Removed::KAFKA_OWN_SIDE_EXPIRY);
        if own_side && t / segment < self.observed[i].saturating_sub(self.retention_ms) / segment {
            self.dropped += 1;
            return;
        }
        let first = self.first_visible(x.side);
        if t >= first {
            self.windows[i].insert(x.key, x.ts, x.id, false);
        }
        // What a query no longer returns is gone for good: the observed time only grows.
        self.windows[i].pop_oldest_while(|_, ts, _| ts.as_millis() < first, |_, _| {});
    }

    /// `emitNonJoinedOuterRecords`: null-pads the outer-store entries whose window has closed.
    fn emit_closed(&mut self, join_after: i64, out: &mut Vec<Output>) {
        // Without the scan's design (below), the guard asks the shorter look-back of the two.
        let exact = self.params.removed.has(Removed::KAFKA_OUTER_SCAN);
        let join_after = if exact {
            self.after_ms.min(self.before_ms)
        } else {
            join_after
        };
        if self.min_time.wrapping_add(join_after).wrapping_add(self.grace_ms) >= self.stream_time {
            return;
        }
        self.min_time = i64::MAX;
        let mut open = [false; 2];
        let mut closed = Vec::new();
        for (&(ts, side, key), ids) in &self.outer {
            // TimeTracker.minTime: the last entry looked at, so an entry still open after an
            // earlier one that is also open holds the next scan back; without that, the
            // earliest entry still open.
            if !exact || self.min_time == i64::MAX || !(open[0] || open[1]) {
                self.min_time = ts;
            }
            if open[0] && open[1] {
                break;
            }
            let (side, look_back) = if side == side_byte(Side::Left) {
                (Side::Left, self.after_ms)
            } else {
                (Side::Right, self.before_ms)
            };
            if ts.wrapping_add(look_back).wrapping_add(self.grace_ms) >= self.stream_time {
                open[side.index()] = true;
                continue;
            }
            out.extend(ids.iter().map(|&id| Output::Unmatched(id)));
            closed.push((ts, side_byte(side), key));
        }
        for k in closed {
            self.outer.remove(&k);
        }
    }
}

/// The side byte of `TimestampedKeyAndJoinSideSerializer`: 1 for left, 0 for right.
fn side_byte(side: Side) -> u8 {
    u8::from(side == Side::Left)
}

impl crate::engine::Engine for KafkaStreamsEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        // Kafka Streams has no watermarks, batches or end of input; its wall clock (the
        // outer-join emit throttle) is set to emit on every record.
        match *step {
            Step::Record(r) if !self.ended => self.process(r, out),
            Step::End if !self.ended && self.params.removed.has(Removed::KAFKA_NO_END) => {
                // The engine without its design's endless stream: what waits gets its row.
                self.ended = true;
                out.extend(
                    std::mem::take(&mut self.outer)
                        .into_values()
                        .flatten()
                        .map(Output::Unmatched),
                );
                self.windows = SideStore::default();
            }
            Step::End => self.ended = true,
            _ => {}
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        // A record can be in a window store and waiting for its outer row at once: once each.
        let ids = self
            .windows
            .unordered_ids()
            .chain(self.outer.values().flatten().copied());
        let mut ids = crate::engine::store::ascending(ids.collect());
        ids.dedup();
        ids
    }

    fn pending_timers(&self) -> usize {
        0
    }
}
