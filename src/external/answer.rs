//! A program's answers, read and checked without the program: one line at a time against the
//! trace and how much of it the program has been sent ([`parse_answer`]), the answers to a whole
//! trace ([`Answers`]), their net rows once retractions are applied ([`Answers::net`]), and an
//! [`Engine`] that replays them ([`Replay`]) so the monitor, the oracle and the reports treat
//! the program's run like any engine's.
//!
//! Nothing here trusts the program: every row must name records it has been sent, on their
//! sides and with their key, and a retraction must withdraw a row that stands. What passes
//! these checks cannot break the [`crate::engine::contract`] the monitor relies on; the
//! `protocol_lines` fuzz target holds it to that.

pub use crate::checker::Retraction;
use crate::engine::Engine;
use crate::event::{Output, RecordId, Side};
use crate::time::{EventTime, Watermark};
use crate::trace::{Step, Trace};

/// One line of a program's answer, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An empty line (ignored).
    Blank,
    /// An output row, with the step it is tagged with (`"step"`, or the step that closes the
    /// tagged `"batch"`), if any.
    Row {
        /// The row.
        output: Output,
        /// The step the line is tagged with, if any.
        step: Option<usize>,
    },
    /// A row withdrawn (protocol v2): `{"type":"retract","row":{...}}`.
    Retract {
        /// The row withdrawn, as it was emitted.
        output: Output,
        /// The step the line is tagged with, if any.
        step: Option<usize>,
    },
    /// The end of an answer.
    Done(Done),
}

/// What a `done` line carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// `stored`: ids of the records in join state, ascending, each once.
    pub stored: Option<Vec<RecordId>>,
    /// `timers`: pending timers.
    pub timers: Option<usize>,
    /// `watermark` (v2): the join's watermark as the implementation sees it (`null`: none yet).
    pub watermark: Option<Watermark>,
    /// `protocol` (v2, only in the answer to the opening reset): the version it speaks.
    pub protocol: Option<u64>,
    /// `mode` (v2, only in the answer to the opening reset).
    pub mode: Option<Mode>,
    /// `retracts` (v2, only in the answer to the opening reset): the program's rows are a
    /// changelog, and may be withdrawn by later `retract` lines.
    pub retracts: Option<bool>,
}

/// How a program takes a trace (protocol v2 lets it choose in its first answer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// One step at a time, each answered before the next is sent (v1, and the v2 default).
    #[default]
    Steps,
    /// The whole trace at once, up to its `end`, answered by rows tagged with `step` or
    /// `batch` and one `done`: for batch-style engines that cost a run per answer.
    WholeTrace,
}

impl Mode {
    /// The mode's name in the protocol (`"steps"`, `"whole-trace"`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Steps => "steps",
            Mode::WholeTrace => "whole-trace",
        }
    }
}

/// How many records the first `steps` steps of `trace` deliver (ids are given in arrival
/// order, so a record has been sent iff its id is below this).
pub fn records_sent(trace: &Trace, steps: usize) -> usize {
    trace.steps()[..steps.min(trace.steps().len())]
        .iter()
        .filter(|s| matches!(s, Step::Record(_)))
        .count()
}

/// The step index a row tagged `batch` belongs to: the step that closes that micro-batch (its
/// `batch` marker, or the end). `None` when the trace has fewer batches.
pub fn batch_step(trace: &Trace, batch: usize) -> Option<usize> {
    let closing = trace
        .steps()
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Step::Batch | Step::End))
        .map(|(i, _)| i)
        .chain((!trace.ends()).then_some(trace.steps().len()));
    closing.into_iter().nth(batch)
}

/// The `"type"` of a JSON object line, if it has one.
pub fn line_type(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(value.get("type")?.as_str()?.to_owned())
}

/// Reads one answer line. `sent` is how many steps of `trace` the program has been sent when it
/// answers (`None` in whole-trace mode, where each row and retraction names its own step and may
/// only name records sent up to it). Every id must name a record of the trace on the stated side,
/// sent already, with the stated key.
pub fn parse_answer(trace: &Trace, sent: Option<usize>, line: &str) -> Result<Answer, String> {
    if line.trim().is_empty() {
        return Ok(Answer::Blank);
    }
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not a JSON line: {e}"))?;
    let Some(obj) = value.as_object() else {
        return Err("not a JSON object".to_owned());
    };
    let (output, step, retract) = match obj.get("type").and_then(|t| t.as_str()) {
        Some("done") => return parse_done(trace, sent, obj).map(Answer::Done),
        Some("retract") => {
            if let Some(k) = obj
                .keys()
                .find(|k| !["type", "row", "step", "batch"].contains(&k.as_str()))
            {
                return Err(format!("unknown field {k:?} in retract"));
            }
            let Some(row) = obj.get("row").filter(|r| r.is_object()) else {
                return Err("a retract needs \"row\": the row it withdraws, as it was emitted".to_owned());
            };
            let (output, inner) = parse_row(trace, &row.to_string())?;
            if inner.is_some() {
                return Err("put step or batch on the retract line, not inside its row".to_owned());
            }
            let index = |field: &str| match obj.get(field) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| format!("field {field:?}: expected an index, found {v}")),
            };
            (output, tagged_step(trace, index("step")?, index("batch")?)?, true)
        }
        _ => {
            let (output, step) = parse_row(trace, line)?;
            (output, step, false)
        }
    };
    // A row may only name records the program has been sent: by the step it answers, or in
    // whole-trace mode by the step it is tagged with.
    let delivered = match (sent, step) {
        (Some(n), _) => records_sent(trace, n),
        (None, Some(s)) => records_sent(trace, s + 1),
        (None, None) => {
            return Err("in whole-trace mode every row and retract carries \"step\" (or \"batch\")".to_owned())
        }
    };
    if let Some(id) = output.records().find(|id| id.index() >= delivered) {
        let when = match (sent, step) {
            (Some(_), _) => "a record not sent to it yet".to_owned(),
            (None, s) => format!("a record that arrives after step {}", s.expect("tagged")),
        };
        return Err(format!("an output names {:?}, {when}", trace.name(id)));
    }
    Ok(if retract {
        Answer::Retract { output, step }
    } else {
        Answer::Row { output, step }
    })
}

/// The step a line's `step` or `batch` tag names (`batch` N: the step that closes it), checked
/// against the trace.
fn tagged_step(trace: &Trace, step: Option<usize>, batch: Option<usize>) -> Result<Option<usize>, String> {
    let step = match batch {
        Some(b) => Some(batch_step(trace, b).ok_or_else(|| format!("batch {b}: the trace has fewer batches"))?),
        None => step,
    };
    let last = trace.steps().len() - usize::from(trace.ends());
    match step {
        Some(s) if s > last => Err(format!("step {s}: the trace has steps 0 to {last}")),
        _ => Ok(step),
    }
}

/// One output row (the format's output line): the output and the step it is tagged with.
fn parse_row(trace: &Trace, line: &str) -> Result<(Output, Option<usize>), String> {
    let mut rows = trace.parse_outputs(line, "<output>").map_err(|e| {
        format!(
            "{}{}",
            e.field.map(|f| format!("field {f:?}: ")).unwrap_or_default(),
            e.message
        )
    })?;
    let row = rows.pop().ok_or("an empty row")?;
    Ok((row.output, tagged_step(trace, row.at.step, row.at.batch)?))
}

fn parse_done(
    trace: &Trace,
    sent: Option<usize>,
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Result<Done, String> {
    const FIELDS: [&str; 7] = ["type", "stored", "timers", "watermark", "protocol", "mode", "retracts"];
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field {k:?} in done"));
    }
    let delivered = records_sent(trace, sent.unwrap_or(trace.steps().len()));
    let mut done = Done::default();
    match obj.get("stored") {
        None => {}
        Some(serde_json::Value::Array(ids)) => {
            let mut stored = Vec::new();
            let mut ambiguous = false;
            for id in ids {
                let Some(name) = id.as_str() else {
                    return Err(format!("stored: {id} is not a record id"));
                };
                let known: Vec<RecordId> = Side::BOTH
                    .iter()
                    .filter_map(|s| trace.lookup_id(*s, name))
                    .filter(|id| id.index() < delivered)
                    .collect();
                if known.is_empty() {
                    return Err(format!("stored: {name:?} names no record it has received"));
                }
                // A left and a right record may share an id (`drive`'s varied traces do): the
                // name cannot say which of them is held, so the step's state is not known.
                ambiguous |= known.len() > 1;
                stored.extend(known);
            }
            stored.sort_unstable();
            stored.dedup();
            done.stored = (!ambiguous).then_some(stored);
        }
        Some(other) => return Err(format!("stored: expected a list of ids, found {other}")),
    }
    if let Some(t) = obj.get("timers") {
        let n = t.as_u64().and_then(|n| usize::try_from(n).ok());
        done.timers = Some(n.ok_or_else(|| format!("timers: expected a count, found {t}"))?);
    }
    if let Some(w) = obj.get("watermark") {
        done.watermark = Some(match w {
            serde_json::Value::Null => Watermark::MIN,
            w => match w.as_i64() {
                Some(ms) => Watermark::at(EventTime::from_millis(ms)),
                None => return Err(format!("watermark: expected milliseconds or null, found {w}")),
            },
        });
    }
    if let Some(p) = obj.get("protocol") {
        done.protocol = Some(
            p.as_u64()
                .ok_or_else(|| format!("protocol: expected a version, found {p}"))?,
        );
    }
    if let Some(r) = obj.get("retracts") {
        done.retracts = Some(
            r.as_bool()
                .ok_or_else(|| format!("retracts: expected true or false, found {r}"))?,
        );
    }
    if let Some(m) = obj.get("mode") {
        done.mode = Some(match m.as_str() {
            Some("steps") => Mode::Steps,
            Some("whole-trace") => Mode::WholeTrace,
            _ => return Err(format!("mode: expected \"steps\" or \"whole-trace\", found {m}")),
        });
    }
    Ok(done)
}

/// What the program answered to one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepAnswer {
    /// Rows emitted after the step, as emitted.
    pub rows: Vec<Output>,
    /// Rows withdrawn after the step (v2).
    pub retracted: Vec<Output>,
    /// The ids of the records in join state after the step, ascending, when the program
    /// reports them.
    pub stored: Option<Vec<RecordId>>,
    /// How many timers were pending after the step, when the program reports it.
    pub timers: Option<usize>,
    /// The join's watermark after the step, when the program reports it (v2).
    pub watermark: Option<Watermark>,
}

impl StepAnswer {
    /// Takes what a `done` line reports.
    pub fn take_done(&mut self, done: Done) {
        self.stored = done.stored;
        self.timers = done.timers;
        self.watermark = done.watermark;
    }
}

/// The program's answers to a whole trace: one per step, the implicit end included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answers {
    /// One answer per step, in trace order; the last is the answer to the (possibly implicit) end.
    pub steps: Vec<StepAnswer>,
}

impl Answers {
    /// Which state checks the program's reports allow: all of them when it reported `stored`
    /// after every step, the leak check at the end when only its last answer did.
    pub fn state_checks(&self) -> crate::checker::StateChecks {
        use crate::checker::StateChecks;
        if self.steps.iter().all(|s| s.stored.is_some()) {
            StateChecks::All
        } else if self.steps.last().is_some_and(|s| s.stored.is_some()) {
            StateChecks::AtEnd
        } else {
            StateChecks::None
        }
    }

    /// The rows that stand once every retraction is applied (each withdraws the latest
    /// standing copy of its row), per step, and the retractions. A retraction of a row that
    /// does not stand is an error: the step and the row.
    pub fn net(&self) -> Result<Net, (usize, Output)> {
        let mut rows: Vec<Vec<Output>> = self.steps.iter().map(|s| s.rows.clone()).collect();
        let mut retractions = Vec::new();
        for (at, answer) in self.steps.iter().enumerate() {
            for r in &answer.retracted {
                let standing = (0..=at).rev().find(|s| rows[*s].contains(r));
                let Some(emitted) = standing else {
                    return Err((at, *r));
                };
                let i = rows[emitted].iter().position(|o| o == r).expect("found above");
                rows[emitted].remove(i);
                retractions.push(Retraction {
                    output: *r,
                    emitted,
                    retracted: at,
                });
            }
        }
        Ok(Net { rows, retractions })
    }
}

/// The rows that stand, per step, and the retractions that withdrew the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Net {
    /// Per step: the rows emitted after it that were never retracted.
    pub rows: Vec<Vec<Output>>,
    /// Every retraction, in the order the program sent them.
    pub retractions: Vec<Retraction>,
}

/// Replays a program's (net) rows and reported state as an [`Engine`].
#[derive(Clone, Debug)]
pub struct Replay<'a> {
    answers: &'a Answers,
    rows: Vec<Vec<Output>>,
    next: usize,
}

impl<'a> Replay<'a> {
    /// The engine that emits `rows[i]` at step `i` and reports `answers.steps[i]`'s state.
    pub fn new(answers: &'a Answers, rows: Vec<Vec<Output>>) -> Replay<'a> {
        Replay { answers, rows, next: 0 }
    }

    fn current(&self) -> Option<&StepAnswer> {
        self.next.checked_sub(1).and_then(|i| self.answers.steps.get(i))
    }
}

impl Engine for Replay<'_> {
    fn step(&mut self, _: &Step, out: &mut Vec<Output>) {
        if let Some(rows) = self.rows.get(self.next) {
            out.extend_from_slice(rows);
        }
        self.next += 1;
    }

    fn stored(&self) -> Vec<RecordId> {
        self.current().and_then(|a| a.stored.clone()).unwrap_or_default()
    }

    fn pending_timers(&self) -> usize {
        self.current().and_then(|a| a.timers).unwrap_or(0)
    }

    fn name(&self) -> &str {
        "the program"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace() -> Trace {
        Trace::parse(
            "{\"type\":\"record\",\"side\":\"left\",\"key\":\"a\",\"ts\":0,\"id\":\"i1\"}\n\
             {\"type\":\"batch\"}\n\
             {\"type\":\"record\",\"side\":\"right\",\"key\":\"a\",\"ts\":60000,\"id\":\"c1\"}\n",
            "t.jsonl",
        )
        .expect("a trace")
    }

    const NULL_I1: &str = r#"{"type":"unmatched","side":"left","id":"i1","key":"a"}"#;

    #[test]
    fn whole_trace_retractions_carry_their_tag_on_the_line() {
        let t = trace();
        let retract = format!(r#"{{"type":"retract","step":2,"row":{NULL_I1}}}"#);
        let output = Output::Unmatched(RecordId(0));
        assert_eq!(
            parse_answer(&t, None, &retract),
            Ok(Answer::Retract { output, step: Some(2) })
        );
        // batch 1 is closed by the (implicit) end, step 3.
        let by_batch = format!(r#"{{"type":"retract","batch":1,"row":{NULL_I1}}}"#);
        assert_eq!(
            parse_answer(&t, None, &by_batch),
            Ok(Answer::Retract { output, step: Some(3) })
        );
        let untagged = format!(r#"{{"type":"retract","row":{NULL_I1}}}"#);
        let err = parse_answer(&t, None, &untagged).expect_err("untagged in whole-trace mode");
        assert!(err.contains("carries \"step\""), "{err}");
        // Step by step, the tag is not needed.
        assert_eq!(
            parse_answer(&t, Some(1), &untagged),
            Ok(Answer::Retract { output, step: None })
        );
        let inner = r#"{"type":"retract","row":{"type":"unmatched","side":"left","id":"i1","key":"a","step":2}}"#;
        assert!(parse_answer(&t, None, inner)
            .expect_err("tag inside")
            .contains("not inside its row"));
    }

    #[test]
    fn rows_name_only_records_sent_by_their_step() {
        let t = trace();
        let late_c1 = r#"{"type":"late","side":"right","id":"c1","key":"a","step":1}"#;
        let err = parse_answer(&t, None, late_c1).expect_err("c1 arrives at step 2");
        assert!(err.contains("a record that arrives after step 1"), "{err}");
        let err = parse_answer(&t, Some(2), late_c1).expect_err("two steps sent: i1 and the batch");
        assert!(err.contains("a record not sent to it yet"), "{err}");
        let on_time = r#"{"type":"late","side":"right","id":"c1","key":"a","step":2}"#;
        assert!(parse_answer(&t, None, on_time).is_ok());
        let past_end = r#"{"type":"late","side":"right","id":"c1","key":"a","step":4}"#;
        assert!(parse_answer(&t, None, past_end)
            .expect_err("step 4")
            .contains("steps 0 to 3"));
    }
}
