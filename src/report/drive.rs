//! The report of `joincheck drive`: what was driven over which traces, and the shrunk
//! counterexample when the implementation disagrees with the model's profile.

use crate::model::JoinSpec;
use crate::trace::Trace;
use std::fmt::Write as _;
use std::path::Path;

/// A trace on which the implementation disagrees with the model's profile, shrunk.
#[derive(Clone, Debug)]
pub struct DriveFailure {
    pub trace: Trace,
    /// Steps of the trace as first found, before shrinking.
    pub found_steps: usize,
    /// What went wrong, in words.
    pub what: String,
    /// The implementation's run on the shrunk trace.
    pub timeline: String,
}

/// What `drive` found.
#[derive(Clone, Debug)]
pub struct DriveReport {
    pub enumerated: usize,
    /// Whether enumeration stopped at `max_traces` before the scope was exhausted.
    pub truncated: bool,
    /// Every trace of the scope with up to this many steps was driven (traces are
    /// enumerated shortest first).
    pub complete_up_to: usize,
    pub random: usize,
    /// Whether the implementation reported its state (without it, leak checks were skipped).
    pub state_reported: bool,
    pub failure: Option<DriveFailure>,
}

/// The report; `command` is the program driven, `written` where the counterexample (if any)
/// was written.
pub fn text(spec: &JoinSpec, command: &str, seed: u64, report: &DriveReport, written: Option<&Path>) -> String {
    let mut s = String::new();
    let scope = spec.scope.as_ref().expect("drive needs a scope");
    let _ = writeln!(
        s,
        "drove {command} over {} enumerated traces{} and {} random traces (seed {seed}); scope: {scope}",
        report.enumerated,
        if report.failure.is_some() {
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
    if !report.state_reported {
        let _ = writeln!(
            s,
            "leak and premature-eviction checks skipped: the program does not report \"stored\" in done"
        );
    }
    match &report.failure {
        Some(f) => {
            let path = written.expect("a counterexample is written before it is reported");
            let _ = writeln!(
                s,
                "\ncounterexample ({} steps, shrunk from {}): {}",
                f.trace.steps().len(),
                f.found_steps,
                path.display()
            );
            s.push_str(&f.timeline);
            let _ = writeln!(
                s,
                "(the program's own run from a reset; the watermark columns are the {} profile's)",
                spec.params.profile.name()
            );
            let _ = writeln!(s, "why: {}", f.what);
        }
        None => {
            let _ = writeln!(
                s,
                "agrees with the {} profile on every trace",
                spec.params.profile.name()
            );
        }
    }
    s
}
