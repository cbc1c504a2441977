//! For engine authors: check your own join operator from your own `cargo test`.
//!
//! Implement [`Engine`] for your operator (take a step, push outputs, say what you store),
//! derive `Clone, Debug, Hash, PartialEq, Eq` on it, and call [`check`] with a model file.
//! joincheck then runs
//!
//! 1. the model checker over every interleaving in the model's scope, with every invariant
//!    and witness, expecting the verdicts the model file states; and
//! 2. seeded random traces from the same scope (twice the records, event times drawn around the
//!    join's constants as well as from the scope's list; see `sim::random_trace`), comparing your engine's
//!    outputs step by step with the model's profile and checking the invariants on each,
//!
//! and returns a [`HarnessFailure`] that names the property, the trace (the shortest one, from
//! the checker), the seed and the reason in words.
//!
//! ```
//! use joincheck::engine::{Engine, ReferenceEngine};
//! use joincheck::event::{Output, RecordId};
//! use joincheck::trace::Step;
//!
//! // A stand-in for your operator: here it delegates to the reference engine.
//! #[derive(Clone, Debug, Hash, PartialEq, Eq)]
//! struct MyJoin(ReferenceEngine);
//!
//! impl Engine for MyJoin {
//!     fn step(&mut self, step: &Step, out: &mut Vec<Output>) { self.0.step(step, out) }
//!     fn stored(&self) -> Vec<RecordId> { self.0.stored() }
//!     fn pending_timers(&self) -> usize { self.0.pending_timers() }
//! }
//!
//! let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/reference-impressions-clicks.toml");
//! let report = joincheck::harness::check(model, |params| MyJoin(ReferenceEngine::new(params)), 500, 7).unwrap();
//! assert!(report.unique_states > 0 && report.random_traces == 500);
//! ```

use crate::checker::{check_model, first_output_difference, new_violation, Options, Verdict};
use crate::engine::Engine;
use crate::error::InputError;
use crate::model::{JoinParams, JoinSpec};
use crate::property::{monitor_run, Expected, Property};
use crate::trace::Trace;
use rand_chacha::rand_core::SeedableRng;
use std::fmt::{self, Debug};
use std::hash::Hash;
use std::path::Path;

/// What a passing check covered.
#[derive(Clone, Debug)]
pub struct HarnessReport {
    pub model: String,
    pub scope: String,
    pub unique_states: usize,
    pub random_traces: usize,
    pub seed: u64,
}

/// Why [`check`] did not pass.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The model file cannot be used (unreadable, malformed, or without a `[scope]`).
    #[error(transparent)]
    Model(#[from] InputError),
    /// The engine fails a check.
    #[error("{0}")]
    Failed(Box<HarnessFailure>),
}

/// Where in [`check`] a failure was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The exhaustive check within the model's scope.
    Exhaustive,
    /// Random trace number `index` (from 0) of the seeded phase.
    Random { index: usize },
}

/// A failed check: which property (if a property), on which trace, and why.
#[derive(Clone, Debug)]
pub struct HarnessFailure {
    pub model: String,
    /// The scope the exhaustive phase covered.
    pub scope: String,
    pub phase: Phase,
    /// The property whose verdict differs from the model's expectation; `None` when the engine's
    /// outputs differ from the profile's while every property holds.
    pub property: Option<Property>,
    /// The verdict found and the one the model expects (exhaustive phase).
    pub verdict: Option<(Expected, Expected)>,
    /// The trace that shows it: the shortest one for a violation found by the checker, the
    /// random trace otherwise; `None` when a witness is missing or an invariant unexpectedly
    /// holds (nothing to show).
    pub trace: Option<Trace>,
    /// The step after which the property fails, when there is one.
    pub step: Option<usize>,
    /// The seed of the random phase.
    pub seed: u64,
    /// The failure in words.
    pub explanation: String,
}

impl fmt::Display for HarnessFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.phase {
            Phase::Exhaustive => write!(f, "{}: {} (scope: {})", self.model, self.explanation, self.scope)?,
            Phase::Random { index } => write!(
                f,
                "{}: random trace {index} of seed {} fails: {}",
                self.model, self.seed, self.explanation
            )?,
        }
        if let Some(trace) = &self.trace {
            let what = match self.phase {
                Phase::Exhaustive => format!(
                    "shortest counterexample ({} steps; replay with joincheck replay)",
                    trace.steps().len()
                ),
                Phase::Random { .. } => format!("the trace ({} steps)", trace.steps().len()),
            };
            write!(f, "\n{what}:\n{}", trace.to_jsonl())?;
        }
        Ok(())
    }
}

impl HarnessError {
    /// The failure, when the engine failed a check (rather than the model being unusable).
    pub fn failure(&self) -> Option<&HarnessFailure> {
        match self {
            HarnessError::Failed(f) => Some(f),
            HarnessError::Model(_) => None,
        }
    }
}

/// Checks the engine `build` makes (from the model's parameters) against the model file at
/// `model`: exhaustively within its scope, then on `random` seeded random traces.
pub fn check<E, F>(model: impl AsRef<Path>, build: F, random: usize, seed: u64) -> Result<HarnessReport, HarnessError>
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    F: Fn(JoinParams) -> E,
{
    let spec = JoinSpec::load(model.as_ref())?;
    let scope = spec.checker_scope()?.to_string();
    let failure = |phase, property, explanation| HarnessFailure {
        model: spec.name.clone(),
        scope: scope.clone(),
        phase,
        property,
        verdict: None,
        trace: None,
        step: None,
        seed,
        explanation,
    };
    let report = check_model(&spec, build(spec.params), Options::default(), &mut |_| {})?;
    for (p, verdict, expected) in &report.verdicts {
        let found = verdict.as_expected();
        if found != *expected {
            let words = format!("{p} is {}, the model expects {}", found.name(), expected.name());
            let mut f = HarnessFailure {
                verdict: Some((found, *expected)),
                ..failure(Phase::Exhaustive, Some(*p), words)
            };
            if let Verdict::Violated(cx) = verdict {
                f.trace = Some(cx.trace.clone());
                f.step = Some(cx.step);
            }
            return Err(HarnessError::Failed(Box::new(f)));
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for index in 0..random {
        let trace = crate::sim::random_trace(&spec, &mut rng);
        let theirs = monitor_run(&spec.params, build(spec.params), &trace);
        let ours = monitor_run(&spec.params, crate::engine::for_spec(&spec), &trace);
        let violation = new_violation(&ours, &theirs, |_| false);
        if first_output_difference(&ours, &theirs).is_none() && violation.is_none() {
            continue;
        }
        let f = match violation {
            Some((p, step, finding)) => {
                let analysis = crate::oracle::Analysis::new(spec.params, &trace);
                let why = crate::report::explain(&analysis, &theirs.reports, finding);
                HarnessFailure {
                    step: Some(*step),
                    ..failure(
                        Phase::Random { index },
                        Some(*p),
                        format!("{p} is violated after step {step}: {why}"),
                    )
                }
            }
            None => failure(
                Phase::Random { index },
                None,
                format!("its outputs differ from the {} profile's", spec.params.profile.name()),
            ),
        };
        return Err(HarnessError::Failed(Box::new(HarnessFailure {
            trace: Some(trace),
            ..f
        })));
    }
    Ok(HarnessReport {
        model: spec.name,
        scope,
        unique_states: report.unique_states,
        random_traces: random,
        seed,
    })
}
