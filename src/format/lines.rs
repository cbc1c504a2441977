//! Line readers with the format's line-length limit: one over text in memory, one over a
//! stream that reuses one buffer.

use super::{parse_object, MAX_LINE_BYTES};
use crate::error::InputError;
use serde_json::{Map, Value};
use std::io::BufRead;

/// Rejects a line longer than [`MAX_LINE_BYTES`] (of text already in memory).
pub(super) fn check_length(line: &str, file: &str, line_no: usize) -> Result<(), InputError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(InputError::new(
            file,
            format!("line is {} bytes long; the limit is {MAX_LINE_BYTES}", line.len()),
        )
        .at_line(line_no));
    }
    Ok(())
}

/// A parsed line: its 1-based number and its object.
type JsonLine = (usize, Map<String, Value>);

/// Splits `text` into JSON objects, one per non-blank line, with their 1-based line numbers.
pub fn json_lines<'a>(text: &'a str, file: &'a str) -> impl Iterator<Item = Result<JsonLine, InputError>> + 'a {
    // Lazily, one line at a time: a large trace is never held as parsed JSON all at once.
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(i, line)| {
            let line_no = i + 1;
            check_length(line, file, line_no)?;
            Ok((line_no, parse_object(line, file, line_no)?))
        })
}

/// The lines of a file, one buffer reused: the newline (and a `\r` before it) removed, each
/// checked to be UTF-8 and no longer than the format allows, without reading further.
pub struct Lines<'f, R> {
    input: R,
    file: &'f str,
    bytes: Vec<u8>,
    line_no: usize,
}

impl<'f, R: BufRead> Lines<'f, R> {
    /// Lines of `input`, with errors naming `file`.
    pub fn new(input: R, file: &'f str) -> Self {
        Lines {
            input,
            file,
            bytes: Vec::with_capacity(256),
            line_no: 0,
        }
    }

    /// The file's name, for errors.
    pub fn file(&self) -> &'f str {
        self.file
    }

    /// The next line and its 1-based number, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<(&str, usize)>, InputError> {
        self.bytes.clear();
        let n = std::io::Read::take(&mut self.input, MAX_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut self.bytes)
            .map_err(|e| InputError::new(self.file, format!("cannot be read: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if self.bytes.last() == Some(&b'\n') {
            self.bytes.pop();
            if self.bytes.last() == Some(&b'\r') {
                self.bytes.pop();
            }
        } else if self.bytes.len() > MAX_LINE_BYTES {
            return Err(InputError::new(
                self.file,
                format!("line is longer than {} bytes, the limit", MAX_LINE_BYTES),
            )
            .at_line(self.line_no));
        }
        let line = std::str::from_utf8(&self.bytes)
            .map_err(|_| InputError::new(self.file, "is not UTF-8 text (binary data?)").at_line(self.line_no))?;
        Ok(Some((line, self.line_no)))
    }
}
