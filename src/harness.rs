//! For engine authors: check your own join operator from your own `cargo test`.
//!
//! Implement [`Engine`] for your operator (take a step, push outputs, say what you store),
//! derive `Clone, Debug, Hash, PartialEq, Eq` on it, and call [`check_spec`] with a model: a
//! bundled one by name ([`JoinSpec::bundled`]), one stated in code ([`JoinSpec::builder`]), or
//! a model file ([`check`] takes its path). joincheck then runs
//!
//! 1. the model checker over every interleaving in the model's scope, with every invariant
//!    and witness, expecting the verdicts the model file states; and
//! 2. seeded random traces from the same scope (twice the records, event times drawn around the
//!    join's constants as well as from the scope's list; see `sim::random_trace`), comparing
//!    your engine's outputs step by step with the model's profile and checking the invariants
//!    on each,
//!
//! and returns a [`HarnessFailure`]: the kind of finding (property × shape, as `joincheck
//! drive` names them), the trace shrunk to the fewest steps that still show it, the explanation
//! in words, and a timeline of *your* engine's run on it. [`replay`] runs any trace on your
//! engine from your own test and gives the same verdict and timeline.
//!
//! ```
//! use joincheck::engine::{Engine, ReferenceEngine};
//! use joincheck::event::{Output, RecordId};
//! use joincheck::model::JoinSpec;
//! use joincheck::trace::Step;
//!
//! // A stand-in for your operator: the reference engine, except that it never emits a pair
//! // whose click is exactly one hour after its impression (an off-by-one at the bound).
//! #[derive(Clone, Debug, Hash, PartialEq, Eq)]
//! struct MyJoin(ReferenceEngine);
//!
//! impl Engine for MyJoin {
//!     fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
//!         let start = out.len();
//!         self.0.step(step, out);
//!         if let Step::Record(r) = step {
//!             if r.ts.as_millis() == 3_600_000 {
//!                 out.truncate(start);
//!             }
//!         }
//!     }
//!     fn stored(&self) -> Vec<RecordId> { self.0.stored() }
//!     fn pending_timers(&self) -> usize { self.0.pending_timers() }
//! }
//!
//! let spec = JoinSpec::bundled("reference-impressions-clicks").unwrap();
//! let failure = joincheck::harness::check_spec(&spec, |p| MyJoin(ReferenceEngine::new(p)), 100, 7)
//!     .unwrap_err();
//! let failure = failure.failure().expect("the engine fails a check");
//! assert_eq!(failure.property, Some(joincheck::property::Property::NoLostMatch));
//! let trace = failure.trace.clone().expect("a counterexample");
//! assert!(failure.timeline.is_some(), "the engine's own run on it");
//!
//! // The same trace, replayed on the engine from your own test (say, after a fix):
//! let replayed = joincheck::harness::replay(&spec, MyJoin(ReferenceEngine::new(spec.params)), &trace);
//! let found = replayed.disagreement.expect("still broken");
//! assert_eq!(found.kind.to_string(), "no_lost_match: missing match");
//! println!("{}\n{}", replayed.explanation.unwrap_or_default(), replayed.timeline);
//! ```
//!
//! ## The trait bounds, and engines whose state is not `Hash`
//!
//! [`check_spec`] needs `E: ModelEngine` (`ModelEngine`, a blanket impl): the
//! model checker stores engine states, recognises a state it has seen by hashing and comparing
//! it, clones a state to try each next step, and explores on threads. `Debug` prints a state
//! in reports. Two rules keep the check exact and small:
//!
//! - equal states must behave alike from then on, and hash alike. A `HashMap` or `HashSet` is
//!   not `Hash`: use a `BTreeMap` / `BTreeSet`, or implement `Hash` (and `PartialEq`) by hand
//!   over the entries in sorted order, or keep the state in a `Vec` kept sorted.
//! - leave out of `Eq` and `Hash` what does not change behaviour (counters for metrics,
//!   caches): every distinct value is a distinct state to explore.
//!
//! An engine that cannot be cloned or hashed at all (a handle to a native library, a JVM) can
//! still be checked on traces: run [`replay`] over traces of your own, or speak the JSON-lines
//! protocol and use `joincheck drive` (docs/PROTOCOL.md).

use crate::checker::{check_model, disagreement, Disagreement, Kind, MonitoredRun, Options, Verdict};
use crate::engine::{Engine, ModelEngine};
use crate::error::InputError;
use crate::model::{JoinParams, JoinSpec};
use crate::property::{Expected, Property};
use crate::run::monitor_run;
use crate::trace::Trace;
use rand_chacha::rand_core::SeedableRng;
use std::fmt::{self, Debug};
use std::path::Path;

/// What a passing check covered.
#[derive(Clone, Debug)]
pub struct HarnessReport {
    /// The model's name.
    pub model: String,
    /// The scope the exhaustive phase covered, in words.
    pub scope: String,
    /// States the model checker visited.
    pub unique_states: usize,
    /// Random traces run after it.
    pub random_traces: usize,
    /// Their seed.
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
    Random {
        /// The trace's index in the seeded sequence.
        index: usize,
    },
}

/// A failed check: which property (if a property), on which trace, why, and what the engine
/// did.
#[derive(Clone, Debug)]
pub struct HarnessFailure {
    /// The model's name.
    pub model: String,
    /// The scope the exhaustive phase covered.
    pub scope: String,
    /// Where it was found.
    pub phase: Phase,
    /// The property whose verdict differs from the model's expectation, or that the engine's
    /// run breaks; `None` when its outputs differ from the profile's in a way the join's
    /// semantics allow (a profile difference, such as a row after another step).
    pub property: Option<Property>,
    /// The kind of finding, as `joincheck drive` names it (`no_lost_match: missing match`);
    /// `None` when a witness is missing or an invariant unexpectedly holds.
    pub kind: Option<Kind>,
    /// The verdict found and the one the model expects (exhaustive phase).
    pub verdict: Option<(Expected, Expected)>,
    /// The trace that shows it: the shortest one for a violation found by the checker; the
    /// random trace shrunk to the fewest steps that still show the same kind otherwise. `None`
    /// when a witness is missing or an invariant unexpectedly holds (nothing to show).
    pub trace: Option<Trace>,
    /// Steps of the random trace before shrinking.
    pub found_steps: Option<usize>,
    /// The step after which it shows, when there is one.
    pub step: Option<usize>,
    /// The seed of the random phase.
    pub seed: u64,
    /// The failure in words.
    pub explanation: String,
    /// The engine's own run on `trace`: a timeline (watermarks are the engine's when it
    /// exposes them, the profile's otherwise).
    pub timeline: Option<String>,
}

impl fmt::Display for HarnessFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.map_or(String::new(), |k| format!(" [{k}]"));
        match &self.phase {
            Phase::Exhaustive => write!(f, "{}: {}{kind} (scope: {})", self.model, self.explanation, self.scope)?,
            Phase::Random { index } => write!(
                f,
                "{}: random trace {index} of seed {} fails{kind}: {}",
                self.model, self.seed, self.explanation
            )?,
        }
        if let Some(trace) = &self.trace {
            let what = match (&self.phase, self.found_steps) {
                (Phase::Random { .. }, Some(found)) => {
                    format!("the trace, shrunk from {found} to {} steps", trace.steps().len())
                }
                _ => format!("shortest counterexample ({} steps)", trace.steps().len()),
            };
            write!(f, "\n{what}:\n{}", trace.to_jsonl())?;
            if let Some(timeline) = &self.timeline {
                write!(f, "your engine's run on it:\n{timeline}")?;
            }
            write!(
                f,
                "replay it on your engine from a test: joincheck::harness::replay(&spec, engine, &trace), \
                 with trace = joincheck::trace::Trace::parse(the lines above, \"trace\")"
            )?;
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

/// An engine's run on one trace, judged against the model's profile.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The first way it disagrees with the profile (rows, then invariants), if any.
    pub disagreement: Option<Disagreement>,
    /// That disagreement in words, as `joincheck drive` prints it.
    pub explanation: Option<String>,
    /// Its run as a timeline.
    pub timeline: String,
    /// Its run, as the monitor saw it.
    pub run: MonitoredRun,
}

/// Runs `engine` on `trace` (from its first step; the end is implicit at the end of the trace)
/// and judges it against `spec`'s profile as [`check_spec`]'s random phase and `joincheck drive`
/// do: rows as multisets per step, explained like `joincheck diff`, then the invariants the
/// profile keeps.
pub fn replay<E: Engine>(spec: &JoinSpec, engine: E, trace: &Trace) -> Replayed {
    let run = monitor_run(&spec.params, engine, trace);
    let profile = monitor_run(&spec.params, crate::engine::for_spec(spec), trace);
    let disagreement = disagreement(
        &spec.params,
        trace,
        &profile,
        &run,
        crate::checker::StateChecks::All,
        &[],
    );
    let mut reports = run.reports.clone();
    for (mine, theirs) in reports.iter_mut().zip(&profile.reports) {
        if mine.watermarks.is_none() {
            mine.watermarks = theirs.watermarks;
        }
    }
    let timeline = crate::report::timeline(trace, &reports);
    let explanation = disagreement
        .as_ref()
        .map(|d| crate::report::disagreement_words(&spec.params, trace, &profile, &run, d));
    Replayed {
        disagreement,
        explanation,
        timeline,
        run,
    }
}

/// Checks the engine `build` makes (from the model's parameters) against the model file at
/// `model`: [`check_spec`] on [`JoinSpec::load`].
pub fn check<E, F>(model: impl AsRef<Path>, build: F, random: usize, seed: u64) -> Result<HarnessReport, HarnessError>
where
    E: ModelEngine,
    F: Fn(JoinParams) -> E,
{
    check_spec(&JoinSpec::load(model.as_ref())?, build, random, seed)
}

/// Checks the engine `build` makes (from the model's parameters) against `spec`: exhaustively
/// within its scope, then on `random` seeded random traces (see the module doc).
pub fn check_spec<E, F>(spec: &JoinSpec, build: F, random: usize, seed: u64) -> Result<HarnessReport, HarnessError>
where
    E: ModelEngine,
    F: Fn(JoinParams) -> E,
{
    let scope = spec.checker_scope()?.to_string();
    let failure = |phase, property, explanation| HarnessFailure {
        model: spec.name.clone(),
        scope: scope.clone(),
        phase,
        property,
        kind: None,
        verdict: None,
        trace: None,
        found_steps: None,
        step: None,
        seed,
        explanation,
        timeline: None,
    };
    let report = check_model(spec, build(spec.params), Options::default(), &mut |_| {})?;
    for (p, verdict, expected) in &report.verdicts {
        let found = verdict.as_expected();
        if found != *expected {
            let words = format!("{p} is {}, the model expects {}", found.name(), expected.name());
            let mut f = HarnessFailure {
                verdict: Some((found, *expected)),
                ..failure(Phase::Exhaustive, Some(*p), words)
            };
            if let Verdict::Violated(cx) = verdict {
                f = with_counterexample(spec, &build, *p, cx, f);
            }
            return Err(HarnessError::Failed(Box::new(f)));
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for index in 0..random {
        let trace = crate::sim::random_trace(spec, &mut rng);
        let Some(found) = replay(spec, build(spec.params), &trace).disagreement else {
            continue;
        };
        let found_steps = trace.steps().len();
        let (small, replayed) = shrink_to_kind(spec, &build, trace, found.kind);
        let d = replayed.disagreement.expect("the shrunk trace shows its kind");
        let explanation = replayed.explanation.expect("a disagreement has its words");
        return Err(HarnessError::Failed(Box::new(HarnessFailure {
            kind: Some(d.kind),
            trace: Some(small),
            found_steps: Some(found_steps),
            step: Some(d.step),
            timeline: Some(replayed.timeline),
            ..failure(Phase::Random { index }, d.kind.property, explanation)
        })));
    }
    Ok(HarnessReport {
        model: spec.name.clone(),
        scope,
        unique_states: report.unique_states,
        random_traces: random,
        seed,
    })
}

/// `f`, a verdict on `p` that differs from the model's, with the checker's counterexample
/// `cx`: its trace and step, the engine's run on it, and the finding in words and as a kind
/// when the engine's run shows it.
fn with_counterexample<E, F>(
    spec: &JoinSpec,
    build: &F,
    p: Property,
    cx: &crate::checker::Counterexample,
    f: HarnessFailure,
) -> HarnessFailure
where
    E: ModelEngine,
    F: Fn(JoinParams) -> E,
{
    let mut f = f;
    let replayed = replay(spec, build(spec.params), &cx.trace);
    if let Some((_, _, finding)) = replayed.run.violations.iter().find(|(q, _, _)| *q == p) {
        let analysis = crate::oracle::Analysis::new(spec.params, &cx.trace);
        f.explanation = format!(
            "{}: {}",
            f.explanation,
            crate::report::explain(&analysis, &replayed.run.reports, finding)
        );
        f.kind = Some(Kind {
            property: Some(p),
            shape: crate::checker::Shape::of_finding(finding),
        });
    }
    f.trace = Some(cx.trace.clone());
    f.step = Some(cx.step);
    f.timeline = Some(replayed.timeline);
    f
}

/// `trace` shrunk to the fewest steps that still show a disagreement of `kind`, and the
/// engine's run on it.
fn shrink_to_kind<E, F>(spec: &JoinSpec, build: &F, trace: Trace, kind: Kind) -> (Trace, Replayed)
where
    E: ModelEngine,
    F: Fn(JoinParams) -> E,
{
    // Shrunk like drive's counterexamples: drop steps while the same kind still shows.
    let shows = |candidate: &Trace| {
        let d = replay(spec, build(spec.params), candidate).disagreement;
        Ok::<bool, std::convert::Infallible>(d.is_some_and(|d| d.kind == kind))
    };
    let Ok(small) = trace.shrink(shows);
    let replayed = replay(spec, build(spec.params), &small);
    (small, replayed)
}
