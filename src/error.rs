//! The one error type for bad input: a model, trace or output file that cannot be used.
//!
//! Every message names the file, the line when there is one, and the field or key, so a user
//! can go straight to the mistake: `trace.jsonl:3: field "ts": 1e30 is not an integer
//! millisecond time in the 64-bit range`.

use std::fmt;
use std::path::Path;

/// Bad input. The CLI maps it to exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (or `<stdin>`, or a description such as `<trace>` for in-memory input).
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// The JSON field or TOML key at fault (`ts`, `join.bounds`).
    pub field: Option<String>,
    /// What is wrong, worded for a person.
    pub message: String,
}

impl InputError {
    /// An error in `file` with no line or field yet.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            file: file.into(),
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// Sets the 1-based line.
    pub fn at_line(mut self, line: usize) -> InputError {
        self.line = Some(line);
        self
    }

    /// Sets the field or key at fault.
    pub fn field(mut self, field: impl Into<String>) -> InputError {
        self.field = Some(field.into());
        self
    }

    /// An I/O failure on `path`, worded for a person (a directory given as a file, a missing
    /// file).
    pub fn io(path: &Path, err: &std::io::Error) -> InputError {
        let what = if path.is_dir() {
            "is a directory, not a file".to_owned()
        } else {
            format!("cannot be read: {err}")
        };
        InputError::new(path.display().to_string(), what)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "field {field:?}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

/// Reads a whole file as UTF-8 text, with the errors worded as [`InputError`]s.
pub(crate) fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count();
        InputError::new(path.display().to_string(), "is not UTF-8 text (binary data?)").at_line(line)
    })
}

/// A streaming run stops on bad input or on a failed write.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Bad input: a trace, model or output line that cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
