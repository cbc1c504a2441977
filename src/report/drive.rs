//! The report of `joincheck drive`: what was driven over which traces, and for each kind of
//! finding its shrunk counterexample, the program's own run on it, and why.

use crate::event::Output;
use crate::external::{DriveReport, Judged};
use crate::model::JoinSpec;
use crate::run::StepReport;
use crate::time::Watermark;
use crate::trace::Trace;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The report; `command` is the program driven, `written` where each finding's counterexample
/// was written (in the order of `report.findings`).
pub fn text(spec: &JoinSpec, command: &str, seed: u64, report: &DriveReport, written: &[PathBuf]) -> String {
    let mut s = String::new();
    let scope = spec.scope.as_ref().expect("drive needs a scope");
    let _ = writeln!(
        s,
        "drove {command} over {} enumerated traces{} and {} random traces (seed {seed}); scope: {scope}",
        report.enumerated,
        if report.stopped_early {
            " (stopped at the first disagreement)".to_owned()
        } else if report.truncated {
            format!(
                " (stopped at --max-traces{}; every trace of up to {} steps)",
                if scope.times.is_derived() || scope.watermarks.is_derived() {
                    format!(", {} by default with derived times", crate::external::DERIVED_TRACES)
                } else {
                    String::new()
                },
                report.complete_up_to
            )
        } else {
            " (every trace of the scope)".to_owned()
        },
        report.random
    );
    if report.varied > 0 {
        let _ = writeln!(
            s,
            "then {} varied traces (keys differing only by case, whitespace or normalisation; ids shared by a \
             left and a right record; times at either 64-bit end)",
            report.varied
        );
    }
    if let Some(session) = report.session.filter(|s| s.protocol > 1) {
        let _ = writeln!(
            s,
            "protocol {}, {} mode{}",
            session.protocol,
            session.mode.name(),
            if session.retracts {
                "; its rows are a changelog, judged as they stand at the end of input"
            } else {
                ""
            }
        );
    }
    match report.state_checks {
        crate::run::StateChecks::All => {}
        crate::run::StateChecks::AtEnd => {
            let _ = writeln!(
                s,
                "premature-eviction checks skipped and leaks checked at the end only: the program reports \"stored\" only in its last done"
            );
        }
        crate::run::StateChecks::None => {
            let _ = writeln!(
                s,
                "leak and premature-eviction checks skipped: the program does not report \"stored\" in done"
            );
        }
    }
    let profile = spec.params.profile.name();
    assert!(
        written.len() >= report.findings.len(),
        "every counterexample is written before it is reported"
    );
    for (f, path) in report.findings.iter().zip(written) {
        s.push_str(&finding_text(spec, f, path));
    }
    if report.findings.len() > 1 || report.findings.iter().any(|f| f.allowed) {
        s.push_str(&kinds_table(report));
    }
    if !report.failed() {
        let _ = writeln!(
            s,
            "agrees with the {profile} profile on every trace{}",
            if report.findings.is_empty() {
                ""
            } else {
                ", apart from the allowed differences"
            }
        );
    }
    s
}

/// One finding: its kind, where its counterexample was written, the program's run and why.
fn finding_text(spec: &JoinSpec, f: &crate::external::DriveFinding, path: &std::path::Path) -> String {
    let mut s = String::new();
    let allowed = if f.allowed { " (allowed)" } else { "" };
    let _ = writeln!(
        s,
        "\n{}{allowed}: counterexample ({}, shrunk from {}): {}",
        f.kind,
        steps(f.trace.steps().len()),
        f.found_steps,
        path.display()
    );
    s.push_str(&program_timeline(&f.trace, &f.judged));
    let _ = writeln!(
        s,
        "(the program's own run from a reset; the watermark columns are the {} profile's)",
        spec.params.profile.name()
    );
    let why = super::disagreement_words(
        &spec.params,
        &f.trace,
        &f.judged.profile,
        &f.judged.run,
        &f.disagreement,
    );
    let _ = writeln!(s, "why: {why}");
    s
}

/// Every kind found, with its verdict, how many traces showed it and its shortest trace.
fn kinds_table(report: &DriveReport) -> String {
    let mut rows = vec![[
        "kind".to_owned(),
        "verdict".to_owned(),
        "traces".to_owned(),
        "shortest".to_owned(),
    ]];
    for f in &report.findings {
        rows.push([
            f.kind.to_string(),
            if f.allowed { "allowed" } else { "fails" }.to_owned(),
            f.traces.to_string(),
            steps(f.trace.steps().len()),
        ]);
    }
    let n = report.findings.len();
    format!(
        "\n{n} {} of finding:\n{}",
        if n == 1 { "kind" } else { "kinds" },
        super::table(&rows)
    )
}

/// The program's run as a timeline: [`super::timeline`] with, where the program reports its
/// join watermark (protocol v2), `(impl W)` beside the profile's, and its retractions.
pub fn timeline(
    trace: &Trace,
    reports: &[StepReport],
    reported: &[Option<Watermark>],
    retracted: &[Vec<Output>],
) -> String {
    let mut rows = super::timeline_rows(trace, reports);
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        if let Some(w) = reported.get(i).copied().flatten() {
            row[4] = format!("{} (impl {w})", row[4]);
        }
        if let Some(r) = retracted.get(i).filter(|r| !r.is_empty()) {
            let words: Vec<String> = r
                .iter()
                .map(|o| format!("retract {}", super::output_words(trace, o)))
                .collect();
            row[8] = if row[8] == "-" {
                words.join(", ")
            } else {
                format!("{}, {}", row[8], words.join(", "))
            };
        }
    }
    super::table(&rows)
}

/// The program's run as a timeline: its rows (as emitted, before retractions) and state, the
/// profile's watermarks, and the program's own join watermark where it reports one.
fn program_timeline(trace: &Trace, judged: &Judged) -> String {
    let mut reports = judged.run.reports.clone();
    for ((theirs, profile), answer) in reports
        .iter_mut()
        .zip(&judged.profile.reports)
        .zip(&judged.answers.steps)
    {
        theirs.watermarks = profile.watermarks;
        theirs.outputs = answer.rows.clone();
    }
    let reported: Vec<Option<crate::time::Watermark>> = judged.answers.steps.iter().map(|a| a.watermark).collect();
    let retracted: Vec<Vec<crate::event::Output>> = judged.answers.steps.iter().map(|a| a.retracted.clone()).collect();
    timeline(trace, &reports, &reported, &retracted)
}

/// `1 step`, `3 steps`.
fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_owned()
    } else {
        format!("{n} steps")
    }
}
