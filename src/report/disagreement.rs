//! A [`Disagreement`] between an implementation's run and the profile's, in words: what
//! `drive`, the harness and the bug benchmark print for it.

use crate::model::JoinParams;
use crate::oracle::Analysis;
use crate::run::{Detail, Disagreement, MonitoredRun, Shape};
use crate::trace::Trace;

/// What differs and why, as `joincheck diff` and `replay` say it: `run` is the implementation's,
/// `profile` the model's engine's, on `trace`.
pub fn disagreement_words(
    params: &JoinParams,
    trace: &Trace,
    profile: &MonitoredRun,
    run: &MonitoredRun,
    d: &Disagreement,
) -> String {
    let profile_name = params.profile.name();
    let analysis = Analysis::new(*params, trace);
    let words = |o: &crate::event::Output| super::output_words(trace, o);
    match &d.detail {
        Detail::Rows {
            want,
            got,
            row,
            difference,
        } => {
            let rows = |rows: &[crate::event::Output]| {
                if rows.is_empty() {
                    "nothing".to_owned()
                } else {
                    rows.iter().map(words).collect::<Vec<_>>().join(", ")
                }
            };
            let headline = format!(
                "after step {} the {profile_name} profile emits {}; the implementation emitted {}",
                d.step,
                rows(want),
                rows(got)
            );
            let why = match difference {
                Some(diff) => {
                    let label = match d.kind.shape {
                        Shape::Missing(_) => "missing",
                        Shape::Extra(_) => "extra",
                        _ => "duplicated",
                    };
                    format!("{label} {}: {}", words(row), super::words::reason(&analysis, diff))
                }
                None => {
                    let at = |r: &MonitoredRun| {
                        let steps: Vec<String> = r
                            .emitted
                            .iter()
                            .filter(|e| e.output == *row)
                            .filter_map(|e| e.at.step)
                            .map(|s| s.to_string())
                            .collect();
                        steps.join(", ")
                    };
                    format!(
                        "the same rows, at other steps: {} after step {} by the implementation, after step {} by the profile",
                        words(row),
                        at(run),
                        at(profile)
                    )
                }
            };
            format!("{headline} — {why}")
        }
        Detail::Violation(finding) => format!(
            "{} is violated after step {}: {}",
            d.kind.property.expect("a violation names its property"),
            d.step,
            super::explain(&analysis, &run.reports, finding)
        ),
        Detail::Retracted(r) => format!(
            "after step {} the implementation retracted {}, emitted after step {}; the {profile_name} profile never retracts (the net rows agree)",
            r.retracted,
            words(&r.output),
            r.emitted
        ),
    }
}
