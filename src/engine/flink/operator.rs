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

    /// Whether end of input has been processed (set by [`step`]).
    fn ended(&mut self) -> &mut bool;
}

/// One trace step through a Flink operator.
pub fn step(op: &mut impl TwoInputOperator, step: &Step, out: &mut Vec<Output>) {
    if *op.ended() {
        // Nothing happens after end of input; a well-formed trace has no such steps.
        return;
    }
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
            *op.ended() = true;
        }
        // Flink has no micro-batches, and a checkpoint does not change what these operators
        // keep.
        Step::Batch | Step::Snapshot => {}
    }
}
