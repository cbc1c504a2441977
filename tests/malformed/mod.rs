//! Bad input, table-driven: every malformed model, trace or output file is run through the
//! binary and must end with exit code 2 and one message `file:line: field "x": message` (see
//! `src/error.rs`) naming the file, the 1-based line and the field or key where one applies,
//! and never with a panic.
//!
//! An empty trace file is *not* malformed: it is a trace with no steps, and end of file is
//! end of input (see `empty_traces_are_valid` below).

use crate::support::{joincheck, Run, TempDir, INNER};

/// A model with known line numbers; the cases edit one line of it.
const MODEL: &str = r#"profile = "reference"
name = "m"

[join]
kind = "inner"
bounds = "[0ms, 1h]"

[watermark]
source = "derived"
left_delay = "10m"
right_delay = "10m"
policy = "min"
lateness = "ts < wm"
"#;

/// `MODEL` with one substring replaced (which must occur).
fn model(from: &str, to: &str) -> String {
    assert!(MODEL.contains(from), "{from:?} is not in MODEL");
    MODEL.replacen(from, to, 1)
}

/// `MODEL` with a scope of one record per side whose last lines (from line 18) are `tail`.
fn with_scope(tail: &str) -> String {
    format!("{MODEL}[scope]\nkeys = [\"a\"]\nleft = 1\nright = 1\n{tail}")
}

/// The same model, with watermarks taken from the trace's explicit steps.
fn trace_source_model() -> String {
    model(r#"source = "derived""#, r#"source = "trace""#)
}

/// Two good record lines, to put a bad line at line 3.
const GOOD: &str = r#"{"type":"record","side":"left","key":"a","ts":36000000,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":37800000,"id":"c1"}
"#;

/// The trace the output files of `Input::Actual` are written against.
const LATE: &str = "models/traces/late.jsonl";

enum Input {
    /// A model file, run with `oracle` on a bundled trace.
    Model(String),
    /// A trace file, run with `oracle` under the bundled inner model.
    Trace(Vec<u8>),
    /// A trace file, run with `oracle` under the given model (written to a file too).
    TraceUnder(String, Vec<u8>),
    /// An output file, run with `diff` against `models/traces/late.jsonl`.
    Actual(Vec<u8>),
    /// A directory given where a trace file is expected.
    TraceIsDirectory,
    /// A directory given where a model file is expected.
    ModelIsDirectory,
}

struct Case {
    /// Also the stem of the file the input is written to.
    name: &'static str,
    input: Input,
    /// The 1-based line the message must name (`file:N:`), when the problem has one.
    line: Option<usize>,
    /// The field or key the message must name (`field "x"`), when one applies.
    field: Option<&'static str>,
    /// A phrase of the message.
    words: &'static str,
}

fn case(
    name: &'static str,
    input: Input,
    line: Option<usize>,
    field: Option<&'static str>,
    words: &'static str,
) -> Case {
    Case {
        name,
        input,
        line,
        field,
        words,
    }
}

fn trace(text: &str) -> Input {
    Input::Trace(text.as_bytes().to_vec())
}

fn actual(text: &str) -> Input {
    Input::Actual(text.as_bytes().to_vec())
}

fn cases() -> Vec<Case> {
    let record = |ts: &str| format!(r#"{{"type":"record","side":"left","key":"a","ts":{ts},"id":"x"}}"#) + "\n";
    vec![
        // ---- traces ------------------------------------------------------------------------
        case(
            "trace-invalid-json",
            trace(&format!("{GOOD}{{\"type\":\"record\", side}}\n")),
            Some(3),
            None,
            "not valid JSON",
        ),
        case(
            "trace-two-objects-on-a-line",
            trace(r#"{"type":"batch"}{"type":"end"}"#),
            Some(1),
            None,
            "not valid JSON",
        ),
        case(
            "trace-not-an-object",
            trace("[1, 2]\n"),
            Some(1),
            None,
            "expected a JSON object",
        ),
        case(
            "trace-a-string-line",
            trace("\n\n\"record\"\n"),
            Some(3),
            None,
            "found a string",
        ),
        case(
            "trace-unknown-step-type",
            trace(&format!("{GOOD}{{\"type\":\"jump\"}}\n")),
            Some(3),
            Some("type"),
            "unknown step type \"jump\"",
        ),
        case(
            "trace-missing-type",
            trace(r#"{"side":"left","key":"a","ts":1,"id":"x"}"#),
            Some(1),
            Some("type"),
            "missing",
        ),
        case(
            "trace-missing-ts",
            trace(r#"{"type":"record","side":"left","key":"a","id":"x"}"#),
            Some(1),
            Some("ts"),
            "missing",
        ),
        case(
            "trace-unknown-field",
            trace(&format!(
                "{GOOD}{}\n",
                r#"{"type":"record","side":"left","key":"a","ts":1,"id":"x","colour":"red"}"#
            )),
            Some(3),
            Some("colour"),
            "unknown field",
        ),
        case(
            "trace-unknown-field-on-end",
            trace(r#"{"type":"end","at":5}"#),
            Some(1),
            Some("at"),
            "unknown field",
        ),
        case(
            "trace-ts-is-a-string",
            trace(r#"{"type":"record","side":"left","key":"a","ts":"36000000","id":"x"}"#),
            Some(1),
            Some("ts"),
            "a string of digits: write integer milliseconds without quotes",
        ),
        case(
            "trace-id-is-a-number",
            trace(r#"{"type":"record","side":"left","key":"a","ts":1,"id":7}"#),
            Some(1),
            Some("id"),
            "expected a string",
        ),
        case(
            "trace-unknown-side",
            trace(r#"{"type":"record","side":"up","key":"a","ts":1,"id":"x"}"#),
            Some(1),
            Some("side"),
            "expected \"left\" or \"right\"",
        ),
        case(
            "trace-duplicate-id",
            trace(&format!(
                "{GOOD}{}\n",
                r#"{"type":"record","side":"left","key":"b","ts":36000001,"id":"i1"}"#
            )),
            Some(3),
            Some("id"),
            "used twice on the left side",
        ),
        case(
            "trace-ts-1e30",
            trace(&record("1e30")),
            Some(1),
            Some("ts"),
            "64-bit range",
        ),
        case(
            "trace-ts-twenty-digits",
            trace(&record("99999999999999999999")),
            Some(1),
            Some("ts"),
            "64-bit range",
        ),
        case(
            "trace-ts-i64-max-plus-one",
            trace(&record("9223372036854775808")),
            Some(1),
            Some("ts"),
            "64-bit range",
        ),
        case(
            "trace-ts-i64-min-minus-one",
            trace(&record("-9223372036854775809")),
            Some(1),
            Some("ts"),
            "64-bit range",
        ),
        case(
            "trace-ts-fraction",
            trace(&record("1.5")),
            Some(1),
            Some("ts"),
            "not an integer",
        ),
        case(
            "trace-watermark-moves-back",
            Input::TraceUnder(
                trace_source_model(),
                format!(
                    "{GOOD}{}\n{}\n",
                    r#"{"type":"watermark","ts":5000}"#, r#"{"type":"watermark","side":"left","ts":4999}"#
                )
                .into_bytes(),
            ),
            Some(4),
            Some("ts"),
            "left watermark moves backwards",
        ),
        case(
            "trace-processing-time-moves-back",
            trace("{\"type\":\"processing_time\",\"ts\":5}\n{\"type\":\"processing_time\",\"ts\":4}\n"),
            Some(2),
            Some("ts"),
            "processing time moves backwards",
        ),
        case(
            "trace-step-after-end",
            trace(&format!("{GOOD}{{\"type\":\"end\"}}\n{{\"type\":\"batch\"}}\n")),
            Some(4),
            Some("type"),
            "after the end of input (line 3)",
        ),
        case(
            "trace-watermark-under-derived-model",
            trace(&format!("{GOOD}{{\"type\":\"watermark\",\"ts\":5}}\n")),
            Some(3),
            Some("type"),
            "derives watermarks",
        ),
        case(
            "trace-binary-garbage",
            Input::Trace(b"{\"type\":\"batch\"}\n\xff\xfe\x00\x01garbage\x80\n".to_vec()),
            Some(2),
            None,
            "not UTF-8",
        ),
        case("trace-directory", Input::TraceIsDirectory, None, None, "is a directory"),
        // ---- models ------------------------------------------------------------------------
        case(
            "model-time-range-with-listed-times",
            Input::Model(with_scope("times = [\"0\"]\ntime_range = [\"0\", \"1h\"]\n")),
            Some(19),
            Some("scope.time_range"),
            "time_range bounds derived times",
        ),
        case(
            "model-time-range-reversed",
            Input::Model(with_scope("time_range = [\"1h\", \"0\"]\n")),
            Some(18),
            Some("scope.time_range"),
            "the first no later than the second",
        ),
        case(
            "model-origin-with-listed-times",
            Input::Model(with_scope("times = [\"0\"]\norigin = \"0\"\n")),
            Some(19),
            Some("scope.origin"),
            "origin places derived times",
        ),
        case(
            "model-origin-not-a-date",
            Input::Model(with_scope("origin = \"2026-02-30T00:00:00Z\"\n")),
            Some(18),
            Some("scope.origin"),
            "no such date or time of day",
        ),
        case(
            "model-origin-neither-date-nor-duration",
            Input::Model(with_scope("origin = \"soon\"\n")),
            Some(18),
            Some("scope.origin"),
            "or give a UTC date and time",
        ),
        case(
            "model-watermark-steps-with-derived-watermarks",
            Input::Model(with_scope("watermark_steps = 2\n")),
            Some(18),
            Some("scope.watermark_steps"),
            "explicit watermark steps do not apply",
        ),
        case(
            "model-allows-an-unknown-bug",
            Input::Model(format!("{MODEL}[expect]\nallow = [\"KAFKA-19536\"]\n")),
            Some(15),
            Some("expect.allow"),
            "unknown known bug \"KAFKA-19536\"; the reference profile has no known bugs",
        ),
        case(
            "model-allow-not-a-list",
            Input::Model(format!("{MODEL}[expect]\nallow = \"KAFKA-19536\"\n")),
            Some(15),
            Some("expect.allow"),
            "expected a list of known bugs",
        ),
        case(
            "model-verdict-as-a-list",
            Input::Model(format!("{MODEL}[expect]\nno_lost_match = [\"holds\"]\n")),
            Some(15),
            Some("expect.no_lost_match"),
            "unknown verdict [\"holds\"]; expected holds or violated",
        ),
        case(
            "model-inverted-bounds",
            Input::Model(model("[0ms, 1h]", "[2h, 1h]")),
            Some(6),
            Some("join.bounds"),
            "lower bound 2h is after upper bound 1h",
        ),
        case(
            "model-empty-window",
            Input::Model(model("[0ms, 1h]", "(0ms, 0ms]")),
            Some(6),
            Some("join.bounds"),
            "holds no offset",
        ),
        case(
            "model-bounds-not-a-window",
            Input::Model(model("[0ms, 1h]", "0ms..1h")),
            Some(6),
            Some("join.bounds"),
            "is not a window",
        ),
        case(
            "model-unknown-profile",
            Input::Model(model("\"reference\"", "\"sparkle\"")),
            Some(1),
            Some("profile"),
            "unknown value \"sparkle\"",
        ),
        // Settings the profile's engine would not honour: rejected, never silently ignored.
        case(
            "model-spark-with-trace-watermarks",
            Input::Model(model("\"reference\"", "\"spark\"").replace(r#"source = "derived""#, r#"source = "trace""#)),
            Some(9),
            Some("watermark.source"),
            "needs source = \"derived\"",
        ),
        case(
            "model-keyed-with-derived-watermarks",
            Input::Model(model("\"reference\"", "\"flink-keyed-fixed\"")),
            Some(9),
            Some("watermark.source"),
            "needs source = \"trace\"",
        ),
        case(
            "model-flink-with-max-policy",
            Input::Model(
                model("\"reference\"", "\"flink-interval\"").replace(r#"policy = "min""#, r#"policy = "max""#),
            ),
            Some(12),
            Some("watermark.policy"),
            "combines its inputs' watermarks by min",
        ),
        case(
            "model-flink-sql-with-non-strict-lateness",
            Input::Model(
                model("\"reference\"", "\"flink-sql-interval\"")
                    .replace(r#"lateness = "ts < wm""#, r#"lateness = "ts <= wm""#),
            ),
            Some(13),
            Some("watermark.lateness"),
            "judges lateness as Flink does",
        ),
        // The profiles a setting belongs to are named from the profile table.
        case(
            "model-reference-with-a-horizon",
            Input::Model(model("kind = \"inner\"", "kind = \"inner\"\nhorizon = \"1h\"")),
            Some(6),
            Some("join.horizon"),
            "keyed Flink functions (flink-keyed-ttl, flink-keyed-fixed)",
        ),
        case(
            "model-reference-with-a-grace",
            Input::Model(model("kind = \"inner\"", "kind = \"inner\"\ngrace = \"1m\"")),
            Some(6),
            Some("join.grace"),
            "grace is Kafka Streams' (kafka-streams)",
        ),
        case(
            "model-spark-with-a-knob",
            Input::Model(
                model("\"reference\"", "\"spark\"")
                    .replace("kind = \"inner\"", "kind = \"inner\"\neviction = \"per_key\""),
            ),
            Some(6),
            Some("join.eviction"),
            "reference engine (reference, quix-streams, pathway)",
        ),
        case(
            "model-unknown-join-kind",
            Input::Model(model("\"inner\"", "\"cross\"")),
            Some(5),
            Some("join.kind"),
            "unknown value \"cross\"",
        ),
        case(
            "model-unknown-key",
            Input::Model(model("kind =", "kindd =")),
            Some(5),
            Some("kindd"),
            "unknown field",
        ),
        case(
            "model-unknown-top-level-key",
            Input::Model(model("name = \"m\"", "colour = \"red\"")),
            Some(2),
            Some("colour"),
            "unknown field",
        ),
        case(
            "model-missing-profile",
            Input::Model(model("profile = \"reference\"", "")),
            None,
            Some("profile"),
            "missing field",
        ),
        case(
            "model-empty-file",
            Input::Model(String::new()),
            None,
            Some("profile"),
            "missing field",
        ),
        case(
            "model-negative-delay",
            Input::Model(model("left_delay = \"10m\"", "left_delay = \"-5m\"")),
            Some(10),
            Some("watermark.left_delay"),
            "cannot be negative",
        ),
        case(
            "model-exponent-delay",
            Input::Model(model("left_delay = \"10m\"", "left_delay = \"1e99h\"")),
            Some(10),
            Some("watermark.left_delay"),
            "unknown unit",
        ),
        case(
            "model-overflowing-delay",
            Input::Model(model(
                "right_delay = \"10m\"",
                "right_delay = \"99999999999999999999d\"",
            )),
            Some(11),
            Some("watermark.right_delay"),
            "does not fit in 64-bit",
        ),
        case(
            "model-fractional-bound",
            Input::Model(model("[0ms, 1h]", "[0ms, 1.5h]")),
            Some(6),
            Some("join.bounds"),
            "upper bound",
        ),
        case(
            "model-missing-delay",
            Input::Model(model("right_delay = \"10m\"\n", "")),
            // The message points at `source = "derived"`, which is what needs the delay.
            Some(9),
            Some("watermark.right_delay"),
            "derived watermarks need a delay",
        ),
        case(
            "model-unknown-policy",
            Input::Model(model("\"min\"", "\"avg\"")),
            Some(12),
            Some("watermark.policy"),
            "unknown value \"avg\"",
        ),
        case(
            "model-unknown-lateness",
            Input::Model(model("\"ts < wm\"", "\"ts > wm\"")),
            Some(13),
            Some("watermark.lateness"),
            "unknown value",
        ),
        case(
            "model-unknown-watermark-source",
            Input::Model(model("\"derived\"", "\"magic\"")),
            Some(9),
            Some("watermark.source"),
            "unknown value \"magic\"",
        ),
        case(
            "model-toml-syntax",
            Input::Model(model("name = \"m\"", "name = \"m")),
            Some(2),
            None,
            "",
        ),
        case("model-directory", Input::ModelIsDirectory, None, None, "is a directory"),
        // ---- output files (diff --actual), against models/traces/late.jsonl ----------------
        case(
            "actual-unknown-left-id",
            actual(r#"{"type":"match","left":"i9","right":"c1","key":"a"}"#),
            Some(1),
            Some("left"),
            "no left record with id \"i9\"",
        ),
        case(
            "actual-right-id-on-the-wrong-side",
            actual(&format!(
                "{}\n{}\n",
                r#"{"type":"match","left":"i1","right":"c1"}"#, r#"{"type":"match","left":"i2","right":"i1"}"#
            )),
            Some(2),
            Some("right"),
            "no right record with id \"i1\"",
        ),
        case(
            "actual-unknown-unmatched-id",
            actual(r#"{"type":"unmatched","side":"right","id":"nobody"}"#),
            Some(1),
            Some("id"),
            "no right record",
        ),
        case(
            "actual-bad-side",
            actual(r#"{"type":"late","side":"middle","id":"c3"}"#),
            Some(1),
            Some("side"),
            "expected \"left\" or \"right\"",
        ),
        case(
            "actual-wrong-key",
            actual(r#"{"type":"match","left":"i1","right":"c1","key":"b"}"#),
            Some(1),
            Some("key"),
            "not the key of the named record",
        ),
        case(
            "actual-unknown-type",
            actual(r#"{"type":"maybe","left":"i1"}"#),
            Some(1),
            Some("type"),
            "unknown output type",
        ),
        case(
            "actual-negative-step",
            actual(r#"{"type":"match","left":"i1","right":"c1","step":-1}"#),
            Some(1),
            Some("step"),
            "non-negative integer",
        ),
        case(
            "actual-unknown-field",
            actual(r#"{"type":"match","left":"i1","right":"c1","weight":2}"#),
            Some(1),
            Some("weight"),
            "unknown field",
        ),
        case(
            "actual-invalid-json",
            actual("{\"type\":\"match\",\"left\":\"i1\",\"right\":\"c1\"}\n\n{\"type\":\n"),
            Some(3),
            None,
            "not valid JSON",
        ),
    ]
}

/// Writes the case's files, runs the binary, and returns the run and the name of the bad file.
/// With `stream`, trace files go through `oracle --stream` (see `joincheck::oracle::stream`).
fn run_case(dir: &TempDir, c: &Case, stream: bool) -> (Run, String) {
    let write_model = |text: &str| dir.write(&format!("{}.toml", c.name), text);
    let write_trace = |bytes: &[u8]| dir.write(&format!("{}.jsonl", c.name), bytes);
    let (args, bad): (Vec<std::ffi::OsString>, std::path::PathBuf) = match &c.input {
        Input::Model(text) => {
            let m = write_model(text);
            (
                vec![
                    "oracle".into(),
                    "--model".into(),
                    m.clone().into(),
                    "--trace".into(),
                    LATE.into(),
                ],
                m,
            )
        }
        Input::Trace(bytes) => {
            let t = write_trace(bytes);
            (
                vec![
                    "oracle".into(),
                    "--model".into(),
                    INNER.into(),
                    "--trace".into(),
                    t.clone().into(),
                ],
                t,
            )
        }
        Input::TraceUnder(text, bytes) => {
            let m = dir.write(&format!("{}-model.toml", c.name), text);
            let t = write_trace(bytes);
            (
                vec![
                    "oracle".into(),
                    "--model".into(),
                    m.into(),
                    "--trace".into(),
                    t.clone().into(),
                ],
                t,
            )
        }
        Input::Actual(bytes) => {
            let a = write_trace(bytes);
            (
                vec![
                    "diff".into(),
                    "--model".into(),
                    INNER.into(),
                    "--trace".into(),
                    LATE.into(),
                    "--actual".into(),
                    a.clone().into(),
                ],
                a,
            )
        }
        Input::TraceIsDirectory => {
            let d = dir.path().join(c.name);
            std::fs::create_dir_all(&d).expect("create a directory");
            (
                vec![
                    "oracle".into(),
                    "--model".into(),
                    INNER.into(),
                    "--trace".into(),
                    d.clone().into(),
                ],
                d,
            )
        }
        Input::ModelIsDirectory => {
            let d = dir.path().join(c.name);
            std::fs::create_dir_all(&d).expect("create a directory");
            (
                vec![
                    "oracle".into(),
                    "--model".into(),
                    d.clone().into(),
                    "--trace".into(),
                    LATE.into(),
                ],
                d,
            )
        }
    };
    let name = bad.file_name().expect("a file name").to_string_lossy().into_owned();
    let mut args = args;
    if stream {
        args.push("--stream".into());
    }
    (joincheck(args), name)
}

#[test]
fn malformed_inputs_exit_2_with_file_line_and_field() {
    let dir = TempDir::new("malformed");
    let cases = cases();
    assert!(cases.len() >= 14);
    let mut failures = Vec::new();
    // Every case as it is, and every trace case again through the streaming reader.
    let streamed = cases.iter().filter(|c| {
        matches!(&c.input, Input::Trace(_) | Input::TraceIsDirectory)
            || matches!(&c.input, Input::TraceUnder(model, _) if !model.contains("spark"))
    });
    let runs = cases.iter().map(|c| (c, false)).chain(streamed.map(|c| (c, true)));
    for (c, stream) in runs {
        let (run, file) = run_case(&dir, c, stream);
        let err = &run.stderr;
        let mut problems = Vec::new();
        if run.code != Some(2) {
            problems.push(format!("exit code {:?}, not 2", run.code));
        }
        if err.contains("panicked") {
            problems.push("panicked".to_owned());
        }
        if !run.stdout.is_empty() {
            problems.push(format!("printed to stdout: {:?}", run.stdout));
        }
        if !err.starts_with("joincheck: error: ") {
            problems.push("stderr does not start with \"joincheck: error: \"".to_owned());
        }
        match c.line {
            Some(line) if !err.contains(&format!("{file}:{line}: ")) => {
                problems.push(format!("does not name {file}:{line}:"));
            }
            None if !err.contains(&file) => problems.push(format!("does not name {file}")),
            _ => {}
        }
        if let Some(field) = c.field {
            if !err.contains(&format!("field \"{field}\": ")) {
                problems.push(format!("does not name field \"{field}\""));
            }
        }
        if !err.contains(c.words) {
            problems.push(format!("does not say {:?}", c.words));
        }
        if !problems.is_empty() {
            let how = if stream { " (--stream)" } else { "" };
            failures.push(format!("{}{how}: {}\n    stderr: {err}", c.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn empty_traces_are_valid() {
    // An empty trace is a trace with no steps: end of file is end of input. So are blank lines
    // only, and a lone `end`. The oracle expects nothing, and replay agrees.
    let dir = TempDir::new("empty-trace");
    for (name, text) in [
        ("empty.jsonl", ""),
        ("blank.jsonl", "\n   \n\n"),
        ("only-end.jsonl", "{\"type\":\"end\"}\n"),
    ] {
        let t = dir.write(name, text);
        let run = joincheck([
            "oracle".as_ref(),
            "--model".as_ref(),
            INNER.as_ref(),
            "--trace".as_ref(),
            t.as_os_str(),
        ]);
        assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""), "{name}: {run:?}");
        let run = joincheck([
            "replay".as_ref(),
            "--model".as_ref(),
            INNER.as_ref(),
            "--trace".as_ref(),
            t.as_os_str(),
        ]);
        // Exit 0: the engine agrees with the (empty) oracle and holds nothing at the end.
        assert_eq!(run.code, Some(0), "{name}: {run:?}");
        assert!(run.stdout.contains("oracle: agree"), "{name}: {run:?}");
    }
}

#[test]
fn extreme_but_valid_times_are_not_errors() {
    // i64::MIN and i64::MAX are ordinary event times: no error, no panic, no overflow.
    let dir = TempDir::new("extreme-times");
    let t = dir.write(
        "extremes.jsonl",
        r#"{"type":"record","side":"left","key":"a","ts":9223372036854775807,"id":"x"}
{"type":"record","side":"right","key":"a","ts":9223372036854775807,"id":"y"}
{"type":"record","side":"left","key":"a","ts":-9223372036854775808,"id":"z"}
{"type":"record","side":"right","key":"b","ts":-9223372036854775808,"id":"w"}
"#,
    );
    for model in [INNER, crate::support::LEFT_OUTER] {
        for cmd in ["oracle", "replay"] {
            let run = joincheck([
                cmd.as_ref(),
                "--model".as_ref(),
                model.as_ref(),
                "--trace".as_ref(),
                t.as_os_str(),
            ]);
            assert_eq!(run.code, Some(0), "{cmd} {model}: {run:?}");
            assert!(!run.stderr.contains("panicked"), "{cmd} {model}: {run:?}");
        }
    }
    // x and y are both at +inf: offset 0, a match; z and w come after the watermarks moved to
    // +inf - 10m, so they are late.
    let run = joincheck([
        "oracle".as_ref(),
        "--model".as_ref(),
        INNER.as_ref(),
        "--trace".as_ref(),
        t.as_os_str(),
    ]);
    let mut lines = run.lines();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            r#"{"type":"late","side":"left","id":"z","key":"a"}"#,
            r#"{"type":"late","side":"right","id":"w","key":"b"}"#,
            r#"{"type":"match","left":"x","right":"y","key":"a"}"#,
        ]
    );
}

// ---- regressions: defects found while writing this table, fixed in src/ -------------------------

#[test]
// src/spec.rs named the value (`5`) as the field; only "unknown/missing field" messages name keys.
fn toml_type_errors_name_the_key() {
    let dir = TempDir::new("toml-type");
    let m = dir.write("name-type.toml", model("name = \"m\"", "name = 5"));
    let run = joincheck([
        "oracle".as_ref(),
        "--model".as_ref(),
        m.as_os_str(),
        "--trace".as_ref(),
        LATE.as_ref(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("name-type.toml:2: field \"name\": "),
        "{}",
        run.stderr
    );
}

#[test]
// src/cli.rs made InputError its own source, so `{e:#}` in main printed it twice.
fn the_error_message_is_printed_once() {
    let dir = TempDir::new("error-once");
    let t = dir.write("bad.jsonl", "{\"type\":\"jump\"}\n");
    let run = joincheck([
        "oracle".as_ref(),
        "--model".as_ref(),
        INNER.as_ref(),
        "--trace".as_ref(),
        t.as_os_str(),
    ]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr.matches("unknown step type").count(), 1, "{}", run.stderr);
}

/// The commands that write files (`simulate --out/--svg`, `check --out`) read all their input
/// first: a bad model stops them with exit 2 before anything is written, even when a good
/// model that writes counterexamples (the canary's) comes first on the command line.
#[test]
fn bad_input_leaves_no_output_file() {
    let dir = TempDir::new("no-partial-output");
    let mut failures = Vec::new();
    let models: Vec<Case> = cases()
        .into_iter()
        .filter(|c| matches!(c.input, Input::Model(_)))
        .collect();
    assert!(models.len() >= 10, "{} model cases", models.len());
    for c in &models {
        let Input::Model(text) = &c.input else { unreachable!() };
        let bad = dir.write(&format!("{}.toml", c.name), text);
        let out = dir.path().join(format!("{}-out", c.name));
        let runs = [
            vec![
                "simulate".into(),
                "--model".into(),
                bad.clone().into_os_string(),
                "--records".into(),
                "1000".into(),
                "--out".into(),
                out.join("trace.jsonl").into_os_string(),
                "--svg".into(),
                out.join("state.svg").into_os_string(),
            ],
            vec![
                "check".into(),
                "models/canary-impressions-clicks.toml".into(),
                bad.clone().into_os_string(),
                "--out".into(),
                out.clone().into_os_string(),
            ],
        ];
        // The output folder exists (so a file could be created in it) and must stay empty.
        std::fs::create_dir_all(&out).expect("create the output folder");
        for args in runs {
            let command = args[0].to_string_lossy().into_owned();
            let run = joincheck(args);
            let left: Vec<_> = std::fs::read_dir(&out)
                .expect("read the output folder")
                .map(|e| e.expect("an entry").file_name())
                .collect();
            if run.code != Some(2) || !run.stdout.is_empty() || !left.is_empty() {
                failures.push(format!(
                    "{} ({command}): exit {:?}, stdout {:?}, left behind {left:?}",
                    c.name, run.code, run.stdout
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
