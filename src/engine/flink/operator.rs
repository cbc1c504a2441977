//! What every Flink operator here shares with Flink's two-input stream operators
//! (`AbstractStreamOperator`, `TwoInputStreamOperator`): elements are processed in arrival
//! order, each input has its own watermark (the operator acts on their minimum, kept by
//! [`super::watermark::TwoInputWatermark`]), and end of input is the final `MAX` watermark on
//! both inputs, which fires every pending event-time timer.

use crate::event::{Output, Record, Side};
use crate::time::{ProcessingTime, Watermark};
use crate::trace::Step;

/// A Flink two-input operator, as the trace drives it.
pub trait TwoInputOperator {
    /// `processElement1` / `processElement2`, plus what the operator's own watermark
    /// generator makes of the element, if it has one.
    fn process_element(&mut self, r: Record, out: &mut Vec<Output>);

    /// A watermark arrives on `side` (from upstream, or the final `MAX`): fire what is due.
    fn process_watermark(&mut self, side: Side, w: Watermark, out: &mut Vec<Output>);

    /// The processing-time clock moves; only operators with processing-time state care.
    fn processing_time(&mut self, _now: ProcessingTime) {}
}

/// One trace step through a Flink operator; `true` when it ended the input.
pub fn step(op: &mut impl TwoInputOperator, step: &Step, out: &mut Vec<Output>) -> bool {
    match *step {
        Step::Record(r) => op.process_element(r, out),
        Step::Watermark { side, ts } => {
            for s in Side::selected(side) {
                op.process_watermark(s, ts, out);
            }
        }
        Step::ProcessingTime(now) => op.processing_time(now),
        Step::End => {
            for s in Side::BOTH {
                op.process_watermark(s, Watermark::MAX, out);
            }
            return true;
        }
        // Flink has no micro-batches, and a checkpoint does not change what these operators
        // keep.
        Step::Batch | Step::Snapshot => {}
    }
    false
}

/// The [`crate::engine::Engine`] of a Flink operator whose fields `ended`, `timers`
/// ([`super::timers::TimerService`]) and `watermark` ([`super::watermark::TwoInputWatermark`])
/// say what it has done and holds: steps go through [`step`], and its stored records are the
/// ids in the [`crate::engine::store::SideStore`] named by `store`, or what `stored` gives.
macro_rules! flink_engine {
    ($engine:ty, store: $store:ident) => {
        $crate::engine::flink::operator::flink_engine!($engine, stored: |e: &$engine| e.$store.ids(), len: |e: &$engine| e.$store.len());
    };
    ($engine:ty, stored: $stored:expr, len: $len:expr) => {
        impl $crate::engine::Engine for $engine {
            fn step(&mut self, step: &$crate::trace::Step, out: &mut Vec<$crate::event::Output>) {
                // Nothing happens after end of input; a well-formed trace has no such steps.
                if !self.ended {
                    self.ended = $crate::engine::flink::operator::step(self, step, out);
                }
            }

            fn stored(&self) -> Vec<$crate::event::RecordId> {
                ($stored)(self)
            }

            fn stored_len(&self) -> usize {
                ($len)(self)
            }

            fn pending_timers(&self) -> usize {
                self.timers.len()
            }

            fn watermarks(&self) -> Option<$crate::engine::Watermarks> {
                Some(self.watermark.view())
            }
        }
    };
}

pub(crate) use flink_engine;
