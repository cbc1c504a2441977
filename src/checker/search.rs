//! Exhaustive search: checking a model within its scope, shortest counterexamples, and
//! enumerating every trace of a scope.

use super::model::{Action, CheckState, JoinModel, Options};
use crate::engine::{with_profile_engine, Engine, WithEngine};
use crate::error::InputError;
use crate::model::{Defect, JoinSpec};
use crate::property::{Expected, Finding, Property};
use crate::trace::Trace;
use stateright::{Checker, HasDiscoveries, Model};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration as StdDuration, Instant};

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
) -> Result<ModelReport, InputError>
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel {
        options,
        ..JoinModel::new(spec.params, scope, engine)
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
                scope: d.scope.clone(),
                prefix: d.prefix.clone(),
                ..model.only(d.property)
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
pub fn enumerate_traces(spec: &JoinSpec, visit: &mut dyn FnMut(Trace) -> bool) -> Result<usize, InputError> {
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel::new(spec.params, scope, crate::engine::ReferenceEngine::new(spec.params));
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

        fn call<E>(self, engine: E) -> Self::Output
        where
            E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
        {
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
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    search_counterexample(model.only(p), p).expect("the first run found a violation, so this one does")
}

/// A single-threaded BFS for `p` alone in `model` (which must check only `p`): the shortest
/// violation, if there is one.
pub(super) fn search_counterexample<E>(model: JoinModel<E>, p: Property) -> Option<Counterexample>
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
