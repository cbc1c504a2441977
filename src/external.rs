//! The external-implementation protocol (`joincheck drive`, docs/PROTOCOL.md).
//!
//! An implementation in any language is a program that reads trace steps, one JSON object per
//! line, on standard input, and answers each with zero or more output lines (`match`,
//! `unmatched`, `late`) and then exactly one `{"type":"done"}` line, which may carry
//! `"stored":[ids]` and `"timers":N`. `{"type":"reset"}` asks it to forget everything; it is
//! answered by `done`. Anything else on standard output, a missing `done`, a crash or no answer
//! within the timeout is a protocol failure. Standard error passes through.
//!
//! [`ExternalEngine`] makes such a program an [`Engine`], so the monitor, the oracle and the
//! reports treat it like any built-in engine.

use crate::checker::{first_output_difference, new_violation};
use crate::engine::Engine;
use crate::event::{Output, RecordId, Side};
use crate::property::monitor_run;
use crate::trace::{Step, Trace};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// Why talking to the implementation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// The step being answered (index in the trace), or `None` for a reset.
    pub step: Option<usize>,
    pub message: String,
    /// The last lines exchanged, oldest first (`> ` sent, `< ` received).
    pub transcript: Vec<String>,
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.step {
            Some(s) => write!(f, "protocol failure at step {s}: {}", self.message)?,
            None => write!(f, "protocol failure at reset: {}", self.message)?,
        }
        if !self.transcript.is_empty() {
            write!(f, "\nlast lines exchanged:")?;
            for line in &self.transcript {
                write!(f, "\n  {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ProtocolError {}

/// A running implementation, driven step by step.
pub struct ExternalEngine {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<std::io::Result<String>>,
    timeout: Duration,
    /// The trace being driven, for names.
    trace: Trace,
    step_index: usize,
    stored: Option<Vec<RecordId>>,
    timers: Option<usize>,
    failure: Option<ProtocolError>,
    transcript: Vec<String>,
    /// Nothing has been sent yet: the first trace needs no reset.
    fresh: bool,
}

/// Longest answer line accepted: the format's limit.
const MAX_LINE: usize = crate::format::MAX_LINE_BYTES;

impl ExternalEngine {
    /// Starts `program` with `args`; each answer must come within `timeout`.
    pub fn spawn(program: &str, args: &[String], timeout: Duration) -> std::io::Result<ExternalEngine> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let end = line.is_err();
                if tx.send(line).is_err() || end {
                    break;
                }
            }
        });
        Ok(ExternalEngine {
            child,
            stdin,
            lines,
            timeout,
            trace: Trace::new(),
            step_index: 0,
            stored: None,
            timers: None,
            failure: None,
            transcript: Vec::new(),
            fresh: true,
        })
    }

    /// The first protocol failure, if any (after it, the engine does nothing).
    pub fn failure(&self) -> Option<&ProtocolError> {
        self.failure.as_ref()
    }

    /// Whether the implementation reports what it stores (leak checks need it).
    pub fn reports_state(&self) -> bool {
        self.stored.is_some()
    }

    /// Sends `reset` (unless nothing was sent yet) and makes `trace` the one whose names the
    /// next steps use.
    pub fn reset(&mut self, trace: &Trace) -> Result<(), ProtocolError> {
        self.trace = trace.clone();
        self.step_index = 0;
        self.stored = None;
        self.timers = None;
        if std::mem::take(&mut self.fresh) {
            return Ok(());
        }
        self.exchange(None, r#"{"type":"reset"}"#).map(|_| ())
    }

    fn fail(&mut self, step: Option<usize>, message: String) -> ProtocolError {
        let keep = self.transcript.len().saturating_sub(8);
        let e = ProtocolError {
            step,
            message,
            transcript: self.transcript[keep..].to_vec(),
        };
        self.failure.get_or_insert(e.clone());
        e
    }

    fn note(&mut self, line: String) {
        self.transcript.push(line);
        if self.transcript.len() > 64 {
            self.transcript.drain(..32);
        }
    }

    /// Sends one line and reads the answer up to `done`.
    fn exchange(&mut self, step: Option<usize>, line: &str) -> Result<Vec<Output>, ProtocolError> {
        if let Some(e) = &self.failure {
            return Err(e.clone());
        }
        self.note(format!("> {line}"));
        if let Err(e) = writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush()) {
            let status = self
                .child
                .try_wait()
                .ok()
                .flatten()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            return Err(self.fail(step, format!("the program stopped reading its input{status}: {e}")));
        }
        let mut outputs = Vec::new();
        loop {
            let answer = match self.lines.recv_timeout(self.timeout) {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => return Err(self.fail(step, format!("reading its output failed: {e}"))),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.fail(step, format!("no answer within {} ms", self.timeout.as_millis())))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self
                        .child
                        .wait()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string());
                    return Err(self.fail(
                        step,
                        format!("the program exited ({status}) before answering with done"),
                    ));
                }
            };
            if answer.len() > MAX_LINE {
                return Err(self.fail(step, format!("an answer line of {} bytes", answer.len())));
            }
            self.note(format!("< {answer}"));
            if answer.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_json::from_str(&answer) {
                Ok(v) => v,
                Err(e) => return Err(self.fail(step, format!("not a JSON line: {e}"))),
            };
            if value.get("type").and_then(|t| t.as_str()) == Some("done") {
                self.read_done(step, &value)?;
                return Ok(outputs);
            }
            match self.trace.parse_outputs(&answer, "<output>") {
                Ok(parsed) => {
                    // Never trust the implementation: a row may only name records it has been sent.
                    for e in parsed {
                        if let Some(id) = e.output.records().find(|id| !self.received(*id)) {
                            let name = self.trace.name(id).to_owned();
                            return Err(self.fail(
                                step,
                                format!("an output names {name:?}, which it has not been sent yet"),
                            ));
                        }
                        outputs.push(e.output);
                    }
                }
                Err(e) => {
                    return Err(self.fail(
                        step,
                        format!(
                            "{}{}",
                            e.field.map(|f| format!("field {f:?}: ")).unwrap_or_default(),
                            e.message
                        ),
                    ))
                }
            }
        }
    }

    /// Whether record `id` has been sent (in the steps up to the one being answered).
    fn received(&self, id: RecordId) -> bool {
        let seen = self.step_index.min(self.trace.steps().len());
        self.trace.steps()[..seen]
            .iter()
            .any(|s| matches!(s, Step::Record(r) if r.id == id))
    }

    fn read_done(&mut self, step: Option<usize>, done: &serde_json::Value) -> Result<(), ProtocolError> {
        let obj = done.as_object().expect("a done line is an object");
        if let Some(k) = obj.keys().find(|k| !["type", "stored", "timers"].contains(&k.as_str())) {
            return Err(self.fail(step, format!("unknown field {k:?} in done")));
        }
        match obj.get("stored") {
            None => self.stored = None,
            Some(serde_json::Value::Array(ids)) => {
                let mut stored = Vec::new();
                for id in ids {
                    let Some(name) = id.as_str() else {
                        return Err(self.fail(step, format!("stored: {id} is not a record id")));
                    };
                    let found: Vec<RecordId> = Side::BOTH
                        .iter()
                        .filter_map(|s| self.trace.lookup_id(*s, name))
                        .collect();
                    let known: Vec<RecordId> = found.into_iter().filter(|id| self.received(*id)).collect();
                    if known.is_empty() {
                        return Err(self.fail(step, format!("stored: {name:?} names no record it has received")));
                    }
                    stored.extend(known);
                }
                stored.sort_unstable();
                stored.dedup();
                self.stored = Some(stored);
            }
            Some(other) => return Err(self.fail(step, format!("stored: expected a list of ids, found {other}"))),
        }
        self.timers = match obj.get("timers") {
            None => None,
            Some(t) => match t.as_u64() {
                Some(n) => Some(n as usize),
                None => return Err(self.fail(step, format!("timers: expected a count, found {t}"))),
            },
        };
        Ok(())
    }
}

impl Engine for ExternalEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        let index = self.step_index;
        self.step_index += 1;
        let line = self.trace.step_json(step);
        if let Ok(outputs) = self.exchange(Some(index), &line) {
            out.extend(outputs);
        }
    }

    /// The ids it reported; none if it does not report them (leak checks are then skipped by
    /// the driver, never passed).
    fn stored(&self) -> Vec<RecordId> {
        self.stored.clone().unwrap_or_default()
    }

    fn pending_timers(&self) -> usize {
        self.timers.unwrap_or(0)
    }
}

impl Drop for ExternalEngine {
    /// The child is always reaped.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How `drive` explores.
#[derive(Clone, Debug)]
pub struct DriveOptions {
    /// Seeded random traces after the enumerated ones.
    pub random: usize,
    pub seed: u64,
    /// Stop enumerating after this many traces (the report says so).
    pub max_traces: Option<usize>,
}

pub use crate::report::drive::{DriveFailure, DriveReport};

/// Drives `ext` through every trace `spec`'s scope enumerates, then `options.random` seeded
/// random traces, comparing each with the model's profile: outputs as a multiset per step,
/// and the invariants (a violation the profile shares on that trace is not counted). Stops at
/// the first disagreement and shrinks it.
/// How many enumerated traces `drive` runs when the scope derives its times and
/// [`DriveOptions::max_traces`] is not given.
pub const DERIVED_TRACES: usize = 20_000;

pub fn drive(
    spec: &crate::model::JoinSpec,
    ext: &mut ExternalEngine,
    options: &DriveOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<DriveReport, ProtocolError> {
    let mut report = DriveReport {
        enumerated: 0,
        truncated: false,
        complete_up_to: 0,
        random: 0,
        state_reported: true,
        failure: None,
    };
    let mut found: Option<(Trace, String)> = None;
    // With derived times the scope's traces are far more than can be driven; seeded random
    // traces find a slip in hundreds, so they go first, and the enumeration (shortest traces
    // first) covers what it can after them.
    let derived = spec
        .scope
        .as_ref()
        .is_some_and(|s| s.times.is_derived() || s.watermarks.is_derived());
    if derived {
        found = drive_random(spec, ext, options, &mut report, 0, progress)?;
    }
    if found.is_none() {
        let mut error = None;
        let mut seen = 0usize;
        let before = report.random;
        let cap = options.max_traces.or(derived.then_some(DERIVED_TRACES));
        let mut longest = 0;
        let mut visit = |trace: Trace| -> bool {
            if cap.is_some_and(|m| seen >= m) {
                report.truncated = true;
                return false;
            }
            seen += 1;
            longest = trace.steps().len();
            progress(before + seen);
            match judge(spec, ext, &trace) {
                Err(e) => {
                    error = Some(e);
                    false
                }
                Ok(Some(what)) => {
                    found = Some((trace, what));
                    false
                }
                Ok(None) => {
                    report.state_reported &= ext.reports_state();
                    true
                }
            }
        };
        crate::checker::enumerate_traces(spec, &mut visit).map_err(|e| ProtocolError {
            step: None,
            message: e.to_string(),
            transcript: Vec::new(),
        })?;
        report.enumerated = seen;
        // Traces come shortest first: every shorter one than the last was driven.
        report.complete_up_to = if report.truncated {
            longest.saturating_sub(1)
        } else {
            longest
        };
        if let Some(e) = error {
            return Err(e);
        }
    }
    if found.is_none() && !derived {
        let before = report.enumerated;
        found = drive_random(spec, ext, options, &mut report, before, progress)?;
    }
    if let Some((trace, _)) = found {
        let found_steps = trace.steps().len();
        let small = shrink(spec, ext, trace)?;
        let what = judge(spec, ext, &small)?.expect("the shrunk trace still fails");
        // The run the timeline shows is a run of its own, from a reset like every other: the
        // program's true behaviour on the counterexample, not a continuation of the last one.
        ext.reset(&small)?;
        let mut run = monitor_run(&spec.params, &mut *ext, &small);
        if let Some(e) = ext.failure() {
            return Err(e.clone());
        }
        // The protocol has no watermarks in its answers: the columns show the profile's.
        let ours = monitor_run(&spec.params, crate::engine::for_spec(spec), &small);
        for (theirs, profile) in run.reports.iter_mut().zip(&ours.reports) {
            if theirs.watermarks.is_none() {
                theirs.watermarks = profile.watermarks;
            }
        }
        let timeline = crate::report::timeline(&small, &run.reports);
        report.failure = Some(DriveFailure {
            trace: small,
            found_steps,
            what,
            timeline,
        });
    }
    Ok(report)
}

/// The random phase of [`drive`]: the first failing trace and what failed, if any.
fn drive_random(
    spec: &crate::model::JoinSpec,
    ext: &mut ExternalEngine,
    options: &DriveOptions,
    report: &mut DriveReport,
    before: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Option<(Trace, String)>, ProtocolError> {
    let mut rng = <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(options.seed);
    for _ in 0..options.random {
        let trace = crate::sim::random_trace(spec, &mut rng);
        report.random += 1;
        progress(before + report.random);
        if let Some(what) = judge(spec, ext, &trace)? {
            return Ok(Some((trace, what)));
        }
        report.state_reported &= ext.reports_state();
    }
    Ok(None)
}

/// Delta debugging, greedily: drop steps one at a time while the trace still fails.
fn shrink(spec: &crate::model::JoinSpec, ext: &mut ExternalEngine, mut trace: Trace) -> Result<Trace, ProtocolError> {
    let mut i = 0;
    while i < trace.steps().len() {
        let candidate = trace.retain_steps(|j, _| j != i);
        if judge(spec, ext, &candidate)?.is_some() {
            trace = candidate;
        } else {
            i += 1;
        }
    }
    Ok(trace)
}

/// Runs one trace through the implementation and the profile; `Some(reason)` when they
/// disagree.
fn judge(
    spec: &crate::model::JoinSpec,
    ext: &mut ExternalEngine,
    trace: &Trace,
) -> Result<Option<String>, ProtocolError> {
    use crate::property::Property;
    ext.reset(trace)?;
    let theirs = monitor_run(&spec.params, &mut *ext, trace);
    if let Some(e) = ext.failure() {
        return Err(e.clone());
    }
    let ours = monitor_run(&spec.params, crate::engine::for_spec(spec), trace);
    if let Some((step, want, got)) = first_output_difference(&ours, &theirs) {
        let words = |rows: &[Output]| {
            if rows.is_empty() {
                "nothing".to_owned()
            } else {
                let words: Vec<String> = rows.iter().map(|o| crate::report::output_words(trace, o)).collect();
                words.join(", ")
            }
        };
        return Ok(Some(format!(
            "after step {step} the {} profile emits {}; the implementation emitted {}",
            spec.params.profile.name(),
            words(&want),
            words(&got)
        )));
    }
    // Without reported state the leak checks are skipped, never passed.
    let state_checks = ext.reports_state();
    let skip = |p: Property| !state_checks && matches!(p, Property::NoStateLeak | Property::NoPrematureEviction);
    let Some((p, step, finding)) = new_violation(&ours, &theirs, skip) else {
        return Ok(None);
    };
    let analysis = crate::oracle::Analysis::new(spec.params, trace);
    Ok(Some(format!(
        "{p} is violated after step {step}: {}",
        crate::report::explain(&analysis, &theirs.reports, finding)
    )))
}
