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

/// One trace line as read: a record with its names (borrowed from the line when they need
/// no unescaping), or any other step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineStep<'a> {
    Record {
        side: Side,
        key: std::borrow::Cow<'a, str>,
        ts: EventTime,
        id: std::borrow::Cow<'a, str>,
    },
    Other(Step),
}

/// Reads a trace one line at a time, with every check that needs only the lines before it:
/// the line's own form, watermarks and processing time that move backwards, steps after
/// `end`. (Record ids used twice need the records before; [`Trace::parse`] checks them.)
///
/// Lines in the canonical compact form (`{"type":"record","side":"left",...}`, fields in any
/// order, names without escapes) take a fast path that builds no JSON value; anything else
/// goes through `serde_json`, which decides what is valid and words every error. The two
/// paths give the same step for every line the fast one accepts.
#[derive(Clone, Debug)]
pub struct StepReader<'f> {
    file: &'f str,
    last_wm: [Option<Watermark>; 2],
    last_proc: Option<ProcessingTime>,
    ended_at: Option<usize>,
}

impl<'f> StepReader<'f> {
    pub fn new(file: &'f str) -> StepReader<'f> {
        StepReader {
            file,
            last_wm: [None, None],
            last_proc: None,
            ended_at: None,
        }
    }

    /// The step on line `line_no` (1-based), or `None` for a blank line.
    pub fn line<'a>(&mut self, line: &'a str, line_no: usize) -> Result<Option<LineStep<'a>>, InputError> {
        if line.len() > MAX_LINE_BYTES {
            return Err(InputError::new(
                self.file,
                format!("line is {} bytes long; the limit is {MAX_LINE_BYTES}", line.len()),
            )
            .at_line(line_no));
        }
        let step = match fast::step(line) {
            Some(step) => step,
            None => {
                if line.trim().is_empty() {
                    return Ok(None);
                }
                slow_step(parse_object(line, self.file, line_no)?, self.file, line_no)?
            }
        };
        let err = |field: &str, msg: String| InputError::new(self.file, msg).at_line(line_no).field(field);
        if let Some(end_line) = self.ended_at {
            let kind = match &step {
                LineStep::Record { .. } => "record",
                LineStep::Other(Step::Watermark { .. }) => "watermark",
                LineStep::Other(Step::Batch) => "batch",
                LineStep::Other(Step::ProcessingTime(_)) => "processing_time",
                LineStep::Other(Step::Snapshot) => "snapshot",
                LineStep::Other(Step::End | Step::Record(_)) => "end",
            };
            return Err(err(
                "type",
                format!("a {kind:?} step after the end of input (line {end_line})"),
            ));
        }
        match step {
            LineStep::Other(Step::Watermark { side, ts }) => {
                let sides: &[Side] = match side {
                    Some(Side::Left) => &[Side::Left],
                    Some(Side::Right) => &[Side::Right],
                    None => &Side::BOTH,
                };
                for s in sides {
                    if let Some(prev) = self.last_wm[s.index()] {
                        if ts < prev {
                            return Err(err(
                                "ts",
                                format!(
                                    "the {s} watermark moves backwards: {} after {}",
                                    ts.as_millis(),
                                    prev.as_millis()
                                ),
                            ));
                        }
                    }
                    self.last_wm[s.index()] = Some(ts);
                }
            }
            LineStep::Other(Step::ProcessingTime(ts)) => {
                if let Some(prev) = self.last_proc {
                    if ts < prev {
                        return Err(err(
                            "ts",
                            format!(
                                "processing time moves backwards: {} after {}",
                                ts.as_millis(),
                                prev.as_millis()
                            ),
                        ));
                    }
                }
                self.last_proc = Some(ts);
            }
            LineStep::Other(Step::End) => self.ended_at = Some(line_no),
            _ => {}
        }
        Ok(Some(step))
    }
}

/// Panics when the fast path of [`StepReader`] reads `line` differently from `serde_json`
/// (for the fuzz targets and tests).
#[doc(hidden)]
pub fn assert_fast_path_agrees(line: &str) {
    if let Some(step) = fast::step(line) {
        let slow = parse_object(line, "t", 1).and_then(|o| slow_step(o, "t", 1));
        assert_eq!(Ok(step), slow, "the fast path misreads {line:?}");
    }
}

/// A trace line's step, read through `serde_json` (the path that words every error).
fn slow_step(obj: Map<String, Value>, file: &str, line_no: usize) -> Result<LineStep<'static>, InputError> {
    let mut fields = Fields::new(&obj, file, line_no);
    let kind = fields.string("type")?;
    let step = match kind.as_str() {
        "record" => {
            let side = fields.side("side")?;
            let key = fields.string("key")?;
            let ts = fields.time("ts")?;
            let id = fields.string("id")?;
            LineStep::Record {
                side,
                key: key.into(),
                ts,
                id: id.into(),
            }
        }
        "watermark" => {
            let side = fields.optional_side("side")?;
            let ts = Watermark::at(fields.time("ts")?);
            LineStep::Other(Step::Watermark { side, ts })
        }
        "batch" => LineStep::Other(Step::Batch),
        "snapshot" => LineStep::Other(Step::Snapshot),
        "end" => LineStep::Other(Step::End),
        "processing_time" => LineStep::Other(Step::ProcessingTime(ProcessingTime::from_millis(
            fields.time("ts")?.as_millis(),
        ))),
        other => {
            return Err(fields.error(
                "type",
                format!(
                    "unknown step type {other:?}; expected record, watermark, batch, processing_time, snapshot or end"
                ),
            ))
        }
    };
    fields.finish()?;
    Ok(step)
}

/// The fast path of [`StepReader`]: the compact form every tool writes, and nothing else.
mod fast {
    use super::{LineStep, Step};
    use crate::event::Side;
    use crate::time::{EventTime, ProcessingTime, Watermark};

    /// A field value: a string needing no unescaping, or an integer.
    #[derive(Clone, Copy)]
    enum Val<'a> {
        Str(&'a str),
        Int(i64),
    }

    /// Splits `{"a":"x","b":5}` into at most 8 fields; `None` for anything else (whitespace
    /// other than single spaces after `:` and `,`, escapes, nesting, floats, leading zeros,
    /// integers outside `i64`, repeated names).
    fn fields(line: &str) -> Option<([(&str, Val<'_>); 8], usize)> {
        let b = line.as_bytes();
        let mut out = [("", Val::Int(0)); 8];
        let mut n = 0;
        if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
            return None;
        }
        let mut i = 1;
        let end = b.len() - 1;
        if i == end {
            return None;
        }
        loop {
            let name = string(line, &mut i)?;
            if b.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
            if b.get(i) == Some(&b' ') {
                i += 1;
            }
            let val = match b.get(i)? {
                b'"' => Val::Str(string(line, &mut i)?),
                _ => Val::Int(integer(b, &mut i)?),
            };
            if n == out.len() || out[..n].iter().any(|(m, _)| *m == name) {
                return None;
            }
            out[n] = (name, val);
            n += 1;
            match b.get(i)? {
                b',' if i < end => {
                    i += 1;
                    if b.get(i) == Some(&b' ') {
                        i += 1;
                    }
                }
                b'}' if i == end => return Some((out, n)),
                _ => return None,
            }
        }
    }

    /// A string at `b[*i]` (the opening quote) with no escapes and no control characters.
    fn string<'a>(line: &'a str, i: &mut usize) -> Option<&'a str> {
        let b = line.as_bytes();
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let len = b[start..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if b[start + len] != b'"' {
            return None;
        }
        *i = start + len + 1;
        Some(&line[start..start + len])
    }

    /// A JSON integer (no fraction, exponent or leading zero; not `-0`, which `serde_json` reads
    /// as a float) that fits `i64`.
    fn integer(b: &[u8], i: &mut usize) -> Option<i64> {
        let negative = b.get(*i) == Some(&b'-');
        let start = *i + usize::from(negative);
        let len = b[start..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(b.len() - start);
        if len == 0
            || ((len > 1 || negative) && b[start] == b'0')
            || matches!(b.get(start + len), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let mut v: i64 = 0;
        for &d in &b[start..start + len] {
            let d = i64::from(d - b'0');
            v = v.checked_mul(10)?;
            v = if negative { v.checked_sub(d)? } else { v.checked_add(d)? };
        }
        *i = start + len;
        Some(v)
    }

    /// The step of a compact line, when every field is known, present once and well typed.
    pub(super) fn step(line: &str) -> Option<LineStep<'_>> {
        let (fields, n) = fields(line)?;
        let fields = &fields[..n];
        let get = |name: &str| fields.iter().find(|(m, _)| *m == name).map(|(_, v)| *v);
        let str_of = |name: &str| match get(name)? {
            Val::Str(s) => Some(s),
            Val::Int(_) => None,
        };
        let int_of = |name: &str| match get(name)? {
            Val::Int(v) => Some(v),
            Val::Str(_) => None,
        };
        let side_of = |name: &str| Side::parse(str_of(name)?);
        let step = match str_of("type")? {
            "record" if n == 5 => LineStep::Record {
                side: side_of("side")?,
                key: str_of("key")?.into(),
                ts: EventTime::from_millis(int_of("ts")?),
                id: str_of("id")?.into(),
            },
            "watermark" if n == 2 || n == 3 => {
                let side = if n == 3 { Some(side_of("side")?) } else { None };
                LineStep::Other(Step::Watermark {
                    side,
                    ts: Watermark::at(EventTime::from_millis(int_of("ts")?)),
                })
            }
            "processing_time" if n == 2 => {
                LineStep::Other(Step::ProcessingTime(ProcessingTime::from_millis(int_of("ts")?)))
            }
            "batch" if n == 1 => LineStep::Other(Step::Batch),
            "snapshot" if n == 1 => LineStep::Other(Step::Snapshot),
            "end" if n == 1 => LineStep::Other(Step::End),
            _ => return None,
        };
        Some(step)
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
            Ok((line_no, parse_object(line, file, line_no)?))
        })
}

/// One line as a JSON object.
fn parse_object(line: &str, file: &str, line_no: usize) -> Result<Map<String, Value>, InputError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| InputError::new(file, format!("not valid JSON: {e}")).at_line(line_no))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(InputError::new(
            file,
            format!(
                "expected a JSON object with a \"type\" field, found {}",
                json_kind(&other)
            ),
        )
        .at_line(line_no)),
    }
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

    /// The fast path accepts a line only when the `serde_json` path reads it as the same step,
    /// and declines (never misreads) everything near the edges of the format.
    #[test]
    fn the_fast_path_agrees_with_serde() {
        let lines = [
            r#"{"type":"record","side":"left","key":"a","ts":1000,"id":"i1"}"#,
            r#"{"id":"i1","ts":-5,"key":"","side":"right","type":"record"}"#,
            r#"{"type": "record", "side": "left", "key": "k", "ts": 0, "id": "x"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":-0,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":9223372036854775807,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":-9223372036854775808,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":9223372036854775808,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":01,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":1.0,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":1e3,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a"b","ts":1,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a\u0062","ts":1,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":1,"id":"i1","x":1}"#,
            r#"{"type":"record","side":"left","key":"a","ts":1,"ts":2,"id":"i1"}"#,
            r#"{"type":"record","side":"middle","key":"a","ts":1,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":5,"ts":1,"id":"i1"}"#,
            r#"{"type":"record","side":"left","key":"a","ts":"1","id":"i1"}"#,
            r#"{"type":"watermark","ts":7}"#,
            r#"{"type":"watermark","side":"right","ts":7}"#,
            r#"{"type":"watermark","side":"up","ts":7}"#,
            r#"{"type":"watermark","ts":7,"x":"y"}"#,
            r#"{"type":"processing_time","ts":7}"#,
            r#"{"type":"batch"}"#,
            r#"{"type":"snapshot"}"#,
            r#"{"type":"end"}"#,
            r#"{"type":"end","ts":1}"#,
            r#"{"type":"nothing"}"#,
            r#"{}"#,
            r#"{"type":"batch"} "#,
            r#"{"type":"batch"}}"#,
            r#"{"type":"batch",}"#,
            r#"{"type":"batch""#,
            r#"{"type":"record","side":"left","key":"a","ts":1,"id":"i1"#,
            "{\"type\":\"record\",\"side\":\"left\",\"key\":\"a\tb\",\"ts\":1,\"id\":\"i1\"}",
        ];
        let mut fast = 0;
        for line in lines {
            assert_fast_path_agrees(line);
            fast += usize::from(super::fast::step(line).is_some());
        }
        assert_eq!(fast, 11, "the canonical lines take the fast path");
    }
}
