//! Exhaustive search: checking a model within its scope, shortest counterexamples, and
//! enumerating every trace of a scope.

use super::explore::{Finish, Order};
use super::limits::{self, Stopped};
use super::model::{Action, CheckState, JoinModel, Options};
use crate::engine::{with_profile_engine, ModelEngine, WithEngine};
use crate::error::InputError;
use crate::model::{Defect, JoinSpec};
use crate::property::{Expected, Property};
use crate::run::Finding;
use crate::trace::Trace;
use stateright::Model;
use std::fmt::Debug;
use std::time::{Duration as StdDuration, Instant};

/// A shortest trace that breaks one invariant, with what it shows.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The whole trace, from the first step to the one that breaks the invariant.
    pub trace: Trace,
    /// The step after which the invariant first fails.
    pub step: usize,
    /// What breaks the invariant, as the monitor saw it.
    pub finding: Finding,
    /// Whether no shorter counterexample exists in the scope (a shortest-first search found
    /// it); `false` when a search stopped first and this is the shortest path it had.
    pub shortest: bool,
}

/// The verdict on one property.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// An invariant holds in every state explored.
    Holds,
    /// An invariant is violated; the counterexample shows where.
    Violated(Box<Counterexample>),
    /// A witness was reached.
    Reached,
    /// A witness was not reached in any state explored.
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
    /// Per property, in [`Property::ALL`] order: the verdict found and the one the model expects.
    pub verdicts: Vec<(Property, Verdict, Expected)>,
    /// Per known defect of the model: its shortest counterexample, or `None` if the checker
    /// did not find it (which makes the report not as expected).
    pub defects: Vec<(Defect, Option<Counterexample>)>,
    /// Distinct states the main run visited.
    pub unique_states: usize,
    /// States the main run generated, counting revisits.
    pub states: usize,
    /// The longest path the main run explored, in steps.
    pub max_depth: usize,
    /// Wall time of the main run (counterexample searches not included).
    pub elapsed: StdDuration,
    /// Why the exploration stopped before covering the scope, if it did: then a property
    /// that holds holds only in the part explored, and a missing witness may be reachable.
    pub stopped: Option<Stopped>,
    /// The bound on unique states computed before exploring (`checker/estimate.rs`).
    pub state_bound: u128,
    /// For a model checked in grown scopes (it has no `[scope]`): what they covered.
    pub coverage: Option<super::Coverage>,
    /// The properties whose verdict is the engine's design ([`JoinSpec::design`]): either
    /// outcome is as expected.
    pub by_design: Vec<Property>,
    /// The witnesses the model's `[expect]` says nothing of ([`JoinSpec::states`]): one its
    /// scope never reaches says what the scope leaves untested ([`Property::untested`]), and
    /// is no contradiction.
    pub unstated_witnesses: Vec<Property>,
    /// Violations that follow from the model's own constants, each with the change that
    /// removes it (`checker/configuration.rs`); they fail the check, named, not as MISMATCH.
    pub configuration: Vec<super::Configured>,
    /// Violations a known bug of the engine causes (`checker/causes.rs`): each fails the
    /// check unless the model allows it.
    pub bugs: Vec<super::Bugged>,
    /// The violations the engine's design was checked to cause beside a known bug or the
    /// configuration (`checker/causes.rs`), where it can be run without.
    pub design_shown: Vec<Property>,
}

impl ModelReport {
    /// Whether every verdict is the one the model expects.
    pub fn as_expected(&self) -> bool {
        self.verdicts
            .iter()
            .all(|(p, v, e)| self.verdict_as_expected(*p, v, *e))
            && self.defects.iter().all(|(_, cx)| cx.is_some())
            && self.bugs.iter().all(|b| b.allowed)
    }

    /// Whether the verdict `v` on `p` is what the model expects (`e`), or its engine's design,
    /// or a witness the model states nothing of that this scope does not reach.
    pub fn verdict_as_expected(&self, p: Property, v: &Verdict, e: Expected) -> bool {
        v.as_expected() == e
            || self.by_design.contains(&p)
            || self.bugs.iter().any(|b| b.property == p && b.allowed)
            || (matches!(v, Verdict::Missing) && self.unstated_witnesses.contains(&p))
    }

    /// The witnesses this scope never reached that the model states nothing of: what the
    /// scope leaves untested.
    pub fn untested(&self) -> impl Iterator<Item = Property> + '_ {
        self.verdicts
            .iter()
            .filter(|(p, v, _)| matches!(v, Verdict::Missing) && self.unstated_witnesses.contains(p))
            .map(|(p, _, _)| *p)
    }

    /// The configuration finding that explains the violation of `p`, if one does.
    pub fn configured(&self, p: Property) -> Option<&super::Configured> {
        self.configuration.iter().find(|c| c.property == p)
    }

    /// The known bugs that cause the violation of `p`.
    pub fn bugged(&self, p: Property) -> impl Iterator<Item = &super::Bugged> + '_ {
        self.bugs.iter().filter(move |b| b.property == p)
    }

    /// Whether the whole scope was explored.
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }

    /// Whether a verdict found contradicts the model, whether or not the search completed: a
    /// violation or a witness found where the model expects none. (A violation not found, or
    /// a witness not reached, proves nothing when the search stopped early.)
    pub fn contradicts(&self) -> bool {
        self.contradicted().next().is_some() || self.defect_missing() || self.bugs.iter().any(|b| !b.allowed)
    }

    /// Whether a verdict contradicts the model that no configuration finding explains: a
    /// MISMATCH, which says the model (or the engine) is not what it claims.
    pub fn mismatches(&self) -> bool {
        self.contradicted()
            .any(|p| self.configured(p).is_none() && self.bugged(p).next().is_none())
            || self.defect_missing()
    }

    /// The properties whose verdict contradicts the model: any verdict not as expected once
    /// the whole scope was explored; before that, only a violation or a witness found.
    fn contradicted(&self) -> impl Iterator<Item = Property> + '_ {
        self.verdicts
            .iter()
            .filter(|(p, v, e)| {
                !self.verdict_as_expected(*p, v, *e)
                    && (self.complete() || matches!(v, Verdict::Violated(_) | Verdict::Reached))
            })
            .map(|(p, _, _)| *p)
    }

    /// Whether the whole scope was explored and a known defect was not found in it.
    fn defect_missing(&self) -> bool {
        self.complete() && self.defects.iter().any(|(_, cx)| cx.is_none())
    }
}

/// Progress of a running check, reported about ten times a second.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Distinct states visited so far.
    pub unique_states: usize,
    /// The longest path explored so far, in steps.
    pub max_depth: usize,
    /// Wall time since the search started.
    pub elapsed: StdDuration,
    /// The process's resident memory, where the system says.
    pub memory: Option<u64>,
    /// At most this many unique states (`checker/estimate.rs`); 0 where not computed.
    pub state_bound: u128,
}

/// A search's counts, the path to each property's discovery, and why it stopped early, if
/// it did.
pub(super) struct Explored {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub discoveries: std::collections::HashMap<&'static str, Vec<Action>>,
    pub stopped: Option<Stopped>,
}

/// Runs a search of (a fresh copy of) `model` on `threads` threads until it is done, `finish`
/// says so, or one of the model's limits is reached; reports progress while it runs.
/// `state_bound` is the scope's bound when the caller has computed it (0 otherwise): it sizes
/// the visited set.
pub(super) fn explore<E>(
    model: &JoinModel<E>,
    order: Order,
    threads: usize,
    finish: Finish,
    state_bound: u128,
    progress: &mut dyn FnMut(Progress),
) -> Explored
where
    E: ModelEngine,
{
    let model = model.fresh();
    let limits = &model.options.limits;
    let start = Instant::now();
    let mut stopped = None;
    // The visited set starts at the bound when that is small, and grows from a modest size
    // otherwise (bounds are loose: a table sized to one would waste memory).
    let expected = usize::try_from(state_bound.min(1 << 22)).unwrap_or(1 << 22);
    let run = super::explore::explore(&model, order, threads, finish, expected, &mut |counts| {
        let memory = limits::resident_memory();
        progress(Progress {
            unique_states: counts.unique_states,
            max_depth: counts.max_depth,
            elapsed: start.elapsed(),
            memory,
            state_bound: 0,
        });
        if stopped.is_none() {
            stopped = limits.reached(counts.unique_states, memory);
            if stopped.is_some() {
                model.stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    Explored {
        unique_states: run.counts.unique_states,
        states: run.counts.states,
        max_depth: run.counts.max_depth,
        discoveries: run
            .discoveries
            .into_iter()
            .map(|(name, (root, path))| {
                debug_assert_eq!(root, 0, "a join model has one initial state");
                (name, path)
            })
            .collect(),
        stopped,
    }
}

/// Checks `spec` with `engine` exhaustively within the model's scope, or as far as the
/// options' limits allow.
pub fn check_model<E>(
    spec: &JoinSpec,
    engine: E,
    options: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<ModelReport, InputError>
where
    E: ModelEngine,
{
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel {
        options,
        ..JoinModel::new(spec.params, scope, engine)
    };
    let start = Instant::now();
    let threads = model.options.threads;
    let state_bound = super::estimate::state_bound(
        &model.scope,
        &model.domain,
        spec.params.watermark.source,
        &model.options,
    );
    let progress = &mut |p: Progress| progress(Progress { state_bound, ..p });
    // Said before exploring, however soon the search ends: its scope's bound.
    progress(Progress {
        unique_states: 0,
        max_depth: 0,
        elapsed: StdDuration::ZERO,
        memory: limits::resident_memory(),
        state_bound,
    });
    let mut run = explore(&model, Order::Depth, threads, Finish::All, state_bound, progress);
    let elapsed = start.elapsed();
    let (unique_states, states, max_depth) = (run.unique_states, run.states, run.max_depth);
    let mut stopped = run.stopped;
    // A stopped search (a signal, the time budget) still looks for shorter counterexamples,
    // briefly, with a fresh interrupt: a second signal still ends the process.
    let mut model = model;
    if stopped.is_some() {
        model.options.limits = model.options.limits.after_stop();
    }
    let mut verdicts = Vec::new();
    for p in Property::ALL {
        let found = run.discoveries.remove(p.name());
        let (verdict, also_stopped) = verdict_of(&model, p, found);
        stopped = stopped.or(also_stopped);
        verdicts.push((p, verdict, spec.expected(p)));
    }
    let defects = spec
        .defects
        .iter()
        .map(|d| {
            let (cx, also_stopped) = search_counterexample(defect_model(spec, &model, d), d.property);
            stopped = stopped.or(also_stopped);
            (d.clone(), cx)
        })
        .collect();
    Ok(ModelReport {
        verdicts,
        defects,
        unique_states,
        states,
        max_depth,
        elapsed,
        stopped,
        state_bound,
        coverage: None,
        by_design: Property::ALL
            .into_iter()
            .filter(|&p| spec.design(p).is_some())
            .collect(),
        unstated_witnesses: Property::ALL
            .into_iter()
            .filter(|&p| p.is_witness() && !spec.states(p) && spec.design(p).is_none())
            .collect(),
        configuration: Vec::new(),
        bugs: Vec::new(),
        design_shown: Vec::new(),
    })
}

/// The verdict on `p` from the main search's discovery `found` (a path to a witness or a
/// violation), and why a search for a shortest counterexample stopped early, if one did.
fn verdict_of<E>(model: &JoinModel<E>, p: Property, found: Option<Vec<Action>>) -> (Verdict, Option<Stopped>)
where
    E: ModelEngine,
{
    match (p.is_witness(), found) {
        (true, Some(_)) => (Verdict::Reached, None),
        (true, None) => (Verdict::Missing, None),
        (false, None) => (Verdict::Holds, None),
        (false, Some(path)) if !model.options.shortest => {
            (Verdict::Violated(Box::new(counterexample(model, p, path, false))), None)
        }
        (false, Some(path)) => {
            // The shortest one, from a search for `p` alone; if that search is stopped
            // too, the path the main search found.
            let (shortest, also_stopped) = search_counterexample(model.only(p), p);
            let cx = shortest.unwrap_or_else(|| counterexample(model, p, path, false));
            (Verdict::Violated(Box::new(cx)), also_stopped)
        }
    }
}

/// The model that searches for the known defect `d` of `spec`: `model` checking `d`'s
/// property alone, within `d`'s scope and after its prefix.
fn defect_model<E>(spec: &JoinSpec, model: &JoinModel<E>, d: &Defect) -> JoinModel<E>
where
    E: ModelEngine,
{
    JoinModel {
        domain: crate::model::TimeDomain::new(&spec.params, d.scope.time_range, d.scope.origin()),
        scope: d.scope.clone(),
        prefix: d.prefix.clone(),
        ..model.only(d.property)
    }
}

/// Every complete trace the model's scope allows: each sequence of actions the checker can
/// take that ends with end of input, shortest first (all traces of one step, then of two, and
/// so on), in a deterministic order within each length. `visit` returns `false` to stop
/// early. Stopped early, the traces visited include every trace shorter than the last one.
pub fn enumerate_traces(spec: &JoinSpec, visit: &mut dyn FnMut(Trace) -> bool) -> Result<usize, InputError> {
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel::new(spec.params, scope, crate::engine::ReferenceEngine::new(spec.params));
    let mut count = 0;
    let mut path = Vec::new();
    let init = model.init_states().remove(0);
    /// Visits the traces of exactly `len` actions through `state`: `Err(())` when `visit`
    /// stopped, otherwise whether there was one (if not, there is no longer one either: the
    /// end is offered in every state before it).
    fn walk<E: ModelEngine>(
        model: &JoinModel<E>,
        state: &CheckState<E>,
        len: usize,
        path: &mut Vec<Action>,
        count: &mut usize,
        visit: &mut dyn FnMut(Trace) -> bool,
    ) -> Result<bool, ()> {
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        let ending = path.len() + 1 == len;
        let mut any = false;
        for a in actions.into_iter().filter(|&a| (a == Action::End) == ending) {
            path.push(a);
            let result = if ending {
                *count += 1;
                visit(model.trace_of(path)).then_some(true).ok_or(())
            } else {
                let next = model.next_state(state, a).expect("every offered action applies");
                walk(model, &next, len, path, count, visit)
            };
            path.pop();
            any |= result?;
        }
        Ok(any)
    }
    for len in 1.. {
        match walk(&model, &init, len, &mut path, &mut count, visit) {
            Ok(true) => {}
            Ok(false) | Err(()) => break,
        }
    }
    Ok(count)
}

/// Checks `spec` with the engine its profile prescribes.
pub fn check_spec(
    spec: &JoinSpec,
    options: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<ModelReport, InputError> {
    struct Check<'a> {
        spec: &'a JoinSpec,
        options: Options,
        progress: &'a mut dyn FnMut(Progress),
    }
    impl WithEngine for Check<'_> {
        type Output = Result<ModelReport, InputError>;

        fn call<E: ModelEngine>(self, engine: E) -> Self::Output {
            check_model(self.spec, engine, self.options, self.progress)
        }
    }
    // Each profile's own engine type, not the enum of all: the states stay as small as the
    // engine.
    with_profile_engine(
        spec.params,
        Check {
            spec,
            options,
            progress,
        },
    )
}

/// Re-runs a single-threaded BFS for `p` alone, which finds a shortest path to a violation
/// (with several properties open, a later discovery can replace an earlier one).
pub(super) fn shortest_counterexample<E>(model: &JoinModel<E>, p: Property) -> Counterexample
where
    E: ModelEngine,
{
    let (cx, stopped) = search_counterexample(model.only(p), p);
    cx.unwrap_or_else(|| panic!("the first run found a violation of {p}, so this one does ({stopped:?})"))
}

/// A single-threaded BFS for `p` alone in `model` (which must check only `p`): the shortest
/// violation, if there is one, and why the search stopped early, if it did.
pub(super) fn search_counterexample<E>(model: JoinModel<E>, p: Property) -> (Option<Counterexample>, Option<Stopped>)
where
    E: ModelEngine,
{
    debug_assert_eq!(model.options.only, Some(p));
    let mut run = explore(&model, Order::Shortest, 1, Finish::Any, 0, &mut |_| {});
    let cx = run
        .discoveries
        .remove(p.name())
        .map(|path| counterexample(&model, p, path, true));
    (cx, run.stopped)
}

/// The counterexample a search path shows: its actions lead to the first state that breaks
/// `p`.
fn counterexample<E>(model: &JoinModel<E>, p: Property, actions: Vec<Action>, shortest: bool) -> Counterexample
where
    E: ModelEngine,
{
    let mut last = model.init_states().remove(0);
    for &a in &actions {
        last = model.next_state(&last, a).expect("every action of a path applies");
    }
    let trace = model.trace_of(&actions);
    let finding = last.monitor.finding(p).expect("the path ends where the property fails");
    let step = model.prefix.steps().len() + actions.len() - 1;
    Counterexample {
        trace,
        step,
        finding,
        shortest,
    }
}
