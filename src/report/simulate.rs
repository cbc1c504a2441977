//! The report of `joincheck simulate`: lost matches by cause, state size, watermark lag and
//! throughput of one seeded workload, as text or as one JSON object.

use crate::model::JoinSpec;
use crate::property::{Expected, Property};
use crate::sim::SimReport;
use crate::time::Duration;
use std::fmt::Write as _;

/// Matches lost for any reason.
pub fn lost(report: &SimReport) -> u64 {
    report.lost_matches_late + report.lost_matches_other
}

/// What the run shows that the model's `[expect]` does not declare: lost matches unless it
/// expects `no_lost_match` violated, missing rows (null rows never emitted) unless it expects
/// `outer_exactly_once` violated, unexpected null rows unless it expects `outer_exactly_once`
/// violated, other unexpected rows unless it expects `no_spurious_output` or
/// `no_duplicate_output` violated. Empty when the run is as the model expects (exit 0).
pub fn unexpected(spec: &JoinSpec, report: &SimReport) -> Vec<String> {
    let declared = |p: Property| spec.expected(p) == Expected::Violated;
    let mut out = Vec::new();
    if lost(report) > 0 && !declared(Property::NoLostMatch) {
        out.push(format!("{} matches lost", lost(report)));
    }
    if report.missing_other_rows > 0 && !declared(Property::OuterExactlyOnce) {
        out.push(format!("{} expected rows missing", report.missing_other_rows));
    }
    let null_rows = report.extra_null_rows;
    let other_rows = report.extra_rows - null_rows;
    if null_rows > 0 && !declared(Property::OuterExactlyOnce) {
        out.push(format!("{null_rows} unexpected null rows"));
    }
    if other_rows > 0 && !declared(Property::NoSpuriousOutput) && !declared(Property::NoDuplicateOutput) {
        out.push(format!("{other_rows} unexpected rows"));
    }
    out
}

/// The report as one JSON object.
pub fn json(spec: &JoinSpec, seed: u64, report: &SimReport) -> String {
    serde_json::json!({
        "model": spec.name, "seed": seed, "records": report.records,
        "expected_matches": report.expected_matches, "emitted_matches": report.emitted_matches,
        "lost_matches": {
            "late_in_engine": report.lost_matches_late,
            "evicted_expired_or_overwritten": report.lost_matches_other,
        },
        "missing_other_rows": report.missing_other_rows, "extra_rows": report.extra_rows,
        "extra_null_rows": report.extra_null_rows,
        "late": {"expected": report.late_expected, "emitted": report.late_emitted},
        "state": {"max": report.state_max, "p99": report.state_p99},
        "watermark_lag_ms": {"max": report.watermark_lag_max_ms, "p99": report.watermark_lag_p99_ms},
        "oracle_window_max": report.oracle_window_max,
        "engine_records_per_sec": report.engine_records_per_sec,
        "run_records_per_sec": report.run_records_per_sec,
        "ideal_join": report.loss,
        "as_expected": unexpected(spec, report).is_empty(),
        "unexpected": unexpected(spec, report),
    })
    .to_string()
}

/// The report as lines a person reads.
pub fn text(spec: &JoinSpec, seed: u64, report: &SimReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "simulated {} records of seed {seed} through model {} ({})",
        report.records,
        spec.name,
        spec.summary()
    );
    let _ = writeln!(s, "{}", report.loss.text_for(spec));
    let _ = writeln!(
        s,
        "against the model's own rules: matches {} expected, {} emitted; lost {} ({} with a record the engine \
         called late, {} evicted, expired or overwritten before the partner came)",
        report.expected_matches,
        report.emitted_matches,
        lost(report),
        report.lost_matches_late,
        report.lost_matches_other
    );
    let _ = writeln!(
        s,
        "other rows: {} expected rows missing, {} unexpected rows ({} of them null rows)",
        report.missing_other_rows, report.extra_rows, report.extra_null_rows
    );
    let _ = writeln!(
        s,
        "late records: {} by the spec, {} reported by the engine",
        report.late_expected, report.late_emitted
    );
    let _ = writeln!(
        s,
        "engine state: max {} records, p99 {}; streaming oracle window max {}",
        report.state_max, report.state_p99, report.oracle_window_max
    );
    let _ = writeln!(
        s,
        "watermark lag: max {}, p99 {}",
        Duration::from_millis(report.watermark_lag_max_ms),
        Duration::from_millis(report.watermark_lag_p99_ms)
    );
    let _ = writeln!(
        s,
        "throughput: engine {:.0} records/s, whole run {:.0} records/s (timings vary with the machine; the \
         counts above do not)",
        report.engine_records_per_sec, report.run_records_per_sec
    );
    let unexpected = unexpected(spec, report);
    let _ = writeln!(s, "{}", super::verdict_line(&unexpected));
    s
}
