//! The derived time domain against brute force (`joincheck::model::domain`): for every
//! bundled model scaled down to constants of a few milliseconds (upper bound 9 ms; delays
//! 3 ms on both inputs as in the seed, and 3 ms and 2 ms, where the watermarks are derived),
//! the checker
//! over every integer time of a dense window must give exactly the verdicts the derived
//! domain gives — every invariant and every witness — and so must each bundled mutant of the
//! real-bug benchmark checked against its scaled model.
//!
//! The window is `[0, WINDOW]`. Profiles that treat the epoch specially (Spark, Flink SQL)
//! keep their derived times to it too (`time_range`), since times before the epoch mean
//! something to them; the others derive times without a range, the first one at 0.
//!
//! Kafka Streams' models take the grace as both delays (one grace, so only equal delays).
//!
//! Only the spark, reference and flink-sql models run in debug builds (the rest are
//! `--release` work: `cargo test --release` runs all).

use joincheck::checker::{check_spec, mutant_violations, Options, Verdict};
use joincheck::model::{Bounds, JoinSpec, KafkaWindows, Profile, Times, WatermarkSource};
use joincheck::property::Property;
use joincheck::testing::mutants;
use joincheck::time::{Duration, EventTime, ProcessingTime};
use std::path::{Path, PathBuf};

/// The scaled upper bound, and the delays of models that derive their watermarks: equal,
/// as in the seed, and not.
const UPPER: i64 = 9;
const DELAYS: [[i64; 2]; 2] = [[3, 3], [3, 2]];
/// The dense window's last time: past the upper bound plus both delays, and a record's last
/// chance after that.
const WINDOW: i64 = 16;
/// For models whose watermarks come from the trace (no delays; a watermark value is as free
/// as a record's time, which multiplies the dense states): past the upper bound.
const TRACE_WINDOW: i64 = 10;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A bundled model scaled down, checking `left` and `right` records over `times` (and, for
/// models whose watermarks come from the trace, watermark values from the same domain, at
/// most one step per input).
fn scaled(file: &str, times: &Times, records: [u8; 2], delays: [i64; 2]) -> JoinSpec {
    let mut spec = JoinSpec::load(&models().join(file)).expect("bundled model loads");
    let p = &mut spec.params;
    let lower = p.bounds.lower();
    assert_eq!(lower.at, Duration::ZERO, "{file}: the scaling assumes a window from 0");
    // An equality at 0 (`clickTime = impressionTime`) needs no scaling.
    p.bounds = if p.bounds.is_equality() {
        p.bounds
    } else {
        Bounds::new(
            lower,
            joincheck::model::Bound {
                at: Duration::from_millis(UPPER),
                ..p.bounds.upper()
            },
        )
        .expect("a window")
    };
    if p.profile == Profile::KafkaStreams {
        // Kafka Streams' rule follows from the windows: the grace is the delay on both inputs.
        p.grace = Some(Duration::from_millis(delays[0]));
        p.watermark = KafkaWindows::of(p).expect("small windows").stream_time();
    } else if p.watermark.source == WatermarkSource::Derived {
        p.watermark.delay = delays.map(Duration::from_millis);
    }
    spec.defects.clear();
    scope_for(&mut spec, times, records);
    spec
}

fn scope_for(spec: &mut JoinSpec, times: &Times, records: [u8; 2]) {
    let trace_watermarks = spec.params.watermark.source == WatermarkSource::Trace;
    let epoch = spec.params.profile.epoch_matters();
    let scope = spec.scope.as_mut().expect("bundled models have a scope");
    scope.records = records;
    scope.keys.truncate(1);
    scope.times = times.clone();
    scope.time_range =
        (epoch && times.is_derived()).then(|| (EventTime::from_millis(0), EventTime::from_millis(WINDOW)));
    if trace_watermarks {
        scope.watermarks = times.clone();
        scope.watermark_steps = Some(1);
    }
    if !scope.processing_times.is_empty() {
        // The TTL is the upper bound: a reading one TTL in.
        scope.processing_times = vec![ProcessingTime::from_millis(UPPER)];
    }
}

fn dense(file: &str) -> Times {
    let trace_watermarks = JoinSpec::load(&models().join(file))
        .expect("bundled model loads")
        .params
        .watermark
        .source
        == WatermarkSource::Trace;
    let last = if trace_watermarks { TRACE_WINDOW } else { WINDOW };
    Times::Listed((0..=last).map(EventTime::from_millis).collect())
}

/// Every verdict of the model: the invariants violated and the witnesses reached.
fn verdicts(spec: &JoinSpec) -> Vec<(Property, bool)> {
    let options = Options {
        shortest: false,
        ..Options::default()
    };
    let report = check_spec(spec, options, &mut |_| {}).expect("a scope");
    assert!(
        report.complete(),
        "{}: the check stopped early: {:?}",
        spec.name,
        report.stopped
    );
    report
        .verdicts
        .iter()
        .map(|(p, v, _)| (*p, matches!(v, Verdict::Violated(_) | Verdict::Reached)))
        .collect()
}

fn compare_models(files: &[&str], records: [u8; 2]) {
    for (file, delays) in files.iter().flat_map(|f| DELAYS.map(|d| (f, d))) {
        let kafka = JoinSpec::load(&models().join(file)).unwrap().params.profile == Profile::KafkaStreams;
        if kafka && delays[0] != delays[1] {
            // One grace, the same delay on both inputs.
            continue;
        }
        let by_dense = verdicts(&scaled(file, &dense(file), records, delays));
        let by_derived = verdicts(&scaled(file, &Times::Derived, records, delays));
        assert_eq!(
            by_derived, by_dense,
            "{file} at {records:?} records, delays {delays:?}: derived (left) vs dense (right)"
        );
    }
}

fn compare_mutants(files: &[&str], records: [u8; 2]) {
    let mut compared = 0;
    for m in mutants::catalogue().into_iter().filter(|m| files.contains(&m.model)) {
        let found = |times: &Times| {
            let mut spec = scaled(m.model, times, records, DELAYS[0]);
            m.prepare(&mut spec);
            // The mutant's adjustment may list times of its own: the domain under test wins.
            scope_for(&mut spec, times, records);
            let (base, mutant) = m.engines(&spec);
            mutant_violations(&spec, base, mutant).expect("a scope")
        };
        let (by_dense, by_derived) = (found(&dense(m.model)), found(&Times::Derived));
        assert_eq!(
            by_derived, by_dense,
            "mutant {}: derived (left) vs dense (right)",
            m.name
        );
        // Scaled down, every bundled mutant is still caught: the comparison is not vacuous.
        assert!(!by_dense.is_empty(), "mutant {} escapes its scaled model", m.name);
        compared += 1;
    }
    assert!(compared > 0, "no mutant of {files:?}");
}

const REFERENCE: &[&str] = &[
    "reference-impressions-clicks.toml",
    "reference-impressions-clicks-left-outer.toml",
    "canary-impressions-clicks.toml",
];
const SPARK: &[&str] = &[
    "spark-impressions-clicks.toml",
    "spark-impressions-clicks-left-outer.toml",
    "spark-impressions-clicks-right-outer.toml",
    "spark-impressions-clicks-full-outer.toml",
    "spark-impressions-clicks-left-semi.toml",
    "spark-clicks-at-impression-time.toml",
];
const FLINK_SQL: &[&str] = &[
    "flink-sql-impressions-clicks.toml",
    "flink-sql-impressions-clicks-left-outer.toml",
];
const FLINK_OPERATORS: &[&str] = &[
    "flink-interval-impressions-clicks.toml",
    "flink-keyed-fixed.toml",
    "flink-keyed-ttl.toml",
];

#[test]
fn reference_derived_times_give_the_dense_verdicts() {
    compare_models(REFERENCE, [2, 1]);
    compare_models(REFERENCE, [1, 2]);
    compare_mutants(REFERENCE, [2, 1]);
}

#[test]
fn spark_derived_times_give_the_dense_verdicts() {
    compare_models(SPARK, [2, 1]);
    compare_models(SPARK, [1, 2]);
    compare_mutants(SPARK, [2, 1]);
}

#[test]
fn flink_sql_derived_times_give_the_dense_verdicts() {
    compare_models(FLINK_SQL, [2, 1]);
    compare_models(FLINK_SQL, [1, 2]);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release builds only: cargo test --release")]
fn flink_operators_derived_times_give_the_dense_verdicts() {
    compare_models(&FLINK_OPERATORS[..1], [2, 1]);
    compare_models(&FLINK_OPERATORS[..1], [1, 2]);
    compare_mutants(&FLINK_OPERATORS[..1], [2, 1]);
    // The keyed functions read watermarks from the trace: one record per side, one
    // watermark step per input.
    compare_models(&FLINK_OPERATORS[1..], [1, 1]);
}

/// Kafka Streams' models whose window starts at 0 (the scaling's assumption), with a grace of
/// 3 ms; the bundled mutant (KAFKA-10847) with them.
const KAFKA: [&str; 2] = [
    "kafka-streams-impressions-clicks.toml",
    "kafka-streams-clicks-within-5m-left-outer.toml",
];

#[test]
#[cfg_attr(debug_assertions, ignore = "release builds only: cargo test --release")]
fn kafka_streams_derived_times_give_the_dense_verdicts() {
    compare_models(&KAFKA, [2, 1]);
    compare_models(&KAFKA, [1, 2]);
    compare_mutants(&KAFKA, [2, 1]);
}
