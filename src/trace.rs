//! Traces: what happens, in arrival order, with the names of its keys and records. Their
//! public JSON-lines form is read and written by [`crate::format`].

use crate::error::InputError;
use crate::event::{Emitted, Key, Output, Position, Record, RecordId, Side};
use crate::format::{self, LineStep, StepReader};
use crate::time::EventTime;
use std::collections::HashMap;

pub use crate::event::Step;

/// A finite sequence of steps plus the names of its keys and records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    steps: Vec<Step>,
    /// 1-based source line of each step; empty for traces built in memory.
    lines: Vec<usize>,
    keys: Vec<String>,
    key_index: HashMap<String, Key>,
    records: Vec<Record>,
    names: Vec<String>,
    id_index: HashMap<(Side, String), RecordId>,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Trace {
        Trace::default()
    }

    /// The steps, in arrival order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Every record of the trace, indexed by [`RecordId`].
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record with id `id`.
    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.index()]
    }

    /// The record's id as written in the trace (`"i1"`).
    pub fn name(&self, id: RecordId) -> &str {
        &self.names[id.index()]
    }

    /// An output in a few words, by the names of its records: `match i1+c1`, `semi i1`,
    /// `unmatched i2`, `late c9` (what every report and error message calls a row).
    pub fn output_words(&self, output: &Output) -> String {
        match *output {
            Output::Match { left, right } => format!("match {}+{}", self.name(left), self.name(right)),
            Output::Semi { left } => format!("semi {}", self.name(left)),
            Output::Unmatched(id) => format!("unmatched {}", self.name(id)),
            Output::Late(id) => format!("late {}", self.name(id)),
        }
    }

    /// The key's string as written in the trace (`"a"`).
    pub fn key_name(&self, key: Key) -> &str {
        &self.keys[key.0 as usize]
    }

    /// How many distinct keys have been interned.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The interned key named `name`, if the trace has one.
    pub fn lookup_key(&self, name: &str) -> Option<Key> {
        self.key_index.get(name).copied()
    }

    /// The id of the record named `name` on `side`, if the trace has one.
    pub fn lookup_id(&self, side: Side, name: &str) -> Option<RecordId> {
        self.id_index.get(&(side, name.to_owned())).copied()
    }

    /// The source line of step `i`, when the trace was read from a file.
    pub fn line_of(&self, step: usize) -> Option<usize> {
        self.lines.get(step).copied()
    }

    /// Whether the last step is [`Step::End`].
    pub fn ends(&self) -> bool {
        matches!(self.steps.last(), Some(Step::End))
    }

    /// Interns `key`, giving it the next free [`Key`] if it is new.
    pub fn intern_key(&mut self, key: &str) -> Key {
        if let Some(k) = self.key_index.get(key) {
            return *k;
        }
        let k = Key(u32::try_from(self.keys.len()).expect("more than 2^32 keys"));
        self.keys.push(key.to_owned());
        self.key_index.insert(key.to_owned(), k);
        k
    }

    /// Appends a record step. Returns `None` when `id` is already used on `side`.
    pub fn try_push_record(&mut self, side: Side, key: &str, ts: EventTime, id: &str) -> Option<RecordId> {
        if self.id_index.contains_key(&(side, id.to_owned())) {
            return None;
        }
        let key = self.intern_key(key);
        let rid = RecordId(u32::try_from(self.records.len()).expect("more than 2^32 records"));
        let record = Record { side, key, ts, id: rid };
        self.records.push(record);
        self.names.push(id.to_owned());
        self.id_index.insert((side, id.to_owned()), rid);
        self.steps.push(Step::Record(record));
        Some(rid)
    }

    /// Appends a record step.
    ///
    /// # Panics
    /// When `id` is already used on `side`; use [`Trace::try_push_record`] for untrusted input.
    pub fn push_record(&mut self, side: Side, key: &str, ts: i64, id: &str) -> RecordId {
        self.try_push_record(side, key, EventTime::from_millis(ts), id)
            .unwrap_or_else(|| panic!("record id {id:?} used twice on the {side} side"))
    }

    /// Appends a step that is not a record (records go through [`Trace::push_record`], which
    /// interns their names).
    ///
    /// # Panics
    /// When `step` is a record.
    pub fn push(&mut self, step: Step) {
        assert!(!matches!(step, Step::Record(_)), "records go through push_record");
        self.steps.push(step);
    }

    /// Delta debugging, greedily: drops steps one at a time, keeping each drop after which
    /// `still_fails` holds, until no single step can go. `drive` and the harness shrink their
    /// counterexamples with it; an error from `still_fails` stops the shrinking.
    pub fn shrink<E>(self, mut still_fails: impl FnMut(&Trace) -> Result<bool, E>) -> Result<Trace, E> {
        let mut trace = self;
        let mut i = 0;
        while i < trace.steps.len() {
            let candidate = trace.retain_steps(|j, _| j != i);
            if still_fails(&candidate)? {
                trace = candidate;
            } else {
                i += 1;
            }
        }
        Ok(trace)
    }

    /// Keeps only the steps whose index `keep` accepts, and the records they name (used to
    /// shrink counterexamples). Record ids are renumbered densely.
    pub fn retain_steps(&self, mut keep: impl FnMut(usize, &Step) -> bool) -> Trace {
        let mut out = Trace::new();
        for (i, step) in self.steps.iter().enumerate() {
            if !keep(i, step) {
                continue;
            }
            match step {
                Step::Record(r) => {
                    let key = self.key_name(r.key).to_owned();
                    let name = self.name(r.id).to_owned();
                    out.push_record(r.side, &key, r.ts.as_millis(), &name);
                }
                other => out.push(*other),
            }
            if let Some(line) = self.line_of(i) {
                out.lines.push(line);
            }
        }
        if out.lines.len() != out.steps.len() {
            out.lines.clear();
        }
        out
    }

    /// Reads a JSON-lines trace. `file` names the source in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Trace, InputError> {
        let mut trace = Trace::new();
        let mut reader = StepReader::new(file);
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            match reader.line(line, line_no)? {
                None => continue,
                Some(LineStep::Record { side, key, ts, id }) => {
                    if trace.try_push_record(side, &key, ts, &id).is_none() {
                        return Err(InputError::new(
                            file,
                            format!("record id {id:?} is used twice on the {side} side"),
                        )
                        .at_line(line_no)
                        .field("id"));
                    }
                }
                Some(LineStep::Other(step)) => trace.push(step),
            }
            trace.lines.push(line_no);
        }
        Ok(trace)
    }

    /// Reads a trace file.
    pub fn load(path: &std::path::Path) -> Result<Trace, InputError> {
        let text = crate::error::read_text(path)?;
        Trace::parse(&text, &path.display().to_string())
    }

    /// The trace in its public JSON-lines form, one step per line.
    pub fn to_jsonl(&self) -> String {
        let mut out = Vec::new();
        for step in &self.steps {
            self.write_step(&mut out, step);
            out.push(b'\n');
        }
        String::from_utf8(out).expect("the writers write UTF-8")
    }

    /// Appends one step's JSON line (without the newline) to `buf`.
    pub fn write_step(&self, buf: &mut Vec<u8>, step: &Step) {
        format::write_step(buf, step, |buf, r| {
            format::write_record(buf, r.side, self.key_name(r.key), r.ts, self.name(r.id));
        });
    }

    /// One step as a JSON line (without the newline).
    pub fn step_json(&self, step: &Step) -> String {
        let mut buf = Vec::new();
        self.write_step(&mut buf, step);
        String::from_utf8(buf).expect("the writers write UTF-8")
    }

    /// One output as a JSON line (without the newline), with its position when known.
    pub fn output_json(&self, output: &Output, at: Position) -> String {
        let mut buf = Vec::new();
        format::write_output(&mut buf, self, output, at);
        String::from_utf8(buf).expect("the writers write UTF-8")
    }

    /// Reads an output file written against this trace: every id must name a record of the
    /// trace on the stated side, and a `key`, when given, must be that record's key.
    pub fn parse_outputs(&self, text: &str, file: &str) -> Result<Vec<Emitted>, InputError> {
        format::parse_outputs(self, text, file)
    }
}

impl format::Resolve for Trace {
    fn find(&self, side: Side, name: &str) -> Option<RecordId> {
        self.lookup_id(side, name)
    }
}

impl format::Names for Trace {
    fn record_name(&self, id: RecordId) -> &str {
        self.name(id)
    }

    fn record_key(&self, id: RecordId) -> &str {
        self.key_name(self.record(id).key)
    }

    fn record_side(&self, id: RecordId) -> Side {
        self.record(id).side
    }
}

/// The trace micro-batch each step belongs to: the `batch` markers before it (DESIGN.md). The
/// one place batches are numbered; a marker belongs to the batch it closes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Batches {
    closed: usize,
}

impl Batches {
    /// The batch of `step`, which comes after every step given before.
    pub(crate) fn of(&mut self, step: &Step) -> usize {
        let batch = self.closed;
        if *step == Step::Batch {
            self.closed += 1;
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_traces_round_trip() {
        let text = r#"{"type":"record","side":"left","key":"a","ts":"2026-12-01T10:15:00Z","id":"i1"}
{"type":"watermark","ts":"2026-12-01T10:20:00.250+01:00"}
{"type":"record","side":"right","key":"a","ts":"2026-12-01T10:16:30.5Z","id":"c1"}
{"type":"end"}
"#;
        let t = Trace::parse(text, "wall.jsonl").unwrap();
        let times: Vec<String> = t.records().iter().map(|r| r.ts.rfc3339().unwrap()).collect();
        assert_eq!(times, ["2026-12-01T10:15:00Z", "2026-12-01T10:16:30.500Z"]);
        assert_eq!(
            t.steps()[1],
            Step::Watermark {
                side: None,
                ts: crate::time::Watermark::at(EventTime::parse_rfc3339("2026-12-01T09:20:00.250Z").unwrap())
            }
        );
        // Written back (as milliseconds, the canonical form) and read again: the same trace.
        let again = Trace::parse(&t.to_jsonl(), "again.jsonl").unwrap();
        assert_eq!(again.steps(), t.steps());
        assert_eq!(again.to_jsonl(), t.to_jsonl());
    }

    const SAMPLE: &str = r#"{"type":"record","side":"left","key":"a","ts":1000,"id":"i1"}
{"type":"watermark","side":"left","ts":900}

{"type":"watermark","ts":950}
{"type":"batch"}
{"type":"processing_time","ts":5000}
{"type":"snapshot"}
{"type":"record","side":"right","key":"a","ts":1500,"id":"i1"}
{"type":"end"}
"#;

    #[test]
    fn round_trips_every_step_type() {
        let t = Trace::parse(SAMPLE, "sample").unwrap();
        assert_eq!(t.steps().len(), 8);
        assert_eq!(t.line_of(2), Some(4));
        let again = Trace::parse(&t.to_jsonl(), "again").unwrap();
        assert_eq!(again.steps(), t.steps());
        let expected: String = SAMPLE
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(t.to_jsonl(), expected);
    }

    #[test]
    fn outputs_round_trip() {
        let t = Trace::parse(SAMPLE, "sample").unwrap();
        let l = t.lookup_id(Side::Left, "i1").unwrap();
        let r = t.lookup_id(Side::Right, "i1").unwrap();
        let outs = [
            (
                Output::Match { left: l, right: r },
                Position {
                    step: Some(7),
                    batch: None,
                },
            ),
            (Output::Semi { left: l }, Position::default()),
            (
                Output::Unmatched(r),
                Position {
                    step: None,
                    batch: Some(1),
                },
            ),
            (Output::Late(l), Position::default()),
        ];
        let text: String = outs.iter().map(|(o, at)| t.output_json(o, *at) + "\n").collect();
        let back = t.parse_outputs(&text, "outs").unwrap();
        let back: Vec<_> = back.iter().map(|e| (e.output, e.at)).collect();
        assert_eq!(back, outs);
    }
}
