//! What is being joined: the join kind, the time bounds, the watermark rules and the engine
//! profile, read from a TOML model file.
//!
//! A model file (every key is documented in `models/README.md`):
//!
//! ```toml
//! profile = "reference"
//! description = "the seed's impressions/clicks join"
//!
//! [join]
//! kind = "inner"            # inner | left_outer | right_outer | full_outer | left_semi
//! bounds = "[0ms, 1h]"      # right.ts - left.ts; "[" / "]" inclusive, "(" / ")" exclusive
//!
//! [watermark]
//! source = "derived"        # derived (max seen - delay, per input) | trace (explicit steps)
//! left_delay = "10m"
//! right_delay = "10m"
//! policy = "min"            # how the two inputs' watermarks combine: min | max
//! lateness = "ts < wm"      # or "ts <= wm"
//! ```
//!
//! The sections `[scope]` and `[expect]` belong to the model checker.

use crate::error::{read_text, InputError};
use crate::event::{Record, Side};
use crate::property::{Expected, Property};
use crate::time::{Duration, EventTime, ProcessingTime, Watermark};
use crate::trace::{Step, Trace};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// The engine semantics a model follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The clean interval join that the oracle defines.
    Reference,
    /// The reference engine with a deliberate off-by-one (`crate::engine::canary`): proof
    /// that the harness can fail.
    Canary,
    /// Spark Structured Streaming's stream-stream join, batch by batch
    /// (`crate::engine::spark`).
    Spark,
    /// The seed's Flink `KeyedCoProcessFunction` (`crate::engine::flink_keyed_ttl`).
    FlinkKeyedTtl,
    /// The seed's function, corrected (`crate::engine::flink_keyed_fixed`).
    FlinkKeyedFixed,
    /// Flink's DataStream `IntervalJoinOperator` (`crate::engine::flink_interval`).
    FlinkInterval,
    /// Flink SQL's rowtime interval join (`crate::engine::flink_sql_interval`).
    FlinkSqlInterval,
}

impl Profile {
    const ALL: [(&'static str, Profile); 7] = [
        ("reference", Profile::Reference),
        ("canary", Profile::Canary),
        ("spark", Profile::Spark),
        ("flink-keyed-ttl", Profile::FlinkKeyedTtl),
        ("flink-keyed-fixed", Profile::FlinkKeyedFixed),
        ("flink-interval", Profile::FlinkInterval),
        ("flink-sql-interval", Profile::FlinkSqlInterval),
    ];

    /// The one watermark source the modelled engine has, when it has only one: Spark derives
    /// its watermarks from event times; the keyed function reads the ones upstream sends.
    pub fn required_source(self) -> Option<WatermarkSource> {
        match self {
            Profile::Spark => Some(WatermarkSource::Derived),
            Profile::FlinkKeyedTtl | Profile::FlinkKeyedFixed => Some(WatermarkSource::Trace),
            _ => None,
        }
    }

    /// Whether the profile models a Flink operator (min-combined watermarks, late if `ts < wm`).
    pub fn is_flink(self) -> bool {
        matches!(
            self,
            Profile::FlinkInterval | Profile::FlinkSqlInterval | Profile::FlinkKeyedTtl | Profile::FlinkKeyedFixed
        )
    }

    /// Whether the profile models a real engine's output timing exactly (Spark's batches), so
    /// that `joincheck oracle` prints its prediction rather than the declarative outputs.
    pub fn predicts_engine(self) -> bool {
        matches!(self, Profile::Spark | Profile::FlinkSqlInterval)
    }

    /// The event times (ms) the modelled engine can represent, when narrower than `i64`:
    /// Spark keeps timestamps in microseconds.
    pub fn time_range(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            Profile::Reference
            | Profile::Canary
            | Profile::FlinkKeyedTtl
            | Profile::FlinkKeyedFixed
            | Profile::FlinkInterval
            | Profile::FlinkSqlInterval => None,
            Profile::Spark => Some(i64::MIN / 1000..=i64::MAX / 1000),
        }
    }

    /// The join kinds the modelled engine has.
    pub fn kinds(self) -> &'static [JoinKind] {
        use JoinKind::*;
        match self {
            Profile::Reference | Profile::Canary | Profile::Spark => {
                &[Inner, LeftOuter, RightOuter, FullOuter, LeftSemi]
            }
            Profile::FlinkKeyedTtl | Profile::FlinkInterval => &[Inner],
            Profile::FlinkKeyedFixed | Profile::FlinkSqlInterval => &[Inner, LeftOuter, RightOuter, FullOuter],
        }
    }

    /// When the modelled engine moves its watermarks.
    pub fn timing(self) -> Timing {
        match self {
            Profile::Reference | Profile::Canary | Profile::FlinkKeyedTtl | Profile::FlinkKeyedFixed => {
                Timing::PerRecord
            }
            Profile::FlinkInterval => Timing::BoundedOutOfOrderness,
            Profile::FlinkSqlInterval => Timing::SqlPerRow,
            Profile::Spark => Timing::PerBatch,
        }
    }

    /// How long, in event time, the modelled engine may keep a record after no on-time record
    /// can match it any more (before end of input). Spark's state watermarks keep a record
    /// that sits exactly on a non-strict bound one millisecond past its last chance
    /// (`StreamingJoinHelper.getStateValueWatermark`'s `- 1`).
    pub fn cleanup_slack(self) -> Duration {
        match self {
            Profile::Reference
            | Profile::Canary
            | Profile::FlinkKeyedTtl
            | Profile::FlinkKeyedFixed
            | Profile::FlinkInterval
            | Profile::FlinkSqlInterval => Duration::ZERO,
            Profile::Spark => Duration::from_millis(1),
        }
    }

    pub fn name(self) -> &'static str {
        Profile::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .expect("every profile is named")
    }
}

/// Which rows a join produces besides matched pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JoinKind {
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    /// Each left record with at least one match, once, without its partners.
    LeftSemi,
}

impl JoinKind {
    const ALL: [(&'static str, JoinKind); 5] = [
        ("inner", JoinKind::Inner),
        ("left_outer", JoinKind::LeftOuter),
        ("right_outer", JoinKind::RightOuter),
        ("full_outer", JoinKind::FullOuter),
        ("left_semi", JoinKind::LeftSemi),
    ];

    pub fn name(self) -> &'static str {
        JoinKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .expect("every kind is named")
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
    pub at: Duration,
    pub inclusive: bool,
}

/// The time condition `right.ts - left.ts ∈ [lower, upper]`, each end inclusive or exclusive.
///
/// Constructed only through [`Bounds::new`], which rejects empty windows, so
/// `lowest() <= highest()` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    lower: Bound,
    upper: Bound,
}

impl Bounds {
    /// `None` when no integer offset lies in the window (`lower > upper`, or `(0ms, 0ms]`).
    pub fn new(lower: Bound, upper: Bound) -> Option<Bounds> {
        let b = Bounds { lower, upper };
        (b.lowest() <= b.highest()).then_some(b)
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

    pub fn lower(&self) -> Bound {
        self.lower
    }

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

    fn parse(text: &str) -> Result<Bounds, String> {
        let s = text.trim();
        let shape = || format!("{text:?} is not a window; write e.g. \"[0ms, 1h]\" ([ ] inclusive, ( ) exclusive)");
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

/// Where watermarks come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatermarkSource {
    /// Each input's watermark is the largest event time seen on it minus its delay, updated
    /// after every record. `watermark` steps in a trace are an error.
    Derived,
    /// Only explicit `watermark` steps move the watermarks.
    Trace,
}

/// How the two inputs' watermarks combine into the join's watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    Min,
    Max,
}

impl Policy {
    pub fn combine(self, left: Watermark, right: Watermark) -> Watermark {
        match self {
            Policy::Min => left.min(right),
            Policy::Max => left.max(right),
        }
    }
}

/// When a record counts as late against the watermark at its arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lateness {
    /// `ts < wm` (Flink).
    Strict,
    /// `ts <= wm` (Spark).
    NonStrict,
}

impl Lateness {
    pub fn is_late(self, ts: EventTime, wm: Watermark) -> bool {
        match self {
            Lateness::Strict => ts < wm.time(),
            Lateness::NonStrict => ts <= wm.time(),
        }
    }

    /// The smallest event time that is still on time at watermark `wm`, exactly.
    pub fn first_on_time(self, wm: Watermark) -> i128 {
        i128::from(wm.as_millis()) + i128::from(self == Lateness::NonStrict)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Lateness::Strict => "ts < wm",
            Lateness::NonStrict => "ts <= wm",
        }
    }
}

/// The watermark rules of a join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatermarkSpec {
    pub source: WatermarkSource,
    /// Per side, indexed by [`Side::index`]; non-negative.
    pub delay: [Duration; 2],
    pub policy: Policy,
    pub lateness: Lateness,
    /// Set by the profile, not by the model file.
    pub timing: Timing,
}

/// How derived watermarks are generated and when they move: a property of the engine being
/// modelled, not of the model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timing {
    /// `max ts - delay`, after every record (the reference profile).
    PerRecord,
    /// Flink DataStream `BoundedOutOfOrderness`: `max ts - delay - 1`, after every record.
    BoundedOutOfOrderness,
    /// Flink SQL `WATERMARK FOR ts AS ts - INTERVAL ...`: `max ts - delay`, after every row,
    /// but only once it is above 0 (the generator starts at 0, and a watermark `<= 0` is never
    /// emitted, so the input stays at `MIN` until then).
    SqlPerRow,
    /// At the end of each micro-batch (Spark): a record is judged against the watermark
    /// published when its batch began. The join's watermark starts at 0 and never goes below
    /// it, and an input that has had no data counts as 0 (Spark's `WatermarkTracker`).
    PerBatch,
}

/// The watermarks a join's spec defines, as a fold over the trace: each input's watermark is
/// the largest `ts - delay` of its records (derived watermarks) or of its explicit watermark
/// steps, whichever is ahead; the join's combines them by the policy, after every record or
/// at batch ends as [`Timing`] says. This is the semantics' watermark, used by the oracle and
/// the checker; engines keep their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpecWatermarks {
    input: [Watermark; 2],
    /// Per-batch timing: the largest time per input in the open batch.
    pending: [Option<EventTime>; 2],
    /// Per-batch timing: the published join watermark.
    published: Watermark,
}

impl SpecWatermarks {
    pub fn new(spec: &WatermarkSpec) -> SpecWatermarks {
        SpecWatermarks {
            input: [Watermark::MIN; 2],
            pending: [None; 2],
            published: match spec.timing {
                Timing::PerBatch => Watermark::at(EventTime::from_millis(0)),
                _ => Watermark::MIN,
            },
        }
    }

    pub fn input(&self, side: Side) -> Watermark {
        self.input[side.index()]
    }

    /// The join's watermark now: what a record arriving now is judged against.
    pub fn join(&self, spec: &WatermarkSpec) -> Watermark {
        match spec.timing {
            Timing::PerBatch => self.published,
            _ => spec.policy.combine(self.input[0], self.input[1]),
        }
    }

    /// Takes one step into account (after a record has been judged against [`Self::join`]).
    pub fn observe(&mut self, spec: &WatermarkSpec, step: &Step) {
        match *step {
            Step::Record(r) if spec.source == WatermarkSource::Derived => match spec.timing {
                Timing::PerRecord | Timing::BoundedOutOfOrderness | Timing::SqlPerRow => {
                    let mut derived = r.ts.saturating_sub(spec.delay[r.side.index()]);
                    if spec.timing == Timing::BoundedOutOfOrderness {
                        derived = derived.saturating_sub(Duration::from_millis(1));
                    }
                    let positive = derived > EventTime::from_millis(0);
                    if spec.timing != Timing::SqlPerRow || positive {
                        let w = &mut self.input[r.side.index()];
                        *w = (*w).max(Watermark::at(derived));
                    }
                }
                Timing::PerBatch => {
                    let p = &mut self.pending[r.side.index()];
                    *p = Some(p.map_or(r.ts, |m| m.max(r.ts)));
                }
            },
            Step::Watermark { side, ts } => {
                for s in Side::selected(side) {
                    self.input[s.index()] = self.input[s.index()].max(ts);
                }
            }
            Step::Batch if spec.timing == Timing::PerBatch => self.close_batch(spec),
            // Records after the last marker form a final batch, which runs; nothing follows.
            Step::End if spec.timing == Timing::PerBatch => self.close_batch(spec),
            Step::End => self.input = [Watermark::MAX; 2],
            _ => {}
        }
    }

    fn close_batch(&mut self, spec: &WatermarkSpec) {
        for side in Side::BOTH {
            if let Some(max) = self.pending[side.index()].take() {
                let derived = Watermark::at(max.saturating_sub(spec.delay[side.index()]));
                let w = &mut self.input[side.index()];
                *w = (*w).max(derived);
            }
        }
        let zero = Watermark::at(EventTime::from_millis(0));
        let candidate = spec.policy.combine(self.input[0].max(zero), self.input[1].max(zero));
        self.published = self.published.max(candidate);
    }
}

/// The semantic parameters of a join: everything an engine needs, small and `Copy` so that
/// engines can carry it inside states the model checker hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JoinParams {
    pub profile: Profile,
    pub kind: JoinKind,
    pub bounds: Bounds,
    pub watermark: WatermarkSpec,
}

impl JoinParams {
    /// Whether `l` and `r` form a valid pair by key and time (lateness aside).
    pub fn matches(&self, l: &Record, r: &Record) -> bool {
        debug_assert_eq!((l.side, r.side), (Side::Left, Side::Right));
        l.key == r.key && self.bounds.contains(l.ts.offset_to(r.ts))
    }

    /// Whether a record that arrives after the join watermark reached `wm` could still be a
    /// partner of `record`. `ended` means no record arrives any more.
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

/// A model file: a join and how to check it.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinSpec {
    pub name: String,
    pub description: String,
    pub params: JoinParams,
    /// What the model checker enumerates; `None` when the model has no `[scope]`.
    pub scope: Option<Scope>,
    /// Expected verdict per property; properties not named take [`Expected::default_for`].
    pub expect: BTreeMap<Property, Expected>,
    /// Known defects of the design, each of which the checker must demonstrate.
    pub defects: Vec<Defect>,
    /// Where the model was read from.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Option<String>,
    description: Option<String>,
    profile: Spanned<String>,
    join: RawJoin,
    watermark: RawWatermark,
    scope: Option<RawScope>,
    expect: Option<BTreeMap<String, Spanned<String>>>,
    defect: Option<Vec<RawDefect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefect {
    name: Spanned<String>,
    property: Spanned<String>,
    summary: String,
    prefix: Option<Spanned<Vec<String>>>,
    scope: RawScope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    keys: Spanned<Vec<String>>,
    left: Spanned<u8>,
    right: Spanned<u8>,
    times: Spanned<Vec<Spanned<String>>>,
    watermarks: Option<Spanned<Vec<Spanned<String>>>>,
    batches: Option<u8>,
    processing_times: Option<Spanned<Vec<Spanned<String>>>>,
    snapshots: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    kind: Spanned<String>,
    bounds: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatermark {
    source: Spanned<String>,
    left_delay: Option<Spanned<String>>,
    right_delay: Option<Spanned<String>>,
    policy: Option<Spanned<String>>,
    lateness: Option<Spanned<String>>,
}

impl JoinSpec {
    pub fn load(path: &Path) -> Result<JoinSpec, InputError> {
        let text = read_text(path)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        JoinSpec::parse(&text, &path.display().to_string(), &stem)
    }

    /// Reads a model from TOML text; `file` names it in errors, `default_name` is used when
    /// the model has no `name`.
    pub fn parse(text: &str, file: &str, default_name: &str) -> Result<JoinSpec, InputError> {
        let line_of = |offset: usize| 1 + text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count();
        let raw: RawModel = toml::from_str(text).map_err(|e| {
            let mut err = InputError::new(file, e.message().trim().to_owned());
            if let Some(span) = e.span() {
                err = err.at_line(line_of(span.start));
            }
            // Only serde's "unknown field `x`" / "missing field `x`" name a key in backticks;
            // other messages quote values or syntax there.
            let named = if e.message().contains("unknown field") || e.message().contains("missing field") {
                backticked(e.message()).map(str::to_owned)
            } else {
                // A value of the wrong type: the key is what stands before `=` on its line.
                e.span().and_then(|span| key_on_line(text, span.start))
            };
            if let Some(field) = named {
                err = err.field(field);
            }
            err
        })?;
        let at = |key: &str, span: std::ops::Range<usize>, message: String| {
            InputError::new(file, message).at_line(line_of(span.start)).field(key)
        };
        let choose = |key: &str, value: &Spanned<String>, options: &[&str]| {
            at(
                key,
                value.span(),
                format!(
                    "unknown value {:?}; expected one of {}",
                    value.get_ref(),
                    options.join(", ")
                ),
            )
        };

        let profile = Profile::ALL
            .iter()
            .find(|(n, _)| n == raw.profile.get_ref())
            .map(|(_, p)| *p)
            .ok_or_else(|| choose("profile", &raw.profile, &Profile::ALL.map(|(n, _)| n)))?;
        let kind = JoinKind::ALL
            .iter()
            .find(|(n, _)| n == raw.join.kind.get_ref())
            .map(|(_, k)| *k)
            .ok_or_else(|| choose("join.kind", &raw.join.kind, &JoinKind::ALL.map(|(n, _)| n)))?;
        if !profile.kinds().contains(&kind) {
            let kinds: Vec<&str> = profile.kinds().iter().map(|k| k.name()).collect();
            return Err(at(
                "join.kind",
                raw.join.kind.span(),
                format!(
                    "the {} profile has no {} join; it has {}",
                    profile.name(),
                    kind.name(),
                    kinds.join(", ")
                ),
            ));
        }
        let bounds =
            Bounds::parse(raw.join.bounds.get_ref()).map_err(|m| at("join.bounds", raw.join.bounds.span(), m))?;

        if let Some(range) = profile.time_range() {
            for (name, b) in [("lower", bounds.lower()), ("upper", bounds.upper())] {
                if !range.contains(&b.at.as_millis()) {
                    return Err(at(
                        "join.bounds",
                        raw.join.bounds.span(),
                        format!(
                            "the {name} bound {} is outside what the {} profile can represent",
                            b.at,
                            profile.name()
                        ),
                    ));
                }
            }
        }
        let w = &raw.watermark;
        let source = match w.source.get_ref().as_str() {
            "derived" => WatermarkSource::Derived,
            "trace" => WatermarkSource::Trace,
            _ => return Err(choose("watermark.source", &w.source, &["derived", "trace"])),
        };
        let mut delay = [Duration::ZERO; 2];
        for (side, value) in [(Side::Left, &w.left_delay), (Side::Right, &w.right_delay)] {
            let key = format!("watermark.{side}_delay");
            match value {
                Some(v) => {
                    let d: Duration = v.get_ref().parse().map_err(|e| at(&key, v.span(), format!("{e}")))?;
                    if d.is_negative() {
                        return Err(at(&key, v.span(), format!("a delay cannot be negative ({d})")));
                    }
                    delay[side.index()] = d;
                }
                None if source == WatermarkSource::Derived => {
                    return Err(at(
                        &key,
                        w.source.span(),
                        "missing: derived watermarks need a delay for each input".to_owned(),
                    ))
                }
                None => {}
            }
        }
        let policy = match w.policy.as_ref().map(|p| p.get_ref().as_str()) {
            None | Some("min") => Policy::Min,
            Some("max") => Policy::Max,
            Some(_) => {
                return Err(choose(
                    "watermark.policy",
                    w.policy.as_ref().expect("matched Some"),
                    &["min", "max"],
                ))
            }
        };
        let lateness = match w.lateness.as_ref().map(|p| p.get_ref().as_str()) {
            None => profile_default_lateness(profile),
            Some("ts < wm") => Lateness::Strict,
            Some("ts <= wm") => Lateness::NonStrict,
            Some(_) => {
                return Err(choose(
                    "watermark.lateness",
                    w.lateness.as_ref().expect("matched Some"),
                    &["\"ts < wm\"", "\"ts <= wm\""],
                ))
            }
        };

        // Settings a profile's engine would silently not honour are errors: a model must mean
        // what its engine runs.
        if let Some(needed) = profile.required_source().filter(|&needed| needed != source) {
            let (name, why) = match needed {
                WatermarkSource::Derived => (
                    "derived",
                    "Spark derives each input's watermark from the event times it has seen",
                ),
                WatermarkSource::Trace => (
                    "trace",
                    "the keyed function reads the watermarks its inputs send, as explicit watermark steps",
                ),
            };
            return Err(at(
                "watermark.source",
                w.source.span(),
                format!("the {} profile needs source = \"{name}\": {why}", profile.name()),
            ));
        }
        if profile.is_flink() {
            if let (Policy::Max, Some(p)) = (policy, &w.policy) {
                return Err(at(
                    "watermark.policy",
                    p.span(),
                    format!(
                        "the {} profile combines its inputs' watermarks by min (Flink's two-input operator); \
                         \"max\" is not something it can run",
                        profile.name()
                    ),
                ));
            }
            if let (Lateness::NonStrict, Some(l)) = (lateness, &w.lateness) {
                return Err(at(
                    "watermark.lateness",
                    l.span(),
                    format!(
                        "the {} profile judges lateness as Flink does, \"ts < wm\"; \"ts <= wm\" is not something it can run",
                        profile.name()
                    ),
                ));
            }
        }

        Ok(JoinSpec {
            name: raw.name.unwrap_or_else(|| default_name.to_owned()),
            description: raw.description.unwrap_or_default(),
            params: JoinParams {
                profile,
                kind,
                bounds,
                watermark: WatermarkSpec {
                    source,
                    delay,
                    policy,
                    lateness,
                    timing: profile.timing(),
                },
            },
            scope: match raw.scope {
                Some(scope) => Some(parse_scope(scope, source, &at)?),
                None => None,
            },
            expect: parse_expect(raw.expect.unwrap_or_default(), &at)?,
            defects: raw
                .defect
                .unwrap_or_default()
                .into_iter()
                .map(|d| parse_defect(d, source, file, &at))
                .collect::<Result<_, _>>()?,
            file: file.to_owned(),
        })
    }

    /// The checking scope, which the model checker needs.
    pub fn checker_scope(&self) -> Result<&Scope, InputError> {
        self.scope.as_ref().ok_or_else(|| {
            InputError::new(
                &self.file,
                "the model has no [scope]: the checker needs one (see models/README.md)",
            )
            .field("scope")
        })
    }

    /// The expected verdict for `p`.
    pub fn expected(&self, p: Property) -> Expected {
        self.expect.get(&p).copied().unwrap_or(Expected::default_for(p))
    }

    /// Rejects traces this model cannot give a meaning to (for now: explicit watermark steps
    /// when the model derives its watermarks, and times the profile cannot represent). `file`
    /// names the trace in errors.
    pub fn check_trace(&self, trace: &Trace, file: &str) -> Result<(), InputError> {
        for (i, step) in trace.steps().iter().enumerate() {
            self.check_step(step, file, trace.line_of(i))?;
        }
        Ok(())
    }

    /// [`JoinSpec::check_trace`] for one step, read from `line` of `file` when known.
    pub fn check_step(&self, step: &Step, file: &str, line: Option<usize>) -> Result<(), InputError> {
        let at_line = |err: InputError| match line {
            Some(line) => err.at_line(line),
            None => err,
        };
        match step {
            Step::Watermark { .. } if self.params.watermark.source == WatermarkSource::Derived => Err(at_line(
                InputError::new(
                    file,
                    format!(
                        "model {} derives watermarks from the delays (watermark.source = \"derived\"); \
                         remove the watermark steps or use a model with source = \"trace\"",
                        self.name
                    ),
                )
                .field("type"),
            )),
            Step::Record(r) => match self.params.profile.time_range() {
                Some(range) if !range.contains(&r.ts.as_millis()) => Err(at_line(
                    InputError::new(
                        file,
                        format!(
                            "{} ms is outside what the {} profile can represent ({} to {} ms: \
                             the engine stores timestamps in microseconds)",
                            r.ts.as_millis(),
                            self.params.profile.name(),
                            range.start(),
                            range.end()
                        ),
                    )
                    .field("ts"),
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// One line describing the join, for report headers.
    pub fn summary(&self) -> String {
        let p = &self.params;
        let w = &p.watermark;
        let source = match w.source {
            WatermarkSource::Derived => {
                format!("derived (delay left {}, right {})", w.delay[0], w.delay[1])
            }
            WatermarkSource::Trace => "from the trace".to_owned(),
        };
        format!(
            "profile {}, {} join, right.ts - left.ts in {}, watermarks {source} combined by {}, late if {}",
            p.profile.name(),
            p.kind.name(),
            p.bounds,
            match w.policy {
                Policy::Min => "min",
                Policy::Max => "max",
            },
            w.lateness.describe()
        )
    }
}

/// The checker's bounds: which records, times and steps it may combine. Exhaustive means
/// exhaustive within this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The key set. Keys are interchangeable, so the checker uses them in order of first use.
    pub keys: Vec<String>,
    /// At most this many records arrive on each input (indexed by [`Side::index`]).
    pub records: [u8; 2],
    /// The event times a record may carry.
    pub times: Vec<EventTime>,
    /// The values an explicit watermark step may carry (models with `source = "trace"`).
    pub watermarks: Vec<EventTime>,
    /// At most this many `batch` markers.
    pub batches: u8,
    /// The readings a `processing_time` step may carry, in increasing order (the clock never
    /// moves back).
    pub processing_times: Vec<ProcessingTime>,
    /// At most this many `snapshot` steps.
    pub snapshots: u8,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[EventTime]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(
            f,
            "keys {{{}}}, up to {} left and {} right records, times {{{}}}",
            self.keys.join(" "),
            self.records[0],
            self.records[1],
            list(&self.times)
        )?;
        if !self.watermarks.is_empty() {
            write!(f, ", watermarks {{{}}}", list(&self.watermarks))?;
        }
        if self.batches > 0 {
            write!(f, ", up to {} batch markers", self.batches)?;
        }
        if !self.processing_times.is_empty() {
            let ms: Vec<String> = self
                .processing_times
                .iter()
                .map(|t| Duration::from_millis(t.as_millis()).to_string())
                .collect();
            write!(f, ", processing times {{{}}}", ms.join(" "))?;
        }
        if self.snapshots > 0 {
            write!(f, ", up to {} snapshots", self.snapshots)?;
        }
        Ok(())
    }
}

/// Times in a scope are written as durations since the epoch (`"0"`, `"1h"`, `"1h1ms"`).
fn parse_times(
    key: &str,
    values: Spanned<Vec<Spanned<String>>>,
    at: &impl Fn(&str, std::ops::Range<usize>, String) -> InputError,
) -> Result<Vec<EventTime>, InputError> {
    let mut times = Vec::new();
    for v in values.get_ref() {
        let d: Duration = v.get_ref().parse().map_err(|e| at(key, v.span(), format!("{e}")))?;
        times.push(EventTime::from_millis(d.as_millis()));
    }
    times.sort_unstable();
    times.dedup();
    if times.is_empty() || times.len() > 64 {
        return Err(at(
            key,
            values.span(),
            format!("give 1 to 64 distinct values, not {}", times.len()),
        ));
    }
    Ok(times)
}

fn parse_scope(
    raw: RawScope,
    source: WatermarkSource,
    at: &impl Fn(&str, std::ops::Range<usize>, String) -> InputError,
) -> Result<Scope, InputError> {
    let mut distinct = raw.keys.get_ref().clone();
    distinct.sort();
    distinct.dedup();
    if distinct.is_empty() || distinct.len() > 64 || distinct.len() != raw.keys.get_ref().len() {
        return Err(at(
            "scope.keys",
            raw.keys.span(),
            "give 1 to 64 distinct keys".to_owned(),
        ));
    }
    // The file's order is kept: the checker uses keys in order of first use.
    let keys = raw.keys.get_ref().clone();
    // Record ids and keys are small integers in the checker's compact state.
    let total = u16::from(*raw.left.get_ref()) + u16::from(*raw.right.get_ref());
    if total == 0 || total > 16 {
        return Err(at(
            "scope.left",
            raw.left.span(),
            format!("left + right must be 1..=16 records, not {total}"),
        ));
    }
    let watermarks = match (raw.watermarks, source) {
        (Some(w), WatermarkSource::Trace) => parse_times("scope.watermarks", w, at)?,
        (Some(w), WatermarkSource::Derived) => {
            return Err(at(
                "scope.watermarks",
                w.span(),
                "this model derives its watermarks (watermark.source = \"derived\"); explicit watermark values do not apply".to_owned(),
            ))
        }
        (None, _) => Vec::new(),
    };
    Ok(Scope {
        keys,
        records: [*raw.left.get_ref(), *raw.right.get_ref()],
        times: parse_times("scope.times", raw.times, at)?,
        watermarks,
        batches: raw.batches.unwrap_or(0),
        processing_times: match raw.processing_times {
            Some(p) => parse_times("scope.processing_times", p, at)?
                .into_iter()
                .map(|t| ProcessingTime::from_millis(t.as_millis()))
                .collect(),
            None => Vec::new(),
        },
        snapshots: raw.snapshots.unwrap_or(0),
    })
}

/// A known defect of a design: the checker must find a violation of `property` within
/// `scope`, starting from the situation `prefix` sets up. A narrow scope (and a prefix) makes
/// the shortest counterexample show this defect rather than another one of the same design.
#[derive(Clone, Debug, PartialEq)]
pub struct Defect {
    pub name: String,
    pub property: Property,
    /// One sentence for the report.
    pub summary: String,
    /// Steps that happen first; the checker explores what may follow.
    pub prefix: Trace,
    /// What may follow the prefix (record counts are in addition to the prefix's).
    pub scope: Scope,
}

fn parse_defect(
    raw: RawDefect,
    source: WatermarkSource,
    file: &str,
    at: &impl Fn(&str, std::ops::Range<usize>, String) -> InputError,
) -> Result<Defect, InputError> {
    let name = raw.name.get_ref().clone();
    let property = Property::from_name(raw.property.get_ref())
        .filter(|p| !p.is_witness())
        .ok_or_else(|| {
            at(
                "defect.property",
                raw.property.span(),
                "expected the name of an invariant".to_owned(),
            )
        })?;
    let scope = parse_scope(raw.scope, source, at)?;
    let prefix = match raw.prefix {
        None => Trace::new(),
        Some(lines) => {
            let text = lines.get_ref().join("\n");
            // Errors name the prefix entry (1-based) as their line.
            let prefix = Trace::parse(&text, &format!("{file}: defect {name}: prefix entry"))?;
            if let Some(r) = prefix
                .records()
                .iter()
                .find(|r| !scope.keys.iter().any(|k| k == prefix.key_name(r.key)))
            {
                return Err(at(
                    "defect.prefix",
                    lines.span(),
                    format!(
                        "record {} has key {:?}, which is not in the defect's scope.keys",
                        prefix.name(r.id),
                        prefix.key_name(r.key)
                    ),
                ));
            }
            if prefix.ends() {
                return Err(at(
                    "defect.prefix",
                    lines.span(),
                    "a prefix cannot end the input".to_owned(),
                ));
            }
            prefix
        }
    };
    Ok(Defect {
        name,
        property,
        summary: raw.summary,
        prefix,
        scope,
    })
}

fn parse_expect(
    raw: BTreeMap<String, Spanned<String>>,
    at: &impl Fn(&str, std::ops::Range<usize>, String) -> InputError,
) -> Result<BTreeMap<Property, Expected>, InputError> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let key = format!("expect.{name}");
        let property = Property::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
            at(
                &key,
                value.span(),
                format!("unknown property; properties are {}", names.join(", ")),
            )
        })?;
        let allowed = if property.is_witness() {
            [Expected::Reached, Expected::Missing]
        } else {
            [Expected::Holds, Expected::Violated]
        };
        let expected = allowed
            .into_iter()
            .find(|e| e.name() == value.get_ref())
            .ok_or_else(|| {
                at(
                    &key,
                    value.span(),
                    format!(
                        "unknown verdict {:?}; expected {} or {}",
                        value.get_ref(),
                        allowed[0].name(),
                        allowed[1].name()
                    ),
                )
            })?;
        out.insert(property, expected);
    }
    Ok(out)
}

fn profile_default_lateness(profile: Profile) -> Lateness {
    match profile {
        Profile::Reference
        | Profile::Canary
        | Profile::FlinkKeyedTtl
        | Profile::FlinkKeyedFixed
        | Profile::FlinkInterval
        | Profile::FlinkSqlInterval => Lateness::Strict,
        Profile::Spark => Lateness::NonStrict,
    }
}

/// The key assigned on the line holding byte `offset` (`name` in `name = 5`), if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim().trim_matches('"');
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    plain.then(|| key.to_owned())
}

/// The first `name` in a message like "unknown field `name`, expected ...".
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"
profile = "reference"
[join]
kind = "inner"
bounds = "[0ms, 1h]"
[watermark]
source = "derived"
left_delay = "10m"
right_delay = "10m"
"#;

    #[test]
    fn reads_a_model() {
        let spec = JoinSpec::parse(MODEL, "m.toml", "m").unwrap();
        assert_eq!(spec.params.bounds.lowest(), 0);
        assert_eq!(spec.params.bounds.highest(), 3_600_000);
        assert_eq!(spec.params.watermark.delay[1].as_millis(), 600_000);
        assert_eq!(spec.params.watermark.lateness, Lateness::Strict);
    }

    #[test]
    fn errors_point_at_the_key() {
        let cases = [
            (MODEL.replace("[0ms, 1h]", "[2h, 1h]"), 5, "join.bounds", "after upper"),
            (
                MODEL.replace("[0ms, 1h]", "(0ms, 0ms]"),
                5,
                "join.bounds",
                "holds no offset",
            ),
            (
                MODEL.replace("\"reference\"", "\"sparkle\""),
                2,
                "profile",
                "unknown value",
            ),
            (MODEL.replace("kind =", "kindd ="), 4, "kindd", "unknown field"),
            (
                MODEL.replace("\"10m\"\nright", "\"-5m\"\nright"),
                8,
                "watermark.left_delay",
                "negative",
            ),
            (
                MODEL.replace("\"10m\"\nright", "\"1e99h\"\nright"),
                8,
                "watermark.left_delay",
                "unknown unit",
            ),
        ];
        for (text, line, field, words) in cases {
            let e = JoinSpec::parse(&text, "m.toml", "m").unwrap_err();
            assert_eq!((e.line, e.field.as_deref()), (Some(line), Some(field)), "{e}");
            assert!(e.message.contains(words), "{e}");
        }
    }

    #[test]
    fn bounds_are_exact_at_the_extremes() {
        let b = Bounds::closed(Duration::ZERO, Duration::MAX).unwrap();
        let left = Record {
            side: Side::Left,
            key: crate::event::Key(0),
            ts: EventTime::MAX,
            id: crate::event::RecordId(0),
        };
        assert_eq!(b.partner_range(&left), (i128::from(i64::MAX), i128::from(i64::MAX) * 2));
        assert!(b.contains(i128::from(i64::MAX)));
        assert!(!b.contains(-1));
    }
}
