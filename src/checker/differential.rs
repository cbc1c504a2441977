//! Differential checking: an engine judged against a baseline engine on the same input, where
//! only what the baseline does not share counts. The rule, stated once: a violation of an
//! invariant counts against the engine under test unless the baseline violates the same
//! invariant at the same point or earlier, and outputs must agree step by step, as multisets.
//!
//! It has two forms. In the exhaustive checker the two engines run in lockstep inside one state
//! ([`Paired`]), and "at the same point" is that state. On single runs (the harness's random
//! phase, `drive`, the bug benchmark's random search) each engine runs the whole trace under its
//! own monitor, and the comparison is by step ([`new_violation`], [`first_output_difference`]).

use super::explore::{Finish, Order};
use super::model::JoinModel;
use super::search::{explore, shortest_counterexample, Counterexample};
use crate::engine::{Engine, ModelEngine};
use crate::error::InputError;
use crate::event::Output;
use crate::model::{JoinParams, JoinSpec};
use crate::property::Property;
use crate::run::Monitor;
use crate::trace::Step;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration as StdDuration, Instant};

/// A mutant engine run in lockstep with the engine it was derived from: the checker sees the
/// mutant, and the baseline's own monitor tells which violations the baseline shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Paired<B, M> {
    /// The engine the mutant was derived from.
    pub base: B,
    /// The engine under test.
    pub mutant: M,
    /// The baseline's monitor, which has watched every step the baseline took.
    pub base_monitor: Monitor,
}

impl<B: Engine, M: Engine> Paired<B, M> {
    /// `mutant` and its baseline `base`, both before their first step.
    pub fn new(params: JoinParams, base: B, mutant: M) -> Paired<B, M> {
        Paired {
            base,
            mutant,
            base_monitor: Monitor::new(params),
        }
    }
}

impl<B, M> Paired<B, M> {
    fn mutant_engine(&self) -> &M {
        &self.mutant
    }
}

impl<B: Engine, M: Engine> Engine for Paired<B, M> {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        let mut base_out = Vec::new();
        self.base.step(step, &mut base_out);
        self.base_monitor.observe_engine(step, &self.base, &base_out);
        self.mutant.step(step, out);
    }

    crate::engine::forward_views!(Self::mutant_engine);
}

/// What checking a mutant found.
#[derive(Clone, Debug)]
pub struct MutantVerdict {
    /// The first invariant found broken where the baseline holds it, with a shortest
    /// counterexample for it; `None` if the mutant escaped the scope.
    pub caught: Option<(Property, Counterexample)>,
    /// Until the first violation was discovered (or the scope was exhausted).
    pub time_to_catch: StdDuration,
    /// Every invariant the search found broken where the baseline holds it. The search
    /// stops at the first, so this is all of them only from [`mutant_violations`].
    pub violated: Vec<Property>,
    /// Distinct states the search visited.
    pub unique_states: usize,
}

/// Checks a mutant against the invariants `spec` holds with `base`, within the spec's scope.
pub fn check_mutant<B, M>(spec: &JoinSpec, base: B, mutant: M) -> Result<MutantVerdict, InputError>
where
    B: ModelEngine,
    M: ModelEngine,
{
    let start = Instant::now();
    // Within the default limits: a mutant that explodes the state space stops at the memory
    // budget like any check (and then counts as escaped within what was explored).
    let (model, violated, unique_states) = explore_mutant(spec, base, mutant, Finish::AnyFailures)?;
    let time_to_catch = start.elapsed();
    let caught = violated.first().map(|&p| (p, shortest_counterexample(&model, p)));
    Ok(MutantVerdict {
        caught,
        time_to_catch,
        unique_states,
        violated,
    })
}

/// Every invariant the mutant breaks within `spec`'s scope where the baseline holds it: the
/// whole scope is explored (no counterexample is built).
pub fn mutant_violations<B, M>(spec: &JoinSpec, base: B, mutant: M) -> Result<Vec<Property>, InputError>
where
    B: ModelEngine,
    M: ModelEngine,
{
    Ok(explore_mutant(spec, base, mutant, Finish::AllFailures)?.1)
}

/// The mutant in lockstep with its base, explored shortest first until `finish`: the model,
/// the invariants found broken (in [`Property::ALL`]'s order) and the unique states.
#[allow(clippy::type_complexity)]
fn explore_mutant<B, M>(
    spec: &JoinSpec,
    base: B,
    mutant: M,
    finish: Finish,
) -> Result<(JoinModel<Paired<B, M>>, Vec<Property>, usize), InputError>
where
    B: ModelEngine,
    M: ModelEngine,
{
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel {
        baseline: Some(|e: &Paired<B, M>| &e.base_monitor),
        ..JoinModel::new(spec.params, scope, Paired::new(spec.params, base, mutant))
    };
    let run = explore(&model, Order::Shortest, 1, finish, 0, &mut |_| {});
    let violated = Property::ALL
        .into_iter()
        .filter(|p| !p.is_witness() && run.discoveries.contains_key(p.name()))
        .collect();
    Ok((model, violated, run.unique_states))
}
