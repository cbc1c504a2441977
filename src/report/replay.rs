//! The report of `joincheck replay`: the timeline of one run, the run against the oracle, and
//! each invariant's verdict with its reason.

use super::check::step_label;
use crate::model::JoinSpec;
use crate::oracle::{Analysis, Diff};
use crate::property::{Expected, Property};
use crate::run::MonitoredRun;
use std::fmt::Write as _;

/// The whole report, under the heading `title`.
pub fn text(
    title: &str,
    spec: &JoinSpec,
    analysis: &Analysis<'_>,
    run: &MonitoredRun,
    diff: &Diff,
    keep: &dyn Fn(&crate::run::StepReport) -> bool,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{title}");
    let _ = writeln!(s, "join: {}", spec.summary());
    if analysis
        .trace()
        .records()
        .first()
        .is_some_and(|r| r.ts.looks_like_wall_clock())
    {
        let _ = writeln!(s, "times: UTC");
    }
    let _ = writeln!(s);
    s.push_str(&super::timeline_of(analysis.trace(), &run.reports, keep));
    let _ = writeln!(s);
    let expected = analysis.expected().len();
    let _ = write!(
        s,
        "oracle: {}",
        super::diff_text(analysis, diff, expected, run.emitted.len())
    );
    let outputs: Vec<crate::event::Output> = run.emitted.iter().map(|e| e.output).collect();
    let loss = crate::oracle::ideal::loss_of_trace(analysis, &outputs);
    let _ = writeln!(s, "{}", loss.text_for(spec));
    let _ = writeln!(s, "properties:");
    for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
        match run.violations.iter().find(|(q, _, _)| *q == p) {
            None => {
                let _ = writeln!(s, "  {p:<22} holds");
            }
            Some((_, step, finding)) => {
                let expected = if spec.expected(p) == Expected::Violated {
                    " (as the model expects)"
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "  {p:<22} violated{expected} after {}: {}",
                    step_label(&run.reports[*step]),
                    super::explain(analysis, &run.reports, finding)
                );
            }
        }
    }
    let unexpected = unexpected_findings(spec, run, diff);
    let _ = writeln!(s, "{}", super::verdict_line(&unexpected));
    s
}

/// What in a replayed run the model's `[expect]` does not declare: each violated property the
/// model expects to hold, and outputs that differ from the oracle with no property violated
/// to account for them. Empty when the run is as the model expects (exit status 0).
pub fn unexpected_findings(spec: &JoinSpec, run: &MonitoredRun, diff: &Diff) -> Vec<String> {
    let mut unexpected: Vec<String> = run
        .violations
        .iter()
        .filter(|(p, _, _)| spec.expected(*p) != Expected::Violated)
        .map(|(p, _, _)| format!("{p} violated"))
        .collect();
    if !diff.agrees() && run.violations.is_empty() {
        unexpected.push("outputs differ from the oracle".to_owned());
    }
    unexpected
}

/// The summary of a streamed replay (`joincheck replay --stats`): what the engine did over the
/// whole trace against the model's own rules, its state and watermark lag, and what the run held.
pub fn stats_text(
    title: &str,
    spec: &JoinSpec,
    report: &crate::sim::SimReport,
    run: &crate::sim::StreamRun,
    loss: bool,
) -> String {
    use crate::time::Duration;
    let mut s = String::new();
    let _ = writeln!(s, "{title}");
    let _ = writeln!(s, "join: {}", spec.summary());
    let _ = writeln!(s, "read: {} lines, {} records", run.lines, report.records);
    if loss {
        let _ = writeln!(s, "{}", report.loss.text_for(spec));
    }
    let _ = writeln!(
        s,
        "against the model's own rules: matches {} expected, {} emitted; lost {} ({} with a record the engine called late, {} otherwise); \
         other rows {} missing, {} unexpected; late records {} by the spec, {} by the engine",
        report.expected_matches,
        report.emitted_matches,
        super::simulate::lost(report),
        report.lost_matches_late,
        report.lost_matches_other,
        report.missing_other_rows,
        report.extra_rows,
        report.late_expected,
        report.late_emitted
    );
    let _ = writeln!(
        s,
        "engine state: p50 {} records, p99 {}, max {}; watermark lag p99 {}, max {}",
        report.state_p50,
        report.state_p99,
        report.state_max,
        Duration::from_millis(report.watermark_lag_p99_ms),
        Duration::from_millis(report.watermark_lag_max_ms)
    );
    let _ = writeln!(
        s,
        "held while streaming: at most {} record names, an oracle window of at most {} records",
        run.names_max, report.oracle_window_max
    );
    let unexpected = super::simulate::unexpected(spec, report);
    let _ = writeln!(s, "{}", super::verdict_line(&unexpected));
    s
}
