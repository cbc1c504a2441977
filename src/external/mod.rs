//! The external-implementation protocol (`joincheck drive`, docs/PROTOCOL.md).
//!
//! An implementation in any language is a program that reads trace steps, one JSON object per
//! line, on standard input, and answers each with zero or more output lines (`match`,
//! `unmatched`, `late`) and then exactly one `{"type":"done"}` line, which may carry
//! `"stored":[ids]` and `"timers":N`. `{"type":"reset"}` asks it to forget everything; it is
//! answered by `done`. Anything else on standard output, a missing `done`, a crash or no answer
//! within the timeout is a protocol failure. Standard error passes through.
//!
//! Protocol v2 is negotiated by the first line: joincheck opens with
//! `{"type":"reset","protocol":2}`, which a v1 program answers like any reset; a v2 program
//! answers `{"type":"done","protocol":2}`, optionally with `"mode":"whole-trace"`, and may then
//! retract rows and report its watermark in `done`.
//!
//! [`ExternalEngine`] runs the program on a trace and returns its checked [`Answers`];
//! [`answer::Replay`] makes those an [`crate::engine::Engine`], so the monitor, the oracle and
//! the reports treat the program like any built-in engine. [`drive`] is the search.

pub(crate) mod answer;
mod drive;
mod vary;

pub use answer::{Answer, Answers, Mode, Net, Replay, Retraction, StepAnswer};

pub(crate) use drive::DERIVED_TRACES;
pub use drive::{drive, judge, AllowList, DriveFinding, DriveOptions, DriveReport, Judged};

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
    /// What went wrong, worded for a person.
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

/// A running implementation.
pub struct ExternalEngine {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<std::io::Result<String>>,
    timeout: Duration,
    /// What the program said in its answer to the opening reset; `None` before it.
    session: Option<Session>,
    failure: Option<ProtocolError>,
    transcript: Vec<String>,
}

/// Longest answer line accepted: the format's limit.
const MAX_LINE: usize = crate::format::MAX_LINE_BYTES;

/// What a program chose in its answer to the opening reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The protocol version: 1 unless it answered `"protocol":2`.
    pub protocol: u64,
    /// How it takes a trace: `"mode"`, or one step at a time when it does not say.
    pub mode: Mode,
    /// Whether its rows are a changelog (`"retracts":true`): rows may be withdrawn later, and
    /// they are judged as they stand at the end of input.
    pub retracts: bool,
}

const NO_RETRACTS: &str =
    "a retract line from a program that did not declare \"retracts\":true (with \"protocol\":2) in its answer to the opening reset";

/// The newest protocol version joincheck speaks.
pub const PROTOCOL: u64 = 2;

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
            session: None,
            failure: None,
            transcript: Vec::new(),
        })
    }

    /// The first protocol failure, if any (after it, the engine does nothing).
    pub fn failure(&self) -> Option<&ProtocolError> {
        self.failure.as_ref()
    }

    /// What the program chose in its answer to the opening reset, once it has answered it.
    pub fn session(&self) -> Option<Session> {
        self.session
    }

    /// Runs the program on `trace` from a reset (the first one offers protocol v2) and returns
    /// its answers, one per step (the implicit end included), every line checked.
    pub fn run(&mut self, trace: &Trace) -> Result<(Answers, Net), ProtocolError> {
        if let Some(e) = &self.failure {
            return Err(e.clone());
        }
        self.reset(trace)?;
        let Session { mode, retracts, .. } = self.session.expect("set by the reset");
        let mut steps: Vec<Step> = trace.steps().to_vec();
        if !trace.ends() {
            steps.push(Step::End);
        }
        let mut answers = Answers {
            steps: vec![StepAnswer::default(); steps.len()],
        };
        match mode {
            Mode::Steps => {
                for (i, step) in steps.iter().enumerate() {
                    self.send(Some(i), &trace.step_json(step))?;
                    let answer = &mut answers.steps[i];
                    let lines = self.read_answer(Some(i))?;
                    for line in lines {
                        match answer::parse_answer(trace, Some(i + 1), &line) {
                            Ok(Answer::Blank) => {}
                            Ok(Answer::Row { output, .. }) => answer.rows.push(output),
                            Ok(Answer::Retract { output, .. }) if retracts => answer.retracted.push(output),
                            Ok(Answer::Retract { .. }) => return Err(self.fail(Some(i), NO_RETRACTS.to_owned())),
                            Ok(Answer::Done(done)) => answer.take_done(done),
                            Err(message) => return Err(self.fail(Some(i), message)),
                        }
                    }
                }
            }
            Mode::WholeTrace => {
                for (i, step) in steps.iter().enumerate() {
                    self.send(Some(i), &trace.step_json(step))?;
                }
                let last = steps.len() - 1;
                for line in self.read_answer(Some(last))? {
                    match answer::parse_answer(trace, None, &line) {
                        Ok(Answer::Blank) => {}
                        // parse_answer requires the tag in whole-trace mode.
                        Ok(Answer::Row { output, step }) => answers.steps[step.expect("tagged")].rows.push(output),
                        Ok(Answer::Retract { output, step }) if retracts => {
                            answers.steps[step.expect("tagged")].retracted.push(output)
                        }
                        Ok(Answer::Retract { .. }) => return Err(self.fail(Some(last), NO_RETRACTS.to_owned())),
                        Ok(Answer::Done(done)) => answers.steps[last].take_done(done),
                        Err(message) => return Err(self.fail(Some(last), message)),
                    }
                }
            }
        }
        match answers.net() {
            Ok(net) => Ok((answers, net)),
            Err((step, row)) => {
                let row = trace.output_words(&row);
                Err(self.fail(
                    Some(step),
                    format!("it retracts {row}, which does not stand (never emitted, or retracted already)"),
                ))
            }
        }
    }

    /// Sends `reset` (the opening one offers protocol v2 and reads the program's choice).
    fn reset(&mut self, trace: &Trace) -> Result<(), ProtocolError> {
        let opening = self.session.is_none();
        let line = if opening {
            format!(r#"{{"type":"reset","protocol":{PROTOCOL}}}"#)
        } else {
            r#"{"type":"reset"}"#.to_owned()
        };
        self.send(None, &line)?;
        let mut done = None;
        for line in self.read_answer(None)? {
            // Only `done` answers a reset: a row here was written after the previous trace's
            // last `done`, whatever it names.
            let is_done = line.trim().is_empty() || answer::line_type(&line).as_deref() == Some("done");
            match answer::parse_answer(trace, Some(0), &line) {
                Ok(Answer::Blank) => {}
                Ok(Answer::Done(d)) => done = Some(d),
                Err(message) if is_done => return Err(self.fail(None, message)),
                _ => {
                    let after = if opening {
                        "the opening reset"
                    } else {
                        "reset (or after the previous trace's end was answered)"
                    };
                    return Err(self.fail(None, format!("an output row in answer to {after}: {line}")));
                }
            }
        }
        if opening {
            let done = done.expect("read_answer ends at done");
            let protocol = done.protocol.unwrap_or(1);
            if !(1..=PROTOCOL).contains(&protocol) {
                return Err(self.fail(
                    None,
                    format!("the program speaks protocol {protocol}; joincheck speaks 1 to {PROTOCOL}"),
                ));
            }
            if protocol < 2 && (done.mode.is_some() || done.retracts.is_some()) {
                return Err(self.fail(
                    None,
                    "\"mode\" and \"retracts\" need \"protocol\":2 in the same done".to_owned(),
                ));
            }
            self.session = Some(Session {
                protocol,
                mode: done.mode.unwrap_or_default(),
                retracts: done.retracts.unwrap_or(false),
            });
        }
        Ok(())
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

    /// Sends one line.
    fn send(&mut self, step: Option<usize>, line: &str) -> Result<(), ProtocolError> {
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
        Ok(())
    }

    /// Reads answer lines up to and including the first `done` line (checked as JSON only;
    /// the caller reads them against the trace).
    fn read_answer(&mut self, step: Option<usize>) -> Result<Vec<String>, ProtocolError> {
        let mut lines = Vec::new();
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
            let done = if answer.trim().is_empty() {
                false
            } else {
                match serde_json::from_str::<serde_json::Value>(&answer) {
                    Ok(v) => v.get("type").and_then(|t| t.as_str()) == Some("done"),
                    Err(e) => return Err(self.fail(step, format!("not a JSON line: {e}"))),
                }
            };
            lines.push(answer);
            if done {
                return Ok(lines);
            }
        }
    }
}

impl Drop for ExternalEngine {
    /// The child is always reaped.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
