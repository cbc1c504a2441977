//! The stateright model: the trace alphabet as actions, the engine under test and its monitor
//! as the state, every property of [`crate::property`] as a stateright property.

use super::limits::Limits;
use crate::engine::Engine;
use crate::event::{Key, Record, RecordId, Side};
use crate::model::{JoinParams, Scope, WatermarkSource};
use crate::property::{Monitor, Property};
use crate::time::ProcessingTime;
use crate::trace::{Step, Trace};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One move of the checker: the trace alphabet, with scope indices instead of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// A record on `side` with the scope's `key`-th key and `time`-th time.
    Deliver {
        side: Side,
        key: u8,
        time: u8,
    },
    /// The input's watermark moves to the scope's `value`-th watermark.
    Watermark {
        side: Side,
        value: u8,
    },
    Batch,
    /// The processing-time clock moves to the scope's `value`-th reading.
    ProcessingTime {
        value: u8,
    },
    Snapshot,
    End,
}

/// The checker's state: the engine under test and the monitor watching it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckState<E> {
    pub engine: E,
    pub monitor: Monitor,
    /// How many batch markers and snapshots were taken, and the latest processing-time
    /// reading (scope bookkeeping; the engine sees only the steps).
    batches: u8,
    snapshots: u8,
    processing_time: Option<ProcessingTime>,
}

/// Checker settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Offer keys only in order of first use (on by default).
    pub symmetry: bool,
    /// Check only this property (used to find a shortest counterexample for it).
    pub only: Option<Property>,
    /// Checker threads for the main run (counterexample searches always use one, which
    /// keeps them breadth-first and so shortest).
    pub threads: usize,
    /// When to stop before the scope is covered (by default, at half the machine's memory).
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            symmetry: true,
            only: None,
            threads: 1,
            limits: Limits::default(),
        }
    }
}

/// The stateright model of one join under one engine.
pub struct JoinModel<E> {
    pub params: JoinParams,
    pub scope: Scope,
    pub init: E,
    pub options: Options,
    /// Steps taken before the exploration starts (a defect's setup); empty for a model's
    /// own scope. Record counts in the scope come on top of the prefix's.
    pub prefix: Trace,
    /// For a mutant run alongside the engine it was derived from ([`super::Paired`]): the baseline's
    /// monitor. A violation the baseline shares in the same state is not the mutant's.
    pub baseline: Option<fn(&E) -> &Monitor>,
    /// Set to stop the exploration: no state is added after it (see [`super::limits`]).
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
                Action::Deliver { side, key, time } => {
                    count[side.index()] += 1;
                    let prefix = if side == Side::Left { "i" } else { "c" };
                    let name = format!("{prefix}{}", count[side.index()]);
                    trace.push_record(
                        side,
                        &self.scope.keys[key as usize],
                        self.scope.times[time as usize].as_millis(),
                        &name,
                    );
                }
                Action::Watermark { side, value } => trace.push(Step::Watermark {
                    side: Some(side),
                    ts: crate::time::Watermark::at(self.scope.watermarks[value as usize]),
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
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
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
        let keys_used = s
            .monitor
            .records()
            .iter()
            .map(|r| r.key.0 as usize + 1)
            .max()
            .unwrap_or(0);
        let key_limit = if self.options.symmetry {
            (keys_used + 1).min(self.scope.keys.len())
        } else {
            self.scope.keys.len()
        };
        for side in Side::BOTH {
            let delivered = s.monitor.records().iter().filter(|r| r.side == side).count();
            let allowed = self.prefix_records()[side.index()] + usize::from(self.scope.records[side.index()]);
            if delivered < allowed {
                for key in 0..key_limit {
                    for time in 0..self.scope.times.len() {
                        actions.push(Action::Deliver {
                            side,
                            key: key as u8,
                            time: time as u8,
                        });
                    }
                }
            }
        }
        if self.params.watermark.source == WatermarkSource::Trace {
            for side in Side::BOTH {
                let current = s.monitor.spec_watermarks().input(side);
                for (value, w) in self.scope.watermarks.iter().enumerate() {
                    if crate::time::Watermark::at(*w) > current {
                        actions.push(Action::Watermark {
                            side,
                            value: value as u8,
                        });
                    }
                }
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
            Action::Deliver { side, key, time } => Step::Record(Record {
                side,
                key: Key(u32::from(key)),
                ts: self.scope.times[time as usize],
                id: RecordId(s.monitor.records().len() as u32),
            }),
            Action::Watermark { side, value } => Step::Watermark {
                side: Some(side),
                ts: crate::time::Watermark::at(self.scope.watermarks[value as usize]),
            },
            Action::Batch => Step::Batch,
            Action::ProcessingTime { value } => Step::ProcessingTime(self.scope.processing_times[value as usize]),
            Action::Snapshot => Step::Snapshot,
            Action::End => Step::End,
        };
        Some(self.apply(s, step))
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
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
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
