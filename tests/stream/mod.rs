//! Streaming `oracle` and `diff` (`joincheck::oracle::stream`): the same rows and the same verdicts as
//! the whole-trace oracle (`differential_*`), on every bundled model the stream serves and on
//! every join kind; bad input is an error at the same line. Spark's prediction streams for
//! `oracle`, line for line the whole-trace prediction (`spark_*`); `diff` against a prediction
//! and Flink SQL's prediction refuse `--stream`.

use crate::conformance::fixtures::load;
use crate::support::{joincheck, root, TempDir};
use joincheck::event::{Emitted, Position, Side};
use joincheck::model::{JoinKind, JoinSpec, WatermarkSource};
use joincheck::oracle::stream;
use joincheck::oracle::Analysis;
use joincheck::time::Duration;
use joincheck::trace::{Step, Trace};

/// Every bundled model whose oracle streams, and the reference model in every join kind.
fn streamed_models() -> Vec<JoinSpec> {
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(root().join("models")).expect("models/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let spec = JoinSpec::load(&path).expect("a bundled model loads");
            if stream::streamable(&spec, stream::Command::Diff) {
                specs.push(spec);
            }
        }
    }
    let reference = JoinSpec::load(&root().join("models/reference-impressions-clicks.toml")).expect("loads");
    for kind in [
        JoinKind::LeftOuter,
        JoinKind::RightOuter,
        JoinKind::FullOuter,
        JoinKind::LeftSemi,
    ] {
        let mut spec = reference.clone();
        spec.params.kind = kind;
        spec.name = format!("reference-{}", kind.name());
        specs.push(spec);
    }
    assert!(specs.len() >= 9, "{} models", specs.len());
    specs
}

/// Appends a simulated record with names: key `k<n>`, id `i<n>` (left) or `c<n>` (right).
fn push_named(t: &mut Trace, r: &joincheck::event::Record) {
    let prefix = if r.side == Side::Left { "i" } else { "c" };
    t.push_record(
        r.side,
        &format!("k{}", r.key.0),
        r.ts.as_millis(),
        &format!("{prefix}{}", r.id.0),
    );
}

/// A busy seeded workload as a named trace; for models that read explicit watermarks, one
/// watermark step on both inputs after every 5 records (the largest time seen minus 10m).
fn workload_trace(seed: u64, explicit: bool) -> Trace {
    let w = crate::sim::busy();
    let mut t = Trace::new();
    let mut max = i64::MIN;
    let mut n = 0;
    for step in w.steps(seed, 300) {
        match step {
            Step::Record(r) => {
                push_named(&mut t, &r);
                max = max.max(r.ts.as_millis());
                n += 1;
                if explicit && n % 5 == 0 {
                    let wm =
                        joincheck::time::EventTime::from_millis(max).saturating_sub(Duration::from_millis(600_000));
                    t.push(Step::Watermark {
                        side: None,
                        ts: joincheck::time::Watermark::at(wm),
                    });
                }
            }
            Step::Batch => {}
            other => t.push(other),
        }
    }
    t
}

/// The streamed oracle's rows for `trace`, sorted.
fn streamed_rows(spec: &JoinSpec, trace: &Trace) -> Vec<String> {
    let text = trace.to_jsonl();
    let mut rows = Vec::new();
    stream::oracle(spec, text.as_bytes(), "t.jsonl", &mut |row| {
        rows.push(String::from_utf8(row.to_vec()).expect("UTF-8"));
        Ok(())
    })
    .expect("a good trace streams");
    rows.sort();
    rows
}

/// The whole-trace oracle's rows for `trace`, sorted.
fn whole_rows(spec: &JoinSpec, trace: &Trace) -> Vec<String> {
    let mut rows: Vec<String> = Analysis::new(spec.params, trace)
        .expected()
        .iter()
        .map(|o| trace.output_json(o, Position::default()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn differential_stream_oracle_matches_the_whole_trace_oracle() {
    let mut bundled = Vec::new();
    for entry in std::fs::read_dir(root().join("models/traces")).expect("models/traces") {
        bundled.push(Trace::load(&entry.expect("an entry").path()).expect("a bundled trace loads"));
    }
    let mut compared = 0;
    for spec in streamed_models() {
        let explicit = spec.params.watermark.source == WatermarkSource::Trace;
        let traces = (0..12)
            .map(|seed| workload_trace(seed, explicit))
            .chain(bundled.iter().cloned());
        for (i, trace) in traces.enumerate() {
            if spec.check_trace(&trace, "t.jsonl").is_err() {
                continue;
            }
            let whole = whole_rows(&spec, &trace);
            assert_eq!(streamed_rows(&spec, &trace), whole, "{}, trace {i}", spec.name);
            compared += usize::from(!whole.is_empty());
        }
    }
    assert!(compared >= 100, "only {compared} comparisons had rows");
}

/// Rows as `Emitted` values of `trace`, for the whole-trace diff.
fn emitted(trace: &Trace, rows: &[String]) -> Vec<Emitted> {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    trace.parse_outputs(&text, "actual.jsonl").expect("rows of this trace")
}

#[test]
fn differential_stream_diff_gives_the_whole_trace_verdict() {
    let spec = JoinSpec::load(&root().join("models/reference-impressions-clicks-left-outer.toml")).expect("loads");
    let mut differing = 0;
    for seed in 0..10 {
        let trace = workload_trace(seed, false);
        let text = trace.to_jsonl();
        let rows = whole_rows(&spec, &trace);
        assert!(rows.len() > 10, "seed {seed}: a workload with rows");
        // The oracle's own rows (reversed), one missing, one twice, one swapped for another
        // record's null row, and a match the join does not allow.
        let mut variants = vec![rows.iter().rev().cloned().collect::<Vec<_>>()];
        variants.push(rows[1..].to_vec());
        variants.push([rows.clone(), vec![rows[seed as usize % rows.len()].clone()]].concat());
        let lefts: Vec<&str> = trace
            .records()
            .iter()
            .filter(|r| r.side == Side::Left)
            .map(|r| trace.name(r.id))
            .collect();
        let rights: Vec<&str> = trace
            .records()
            .iter()
            .filter(|r| r.side == Side::Right)
            .map(|r| trace.name(r.id))
            .collect();
        variants.push(
            [
                rows[1..].to_vec(),
                vec![format!(r#"{{"type":"unmatched","side":"left","id":"{}"}}"#, lefts[0])],
            ]
            .concat(),
        );
        variants.push(
            [
                rows.clone(),
                vec![format!(
                    r#"{{"type":"match","left":"{}","right":"{}"}}"#,
                    lefts[0],
                    rights[rights.len() - 1]
                )],
            ]
            .concat(),
        );
        for (v, actual) in variants.iter().enumerate() {
            let whole = Analysis::new(spec.params, &trace)
                .diff_with(&emitted(&trace, &rows), &emitted(&trace, actual))
                .agrees();
            let actual_text: String = actual.iter().map(|r| format!("{r}\n")).collect();
            let streamed =
                stream::diff(&spec, text.as_bytes(), "t.jsonl", actual_text.as_bytes(), "a.jsonl").expect("good files");
            assert_eq!(
                streamed.agrees(),
                whole,
                "seed {seed}, variant {v}:\n{}",
                streamed.text(10)
            );
            assert_eq!(
                (streamed.expected_rows, streamed.actual_rows),
                (rows.len() as u64, actual.len() as u64)
            );
            differing += usize::from(!whole);
        }
    }
    assert!(differing >= 30, "the variants exercise disagreement ({differing})");
}

#[test]
fn the_cli_streams_on_request_and_refuses_engine_predictions() {
    let dir = TempDir::new("stream-cli");
    let inner = "models/reference-impressions-clicks.toml";
    let trace = "models/traces/late.jsonl";
    let whole = joincheck(["oracle", "--model", inner, "--trace", trace]);
    let streamed = joincheck(["oracle", "--model", inner, "--trace", trace, "--stream"]);
    assert_eq!((whole.code, streamed.code), (Some(0), Some(0)));
    let sorted = |run: &crate::support::Run| {
        let mut l: Vec<String> = run.lines().iter().map(|s| s.to_string()).collect();
        l.sort();
        l
    };
    assert_eq!(sorted(&streamed), sorted(&whole));
    let actual = dir.write("actual.jsonl", &whole.stdout);
    let actual = actual.to_str().expect("a UTF-8 path");
    let diff = joincheck([
        "diff", "--model", inner, "--trace", trace, "--actual", actual, "--stream",
    ]);
    assert_eq!(diff.code, Some(0), "{diff:?}");
    assert!(
        diff.stdout.starts_with("agree: 4 expected rows, 4 actual rows"),
        "{diff:?}"
    );
    let short = dir.write(
        "short.jsonl",
        whole.stdout.lines().skip(1).collect::<Vec<_>>().join("\n"),
    );
    let short = short.to_str().expect("a UTF-8 path");
    let diff = joincheck([
        "diff", "--model", inner, "--trace", trace, "--actual", short, "--stream",
    ]);
    assert_eq!(diff.code, Some(1), "{diff:?}");
    assert!(diff.stdout.starts_with("missing "), "{diff:?}");

    let spark = joincheck([
        "oracle",
        "--model",
        "models/spark-impressions-clicks.toml",
        "--trace",
        "models/traces/spark-trace-a.jsonl",
        "--stream",
    ]);
    assert_eq!(spark.code, Some(0), "{spark:?}");
    let spark_whole = joincheck([
        "oracle",
        "--model",
        "models/spark-impressions-clicks.toml",
        "--trace",
        "models/traces/spark-trace-a.jsonl",
    ]);
    assert_eq!(spark.stdout, spark_whole.stdout, "line for line");
    let actual = dir.write("spark.jsonl", &spark_whole.stdout);
    for (model, command) in [
        ("models/spark-impressions-clicks.toml", "diff"),
        ("models/flink-sql-impressions-clicks.toml", "oracle"),
    ] {
        let mut args = vec![
            command,
            "--model",
            model,
            "--trace",
            "models/traces/spark-trace-a.jsonl",
            "--stream",
        ];
        if command == "diff" {
            args.extend(["--actual", actual.to_str().expect("a UTF-8 path")]);
        }
        let refused = joincheck(args);
        assert_eq!(refused.code, Some(2), "{refused:?}");
        assert!(refused.stderr.contains("field \"profile\": --stream"), "{refused:?}");
        assert_eq!(refused.stdout, "");
    }
}

/// The streamed Spark prediction, as `joincheck oracle` prints it.
fn streamed_lines(spec: &JoinSpec, text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    stream::oracle(spec, text.as_bytes(), "t.jsonl", &mut |row| {
        rows.push(String::from_utf8(row.to_vec()).expect("UTF-8"));
        Ok(())
    })
    .expect("a good trace streams");
    rows
}

/// Spark's prediction streamed is the whole-trace prediction line for line: on the bundled
/// Spark traces and the recorded real-Spark fixtures, in every join kind the profile has, and
/// on a simulated trace of 300,000 records in batches of 10,000, long enough for several
/// rounds of letting go of names (every record id is new, so any name let go of too early
/// would fail the run).
#[test]
fn spark_prediction_streams_line_for_line() {
    let spark = JoinSpec::load(&root().join("models/spark-impressions-clicks.toml")).expect("loads");
    let mut paths: Vec<_> = std::fs::read_dir(root().join("models/traces"))
        .map(|d| d.map(|e| e.expect("an entry").path()).collect())
        .unwrap_or_default();
    paths.sort();
    let bundled = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .filter_map(|path| Trace::load(path).ok());
    let recorded = load!("spark/fixtures")
        .into_iter()
        .filter_map(|t| Trace::parse(&t.text, &t.name).ok());
    let mut traces: Vec<Trace> = bundled
        .chain(recorded)
        .filter(|t| spark.check_trace(t, "t.jsonl").is_ok())
        .collect();
    assert!(traces.len() >= 20, "{} Spark traces", traces.len());
    let workload = joincheck::sim::Workload {
        batch_records: Some(10_000),
        ..joincheck::sim::Workload::default()
    };
    let mut big = Trace::new();
    for step in workload.steps(7, 300_000) {
        match step {
            Step::Record(r) => push_named(&mut big, &r),
            other => big.push(other),
        }
    }
    traces.push(big);
    let mut rows = 0;
    for kind in spark.params.profile.info().kinds.iter().copied() {
        let mut spec = spark.clone();
        spec.params.kind = kind;
        for (i, trace) in traces.iter().enumerate() {
            let whole: Vec<String> = joincheck::run::expected_outputs(&spec, trace)
                .iter()
                .map(|e| trace.output_json(&e.output, e.at))
                .collect();
            let streamed = streamed_lines(&spec, &trace.to_jsonl());
            assert!(
                streamed == whole,
                "{} trace {i}: the streamed prediction differs",
                kind.name()
            );
            rows += whole.len();
        }
    }
    assert!(rows > 50_000, "{rows} rows compared");
}

/// A record id used again while its first record can still match is an error naming the
/// line; bad lines are errors at their line, and nothing is printed; `oracle --stream` and
/// `replay --stats` say it in the same words.
#[test]
fn streamed_bad_input_is_an_error_at_its_line() {
    let dir = TempDir::new("stream-bad");
    let inner = "models/reference-impressions-clicks.toml";
    let good = r#"{"type":"record","side":"left","key":"a","ts":36000000,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":37800000,"id":"c1"}
"#;
    for (name, tail, line, field) in [
        (
            "dup",
            r#"{"type":"record","side":"left","key":"b","ts":36000001,"id":"i1"}"#,
            3,
            "id",
        ),
        ("type", r#"{"type":"recrod"}"#, 3, "type"),
        (
            "ts",
            r#"{"type":"record","side":"left","key":"b","ts":1.5,"id":"i2"}"#,
            3,
            "ts",
        ),
        ("watermark", r#"{"type":"watermark","ts":5}"#, 3, "type"),
    ] {
        let path = dir.write(&format!("{name}.jsonl"), format!("{good}{tail}\n"));
        let run = joincheck([
            "oracle".as_ref(),
            "--model".as_ref(),
            inner.as_ref(),
            "--trace".as_ref(),
            path.as_os_str(),
            "--stream".as_ref(),
        ]);
        assert_eq!(run.code, Some(2), "{name}: {run:?}");
        assert_eq!(run.stdout, "", "{name}");
        assert!(
            run.stderr
                .contains(&format!("{name}.jsonl:{line}: field \"{field}\": ")),
            "{name}: {}",
            run.stderr
        );
        // The streamed replay reads the trace through the same feed: the same sentence.
        let replayed = joincheck([
            "replay".as_ref(),
            "--model".as_ref(),
            inner.as_ref(),
            "--trace".as_ref(),
            path.as_os_str(),
            "--stats".as_ref(),
        ]);
        assert_eq!(replayed.code, Some(2), "{name}: {replayed:?}");
        assert_eq!(replayed.stderr, run.stderr, "{name}");
    }
}
