//! Output rows: the writer, the whole-file reader (rows resolved against their trace), and the
//! streaming reader that knows rows only by their names.

use super::fields::Fields;
use super::{json_lines, push_json_str, Names, Resolve};
use crate::error::InputError;
use crate::event::{Emitted, Output, Position, RecordId, Side};
use std::io::Write as _;

/// Appends an output row's line (without the newline), with its position when known.
pub fn write_output(buf: &mut Vec<u8>, names: &impl Names, output: &Output, at: Position) {
    let name = |buf: &mut Vec<u8>, id: RecordId| push_json_str(buf, names.record_name(id));
    match *output {
        Output::Match { left, right } => {
            buf.extend_from_slice(b"{\"type\":\"match\",\"left\":");
            name(buf, left);
            buf.extend_from_slice(b",\"right\":");
            name(buf, right);
        }
        Output::Semi { left } => {
            buf.extend_from_slice(b"{\"type\":\"match\",\"left\":");
            name(buf, left);
        }
        Output::Unmatched(id) | Output::Late(id) => {
            let _ = write!(
                buf,
                "{{\"type\":\"{}\",\"side\":\"{}\",\"id\":",
                output.kind_name(),
                names.record_side(id)
            );
            name(buf, id);
        }
    }
    let first = output.records().next().expect("an output names a record");
    buf.extend_from_slice(b",\"key\":");
    push_json_str(buf, names.record_key(first));
    if let Some(batch) = at.batch {
        let _ = write!(buf, r#","batch":{batch}"#);
    }
    if let Some(step) = at.step {
        let _ = write!(buf, r#","step":{step}"#);
    }
    buf.push(b'}');
}

/// Reads an output file written against `trace`: every id must name a record of the
/// trace on the stated side, and a `key`, when given, must be that record's key.
pub fn parse_outputs(trace: &impl Resolve, text: &str, file: &str) -> Result<Vec<Emitted>, InputError> {
    let mut outs = Vec::new();
    for line in json_lines(text, file) {
        let (line_no, obj) = line?;
        let mut fields = Fields::new(&obj, file, line_no);
        let kind = fields.string("type")?;
        let id_on = |fields: &Fields, field: &str, side: Side, name: &str| {
            trace
                .find(side, name)
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
            let fits = output.records().any(|id| trace.record_key(id) == key);
            if !fits {
                let expected: Vec<&str> = output.records().map(|id| trace.record_key(id)).collect();
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

/// One output row by its names: what `diff` compares in streaming mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowName {
    /// A joined pair: the left and the right record's ids.
    Match(Box<str>, Box<str>),
    /// A left-semi row: the left record's id.
    Semi(Box<str>),
    /// A null-padded row: the record's side and id.
    Unmatched(Side, Box<str>),
    /// A late row: the record's side and id.
    Late(Side, Box<str>),
}

impl std::fmt::Display for RowName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowName::Match(l, r) => write!(f, "match {l}+{r}"),
            RowName::Semi(l) => write!(f, "match {l}"),
            RowName::Unmatched(side, id) => write!(f, "unmatched {side} {id}"),
            RowName::Late(side, id) => write!(f, "late {side} {id}"),
        }
    }
}

/// Reads one output line (the fields [`parse_outputs`] allows) as a row name, without resolving
/// the names against a trace; `None` for a blank line.
pub fn read_row_name(line: &str, file: &str, line_no: usize) -> Result<Option<RowName>, InputError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let err = |field: &str, message: String| InputError::new(file, message).at_line(line_no).field(field);
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| InputError::new(file, format!("not valid JSON: {e}")).at_line(line_no))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(InputError::new(file, "expected a JSON object with a \"type\" field").at_line(line_no));
    };
    let string = |field: &str| -> Result<Option<&str>, InputError> {
        match obj.get(field) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(err(field, "expected a string".to_owned())),
        }
    };
    let required = |field: &str| string(field)?.ok_or_else(|| err(field, "missing".to_owned()));
    let side = || {
        let s = required("side")?;
        Side::parse(s).ok_or_else(|| err("side", format!("expected \"left\" or \"right\", found {s:?}")))
    };
    let kind = required("type")?;
    let (row, allowed): (RowName, &[&str]) = match kind {
        "match" => match string("right")? {
            Some(right) => (
                RowName::Match(required("left")?.into(), right.into()),
                &["type", "left", "right", "key", "step", "batch"],
            ),
            None => (
                RowName::Semi(required("left")?.into()),
                &["type", "left", "key", "step", "batch"],
            ),
        },
        "unmatched" => (
            RowName::Unmatched(side()?, required("id")?.into()),
            &["type", "side", "id", "key", "step", "batch"],
        ),
        "late" => (
            RowName::Late(side()?, required("id")?.into()),
            &["type", "side", "id", "key", "step", "batch"],
        ),
        other => {
            return Err(err(
                "type",
                format!("unknown output type {other:?}; expected match, unmatched or late"),
            ))
        }
    };
    string("key")?;
    for field in ["step", "batch"] {
        if let Some(v) = obj.get(field) {
            if v.as_u64().is_none() {
                return Err(err(field, format!("expected a non-negative integer, found {v}")));
            }
        }
    }
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(
            k,
            format!("unknown field; this line allows {}", allowed.join(", ")),
        ));
    }
    Ok(Some(row))
}
