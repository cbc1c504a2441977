//! What flows through a join: records on two sides, the steps of a trace, and the outputs an
//! engine emits.
//!
//! Keys and record ids are strings in the public format and small integers inside: a
//! [`crate::trace::Trace`] interns them, so engines, the oracle and the checker compare and
//! hash integers, and the names come back only when something is printed.

use crate::time::{EventTime, ProcessingTime, Watermark};
use std::fmt;

/// Which input of the join a record arrives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// Impressions in the seed design.
    Left,
    /// Clicks in the seed design.
    Right,
}

impl Side {
    /// Both sides, left first (the order of [`Side::index`]).
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// The opposite side.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// The sides a step addressed to `side` applies to: that one, or both when `None`.
    pub fn selected(side: Option<Side>) -> impl Iterator<Item = Side> {
        Side::BOTH
            .into_iter()
            .filter(move |s| side.is_none_or(|only| only == *s))
    }

    /// 0 for left, 1 for right: for per-side arrays.
    pub fn index(self) -> usize {
        match self {
            Side::Left => 0,
            Side::Right => 1,
        }
    }

    /// The side's name in the public format: `"left"` or `"right"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    /// Reads a side's name in the public format (`"left"` or `"right"`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "left" => Some(Side::Left),
            "right" => Some(Side::Right),
            _ => None,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An interned join key (the `key` field of a record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(pub u32);

/// An interned record id. Ids are unique within a trace across both sides, so a `RecordId`
/// alone names one record; the trace maps it back to its side and its string id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u32);

impl RecordId {
    /// The id's number as an index, for per-record arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One input record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Record {
    /// The input the record arrives on.
    pub side: Side,
    /// The join key.
    pub key: Key,
    /// The record's event time.
    pub ts: EventTime,
    /// The record's id, unique within its trace.
    pub id: RecordId,
}

/// What an engine emits.
///
/// The public JSON form (see `crate::trace` for reading and writing it):
/// `{"type":"match","left":"i1","right":"c1","key":"a"}`,
/// `{"type":"unmatched","side":"left","id":"i2","key":"a"}`,
/// `{"type":"late","side":"right","id":"c9","key":"a"}`.
/// A left-semi row is a `match` line without `right`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    /// A joined pair.
    Match {
        /// The left record.
        left: RecordId,
        /// The right record.
        right: RecordId,
    },
    /// A left-semi row: the left record has at least one match.
    Semi {
        /// The left record.
        left: RecordId,
    },
    /// A null-padded row for a record that never matched (outer joins).
    Unmatched(RecordId),
    /// A record dropped because it arrived behind the watermark.
    Late(RecordId),
}

impl Output {
    /// The match of `arriving`, a record of `side`, with `partner`, a record of the other side.
    pub fn pair(side: Side, arriving: RecordId, partner: RecordId) -> Output {
        match side {
            Side::Left => Output::Match {
                left: arriving,
                right: partner,
            },
            Side::Right => Output::Match {
                left: partner,
                right: arriving,
            },
        }
    }

    /// The records this output names.
    pub fn records(&self) -> impl Iterator<Item = RecordId> {
        let (a, b) = match *self {
            Output::Match { left, right } => (left, Some(right)),
            Output::Semi { left } => (left, None),
            Output::Unmatched(id) | Output::Late(id) => (id, None),
        };
        std::iter::once(a).chain(b)
    }

    /// The `type` field of the output's public JSON form: `"match"` (also for semi rows),
    /// `"unmatched"` or `"late"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Output::Match { .. } | Output::Semi { .. } => "match",
            Output::Unmatched(_) => "unmatched",
            Output::Late(_) => "late",
        }
    }
}

/// An output together with where it appeared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Emitted {
    /// What was emitted.
    pub output: Output,
    /// Where it appeared.
    pub at: Position,
}

/// Where an output appeared, as the public format's optional `step` / `batch` fields say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Index of the trace step after which the output appears.
    pub step: Option<usize>,
    /// Index of the trace's micro-batch whose processing emitted it (batch profiles).
    pub batch: Option<usize>,
}

/// One thing that happens, in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// An input record arrives.
    Record(Record),
    /// An explicit watermark for one input, or for both when `side` is `None`.
    Watermark {
        /// The input the watermark is for, or `None` for both.
        side: Option<Side>,
        /// The new watermark.
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
