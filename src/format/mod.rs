//! The public JSON-lines formats, read and written in one place: trace steps, output rows, and
//! the bounded line readers under both.
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
//! [`crate::event::Output`]), each optionally carrying `"step": N` or `"batch": N`.
//!
//! Reading is strict: unknown types and fields, missing or mistyped fields, times outside
//! `i64`, a record id used twice on one side, a watermark or processing time that moves
//! backwards, and anything after `end` are errors naming the file, line and field. Writing
//! gives the compact canonical form, which the readers' fast path takes.

mod feed;
mod fields;
mod lines;
mod names;
mod output;
mod step;

pub(crate) use feed::{feed, Client};
pub(crate) use lines::{json_lines, Lines};
pub(crate) use names::{Ids, StreamNames};
pub(crate) use output::read_row_name;
pub use output::{parse_outputs, write_output, RowName};
pub use step::{assert_fast_path_agrees, write_record, write_step, LineStep, StepReader};

use crate::error::InputError;
use crate::event::{RecordId, Side};
use serde_json::{Map, Value};

/// Longest line accepted, so that a hostile file cannot make one line cost unbounded memory
/// twice over (text and parsed value).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What the writers need to name the records of an output row: the trace, or a streaming
/// window that holds only the records still live.
pub trait Names {
    /// The record's id as written in the trace (`"i1"`).
    fn record_name(&self, id: RecordId) -> &str;
    /// The name of the record's key.
    fn record_key(&self, id: RecordId) -> &str;
    /// The side the record arrived on.
    fn record_side(&self, id: RecordId) -> Side;
}

/// What the output reader needs to resolve a row's names: the records of the trace it was
/// written against.
pub trait Resolve: Names {
    /// The record with id `name` on `side`, if there is one.
    fn find(&self, side: Side, name: &str) -> Option<RecordId>;
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

/// Appends `s` as a JSON string: as it is when it needs no escaping, else through `serde_json`.
pub fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(serde_json::to_string(s).expect("a string serialises").as_bytes());
    }
}
