//! `oracle_*`: the reference engine against the from-scratch oracle, on seeded random
//! traces of every join kind, bound shape, lateness rule and watermark source, with times
//! that include the `i64` extremes; and the canary, which the same check must catch.
//!
//! Seeds: every run uses one `u64` seed (`JOINCHECK_SEED`, default below), printed when a
//! case fails; `JOINCHECK_SEED=<n> cargo test --release --test tests oracle_` replays it.

use joincheck::checker::monitor_run;
use joincheck::engine::{CanaryEngine, Engine, ReferenceEngine};
use joincheck::event::Side;
use joincheck::model::{
    Bound, Bounds, EndOfInput, JoinKind, JoinParams, Knobs, Lateness, Policy, Profile, WatermarkSource, WatermarkSpec,
};
use joincheck::oracle::Analysis;
use joincheck::time::{Duration, EventTime, ProcessingTime, Watermark};
use joincheck::trace::{Step, Trace};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

const DEFAULT_SEED: u64 = 0x6a6f_696e_6368_6b01;

/// The run's seed: `JOINCHECK_SEED` or the default.
pub fn seed() -> u64 {
    match std::env::var("JOINCHECK_SEED") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("JOINCHECK_SEED={s:?} is not a u64")),
        Err(_) => DEFAULT_SEED,
    }
}

/// A proptest runner whose whole random stream comes from `seed` (ChaCha, so it survives
/// dependency upgrades).
pub fn runner(seed: u64, cases: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_add(i as u64).to_le_bytes());
    }
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Small times around the window's edges, and now and then an extreme of `i64`.
fn arb_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => -2i64..14,
        1 => prop::sample::select(vec![i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX]),
    ]
}

fn arb_bound() -> impl Strategy<Value = Bound> {
    (
        prop_oneof![6 => -3i64..6, 1 => prop::sample::select(vec![i64::MIN, i64::MAX])],
        any::<bool>(),
    )
        .prop_map(|(at, inclusive)| Bound {
            at: Duration::from_millis(at),
            inclusive,
        })
}

pub fn arb_params(profile: Profile) -> impl Strategy<Value = JoinParams> {
    (
        prop::sample::select(vec![
            JoinKind::Inner,
            JoinKind::LeftOuter,
            JoinKind::RightOuter,
            JoinKind::FullOuter,
            JoinKind::LeftSemi,
        ]),
        (arb_bound(), arb_bound()).prop_filter_map("empty window", |(lo, hi)| Bounds::new(lo, hi)),
        prop::sample::select(vec![WatermarkSource::Derived, WatermarkSource::Trace]),
        (0i64..4, 0i64..4),
        // The reference engine's profiles also take per-side watermarks, no lateness, and a
        // stream that does not end (the knobs that keep the outputs the oracle's).
        prop::sample::select(if profile.tunable() {
            vec![Policy::Min, Policy::Max, Policy::PerSide]
        } else {
            vec![Policy::Min, Policy::Max]
        }),
        prop::sample::select(if profile.tunable() {
            vec![Lateness::Strict, Lateness::NonStrict, Lateness::Off]
        } else {
            vec![Lateness::Strict, Lateness::NonStrict]
        }),
        prop::sample::select(if profile.tunable() {
            vec![EndOfInput::Flush, EndOfInput::Nothing]
        } else {
            vec![EndOfInput::Flush]
        }),
    )
        .prop_map(
            move |(kind, bounds, source, (dl, dr), policy, lateness, end_of_input)| JoinParams {
                profile,
                kind,
                bounds,
                watermark: WatermarkSpec {
                    source,
                    delay: [Duration::from_millis(dl), Duration::from_millis(dr)],
                    policy,
                    lateness,
                    timing: profile.timing(),
                },
                horizon: None,
                grace: None,
                knobs: Knobs {
                    end_of_input,
                    ..profile.default_knobs()
                },
                removed: joincheck::model::Removed::NONE,
            },
        )
}

#[derive(Clone, Debug)]
enum Op {
    Record(Side, u8, i64),
    Watermark(Option<Side>, i64),
    Batch,
    ProcessingTime(i64),
    Snapshot,
}

fn arb_side() -> impl Strategy<Value = Side> {
    prop::sample::select(vec![Side::Left, Side::Right])
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (arb_side(), 0u8..3, arb_time()).prop_map(|(s, k, t)| Op::Record(s, k, t)),
        3 => (prop::option::of(arb_side()), arb_time()).prop_map(|(s, t)| Op::Watermark(s, t)),
        1 => Just(Op::Batch),
        1 => (0i64..100).prop_map(Op::ProcessingTime),
        1 => Just(Op::Snapshot),
    ]
}

/// A trace of up to 14 steps; explicit watermarks only where the model reads them from the
/// trace (elsewhere they are a bad input), monotone per input as the format requires.
pub fn arb_trace(source: WatermarkSource) -> impl Strategy<Value = Trace> {
    (prop::collection::vec(arb_op(), 0..14), any::<bool>()).prop_map(move |(ops, explicit_end)| {
        let mut t = Trace::new();
        let mut count = [0; 2];
        let mut wm = [i64::MIN; 2];
        let mut proc = 0;
        for op in ops {
            match op {
                Op::Record(side, key, ts) => {
                    count[side.index()] += 1;
                    let id = format!("{}{}", if side == Side::Left { "i" } else { "c" }, count[side.index()]);
                    t.push_record(side, ["a", "b", "c"][key as usize], ts, &id);
                }
                Op::Watermark(side, ts) if source == WatermarkSource::Trace => {
                    let sides: Vec<Side> = side.map_or(Side::BOTH.to_vec(), |s| vec![s]);
                    let ts = sides.iter().fold(ts, |acc, s| acc.max(wm[s.index()]));
                    for s in &sides {
                        wm[s.index()] = ts;
                    }
                    t.push(Step::Watermark {
                        side,
                        ts: Watermark::at(EventTime::from_millis(ts)),
                    });
                }
                Op::Watermark(..) => {}
                Op::Batch => t.push(Step::Batch),
                Op::ProcessingTime(d) => {
                    proc += d;
                    t.push(Step::ProcessingTime(ProcessingTime::from_millis(proc)));
                }
                Op::Snapshot => t.push(Step::Snapshot),
            }
        }
        if explicit_end {
            t.push(Step::End);
        }
        t
    })
}

fn arb_case(profile: Profile) -> impl Strategy<Value = (JoinParams, Trace)> {
    arb_params(profile).prop_flat_map(|p| (Just(p), arb_trace(p.watermark.source)))
}

/// The check every engine must pass on every trace: its outputs are the oracle's (as a
/// multiset), every invariant holds at every step, and nothing is left after end of input.
pub fn agrees_with_oracle<E: Engine>(params: &JoinParams, engine: E, trace: &Trace) -> Result<(), TestCaseError> {
    let run = monitor_run(params, engine, trace);
    let analysis = Analysis::new(*params, trace);
    let diff = analysis.diff(&run.emitted);
    prop_assert!(
        diff.agrees(),
        "outputs differ from the oracle: {diff:?}\ntrace:\n{}",
        trace.to_jsonl()
    );
    prop_assert!(
        run.violations.is_empty(),
        "violated: {:?}\ntrace:\n{}",
        run.violations,
        trace.to_jsonl()
    );
    let last = run.reports.last().expect("a run ends with end of input");
    prop_assert!(
        !params.flushes_at_end() || (run.stored_at_end.is_empty() && last.timers == 0),
        "state left after end: {:?}",
        run.stored_at_end
    );
    Ok(())
}

fn run_seeded<F>(cases: u32, profile: Profile, f: F) -> Result<(), String>
where
    F: Fn(&JoinParams, &Trace) -> Result<(), TestCaseError>,
{
    let seed = seed();
    runner(seed, cases)
        .run(&arb_case(profile), |(params, trace)| f(&params, &trace))
        .map_err(|e| format!("seed {seed} (replay: JOINCHECK_SEED={seed}): {e}"))
}

#[test]
fn oracle_reference_engine_agrees_on_random_traces() {
    let result = run_seeded(2_000, Profile::Reference, |p, t| {
        agrees_with_oracle(p, ReferenceEngine::new(*p), t)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn oracle_catches_the_canary() {
    // The canary drops pairs exactly on the upper bound; the same check must reject it.
    let result = run_seeded(2_000, Profile::Canary, |p, t| {
        agrees_with_oracle(p, CanaryEngine::new(*p), t)
    });
    let message = result.expect_err("the oracle check passed the canary engine: the harness is blind");
    assert!(message.contains("seed"), "a failure names its seed: {message}");
}

#[test]
fn oracle_replay_from_a_seed_is_identical() {
    // The same seed draws the same cases, so a printed seed reproduces a failure exactly.
    let draw = |seed| {
        let mut r = runner(seed, 1);
        let strategy = arb_case(Profile::Reference);
        (0..20)
            .map(|_| {
                let (p, t) = strategy.new_tree(&mut r).expect("a case").current();
                format!("{p:?}\n{}", t.to_jsonl())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
}

#[test]
fn oracle_spark_profile_agrees_except_at_end_of_stream() {
    // Spark has no end of input, so rows still in state when the stream stops are neither
    // evicted nor padded (the expected violations of the spark models). Everything else must
    // agree with the oracle: every row Spark emits is expected, and every invariant holds.
    use joincheck::checker::{Finding, OuterProblem};
    use joincheck::property::Property;
    let seed = seed();
    let cases = std::sync::atomic::AtomicUsize::new(0);
    // Spark keeps timestamps and intervals in microseconds: times beyond ±i64::MAX / 1000 ms
    // are not representable there (models and traces outside that range are rejected).
    fn in_range(ms: i64) -> bool {
        Profile::Spark.time_range().expect("spark has a range").contains(&ms)
    }
    let strategy = arb_params(Profile::Spark)
        .prop_filter("spark derives its watermarks", |p| {
            p.watermark.source == WatermarkSource::Derived
        })
        .prop_filter("spark intervals are microseconds", move |p| {
            in_range(p.bounds.lower().at.as_millis()) && in_range(p.bounds.upper().at.as_millis())
        })
        .prop_flat_map(|p| (Just(p), arb_trace(p.watermark.source)))
        .prop_filter("spark timestamps are microseconds", move |(_, t)| {
            t.records().iter().all(|r| in_range(r.ts.as_millis()))
        });
    let result = runner(seed, 2_000).run(&strategy, |(params, trace)| {
        cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let run = monitor_run(&params, joincheck::engine::SparkEngine::new(params), &trace);
        let expected = Analysis::new(params, &trace).expected();
        for e in &run.emitted {
            prop_assert!(
                expected.binary_search(&e.output).is_ok(),
                "spark emitted {:?}, which the oracle does not expect\n{}",
                e.output,
                trace.to_jsonl()
            );
        }
        // A null row is excused only for a row Spark still holds when the stream stops: one
        // that left state unpadded is a lost outer row (a cargo-mutants mutant of the rule that
        // stores evictable unmatched right rows survived the broader excuse).
        let mut held = joincheck::run::Held::new();
        for r in &run.reports {
            held.apply(r, &trace);
        }
        let held_at_end = |id: &joincheck::event::RecordId| held.stored().contains(id) || held.buffered().contains(id);
        for (p, _, finding) in &run.violations {
            let end_of_stream = match (p, finding) {
                (Property::NoStateLeak, Finding::Leak { quiescent: true, .. }) => true,
                (
                    Property::OuterExactlyOnce,
                    Finding::Outer {
                        id,
                        problem: OuterProblem::Missing,
                    },
                ) => held_at_end(id),
                _ => false,
            };
            prop_assert!(end_of_stream, "{p} violated: {finding:?}\n{}", trace.to_jsonl());
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("seed {seed} (replay: JOINCHECK_SEED={seed}): {e}");
    }
    // Filters must not starve the run.
    assert!(cases.into_inner() >= 2_000, "too few cases ran");
}

/// The words `diff` gives for rows it did or did not expect name the facts that decide them:
/// the empty partner window of a null row, and why a semi row is wrong for an inner join
/// but explained by the missing partner for a semi join.
#[test]
fn oracle_explanations_name_the_deciding_facts() {
    use joincheck::event::Output;
    let spec = joincheck::model::JoinSpec::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/reference-impressions-clicks-left-outer.toml"),
    )
    .expect("loads");
    let mut trace = Trace::new();
    let i1 = trace.push_record(Side::Left, "a", 36_000_000, "i1");
    let analysis = Analysis::new(spec.params, &trace);
    let why = joincheck::report::words::why_expected(&analysis, &Output::Unmatched(i1));
    assert!(
        why.contains("it has no valid match: no on-time right record with key a lies in [10:00, 11:00]"),
        "{why}"
    );
    let mut inner = spec.params;
    inner.kind = JoinKind::Inner;
    let why = joincheck::report::words::why_not_expected(&Analysis::new(inner, &trace), &Output::Semi { left: i1 });
    assert_eq!(why, "a inner join emits no semi rows");
    let mut semi = spec.params;
    semi.kind = JoinKind::LeftSemi;
    let why = joincheck::report::words::why_not_expected(&Analysis::new(semi, &trace), &Output::Semi { left: i1 });
    assert!(
        why.starts_with("i1 has no valid match: no on-time right record with key a"),
        "{why}"
    );
}
