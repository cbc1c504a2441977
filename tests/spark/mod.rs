//! The `spark` profile against the real Spark runs recorded in
//! `shared/reference/real-engines.md` §1.6 (pyspark 4.3.0, Java 17): traces A, B and C, as
//! `models/traces/spark-trace-*.jsonl`. Spark numbers its batches with no-data batches
//! included; here each row carries the index of the trace's micro-batch (DESIGN.md), so the
//! null row Spark emitted in no-data batch 6 of trace A (after data batch 5, the trace's
//! fourth step) is expected in batch 3. Spark reports late rows only as per-batch counts
//! (`numRowsDroppedByWatermark`); the profile's `late` rows are checked against those counts.

use crate::support::{joincheck, trace};

fn oracle(model: &str, stem: &str) -> Vec<String> {
    let run = joincheck([
        "oracle",
        "--model",
        &format!("models/{model}.toml"),
        "--trace",
        &trace(stem),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut lines: Vec<String> = run.lines().into_iter().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Rows as `(type, ids, batch)`; late rows become per-batch counts.
fn rows(lines: &[String]) -> (Vec<String>, Vec<(u64, usize)>) {
    let mut rows = Vec::new();
    let mut late = std::collections::BTreeMap::new();
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("an output line is JSON");
        let batch = v["batch"].as_u64().expect("spark rows carry a batch");
        match v["type"].as_str() {
            Some("late") => *late.entry(batch).or_insert(0) += 1,
            Some("match") => rows.push(format!(
                "{batch} match {}+{}",
                v["left"].as_str().unwrap(),
                v["right"].as_str().unwrap()
            )),
            Some("unmatched") => rows.push(format!("{batch} unmatched {}", v["id"].as_str().unwrap())),
            other => panic!("unexpected output type {other:?}"),
        }
    }
    rows.sort();
    (rows, late.into_iter().collect())
}

fn check(model: &str, stem: &str, want: &[&str], dropped: &[(u64, usize)]) {
    let (got, late) = rows(&oracle(model, stem));
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{model} on {stem}");
    assert_eq!(late, dropped, "{model} on {stem}: late rows per batch");
}

#[test]
fn trace_a_late_rows_and_eviction() {
    let inner = ["0 match i1+c1", "1 match i2+c2", "4 match i6+c6", "5 match i10+c10"];
    // Spark batch 4 dropped i4 and c9, batch 7 dropped c3: trace batches 2 and 4.
    let dropped = [(2, 2), (4, 1)];
    check("spark-impressions-clicks", "spark-trace-a", &inner, &dropped);
    let mut left = inner.to_vec();
    left.extend(["3 unmatched i3", "5 unmatched i8"]);
    check("spark-impressions-clicks-left-outer", "spark-trace-a", &left, &dropped);
}

#[test]
fn trace_b_boundaries() {
    // Both bounds inclusive; a row exactly at the watermark is late (i5 at W 09:50; i7, c7 at
    // W 11:50); the no-data batch at W 11:50 pads i3 and i4.
    let inner = ["0 match i1+c1", "0 match i2+c2", "2 match i6+c6"];
    let dropped = [(1, 1), (3, 2)];
    check("spark-impressions-clicks", "spark-trace-b", &inner, &dropped);
    let mut left = inner.to_vec();
    left.extend(["2 unmatched i3", "2 unmatched i4"]);
    check("spark-impressions-clicks-left-outer", "spark-trace-b", &left, &dropped);
}

#[test]
fn trace_c_one_event_per_batch() {
    // W stays 0 while only impressions have data; i96 stays in state for good (no end of
    // input in Spark), so it is never padded.
    let inner = ["6 match i2+c2"];
    let dropped = [(3, 1), (8, 1)];
    check("spark-impressions-clicks", "spark-trace-c", &inner, &dropped);
    let mut left = inner.to_vec();
    left.extend(["2 unmatched i1", "7 unmatched i98"]);
    check("spark-impressions-clicks-left-outer", "spark-trace-c", &left, &dropped);
}
