//! The `joincheck` binary end to end: `oracle` on every bundled trace (expected lines worked
//! out by hand), `diff` exit codes and reasons, `replay` exit codes and `--json` lines.
//!
//! The hand computations use the semantics of `src/oracle.rs`, with the bundled models:
//! a click (right) matches an impression (left) with the same key when
//! `0 <= click.ts - impression.ts <= 1h` (both ends inclusive); each input's watermark is the
//! largest event time seen on it minus 10m, `-inf` before it has data; the join watermark is
//! the smaller of the two; a record is late when its `ts` is strictly behind the join watermark
//! met on arrival. Times in the comments are clock times: 36000000 ms is 10:00.

use crate::support::{joincheck, trace, Run, TempDir, INNER, LEFT_OUTER};

/// Runs `joincheck oracle` and returns its lines, after checking it succeeded quietly.
fn oracle(model: &str, trace_file: &str) -> Vec<String> {
    let run = joincheck(["oracle", "--model", model, "--trace", trace_file]);
    assert_eq!(run.code, Some(0), "oracle {model} {trace_file}: {run:?}");
    assert_eq!(run.stderr, "", "oracle {model} {trace_file} wrote to stderr");
    run.lines().into_iter().map(str::to_owned).collect()
}

/// Asserts that `actual` holds exactly the `expected` lines, each as often (outputs are a
/// multiset: order carries no meaning).
fn assert_same_lines(actual: &[String], expected: &[&str], what: &str) {
    let mut a: Vec<&str> = actual.iter().map(String::as_str).collect();
    let mut e = expected.to_vec();
    a.sort_unstable();
    e.sort_unstable();
    assert_eq!(a, e, "{what}");
}

// ---------------------------------------------------------------------------------------------
// oracle, inner join (models/reference-impressions-clicks.toml)

#[test]
fn oracle_in_order() {
    // i1 a@10:00 (wm -inf), c1 a@10:30 (wm min(09:50, -inf) = -inf), i2 b@10:40 (wm
    // min(09:50, 10:20) = 09:50), c2 b@10:45 (wm min(10:30, 10:20) = 10:20): nothing is late.
    let expected = [
        // c1 is 30m after i1, same key a: inside [0, 1h].
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c2 is 5m after i2, same key b. (i1/c2 and i2/c1 differ in key.)
        r#"{"type":"match","left":"i2","right":"c2","key":"b"}"#,
    ];
    let lines = oracle(INNER, &trace("in-order"));
    assert_same_lines(&lines, &expected, "in-order, inner");
}

#[test]
fn oracle_out_of_order() {
    // c1 a@10:20 arrives first (wm -inf); i1 a@10:05 (wm min(-inf, 10:10) = -inf);
    // i2 b@10:15 (wm min(09:55, 10:10) = 09:55); c2 b@10:12 and c3 b@10:16 (wm
    // min(10:05, 10:10) = 10:05): every record is on time.
    let expected = [
        // c1 is 15m after i1, although it arrived before it: match.
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c3 is 1m after i2: match.
        r#"{"type":"match","left":"i2","right":"c3","key":"b"}"#,
        // (c2 is 3m *before* i2: offset -3m is outside [0, 1h], no match; inner join, so no
        // row for it at all.)
    ];
    let lines = oracle(INNER, &trace("out-of-order"));
    assert_same_lines(&lines, &expected, "out-of-order, inner");
}

#[test]
fn oracle_late() {
    // i1 a@10:00 (wm -inf), c1 a@10:30 (-inf), i2 b@12:00 (min(09:50, 10:20) = 09:50),
    // c2 b@12:10 (min(11:50, 10:20) = 10:20), c3 a@11:40 (min(11:50, 12:00) = 11:50),
    // i4 d@11:50 (11:50), c4 d@12:05 (11:50).
    let expected = [
        // c1 is 30m after i1.
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c2 is 10m after i2.
        r#"{"type":"match","left":"i2","right":"c2","key":"b"}"#,
        // i4 is exactly at the watermark (11:50 < 11:50 is false): on time; c4 is 15m after.
        r#"{"type":"match","left":"i4","right":"c4","key":"d"}"#,
        // c3 at 11:40 is behind the join watermark 11:50: late, dropped (it would have been
        // 1h40m after i1 anyway).
        r#"{"type":"late","side":"right","id":"c3","key":"a"}"#,
    ];
    let lines = oracle(INNER, &trace("late"));
    assert_same_lines(&lines, &expected, "late, inner");
}

#[test]
fn oracle_duplicate_keys() {
    // All four records share key a: i1@10:00, i2@10:20, c1@10:30, c2@11:10. Join watermarks
    // on arrival: -inf, -inf, -inf, min(10:10, 10:20) = 10:10; nothing is late.
    let expected = [
        // c1 is 30m after i1.
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c1 is 10m after i2: one click joins two impressions.
        r#"{"type":"match","left":"i2","right":"c1","key":"a"}"#,
        // c2 is 50m after i2.
        r#"{"type":"match","left":"i2","right":"c2","key":"a"}"#,
        // (c2 is 1h10m after i1: outside, no match.)
    ];
    let lines = oracle(INNER, &trace("duplicate-keys"));
    assert_same_lines(&lines, &expected, "duplicate-keys, inner");
}

#[test]
fn oracle_hour_boundary() {
    // i1 a@10:00, i2 b@10:00, c1 a@11:00, c2 b@11:00:00.001; join watermarks on arrival
    // -inf, -inf, -inf, 09:50: nothing is late.
    let expected = [
        // c1 is exactly 1h after i1: the upper bound is inclusive, match.
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // (c2 is 1h1ms after i2: no match, and an inner join prints no row for either.)
    ];
    let lines = oracle(INNER, &trace("hour-boundary"));
    assert_same_lines(&lines, &expected, "hour-boundary, inner");
}

// ---------------------------------------------------------------------------------------------
// oracle, left outer join (models/reference-impressions-clicks-left-outer.toml)

#[test]
fn oracle_left_outer_hour_boundary() {
    let expected = [
        // exactly 1h: inclusive, match.
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c2 is 1h1ms after i2, so i2 has no valid match: one null-padded row. (c2 has none
        // either, but a left outer join pads only the left.)
        r#"{"type":"unmatched","side":"left","id":"i2","key":"b"}"#,
    ];
    let lines = oracle(LEFT_OUTER, &trace("hour-boundary"));
    assert_same_lines(&lines, &expected, "hour-boundary, left outer");
}

#[test]
fn oracle_left_outer_late() {
    // Every impression of late.jsonl has a click, and the one late record is a click: the
    // left outer join emits exactly what the inner join emits, and no unmatched row.
    let expected = [
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        r#"{"type":"match","left":"i2","right":"c2","key":"b"}"#,
        r#"{"type":"match","left":"i4","right":"c4","key":"d"}"#,
        r#"{"type":"late","side":"right","id":"c3","key":"a"}"#,
    ];
    let lines = oracle(LEFT_OUTER, &trace("late"));
    assert_same_lines(&lines, &expected, "late, left outer");
}

#[test]
fn oracle_left_outer_out_of_order() {
    // Both impressions match (i1+c1, i2+c3); c2 has no partner but is on the right, which a
    // left outer join does not pad.
    let expected = [
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        r#"{"type":"match","left":"i2","right":"c3","key":"b"}"#,
    ];
    let lines = oracle(LEFT_OUTER, &trace("out-of-order"));
    assert_same_lines(&lines, &expected, "out-of-order, left outer");
}

/// A trace written for the left outer join: an impression without clicks, an impression whose
/// only click comes before it, a late impression, and an inclusive-bound match.
const OUTER_TRACE: &str = r#"{"type":"record","side":"left","key":"a","ts":36000000,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":37800000,"id":"c1"}
{"type":"record","side":"left","key":"b","ts":36300000,"id":"i2"}
{"type":"record","side":"right","key":"a","ts":43200000,"id":"c2"}
{"type":"record","side":"left","key":"c","ts":43200000,"id":"i3"}
{"type":"record","side":"left","key":"d","ts":39600000,"id":"i4"}
{"type":"record","side":"right","key":"c","ts":46800000,"id":"c3"}
{"type":"record","side":"right","key":"e","ts":43140000,"id":"c5"}
{"type":"record","side":"left","key":"e","ts":43200000,"id":"i5"}
{"type":"end"}
"#;

// Arrivals (join watermark met on arrival, from the 10m delays and min):
//   0 i1 a@10:00  wm -inf                          left wm 09:50
//   1 c1 a@10:30  wm min(09:50, -inf)  = -inf      right wm 10:20
//   2 i2 b@10:05  wm min(09:50, 10:20) = 09:50     left wm 09:55
//   3 c2 a@12:00  wm min(09:55, 10:20) = 09:55     right wm 11:50
//   4 i3 c@12:00  wm min(09:55, 11:50) = 09:55     left wm 11:50
//   5 i4 d@11:00  wm min(11:50, 11:50) = 11:50  -> late
//   6 c3 c@13:00  wm 11:50                         right wm 12:50
//   7 c5 e@11:59  wm min(11:50, 12:50) = 11:50
//   8 i5 e@12:00  wm 11:50

#[test]
fn oracle_left_outer_written_trace() {
    let dir = TempDir::new("cli-outer");
    let path = dir.write("outer.jsonl", OUTER_TRACE);
    let path = path.to_str().expect("a UTF-8 temporary path");
    let lines = oracle(LEFT_OUTER, path);
    let expected = [
        // c1 is 30m after i1. (c2, also key a, is 2h after i1: outside.)
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        // c3 is exactly 1h after i3: inclusive, match.
        r#"{"type":"match","left":"i3","right":"c3","key":"c"}"#,
        // i2 (key b) has no click at all: null-padded.
        r#"{"type":"unmatched","side":"left","id":"i2","key":"b"}"#,
        // i5's only click c5 is 1m *before* it (offset -1m < 0): null-padded.
        r#"{"type":"unmatched","side":"left","id":"i5","key":"e"}"#,
        // i4 at 11:00 is behind the join watermark 11:50: late, and a late record gets no
        // null-padded row.
        r#"{"type":"late","side":"left","id":"i4","key":"d"}"#,
    ];
    assert_same_lines(&lines, &expected, "written trace, left outer");

    // The inner join on the same trace: the same matches and late row, no padding.
    let lines = oracle(INNER, path);
    let expected = [
        r#"{"type":"match","left":"i1","right":"c1","key":"a"}"#,
        r#"{"type":"match","left":"i3","right":"c3","key":"c"}"#,
        r#"{"type":"late","side":"left","id":"i4","key":"d"}"#,
    ];
    assert_same_lines(&lines, &expected, "written trace, inner");
}

// ---------------------------------------------------------------------------------------------
// diff

const ALL_TRACES: [&str; 5] = ["in-order", "out-of-order", "late", "duplicate-keys", "hour-boundary"];

/// Runs `joincheck diff` with `actual` written to a temporary file.
fn diff(model: &str, trace_file: &str, actual: &str) -> Run {
    let dir = TempDir::new("cli-diff");
    let path = dir.write("actual.jsonl", actual);
    joincheck([
        "diff".as_ref(),
        "--model".as_ref(),
        model.as_ref(),
        "--trace".as_ref(),
        trace_file.as_ref(),
        "--actual".as_ref(),
        path.as_os_str(),
    ])
}

/// The oracle's own output for a bundled trace, as one text.
fn oracle_text(model: &str, stem: &str) -> String {
    oracle(model, &trace(stem)).iter().map(|l| format!("{l}\n")).collect()
}

/// Asserts exit 1, and a stdout line starting with `label` that contains every one of `words`.
fn assert_differs(run: &Run, label: &str, words: &[&str]) {
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(label) && words.iter().all(|w| l.contains(w))),
        "no {label:?} line with {words:?} in:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().last().unwrap_or("").starts_with("differ:"),
        "the last line is the verdict:\n{}",
        run.stdout
    );
}

#[test]
fn diff_agrees_with_the_oracles_own_output() {
    for model in [INNER, LEFT_OUTER] {
        for stem in ALL_TRACES {
            let run = diff(model, &trace(stem), &oracle_text(model, stem));
            assert_eq!(run.code, Some(0), "{model} {stem}: {run:?}");
            // What the rows keep of the ideal join comes first; the verdict is the last line.
            assert!(run.stdout.starts_with("ideal join:"), "{model} {stem}: {run:?}");
            assert!(
                run.stdout.lines().last().unwrap_or("").starts_with("agree:"),
                "{model} {stem}: {run:?}"
            );
            assert_eq!(run.stderr, "");
        }
    }
}

#[test]
fn diff_ignores_order_and_positions() {
    // Reversed, with the optional "step" / "batch" fields and without "key": still agrees.
    let actual = r#"{"type":"late","side":"right","id":"c3","step":4}
{"type":"match","left":"i4","right":"c4","key":"d","batch":0}
{"type":"match","left":"i2","right":"c2","key":"b","step":3}
{"type":"match","left":"i1","right":"c1"}
"#;
    let run = diff(INNER, &trace("late"), actual);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("4 expected rows, 4 actual rows"), "{run:?}");
}

#[test]
fn diff_reports_a_missing_match() {
    let actual = oracle_text(INNER, "late").replace(
        "{\"type\":\"match\",\"left\":\"i4\",\"right\":\"c4\",\"key\":\"d\"}\n",
        "",
    );
    let run = diff(INNER, &trace("late"), &actual);
    assert_differs(&run, "missing", &["match i4+c4", "15m", "on time"]);
    assert!(run.stdout.contains("1 missing, 0 extra, 0 duplicated"), "{run:?}");
}

#[test]
fn diff_reports_a_missing_late_row() {
    let actual: String = oracle_text(INNER, "late")
        .lines()
        .filter(|l| !l.starts_with(r#"{"type":"late""#))
        .map(|l| format!("{l}\n"))
        .collect();
    let run = diff(INNER, &trace("late"), &actual);
    assert_differs(&run, "missing", &["late c3", "late", "11:40", "11:50"]);
}

#[test]
fn diff_reports_an_empty_actual_as_all_missing() {
    let run = diff(INNER, &trace("in-order"), "");
    assert_differs(&run, "missing", &["match i1+c1"]);
    assert!(run.stdout.contains("2 missing"), "{run:?}");
}

#[test]
fn diff_reports_a_pair_outside_the_bounds() {
    // hour-boundary: c2 is 1h1ms after i2.
    let actual =
        oracle_text(INNER, "hour-boundary") + "{\"type\":\"match\",\"left\":\"i2\",\"right\":\"c2\",\"key\":\"b\"}\n";
    let run = diff(INNER, &trace("hour-boundary"), &actual);
    assert_differs(&run, "extra", &["match i2+c2", "outside", "[0ms, 1h]"]);
    assert!(run.stdout.contains("0 missing, 1 extra, 0 duplicated"), "{run:?}");
}

#[test]
fn diff_reports_a_matched_late_record() {
    // late: c3 (11:40) arrived behind the join watermark 11:50.
    let actual = oracle_text(INNER, "late") + "{\"type\":\"match\",\"left\":\"i1\",\"right\":\"c3\",\"key\":\"a\"}\n";
    let run = diff(INNER, &trace("late"), &actual);
    assert_differs(&run, "extra", &["match i1+c3", "late", "11:40 < watermark 11:50"]);
}

#[test]
fn diff_reports_a_pair_with_different_keys() {
    let actual = oracle_text(INNER, "in-order") + "{\"type\":\"match\",\"left\":\"i1\",\"right\":\"c2\"}\n";
    let run = diff(INNER, &trace("in-order"), &actual);
    assert_differs(&run, "extra", &["match i1+c2", "keys differ"]);
}

#[test]
fn diff_reports_padding_an_inner_join_never_does() {
    let actual = oracle_text(INNER, "hour-boundary")
        + "{\"type\":\"unmatched\",\"side\":\"left\",\"id\":\"i2\",\"key\":\"b\"}\n";
    let run = diff(INNER, &trace("hour-boundary"), &actual);
    assert_differs(&run, "extra", &["unmatched i2", "inner join pads no left rows"]);
}

#[test]
fn diff_reports_a_null_row_for_a_matched_record() {
    let actual = oracle_text(LEFT_OUTER, "in-order")
        + "{\"type\":\"unmatched\",\"side\":\"left\",\"id\":\"i1\",\"key\":\"a\"}\n";
    let run = diff(LEFT_OUTER, &trace("in-order"), &actual);
    assert_differs(&run, "extra", &["unmatched i1", "has a valid match"]);
}

#[test]
fn diff_reports_a_duplicated_row() {
    let actual =
        oracle_text(INNER, "duplicate-keys") + "{\"type\":\"match\",\"left\":\"i2\",\"right\":\"c1\",\"key\":\"a\"}\n";
    let run = diff(INNER, &trace("duplicate-keys"), &actual);
    assert_differs(&run, "duplicated", &["match i2+c1", "emitted 2 times"]);
    assert!(run.stdout.contains("0 missing, 0 extra, 1 duplicated"), "{run:?}");
}

#[test]
fn diff_rejects_a_malformed_actual_file() {
    let actual = oracle_text(INNER, "late") + "{\"type\":\"match\",\"left\":\n";
    let run = diff(INNER, &trace("late"), &actual);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "", "no verdict on bad input");
    assert!(
        run.stderr.contains("actual.jsonl:5:"),
        "names the file and line: {}",
        run.stderr
    );
    assert!(run.stderr.contains("not valid JSON"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// replay

fn replay(model: &str, trace_file: &str, json: bool) -> Run {
    let mut args = vec!["replay", "--model", model, "--trace", trace_file];
    if json {
        args.push("--json");
    }
    joincheck(args)
}

#[test]
fn replay_succeeds_on_every_bundled_trace() {
    for model in [INNER, LEFT_OUTER] {
        for stem in ALL_TRACES {
            let run = replay(model, &trace(stem), false);
            assert_eq!(run.code, Some(0), "{model} {stem}: {run:?}");
            // Exit 0 means the engine agrees with the oracle and ends with nothing stored.
            assert!(run.stdout.contains("oracle: agree"), "{model} {stem}: {run:?}");
            assert_eq!(run.stderr, "", "{model} {stem}");
        }
    }
}

#[test]
fn replay_json_lines_carry_the_step() {
    let run = replay(INNER, &trace("late"), true);
    assert_eq!(run.code, Some(0), "{run:?}");
    for line in run.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(v["step"].is_u64(), "no \"step\" in {line}");
    }
    // Each output appears after the step that caused it: the matches when the click arrives
    // (steps 1, 3, 6), the late row when c3 arrives (step 4).
    let expected = [
        r#"{"type":"match","left":"i1","right":"c1","key":"a","step":1}"#,
        r#"{"type":"match","left":"i2","right":"c2","key":"b","step":3}"#,
        r#"{"type":"late","side":"right","id":"c3","key":"a","step":4}"#,
        r#"{"type":"match","left":"i4","right":"c4","key":"d","step":6}"#,
    ];
    let lines: Vec<String> = run.lines().into_iter().map(str::to_owned).collect();
    assert_same_lines(&lines, &expected, "replay --json, late, inner");
}

#[test]
fn replay_json_of_an_unterminated_trace_puts_end_rows_after_the_last_step() {
    // hour-boundary under the left outer join: i2's null row appears at the `end` step (4).
    let run = replay(LEFT_OUTER, &trace("hour-boundary"), true);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<String> = run.lines().into_iter().map(str::to_owned).collect();
    assert_same_lines(
        &lines,
        &[
            r#"{"type":"match","left":"i1","right":"c1","key":"a","step":2}"#,
            r#"{"type":"unmatched","side":"left","id":"i2","key":"b","step":4}"#,
        ],
        "replay --json, hour-boundary, left outer",
    );
}

#[test]
fn replay_json_output_diffs_clean_against_the_oracle() {
    // The engine's output file, positions and all, is a valid `--actual` for `diff`.
    for model in [INNER, LEFT_OUTER] {
        for stem in ALL_TRACES {
            let run = replay(model, &trace(stem), true);
            assert_eq!(run.code, Some(0), "{model} {stem}: {run:?}");
            let run = diff(model, &trace(stem), &run.stdout);
            assert_eq!(run.code, Some(0), "{model} {stem}: {run:?}");
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["oracle"],
        vec!["oracle", "--model", INNER],
        vec!["frobnicate"],
        vec!["diff", "--model", INNER, "--trace", "models/traces/late.jsonl"],
    ] {
        let run = joincheck(&args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
    }
}

#[test]
fn a_missing_file_exits_2_and_names_it() {
    let run = joincheck([
        "oracle",
        "--model",
        INNER,
        "--trace",
        "models/traces/no-such-trace.jsonl",
    ]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("no-such-trace.jsonl"), "{run:?}");
    assert!(run.stderr.contains("cannot be read"), "{run:?}");
}

/// `simulate --out --svg` writes both files whole, under their names and nothing else, and
/// the trace it wrote is one the other commands read: the oracle and the engine agree on it.
#[test]
fn simulate_writes_its_trace_and_picture() {
    let dir = TempDir::new("simulate-out");
    let (out, svg) = (dir.path().join("sim.jsonl"), dir.path().join("sim.svg"));
    let run = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        INNER.as_ref(),
        "--seed".as_ref(),
        "7".as_ref(),
        "--records".as_ref(),
        "3000".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--svg".as_ref(),
        svg.as_os_str(),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the folder")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["sim.jsonl", "sim.svg"]);
    let text = std::fs::read_to_string(&out).expect("the trace");
    let records = text.lines().filter(|l| l.contains("\"record\"")).count();
    assert_eq!(records, 3000, "one line per simulated record");
    assert!(std::fs::read_to_string(&svg).expect("the picture").starts_with("<svg"));
    let replay = joincheck([
        "replay".as_ref(),
        "--model".as_ref(),
        INNER.as_ref(),
        "--trace".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(
        replay.code,
        Some(0),
        "the reference engine agrees with the oracle on it: {replay:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// check within budgets: a scope too large for the machine stops with a partial report (issue 14)

/// The reference model with four records per side: hundreds of millions of states.
fn four_by_four(dir: &TempDir) -> String {
    let text = std::fs::read_to_string(crate::support::root().join(INNER)).expect("the bundled model");
    let text = text
        .replace("\nleft = 2\n", "\nleft = 4\n")
        .replace("\nright = 2\n", "\nright = 4\n");
    assert!(text.contains("left = 4") && text.contains("right = 4"), "{text}");
    dir.write("four-by-four.toml", text).display().to_string()
}

#[test]
fn check_stops_at_its_memory_budget_with_a_partial_report() {
    let dir = TempDir::new("check-memory");
    let model = four_by_four(&dir);
    let out = dir.path().join("cx").display().to_string();
    let run = joincheck(["check", &model, "--max-memory", "40M", "--out", &out]);
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(
        run.stdout.contains("NOT exhaustive: stopped at the memory budget"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("budget 40 MiB"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("no_lost_match          no violation in the part explored (not exhaustive)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("were not explored exhaustively"), "{}", run.stdout);
}

#[test]
fn check_stops_at_its_state_budget_and_says_so_in_json() {
    let dir = TempDir::new("check-states");
    let model = four_by_four(&dir);
    let out = dir.path().join("cx").display().to_string();
    let run = joincheck(["check", &model, "--max-states", "20000", "--json", "--out", &out]);
    assert_eq!(run.code, Some(3), "{run:?}");
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(report["complete"], false);
    assert_eq!(report["stopped"], "stopped at the state budget of 20000 states");
    assert!(report["unique_states"].as_u64().expect("a count") >= 20_000);
}

#[test]
fn a_budget_does_not_hide_a_violation_found_before_it() {
    // The canary's violation is two records deep: found long before 20,000 states.
    let dir = TempDir::new("check-states-canary");
    let out = dir.path().join("cx").display().to_string();
    let run = joincheck([
        "check",
        "models/canary-impressions-clicks.toml",
        "--max-states",
        "20000",
        "--out",
        &out,
    ]);
    assert_eq!(run.code, Some(3), "the canary's violation is expected: {run:?}");
    assert!(
        run.stdout.contains("no_lost_match          violated-as-expected"),
        "{}",
        run.stdout
    );
}

#[test]
fn ctrl_c_stops_check_with_a_partial_report() {
    let dir = TempDir::new("check-interrupt");
    let model = four_by_four(&dir);
    let out = dir.path().join("cx").display().to_string();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_joincheck"))
        .args(["check", &model, "--max-memory", "2G", "--out", &out])
        .current_dir(crate::support::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("joincheck starts");
    // Whenever the signal lands (even before the handler is set), the process must end; once
    // the handler is in, the report says it was interrupted.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // The shell's own `kill`, which every POSIX shell has built in.
    let sent = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .expect("sh runs");
    assert!(sent.success());
    let output = child.wait_with_output().expect("joincheck ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("NOT exhaustive: interrupted"), "{stdout}");
}
