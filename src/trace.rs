//! Traces (what happens, in arrival order) and their public JSON-lines form.
//!
//! A trace file has one JSON object per line, each with a `"type"`:
//!
//! ```text
//! {"type":"record","side":"left","key":"a","ts":1000,"id":"i1"}
//! {"type":"watermark","side":"left","ts":900}    explicit watermark on one input
//! {"type":"watermark","ts":900}                  ... or on both (no "side")
//! {"type":"batch"}                               micro-batch boundary (Spark profile)
//! {"type":"processing_time","ts":5000}           processing-time clock (TTL)
//! {"type":"snapshot"}                            a checkpoint
//! {"type":"end"}                                 end of input (optional at EOF)
//! ```
//!
//! Output files use the same framing with the types `match`, `unmatched` and `late` (see
//! [`Output`]), each optionally carrying `"step": N` or `"batch": N`.
//!
//! Reading is strict: unknown types and fields, missing or mistyped fields, times outside
//! `i64`, a record id used twice on one side, a watermark or processing time that moves
//! backwards, and anything after `end` are errors naming the file, line and field.

use crate::error::InputError;
use crate::event::{Emitted, Key, Output, Position, Record, RecordId, Side};
use crate::time::{EventTime, ProcessingTime, Watermark};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One thing that happens, in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Record(Record),
    /// An explicit watermark for one input, or for both when `side` is `None`.
    Watermark {
        side: Option<Side>,
        ts: Watermark,
    },
    /// Closes a micro-batch (batch profiles); other profiles ignore it.
    Batch,
    /// The processing-time clock reads `ts` from now on.
    ProcessingTime(ProcessingTime),
    /// A checkpoint is taken.
    Snapshot,
    /// End of input.
    End,
}

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
    pub fn new() -> Trace {
        Trace::default()
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Every record of the trace, indexed by [`RecordId`].
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.index()]
    }

    /// The record's id as written in the trace (`"i1"`).
    pub fn name(&self, id: RecordId) -> &str {
        &self.names[id.index()]
    }

    pub fn key_name(&self, key: Key) -> &str {
        &self.keys[key.0 as usize]
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn lookup_key(&self, name: &str) -> Option<Key> {
        self.key_index.get(name).copied()
    }

    pub fn lookup_id(&self, side: Side, name: &str) -> Option<RecordId> {
        self.id_index.get(&(side, name.to_owned())).copied()
    }

    /// The source line of step `i`, when the trace was read from a file.
    pub fn line_of(&self, step: usize) -> Option<usize> {
        self.lines.get(step).copied()
    }

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
        let mut last_wm: [Option<Watermark>; 2] = [None, None];
        let mut last_proc: Option<ProcessingTime> = None;
        let mut ended_at: Option<usize> = None;
        for line in json_lines(text, file) {
            let (line_no, obj) = line?;
            let err = |field: &str, msg: String| InputError::new(file, msg).at_line(line_no).field(field);
            let mut fields = Fields::new(&obj, file, line_no);
            let kind = fields.string("type")?;
            if let Some(end_line) = ended_at {
                return Err(InputError::new(
                    file,
                    format!("a {kind:?} step after the end of input (line {end_line})"),
                )
                .at_line(line_no)
                .field("type"));
            }
            match kind.as_str() {
                "record" => {
                    let side = fields.side("side")?;
                    let key = fields.string("key")?;
                    let ts = fields.time("ts")?;
                    let id = fields.string("id")?;
                    fields.finish()?;
                    if trace.try_push_record(side, &key, ts, &id).is_none() {
                        return Err(err("id", format!("record id {id:?} is used twice on the {side} side")));
                    }
                }
                "watermark" => {
                    let side = fields.optional_side("side")?;
                    let ts = Watermark::at(fields.time("ts")?);
                    fields.finish()?;
                    let sides: &[Side] = match side {
                        Some(Side::Left) => &[Side::Left],
                        Some(Side::Right) => &[Side::Right],
                        None => &Side::BOTH,
                    };
                    for s in sides {
                        if let Some(prev) = last_wm[s.index()] {
                            if ts < prev {
                                return Err(err(
                                    "ts",
                                    format!("the {s} watermark moves backwards: {} after {}", ts.as_millis(), prev.as_millis()),
                                ));
                            }
                        }
                        last_wm[s.index()] = Some(ts);
                    }
                    trace.push(Step::Watermark { side, ts });
                }
                "batch" | "snapshot" | "end" => {
                    fields.finish()?;
                    trace.push(match kind.as_str() {
                        "batch" => Step::Batch,
                        "snapshot" => Step::Snapshot,
                        _ => {
                            ended_at = Some(line_no);
                            Step::End
                        }
                    });
                }
                "processing_time" => {
                    let ts = ProcessingTime::from_millis(fields.time("ts")?.as_millis());
                    fields.finish()?;
                    if let Some(prev) = last_proc {
                        if ts < prev {
                            return Err(err(
                                "ts",
                                format!("processing time moves backwards: {} after {}", ts.as_millis(), prev.as_millis()),
                            ));
                        }
                    }
                    last_proc = Some(ts);
                    trace.push(Step::ProcessingTime(ts));
                }
                other => {
                    return Err(err(
                        "type",
                        format!("unknown step type {other:?}; expected record, watermark, batch, processing_time, snapshot or end"),
                    ))
                }
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
        let mut out = String::new();
        for step in &self.steps {
            out.push_str(&self.step_json(step));
            out.push('\n');
        }
        out
    }

    /// One step as a JSON line (without the newline).
    pub fn step_json(&self, step: &Step) -> String {
        match *step {
            Step::Record(r) => format!(
                r#"{{"type":"record","side":"{}","key":{},"ts":{},"id":{}}}"#,
                r.side,
                json_str(self.key_name(r.key)),
                r.ts.as_millis(),
                json_str(self.name(r.id))
            ),
            Step::Watermark { side: Some(side), ts } => {
                format!(r#"{{"type":"watermark","side":"{side}","ts":{}}}"#, ts.as_millis())
            }
            Step::Watermark { side: None, ts } => {
                format!(r#"{{"type":"watermark","ts":{}}}"#, ts.as_millis())
            }
            Step::Batch => r#"{"type":"batch"}"#.to_owned(),
            Step::ProcessingTime(ts) => {
                format!(r#"{{"type":"processing_time","ts":{}}}"#, ts.as_millis())
            }
            Step::Snapshot => r#"{"type":"snapshot"}"#.to_owned(),
            Step::End => r#"{"type":"end"}"#.to_owned(),
        }
    }

    /// One output as a JSON line (without the newline), with its position when known.
    pub fn output_json(&self, output: &Output, at: Position) -> String {
        let key = |id: RecordId| json_str(self.key_name(self.record(id).key));
        let mut s = match *output {
            Output::Match { left, right } => format!(
                r#"{{"type":"match","left":{},"right":{},"key":{}"#,
                json_str(self.name(left)),
                json_str(self.name(right)),
                key(left)
            ),
            Output::Semi { left } => format!(
                r#"{{"type":"match","left":{},"key":{}"#,
                json_str(self.name(left)),
                key(left)
            ),
            Output::Unmatched(id) | Output::Late(id) => format!(
                r#"{{"type":"{}","side":"{}","id":{},"key":{}"#,
                output.kind_name(),
                self.record(id).side,
                json_str(self.name(id)),
                key(id)
            ),
        };
        if let Some(batch) = at.batch {
            let _ = write!(s, r#","batch":{batch}"#);
        }
        if let Some(step) = at.step {
            let _ = write!(s, r#","step":{step}"#);
        }
        s.push('}');
        s
    }

    /// Reads an output file written against this trace: every id must name a record of the
    /// trace on the stated side, and a `key`, when given, must be that record's key.
    pub fn parse_outputs(&self, text: &str, file: &str) -> Result<Vec<Emitted>, InputError> {
        let mut outs = Vec::new();
        for line in json_lines(text, file) {
            let (line_no, obj) = line?;
            let mut fields = Fields::new(&obj, file, line_no);
            let kind = fields.string("type")?;
            let id_on = |fields: &Fields, field: &str, side: Side, name: &str| {
                self.lookup_id(side, name)
                    .ok_or_else(|| fields.error(field, format!("no {side} record with id {name:?} in the trace")))
            };
            let output = match kind.as_str() {
                "match" => {
                    let left_name = fields.string("left")?;
                    let left = id_on(&fields, "left", Side::Left, &left_name)?;
                    match fields.optional_string("right")? {
                        Some(right_name) => Output::Match {
                            left,
                            right: id_on(&fields, "right", Side::Right, &right_name)?,
                        },
                        None => Output::Semi { left },
                    }
                }
                "unmatched" | "late" => {
                    let side = fields.side("side")?;
                    let name = fields.string("id")?;
                    let id = id_on(&fields, "id", side, &name)?;
                    if kind == "late" {
                        Output::Late(id)
                    } else {
                        Output::Unmatched(id)
                    }
                }
                other => {
                    return Err(fields.error(
                        "type",
                        format!("unknown output type {other:?}; expected match, unmatched or late"),
                    ))
                }
            };
            if let Some(key) = fields.optional_string("key")? {
                let fits = output.records().any(|id| self.key_name(self.record(id).key) == key);
                if !fits {
                    let expected: Vec<&str> = output.records().map(|id| self.key_name(self.record(id).key)).collect();
                    return Err(fields.error(
                        "key",
                        format!("key {key:?} is not the key of the named record ({expected:?})"),
                    ));
                }
            }
            let at = Position {
                step: fields.optional_index("step")?,
                batch: fields.optional_index("batch")?,
            };
            fields.finish()?;
            outs.push(Emitted { output, at });
        }
        Ok(outs)
    }
}

/// Longest line accepted, so that a hostile file cannot make one line cost unbounded memory
/// twice over (text and parsed value).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A parsed line: its 1-based number and its object.
type JsonLine = (usize, Map<String, Value>);

/// Splits `text` into JSON objects, one per non-blank line, with their 1-based line numbers.
fn json_lines<'a>(text: &'a str, file: &'a str) -> impl Iterator<Item = Result<JsonLine, InputError>> + 'a {
    // Lazily, one line at a time: a large trace is never held as parsed JSON all at once.
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(i, line)| {
            let line_no = i + 1;
            if line.len() > MAX_LINE_BYTES {
                return Err(InputError::new(
                    file,
                    format!("line is {} bytes long; the limit is {MAX_LINE_BYTES}", line.len()),
                )
                .at_line(line_no));
            }
            let value: Value = serde_json::from_str(line)
                .map_err(|e| InputError::new(file, format!("not valid JSON: {e}")).at_line(line_no))?;
            match value {
                Value::Object(map) => Ok((line_no, map)),
                other => Err(InputError::new(
                    file,
                    format!(
                        "expected a JSON object with a \"type\" field, found {}",
                        json_kind(&other)
                    ),
                )
                .at_line(line_no)),
            }
        })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// Typed access to the fields of one JSON object, remembering which were read so that
/// [`Fields::finish`] can reject the rest as unknown.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    file: &'a str,
    line: usize,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(obj: &'a Map<String, Value>, file: &'a str, line: usize) -> Fields<'a> {
        Fields {
            obj,
            file,
            line,
            used: Vec::new(),
        }
    }

    fn error(&self, field: &str, message: String) -> InputError {
        InputError::new(self.file, message).at_line(self.line).field(field)
    }

    fn get(&mut self, field: &'static str) -> Option<&'a Value> {
        self.used.push(field);
        self.obj.get(field)
    }

    fn required(&mut self, field: &'static str) -> Result<&'a Value, InputError> {
        self.get(field).ok_or_else(|| self.error(field, "missing".to_owned()))
    }

    fn string(&mut self, field: &'static str) -> Result<String, InputError> {
        match self.required(field)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.error(field, format!("expected a string, found {}", json_kind(other)))),
        }
    }

    fn optional_string(&mut self, field: &'static str) -> Result<Option<String>, InputError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(field, format!("expected a string, found {}", json_kind(other)))),
        }
    }

    fn side(&mut self, field: &'static str) -> Result<Side, InputError> {
        let s = self.string(field)?;
        Side::parse(&s).ok_or_else(|| self.error(field, format!("expected \"left\" or \"right\", found {s:?}")))
    }

    fn optional_side(&mut self, field: &'static str) -> Result<Option<Side>, InputError> {
        if self.obj.contains_key(field) {
            self.side(field).map(Some)
        } else {
            self.used.push(field);
            Ok(None)
        }
    }

    fn time(&mut self, field: &'static str) -> Result<EventTime, InputError> {
        let v = self.required(field)?;
        match v {
            Value::Number(n) => n.as_i64().map(EventTime::from_millis).ok_or_else(|| {
                self.error(
                    field,
                    format!("{n} is not an integer millisecond time in the 64-bit range"),
                )
            }),
            other => Err(self.error(
                field,
                format!("expected integer milliseconds, found {}", json_kind(other)),
            )),
        }
    }

    fn optional_index(&mut self, field: &'static str) -> Result<Option<usize>, InputError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|v| usize::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| self.error(field, format!("expected a non-negative integer, found {n}"))),
            Some(other) => Err(self.error(
                field,
                format!("expected a non-negative integer, found {}", json_kind(other)),
            )),
        }
    }

    /// Rejects fields that were never asked for.
    fn finish(self) -> Result<(), InputError> {
        match self.obj.keys().find(|k| !self.used.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => {
                let mut known: Vec<&str> = self.used.clone();
                known.sort_unstable();
                known.dedup();
                Err(self.error(k, format!("unknown field; this line allows {}", known.join(", "))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn errors_name_line_and_field() {
        let cases = [
            (
                r#"{"type":"record","side":"left","key":"a","ts":1,"id":"x","extra":1}"#,
                1,
                "extra",
            ),
            (r#"{"type":"record","side":"up","key":"a","ts":1,"id":"x"}"#, 1, "side"),
            (
                r#"{"type":"record","side":"left","key":"a","ts":1e30,"id":"x"}"#,
                1,
                "ts",
            ),
            (r#"{"type":"record","side":"left","key":"a","id":"x"}"#, 1, "ts"),
            ("{\"type\":\"end\"}\n{\"type\":\"batch\"}", 2, "type"),
            (
                "{\"type\":\"watermark\",\"ts\":5}\n{\"type\":\"watermark\",\"side\":\"right\",\"ts\":4}",
                2,
                "ts",
            ),
            (r#"{"type":"jump"}"#, 1, "type"),
        ];
        for (text, line, field) in cases {
            let e = Trace::parse(text, "t.jsonl").unwrap_err();
            assert_eq!((e.line, e.field.as_deref()), (Some(line), Some(field)), "{text}: {e}");
        }
    }
}
