//! Conformance with real engines, without the engines: the `spark` profile reproduces every
//! recorded pyspark 4.3.0 run under `tests/conformance/spark/fixtures/`, and the
//! `flink-sql-interval` profile every recorded Flink 2.3.0 run under
//! `tests/conformance/flink/fixtures/` (recorded by each directory's `record.sh`).
//!
//! Per fixture and join kind, batch by batch:
//! - the pairs and null-padded rows, with their trace batch numbers, exactly (as multisets);
//! - the late rows the profile reports, against Spark's `numRowsDroppedByWatermark`;
//! - the rows left in join state after each trace batch, against Spark's `numRowsTotal`;
//! - the global watermark after each trace batch, against the one Spark reported.

use joincheck::engine;
use joincheck::event::{Emitted, Output};
use joincheck::model::JoinSpec;
use joincheck::trace::{Step, Trace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

const KINDS: [(&str, &str); 4] = [
    ("inner", "spark-impressions-clicks"),
    ("left_outer", "spark-impressions-clicks-left-outer"),
    ("right_outer", "spark-impressions-clicks-right-outer"),
    ("full_outer", "spark-impressions-clicks-full-outer"),
];

/// Why one fixture disagrees, or `None`.
fn disagreement(spec: &JoinSpec, trace: &Trace, real: &[Emitted], meta: &Value) -> Option<String> {
    let mut engine = engine::for_spec(spec);
    let (emitted, reports) = engine::run(engine.as_mut(), trace);

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
        if report.stored.len() as u64 != rows {
            return Some(format!(
                "after trace batch {tb}: {} rows in state, Spark had {rows}",
                report.stored.len()
            ));
        }
        let ours = report.watermarks.expect("spark exposes watermarks").join.as_millis();
        if ours != wm {
            return Some(format!("after trace batch {tb}: watermark {ours}, Spark had {wm}"));
        }
    }
    None
}

#[test]
fn spark_profile_reproduces_every_recorded_spark_run() {
    let fixtures = root().join("tests/conformance/spark/fixtures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (kind, model) in KINDS {
        let dir = fixtures.join(kind);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let spec = JoinSpec::load(&root().join(format!("models/{model}.toml"))).expect("spark model loads");
        let mut outs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".out.jsonl"))
            .collect();
        outs.sort();
        for out in outs {
            let name = out
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".out.jsonl")
                .to_owned();
            let trace = Trace::load(&fixtures.join("traces").join(format!("{name}.jsonl"))).expect("fixture trace");
            let real_text = std::fs::read_to_string(&out).expect("fixture output");
            let real = trace
                .parse_outputs(&real_text, &out.display().to_string())
                .expect("fixture output parses");
            let meta: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("{name}.meta.json"))).expect("fixture metadata"),
            )
            .expect("metadata is JSON");
            assert_eq!(meta["pyspark_version"], "4.3.0", "{name}: recorded with another Spark");
            if let Some(why) = disagreement(&spec, &trace, &real, &meta) {
                failures.push(format!("{kind}/{name}: {why}"));
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 100,
        "only {checked} recorded Spark runs found under {}",
        fixtures.display()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} recorded runs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn flink_sql_profile_reproduces_every_recorded_flink_run() {
    // Flink SQL has no batches and drops nothing: every row, as a multiset, must agree.
    let fixtures = root().join("tests/conformance/flink/fixtures");
    let kinds = [
        ("inner", "flink-sql-impressions-clicks"),
        ("left_outer", "flink-sql-impressions-clicks-left-outer"),
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for (kind, model) in kinds {
        let spec = JoinSpec::load(&root().join(format!("models/{model}.toml"))).expect("flink model loads");
        let dir = fixtures.join(kind);
        let mut outs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".out.jsonl"))
            .collect();
        outs.sort();
        for out in outs {
            let name = out
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".out.jsonl")
                .to_owned();
            let trace = Trace::load(&fixtures.join("traces").join(format!("{name}.jsonl"))).expect("fixture trace");
            let real = trace
                .parse_outputs(
                    &std::fs::read_to_string(&out).expect("fixture output"),
                    &out.display().to_string(),
                )
                .expect("fixture output parses");
            let mut engine = engine::for_spec(&spec);
            let (emitted, _) = engine::run(engine.as_mut(), &trace);
            let rows = |rows: &[Emitted]| {
                let mut v: Vec<Output> = rows
                    .iter()
                    .map(|e| e.output)
                    .filter(|o| !matches!(o, Output::Late(_)))
                    .collect();
                v.sort();
                v
            };
            if rows(&emitted) != rows(&real) {
                let words = |v: &[Output]| {
                    v.iter()
                        .map(|o| joincheck::report::output_words(&trace, o))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                failures.push(format!(
                    "{kind}/{name}:\n  profile: {}\n  flink:   {}",
                    words(&rows(&emitted)),
                    words(&rows(&real))
                ));
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 60,
        "only {checked} recorded Flink runs found under {}",
        fixtures.display()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} recorded runs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
