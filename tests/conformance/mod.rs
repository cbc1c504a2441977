//! Conformance with real engines, without the engines: the `spark` profile reproduces every
//! recorded pyspark 4.3.0 run under `tests/conformance/spark/fixtures/`, and the
//! `flink-sql-interval` profile every recorded Flink 2.3.0 run under
//! `tests/conformance/flink/fixtures/`: the seed's query (recorded by each directory's
//! `record.sh`) and, under `fixtures/joins/NAME/`, the joins users write (other windows,
//! equalities, delays; recorded by `tests/conformance/record_joins.sh`), whose model is built
//! from the parameters each recording carries. Flink's operator harness and Kafka Streams'
//! TopologyTestDriver are checked step by step further down. The files are read by
//! `fixtures.rs`: one per engine, join and kind, each line tagged by its trace.
//!
//! Per fixture and join kind, batch by batch:
//! - the pairs and null-padded rows, with their trace batch numbers, exactly (as multisets);
//! - the late rows the profile reports, against Spark's `numRowsDroppedByWatermark`;
//! - the rows left in join state after each trace batch, against Spark's `numRowsTotal`;
//! - the global watermark after each trace batch, against the one Spark reported.

pub(crate) mod fixtures;

use fixtures::{load, Recorded, Runs};
use joincheck::engine;
use joincheck::event::{Emitted, Output};
use joincheck::model::{JoinKind, JoinSpec, Profile};
use joincheck::trace::{Step, Trace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Why one fixture disagrees, or `None`.
fn disagreement(spec: &JoinSpec, trace: &Trace, real: &[Emitted], meta: &Value) -> Option<String> {
    let mut engine = engine::for_spec(spec);
    let (emitted, reports) = joincheck::run::run(engine.as_mut(), trace);

    let rows = |rows: &[Emitted]| {
        let mut v: Vec<(usize, Output)> = rows
            .iter()
            .filter(|e| !matches!(e.output, Output::Late(_)))
            .map(|e| (e.at.batch.expect("rows carry batches"), e.output))
            .collect();
        v.sort();
        v
    };
    let (ours, theirs) = (rows(&emitted), rows(real));
    if ours != theirs {
        let words = |v: &[(usize, Output)]| {
            v.iter()
                .map(|(b, o)| format!("[{b}] {}", joincheck::report::output_words(trace, o)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Some(format!(
            "rows differ:\n  profile: {}\n  spark:   {}",
            words(&ours),
            words(&theirs)
        ));
    }

    let mut late: BTreeMap<usize, u64> = BTreeMap::new();
    for e in emitted.iter().filter(|e| matches!(e.output, Output::Late(_))) {
        *late.entry(e.at.batch.expect("rows carry batches")).or_default() += 1;
    }
    let dropped = meta["dropped_by_watermark_per_trace_batch"]
        .as_array()
        .expect("dropped counts");
    for (b, d) in dropped.iter().enumerate() {
        let ours = late.get(&b).copied().unwrap_or(0);
        if Some(ours) != d.as_u64() {
            return Some(format!("trace batch {b}: {ours} late rows, Spark dropped {d}"));
        }
    }

    // The last Spark batch of each trace batch (its no-data batch, if one ran) gives the state
    // size and the watermark after it.
    let mut after: BTreeMap<u64, (u64, i64)> = BTreeMap::new();
    for b in meta["batches"].as_array().expect("batches") {
        let tb = b["trace_batch"].as_u64().expect("trace_batch");
        after.insert(
            tb,
            (
                b["numRowsTotal"].as_u64().expect("numRowsTotal"),
                b["watermark_ms"].as_i64().expect("watermark"),
            ),
        );
    }
    let closing = reports.iter().filter(|r| matches!(r.step, Step::Batch | Step::End));
    for (tb, report) in closing.enumerate() {
        let Some(&(rows, wm)) = after.get(&(tb as u64)) else {
            continue;
        };
        if report.stored_len as u64 != rows {
            return Some(format!(
                "after trace batch {tb}: {} rows in state, Spark had {rows}",
                report.stored_len
            ));
        }
        let ours = report.watermarks.expect("spark exposes watermarks").join.as_millis();
        if ours != wm {
            return Some(format!("after trace batch {tb}: watermark {ours}, Spark had {wm}"));
        }
    }
    None
}

/// The joins `record_joins.sh` records for `engine`: the names in `ENGINE/joins.txt`, sorted.
/// The tests list the joins they load; this says the list is the recorder's.
fn joins_recorded(engine: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(root().join(format!("tests/conformance/{engine}/joins.txt"))).expect("joins.txt");
    let mut joins: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('|').next().unwrap_or_default().trim().to_owned())
        .collect();
    joins.sort();
    joins
}

/// The model of a recorded join: `profile` and `kind`, with the bounds and delays the
/// recording carries (`join_params`, written by the driver from its arguments).
fn spec_of(profile: Profile, kind: JoinKind, meta: &Value) -> JoinSpec {
    let p = &meta["join_params"];
    let text = |k: &str| p[k].as_str().unwrap_or_else(|| panic!("join_params.{k} in {meta}"));
    JoinSpec::builder(&format!("{}-{}", profile.name(), kind.name()))
        .profile(profile)
        .kind(kind)
        .bounds(text("bounds"))
        .delays(text("left_delay"), text("right_delay"))
        .build()
        .unwrap_or_else(|e| panic!("the recorded join {p} is a model: {e}"))
}

fn kind_named(name: &str) -> JoinKind {
    [
        JoinKind::Inner,
        JoinKind::LeftOuter,
        JoinKind::RightOuter,
        JoinKind::FullOuter,
        JoinKind::LeftSemi,
    ]
    .into_iter()
    .find(|k| k.name() == name)
    .unwrap_or_else(|| panic!("no join kind {name}"))
}

/// Every run agrees, and as many were checked as were recorded (docs/CONFORMANCE.md quotes the
/// counts): a fixture that lost runs fails here rather than checking less.
fn assert_all_agree(what: &str, checked: usize, recorded: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {checked} recorded {what} runs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, recorded, "recorded {what} runs checked");
}

#[test]
fn spark_profile_reproduces_every_recorded_spark_run() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (model, recorded) in [
        ("spark-impressions-clicks", load!("spark/fixtures", "inner")),
        (
            "spark-impressions-clicks-left-outer",
            load!("spark/fixtures", "left_outer"),
        ),
        (
            "spark-impressions-clicks-right-outer",
            load!("spark/fixtures", "right_outer"),
        ),
        (
            "spark-impressions-clicks-full-outer",
            load!("spark/fixtures", "full_outer"),
        ),
    ] {
        let spec = JoinSpec::load(&root().join(format!("models/{model}.toml"))).expect("spark model loads");
        for run in &recorded.runs {
            assert_eq!(
                run.meta["pyspark_version"], "4.3.0",
                "{}: recorded with another Spark",
                run.name
            );
            if let Some(why) = disagreement(&spec, &run.trace, &run.real, &run.meta) {
                failures.push(format!("{}: {}: {why}", recorded.file, run.name));
            }
            checked += 1;
        }
    }
    assert_all_agree("Spark", checked, 4 * 138, &failures);
}

/// The joins users write (negative lower bounds, strict ends, equalities, zero-width windows,
/// asymmetric and zero delays), every kind including left semi: rows, batches, late counts,
/// state sizes (`numRowsTotal`) and watermarks, batch by batch.
#[test]
fn spark_profile_reproduces_recorded_spark_runs_of_other_joins() {
    // Each join of spark/joins.txt in every kind Spark has: `fixtures/joins/JOIN/KIND.jsonl`.
    macro_rules! every_kind {
        ($join:literal) => {
            (
                $join,
                load!(
                    concat!("spark/fixtures/joins/", $join),
                    ["inner", "left_outer", "right_outer", "full_outer", "left_semi"]
                ),
            )
        };
    }
    let joins = [
        every_kind!("asymmetric-delays"),
        every_kind!("equality"),
        every_kind!("equality-as-range"),
        every_kind!("equality-negative"),
        every_kind!("equality-offset"),
        every_kind!("negative-lower"),
        every_kind!("strict-ends"),
        every_kind!("zero-delay"),
    ];
    assert_eq!(
        joins.iter().map(|(join, _)| *join).collect::<Vec<_>>(),
        joins_recorded("spark"),
        "the joins of spark/joins.txt"
    );
    let (mut checked, mut failures) = (0, Vec::new());
    let mut kinds_seen = std::collections::BTreeSet::new();
    for (join, kinds) in &joins {
        for (kind, recorded) in kinds {
            let kind = *kind;
            for run in &recorded.runs {
                assert_eq!(
                    run.meta["pyspark_version"], "4.3.0",
                    "{}: recorded with another Spark",
                    run.name
                );
                assert_eq!(
                    run.meta["join"], kind,
                    "{join}/{kind}/{}: recorded as another kind",
                    run.name
                );
                let spec = spec_of(Profile::Spark, kind_named(kind), &run.meta);
                if let Some(why) = disagreement(&spec, &run.trace, &run.real, &run.meta) {
                    failures.push(format!("{join}/{kind}/{}: {why}", run.name));
                }
                kinds_seen.insert(kind);
                checked += 1;
            }
        }
    }
    assert_all_agree("Spark (other joins)", checked, 8 * 5 * 14, &failures);
    assert_eq!(kinds_seen.len(), 5, "every Spark join kind is recorded: {kinds_seen:?}");
}

/// Why a recorded Flink SQL run disagrees with `spec`, or `None`: Flink SQL has no batches and
/// drops nothing, so every row, as a multiset, must agree.
fn flink_disagreement(spec: &JoinSpec, run: &Recorded) -> Option<String> {
    let mut engine = engine::for_spec(spec);
    let (emitted, _) = joincheck::run::run(engine.as_mut(), &run.trace);
    let rows = |rows: &[Emitted]| {
        let mut v: Vec<Output> = rows
            .iter()
            .map(|e| e.output)
            .filter(|o| !matches!(o, Output::Late(_)))
            .collect();
        v.sort();
        v
    };
    let (ours, theirs) = (rows(&emitted), rows(&run.real));
    (ours != theirs).then(|| {
        let words = |v: &[Output]| {
            v.iter()
                .map(|o| joincheck::report::output_words(&run.trace, o))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("\n  profile: {}\n  flink:   {}", words(&ours), words(&theirs))
    })
}

#[test]
fn flink_sql_profile_reproduces_every_recorded_flink_run() {
    let (mut checked, mut failures) = (0, Vec::new());
    for (model, recorded) in [
        ("flink-sql-impressions-clicks", load!("flink/fixtures", "inner")),
        (
            "flink-sql-impressions-clicks-left-outer",
            load!("flink/fixtures", "left_outer"),
        ),
    ] {
        let spec = JoinSpec::load(&root().join(format!("models/{model}.toml"))).expect("flink model loads");
        for run in &recorded.runs {
            if let Some(why) = flink_disagreement(&spec, run) {
                failures.push(format!("{}: {}:{why}", recorded.file, run.name));
            }
            checked += 1;
        }
    }
    assert_all_agree("Flink", checked, 2 * 113, &failures);
}

/// Flink SQL interval joins users write, every kind Flink SQL has (inner, left, right, full).
#[test]
fn flink_sql_profile_reproduces_recorded_flink_runs_of_other_joins() {
    // Each join of flink/joins.txt in every kind Flink SQL has: `fixtures/joins/JOIN/KIND.jsonl`.
    macro_rules! every_kind {
        ($join:literal) => {
            (
                $join,
                load!(
                    concat!("flink/fixtures/joins/", $join),
                    ["inner", "left_outer", "right_outer", "full_outer"]
                ),
            )
        };
    }
    let joins = [
        every_kind!("asymmetric-delays"),
        every_kind!("negative-lower"),
        every_kind!("strict-ends"),
        every_kind!("zero-delay"),
        every_kind!("zero-width"),
    ];
    assert_eq!(
        joins.iter().map(|(join, _)| *join).collect::<Vec<_>>(),
        joins_recorded("flink"),
        "the joins of flink/joins.txt"
    );
    let (mut checked, mut failures) = (0, Vec::new());
    let mut kinds_seen = std::collections::BTreeSet::new();
    for (join, kinds) in &joins {
        for (kind, recorded) in kinds {
            let kind = *kind;
            for run in &recorded.runs {
                assert_eq!(
                    run.meta["apache_flink_version"], "2.3.0",
                    "{}: recorded with another Flink",
                    run.name
                );
                assert_eq!(
                    run.meta["anomalies"],
                    Value::Array(vec![]),
                    "{join}/{kind}/{}",
                    run.name
                );
                let spec = spec_of(Profile::FlinkSqlInterval, kind_named(kind), &run.meta);
                if let Some(why) = flink_disagreement(&spec, run) {
                    failures.push(format!("{join}/{kind}/{}:{why}", run.name));
                }
                kinds_seen.insert(kind);
                checked += 1;
            }
        }
    }
    assert_all_agree("Flink SQL (other joins)", checked, 5 * 4 * 12, &failures);
    assert_eq!(
        kinds_seen.len(),
        4,
        "every Flink SQL join kind is recorded: {kinds_seen:?}"
    );
}

/// A run of Flink's operator harness (`tests/conformance/flink-harness`) or Kafka Streams'
/// TopologyTestDriver: a trace with the rows the engine emitted (each with its step) and, from
/// the trace's meta line, what it held after each step.
struct HarnessRun {
    name: String,
    trace: Trace,
    real: Vec<Emitted>,
    /// After each step: [records held, event-time timers, keyed state entries], and after a
    /// snapshot the entries of an operator restored from it (Kafka Streams: its stores' sizes
    /// and dropped records).
    after: Vec<Vec<u64>>,
}

fn harness_runs(recorded: Runs) -> (Value, Vec<HarnessRun>) {
    recorded_runs(recorded, ("flink_version", "2.3.0"))
}

/// The runs of a file recorded by the engine version that its run line must name, and the run
/// line.
fn recorded_runs(recorded: Runs, (version_key, version): (&str, &str)) -> (Value, Vec<HarnessRun>) {
    assert_eq!(
        recorded.run[version_key], version,
        "{}: recorded with another version",
        recorded.file
    );
    let runs = recorded
        .runs
        .into_iter()
        .map(|run: Recorded| {
            let after = run.meta["after_step"]
                .as_array()
                .expect("after_step")
                .iter()
                .map(|a| a.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect())
                .collect();
            HarnessRun {
                name: run.name,
                trace: run.trace,
                real: run.real,
                after,
            }
        })
        .collect();
    (recorded.run, runs)
}

/// What a harness run must hold after a step, given the profile's report of that step and
/// Flink's figures: `None` when they agree.
type HeldCheck<'a> = &'a dyn Fn(usize, &joincheck::run::StepReport, &[u64]) -> Option<String>;

/// Exactly the profile's records and timers.
fn same_held(i: usize, r: &joincheck::run::StepReport, a: &[u64]) -> Option<String> {
    ((r.stored_len as u64, r.timers as u64) != (a[0], a[1])).then(|| {
        format!(
            "after step {i}: the profile holds {} records with {} timers, Flink {} with {}",
            r.stored_len, r.timers, a[0], a[1]
        )
    })
}

/// Why a harness run disagrees with `spec`'s engine, or `None`: step by step, the rows (pairs
/// and null-padded rows), the late rows when `late` (the seed's function logs nothing for an
/// "orphan" click: its side output is a comment, so its profile's late rows are not compared),
/// and what is held after each step (`held`).
fn harness_disagreement(spec: &JoinSpec, run: &HarnessRun, late: bool, held: HeldCheck<'_>) -> Option<String> {
    let mut engine = engine::for_spec(spec);
    let (emitted, reports) = joincheck::run::run(engine.as_mut(), &run.trace);
    let rows = |rows: &[Emitted]| {
        let mut v: Vec<(usize, Output)> = rows
            .iter()
            .filter(|e| late || !matches!(e.output, Output::Late(_)))
            .map(|e| (e.at.step.expect("rows carry steps"), e.output))
            .collect();
        v.sort();
        v
    };
    if let Some(why) = rows_differ(&run.trace, rows(&emitted), rows(&run.real), "flink") {
        return Some(why);
    }
    if reports.len() != run.after.len() {
        return Some(format!("{} steps run, Flink {}", reports.len(), run.after.len()));
    }
    reports
        .iter()
        .zip(&run.after)
        .enumerate()
        .find_map(|(i, (r, a))| held(i, r, a))
}

/// Why the profile's rows (each with its step, sorted) differ from the real engine's, or
/// `None`; `engine` names the real one.
fn rows_differ(
    trace: &Trace,
    ours: Vec<(usize, Output)>,
    theirs: Vec<(usize, Output)>,
    engine: &str,
) -> Option<String> {
    (ours != theirs).then(|| {
        let words = |v: &[(usize, Output)]| {
            v.iter()
                .map(|(s, o)| format!("[{s}] {}", joincheck::report::output_words(trace, o)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "rows differ:\n  profile: {}\n  {engine}: {}",
            words(&ours),
            words(&theirs)
        )
    })
}

fn model_text(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("models/{name}.toml"))).expect("bundled model")
}

/// After each step of `trace`, how many impressions a full snapshot of the seed's function holds
/// (`cleanupFullSnapshot`: the unexpired ones).
fn snapshot_entries(spec: &JoinSpec, trace: &Trace) -> Vec<usize> {
    use joincheck::engine::Engine as _;
    let mut e = engine::KeyedTtlEngine::new(spec.params);
    let mut out = Vec::new();
    let mut steps: Vec<Step> = trace.steps().to_vec();
    if !trace.ends() {
        steps.push(Step::End);
    }
    steps
        .iter()
        .map(|s| {
            e.step(s, &mut out);
            e.full_snapshot_entries()
        })
        .collect()
}

/// The seed's `ImpressionClickJoin`, compiled verbatim (but for Flink 2.x's moved API) and run
/// in Flink 2.3.0's `KeyedTwoInputStreamOperatorTestHarness` with explicit watermarks, the
/// processing-time TTL clock, and a checkpoint restored into a second operator at every
/// snapshot: on every trace of a small scope, seeded random ones, and the checker's
/// counterexample for each known defect, `flink-keyed-ttl` emits the same pairs at the same
/// steps and keeps the same timers; each checkpoint holds exactly the unexpired impressions
/// (`cleanupFullSnapshot`); and the running operator holds at most what the profile stores and
/// at least the unexpired ones: Flink's heap backend also removes expired entries of other
/// keys as state is accessed (incremental cleanup, on by default; `src/engine/flink/ttl.rs`),
/// which changes no output.
#[test]
fn flink_keyed_ttl_agrees_with_the_seed_function_in_flinks_operator_harness() {
    let spec = JoinSpec::load(&root().join("models/flink-keyed-ttl.toml")).expect("model loads");
    let (meta, runs) = harness_runs(load!("flink-harness/fixtures/keyed", "seed"));
    assert_eq!(meta["operator"], "seed");
    let snapshots_checked = std::cell::Cell::new(0);
    let cleaned_early = std::cell::Cell::new(0);
    let failures: Vec<String> = runs
        .iter()
        .filter_map(|run| {
            let unexpired = snapshot_entries(&spec, &run.trace);
            let held = |i: usize, r: &joincheck::run::StepReport, a: &[u64]| -> Option<String> {
                let (stored, live) = (r.stored_len as u64, unexpired[i] as u64);
                if r.timers as u64 != a[1] || !(live..=stored).contains(&a[0]) {
                    return Some(format!(
                        "after step {i}: the profile stores {stored} impressions ({live} unexpired) with {} timers, \
                         Flink holds {} with {}",
                        r.timers, a[0], a[1]
                    ));
                }
                if a[0] < stored {
                    cleaned_early.set(cleaned_early.get() + 1);
                }
                if let Some(&restored) = a.get(3) {
                    snapshots_checked.set(snapshots_checked.get() + 1);
                    if restored != live {
                        return Some(format!(
                            "snapshot at step {i}: {restored} entries restored, {live} unexpired impressions"
                        ));
                    }
                }
                None
            };
            harness_disagreement(&spec, run, false, &held).map(|why| format!("{}: {why}", run.name))
        })
        .collect();
    assert_all_agree("seed-function harness", runs.len(), 474, &failures);
    assert!(
        snapshots_checked.get() >= 100,
        "only {} snapshots restored",
        snapshots_checked.get()
    );
    // The recordings do show the incremental cleanup the profile leaves out.
    assert!(
        cleaned_early.get() > 0,
        "no step where Flink held fewer than the profile stores"
    );
    // Each defect's counterexample (docs/SEED-FLINK.md) shows on real Flink what the checker
    // says: a valid pair the oracle expects that Flink never emits, or a timer left registered
    // with nothing stored.
    for d in &spec.defects {
        let run = runs
            .iter()
            .find(|r| r.name == format!("defect-{}", d.name))
            .unwrap_or_else(|| panic!("no harness run of defect {}'s counterexample", d.name));
        let shown = match d.property.name() {
            "no_lost_match" => {
                let emitted: Vec<Output> = run.real.iter().map(|e| e.output).collect();
                joincheck::oracle::Analysis::new(spec.params, &run.trace)
                    .expected()
                    .iter()
                    .any(|o| matches!(o, Output::Match { .. }) && !emitted.contains(o))
            }
            "no_state_leak" => run.after.iter().any(|a| a[0] == 0 && a[1] > 0),
            other => panic!("defect {} of {other}: say how it shows", d.name),
        };
        assert!(shown, "defect {} does not show on Flink: {:?}", d.name, run.real);
    }
}

/// The corrected function (Java, `ImpressionClickJoinFixed`) in the same harness, every join
/// kind: `flink-keyed-fixed` emits the same rows (pairs, null-padded rows, late rows) at the
/// same steps and holds the same records and timers.
#[test]
fn flink_keyed_fixed_agrees_with_the_corrected_function_in_flinks_operator_harness() {
    let (mut checked, mut failures) = (0, Vec::new());
    for (kind, recorded) in [
        ("inner", load!("flink-harness/fixtures/keyed", "fixed-inner")),
        ("left_outer", load!("flink-harness/fixtures/keyed", "fixed-left_outer")),
        (
            "right_outer",
            load!("flink-harness/fixtures/keyed", "fixed-right_outer"),
        ),
        ("full_outer", load!("flink-harness/fixtures/keyed", "fixed-full_outer")),
    ] {
        let text = model_text("flink-keyed-fixed").replace("kind = \"inner\"", &format!("kind = \"{kind}\""));
        let spec = JoinSpec::parse(&text, "flink-keyed-fixed.toml", "flink-keyed-fixed").expect("model reads");
        let (meta, runs) = harness_runs(recorded);
        assert_eq!(
            (&meta["operator"], &meta["join_params"]["kind"]),
            (&"fixed".into(), &kind.into())
        );
        for run in &runs {
            if let Some(why) = harness_disagreement(&spec, run, true, &same_held) {
                failures.push(format!("{kind}/{}: {why}", run.name));
            }
            checked += 1;
        }
    }
    assert_all_agree("corrected-function harness", checked, 4 * 474, &failures);
}

/// Flink's DataStream `IntervalJoinOperator` in the harness, `[0, 1h]` with a 10-minute
/// bounded-out-of-orderness watermark after every record (the bundled model), and `[-5m, 20m]`
/// with 2- and 20-minute delays: `flink-interval` emits the same pairs and late rows at the
/// same steps and holds the same elements and timers.
#[test]
fn flink_interval_agrees_with_the_interval_join_operator_in_flinks_operator_harness() {
    let (mut checked, mut failures) = (0, Vec::new());
    for (dir, bundled, recorded) in [
        ("inner", true, load!("flink-harness/fixtures/interval", "inner")),
        (
            "inner-5m-20m",
            false,
            load!("flink-harness/fixtures/interval", "inner-5m-20m"),
        ),
    ] {
        let (meta, runs) = harness_runs(recorded);
        assert_eq!(
            meta["operator_class"],
            "org.apache.flink.streaming.api.operators.co.IntervalJoinOperator"
        );
        // The join the run states: the bundled model's, or one built from its parameters.
        let p = &meta["join_params"];
        let ms = |k: &str| joincheck::time::Duration::from_millis(p[k].as_i64().unwrap()).to_string();
        let spec = JoinSpec::builder("flink-interval-recorded")
            .profile(Profile::FlinkInterval)
            .kind(JoinKind::Inner)
            .bounds(&format!("[{}, {}]", ms("lowest_ms"), ms("highest_ms")))
            .delays(&ms("left_delay_ms"), &ms("right_delay_ms"))
            .build()
            .expect("the recorded join is a model");
        if bundled {
            let model = JoinSpec::load(&root().join("models/flink-interval-impressions-clicks.toml")).unwrap();
            assert_eq!(spec.params, model.params, "the recording runs the bundled model's join");
        }
        for run in &runs {
            if let Some(why) = harness_disagreement(&spec, run, true, &same_held) {
                failures.push(format!("{dir}/{}: {why}", run.name));
            }
            checked += 1;
        }
    }
    assert_all_agree("IntervalJoinOperator harness", checked, 2 * 230, &failures);
}

/// Kafka Streams 4.4.0's KStream-KStream join in `TopologyTestDriver`
/// (`tests/conformance/kafka-streams`): `[0, 1h]` with 10 minutes' grace and `[5m, 20m]` with
/// none, each inner, left and outer, over every trace of a small scope, seeded random ones and
/// the checker's counterexamples on the two bundled Kafka Streams models.
/// After every record the `kafka-streams` profile emits the same pairs and null-padded rows,
/// its window stores return as many records per side and its outer store holds as many
/// entries, and as many puts were skipped as the task's `dropped-records-total` counts.
#[test]
fn kafka_streams_agrees_with_topology_test_driver() {
    use joincheck::engine::Engine as _;
    // Each join in every kind Kafka Streams has: `fixtures/JOIN-KIND.jsonl`.
    macro_rules! every_kind {
        ($join:literal) => {
            (
                $join,
                [
                    ("inner", load!("kafka-streams/fixtures", concat!($join, "-inner"))),
                    (
                        "left_outer",
                        load!("kafka-streams/fixtures", concat!($join, "-left_outer")),
                    ),
                    (
                        "full_outer",
                        load!("kafka-streams/fixtures", concat!($join, "-full_outer")),
                    ),
                ],
            )
        };
    }
    let (mut checked, mut failures) = (0, Vec::new());
    let mut kinds_seen = std::collections::BTreeSet::new();
    let mut cx_seen = std::collections::BTreeSet::new();
    for (join, kinds) in [
        every_kind!("within-1h-grace-10m"),
        every_kind!("5m-to-20m-no-grace"),
        every_kind!("within-5m-grace-10m"),
    ] {
        for (kind, recorded) in kinds {
            let (meta, runs) = recorded_runs(recorded, ("kafka_streams_version", "4.4.0"));
            let p = &meta["join_params"];
            assert_eq!(p["kind"], kind);
            let ms = |k: &str| joincheck::time::Duration::from_millis(p[k].as_i64().unwrap()).to_string();
            let spec = JoinSpec::builder("kafka-streams-recorded")
                .profile(Profile::KafkaStreams)
                .kind(match kind {
                    "inner" => JoinKind::Inner,
                    "left_outer" => JoinKind::LeftOuter,
                    _ => JoinKind::FullOuter,
                })
                .bounds(&format!("[{}, {}]", ms("lowest_ms"), ms("highest_ms")))
                .grace(&ms("grace_ms"))
                .build()
                .expect("the recorded join is a model");
            // The bundled model this recording runs, if any: the checker's counterexamples on
            // it must show on Kafka Streams as the checker says.
            let bundled = [
                "kafka-streams-impressions-clicks",
                "kafka-streams-clicks-5m-to-20m-left-outer",
                "kafka-streams-clicks-within-5m-left-outer",
            ]
            .into_iter()
            .find(|m| JoinSpec::bundled(m).unwrap().params == spec.params);
            for run in &runs {
                if let Some(model) = bundled {
                    let short = model.trim_start_matches("kafka-streams-");
                    let expected = joincheck::oracle::Analysis::new(spec.params, &run.trace).expected();
                    let real: Vec<Output> = run.real.iter().map(|e| e.output).collect();
                    let pair = |o: &&Output| matches!(o, Output::Match { .. });
                    if run.name == format!("cx-{short}-no_lost_match") {
                        assert!(
                            expected.iter().filter(pair).any(|o| !real.contains(o)),
                            "{model}: Kafka Streams emits every valid pair of {}",
                            run.name
                        );
                        cx_seen.insert((model, "no_lost_match"));
                    }
                    if run.name == "kafka-19536-null-row-then-match" && model.contains("within-5m") {
                        // KAFKA-19536: the null row at once, then the match.
                        let at = |o: Output| run.real.iter().find(|e| e.output == o).and_then(|e| e.at.step);
                        let i1 = run.trace.lookup_id(joincheck::event::Side::Left, "i1").unwrap();
                        let c1 = run.trace.lookup_id(joincheck::event::Side::Right, "c1").unwrap();
                        assert_eq!(
                            (at(Output::Unmatched(i1)), at(Output::Match { left: i1, right: c1 })),
                            (Some(1), Some(2)),
                            "{model}: KAFKA-19536 on {}",
                            run.name
                        );
                        cx_seen.insert((model, "KAFKA-19536"));
                    }
                    if run.name == format!("cx-{short}-no_spurious_output") {
                        assert!(
                            real.iter().filter(pair).any(|o| !expected.contains(o)),
                            "{model}: Kafka Streams emits no pair the oracle does not expect on {}",
                            run.name
                        );
                        cx_seen.insert((model, "no_spurious_output"));
                    }
                }
                let mut engine = engine::KafkaStreamsEngine::new(spec.params);
                let (mut ours, mut out, mut why) = (Vec::new(), Vec::new(), None);
                for (i, (step, real)) in run.trace.steps().iter().zip(&run.after).enumerate() {
                    out.clear();
                    engine.step(step, &mut out);
                    ours.extend(out.iter().map(|&o| (i, o)));
                    let [l, r, o] = engine.store_sizes();
                    let held = [l as u64, r as u64, o as u64, engine.dropped()];
                    if why.is_none() && held[..] != real[..] {
                        why = Some(format!(
                            "after step {i}: the profile has [left store, right store, outer store, dropped] = \
                             {held:?}, Kafka Streams {real:?}"
                        ));
                    }
                }
                let mut theirs: Vec<(usize, Output)> = run
                    .real
                    .iter()
                    .map(|e| (e.at.step.expect("rows carry steps"), e.output))
                    .collect();
                ours.sort();
                theirs.sort();
                if let Some(rows) = rows_differ(&run.trace, ours, theirs, "kafka") {
                    why = Some(rows);
                }
                if run.after.len() != run.trace.steps().len() {
                    why = Some(format!(
                        "{} steps recorded for {}",
                        run.after.len(),
                        run.trace.steps().len()
                    ));
                }
                if let Some(why) = why {
                    failures.push(format!("{join}/{kind}/{}: {why}", run.name));
                }
                checked += 1;
            }
            kinds_seen.insert(kind);
        }
    }
    assert_all_agree("Kafka Streams TopologyTestDriver", checked, 3 * 3 * 355, &failures);
    assert_eq!(kinds_seen.len(), 3);
    // The lost matches (a store's retention one millisecond, or with a positive lower bound
    // minutes, short of the window), the spurious pairs (late records joined, a fetch clamped
    // at 0) and KAFKA-19536's null row within the grace are Kafka Streams' own, on the three
    // bundled models.
    assert_eq!(cx_seen.len(), 7, "counterexamples seen on Kafka Streams: {cx_seen:?}");
}

/// Found by `drive`'s varied traces on Kafka Streams 4.4.0 (`models/kafka-streams-clicks-within-5m-left-outer.toml`):
/// KStreamKStreamJoin computes a record's window end as `Math.max(0L, ts + after)` in Java
/// `long`, so a left impression whose end passes `Long.MAX_VALUE` wraps to 0, fetches no
/// click, and is null-padded at once, although a click 4m57s492ms after it is already stored.
/// The profile's engine had saturated the sum and predicted the match.
#[test]
fn kafka_streams_window_end_past_long_max_wraps_and_finds_nothing() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/kafka-streams-clicks-within-5m-left-outer.toml");
    let spec = JoinSpec::load(&path).expect("bundled model");
    let mut trace = Trace::new();
    let c3 = trace.push_record(joincheck::event::Side::Right, "a", 9_223_372_036_854_775_806, "c3");
    let i2 = trace.push_record(joincheck::event::Side::Left, "a", 9_223_372_036_854_478_314, "i2");
    spec.check_trace(&trace, "<regression>")
        .expect("within the profile's times");
    let rows: Vec<(Output, Option<usize>)> = joincheck::run::outputs(&mut *engine::for_spec(&spec), &trace)
        .into_iter()
        .map(|e| (e.output, e.at.step))
        .collect();
    assert_eq!(rows, [(Output::Unmatched(i2), Some(1))], "no match with {c3:?}");
}
