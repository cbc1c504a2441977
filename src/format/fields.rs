//! Typed access to the fields of one JSON object, for the serde path of the readers.

use super::json_kind;
use crate::error::InputError;
use crate::event::Side;
use crate::time::EventTime;
use serde_json::{Map, Value};

/// Typed access to the fields of one JSON object, remembering which were read so that
/// [`Fields::finish`] can reject the rest as unknown.
pub(super) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    file: &'a str,
    line: usize,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub(super) fn new(obj: &'a Map<String, Value>, file: &'a str, line: usize) -> Fields<'a> {
        Fields {
            obj,
            file,
            line,
            used: Vec::new(),
        }
    }

    pub(super) fn error(&self, field: &str, message: String) -> InputError {
        InputError::new(self.file, message).at_line(self.line).field(field)
    }

    pub(super) fn get(&mut self, field: &'static str) -> Option<&'a Value> {
        self.used.push(field);
        self.obj.get(field)
    }

    pub(super) fn required(&mut self, field: &'static str) -> Result<&'a Value, InputError> {
        self.get(field).ok_or_else(|| self.error(field, "missing".to_owned()))
    }

    pub(super) fn string(&mut self, field: &'static str) -> Result<String, InputError> {
        match self.required(field)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.error(field, format!("expected a string, found {}", json_kind(other)))),
        }
    }

    pub(super) fn optional_string(&mut self, field: &'static str) -> Result<Option<String>, InputError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(field, format!("expected a string, found {}", json_kind(other)))),
        }
    }

    pub(super) fn side(&mut self, field: &'static str) -> Result<Side, InputError> {
        let s = self.string(field)?;
        Side::parse(&s).ok_or_else(|| self.error(field, format!("expected \"left\" or \"right\", found {s:?}")))
    }

    pub(super) fn optional_side(&mut self, field: &'static str) -> Result<Option<Side>, InputError> {
        if self.obj.contains_key(field) {
            self.side(field).map(Some)
        } else {
            self.used.push(field);
            Ok(None)
        }
    }

    pub(super) fn time(&mut self, field: &'static str) -> Result<EventTime, InputError> {
        let v = self.required(field)?;
        match v {
            Value::Number(n) => n.as_i64().map(EventTime::from_millis).ok_or_else(|| {
                self.error(
                    field,
                    format!("{n} is not an integer millisecond time in the 64-bit range"),
                )
            }),
            Value::String(text) if text.parse::<i64>().is_ok() => Err(self.error(
                field,
                format!(
                    "{text:?} is a string of digits: write integer milliseconds without quotes, or an RFC 3339 \
                         timestamp (\"2026-12-01T10:15:00Z\") or date (\"2026-12-01\")"
                ),
            )),
            Value::String(text) => EventTime::parse_rfc3339(text).map_err(|why| self.error(field, why.to_string())),
            other => Err(self.error(
                field,
                format!(
                    "expected integer milliseconds or an RFC 3339 timestamp, found {}",
                    json_kind(other)
                ),
            )),
        }
    }

    pub(super) fn optional_index(&mut self, field: &'static str) -> Result<Option<usize>, InputError> {
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
    pub(super) fn finish(self) -> Result<(), InputError> {
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
