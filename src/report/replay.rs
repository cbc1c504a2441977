//! The report of `joincheck replay`: the timeline of one run, the run against the oracle, and
//! each invariant's verdict with its reason.

use super::check::step_label;
use crate::model::JoinSpec;
use crate::oracle::{Analysis, Diff};
use crate::property::MonitoredRun;
use crate::property::Property;
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
    let _ = writeln!(s, "properties:");
    for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
        match run.violations.iter().find(|(q, _, _)| *q == p) {
            None => {
                let _ = writeln!(s, "  {p:<22} holds");
            }
            Some((_, step, finding)) => {
                let _ = writeln!(
                    s,
                    "  {p:<22} violated after {}: {}",
                    step_label(&run.reports[*step]),
                    super::explain(analysis, &run.reports, finding)
                );
            }
        }
    }
    s
}
