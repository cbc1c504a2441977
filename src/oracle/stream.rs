//! `oracle` and `diff` over traces too large to hold: the trace is read line by line and fed
//! to [`StreamingOracle`], and only the records that can still match (the live window) are
//! kept, with their names. Memory follows the window, not the trace.
//!
//! What streaming gives up, against the whole-trace commands (`replay`, and `oracle`/`diff`
//! on traces under 64 MiB unless `--stream` is given):
//! - a record id used again is an error only while its first record is still in the window
//!   (outputs name records by id, and only live records can still appear in one);
//! - `diff` compares rows by their names (type, side, ids) and cannot check that an id names
//!   a record of the trace, or that a row's `key` is that record's key: such rows are extra;
//! - `oracle` prints rows as the window produces them, not sorted; rows are held back until
//!   8 MiB of them have accumulated, so a bad line early in a large trace (or
//!   anywhere in a small one) stops the run before anything is printed.
//!
//! The profiles whose `oracle` is a prediction of a real engine's timing run that engine.
//! Spark's is streamed for `oracle` too: its state is its window, each micro-batch's rows are
//! complete at the batch's marker, and they are printed sorted within the batch as the
//! whole-trace run sorts them (same output, line for line); the names of records it no longer
//! stores or buffers are let go of in rounds. `diff` against a prediction, and Flink SQL's
//! prediction (sorted over the whole trace), run over the whole trace.

use super::StreamingOracle;
use crate::engine::Engine;
use crate::error::InputError;
pub use crate::error::StreamError;
use crate::event::{Output, Position, RecordId};
use crate::format::{self, Ids, Lines, RowName, StreamNames};
use crate::hash::FxMap;
use crate::model::JoinSpec;
use crate::trace::{Batches, Step};
use std::io::{BufRead, Write};

/// `oracle` and `diff` stream traces larger than this (64 MiB, about a million lines) even
/// without `--stream`.
pub(crate) const STREAM_ABOVE_BYTES: u64 = 64 << 20;

/// How much output `oracle` holds back before it starts printing (8 MiB).
pub(crate) const HOLD_BACK_BYTES: usize = 8 << 20;

/// What a streamed run computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `oracle`: the expected rows.
    Oracle,
    /// `diff`: the expected rows against an actual output, by row names.
    Diff,
}

/// Whether `command` can be streamed for `spec`: the declarative oracle always; a profile's
/// engine prediction for `oracle` when the engine runs in micro-batches (Spark: each batch's
/// rows are complete at its marker and carry its number), and never for `diff`, which would
/// compare rows by name and not check their batch.
pub fn streamable(spec: &JoinSpec, command: Command) -> bool {
    let profile = spec.params.profile;
    !profile.predicts_engine() || (command == Command::Oracle && profile.timing() == crate::model::Timing::PerBatch)
}

/// Whether `command` streams the trace at `trace`: when `asked`, or when the file is larger
/// than [`STREAM_ABOVE_BYTES`] and it can be streamed. Asking for what cannot be streamed is
/// an error.
pub(crate) fn should_stream(
    spec: &JoinSpec,
    trace: &std::path::Path,
    asked: bool,
    command: Command,
) -> Result<bool, InputError> {
    let streamable = streamable(spec, command);
    if asked && !streamable {
        let why = match command {
            Command::Oracle => "its oracle is its engine's prediction, which runs over the whole trace",
            Command::Diff => {
                "its oracle is its engine's prediction, and a streamed diff compares rows by name, \
                 not by the batch or step that emits them"
            }
        };
        return Err(InputError::new(
            &spec.file,
            format!(
                "--stream: the {} profile cannot be streamed here: {why}; streaming applies to the declarative \
                 oracle (reference, canary, flink-interval, flink-keyed-*) and to `oracle` for spark",
                spec.params.profile.name()
            ),
        )
        .field("profile"));
    }
    let large = std::fs::metadata(trace).is_ok_and(|m| m.is_file() && m.len() > STREAM_ABOVE_BYTES);
    Ok(asked || (streamable && large))
}

/// What a streaming run read and kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Trace lines read, blank ones included.
    pub lines: u64,
    /// Records read.
    pub records: u64,
    /// Expected rows computed.
    pub rows: u64,
    /// The largest number of records held at once (the window, plus a step's own record).
    pub live_max: usize,
}

/// Reads the trace from `input` and hands every expected row, as the JSON line `joincheck
/// oracle` prints (without a newline), to `row`. `file` names the trace in errors.
pub fn oracle(
    spec: &JoinSpec,
    input: impl BufRead,
    file: &str,
    row: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<StreamStats, StreamError> {
    let mut buf = Vec::with_capacity(128);
    rows(spec, input, file, &mut |o, names, at| {
        buf.clear();
        format::write_output(&mut buf, names, o, at);
        row(&buf)
    })
}

/// What a row callback gets: the row, the names of the records it can name, and its batch.
type OnRow<'a> = dyn FnMut(&Output, &StreamNames, Position) -> std::io::Result<()> + 'a;

/// Reads the trace from `input` and hands every expected row to `row`, with the names.
fn rows(spec: &JoinSpec, input: impl BufRead, file: &str, row: &mut OnRow<'_>) -> Result<StreamStats, StreamError> {
    let mut predictor = Predictor {
        spec,
        run: if spec.params.profile.predicts_engine() {
            Run::Engine {
                engine: crate::engine::for_spec(spec),
                batches: Batches::default(),
                held: 0,
            }
        } else {
            Run::Oracle(Box::new(StreamingOracle::new(spec.params)))
        },
        names: StreamNames::new(Ids::Recycled),
        outs: Vec::new(),
        departed: Vec::new(),
        row,
        rows: 0,
        live_max: 0,
    };
    let fed = format::feed(input, file, &mut predictor)?;
    Ok(StreamStats {
        lines: fed.lines,
        records: fed.records,
        rows: predictor.rows,
        live_max: predictor.live_max,
    })
}

/// What computes the expected rows.
enum Run {
    /// The declarative oracle, which says when a record leaves its window.
    Oracle(Box<StreamingOracle>),
    /// The engine whose run is the profile's prediction (Spark's micro-batches: its state is
    /// its window). It does not say when a record leaves: names are let go of in rounds,
    /// keeping what it stores or buffers.
    Engine {
        engine: Box<dyn Engine>,
        batches: Batches,
        /// How many records the engine held after the last round.
        held: usize,
    },
}

/// The feed's client: computes the rows, hands them on, and holds the names of what it holds.
struct Predictor<'s, 'r> {
    spec: &'s JoinSpec,
    run: Run,
    names: StreamNames,
    outs: Vec<Output>,
    departed: Vec<RecordId>,
    row: &'r mut OnRow<'r>,
    rows: u64,
    live_max: usize,
}

impl format::Client for Predictor<'_, '_> {
    fn names(&mut self) -> &mut StreamNames {
        &mut self.names
    }

    // An engine's names are let go of in rounds: the first record may be gone already.
    fn make_room(&mut self) -> bool {
        self.forget_released()
    }

    fn check(&self, step: &Step, file: &str, line: usize) -> Result<(), InputError> {
        self.spec.check_step(step, file, Some(line))
    }

    /// Runs one step, hands its rows on, forgets the records that left.
    fn step(&mut self, step: &Step) -> Result<(), StreamError> {
        self.live_max = self.live_max.max(self.names.len());
        let mut at = Position::default();
        match &mut self.run {
            Run::Oracle(oracle) => {
                let departed = &mut self.departed;
                oracle.step_departing(step, &mut self.outs, &mut |r| departed.push(r.id));
            }
            Run::Engine { engine, batches, .. } => {
                engine.step(step, &mut self.outs);
                let batch = batches.of(step);
                at.batch = engine.micro_batches().then_some(batch);
                // A whole-trace prediction sorts each batch's rows; a batch's rows all come
                // from its closing step.
                let names = &self.names;
                self.outs.sort_by_cached_key(|o| names.order(o));
            }
        }
        self.rows += self.outs.len() as u64;
        for o in self.outs.drain(..) {
            (self.row)(&o, &self.names, at)?;
        }
        for id in self.departed.drain(..) {
            self.names.release(id);
        }
        if let Run::Engine { held, .. } = self.run {
            if self.names.len() >= 2 * held + 65_536 {
                self.forget_released();
            }
        }
        Ok(())
    }
}

impl Predictor<'_, '_> {
    /// Lets go of the names of records the engine no longer holds; whether it ran one.
    fn forget_released(&mut self) -> bool {
        let Run::Engine { engine, held, .. } = &mut self.run else {
            return false;
        };
        let mut ids = engine.stored();
        ids.extend(engine.buffered());
        ids.sort_unstable();
        self.names.release_all_but(&ids);
        *held = ids.len();
        true
    }
}

/// The next output row of `lines`, skipping blank lines.
fn next_row(lines: &mut Lines<'_, impl BufRead>) -> Result<Option<RowName>, InputError> {
    let file = lines.file();
    while let Some((line, line_no)) = lines.next_line()? {
        if let Some(row) = format::read_row_name(line, file, line_no)? {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// The row name of an expected row.
fn expected_row(o: &Output, names: &StreamNames) -> RowName {
    let name = |id: RecordId| names.name(id).into();
    let side = |id: RecordId| names.side(id);
    match *o {
        Output::Match { left, right } => RowName::Match(name(left), name(right)),
        Output::Semi { left } => RowName::Semi(name(left)),
        Output::Unmatched(id) => RowName::Unmatched(side(id), name(id)),
        Output::Late(id) => RowName::Late(side(id), name(id)),
    }
}

/// The outcome of a streaming `diff`.
#[derive(Clone, Debug, Default)]
pub struct StreamDiff {
    /// How many rows the oracle expects.
    pub expected_rows: u64,
    /// How many rows the output holds.
    pub actual_rows: u64,
    /// Rows expected more often than emitted, with how many are missing, in name order.
    pub missing: Vec<(String, u64)>,
    /// Rows emitted more often than expected (including duplicates).
    pub extra: Vec<(String, u64)>,
    /// What the streaming oracle read from the trace and kept.
    pub stats: StreamStats,
    /// The most rows that were unbalanced at once: the diff's memory besides the window.
    pub pending_max: usize,
}

impl StreamDiff {
    /// Whether nothing is missing or extra.
    pub fn agrees(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }

    /// The report `joincheck diff` prints: at most `shown` rows of each kind, then the verdict
    /// line in the whole-trace form.
    pub fn text(&self, shown: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for (label, rows, why) in [
            ("missing", &self.missing, "expected by the oracle"),
            (
                "extra",
                &self.extra,
                "not expected by the oracle, or more often than expected",
            ),
        ] {
            for (row, count) in rows.iter().take(shown) {
                let times = if *count > 1 {
                    format!(" (x{count})")
                } else {
                    String::new()
                };
                let _ = writeln!(out, "{label:<10} {row}{times}: {why}");
            }
            if rows.len() > shown {
                let _ = writeln!(out, "{label:<10} ... and {} more", rows.len() - shown);
            }
        }
        let sum = |rows: &[(String, u64)]| rows.iter().map(|(_, c)| c).sum::<u64>();
        let _ = writeln!(
            out,
            "{}: {} expected rows, {} actual rows; {} missing, {} extra, 0 duplicated \
             (streamed: duplicates count as extra; {} lines read, at most {} records and {} unbalanced rows held)",
            if self.agrees() { "agree" } else { "differ" },
            self.expected_rows,
            self.actual_rows,
            sum(&self.missing),
            sum(&self.extra),
            self.stats.lines,
            self.stats.live_max,
            self.pending_max,
        );
        out
    }
}

/// Compares the rows in `actual` with the oracle's for the trace in `trace`, both streamed:
/// each side's rows are counted into one map that keeps only the rows not yet balanced, and
/// the actual file is read in step with the expected rows, so for an implementation that
/// writes its rows roughly in trace order the map stays small.
pub fn diff(
    spec: &JoinSpec,
    trace: impl BufRead,
    trace_file: &str,
    actual: impl BufRead,
    actual_file: &str,
) -> Result<StreamDiff, StreamError> {
    let mut pending: FxMap<RowName, i64> = FxMap::default();
    let mut result = StreamDiff::default();
    let mut actual_lines = Lines::new(actual, actual_file);
    let count = |pending: &mut FxMap<RowName, i64>, row: RowName, by: i64| {
        let entry = pending.entry(row);
        match entry {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                *e.get_mut() += by;
                if *e.get() == 0 {
                    e.remove();
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(by);
            }
        }
    };
    let mut pending_max = 0;
    let stats = rows(spec, trace, trace_file, &mut |o, names, _| {
        result.expected_rows += 1;
        count(&mut pending, expected_row(o, names), 1);
        // Keep the actual file level with the expected rows.
        while result.actual_rows < result.expected_rows {
            match next_row(&mut actual_lines).map_err(std::io::Error::other)? {
                Some(row) => {
                    result.actual_rows += 1;
                    count(&mut pending, row, -1);
                }
                None => break,
            }
        }
        pending_max = pending_max.max(pending.len());
        Ok(())
    })
    .map_err(|e| match e {
        // A bad actual line travels through the row callback as an I/O error.
        StreamError::Io(io) => match io.downcast::<InputError>() {
            Ok(input) => StreamError::Input(input),
            Err(io) => StreamError::Io(io),
        },
        other => other,
    })?;
    while let Some(row) = next_row(&mut actual_lines)? {
        result.actual_rows += 1;
        count(&mut pending, row, -1);
        pending_max = pending_max.max(pending.len());
    }
    let mut rows: Vec<(RowName, i64)> = pending.into_iter().collect();
    rows.sort();
    for (row, n) in rows {
        if n > 0 {
            result.missing.push((row.to_string(), n.unsigned_abs()));
        } else {
            result.extra.push((row.to_string(), n.unsigned_abs()));
        }
    }
    result.stats = stats;
    result.pending_max = pending_max;
    Ok(result)
}

/// Writes rows to `out`, holding the first [`HOLD_BACK_BYTES`] back so that a run that stops
/// on bad input early prints nothing.
pub(crate) struct HeldBack<W: Write> {
    out: W,
    held: Option<Vec<u8>>,
}

impl<W: Write> HeldBack<W> {
    /// A writer to `out`, with nothing held yet.
    pub fn new(out: W) -> HeldBack<W> {
        HeldBack {
            out,
            held: Some(Vec::new()),
        }
    }

    /// Writes `json` and a newline; the first [`HOLD_BACK_BYTES`] of rows are held back.
    pub fn row(&mut self, json: &[u8]) -> std::io::Result<()> {
        match &mut self.held {
            Some(held) => {
                held.extend_from_slice(json);
                held.push(b'\n');
                if held.len() >= HOLD_BACK_BYTES {
                    let held = self.held.take().expect("held");
                    self.out.write_all(&held)?;
                }
                Ok(())
            }
            None => {
                self.out.write_all(json)?;
                self.out.write_all(b"\n")
            }
        }
    }

    /// Prints what is held and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        if let Some(held) = self.held.take() {
            self.out.write_all(&held)?;
        }
        self.out.flush()
    }
}
