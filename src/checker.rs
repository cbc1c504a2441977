//! The model checker: every interleaving of records and watermarks inside a bounded scope.
//!
//! [`JoinModel`] is a stateright [`Model`] whose actions are the trace alphabet: deliver a
//! record (any side, key and time of the scope, so out-of-order and late arrivals are all
//! covered), advance an input's watermark (models whose watermarks come from the trace), close
//! a micro-batch, advance the processing-time clock, take a snapshot (each when the scope
//! includes it), end the input. Its state is the engine under test plus a
//! [`Monitor`], which follows the run from the outside: what was delivered, which records the
//! spec calls late, what was emitted, what the engine holds. Every property of
//! [`crate::property`] is a function of the monitor, evaluated at every state; the ones about
//! quiescence look only at states after end of input, when every timer has fired.
//!
//! Keys are interchangeable, so the model offers a new key only in order of first use (key 1
//! before key 2): one representative per relabelling of keys, which is exact for properties
//! that do not name keys (none do). [`Options::symmetry`] turns this off for the differential
//! test.

use crate::engine::{Engine, StepReport};
use crate::event::{Emitted, Key, Output, Record, RecordId, Side};
use crate::model::{Defect, JoinKind, JoinParams, JoinSpec, Scope, SpecWatermarks, WatermarkSource};
use crate::property::{Expected, Property};
use crate::time::{ProcessingTime, Watermark};
use crate::trace::{Step, Trace};
use stateright::{Checker, HasDiscoveries, Model};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration as StdDuration, Instant};

/// Everything the properties look at, gathered step by step from outside the engine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Monitor {
    params: JoinParams,
    /// Delivered records, indexed by [`RecordId`] (ids are given in arrival order).
    records: Vec<Record>,
    /// Per delivered record: late by the spec at its arrival.
    late: Vec<bool>,
    wm: SpecWatermarks,
    /// Every output so far, sorted.
    emitted: Vec<Output>,
    /// What the engine holds after the last step: join state, and input not processed yet.
    stored: Vec<RecordId>,
    buffered: Vec<RecordId>,
    timers: usize,
    ended: bool,
    /// Keys of records that left state before end of input, sorted.
    evicted_keys: Vec<Key>,
    key_reused: bool,
}

/// What breaks a property, precisely enough to explain it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A valid pair (or, for semi joins, a left record with a partner: `right` is `None`)
    /// was never emitted.
    Lost {
        left: RecordId,
        right: Option<RecordId>,
    },
    Spurious(Output),
    Duplicate(Output),
    /// A null row that should not be there (or should, when `missing`).
    Outer {
        id: RecordId,
        problem: OuterProblem,
    },
    /// An admitted record left state while it could still match.
    Premature(RecordId),
    /// More timers pending than records stored: timers that outlive the state they were
    /// registered to clean (each stored record needs at most one).
    OrphanTimers {
        timers: usize,
        stored: usize,
    },
    /// State kept: records that can no longer match (or anything at quiescence), timers.
    Leak {
        stored: Vec<RecordId>,
        timers: usize,
        quiescent: bool,
    },
    /// The engine's `late` rows disagree with the spec for this record.
    Lateness {
        id: RecordId,
        spec_late: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OuterProblem {
    /// This side is not padded in this join kind.
    NotPadded,
    /// The record was late, so it produces nothing.
    NotAdmitted,
    /// The record has a valid match.
    HasMatch,
    /// Emitted while an on-time record could still match it.
    TooEarly,
    /// At quiescence, an unmatched record of a padded side has no null row.
    Missing,
}

impl Monitor {
    pub fn new(params: JoinParams) -> Monitor {
        Monitor {
            params,
            records: Vec::new(),
            late: Vec::new(),
            wm: SpecWatermarks::new(&params.watermark),
            emitted: Vec::new(),
            stored: Vec::new(),
            buffered: Vec::new(),
            timers: 0,
            ended: false,
            evicted_keys: Vec::new(),
            key_reused: false,
        }
    }

    /// Takes in one step and what the engine did with it.
    pub fn observe(
        &mut self,
        step: &Step,
        outputs: &[Output],
        stored: Vec<RecordId>,
        buffered: Vec<RecordId>,
        timers: usize,
    ) {
        if let Step::Record(r) = step {
            assert_eq!(
                r.id.index(),
                self.records.len(),
                "record ids are given in arrival order"
            );
            let join_wm = self.wm.join(&self.params.watermark);
            self.late.push(self.params.watermark.lateness.is_late(r.ts, join_wm));
            self.records.push(*r);
            if self.evicted_keys.binary_search(&r.key).is_ok() {
                self.key_reused = true;
            }
        }
        self.wm.observe(&self.params.watermark, step);
        if *step == Step::End {
            self.ended = true;
        }
        if !self.ended {
            for id in self.stored.iter().filter(|id| stored.binary_search(id).is_err()) {
                let key = self.records[id.index()].key;
                if let Err(at) = self.evicted_keys.binary_search(&key) {
                    self.evicted_keys.insert(at, key);
                }
            }
        }
        self.stored = stored;
        self.buffered = buffered;
        self.timers = timers;
        if !outputs.is_empty() {
            self.emitted.extend_from_slice(outputs);
            self.emitted.sort_unstable();
        }
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    fn admitted(&self, id: RecordId) -> bool {
        !self.late[id.index()]
    }

    fn record(&self, id: RecordId) -> &Record {
        &self.records[id.index()]
    }

    fn emitted(&self, o: &Output) -> bool {
        self.emitted.binary_search(o).is_ok()
    }

    fn valid(&self, l: &Record, r: &Record) -> bool {
        self.admitted(l.id) && self.admitted(r.id) && self.params.matches(l, r)
    }

    fn has_valid_partner(&self, x: &Record) -> bool {
        self.records.iter().filter(|o| o.side != x.side).any(|o| match x.side {
            Side::Left => self.valid(x, o),
            Side::Right => self.valid(o, x),
        })
    }

    fn can_still_match(&self, x: &Record) -> bool {
        self.params
            .can_still_match(x, self.wm.join(&self.params.watermark), self.ended)
    }

    fn sides(&self) -> impl Iterator<Item = (&Record, &Record)> {
        let lefts = self.records.iter().filter(|r| r.side == Side::Left);
        lefts.flat_map(move |l| {
            self.records
                .iter()
                .filter(|r| r.side == Side::Right)
                .map(move |r| (l, r))
        })
    }

    /// The first violation of invariant `p` in this state, if any.
    pub fn finding(&self, p: Property) -> Option<Finding> {
        let semi = self.params.kind == JoinKind::LeftSemi;
        match p {
            Property::NoLostMatch => {
                if !self.ended {
                    return None;
                }
                self.sides().filter(|(l, r)| self.valid(l, r)).find_map(|(l, r)| {
                    let (want, right) = if semi {
                        (Output::Semi { left: l.id }, None)
                    } else {
                        (
                            Output::Match {
                                left: l.id,
                                right: r.id,
                            },
                            Some(r.id),
                        )
                    };
                    (!self.emitted(&want)).then_some(Finding::Lost { left: l.id, right })
                })
            }
            Property::NoSpuriousOutput => self
                .emitted
                .iter()
                .find(|o| match **o {
                    Output::Match { left, right } => {
                        let (l, r) = (self.record(left), self.record(right));
                        semi || l.side != Side::Left || r.side != Side::Right || !self.valid(l, r)
                    }
                    Output::Semi { left } => {
                        let l = self.record(left);
                        !semi || l.side != Side::Left || !self.has_valid_partner(l)
                    }
                    Output::Unmatched(_) | Output::Late(_) => false,
                })
                .map(|o| Finding::Spurious(*o)),
            Property::NoDuplicateOutput => self
                .emitted
                .windows(2)
                .find(|w| w[0] == w[1])
                .map(|w| Finding::Duplicate(w[0])),
            Property::OuterExactlyOnce => {
                for o in &self.emitted {
                    let Output::Unmatched(id) = *o else { continue };
                    let x = self.record(id);
                    let problem = if !self.params.kind.pads(x.side) {
                        OuterProblem::NotPadded
                    } else if !self.admitted(id) {
                        OuterProblem::NotAdmitted
                    } else if self.has_valid_partner(x) {
                        OuterProblem::HasMatch
                    } else if self.can_still_match(x) {
                        OuterProblem::TooEarly
                    } else {
                        continue;
                    };
                    return Some(Finding::Outer { id, problem });
                }
                if !self.ended {
                    return None;
                }
                self.records
                    .iter()
                    .find(|x| {
                        self.params.kind.pads(x.side)
                            && self.admitted(x.id)
                            && !self.has_valid_partner(x)
                            && !self.emitted(&Output::Unmatched(x.id))
                    })
                    .map(|x| Finding::Outer {
                        id: x.id,
                        problem: OuterProblem::Missing,
                    })
            }
            Property::NoPrematureEviction => self
                .records
                .iter()
                .find(|x| {
                    self.admitted(x.id)
                        && self.stored.binary_search(&x.id).is_err()
                        && self.buffered.binary_search(&x.id).is_err()
                        && self.can_still_match(x)
                        && !(semi && x.side == Side::Left && self.emitted(&Output::Semi { left: x.id }))
                })
                .map(|x| Finding::Premature(x.id)),
            Property::NoStateLeak => {
                if self.ended {
                    return (!self.stored.is_empty() || self.timers > 0).then(|| Finding::Leak {
                        stored: self.stored.clone(),
                        timers: self.timers,
                        quiescent: true,
                    });
                }
                // The profile's cleanup slack: a record may outlive its last chance to match
                // by this much event time.
                let slack = self.params.profile.cleanup_slack();
                let earlier = Watermark::at(self.wm.join(&self.params.watermark).time().saturating_sub(slack));
                let dead: Vec<RecordId> = self
                    .stored
                    .iter()
                    .copied()
                    .filter(|id| {
                        !self.admitted(*id) || !self.params.can_still_match(self.record(*id), earlier, self.ended)
                    })
                    .collect();
                if self.timers > self.stored.len() {
                    return Some(Finding::OrphanTimers {
                        timers: self.timers,
                        stored: self.stored.len(),
                    });
                }
                (!dead.is_empty()).then_some(Finding::Leak {
                    stored: dead,
                    timers: self.timers,
                    quiescent: false,
                })
            }
            Property::LatenessAgrees => self
                .records
                .iter()
                // A record waiting in an open micro-batch has not been judged yet.
                .filter(|x| self.buffered.binary_search(&x.id).is_err())
                .find(|x| self.late[x.id.index()] != self.emitted(&Output::Late(x.id)))
                .map(|x| Finding::Lateness {
                    id: x.id,
                    spec_late: self.late[x.id.index()],
                }),
            _ => panic!("{p} is a witness, not an invariant"),
        }
    }

    /// Whether witness `p` is reached in this state.
    pub fn witnessed(&self, p: Property) -> bool {
        match p {
            Property::WitnessMatch => self
                .emitted
                .iter()
                .any(|o| matches!(o, Output::Match { .. } | Output::Semi { .. })),
            Property::WitnessLateDrop => self.emitted.iter().any(|o| matches!(o, Output::Late(_))),
            Property::WitnessEviction => !self.evicted_keys.is_empty(),
            Property::WitnessStateTwo => self.stored.len() >= 2,
            Property::WitnessKeyReused => self.key_reused,
            Property::WitnessClickFirst => self
                .emitted
                .iter()
                .any(|o| matches!(*o, Output::Match { left, right } if right < left)),
            _ => panic!("{p} is an invariant, not a witness"),
        }
    }
}

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            symmetry: true,
            only: None,
            threads: 1,
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
    /// For a mutant run alongside the engine it was derived from ([`Paired`]): the baseline's
    /// monitor. A violation the baseline shares in the same state is not the mutant's.
    pub baseline: Option<fn(&E) -> &Monitor>,
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
        let stored = next.engine.stored();
        let buffered = next.engine.buffered();
        let timers = next.engine.pending_timers();
        next.monitor.observe(&step, &outputs, stored, buffered, timers);
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
        if s.monitor.ended {
            return;
        }
        let keys_used = s
            .monitor
            .records
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
            let delivered = s.monitor.records.iter().filter(|r| r.side == side).count();
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
                let current = s.monitor.wm.input(side);
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
                id: RecordId(s.monitor.records.len() as u32),
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

/// A shortest trace that breaks one invariant, with what it shows.
#[derive(Clone, Debug)]
pub struct Counterexample {
    pub trace: Trace,
    /// The step after which the invariant first fails.
    pub step: usize,
    pub finding: Finding,
}

/// The verdict on one property.
#[derive(Clone, Debug)]
pub enum Verdict {
    Holds,
    Violated(Box<Counterexample>),
    Reached,
    Missing,
}

impl Verdict {
    /// What the model file would write for this verdict.
    pub fn as_expected(&self) -> Expected {
        match self {
            Verdict::Holds => Expected::Holds,
            Verdict::Violated(_) => Expected::Violated,
            Verdict::Reached => Expected::Reached,
            Verdict::Missing => Expected::Missing,
        }
    }
}

/// The outcome of checking one model.
#[derive(Clone, Debug)]
pub struct ModelReport {
    pub verdicts: Vec<(Property, Verdict, Expected)>,
    /// Per known defect of the model: its shortest counterexample, or `None` if the checker
    /// did not find it (which makes the report not as expected).
    pub defects: Vec<(Defect, Option<Counterexample>)>,
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub elapsed: StdDuration,
}

impl ModelReport {
    /// Whether every verdict is the one the model expects.
    pub fn as_expected(&self) -> bool {
        self.verdicts.iter().all(|(_, v, e)| v.as_expected() == *e) && self.defects.iter().all(|(_, cx)| cx.is_some())
    }
}

/// Progress of a running check, reported about ten times a second.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub unique_states: usize,
    pub max_depth: usize,
    pub elapsed: StdDuration,
}

/// Checks `spec` with `engine` exhaustively within the model's scope.
pub fn check_model<E>(
    spec: &JoinSpec,
    engine: E,
    options: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<ModelReport, crate::error::InputError>
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel {
        params: spec.params,
        scope,
        init: engine,
        options,
        prefix: Trace::new(),
        baseline: None,
    };
    let start = Instant::now();
    let threads = model.options.threads.max(1);
    let checker = model.checker().threads(threads).spawn_bfs();
    while !checker.is_done() {
        progress(Progress {
            unique_states: checker.unique_state_count(),
            max_depth: checker.max_depth(),
            elapsed: start.elapsed(),
        });
        std::thread::sleep(StdDuration::from_millis(100));
    }
    let checker = checker.join();
    let elapsed = start.elapsed();
    let (unique_states, states, max_depth) = (checker.unique_state_count(), checker.state_count(), checker.max_depth());
    let discoveries = checker.discoveries();
    let model = checker.model();
    let mut verdicts = Vec::new();
    for p in Property::ALL {
        let found = discoveries.contains_key(p.name());
        let verdict = match (p.is_witness(), found) {
            (true, true) => Verdict::Reached,
            (true, false) => Verdict::Missing,
            (false, false) => Verdict::Holds,
            (false, true) => Verdict::Violated(Box::new(shortest_counterexample(model, p))),
        };
        verdicts.push((p, verdict, spec.expected(p)));
    }
    let defects = spec
        .defects
        .iter()
        .map(|d| {
            let model = JoinModel {
                params: spec.params,
                scope: d.scope.clone(),
                init: model.init.clone(),
                options: Options {
                    only: Some(d.property),
                    ..model.options.clone()
                },
                prefix: d.prefix.clone(),
                baseline: model.baseline,
            };
            (d.clone(), search_counterexample(model, d.property))
        })
        .collect();
    Ok(ModelReport {
        verdicts,
        defects,
        unique_states,
        states,
        max_depth,
        elapsed,
    })
}

/// Every complete trace the model's scope allows: each sequence of actions the checker can
/// take that ends with end of input, in a deterministic order (depth first). `visit` returns
/// `false` to stop early.
pub fn enumerate_traces(
    spec: &JoinSpec,
    visit: &mut dyn FnMut(Trace) -> bool,
) -> Result<usize, crate::error::InputError> {
    let scope = spec.scope.clone().ok_or_else(|| {
        crate::error::InputError::new(&spec.file, "the model has no [scope]: there is nothing to enumerate")
            .field("scope")
    })?;
    let model = JoinModel {
        params: spec.params,
        scope,
        init: crate::engine::ReferenceEngine::new(spec.params),
        options: Options::default(),
        prefix: Trace::new(),
        baseline: None,
    };
    let mut count = 0;
    let mut path = Vec::new();
    let init = model.init_states().remove(0);
    fn walk<E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static>(
        model: &JoinModel<E>,
        state: &CheckState<E>,
        path: &mut Vec<Action>,
        count: &mut usize,
        visit: &mut dyn FnMut(Trace) -> bool,
    ) -> bool {
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        for a in actions {
            path.push(a);
            let go_on = if a == Action::End {
                *count += 1;
                visit(model.trace_of(path))
            } else {
                let next = model.next_state(state, a).expect("every offered action applies");
                walk(model, &next, path, count, visit)
            };
            path.pop();
            if !go_on {
                return false;
            }
        }
        true
    }
    walk(&model, &init, &mut path, &mut count, visit);
    Ok(count)
}

/// A mutant engine run in lockstep with the engine it was derived from: the checker sees the
/// mutant, and the baseline's own monitor tells which violations the baseline shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Paired<B, M> {
    pub base: B,
    pub mutant: M,
    pub base_monitor: Monitor,
}

impl<B: Engine, M: Engine> Paired<B, M> {
    pub fn new(params: JoinParams, base: B, mutant: M) -> Paired<B, M> {
        Paired {
            base,
            mutant,
            base_monitor: Monitor::new(params),
        }
    }
}

impl<B: Engine, M: Engine> Engine for Paired<B, M> {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        let mut base_out = Vec::new();
        self.base.step(step, &mut base_out);
        let (stored, buffered, timers) = (self.base.stored(), self.base.buffered(), self.base.pending_timers());
        self.base_monitor.observe(step, &base_out, stored, buffered, timers);
        self.mutant.step(step, out);
    }

    fn stored(&self) -> Vec<RecordId> {
        self.mutant.stored()
    }

    fn buffered(&self) -> Vec<RecordId> {
        self.mutant.buffered()
    }

    fn pending_timers(&self) -> usize {
        self.mutant.pending_timers()
    }

    fn micro_batches(&self) -> bool {
        self.mutant.micro_batches()
    }

    fn watermarks(&self) -> Option<crate::engine::Watermarks> {
        self.mutant.watermarks()
    }
}

/// What checking a mutant found.
#[derive(Clone, Debug)]
pub struct MutantVerdict {
    /// The first invariant found broken where the baseline holds it, with a shortest
    /// counterexample for it; `None` if the mutant escaped the scope.
    pub caught: Option<(Property, Counterexample)>,
    /// Until the first violation was discovered (or the scope was exhausted).
    pub time_to_catch: StdDuration,
    pub unique_states: usize,
}

/// Checks a mutant against the invariants `spec` holds with `base`, within the spec's scope.
pub fn check_mutant<B, M>(spec: &JoinSpec, base: B, mutant: M) -> Result<MutantVerdict, crate::error::InputError>
where
    B: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    M: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let scope = spec.scope.clone().ok_or_else(|| {
        crate::error::InputError::new(&spec.file, "the model has no [scope]: the checker needs one").field("scope")
    })?;
    let model = JoinModel {
        params: spec.params,
        scope,
        init: Paired::new(spec.params, base, mutant),
        options: Options::default(),
        prefix: Trace::new(),
        baseline: Some(|e: &Paired<B, M>| &e.base_monitor),
    };
    let start = Instant::now();
    let checker = model
        .checker()
        .threads(1)
        .finish_when(HasDiscoveries::AnyFailures)
        .spawn_bfs()
        .join();
    let time_to_catch = start.elapsed();
    let unique_states = checker.unique_state_count();
    let found = Property::ALL
        .into_iter()
        .find(|p| !p.is_witness() && checker.discovery(p.name()).is_some());
    let model = checker.model();
    let caught = found.map(|p| {
        let single = JoinModel {
            params: model.params,
            scope: model.scope.clone(),
            init: model.init.clone(),
            options: Options {
                only: Some(p),
                ..Options::default()
            },
            prefix: Trace::new(),
            baseline: model.baseline,
        };
        (
            p,
            search_counterexample(single, p).expect("the first run found a violation, so this one does"),
        )
    });
    Ok(MutantVerdict {
        caught,
        time_to_catch,
        unique_states,
    })
}

/// Checks `spec` with the engine its profile prescribes.
pub fn check_spec(
    spec: &JoinSpec,
    options: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<ModelReport, crate::error::InputError> {
    check_model(spec, crate::engine::ProfileEngine::new(spec.params), options, progress)
}

/// Re-runs a single-threaded BFS for `p` alone, which finds a shortest path to a violation
/// (with several properties open, a later discovery can replace an earlier one).
fn shortest_counterexample<E>(model: &JoinModel<E>, p: Property) -> Counterexample
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let single = JoinModel {
        params: model.params,
        scope: model.scope.clone(),
        init: model.init.clone(),
        options: Options {
            only: Some(p),
            ..model.options.clone()
        },
        prefix: model.prefix.clone(),
        baseline: model.baseline,
    };
    search_counterexample(single, p).expect("the first run found a violation, so this one does")
}

/// A single-threaded BFS for `p` alone in `model` (which must check only `p`): the shortest
/// violation, if there is one.
fn search_counterexample<E>(model: JoinModel<E>, p: Property) -> Option<Counterexample>
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    debug_assert_eq!(model.options.only, Some(p));
    let checker = model
        .checker()
        .threads(1)
        .finish_when(HasDiscoveries::Any)
        .spawn_bfs()
        .join();
    let path = checker.discovery(p.name())?;
    let model = checker.model();
    let states = path.into_vec();
    let actions: Vec<Action> = states.iter().filter_map(|(_, a)| *a).collect();
    let trace = model.trace_of(&actions);
    // The path ends in the first state that breaks `p`.
    let last = &states.last().expect("a path has a state").0;
    let finding = last.monitor.finding(p).expect("the path ends where the property fails");
    let step = model.prefix.steps().len() + actions.len() - 1;
    Some(Counterexample { trace, step, finding })
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

/// A run of an engine over a trace, watched by the monitor.
pub struct MonitoredRun {
    pub emitted: Vec<Emitted>,
    pub reports: Vec<StepReport>,
    /// Per violated invariant: the first step (index into `reports`) that breaks it, and why.
    pub violations: Vec<(Property, usize, Finding)>,
}

/// Runs `engine` over `trace` (with the implicit end at end of file) and evaluates every
/// invariant after each step.
pub fn monitor_run<E: Engine>(params: &JoinParams, mut engine: E, trace: &Trace) -> MonitoredRun {
    let (emitted, reports) = crate::engine::run(&mut engine, trace);
    let mut monitor = Monitor::new(*params);
    let mut violations: Vec<(Property, usize, Finding)> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        monitor.observe(&r.step, &r.outputs, r.stored.clone(), r.buffered.clone(), r.timers);
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
    MonitoredRun {
        emitted,
        reports,
        violations,
    }
}
