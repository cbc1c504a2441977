//! Trace steps: the line reader (a fast path for the compact form, `serde_json` for the rest
//! and for every error) and the writer.

use super::fields::Fields;
use super::{parse_object, push_json_str};
use crate::error::InputError;
use crate::event::Side;
use crate::event::Step;
use crate::time::{EventTime, ProcessingTime, Watermark};
use serde_json::{Map, Value};
use std::io::Write as _;

/// One trace line as read: a record with its names (borrowed from the line when they need
/// no unescaping), or any other step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineStep<'a> {
    /// A record, with its key and id as written in the line.
    Record {
        /// The input the record arrives on.
        side: Side,
        /// The record's key.
        key: std::borrow::Cow<'a, str>,
        /// The record's event time.
        ts: EventTime,
        /// The record's id.
        id: std::borrow::Cow<'a, str>,
    },
    /// Any step that is not a record.
    Other(Step),
}

/// Reads a trace one line at a time, with every check that needs only the lines before it:
/// the line's own form, watermarks and processing time that move backwards, steps after
/// `end`. (Record ids used twice need the records before; [`crate::trace::Trace::parse`] checks them.)
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
    /// A reader at the start of a trace, with errors naming `file`.
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
        super::lines::check_length(line, self.file, line_no)?;
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

/// Appends a record step's line (without the newline).
pub fn write_record(buf: &mut Vec<u8>, side: Side, key: &str, ts: EventTime, id: &str) {
    buf.extend_from_slice(b"{\"type\":\"record\",\"side\":\"");
    buf.extend_from_slice(side.name().as_bytes());
    buf.extend_from_slice(b"\",\"key\":");
    push_json_str(buf, key);
    let _ = write!(buf, ",\"ts\":{},\"id\":", ts.as_millis());
    push_json_str(buf, id);
    buf.push(b'}');
}

/// Appends a step's line (without the newline); a record's line is written by `record`, which
/// knows its names (usually through [`write_record`]).
pub fn write_step(buf: &mut Vec<u8>, step: &Step, record: impl FnOnce(&mut Vec<u8>, &crate::event::Record)) {
    let _ = match *step {
        Step::Record(r) => {
            record(buf, &r);
            Ok(())
        }
        Step::Watermark { side: Some(side), ts } => {
            write!(buf, r#"{{"type":"watermark","side":"{side}","ts":{}}}"#, ts.as_millis())
        }
        Step::Watermark { side: None, ts } => write!(buf, r#"{{"type":"watermark","ts":{}}}"#, ts.as_millis()),
        Step::Batch => write!(buf, r#"{{"type":"batch"}}"#),
        Step::ProcessingTime(ts) => write!(buf, r#"{{"type":"processing_time","ts":{}}}"#, ts.as_millis()),
        Step::Snapshot => write!(buf, r#"{{"type":"snapshot"}}"#),
        Step::End => write!(buf, r#"{{"type":"end"}}"#),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;

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
