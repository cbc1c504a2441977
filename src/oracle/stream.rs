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
use crate::engine::store::{Fx, FxMap};
use crate::engine::Engine;
use crate::error::InputError;
use crate::event::Position;
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::format::{self, LineStep, Lines, RowName, StepReader};
use crate::model::JoinSpec;
use crate::trace::Step;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
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

/// A record's id: inline up to 23 bytes (no allocation for the usual `i123456`), else boxed.
#[derive(Clone, Debug)]
enum Name {
    Inline(u8, [u8; 23]),
    Heap(Box<str>),
}

impl Name {
    fn new(s: &str) -> Name {
        match u8::try_from(s.len()) {
            Ok(n) if n <= 23 => {
                let mut bytes = [0; 23];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Name::Inline(n, bytes)
            }
            _ => Name::Heap(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Name::Inline(n, bytes) => std::str::from_utf8(&bytes[..usize::from(*n)]).expect("copied from a str"),
            Name::Heap(s) => s,
        }
    }
}

// A name hashes and compares as its text, so that a map keyed by names is searched by `&str`.
impl std::hash::Hash for Name {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h);
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// A live record's names.
#[derive(Clone, Debug)]
struct Live {
    side: Side,
    key: Key,
    /// The fingerprint of (side, id) under which `Names::by_print` knows it, if it does.
    print: Option<u64>,
    name: Name,
    /// Its place in the trace among the records (the id a whole-trace run gives it).
    seq: u64,
}

/// Names of the live records and their keys, with numbers recycled as records leave.
///
/// A reused id is found through a 64-bit fingerprint of (side, id) and confirmed by comparing
/// the names, so the check is exact; the map holds 12 bytes per live record and no string.
/// (Two different live ids with one fingerprint, about one chance in 10^8 for a window of
/// half a million, leave the second out of the check rather than report a false reuse.)
/// Keys are found the same way, by a 64-bit hash confirmed by comparing the names: a key
/// whose hash another live key has (a chance in 10^8 again) goes to a map by name instead.
/// Both maps thus hold 16 bytes an entry, the fewer cache lines the better: at a window of
/// hundreds of thousands of records every lookup is a cache miss.
#[derive(Default)]
struct Names {
    key_of: HashMap<u64, Key, BuildHasherDefault<Identity>>,
    /// Keys whose hash another live key had when they came.
    key_of_collided: FxMap<Name, Key>,
    /// Per key number: its name, its hash, how many live records (or records of this step)
    /// use it, and whether it is in `key_of_collided`.
    keys: Vec<KeySlot>,
    /// Numbers of keys no live record has, reused first in, first out (see `free_ids`).
    free_keys: std::collections::VecDeque<Key>,
    by_print: HashMap<u64, RecordId, BuildHasherDefault<Identity>>,
    records: Vec<Option<Live>>,
    /// Numbers of records that left, reused first in, first out: records leave roughly in
    /// time order and come roughly in time order, so the slots (and the state's buckets by
    /// key number) are visited almost in sequence, where a stack would scatter them.
    free_ids: std::collections::VecDeque<RecordId>,
    /// How many records have been admitted.
    admitted: u64,
}

/// A live key.
#[derive(Clone, Debug)]
struct KeySlot {
    name: Name,
    hash: u64,
    count: u32,
    collided: bool,
}

/// The hasher of a map whose keys are already hashes.
#[derive(Default, Clone, Copy)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn fingerprint(side: Side, id: &str) -> u64 {
    use std::hash::BuildHasher;
    BuildHasherDefault::<Fx>::default().hash_one((side.index() as u8, id))
}

impl format::Names for Names {
    fn record_name(&self, id: RecordId) -> &str {
        self.live(id).name.as_str()
    }

    fn record_key(&self, id: RecordId) -> &str {
        self.keys[self.key(id).0 as usize].name.as_str()
    }

    fn record_side(&self, id: RecordId) -> Side {
        self.live(id).side
    }
}

impl Names {
    /// Numbers a record; `None` when a live record of `side` already has the id.
    fn admit(&mut self, side: Side, key: &str, id: &str) -> Option<RecordId> {
        use std::collections::hash_map::Entry;
        let print = fingerprint(side, id);
        let rid = match self.free_ids.front() {
            Some(&rid) => rid,
            None => RecordId(u32::try_from(self.records.len()).expect("fewer than 2^32 live records")),
        };
        let free_print = match self.by_print.entry(print) {
            Entry::Vacant(slot) => {
                slot.insert(rid);
                true
            }
            Entry::Occupied(slot) => {
                let other = self.records[slot.get().index()].as_ref().expect("a live record");
                if other.side == side && other.name.as_str() == id {
                    return None;
                }
                false
            }
        };
        let key = self.key_number(key);
        let live = Live {
            side,
            key,
            print: free_print.then_some(print),
            name: Name::new(id),
            seq: self.admitted,
        };
        self.admitted += 1;
        match self.free_ids.pop_front() {
            Some(_) => self.records[rid.index()] = Some(live),
            None => self.records.push(Some(live)),
        }
        Some(rid)
    }

    /// The number of the key named `key`, counting one more record that has it.
    fn key_number(&mut self, key: &str) -> Key {
        use std::collections::hash_map::Entry;
        let hash = std::hash::BuildHasher::hash_one(&BuildHasherDefault::<Fx>::default(), key);
        let next = match self.free_keys.front() {
            Some(&k) => k,
            None => Key(u32::try_from(self.keys.len()).expect("fewer than 2^32 live keys")),
        };
        let collided = match self.key_of.entry(hash) {
            Entry::Occupied(slot) => {
                let k = *slot.get();
                let known = &mut self.keys[k.0 as usize];
                if known.name.as_str() == key {
                    known.count += 1;
                    return k;
                }
                match self.key_of_collided.get(key) {
                    Some(&k) => {
                        self.keys[k.0 as usize].count += 1;
                        return k;
                    }
                    None => {
                        self.key_of_collided.insert(Name::new(key), next);
                        true
                    }
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(next);
                false
            }
        };
        let slot = KeySlot {
            name: Name::new(key),
            hash,
            count: 1,
            collided,
        };
        match self.free_keys.pop_front() {
            Some(k) => self.keys[k.0 as usize] = slot,
            None => self.keys.push(slot),
        }
        next
    }

    fn live(&self, id: RecordId) -> &Live {
        self.records[id.index()].as_ref().expect("a live record")
    }

    fn key(&self, id: RecordId) -> Key {
        self.live(id).key
    }

    /// Forgets a record that left the window, and its key when no live record has it.
    fn release(&mut self, id: RecordId) {
        let live = self.records[id.index()].take().expect("a live record");
        if let Some(print) = live.print {
            self.by_print.remove(&print);
        }
        self.free_ids.push_back(id);
        let slot = &mut self.keys[live.key.0 as usize];
        slot.count -= 1;
        if slot.count == 0 {
            if slot.collided {
                self.key_of_collided.remove(slot.name.as_str());
            } else {
                self.key_of.remove(&slot.hash);
            }
            self.free_keys.push_back(live.key);
        }
    }

    /// Forgets every live record but those in `held` (ascending).
    fn release_all_but(&mut self, held: &[RecordId]) {
        for i in 0..self.records.len() {
            let id = RecordId(i as u32);
            if self.records[i].is_some() && held.binary_search(&id).is_err() {
                self.release(id);
            }
        }
    }

    /// The order key of an output among outputs of one batch: the order of [`Output`] with
    /// each id replaced by its record's place in the trace, so that rows sort as a
    /// whole-trace run sorts them.
    fn order(&self, o: &Output) -> (u8, u64, u64) {
        let seq = |id: RecordId| self.live(id).seq;
        match *o {
            Output::Match { left, right } => (0, seq(left), seq(right)),
            Output::Semi { left } => (1, seq(left), 0),
            Output::Unmatched(id) => (2, seq(id), 0),
            Output::Late(id) => (3, seq(id), 0),
        }
    }

    /// How many records are live.
    fn len(&self) -> usize {
        self.records.len() - self.free_ids.len()
    }
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
type OnRow<'a> = dyn FnMut(&Output, &Names, Position) -> std::io::Result<()> + 'a;

/// Reads the trace from `input` and hands every expected row to `row`, with the names.
fn rows(spec: &JoinSpec, input: impl BufRead, file: &str, row: &mut OnRow<'_>) -> Result<StreamStats, StreamError> {
    let mut reader = StepReader::new(file);
    let mut feed = Feed {
        run: if spec.params.profile.predicts_engine() {
            Run::Engine {
                engine: crate::engine::for_spec(spec),
                batch: 0,
                held: 0,
            }
        } else {
            Run::Oracle(Box::new(StreamingOracle::new(spec.params)))
        },
        names: Names::default(),
        outs: Vec::new(),
        departed: Vec::new(),
    };
    let mut stats = StreamStats::default();
    let mut ended = false;
    let mut lines = Lines::new(input, file);
    while let Some((line, line_no)) = lines.next_line()? {
        stats.lines = line_no as u64;
        let step = match reader.line(line, line_no)? {
            None => continue,
            Some(LineStep::Record { side, key, ts, id }) => {
                let rid = feed.admit(side, &key, &id).ok_or_else(|| {
                    InputError::new(
                        file,
                        format!("record id {id:?} is used twice on the {side} side (the first is still in the window)"),
                    )
                    .at_line(line_no)
                    .field("id")
                })?;
                stats.records += 1;
                Step::Record(Record {
                    side,
                    key: feed.names.key(rid),
                    ts,
                    id: rid,
                })
            }
            Some(LineStep::Other(step)) => step,
        };
        spec.check_step(&step, file, Some(line_no))?;
        stats.live_max = stats.live_max.max(feed.names.len());
        ended |= step == Step::End;
        stats.rows += feed.step(&step, row)?;
    }
    // End of file is end of input.
    if !ended {
        stats.rows += feed.step(&Step::End, row)?;
    }
    Ok(stats)
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
        /// The trace micro-batch of the next step: markers before it (DESIGN.md).
        batch: u64,
        /// How many records the engine held after the last round.
        held: usize,
    },
}

/// What computes the rows and the names of what it holds.
struct Feed {
    run: Run,
    names: Names,
    outs: Vec<Output>,
    departed: Vec<RecordId>,
}

impl Feed {
    /// Numbers a record; `None` when a record the run still holds has the id on `side`.
    fn admit(&mut self, side: Side, key: &str, id: &str) -> Option<RecordId> {
        if let Some(rid) = self.names.admit(side, key, id) {
            return Some(rid);
        }
        // An engine's names are let go of in rounds: the first record may be gone already.
        self.forget_released();
        self.names.admit(side, key, id)
    }

    /// Lets go of the names of records the engine no longer holds.
    fn forget_released(&mut self) {
        if let Run::Engine { engine, held, .. } = &mut self.run {
            let mut ids = engine.stored();
            ids.extend(engine.buffered());
            ids.sort_unstable();
            self.names.release_all_but(&ids);
            *held = ids.len();
        }
    }

    /// Runs one step, hands its rows to `row`, forgets the records that left; the row count.
    fn step(&mut self, step: &Step, row: &mut OnRow<'_>) -> std::io::Result<u64> {
        let mut at = Position::default();
        match &mut self.run {
            Run::Oracle(oracle) => {
                let departed = &mut self.departed;
                oracle.step_departing(step, &mut self.outs, &mut |r| departed.push(r.id));
            }
            Run::Engine { engine, batch, .. } => {
                engine.step(step, &mut self.outs);
                if engine.micro_batches() {
                    at.batch = Some(*batch as usize);
                }
                *batch += u64::from(*step == Step::Batch);
                // A whole-trace prediction sorts each batch's rows; a batch's rows all come
                // from its closing step.
                let names = &self.names;
                self.outs.sort_by_cached_key(|o| names.order(o));
            }
        }
        let rows = self.outs.len() as u64;
        for o in self.outs.drain(..) {
            row(&o, &self.names, at)?;
        }
        for id in self.departed.drain(..) {
            self.names.release(id);
        }
        if let Run::Engine { held, .. } = self.run {
            if self.names.len() >= 2 * held + 65_536 {
                self.forget_released();
            }
        }
        Ok(rows)
    }
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
fn expected_row(o: &Output, names: &Names) -> RowName {
    let name = |id: RecordId| names.live(id).name.as_str().into();
    let side = |id: RecordId| names.live(id).side;
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
