//! Watermarks as the spec defines them: where they come from, how they combine, when a
//! record is late, and the fold over a trace that the oracle and the checker share.

use crate::event::Side;
use crate::time::{Duration, EventTime, Watermark};
use crate::trace::Step;

/// Where watermarks come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatermarkSource {
    /// Each input's watermark is the largest event time seen on it minus its delay, updated
    /// after every record. `watermark` steps in a trace are an error.
    Derived,
    /// Only explicit `watermark` steps move the watermarks.
    Trace,
}

/// How the two inputs' watermarks combine into the join's watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// The join's watermark is the smaller of the two (the slower input decides).
    Min,
    /// The join's watermark is the larger of the two (the faster input decides).
    Max,
    /// No joint watermark: each input's records are judged against that input's own
    /// watermark, and a stored record waits for partners judged against the other input's
    /// (Pathway's `common_behavior` cutoff, per side). For timelines the join's watermark is
    /// shown as the smaller of the two.
    PerSide,
}

impl WatermarkSource {
    /// The name a model file gives (`source = "derived"`).
    pub fn name(self) -> &'static str {
        match self {
            WatermarkSource::Derived => "derived",
            WatermarkSource::Trace => "trace",
        }
    }
}

impl Policy {
    /// The name a model file gives (`policy = "min"`).
    pub fn name(self) -> &'static str {
        match self {
            Policy::Min => "min",
            Policy::Max => "max",
            Policy::PerSide => "per_side",
        }
    }

    /// The join's watermark for inputs at `left` and `right`.
    pub fn combine(self, left: Watermark, right: Watermark) -> Watermark {
        match self {
            Policy::Min | Policy::PerSide => left.min(right),
            Policy::Max => left.max(right),
        }
    }

    /// The watermark a record of `side` is judged against, with the inputs at `inputs` and
    /// the join's at `joint`: the join's, or under [`Policy::PerSide`] its own input's. (A
    /// stored record's future partners are judged against the other side's.)
    pub fn judge(self, inputs: [Watermark; 2], joint: Watermark, side: Side) -> Watermark {
        match self {
            Policy::PerSide => inputs[side.index()],
            _ => joint,
        }
    }
}

/// When a record counts as late against the watermark at its arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lateness {
    /// `ts < wm` (Flink).
    Strict,
    /// `ts <= wm` (Spark).
    NonStrict,
    /// No record is ever late (`lateness = "none"`): every record is joined, whatever the
    /// watermark says, so a stored record can match until end of input (Quix Streams).
    Off,
}

impl Lateness {
    /// Whether a record at `ts` is late against watermark `wm`.
    pub fn is_late(self, ts: EventTime, wm: Watermark) -> bool {
        match self {
            Lateness::Strict => ts < wm.time(),
            Lateness::NonStrict => ts <= wm.time(),
            Lateness::Off => false,
        }
    }

    /// The smallest event time that is still on time at watermark `wm`, exactly.
    pub fn first_on_time(self, wm: Watermark) -> i128 {
        match self {
            Lateness::Off => i128::MIN,
            _ => i128::from(wm.as_millis()) + i128::from(self == Lateness::NonStrict),
        }
    }

    /// The rule as a model file states it: `ts < wm`, `ts <= wm` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Lateness::Strict => "ts < wm",
            Lateness::NonStrict => "ts <= wm",
            Lateness::Off => "none",
        }
    }

    /// The rule as a formula, for messages: `ts < wm`, `ts <= wm`, or `never`.
    pub fn describe(self) -> &'static str {
        match self {
            Lateness::Off => "never",
            _ => self.name(),
        }
    }
}

/// The watermark rules of a join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatermarkSpec {
    /// Where the watermarks come from.
    pub source: WatermarkSource,
    /// Per side, indexed by [`Side::index`]; non-negative.
    pub delay: [Duration; 2],
    /// How the inputs' watermarks combine into the join's.
    pub policy: Policy,
    /// When a record is late.
    pub lateness: Lateness,
    /// Set by the profile, not by the model file.
    pub timing: Timing,
}

/// How derived watermarks are generated and when they move: a property of the engine being
/// modelled, not of the model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timing {
    /// `max ts - delay`, after every record (the reference profile).
    PerRecord,
    /// Flink DataStream `BoundedOutOfOrderness`: `max ts - delay - 1`, after every record.
    BoundedOutOfOrderness,
    /// Flink SQL `WATERMARK FOR ts AS ts - INTERVAL ...`: `max ts - delay`, after every row,
    /// but only once it is above 0 (the generator starts at 0, and a watermark `<= 0` is never
    /// emitted, so the input stays at `MIN` until then).
    SqlPerRow,
    /// At the end of each micro-batch (Spark): a record is judged against the watermark
    /// published when its batch began. The join's watermark starts at 0 and never goes below
    /// it, and an input that has had no data counts as 0 (Spark's `WatermarkTracker`).
    PerBatch,
}

/// The watermarks a join's spec defines, as a fold over the trace: each input's watermark is
/// the largest `ts - delay` of its records (derived watermarks) or of its explicit watermark
/// steps, whichever is ahead; the join's combines them by the policy, after every record or
/// at batch ends as [`Timing`] says. This is the semantics' watermark, used by the oracle and
/// the checker; engines keep their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpecWatermarks {
    input: [Watermark; 2],
    /// Per-batch timing: the largest time per input in the open batch.
    pending: [Option<EventTime>; 2],
    /// Per-batch timing: the published join watermark.
    published: Watermark,
}

impl SpecWatermarks {
    /// The watermarks before the first step: inputs at `MIN`; the join's at `MIN`, or at 0 for
    /// per-batch timing.
    pub fn new(spec: &WatermarkSpec) -> SpecWatermarks {
        SpecWatermarks {
            input: [Watermark::MIN; 2],
            pending: [None; 2],
            published: match spec.timing {
                Timing::PerBatch => Watermark::at(EventTime::from_millis(0)),
                _ => Watermark::MIN,
            },
        }
    }

    /// The spec's watermark of the `side` input now.
    pub fn input(&self, side: Side) -> Watermark {
        self.input[side.index()]
    }

    /// The join's watermark now: what a record arriving now is judged against.
    pub fn join(&self, spec: &WatermarkSpec) -> Watermark {
        match spec.timing {
            Timing::PerBatch => self.published,
            _ => spec.policy.combine(self.input[0], self.input[1]),
        }
    }

    /// The watermark a record of `side` arriving now is judged against ([`Policy::judge`]).
    pub fn judge(&self, spec: &WatermarkSpec, side: Side) -> Watermark {
        spec.policy.judge(self.input, self.join(spec), side)
    }

    /// Takes one step into account (after a record has been judged against [`Self::judge`]).
    pub fn observe(&mut self, spec: &WatermarkSpec, step: &Step) {
        match *step {
            Step::Record(r) if spec.source == WatermarkSource::Derived => match spec.timing {
                Timing::PerRecord | Timing::BoundedOutOfOrderness | Timing::SqlPerRow => {
                    let mut derived = r.ts.saturating_sub(spec.delay[r.side.index()]);
                    if spec.timing == Timing::BoundedOutOfOrderness {
                        derived = derived.saturating_sub(Duration::from_millis(1));
                    }
                    let positive = derived > EventTime::from_millis(0);
                    if spec.timing != Timing::SqlPerRow || positive {
                        let w = &mut self.input[r.side.index()];
                        *w = (*w).max(Watermark::at(derived));
                    }
                }
                Timing::PerBatch => {
                    let p = &mut self.pending[r.side.index()];
                    *p = Some(p.map_or(r.ts, |m| m.max(r.ts)));
                }
            },
            Step::Watermark { side, ts } => {
                for s in Side::selected(side) {
                    self.input[s.index()] = self.input[s.index()].max(ts);
                }
            }
            Step::Batch if spec.timing == Timing::PerBatch => self.close_batch(spec),
            // Records after the last marker form a final batch, which runs; nothing follows.
            Step::End if spec.timing == Timing::PerBatch => self.close_batch(spec),
            Step::End => self.input = [Watermark::MAX; 2],
            _ => {}
        }
    }

    fn close_batch(&mut self, spec: &WatermarkSpec) {
        for side in Side::BOTH {
            if let Some(max) = self.pending[side.index()].take() {
                let derived = Watermark::at(max.saturating_sub(spec.delay[side.index()]));
                let w = &mut self.input[side.index()];
                *w = (*w).max(derived);
            }
        }
        let zero = Watermark::at(EventTime::from_millis(0));
        let candidate = spec.policy.combine(self.input[0].max(zero), self.input[1].max(zero));
        self.published = self.published.max(candidate);
    }
}
