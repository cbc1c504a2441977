//! The report of `joincheck replay`: the timeline of one run, the run against the oracle, and
//! each invariant's verdict with its reason.

use super::check::step_label;
use crate::model::JoinSpec;
use crate::oracle::{Analysis, Diff};
use crate::property::MonitoredRun;
use crate::property::{Expected, Property};
use std::fmt::Write as _;

/// The whole report, under the heading `title`.
pub fn text(title: &str, spec: &JoinSpec, analysis: &Analysis<'_>, run: &MonitoredRun, diff: &Diff) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{title}");
    let _ = writeln!(s, "join: {}", spec.summary());
    let _ = writeln!(s);
    s.push_str(&super::timeline(analysis.trace(), &run.reports));
    let _ = writeln!(s);
    let expected = analysis.expected().len();
    let _ = write!(
        s,
        "oracle: {}",
        super::diff_text(analysis, diff, expected, run.emitted.len())
    );
    let outputs: Vec<crate::event::Output> = run.emitted.iter().map(|e| e.output).collect();
    let stored = run.reports.last().map_or(&[][..], |r| &r.stored[..]);
    let loss = crate::oracle::ideal::loss_of_trace(analysis, &outputs, stored);
    let _ = writeln!(s, "{}", loss.text(spec.params.kind));
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
    if unexpected.is_empty() {
        let _ = writeln!(s, "verdict: as the model expects");
    } else {
        let _ = writeln!(s, "verdict: not as the model expects: {}", unexpected.join("; "));
    }
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
