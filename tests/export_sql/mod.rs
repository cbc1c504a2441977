//! `joincheck export-sql` against the Rust oracle: the SQL, run by DuckDB (and by Spark when
//! asked), gives exactly the oracle's rows and the same loss against the ideal join, on the
//! bundled traces, recorded fixtures (the real-Spark traces, Flink's harness traces with their
//! explicit watermarks) and simulated traces, for every join kind, both policies and both
//! lateness rules.
//!
//! The engines run through `tests/export_sql/run_sql.py`, one session for every script:
//! - DuckDB with the Python that `JOINCHECK_DUCKDB_PYTHON` names, or `python3` when it imports
//!   `duckdb`. `.ci/run` installs it (PyPI `duckdb`, about 70 MB) and sets the variable; under
//!   `CI` a missing DuckDB fails the test.
//! - Spark (opt-in, about 1.3 GB): `JOINCHECK_SPARK_PYTHON` names a Python with `pyspark`, for
//!   `export_sql_spark_gives_the_oracles_rows` (`--ignored`).

use crate::conformance::fixtures::{load, TraceText};
use crate::support::{joincheck, root, TempDir};
use joincheck::event::Output;
use joincheck::model::JoinSpec;
use joincheck::oracle::ideal::loss_of_trace;
use joincheck::oracle::Analysis;
use joincheck::trace::Trace;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python to run `engine`'s scripts with, if there is one.
fn python(engine: &str) -> Option<String> {
    let (var, module) = match engine {
        "duckdb" => ("JOINCHECK_DUCKDB_PYTHON", "duckdb"),
        _ => ("JOINCHECK_SPARK_PYTHON", "pyspark"),
    };
    if let Ok(p) = std::env::var(var) {
        return Some(p);
    }
    let imports = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    imports.then(|| "python3".to_owned())
}

/// The models the export is checked on: the bundled declarative ones, and the reference join
/// in every kind with the other policy and lateness rule.
fn models(dir: &TempDir) -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = [
        "models/reference-impressions-clicks.toml",
        "models/reference-impressions-clicks-left-outer.toml",
        "models/flink-interval-impressions-clicks.toml",
        "models/flink-keyed-fixed.toml",
        "models/pathway-impressions-clicks.toml",
    ]
    .iter()
    .map(|m| root().join(m))
    .collect();
    let base = std::fs::read_to_string(root().join("models/reference-impressions-clicks.toml")).unwrap();
    for (kind, policy, lateness) in [
        ("right_outer", "max", "ts <= wm"),
        ("full_outer", "min", "ts <= wm"),
        ("left_semi", "max", "ts < wm"),
        ("full_outer", "max", "ts < wm"),
        // Each input judged by its own watermark; no lateness at all.
        ("full_outer", "per_side", "ts <= wm"),
        ("left_outer", "min", "none"),
    ] {
        let text = base
            .replace("kind = \"inner\"", &format!("kind = \"{kind}\""))
            .replace("policy = \"min\"", &format!("policy = \"{policy}\""))
            .replace("lateness = \"ts < wm\"", &format!("lateness = \"{lateness}\""));
        let spec = JoinSpec::parse(&text, "variant", "variant").expect("a variant reads");
        assert_eq!(spec.params.kind.name(), kind, "the variant is what it says");
        models.push(dir.write(&format!("{kind}-{policy}-{}.toml", lateness.len()), text));
    }
    models
}

/// Every `every`th trace of a recorded traces file, in name order, each written to a file of its
/// own under `dir/label/` (the command line reads one trace a file).
fn recorded(dir: &TempDir, label: &str, traces: Vec<TraceText>, every: usize) -> Vec<PathBuf> {
    let sub = dir.path().join(label);
    std::fs::create_dir_all(&sub).expect("a directory for the recorded traces");
    traces
        .into_iter()
        .step_by(every)
        .map(|t| {
            let path = sub.join(format!("{}.jsonl", t.name));
            std::fs::write(&path, t.text + "\n").expect("write a recorded trace");
            path
        })
        .collect()
}

/// The traces for a model: ones without explicit watermarks for derived models (the bundled
/// ones, every seventh recorded real-Spark trace and the simulated ones), Flink's harness
/// traces (explicit watermarks, processing time, snapshots; every 24th) for trace-watermark ones.
fn traces_for(
    spec: &JoinSpec,
    bundled: &[PathBuf],
    spark: &[PathBuf],
    simulated: &[PathBuf],
    keyed: &[PathBuf],
) -> Vec<PathBuf> {
    match spec.params.watermark.source {
        joincheck::model::WatermarkSource::Derived => [bundled, spark, simulated].concat(),
        joincheck::model::WatermarkSource::Trace => keyed.to_vec(),
    }
}

fn sorted(mut v: Vec<Output>) -> Vec<Output> {
    v.sort();
    v
}

/// Exports every `stride`th (model, trace) pair, runs the scripts in one `engine` session, and
/// returns the disagreements and how many pairs were compared.
fn compare_all(engine: &str, python: &str, stride: usize) -> (Vec<String>, usize) {
    let dir = TempDir::new(&format!("export-sql-{engine}"));
    let simulated: Vec<PathBuf> = (1..=3)
        .map(|seed| {
            let out = dir.path().join(format!("sim-{seed}.jsonl"));
            let run = joincheck([
                "simulate",
                "--model",
                "models/reference-impressions-clicks-left-outer.toml",
                "--records",
                "3000",
                "--seed",
                &seed.to_string(),
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(run.code.is_some(), "simulate ran: {}", run.stderr);
            out
        })
        .collect();
    let mut bundled: Vec<PathBuf> = std::fs::read_dir(root().join("models/traces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    bundled.sort();
    let spark = recorded(&dir, "spark", load!("spark/fixtures"), 7);
    let keyed = recorded(&dir, "keyed", load!("flink-harness/fixtures/keyed"), 24);
    let mut jobs: Vec<(PathBuf, JoinSpec, PathBuf)> = Vec::new();
    for model in models(&dir) {
        let spec = JoinSpec::load(&model).expect("model loads");
        for trace in traces_for(&spec, &bundled, &spark, &simulated, &keyed)
            .into_iter()
            .step_by(stride)
        {
            let sql = dir.path().join(format!("q{}.sql", jobs.len()));
            let run = joincheck([
                "export-sql",
                "--model",
                model.to_str().unwrap(),
                "--dialect",
                engine,
                "--trace",
                trace.to_str().unwrap(),
            ]);
            assert_eq!(run.code, Some(0), "export-sql: {}", run.stderr);
            std::fs::write(&sql, &run.stdout).unwrap();
            jobs.push((sql, spec.clone(), trace));
        }
    }
    let script = root().join("tests/export_sql/run_sql.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg(engine);
    cmd.args(jobs.iter().map(|j| &j.0));
    let out = cmd.output().expect("python runs");
    assert!(
        out.status.success(),
        "run_sql.py {engine} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    for (sql, spec, trace_path) in &jobs {
        let trace = Trace::load(trace_path).expect("trace loads");
        let what = format!("{} on {}", spec.name, trace_path.display());
        let text = std::fs::read_to_string(sql.with_extension("sql.out")).unwrap();
        let by_sql = trace
            .parse_outputs(&text, "sql rows")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let by_sql = sorted(by_sql.into_iter().map(|e| e.output).collect());
        let analysis = Analysis::new(spec.params, &trace);
        let expected = sorted(analysis.expected());
        if by_sql != expected {
            failures.push(format!(
                "{what}: rows differ ({} by SQL, {} by the oracle)",
                by_sql.len(),
                expected.len()
            ));
            continue;
        }
        let loss: Value =
            serde_json::from_str(&std::fs::read_to_string(sql.with_extension("sql.loss")).unwrap()).unwrap();
        let rust = loss_of_trace(&analysis, &expected);
        let mut ours = vec![
            ("ideal", rust.ideal),
            ("expected", rust.emitted),
            ("late_left", rust.late.left),
            ("late_right", rust.late.right),
            ("late_both", rust.late.both),
        ];
        assert_eq!(rust.evicted, 0, "the oracle's own rows lose nothing but to lateness");
        if let Some(o) = rust.outer {
            ours.extend([
                ("null_rows_ideal", o.ideal),
                ("null_rows_late", o.late),
                ("null_rows_for_lost_matches", o.for_lost_matches),
            ]);
        }
        for (field, value) in ours {
            if loss[field].as_u64() != Some(value) {
                failures.push(format!(
                    "{what}: {field} is {} by SQL, {value} by joincheck",
                    loss[field]
                ));
            }
        }
    }
    (failures, jobs.len())
}

#[test]
fn export_sql_duckdb_gives_the_oracles_rows_and_loss() {
    let Some(python) = python("duckdb") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: .ci/run installs duckdb and sets JOINCHECK_DUCKDB_PYTHON"
        );
        eprintln!("skipped: no Python with duckdb (pip install duckdb, or set JOINCHECK_DUCKDB_PYTHON)");
        return;
    };
    let (failures, compared) = compare_all("duckdb", &python, 1);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 100, "only {compared} model and trace pairs");
}

#[test]
#[ignore = "opt-in: needs pyspark (JOINCHECK_SPARK_PYTHON), about 1.3 GB"]
fn export_sql_spark_gives_the_oracles_rows_and_loss() {
    let python = python("spark").expect("JOINCHECK_SPARK_PYTHON names a Python with pyspark");
    // Every fifth pair: local Spark takes seconds per script where DuckDB takes milliseconds.
    let (failures, compared) = compare_all("spark", &python, 5);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 40, "only {compared} model and trace pairs");
}

#[test]
fn export_sql_refuses_the_profiles_that_predict_an_engine() {
    for model in [
        "models/spark-impressions-clicks.toml",
        "models/kafka-streams-impressions-clicks.toml",
    ] {
        let run = joincheck(["export-sql", "--model", model]);
        assert_eq!(run.code, Some(2), "{model}: {}", run.stdout);
        assert!(run.stderr.contains("exact prediction"), "{}", run.stderr);
    }
    // A stream that does not end owes null rows by the last watermarks, which the export
    // does not compute: refused, saying so.
    let run = joincheck(["export-sql", "--model", "models/quix-streams-interval-left.toml"]);
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(run.stderr.contains("end_of_input = \"nothing\""), "{}", run.stderr);
    let run = joincheck([
        "export-sql",
        "--model",
        "models/reference-impressions-clicks.toml",
        "--dialect",
        "postgres",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("duckdb or spark"), "{}", run.stderr);
}

/// The audit view: an implementation's output with one row missing and one too many.
#[test]
fn export_sql_audits_an_actual_output() {
    let Some(python) = python("duckdb") else {
        assert!(std::env::var_os("CI").is_none(), "CI must run this test");
        return;
    };
    let dir = TempDir::new("export-sql-audit");
    let model = "models/reference-impressions-clicks-left-outer.toml";
    let trace = root().join("models/traces/out-of-order.jsonl");
    let trace = trace.to_str().unwrap();
    let oracle = joincheck(["oracle", "--model", model, "--trace", trace]);
    let mut rows: Vec<&str> = oracle.lines();
    assert!(rows.len() >= 2, "a trace with rows: {}", oracle.stdout);
    let dropped = rows.remove(0).to_owned();
    let extra = r#"{"type":"unmatched","side":"right","id":"c1","key":"a"}"#;
    let actual = dir.write("actual.jsonl", format!("{}\n{extra}\n", rows.join("\n")));
    let actual = actual.to_str().unwrap();
    let run = joincheck(["export-sql", "--model", model, "--trace", trace, "--actual", actual]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let sql = dir.write("audit.sql", &run.stdout);
    let out = Command::new(&python)
        .arg(root().join("tests/export_sql/run_sql.py"))
        .arg("duckdb")
        .arg(&sql)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit: Vec<Value> = std::fs::read_to_string(Path::new(&format!("{}.audit", sql.display())))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dropped: Value = serde_json::from_str(&dropped).unwrap();
    let extra: Value = serde_json::from_str(extra).unwrap();
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("step");
        v.as_object_mut().unwrap().remove("batch");
        v
    };
    assert_eq!(
        audit,
        vec![
            serde_json::json!({"finding": "extra", "row": extra}),
            serde_json::json!({"finding": "missing", "row": strip(&dropped)}),
        ]
    );
}
