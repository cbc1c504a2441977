//! The one line feed of a streamed trace: lines read one at a time into steps, each record
//! numbered by [`StreamNames`], each step checked, and the end of file taken as the trace's
//! `end`. Its clients (`oracle --stream`, `diff --stream`, streamed `replay --stats`) say
//! what a step does and when names may go.

use super::names::StreamNames;
use super::{LineStep, Lines, StepReader};
use crate::error::{InputError, StreamError};
use crate::event::Record;
use crate::trace::Step;
use std::io::BufRead;

/// What a line feed hands its steps to.
pub(crate) trait Client {
    /// The names the feed numbers records with.
    fn names(&mut self) -> &mut StreamNames;

    /// A record's id is still held on its side: lets go of the names of records the run no
    /// longer holds, and says whether the id is worth numbering again.
    fn make_room(&mut self) -> bool {
        false
    }

    /// Checks a step against the join (its times, its key), read from `line` of `file`.
    fn check(&self, step: &Step, file: &str, line: usize) -> Result<(), InputError>;

    /// Runs one step; the trace's own `end`, or the one end of file stands for, comes last.
    fn step(&mut self, step: &Step) -> Result<(), StreamError>;
}

/// What a feed read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fed {
    /// Trace lines read, blank ones included.
    pub lines: u64,
    /// Records read.
    pub records: u64,
}

/// Reads the trace in `input` (`file` names it in errors) line by line into `client`.
pub(crate) fn feed(input: impl BufRead, file: &str, client: &mut impl Client) -> Result<Fed, StreamError> {
    let mut reader = StepReader::new(file);
    let mut lines = Lines::new(input, file);
    let mut fed = Fed::default();
    let mut ended = false;
    while let Some((line, line_no)) = lines.next_line()? {
        fed.lines = line_no as u64;
        let step = match reader.line(line, line_no)? {
            None => continue,
            Some(LineStep::Record { side, key, ts, id }) => {
                let mut rid = client.names().admit(side, &key, &id);
                if rid.is_none() && client.make_room() {
                    rid = client.names().admit(side, &key, &id);
                }
                let rid = rid.ok_or_else(|| {
                    InputError::new(
                        file,
                        format!("record id {id:?} is used twice on the {side} side (the first is still held)"),
                    )
                    .at_line(line_no)
                    .field("id")
                })?;
                fed.records += 1;
                let key = client.names().key(rid);
                Step::Record(Record { side, key, ts, id: rid })
            }
            Some(LineStep::Other(step)) => step,
        };
        client.check(&step, file, line_no)?;
        ended |= step == Step::End;
        client.step(&step)?;
    }
    // End of file is end of input.
    if !ended {
        client.step(&Step::End)?;
    }
    Ok(fed)
}
