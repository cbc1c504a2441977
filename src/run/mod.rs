//! A run of an engine over a trace, and its judgement: the one home of both.
//!
//! [`run`] steps any [`Engine`] through a [`Trace`] (and the implicit end of input at end of
//! file); it is the one place where an output gets its position (the step after which it
//! appeared and, for micro-batch engines, the trace batch: the markers before the step,
//! DESIGN.md). Each step's [`StepReport`] carries what the step *changed* (the records that
//! entered and left the engine's state and input buffer), never a copy of what is held, so a
//! run of `n` steps holds `O(n + state)`, not `O(n × state)`; [`Held`] rebuilds what was held
//! after each step for those who read a run step by step (timelines, explanations).
//!
//! The properties' executable meaning is the [`Monitor`] (`monitor.rs`): the model checker
//! evaluates it at every state it explores. [`monitor_run`] judges one whole run against the
//! same properties with a judge (`run/judge.rs`), which keeps indexes instead of rescanning
//! everything at every step and reaches the same first violations (its module doc gives the
//! argument; `differential_judge_*` tests hold it to the monitor on every bundled trace and on
//! random ones).
//!
//! A run over a trace read line by line (`oracle --stream`, `diff --stream`, `replay --stats`)
//! takes its steps from [`crate::format`]'s one line feed, which numbers records with the one
//! interner of streamed names; both live there, one level down, because the streaming oracle
//! is among their clients and this module stands on the oracle. Batches are numbered in one
//! place too, [`crate::trace`]'s `Batches`.

mod judge;
mod judgement;
pub mod monitor;

pub(crate) use judgement::new_violation;
pub use judgement::{disagreement, Detail, Disagreement, Kind, Retraction, RowKind, Shape, StateChecks};
pub use monitor::{Finding, Monitor, OuterProblem};

use crate::engine::{contract, Engine, Watermarks};
use crate::event::{Emitted, Output, Position, RecordId, Side};
use crate::model::JoinParams;
use crate::model::JoinSpec;
use crate::property::Property;
use crate::trace::{Batches, Step, Trace};
use std::collections::BTreeSet;

/// What one step did, for timelines and explanations: the outputs, and what changed in what
/// the engine holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// The step taken.
    pub step: Step,
    /// Index in the trace, or `None` for the implicit end of input at EOF.
    pub index: Option<usize>,
    /// What the engine emitted on this step.
    pub outputs: Vec<Output>,
    /// The engine's watermarks after the step, when it exposes them.
    pub watermarks: Option<Watermarks>,
    /// The records that entered the engine's state on this step, ascending.
    pub stored_in: Vec<RecordId>,
    /// The records that left the engine's state on this step, ascending.
    pub stored_out: Vec<RecordId>,
    /// The records that entered the engine's input buffer (received, not processed yet).
    pub buffered_in: Vec<RecordId>,
    /// The records that left the input buffer on this step.
    pub buffered_out: Vec<RecordId>,
    /// How many records the engine's state holds after the step.
    pub stored_len: usize,
    /// How many timers were pending after the step.
    pub timers: usize,
}

/// What an engine held after a step, rebuilt from the [`StepReport`]s before it: per side, the
/// records in join state and those waiting in the input buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    stored: [BTreeSet<RecordId>; 2],
    buffered: [BTreeSet<RecordId>; 2],
}

impl Held {
    /// Nothing held: before the first step.
    pub fn new() -> Held {
        Held::default()
    }

    /// Takes in what `report` changed; `trace` says each record's side.
    pub fn apply(&mut self, report: &StepReport, trace: &Trace) {
        let side = |id: RecordId| trace.record(id).side.index();
        for &id in &report.stored_out {
            assert!(self.stored[side(id)].remove(&id), "a record leaves state it was not in");
        }
        for &id in &report.stored_in {
            assert!(self.stored[side(id)].insert(id), "a record enters state it was in");
        }
        for &id in &report.buffered_out {
            self.buffered[side(id)].remove(&id);
        }
        for &id in &report.buffered_in {
            self.buffered[side(id)].insert(id);
        }
        debug_assert_eq!(self.stored_len(), report.stored_len);
    }

    /// The records of `side` in join state, ascending.
    pub fn stored_on(&self, side: Side) -> impl Iterator<Item = RecordId> + '_ {
        self.stored[side.index()].iter().copied()
    }

    /// The records of `side` received but not processed yet, ascending.
    pub fn buffered_on(&self, side: Side) -> impl Iterator<Item = RecordId> + '_ {
        self.buffered[side.index()].iter().copied()
    }

    /// How many records of `side` are in join state.
    pub fn stored_count(&self, side: Side) -> usize {
        self.stored[side.index()].len()
    }

    /// How many records of `side` wait in the input buffer.
    pub fn buffered_count(&self, side: Side) -> usize {
        self.buffered[side.index()].len()
    }

    /// How many records are in join state.
    pub fn stored_len(&self) -> usize {
        self.stored.iter().map(BTreeSet::len).sum()
    }

    /// Whether `id` is in join state.
    pub fn is_stored(&self, id: RecordId) -> bool {
        self.stored.iter().any(|s| s.contains(&id))
    }

    /// The records in join state, ascending.
    pub fn stored(&self) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = self.stored.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The records in the input buffer, ascending.
    pub fn buffered(&self) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = self.buffered.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids
    }
}

/// What the engine held after each step, for whoever reads a run step by step: calls `each`
/// with every report and what was held after it.
pub fn for_each_held(trace: &Trace, reports: &[StepReport], mut each: impl FnMut(&StepReport, &Held)) {
    let mut held = Held::new();
    for r in reports {
        held.apply(r, trace);
        each(r, &held);
    }
}

/// Whether `id` was in the engine's state after `reports[upto]` (`None`: before the first).
pub(crate) fn stored_after(reports: &[StepReport], upto: Option<usize>, id: RecordId) -> bool {
    let Some(upto) = upto else { return false };
    let mut stored = false;
    for r in &reports[..=upto] {
        if r.stored_out.binary_search(&id).is_ok() {
            stored = false;
        }
        if r.stored_in.binary_search(&id).is_ok() {
            stored = true;
        }
    }
    stored
}

/// What `joincheck oracle` prints and `diff` compares against: the declarative oracle's
/// outputs, or, for a profile that models a real engine's timing (Spark's micro-batches,
/// Flink SQL), that profile's exact prediction, which the conformance fixtures check against
/// the real engine. Predicted rows carry their batch and are sorted by it.
pub fn expected_outputs(spec: &JoinSpec, trace: &Trace) -> Vec<Emitted> {
    if spec.params.profile.predicts_engine() {
        let mut engine = crate::engine::for_spec(spec);
        let emitted = outputs(engine.as_mut(), trace);
        let mut rows: Vec<Emitted> = emitted
            .into_iter()
            .map(|e| Emitted {
                output: e.output,
                at: Position {
                    step: None,
                    batch: e.at.batch,
                },
            })
            .collect();
        rows.sort_by_key(|e| (e.at.batch, e.output));
        rows
    } else {
        crate::oracle::Analysis::new(spec.params, trace)
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Position::default(),
            })
            .collect()
    }
}

/// Runs `engine` over `trace`, then over an implicit `end` when the trace has none (end of
/// file is end of input), and returns every output with the step that emitted it, plus a
/// report per step.
pub fn run(engine: &mut dyn Engine, trace: &Trace) -> (Vec<Emitted>, Vec<StepReport>) {
    let mut reports = Vec::new();
    let mut before = contract::Views {
        stored: Vec::new(),
        buffered: Vec::new(),
        timers: 0,
    };
    let emitted = drive(engine, trace, &mut |engine, step, index, outputs, delivered| {
        let views = contract::expect_views(engine, &step, outputs, delivered);
        let (stored_in, stored_out) = changes(&before.stored, &views.stored);
        let (buffered_in, buffered_out) = changes(&before.buffered, &views.buffered);
        reports.push(StepReport {
            step,
            index,
            outputs: outputs.to_vec(),
            watermarks: engine.watermarks(),
            stored_in,
            stored_out,
            buffered_in,
            buffered_out,
            stored_len: views.stored.len(),
            timers: views.timers,
        });
        before = views;
    });
    (emitted, reports)
}

/// What entered and what left between two strictly ascending lists: `(in, out)`, ascending.
fn changes(before: &[RecordId], after: &[RecordId]) -> (Vec<RecordId>, Vec<RecordId>) {
    if before == after {
        return (Vec::new(), Vec::new());
    }
    let (mut entered, mut left) = (Vec::new(), Vec::new());
    let (mut b, mut a) = (before.iter().peekable(), after.iter().peekable());
    loop {
        match (b.peek(), a.peek()) {
            (Some(x), Some(y)) if x == y => {
                b.next();
                a.next();
            }
            (Some(x), Some(y)) if x < y => left.push(*b.next().expect("peeked")),
            (Some(_), Some(_)) | (None, Some(_)) => entered.push(*a.next().expect("peeked")),
            (Some(_), None) => left.push(*b.next().expect("peeked")),
            (None, None) => break,
        }
    }
    (entered, left)
}

/// The engine's outputs on `trace`, as [`run`] gives them, without a report per step (whose
/// stored-record lists cost time in proportion to the state, at every step).
pub fn outputs(engine: &mut dyn Engine, trace: &Trace) -> Vec<Emitted> {
    drive(engine, trace, &mut |_, _, _, _, _| {})
}

/// What [`drive`] calls after each step: the engine, the step, its index, its outputs, and how
/// many records have been delivered.
type AfterStep<'a> = dyn FnMut(&dyn Engine, Step, Option<usize>, &[Output], usize) + 'a;

/// Steps `engine` through `trace` (and the implicit end), calling `after` after each step with
/// the step, its index and its outputs.
fn drive(engine: &mut dyn Engine, trace: &Trace, after: &mut AfterStep<'_>) -> Vec<Emitted> {
    let implicit_end = (!trace.ends()).then_some((None, Step::End));
    let steps = trace.steps().iter().copied().enumerate().map(|(i, s)| (Some(i), s));
    let mut emitted = Vec::new();
    let mut buf = Vec::new();
    let mut batch = Batches::default();
    let mut delivered = 0;
    for (index, step) in steps.chain(implicit_end) {
        buf.clear();
        delivered += usize::from(matches!(step, Step::Record(_)));
        engine.step(&step, &mut buf);
        let at = Position {
            step: Some(index.unwrap_or(trace.steps().len())),
            batch: engine.micro_batches().then_some(batch.of(&step)),
        };
        emitted.extend(buf.iter().map(|&output| Emitted { output, at }));
        after(engine, step, index, &buf, delivered);
    }
    emitted
}

/// A run of an engine over a trace, judged against the properties.
#[derive(Clone, Debug)]
pub struct MonitoredRun {
    /// Every output of the run, with the step that emitted it.
    pub emitted: Vec<Emitted>,
    /// One report per step, the implicit end included.
    pub reports: Vec<StepReport>,
    /// Per violated invariant: the first step (index into `reports`) that breaks it, and why.
    pub violations: Vec<(Property, usize, Finding)>,
    /// The records in the engine's state after the last step, ascending.
    pub stored_at_end: Vec<RecordId>,
}

/// Runs `engine` over `trace` (with the implicit end at end of file) and evaluates every
/// invariant after each step: the first step at which each is broken, and why, exactly as the
/// [`Monitor`] would say after every step, in time and memory that grow with the trace and the
/// state rather than with their product.
pub fn monitor_run<E: Engine>(params: &JoinParams, mut engine: E, trace: &Trace) -> MonitoredRun {
    let (emitted, reports) = run(&mut engine, trace);
    let (violations, stored_at_end) = judge::Judge::judge(params, trace, &reports);
    MonitoredRun {
        emitted,
        reports,
        violations,
        stored_at_end,
    }
}

/// The first violation of every invariant, evaluated by the [`Monitor`] itself after every
/// step (what the checker does in each state): the definition [`monitor_run`] is held to, in
/// time that grows with the steps times the state.
#[doc(hidden)]
pub fn monitor_violations(
    params: &JoinParams,
    trace: &Trace,
    reports: &[StepReport],
) -> Vec<(Property, usize, Finding)> {
    let mut monitor = Monitor::new(*params);
    let mut violations: Vec<(Property, usize, Finding)> = Vec::new();
    let mut held = Held::new();
    for (i, r) in reports.iter().enumerate() {
        held.apply(r, trace);
        monitor.observe(&r.step, &r.outputs, held.stored(), held.buffered(), r.timers);
        for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
            if violations.iter().any(|(q, _, _)| *q == p) {
                continue;
            }
            if let Some(f) = monitor.finding(p) {
                violations.push((p, i, f));
            }
        }
    }
    violations.sort_by_key(|(p, _, _)| *p);
    violations
}

/// Runs `engine` over `trace` under the monitor and returns the first step at which `p`
/// fails, with its finding. This is also what `joincheck replay` uses, so a written
/// counterexample replays to the same violation.
pub fn first_violation<E: Engine>(
    params: &JoinParams,
    engine: E,
    trace: &Trace,
    p: Property,
) -> Option<(usize, Finding)> {
    monitor_run(params, engine, trace)
        .violations
        .into_iter()
        .find(|(q, _, _)| *q == p)
        .map(|(_, step, f)| (step, f))
}

#[cfg(test)]
mod tests {
    use super::changes;
    use crate::event::RecordId;

    #[test]
    fn changes_between_two_lists_are_what_entered_and_what_left() {
        let ids = |v: &[u32]| v.iter().map(|&i| RecordId(i)).collect::<Vec<_>>();
        let (entered, left) = changes(&ids(&[1, 3, 5, 7]), &ids(&[0, 3, 4, 7, 9]));
        assert_eq!(entered, ids(&[0, 4, 9]));
        assert_eq!(left, ids(&[1, 5]));
        let (entered, left) = changes(&ids(&[2]), &ids(&[2]));
        assert!(entered.is_empty() && left.is_empty());
    }
}
