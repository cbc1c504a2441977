//! For engine authors: check your own join operator from your own `cargo test`.
//!
//! Implement [`Engine`] for your operator (take a step, push outputs, say what you store),
//! derive `Clone, Debug, Hash, PartialEq, Eq` on it, and call [`check`] with a model file.
//! joincheck then runs
//!
//! 1. the model checker over every interleaving in the model's scope, with every invariant
//!    and witness, expecting the verdicts the model file states; and
//! 2. seeded random traces from the same scope (twice the records), comparing your engine's
//!    outputs step by step with the model's profile and checking the invariants on each,
//!
//! and returns an error that names the property, the shortest trace and the seed.
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
use crate::model::{JoinParams, JoinSpec};
use crate::property::monitor_run;
use rand_chacha::rand_core::SeedableRng;
use std::fmt::Debug;
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

/// Checks the engine `build` makes (from the model's parameters) against the model file at
/// `model`: exhaustively within its scope, then on `random` seeded random traces.
pub fn check<E, F>(model: impl AsRef<Path>, build: F, random: usize, seed: u64) -> Result<HarnessReport, String>
where
    E: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    F: Fn(JoinParams) -> E,
{
    let spec = JoinSpec::load(model.as_ref()).map_err(|e| e.to_string())?;
    let scope = spec
        .scope
        .as_ref()
        .ok_or_else(|| format!("{}: the model has no [scope]", spec.file))?
        .to_string();
    let report = check_model(&spec, build(spec.params), Options::default(), &mut |_| {}).map_err(|e| e.to_string())?;
    for (p, verdict, expected) in &report.verdicts {
        if verdict.as_expected() != *expected {
            let detail = match verdict {
                Verdict::Violated(cx) => format!(
                    "\nshortest counterexample ({} steps; replay with joincheck replay):\n{}",
                    cx.trace.steps().len(),
                    cx.trace.to_jsonl()
                ),
                _ => String::new(),
            };
            return Err(format!(
                "{}: {p} is {}, the model expects {} (scope: {scope}){detail}",
                spec.name,
                verdict.as_expected().name(),
                expected.name()
            ));
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for n in 0..random {
        let trace = crate::sim::random_trace(&spec, &mut rng);
        let theirs = monitor_run(&spec.params, build(spec.params), &trace);
        let ours = monitor_run(&spec.params, crate::engine::for_spec(&spec), &trace);
        let new_violation = new_violation(&ours, &theirs, |_| false);
        if first_output_difference(&ours, &theirs).is_some() || new_violation.is_some() {
            let why = match new_violation {
                Some((p, s, f)) => format!("{p} is violated after step {s}: {f:?}"),
                None => format!("its outputs differ from the {} profile's", spec.params.profile.name()),
            };
            return Err(format!(
                "{}: random trace {n} of seed {seed} fails: {why}\n{}",
                spec.name,
                trace.to_jsonl()
            ));
        }
    }
    Ok(HarnessReport {
        model: spec.name,
        scope,
        unique_states: report.unique_states,
        random_traces: random,
        seed,
    })
}
