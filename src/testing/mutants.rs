//! The real-bug benchmark: join bugs that real engines shipped, recreated as mutant engines,
//! and how fast each layer of joincheck catches them (`joincheck bugs`).
//!
//! A mutant is the engine a profile prescribes with one deliberate defect
//! (`crate::engine::fault::Fault`), built with parameters that disagree with the model's, or
//! wrapped to misbehave. It is checked in lockstep with the unmutated engine
//! ([`crate::checker::Paired`]): it is caught when it breaks an invariant in a state where the
//! unmutated engine does not. That matters for profiles that break some invariants by design
//! (Spark never flushes its state at the end of a stream): the mutant must add a violation of
//! its own.

use crate::checker::{check_mutant, new_violation, Counterexample};
use crate::engine::fault::Fault;
use crate::engine::{Engine, IntervalJoinEngine, KafkaStreamsEngine, ProfileEngine, ReferenceEngine, SparkEngine};
use crate::error::InputError;
use crate::event::{Output, RecordId, Side};
use crate::model::{Bound, Bounds, JoinKind, JoinSpec, Policy};
use crate::property::Property;
use crate::run::monitor_run;
use crate::time::{Duration, EventTime};
use crate::trace::Step;
use rand_chacha::rand_core::SeedableRng;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

/// An engine of any profile a mutant is built from, one concrete type for the checker.
// The checker clones a state at every step: the profile engine stays inline rather than
// behind one more allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyEngine {
    /// A profile's engine, possibly built with a fault.
    Profile(ProfileEngine),
    /// Emits every pair twice.
    Duplicate(Box<AnyEngine>),
    /// Never sees the end of input, so never flushes.
    NoFlush(Box<AnyEngine>),
    /// Null-pads every evicted record of a padded side, matched or not.
    PadEvicted {
        inner: Box<AnyEngine>,
        /// The join kind, which says which sides are padded.
        kind: JoinKind,
        sides: BTreeSet<(RecordId, Side)>,
        padded: BTreeSet<RecordId>,
    },
}

impl Engine for AnyEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        match self {
            AnyEngine::Profile(e) => e.step(step, out),
            AnyEngine::Duplicate(e) => {
                let start = out.len();
                e.step(step, out);
                let pairs: Vec<Output> = out[start..]
                    .iter()
                    .filter(|o| matches!(o, Output::Match { .. }))
                    .copied()
                    .collect();
                out.extend(pairs);
            }
            AnyEngine::NoFlush(e) => {
                if *step != Step::End {
                    e.step(step, out);
                }
            }
            AnyEngine::PadEvicted {
                inner,
                kind,
                sides,
                padded,
            } => {
                if let Step::Record(r) = step {
                    sides.insert((r.id, r.side));
                }
                let before = inner.stored();
                let start = out.len();
                inner.step(step, out);
                padded.extend(out[start..].iter().filter_map(|o| match o {
                    Output::Unmatched(id) => Some(*id),
                    _ => None,
                }));
                let after = inner.stored();
                let pads = *kind;
                for id in before.into_iter().filter(|id| after.binary_search(id).is_err()) {
                    let side = sides.iter().find(|(r, _)| *r == id).map(|(_, s)| *s).expect("seen");
                    if pads.pads(side) && padded.insert(id) {
                        out.push(Output::Unmatched(id));
                    }
                }
            }
        }
    }

    crate::engine::forward_views!(AnyEngine::inner_engine);
}

impl AnyEngine {
    fn inner_engine(&self) -> &dyn Engine {
        match self {
            AnyEngine::Profile(e) => e,
            AnyEngine::Duplicate(e) | AnyEngine::NoFlush(e) => e.as_ref(),
            AnyEngine::PadEvicted { inner, .. } => inner.as_ref(),
        }
    }

    /// The unmutated engine of `spec`'s profile.
    fn for_spec(spec: &JoinSpec) -> AnyEngine {
        AnyEngine::Profile(ProfileEngine::new(spec.params))
    }
}

/// One recreated bug.
pub struct Mutant {
    pub name: &'static str,
    /// What it recreates, with its source.
    pub recreates: &'static str,
    /// The bundled model it is checked against.
    pub model: &'static str,
    /// Adjusts the model before checking (a scope or bound where the bug can show).
    adjust: fn(&mut JoinSpec),
    build: fn(&JoinSpec) -> AnyEngine,
}

impl Mutant {
    /// `spec` made ready for this mutant: its adjustment (a bound where the bug can show),
    /// without its defects. The scope's times are left as they are unless they are listed.
    pub fn prepare(&self, spec: &mut JoinSpec) {
        (self.adjust)(spec);
        spec.defects.clear();
    }

    /// The unmutated engine of `spec`'s profile and this mutant of it.
    pub fn engines(&self, spec: &JoinSpec) -> (AnyEngine, AnyEngine) {
        (AnyEngine::for_spec(spec), (self.build)(spec))
    }
}

fn keep(_: &mut JoinSpec) {}

/// Every mutant of the benchmark: the bugs real engines shipped, then classic defects.
pub fn catalogue() -> Vec<Mutant> {
    let mut all = shipped();
    all.extend(classic());
    all
}

/// Bugs that real engines shipped, each with its issue.
fn shipped() -> Vec<Mutant> {
    vec![
        Mutant {
            name: "flink-33524-lateness-off-by-one",
            recreates: "FLINK-33524: the interval join's lateness test off by one (ts <= wm treated as late)",
            model: "flink-interval-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                let mut p = s.params;
                p.watermark.lateness = crate::model::Lateness::NonStrict;
                AnyEngine::Profile(ProfileEngine::FlinkInterval(IntervalJoinEngine::new(p)))
            },
        },
        Mutant {
            name: "spark-49829-same-batch-null-row",
            recreates: "SPARK-49829: rows already evictable are not stored, so a row added and evicted in the same batch loses its outer null row",
            model: "spark-impressions-clicks-left-outer.toml",
            // The bug needs a row that is evictable on arrival yet on time: a window that ends
            // before the row's own time (clicks one to two hours before the impression).
            // In the model's units: its upper bound (1h in the bundled model) is the unit.
            adjust: |s| {
                let unit = i64::try_from(s.params.bounds.highest()).expect("a bounded window");
                s.params.bounds =
                    Bounds::closed(Duration::from_millis(-2 * unit), Duration::from_millis(-unit)).expect("a window");
                let scope = s.scope.as_mut().expect("scope");
                // Times around the seed's hour-long window, where the bug shows; derived
                // times find them on their own.
                if !scope.times.is_derived() {
                    scope.times = crate::model::Times::Listed(
                        ["10m", "1h11m", "2h10m", "2h40m"].iter().map(|t| time(t)).collect(),
                    );
                }
            },
            build: |s| AnyEngine::Profile(ProfileEngine::Spark(SparkEngine::with_fault(s.params, Fault::SparkSkipEvictableRows))),
        },
        Mutant {
            name: "spark-46350-state-predicate",
            recreates: "SPARK-46350: the wrong state-removal predicate for one watermark and a range condition (left state from the lower bound)",
            model: "spark-impressions-clicks.toml",
            adjust: keep,
            build: |s| AnyEngine::Profile(ProfileEngine::Spark(SparkEngine::with_fault(s.params, Fault::SparkLeftStateFromLowerBound))),
        },
        Mutant {
            name: "spark-41411-wrong-watermark",
            recreates: "SPARK-41411: the wrong watermark passed to the join (its late filter gets the one this batch will publish)",
            model: "spark-impressions-clicks.toml",
            adjust: keep,
            build: |s| AnyEngine::Profile(ProfileEngine::Spark(SparkEngine::with_fault(s.params, Fault::SparkLateFilterWithNextWatermark))),
        },
        Mutant {
            name: "spark-26154-match-and-null-row",
            recreates: "SPARK-26154: an outer join emits both a match and a null row for the same record",
            model: "reference-impressions-clicks-left-outer.toml",
            adjust: keep,
            build: |s| AnyEngine::PadEvicted {
                kind: s.params.kind,
                inner: Box::new(AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::new(s.params)))),
                sides: BTreeSet::new(),
                padded: BTreeSet::new(),
            },
        },
        Mutant {
            name: "kafka-10847-eager-null-rows",
            recreates: "KAFKA-10847: a left/outer stream-stream join null-pads an unmatched record at once, then emits its match too (Kafka Streams before 3.1)",
            model: "kafka-streams-clicks-within-5m-left-outer.toml",
            adjust: keep,
            build: |s| {
                AnyEngine::Profile(ProfileEngine::KafkaStreams(KafkaStreamsEngine::with_fault(
                    s.params,
                    Fault::KafkaEagerNullRows,
                )))
            },
        },
        Mutant {
            name: "risingwave-16045-clean-on-arrival",
            recreates: "RisingWave #16045: state cleaned only when a new row arrives for the same key",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::with_fault(s.params, Fault::EvictOnlyOnKeyArrival))),
        },
        Mutant {
            name: "risingwave-9072-idle-input",
            recreates: "RisingWave #9072: one input's watermark never advances, so state is never cleaned",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                let mut p = s.params;
                p.watermark.delay[Side::Right.index()] = Duration::MAX;
                AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::new(p)))
            },
        },
    ]
}

/// Classic defects of watermark joins, each a one-line change to an engine.
fn classic() -> Vec<Mutant> {
    vec![
        Mutant {
            name: "max-watermark-policy",
            recreates: "eviction with the max instead of the min of the input watermarks",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                let mut p = s.params;
                p.watermark.policy = Policy::Max;
                AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::new(p)))
            },
        },
        Mutant {
            name: "upper-bound-exclusive",
            recreates: "the upper bound treated as exclusive when the spec says inclusive (1 ms early)",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                let mut p = s.params;
                let upper = Bound {
                    inclusive: false,
                    ..p.bounds.upper()
                };
                p.bounds = Bounds::new(p.bounds.lower(), upper).expect("still a window");
                AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::new(p)))
            },
        },
        Mutant {
            name: "one-side-never-evicted",
            recreates: "one side's state is never evicted",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                AnyEngine::Profile(ProfileEngine::Reference(ReferenceEngine::with_fault(
                    s.params,
                    Fault::NeverEvict(Side::Right),
                )))
            },
        },
        Mutant {
            name: "cleanup-timer-at-ts",
            recreates: "the interval join's cleanup timer registered at ts instead of ts + upper",
            model: "flink-interval-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                AnyEngine::Profile(ProfileEngine::FlinkInterval(IntervalJoinEngine::with_fault(
                    s.params,
                    Fault::TimerAtTimestamp,
                )))
            },
        },
        Mutant {
            name: "pair-emitted-twice",
            recreates: "a pair emitted again when a record is re-matched",
            model: "reference-impressions-clicks.toml",
            adjust: keep,
            build: |s| {
                AnyEngine::Duplicate(Box::new(AnyEngine::Profile(ProfileEngine::Reference(
                    ReferenceEngine::new(s.params),
                ))))
            },
        },
        Mutant {
            name: "no-flush-at-end",
            recreates: "no flush at end of input",
            model: "reference-impressions-clicks-left-outer.toml",
            adjust: keep,
            build: |s| {
                AnyEngine::NoFlush(Box::new(AnyEngine::Profile(ProfileEngine::Reference(
                    ReferenceEngine::new(s.params),
                ))))
            },
        },
    ]
}

fn time(text: &str) -> EventTime {
    EventTime::from_millis(text.parse::<Duration>().expect("a duration").as_millis())
}

/// How one layer fared against one mutant.
#[derive(Clone, Debug)]
pub struct Detection {
    /// The property that caught it, or `None` if it escaped.
    pub property: Option<Property>,
    pub elapsed: StdDuration,
    /// Counterexample steps (checker) or failing trace steps (random search).
    pub steps: Option<usize>,
}

/// The benchmark's result for one mutant.
pub struct MutantResult {
    pub name: &'static str,
    pub recreates: &'static str,
    pub model: &'static str,
    pub checker: Detection,
    pub counterexample: Option<Counterexample>,
    pub unique_states: usize,
    pub random: Detection,
    /// Random traces tried before the first failure (or in all).
    pub random_traces: usize,
    /// The fuzz target's decoder on seeded random bytes (see `fuzz_traces`).
    pub fuzz: Detection,
    /// Inputs tried before the first failure (or in all).
    pub fuzz_inputs: usize,
}

/// Runs every mutant against the checker and a seeded random search. `models` is the
/// directory of the bundled models; `random_budget` caps the random traces per mutant.
pub fn run(models: &Path, seed: u64, random_budget: usize) -> Result<Vec<MutantResult>, InputError> {
    catalogue()
        .into_iter()
        .map(|m| run_one(&m, models, seed, random_budget))
        .collect()
}

pub fn run_one(m: &Mutant, models: &Path, seed: u64, random_budget: usize) -> Result<MutantResult, InputError> {
    let mut spec = JoinSpec::load(&models.join(m.model))?;
    m.prepare(&mut spec);
    let (base, mutant) = m.engines(&spec);
    let verdict = check_mutant(&spec, base.clone(), mutant.clone())?;
    let checker = Detection {
        property: verdict.caught.as_ref().map(|(p, _)| *p),
        elapsed: verdict.time_to_catch,
        steps: verdict.caught.as_ref().map(|(_, cx)| cx.trace.steps().len()),
    };
    // Seeded random traces drawn from the model's scope (longer than the checker's, with more
    // records), and the fuzz target's decoder on seeded random bytes.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut scope_traces = || crate::sim::random_trace(&spec, &mut rng);
    let (random, random_traces) = search(&spec, &base, &mutant, random_budget, &mut scope_traces);
    let (fuzz, fuzz_inputs) = search(&spec, &base, &mutant, random_budget, &mut fuzz_traces(&spec, seed));
    Ok(MutantResult {
        name: m.name,
        recreates: m.recreates,
        model: m.model,
        checker,
        counterexample: verdict.caught.map(|(_, cx)| cx),
        unique_states: verdict.unique_states,
        random,
        random_traces,
        fuzz,
        fuzz_inputs,
    })
}

/// The fuzz target's generator without a fuzzer: seeded random bytes (64 to 1,024 of them)
/// decoded by `eviction_vs_oracle`'s swarm decoder into traces for the mutant's join, with its
/// extreme times, silenced sides and skewed step mixes. Coverage guidance needs cargo-fuzz on
/// nightly, where the mutants are not built; this is the same input language, unguided.
fn fuzz_traces(spec: &JoinSpec, seed: u64) -> impl FnMut() -> crate::trace::Trace + '_ {
    use rand_chacha::rand_core::Rng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xF022);
    let mut bytes = Vec::new();
    move || {
        let len = 64 + (rng.next_u32() % 961) as usize;
        bytes.resize(len, 0);
        rng.fill_bytes(&mut bytes);
        crate::testing::fuzzing::Case::decode_trace_for(&bytes, &spec.params)
    }
}

/// Runs traces from `next` until the mutant breaks an invariant on a trace where the
/// unmutated engine does not (outputs alone are not compared: several mutants differ from their
/// base in outputs only where an invariant also says so).
fn search(
    spec: &JoinSpec,
    base: &AnyEngine,
    mutant: &AnyEngine,
    budget: usize,
    next: &mut dyn FnMut() -> crate::trace::Trace,
) -> (Detection, usize) {
    let start = Instant::now();
    for n in 1..=budget {
        let trace = next();
        let ours = monitor_run(&spec.params, mutant.clone(), &trace);
        let theirs = monitor_run(&spec.params, base.clone(), &trace);
        if let Some((p, _, _)) = new_violation(&theirs, &ours, |_| false) {
            let found = Detection {
                property: Some(*p),
                elapsed: start.elapsed(),
                steps: Some(trace.steps().len()),
            };
            return (found, n);
        }
    }
    (
        Detection {
            property: None,
            elapsed: start.elapsed(),
            steps: None,
        },
        budget,
    )
}
