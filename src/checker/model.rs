//! The stateright model: the trace alphabet as actions, the engine under test and its monitor
//! as the state, every property of [`crate::property`] as a stateright property.

use super::limits::Limits;
use crate::engine::{Engine, ModelEngine};
use crate::event::{Key, Record, RecordId, Side};
use crate::model::{JoinParams, Scope, TimeDomain, Times, WatermarkSource};
use crate::property::Property;
use crate::run::Monitor;
use crate::time::{EventTime, ProcessingTime, Watermark};
use crate::trace::{Step, Trace};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One move of the checker: the trace alphabet, with scope indices for keys and
/// processing-time readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// A record on `side` with the scope's `key`-th key at time `ts`.
    Deliver {
        /// The input the record arrives on.
        side: Side,
        /// Index into the scope's keys.
        key: u8,
        /// The record's event time.
        ts: EventTime,
    },
    /// The input's watermark moves to `ts`.
    Watermark {
        /// The input whose watermark moves.
        side: Side,
        /// The new watermark.
        ts: EventTime,
    },
    /// A micro-batch closes ([`Step::Batch`]).
    Batch,
    /// The processing-time clock moves to the scope's `value`-th reading.
    ProcessingTime {
        /// Index into the scope's processing-time readings.
        value: u8,
    },
    /// A checkpoint is taken ([`Step::Snapshot`]).
    Snapshot,
    /// End of input ([`Step::End`]); no action follows it.
    End,
}

/// The checker's state: the engine under test and the monitor watching it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckState<E> {
    /// The engine under test, after every step so far.
    pub engine: E,
    /// The monitor that has watched every step and the engine's outputs.
    pub monitor: Monitor,
    /// How many batch markers and snapshots were taken, and the latest processing-time
    /// reading (scope bookkeeping; the engine sees only the steps).
    batches: u8,
    snapshots: u8,
    processing_time: Option<ProcessingTime>,
    /// Explicit watermark steps per input, counted only when the scope bounds them.
    watermark_steps: [u8; 2],
}

/// Checker settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Offer keys only in order of first use (on by default).
    pub symmetry: bool,
    /// Check only this property (used to find a shortest counterexample for it).
    pub only: Option<Property>,
    /// Checker threads for the main run (counterexample searches always use one, which
    /// keeps them shortest first).
    pub threads: usize,
    /// When to stop before the scope is covered (by default, at half the machine's memory).
    pub limits: Limits,
    /// Search again for a shortest counterexample to each violated invariant (on by
    /// default); otherwise report the path the main run found first.
    pub shortest: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            symmetry: true,
            only: None,
            threads: 1,
            limits: Limits::default(),
            shortest: true,
        }
    }
}

/// The stateright model of one join under one engine.
pub struct JoinModel<E> {
    /// The join being checked.
    pub params: JoinParams,
    /// The bounds of the exploration: keys, times, record counts and other steps.
    pub scope: Scope,
    /// Where derived times come from (unused when the scope lists them).
    pub domain: TimeDomain,
    /// The engine's state before the first step (and before the prefix).
    pub init: E,
    /// Checker settings.
    pub options: Options,
    /// Steps taken before the exploration starts (a defect's setup); empty for a model's
    /// own scope. Record counts in the scope come on top of the prefix's.
    pub prefix: Trace,
    /// For a mutant run alongside the engine it was derived from ([`super::Paired`]): the baseline's
    /// monitor. A violation the baseline shares in the same state is not the mutant's.
    pub baseline: Option<fn(&E) -> &Monitor>,
    /// Set to stop the exploration: no state is added after it (see `checker/limits.rs`).
    pub stop: Arc<AtomicBool>,
}

impl<E> JoinModel<E> {
    /// The trace an action sequence stands for: ids `i1, i2, …` on the left and `c1, c2, …`
    /// on the right, as in the seed.
    pub fn trace_of(&self, actions: &[Action]) -> Trace {
        let mut trace = self.prefix.clone();
        let mut count = self.prefix_records();
        for a in actions {
            match *a {
                Action::Deliver { side, key, ts } => {
                    count[side.index()] += 1;
                    let prefix = if side == Side::Left { "i" } else { "c" };
                    let name = format!("{prefix}{}", count[side.index()]);
                    trace.push_record(side, &self.scope.keys[key as usize], ts.as_millis(), &name);
                }
                Action::Watermark { side, ts } => trace.push(Step::Watermark {
                    side: Some(side),
                    ts: Watermark::at(ts),
                }),
                Action::Batch => trace.push(Step::Batch),
                Action::ProcessingTime { value } => {
                    trace.push(Step::ProcessingTime(self.scope.processing_times[value as usize]))
                }
                Action::Snapshot => trace.push(Step::Snapshot),
                Action::End => trace.push(Step::End),
            }
        }
        trace
    }
}

impl<E: Clone> JoinModel<E> {
    /// `init` explored within `scope` from the first step, with the default options.
    pub fn new(params: JoinParams, scope: Scope, init: E) -> JoinModel<E> {
        JoinModel {
            params,
            domain: TimeDomain::new(&params, scope.time_range, scope.origin()),
            scope,
            init,
            options: Options::default(),
            prefix: Trace::new(),
            baseline: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The same model, for a search of its own: a stop flag that no earlier search has set.
    pub fn fresh(&self) -> JoinModel<E> {
        JoinModel {
            params: self.params,
            scope: self.scope.clone(),
            domain: self.domain.clone(),
            init: self.init.clone(),
            options: self.options.clone(),
            prefix: self.prefix.clone(),
            baseline: self.baseline,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The same model checking `p` alone (a single-property search finds a shortest path).
    pub fn only(&self, p: Property) -> JoinModel<E> {
        let mut model = self.fresh();
        model.options.only = Some(p);
        model
    }
}

impl<E: Engine + Clone> JoinModel<E> {
    /// The state after `step`: the engine takes it, the monitor watches.
    fn apply(&self, s: &CheckState<E>, step: Step) -> CheckState<E> {
        let mut next = s.clone();
        match step {
            Step::Batch => next.batches += 1,
            Step::Snapshot => next.snapshots += 1,
            Step::ProcessingTime(t) => next.processing_time = Some(t),
            _ => {}
        }
        let mut outputs = Vec::new();
        next.engine.step(&step, &mut outputs);
        next.monitor.observe_engine(&step, &next.engine, &outputs);
        next
    }
}

impl<E> JoinModel<E> {
    /// How many records of each side the prefix delivers.
    fn prefix_records(&self) -> [usize; 2] {
        let mut count = [0; 2];
        for r in self.prefix.records() {
            count[r.side.index()] += 1;
        }
        count
    }

    /// The times a derived time is placed relative to: every record's, and each input's
    /// explicit watermark.
    fn earlier_times<'s, E2>(&self, s: &'s CheckState<E2>) -> impl Iterator<Item = i64> + 's {
        let explicit = self.params.watermark.source == WatermarkSource::Trace;
        let records = s.monitor.records().iter().map(|r| r.ts.as_millis());
        let watermarks = Side::BOTH
            .into_iter()
            .map(move |side| s.monitor.spec_watermarks().input(side))
            .filter(move |w| explicit && *w != Watermark::MIN && *w != Watermark::MAX)
            .map(|w| w.as_millis());
        records.chain(watermarks)
    }

    /// How many keys a record may take in `s`: under symmetry the keys used so far and the
    /// next new one, otherwise every key of the scope.
    fn key_limit<E2>(&self, s: &CheckState<E2>) -> usize {
        let keys_used = s
            .monitor
            .records()
            .iter()
            .map(|r| r.key.0 as usize + 1)
            .max()
            .unwrap_or(0);
        if self.options.symmetry {
            (keys_used + 1).min(self.scope.keys.len())
        } else {
            self.scope.keys.len()
        }
    }

    /// Adds to `actions` the records `s` can be delivered: on each side with records left in
    /// the scope, each key it may take at each time.
    fn push_deliveries<E2>(&self, s: &CheckState<E2>, actions: &mut Vec<Action>) {
        let key_limit = self.key_limit(s);
        let mut derived = Vec::new();
        let times: &[EventTime] = match &self.scope.times {
            Times::Listed(v) => v,
            Times::Derived => {
                self.domain.candidates(self.earlier_times(s), None, &mut derived);
                &derived
            }
        };
        for side in Side::BOTH {
            let delivered = s.monitor.records().iter().filter(|r| r.side == side).count();
            let allowed = self.prefix_records()[side.index()] + usize::from(self.scope.records[side.index()]);
            if delivered < allowed {
                for key in 0..key_limit {
                    for &ts in times {
                        actions.push(Action::Deliver {
                            side,
                            key: key as u8,
                            ts,
                        });
                    }
                }
            }
        }
    }

    /// Adds to `actions` the explicit watermarks of input `side` that `s` can take: the
    /// scope's values above the input's current one, listed or derived.
    fn push_watermarks<E2>(&self, s: &CheckState<E2>, side: Side, actions: &mut Vec<Action>) {
        let current = s.monitor.spec_watermarks().input(side);
        match &self.scope.watermarks {
            Times::Listed(values) => {
                for &ts in values {
                    if Watermark::at(ts) > current {
                        actions.push(Action::Watermark { side, ts });
                    }
                }
            }
            Times::Derived => {
                let above = (current != Watermark::MIN).then(|| current.as_millis());
                let mut values = Vec::new();
                self.domain.candidates(self.earlier_times(s), above, &mut values);
                for ts in values {
                    actions.push(Action::Watermark { side, ts });
                }
            }
        }
    }

    /// The scope's index of the key named `name` (validated when the model was read).
    fn scope_key(&self, name: &str) -> Key {
        let i = self
            .scope
            .keys
            .iter()
            .position(|k| k == name)
            .expect("prefix keys are in the scope");
        Key(i as u32)
    }
}

impl<E> Model for JoinModel<E>
where
    E: ModelEngine,
{
    type State = CheckState<E>;
    type Action = Action;

    fn init_states(&self) -> Vec<CheckState<E>> {
        let mut state = CheckState {
            engine: self.init.clone(),
            monitor: Monitor::new(self.params),
            batches: 0,
            snapshots: 0,
            processing_time: None,
            watermark_steps: [0, 0],
        };
        for step in self.prefix.steps() {
            // The prefix's keys, by name, become the scope's key indices.
            let step = match *step {
                Step::Record(r) => Step::Record(Record {
                    key: self.scope_key(self.prefix.key_name(r.key)),
                    ..r
                }),
                other => other,
            };
            state = self.apply(&state, step);
        }
        vec![state]
    }

    fn actions(&self, s: &CheckState<E>, actions: &mut Vec<Action>) {
        if s.monitor.ended() {
            return;
        }
        self.push_deliveries(s, actions);
        if self.params.watermark.source == WatermarkSource::Trace {
            for side in Side::BOTH {
                if self
                    .scope
                    .watermark_steps
                    .is_some_and(|n| s.watermark_steps[side.index()] >= n)
                {
                    continue;
                }
                self.push_watermarks(s, side, actions);
            }
        }
        // Batches, processing time and snapshots are offered whenever the scope includes
        // them: profiles that ignore them must be shown to be insensitive to them too.
        if s.batches < self.scope.batches {
            actions.push(Action::Batch);
        }
        for (value, t) in self.scope.processing_times.iter().enumerate() {
            if s.processing_time.is_none_or(|now| *t > now) {
                actions.push(Action::ProcessingTime { value: value as u8 });
            }
        }
        if s.snapshots < self.scope.snapshots {
            actions.push(Action::Snapshot);
        }
        actions.push(Action::End);
    }

    fn next_state(&self, s: &CheckState<E>, action: Action) -> Option<CheckState<E>> {
        let step = match action {
            Action::Deliver { side, key, ts } => Step::Record(Record {
                side,
                key: Key(u32::from(key)),
                ts,
                id: RecordId(s.monitor.records().len() as u32),
            }),
            Action::Watermark { side, ts } => Step::Watermark {
                side: Some(side),
                ts: Watermark::at(ts),
            },
            Action::Batch => Step::Batch,
            Action::ProcessingTime { value } => Step::ProcessingTime(self.scope.processing_times[value as usize]),
            Action::Snapshot => Step::Snapshot,
            Action::End => Step::End,
        };
        // On the way in: the action is one the scope still offers.
        match action {
            Action::Batch => assert!(s.batches < self.scope.batches, "a batch marker beyond the scope"),
            Action::Snapshot => assert!(s.snapshots < self.scope.snapshots, "a snapshot beyond the scope"),
            Action::End => assert!(!s.monitor.ended(), "a second end"),
            _ => {}
        }
        let records_before = s.monitor.records().len();
        let mut next = self.apply(s, step);
        if let Action::Watermark { side, .. } = action {
            if let Some(limit) = self.scope.watermark_steps {
                next.watermark_steps[side.index()] += 1;
                assert!(
                    next.watermark_steps[side.index()] <= limit,
                    "watermark steps beyond the scope"
                );
            }
        }
        // On the way out: a delivery added exactly its record, and nothing else added one.
        let delivered = usize::from(matches!(action, Action::Deliver { .. }));
        assert_eq!(
            next.monitor.records().len(),
            records_before + delivered,
            "one record per delivery"
        );
        Some(next)
    }

    fn within_boundary(&self, _: &CheckState<E>) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        all_properties::<E>()
            .into_iter()
            .filter(|(p, _)| self.options.only.is_none_or(|only| only == *p))
            .map(|(_, prop)| prop)
            .collect()
    }
}

/// Every property as a stateright property. Conditions are plain function pointers (a
/// stateright rule), hence one closure per property.
fn all_properties<E>() -> Vec<(Property, stateright::Property<JoinModel<E>>)>
where
    E: ModelEngine,
{
    use stateright::Property as P;
    type M<E> = JoinModel<E>;
    type S<E> = CheckState<E>;
    macro_rules! always {
        ($p:expr) => {
            (
                $p,
                P::always($p.name(), |m: &M<E>, s: &S<E>| {
                    s.monitor.finding($p).is_none() || m.baseline.is_some_and(|b| b(&s.engine).finding($p).is_some())
                }),
            )
        };
    }
    macro_rules! sometimes {
        ($p:expr) => {
            (
                $p,
                P::sometimes($p.name(), |_: &M<E>, s: &S<E>| s.monitor.witnessed($p)),
            )
        };
    }
    vec![
        always!(Property::NoLostMatch),
        always!(Property::NoSpuriousOutput),
        always!(Property::NoDuplicateOutput),
        always!(Property::OuterExactlyOnce),
        always!(Property::NoPrematureEviction),
        always!(Property::NoStateLeak),
        always!(Property::LatenessAgrees),
        sometimes!(Property::WitnessMatch),
        sometimes!(Property::WitnessLateDrop),
        sometimes!(Property::WitnessEviction),
        sometimes!(Property::WitnessStateTwo),
        sometimes!(Property::WitnessKeyReused),
        sometimes!(Property::WitnessClickFirst),
    ]
}
