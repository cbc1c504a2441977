//! The join condition: kinds, the time window, and the parameters every engine takes.

use super::{Knobs, Profile, Removed, SpecWatermarks, WatermarkSpec};
use crate::event::{Record, Side};
use crate::time::{Duration, Watermark};
use std::fmt;

/// Which rows a join produces besides matched pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// Matched pairs only.
    Inner,
    /// Matched pairs, and a null-padded row for each left record that never matches.
    LeftOuter,
    /// Matched pairs, and a null-padded row for each right record that never matches.
    RightOuter,
    /// Matched pairs, and a null-padded row for each record of either side that never matches.
    FullOuter,
    /// Each left record with at least one match, once, without its partners.
    LeftSemi,
}

impl JoinKind {
    pub(super) const ALL: [(&'static str, JoinKind); 5] = [
        ("inner", JoinKind::Inner),
        ("left_outer", JoinKind::LeftOuter),
        ("right_outer", JoinKind::RightOuter),
        ("full_outer", JoinKind::FullOuter),
        ("left_semi", JoinKind::LeftSemi),
    ];

    /// The kind's name in a model file (`"inner"`, `"left_outer"`, `"right_outer"`,
    /// `"full_outer"`, `"left_semi"`).
    pub fn name(self) -> &'static str {
        super::name_in(&JoinKind::ALL, self)
    }

    /// Whether an unmatched record of `side` gets a null-padded row.
    pub fn pads(self, side: Side) -> bool {
        matches!(
            (self, side),
            (JoinKind::LeftOuter, Side::Left) | (JoinKind::RightOuter, Side::Right) | (JoinKind::FullOuter, _)
        )
    }
}

/// One end of the time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bound {
    /// The offset `right.ts - left.ts` at this end.
    pub at: Duration,
    /// Whether the offset `at` itself is inside the window.
    pub inclusive: bool,
}

/// The time condition `right.ts - left.ts ∈ [lower, upper]`, each end inclusive or exclusive,
/// or an equality `right.ts = left.ts + offset` ([`Bounds::equal`]).
///
/// An equality holds for the same pairs as the range `[offset, offset]`; it is kept apart
/// because engines plan it differently: Spark makes an equality on event-time columns part of
/// the join key and evicts by that key (`src/engine/spark.rs`). Constructed only through
/// [`Bounds::new`], [`Bounds::closed`] and [`Bounds::equal`], which reject empty windows, so
/// `lowest() <= highest()` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    lower: Bound,
    upper: Bound,
    equality: bool,
}

impl Bounds {
    /// `None` when no integer offset lies in the window (`lower > upper`, or `(0ms, 0ms]`).
    pub fn new(lower: Bound, upper: Bound) -> Option<Bounds> {
        let b = Bounds {
            lower,
            upper,
            equality: false,
        };
        (b.lowest() <= b.highest()).then_some(b)
    }

    /// The equality `right.ts = left.ts + offset`, as a user writes it in a join condition
    /// (`clickTime = impressionTime + interval 5 minutes`): the pairs of `[offset, offset]`,
    /// planned as an equality.
    pub fn equal(offset: Duration) -> Bounds {
        let at = Bound {
            at: offset,
            inclusive: true,
        };
        Bounds {
            lower: at,
            upper: at,
            equality: true,
        }
    }

    /// Whether the condition was stated as an equality rather than a range.
    pub fn is_equality(&self) -> bool {
        self.equality
    }

    /// `[lower, upper]` with both ends inclusive.
    pub fn closed(lower: Duration, upper: Duration) -> Option<Bounds> {
        Bounds::new(
            Bound {
                at: lower,
                inclusive: true,
            },
            Bound {
                at: upper,
                inclusive: true,
            },
        )
    }

    /// The lower end of the window, as written.
    pub fn lower(&self) -> Bound {
        self.lower
    }

    /// The upper end of the window, as written.
    pub fn upper(&self) -> Bound {
        self.upper
    }

    /// The smallest offset `right.ts - left.ts` inside the window, exactly.
    pub fn lowest(&self) -> i128 {
        i128::from(self.lower.at.as_millis()) + i128::from(!self.lower.inclusive)
    }

    /// The largest offset `right.ts - left.ts` inside the window, exactly.
    pub fn highest(&self) -> i128 {
        i128::from(self.upper.at.as_millis()) - i128::from(!self.upper.inclusive)
    }

    /// Whether a right record `offset` ms after a left record is inside the window.
    pub fn contains(&self, offset: i128) -> bool {
        self.lowest() <= offset && offset <= self.highest()
    }

    /// The event times (exactly, as `i128`) that a partner of `record` must lie within.
    pub fn partner_range(&self, record: &Record) -> (i128, i128) {
        let ts = i128::from(record.ts.as_millis());
        match record.side {
            Side::Left => (ts + self.lowest(), ts + self.highest()),
            Side::Right => (ts - self.highest(), ts - self.lowest()),
        }
    }

    pub(super) fn parse(text: &str) -> Result<Bounds, String> {
        let s = text.trim();
        if let Some(offset) = s.strip_prefix('=') {
            let offset: Duration = offset.parse().map_err(|e| format!("equality offset: {e}"))?;
            return Ok(Bounds::equal(offset));
        }
        let shape = || {
            format!(
                "{text:?} is not a window; write e.g. \"[0ms, 1h]\" ([ ] inclusive, ( ) exclusive) or an equality \"= 0ms\""
            )
        };
        let lower_inclusive = match s.chars().next() {
            Some('[') => true,
            Some('(') => false,
            _ => return Err(shape()),
        };
        let upper_inclusive = match s.chars().last() {
            Some(']') => true,
            Some(')') => false,
            _ => return Err(shape()),
        };
        let inner = &s[1..s.len() - 1];
        let (lo, hi) = inner.split_once(',').ok_or_else(shape)?;
        let lo: Duration = lo.parse().map_err(|e| format!("lower bound: {e}"))?;
        let hi: Duration = hi.parse().map_err(|e| format!("upper bound: {e}"))?;
        let lower = Bound {
            at: lo,
            inclusive: lower_inclusive,
        };
        let upper = Bound {
            at: hi,
            inclusive: upper_inclusive,
        };
        Bounds::new(lower, upper).ok_or_else(|| {
            if lo > hi {
                format!("lower bound {lo} is after upper bound {hi}")
            } else {
                format!("the window {text} holds no offset")
            }
        })
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.equality {
            return write!(f, "= {}", self.lower.at);
        }
        write!(
            f,
            "{}{}, {}{}",
            if self.lower.inclusive { '[' } else { '(' },
            self.lower.at,
            self.upper.at,
            if self.upper.inclusive { ']' } else { ')' }
        )
    }
}
/// The semantic parameters of a join: everything an engine needs, small and `Copy` so that
/// engines can carry it inside states the model checker hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JoinParams {
    /// The engine the model prescribes.
    pub profile: Profile,
    /// Which rows the join produces besides matched pairs.
    pub kind: JoinKind,
    /// The time window a pair must fall in.
    pub bounds: Bounds,
    /// Where watermarks come from and when a record is late.
    pub watermark: WatermarkSpec,
    /// How long after its event time a keyed Flink function keeps a left record (`[join]
    /// horizon`): the seed's TTL and cleanup-timer offset (`flink-keyed-ttl`), the corrected
    /// function's impression cleanup (`flink-keyed-fixed`). `None`: the window's upper end,
    /// as the seed has it; other profiles have none.
    pub horizon: Option<Duration>,
    /// How long after a window ends Kafka Streams still admits a record to it (`[join]
    /// grace`, `JoinWindows.ofTimeDifferenceAndGrace`): the `kafka-streams` profile's only;
    /// `None` is no grace.
    pub grace: Option<Duration>,
    /// The engine knobs (`[join] eviction`, `end_of_input`, `outer_rows`), the profile's
    /// row unless the model states them.
    pub knobs: Knobs,
    /// The engine's departures this run leaves out, to tell a violation's causes apart
    /// ([`crate::model::known_bugs`]): [`Removed::NONE`] for every join a model file states.
    pub removed: Removed,
}

impl JoinParams {
    /// The keyed Flink functions' retention of a left record: [`JoinParams::horizon`] when the
    /// model sets one, else the window's largest offset.
    pub fn horizon(&self) -> Duration {
        self.horizon
            .unwrap_or_else(|| Duration::from_millis(i64::try_from(self.bounds.highest()).unwrap_or(i64::MAX)))
    }

    /// Kafka Streams' grace period: [`JoinParams::grace`] when the model sets one, else zero.
    pub fn grace(&self) -> Duration {
        self.grace.unwrap_or(Duration::ZERO)
    }

    /// Whether `l` and `r` form a valid pair by key and time (lateness aside).
    pub fn matches(&self, l: &Record, r: &Record) -> bool {
        debug_assert_eq!((l.side, r.side), (Side::Left, Side::Right));
        l.key == r.key && self.bounds.contains(l.ts.offset_to(r.ts))
    }

    /// Whether a record that arrives now could still be a partner of `record`, with the
    /// spec's watermarks at `wm` (its partners are judged against the other side's,
    /// [`SpecWatermarks::judge`]). `ended` means no record arrives any more.
    pub fn can_still_match_now(&self, record: &Record, wm: &SpecWatermarks, ended: bool) -> bool {
        self.can_still_match(record, wm.judge(&self.watermark, record.side.other()), ended)
    }

    /// Whether the end of input flushes state ([`super::EndOfInput::Flush`]).
    pub fn flushes_at_end(&self) -> bool {
        self.knobs.end_of_input == super::EndOfInput::Flush
    }

    /// Whether a record that arrives after the watermark its partners are judged against
    /// reached `wm` could still be a partner of `record`. `ended` means no record arrives any
    /// more.
    pub fn can_still_match(&self, record: &Record, wm: Watermark, ended: bool) -> bool {
        if ended {
            return false;
        }
        let (lo, hi) = self.bounds.partner_range(record);
        let lo = lo.max(self.watermark.lateness.first_on_time(wm));
        let hi = hi.min(i128::from(i64::MAX));
        lo <= hi
    }
}
