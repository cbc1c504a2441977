//! Watermark generation and the two-input watermark.
//!
//! - `BoundedOutOfOrdernessWatermarks` (DataStream): the watermark after events up to `max` is
//!   `max - delay - 1`; before any event it is `MIN` (the generator starts its maximum at
//!   `MIN + delay + 1`, so its first emission is exactly `MIN`, which the emitter drops).
//! - SQL `WATERMARK FOR ts AS ts - INTERVAL 'd'` (`WatermarkAssignerOperator`): the running
//!   maximum of `ts - d` with no `- 1`, starting at 0 (not `MIN`): a watermark `<= 0` is never
//!   emitted, and the row is forwarded before the watermark it raises.
//! - Two inputs (`IndexedCombinedWatermarkStatus`): each input starts at `MIN`; a new watermark
//!   only raises its input; the combined value is the minimum over the inputs and moves only
//!   when that minimum strictly increases. (Idleness is not modelled: no trace step marks an
//!   input idle.)

use crate::event::Side;
use crate::time::{Duration, EventTime, Watermark};

/// DataStream `BoundedOutOfOrderness(delay)`, emitting after every event (the most eager
/// periodic emission; with the default 200 ms interval Flink emits a subset of these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BoundedOutOfOrderness {
    delay: Duration,
    max: Option<EventTime>,
}

impl BoundedOutOfOrderness {
    /// A generator with `delay`, before any event.
    pub fn new(delay: Duration) -> BoundedOutOfOrderness {
        BoundedOutOfOrderness { delay, max: None }
    }

    /// Takes an event and returns the watermark to emit after it, if it moved.
    pub fn on_event(&mut self, ts: EventTime) -> Option<Watermark> {
        let before = self.current();
        self.max = Some(self.max.map_or(ts, |m| m.max(ts)));
        let now = self.current();
        (now > before).then_some(now)
    }

    /// `max - delay - 1`, or `MIN` before any event.
    pub fn current(&self) -> Watermark {
        match self.max {
            None => Watermark::MIN,
            Some(max) => Watermark::at(max.saturating_sub(self.delay).saturating_sub(Duration::from_millis(1))),
        }
    }
}

/// SQL `WATERMARK FOR ts AS ts - INTERVAL 'delay'` with a watermark after every row that
/// raises it (`pipeline.auto-watermark-interval = 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SqlWatermark {
    delay: Duration,
    /// The running maximum of `ts - delay`, starting at 0.
    running: EventTime,
}

impl SqlWatermark {
    /// A SQL watermark with `delay`, before any row (its running maximum starts at 0).
    pub fn new(delay: Duration) -> SqlWatermark {
        SqlWatermark {
            delay,
            running: EventTime::from_millis(0),
        }
    }

    /// Takes a row (already forwarded) and returns the watermark to emit after it, if any.
    pub fn on_row(&mut self, ts: EventTime) -> Option<Watermark> {
        let candidate = ts.saturating_sub(self.delay);
        if candidate > self.running {
            self.running = candidate;
            Some(Watermark::at(candidate))
        } else {
            None
        }
    }
}

/// The watermark of a two-input operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TwoInputWatermark {
    input: [Watermark; 2],
    combined: Watermark,
}

impl Default for TwoInputWatermark {
    fn default() -> TwoInputWatermark {
        TwoInputWatermark {
            input: [Watermark::MIN; 2],
            combined: Watermark::MIN,
        }
    }
}

impl TwoInputWatermark {
    /// Takes a watermark on one input; returns the new combined watermark if it strictly
    /// increased (that is when timers fire and the watermark is forwarded).
    pub fn on_watermark(&mut self, side: Side, w: Watermark) -> Option<Watermark> {
        let before = self.combined;
        let input = &mut self.input[side.index()];
        *input = (*input).max(w);
        let candidate = self.input[0].min(self.input[1]);
        let advanced = self.combined.advance_if_ahead(candidate).then_some(self.combined);
        // Paired with the input side's max: the combined watermark never goes back, and it is
        // never ahead of either input (a two-input operator forwards the minimum of its
        // inputs', `AbstractStreamOperator.processWatermark1/2`).
        assert!(self.combined >= before, "the combined watermark never goes back");
        assert!(
            self.combined <= self.input[0] && self.combined <= self.input[1],
            "the combined watermark is never ahead of an input"
        );
        advanced
    }

    /// The operator's watermark: the minimum of its inputs', as last advanced.
    pub fn combined(&self) -> Watermark {
        self.combined
    }

    /// The three watermarks, for timelines.
    pub fn view(&self) -> crate::engine::Watermarks {
        crate::engine::Watermarks {
            left: self.input[0],
            right: self.input[1],
            join: self.combined,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> EventTime {
        EventTime::from_millis(ms)
    }

    #[test]
    fn bounded_out_of_orderness_subtracts_one_more() {
        // S12: events 10, 20, 15 with 5 ms of disorder: watermark 14 (= 20 - 5 - 1).
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(5));
        assert_eq!(g.current(), Watermark::MIN);
        assert_eq!(g.on_event(t(10)), Some(Watermark::at(t(4))));
        assert_eq!(g.on_event(t(20)), Some(Watermark::at(t(14))));
        assert_eq!(g.on_event(t(15)), None);
        assert_eq!(g.current(), Watermark::at(t(14)));
    }

    #[test]
    fn sql_watermark_starts_at_zero_without_the_minus_one() {
        let mut g = SqlWatermark::new(Duration::from_millis(600_000));
        assert_eq!(g.on_row(t(600_000)), None, "a watermark <= 0 is never emitted");
        assert_eq!(g.on_row(t(600_001)), Some(Watermark::at(t(1))));
        assert_eq!(g.on_row(t(600_001)), None);
        assert_eq!(g.on_row(t(700_000)), Some(Watermark::at(t(100_000))));
    }

    #[test]
    fn two_inputs_combine_by_min_and_only_move_forward() {
        // S14: W1(5) alone keeps the combined watermark at MIN; W2(3) makes it 3.
        let mut w = TwoInputWatermark::default();
        assert_eq!(w.on_watermark(Side::Left, Watermark::at(t(5))), None);
        assert_eq!(w.combined(), Watermark::MIN);
        assert_eq!(
            w.on_watermark(Side::Right, Watermark::at(t(3))),
            Some(Watermark::at(t(3)))
        );
        assert_eq!(
            w.on_watermark(Side::Right, Watermark::at(t(2))),
            None,
            "regressions are ignored"
        );
        assert_eq!(
            w.on_watermark(Side::Right, Watermark::at(t(9))),
            Some(Watermark::at(t(5)))
        );
    }
}
