//! Where a scope's event times come from: listed by the model's author, or derived from the
//! join's own constants, relative to the times already in the trace.
//!
//! # Why a derived domain loses nothing (and where the argument stops)
//!
//! Every decision the spec and the profiles' engines make about event times compares a
//! difference of two times against a constant, or a time against a fixed point:
//!
//! - a pair matches when `right.ts − left.ts` lies within the bounds `[lo, hi]`;
//! - an input's derived watermark is `max ts − delay` (Flink's bounded out-of-orderness:
//!   `− 1` more), so "`t` is late" is "`t − u < −delay`" for some earlier record `u` of that
//!   input, and a combined watermark (min or max of the inputs) is a conjunction or
//!   disjunction of such comparisons;
//! - a stored record's last chance is a bound past it, so eviction, cleanup timers and outer
//!   rows compare `t + hi` or `t − lo` against a watermark: `t − u` against `hi + delay` or
//!   `delay − lo`, give or take the engines' own millisecond (Spark's `− 1` state watermark,
//!   Flink's `wm − 1` and timers at `t + hi + 1`);
//! - the fixed points are the epoch, 0: Spark's watermark starts there and never goes below,
//!   Flink SQL emits no watermark at or below it and drops rows cached at or before it
//!   ([`super::ProfileInfo::epoch`]). The other profiles have none: a run behaves alike
//!   when every time moves by the same amount, so the first time can be 0.
//!
//! So an engine run depends on the times only through the signs of `t_i − t_j − c` for a
//! finite set `C` of constants ([`constants`]: the bounds, the delays, and their sums and
//! differences, with both signs) and the fixed point 0 taken as a time of its own — the
//! region construction for timed automata, with integer times. Two traces that agree on all
//! those signs are judged alike by every property and run alike in every engine.
//!
//! The derived domain offers, for each new record (or explicit watermark), the times
//! `s + c + δ` for every earlier time `s` of the trace (and 0 where the profile treats it
//! specially and the run starts near it; otherwise the first time is the scope's origin,
//! 2026-01-01 by default, far enough from 0 that no rule at the epoch can decide anything),
//! every `c` in `C` and
//! `δ ∈ {−1, 0, +1}`: the landmarks at a constant's distance from an earlier time, and one
//! millisecond on either side. Whatever the new time's position among the landmarks — below
//! one, on it, above it, between two — one of the offered times takes the same position, so
//! every sign the new time can give against what came before is reached.
//!
//! The argument stops at later records: a later record may need room between two landmarks
//! that an earlier choice (one millisecond past one landmark, or one before the next) does
//! not leave, when the constants are a few milliseconds apart. That is what
//! `tests/domain` checks by brute force: for scaled-down models of every profile, whose
//! constants are a few milliseconds, the checker over every integer time of a dense window
//! finds exactly the violations (of the models and of the bundled mutants) that the derived
//! domain finds in the same window.
//!
//! Both halves of the construction are needed, and the test shows it: with the bounds and
//! delays alone (no sums or differences) every profile's verdicts differ from the dense
//! ones, and without the ±1 ms Spark's and Flink SQL's differ when the two delays are equal
//! (their engines' own millisecond: the state watermark's `− 1`, expiry at `wm − rel − 1`).
//!
//! The domain stays small because it is relative: a global list of every constant ±1 ms
//! from 0 needs about a million traces to show a 1 ms slip that two records at a delay's
//! distance show at once.

use super::JoinParams;
use crate::time::EventTime;
use std::fmt;

/// A scope's event times, or its explicit watermark values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Times {
    /// The values the model lists, in increasing order.
    Listed(Vec<EventTime>),
    /// Derived from the join's constants, relative to the times already in the trace (see the
    /// module documentation).
    Derived,
}

impl Times {
    /// The listed values; none when derived.
    pub fn listed(&self) -> &[EventTime] {
        match self {
            Times::Listed(v) => v,
            Times::Derived => &[],
        }
    }

    /// Whether the values are derived rather than listed.
    pub fn is_derived(&self) -> bool {
        matches!(self, Times::Derived)
    }
}

/// The distances between event times that a join's decisions turn on: the bounds, the
/// delays (Flink's bounded out-of-orderness one more), and their sums and differences (a
/// pair's offset against a bound; a record against a watermark, which trails another record
/// by a delay; a stored record's last chance, a bound past it, against that watermark), with
/// both signs, 0 included, in increasing order. Engines' own offsets (Spark's −1 ms state
/// watermark, Flink's `wm − 1`) are within a millisecond of these, which the derived domain's
/// ±1 ms covers.
pub fn constants(params: &JoinParams) -> Vec<i64> {
    let clamp = |v: i128| i64::try_from(v.clamp(i128::from(i64::MIN / 4), i128::from(i64::MAX / 4))).expect("clamped");
    let extra = i64::from(params.watermark.timing == super::Timing::BoundedOutOfOrderness);
    let base = [
        0,
        clamp(params.bounds.lowest()),
        clamp(params.bounds.highest()),
        params.watermark.delay[0].as_millis().saturating_add(extra),
        params.watermark.delay[1].as_millis().saturating_add(extra),
        params.horizon().as_millis(),
    ];
    let mut out = Vec::new();
    for a in base {
        for b in base {
            for v in [a.saturating_add(b), a.saturating_sub(b)] {
                out.push(v);
                out.push(v.saturating_neg());
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The derived domain of one join: which times a new record or watermark may take, given
/// the times already in the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeDomain {
    /// The join's constants ([`constants`]).
    constants: Vec<i64>,
    /// Every constant, and one millisecond either side, in increasing order.
    offsets: Vec<i64>,
    /// The times the domain keeps to: what the profile's engine can represent, narrowed by
    /// the scope's `time_range`.
    range: (i64, i64),
    /// Whether 0 counts as an earlier time (the profile treats the epoch specially).
    /// Otherwise a run behaves alike when all its times move by the same amount, and the
    /// first time is the origin (or the range's nearest end).
    epoch: bool,
    /// Where a run's first time lies when the epoch does not count.
    origin: i64,
}

impl TimeDomain {
    /// The derived domain of `params`, kept within `range` when one is given, whose runs start
    /// at `origin` ([`super::Scope::origin`]).
    pub fn new(params: &JoinParams, range: Option<(EventTime, EventTime)>, origin: EventTime) -> TimeDomain {
        let constants = constants(params);
        let mut offsets: Vec<i64> = constants
            .iter()
            .copied()
            .flat_map(|c| [c.saturating_sub(1), c, c.saturating_add(1)])
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let (mut lo, mut hi) = params.profile.record_range();
        if let Some((from, to)) = range {
            lo = lo.max(from.as_millis());
            hi = hi.min(to.as_millis());
        }
        // A run of at most 16 records and as many watermarks moves at most the largest
        // offset per step from its origin: an origin farther from 0 than all of them together
        // never sees the epoch, and there a profile's rules at 0 decide nothing.
        let reach = offsets
            .iter()
            .map(|o| o.unsigned_abs())
            .max()
            .unwrap_or(0)
            .saturating_add(1)
            .saturating_mul(64);
        let near_epoch = origin.as_millis().unsigned_abs() <= reach;
        TimeDomain {
            constants,
            offsets,
            range: (lo, hi),
            epoch: params.profile.epoch_matters() && near_epoch,
            origin: origin.as_millis(),
        }
    }

    /// Whether 0 counts as an earlier time: the profile treats the epoch specially and the
    /// run starts near it.
    pub fn anchors_at_epoch(&self) -> bool {
        self.epoch
    }

    /// The offsets from an earlier time that a new time may take.
    pub fn offsets(&self) -> &[i64] {
        &self.offsets
    }

    /// The most times [`TimeDomain::candidates`] offers after `earlier` earlier times.
    pub fn most_candidates(&self, earlier: usize) -> usize {
        match (self.epoch, earlier) {
            (false, 0) => 1,
            (false, n) => self.offsets.len() * n,
            (true, n) => self.offsets.len() * (n + 1),
        }
    }

    /// Appends to `out`, in increasing order and each once, the times a new record or
    /// watermark may take after the times `earlier`: every earlier time (and 0, where the
    /// profile treats the epoch specially) plus every offset, within the domain's range, above
    /// `above` when given. The first time of a run whose profile does not treat the epoch
    /// specially, or whose origin is far from it, is the origin (or the range's nearest end).
    /// `out` is cleared first.
    pub fn candidates(&self, earlier: impl IntoIterator<Item = i64>, above: Option<i64>, out: &mut Vec<EventTime>) {
        out.clear();
        let (lo, hi) = self.range;
        let lo = match above {
            Some(a) => lo.max(a.saturating_add(1)),
            None => lo,
        };
        let mut earlier = earlier.into_iter().peekable();
        if !self.epoch && earlier.peek().is_none() {
            if lo <= hi {
                out.push(EventTime::from_millis(self.origin.clamp(lo, hi)));
            }
            return;
        }
        let epoch = self.epoch.then_some(0);
        for s in epoch.into_iter().chain(earlier) {
            for &o in &self.offsets {
                let t = s.saturating_add(o);
                if lo <= t && t <= hi {
                    out.push(EventTime::from_millis(t));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

impl fmt::Display for TimeDomain {
    /// The constants, each once with both signs: `{0 ±10m ±1h}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self
            .constants
            .iter()
            .filter(|&&c| c >= 0)
            .map(|&c| {
                let d = crate::time::Duration::from_millis(c);
                if c == 0 || !self.constants.contains(&c.saturating_neg()) {
                    d.to_string()
                } else {
                    format!("±{d}")
                }
            })
            .collect();
        write!(f, "{{{}}}", shown.join(" "))
    }
}
