//! The profile table: one row per engine profile, saying what it models, what it runs and
//! what it rejects. The model reader, the fuzz domain, the streaming choice, the checker's
//! leak slack and the engines' watermark timing all read it here, and nowhere else.
//!
//! Adding a profile: a variant of [`Profile`], its row in [`PROFILES`], its engine file in the
//! engine module, and that engine's line in the engine module's `profile_engines!` list.

use super::{JoinKind, JoinParams, Lateness, Policy, Timing, WatermarkSource, WatermarkSpec};
use crate::property::Property;
use crate::time::Duration;

/// The engine semantics a model follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The clean interval join that the oracle defines.
    Reference,
    /// The reference engine with a deliberate off-by-one (the canary engine): proof
    /// that the harness can fail.
    Canary,
    /// Spark Structured Streaming's stream-stream join, batch by batch
    /// (the spark engine).
    Spark,
    /// The seed's Flink `KeyedCoProcessFunction` (the keyed TTL engine).
    FlinkKeyedTtl,
    /// The seed's function, corrected (the keyed fixed engine).
    FlinkKeyedFixed,
    /// Flink's DataStream `IntervalJoinOperator` (the interval join engine).
    FlinkInterval,
    /// Flink SQL's rowtime interval join (the SQL interval engine).
    FlinkSqlInterval,
    /// Kafka Streams' KStream-KStream windowed join (the Kafka Streams engine).
    KafkaStreams,
}

/// What the fuzz target `eviction_vs_oracle` requires of a profile's engine on every join it
/// can run, beyond no panic and no overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contract {
    /// Exactly the oracle's outputs, every invariant after every step, empty at the end.
    Oracle,
    /// Spark: only rows the oracle expects, and only the end-of-stream violations.
    SparkEndOfStream,
    /// These invariants hold after every step; the profile's models expect the others to be
    /// violated.
    Holds(&'static [Property]),
}

/// One row of the profile table.
#[derive(Clone, Debug)]
pub struct ProfileInfo {
    /// The profile this row describes.
    pub profile: Profile,
    /// The name a model file gives (`profile = "spark"`).
    pub name: &'static str,
    /// The join kinds the modelled engine has.
    pub kinds: &'static [JoinKind],
    /// When the modelled engine moves its watermarks.
    pub timing: Timing,
    /// The lateness rule when the model file names none.
    pub lateness: Lateness,
    /// The one watermark source the modelled engine has, when it has only one: Spark derives
    /// its watermarks from event times; the keyed function reads the ones upstream sends.
    pub source: Option<WatermarkSource>,
    /// A Flink operator: its inputs' watermarks combine by min and a record is late if
    /// `ts < wm`; models saying otherwise are rejected.
    pub flink: bool,
    /// Whether the profile models a real engine's output timing exactly (Spark's batches,
    /// Flink SQL's rows), so that `joincheck oracle` prints its prediction rather than the
    /// declarative outputs, which also means its oracle cannot be streamed.
    pub predicts_engine: bool,
    /// The event times (ms) the modelled engine can represent, when narrower than `i64`:
    /// Spark keeps timestamps in microseconds. Bounds and record times must lie within.
    pub time_range: Option<(i64, i64)>,
    /// The event times (ms) a record may carry, when narrower than `time_range`, and why:
    /// Kafka refuses negative timestamps.
    pub record_times: Option<((i64, i64), &'static str)>,
    /// Whether the modelled engine treats event time 0 (the epoch) specially, so that a run
    /// does not behave alike when every time moves by the same amount: Spark's watermark
    /// starts at 0; Flink SQL emits no watermark at or below 0 and drops rows cached at or
    /// before it. The derived time domain then places times relative to 0 as well.
    pub epoch: bool,
    /// How long, in event time, the modelled engine may keep a record after no on-time
    /// record can match it any more (before end of input).
    pub cleanup_slack: Duration,
    /// What fuzzing holds it to.
    pub contract: Contract,
}

const ALL_KINDS: &[JoinKind] = &[
    JoinKind::Inner,
    JoinKind::LeftOuter,
    JoinKind::RightOuter,
    JoinKind::FullOuter,
    JoinKind::LeftSemi,
];
const OUTER_KINDS: &[JoinKind] = &[
    JoinKind::Inner,
    JoinKind::LeftOuter,
    JoinKind::RightOuter,
    JoinKind::FullOuter,
];
const INNER: &[JoinKind] = &[JoinKind::Inner];
const KAFKA_KINDS: &[JoinKind] = &[JoinKind::Inner, JoinKind::LeftOuter, JoinKind::FullOuter];

/// The clean interval join, which the canary shares but for its name.
const REFERENCE: ProfileInfo = ProfileInfo {
    profile: Profile::Reference,
    name: "reference",
    kinds: ALL_KINDS,
    timing: Timing::PerRecord,
    lateness: Lateness::Strict,
    source: None,
    flink: false,
    predicts_engine: false,
    time_range: None,
    record_times: None,
    epoch: false,
    cleanup_slack: Duration::ZERO,
    contract: Contract::Oracle,
};

/// What the seed's keyed function and its corrected version share.
const FLINK_KEYED: ProfileInfo = ProfileInfo {
    profile: Profile::FlinkKeyedFixed,
    name: "flink-keyed-fixed",
    kinds: OUTER_KINDS,
    source: Some(WatermarkSource::Trace),
    flink: true,
    ..REFERENCE
};

/// The table, in the order of [`Profile`]'s variants.
pub const PROFILES: [ProfileInfo; 8] = [
    REFERENCE,
    ProfileInfo {
        profile: Profile::Canary,
        name: "canary",
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::Spark,
        name: "spark",
        timing: Timing::PerBatch,
        lateness: Lateness::NonStrict,
        source: Some(WatermarkSource::Derived),
        predicts_engine: true,
        time_range: Some((i64::MIN / 1000, i64::MAX / 1000)),
        record_times: Some((
            (i64::MIN / 1000, i64::MAX / 1000),
            "the engine stores timestamps in microseconds",
        )),
        epoch: true,
        // Spark's state watermarks keep a record that sits exactly on a non-strict bound one
        // millisecond past its last chance (`StreamingJoinHelper.getStateValueWatermark`'s
        // `- 1`).
        cleanup_slack: Duration::from_millis(1),
        contract: Contract::SparkEndOfStream,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::FlinkKeyedTtl,
        name: "flink-keyed-ttl",
        kinds: INNER,
        // models/flink-keyed-ttl.toml: the seed's function breaks everything else.
        contract: Contract::Holds(&[Property::NoDuplicateOutput, Property::OuterExactlyOnce]),
        ..FLINK_KEYED
    },
    FLINK_KEYED,
    ProfileInfo {
        profile: Profile::FlinkInterval,
        name: "flink-interval",
        kinds: INNER,
        timing: Timing::BoundedOutOfOrderness,
        flink: true,
        // models/flink-interval-impressions-clicks.toml: no_lost_match and
        // no_premature_eviction are violated (the upper-bound race).
        contract: Contract::Holds(&[
            Property::NoSpuriousOutput,
            Property::NoDuplicateOutput,
            Property::OuterExactlyOnce,
            Property::NoStateLeak,
            Property::LatenessAgrees,
        ]),
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::FlinkSqlInterval,
        name: "flink-sql-interval",
        kinds: OUTER_KINDS,
        timing: Timing::SqlPerRow,
        flink: true,
        predicts_engine: true,
        epoch: true,
        // models/flink-sql-impressions-clicks*.toml: late rows are joined, cached and padded.
        contract: Contract::Holds(&[
            Property::NoLostMatch,
            Property::NoDuplicateOutput,
            Property::NoPrematureEviction,
        ]),
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::KafkaStreams,
        name: "kafka-streams",
        kinds: KAFKA_KINDS,
        // Stream time moves with every record; the model's watermark rule is the one
        // KafkaWindows::stream_time derives from the windows.
        source: Some(WatermarkSource::Derived),
        predicts_engine: true,
        // Bounds within ±2^61 ms keep the stores' retention (before + after + grace) a long.
        time_range: Some((-(1 << 61), 1 << 61)),
        record_times: Some((
            (0, i64::MAX),
            "Kafka refuses negative record timestamps (FailOnInvalidTimestamp)",
        )),
        // A fetch clamps its time range at 0 (KStreamKStreamJoin: max(0L, ts - before)).
        epoch: true,
        // models/kafka-streams-*.toml: records behind stream time are joined and padded, no
        // end of input flushes the stores.
        contract: Contract::Holds(&[Property::NoDuplicateOutput]),
        ..REFERENCE
    },
];

/// Why a profile's engine cannot run a join as stated: a model must mean what its engine
/// runs, so each of these is an error when a model file says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// The engine has no such join kind.
    Kind,
    /// A bound (`"lower"` or `"upper"`) is outside the times the engine represents.
    Bound(&'static str),
    /// The engine has only this watermark source.
    Source(WatermarkSource),
    /// A Flink operator combines its inputs' watermarks by min.
    Policy,
    /// A Flink operator judges lateness as `ts < wm`.
    Lateness,
    /// The watermark timing is the engine's, not the model's to choose.
    Timing,
    /// The condition is an equality (`"= d"`), which only Spark plans differently from the
    /// window `[d, d]`; for a Flink operator the model states the window.
    Equality,
    /// `[join] horizon` is a keyed Flink function's retention; other engines derive theirs.
    Horizon,
    /// `[join] grace` is Kafka Streams' grace period; other engines have watermark delays.
    Grace,
    /// Kafka Streams' windows (before, after, grace and their retention) do not fit a Java
    /// `long`.
    Windows,
    /// The `[watermark]` table is not Kafka Streams' stream time ([`KafkaWindows::stream_time`]).
    StreamTime,
}

/// A join's `JoinWindows` in Kafka Streams' terms: for `right.ts - left.ts ∈ [lo, hi]`,
/// `before = -lo`, `after = hi`, and the grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KafkaWindows {
    /// `JoinWindows.beforeMs`: `-lo`.
    pub before_ms: i64,
    /// `JoinWindows.afterMs`: `hi`.
    pub after_ms: i64,
    /// `JoinWindows.gracePeriodMs`.
    pub grace_ms: i64,
    /// The window stores' retention, `before + after + grace` (`JoinWindows.size()` plus
    /// grace, `KStreamImplJoin`).
    pub retention_ms: i64,
}

impl KafkaWindows {
    /// The windows of `params`, or `None` when they (or the retention) do not fit a Java
    /// `long`.
    pub fn of(params: &JoinParams) -> Option<KafkaWindows> {
        let before_ms = i64::try_from(-params.bounds.lowest()).ok()?;
        let after_ms = i64::try_from(params.bounds.highest()).ok()?;
        let grace_ms = params.grace().as_millis();
        let retention_ms = before_ms.checked_add(after_ms)?.checked_add(grace_ms)?;
        Some(KafkaWindows {
            before_ms,
            after_ms,
            grace_ms,
            retention_ms,
        })
    }

    /// What a Kafka Streams join promises, as a watermark rule: the task's stream time is
    /// the largest timestamp seen on either input, and a record more than the grace period
    /// behind it is late: derived delays of `grace` on both inputs, combined by max, late if
    /// `ts < wm`. (Kafka Streams does not drop such a record: it still joins whatever the
    /// other store retains, and is null-padded at once; the profile's models expect that.)
    pub fn stream_time(&self) -> WatermarkSpec {
        WatermarkSpec {
            source: WatermarkSource::Derived,
            delay: [Duration::from_millis(self.grace_ms); 2],
            policy: Policy::Max,
            lateness: Lateness::Strict,
            timing: Timing::PerRecord,
        }
    }
}

impl Profile {
    /// Every profile, in table order.
    pub fn all() -> impl Iterator<Item = Profile> {
        PROFILES.iter().map(|row| row.profile)
    }

    /// This profile's row of the table.
    pub fn info(self) -> &'static ProfileInfo {
        let row = &PROFILES[self as usize];
        debug_assert_eq!(row.profile, self, "the table is in the order of the variants");
        row
    }

    /// The profile a model file names.
    pub fn from_name(name: &str) -> Option<Profile> {
        PROFILES.iter().find(|row| row.name == name).map(|row| row.profile)
    }

    /// The profile's name in a model file (`"spark"`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The one watermark source the modelled engine has, when it has only one.
    pub fn required_source(self) -> Option<WatermarkSource> {
        self.info().source
    }

    /// Whether the profile is a keyed Flink function whose left-record retention a model may
    /// set (`[join] horizon`, [`JoinParams::horizon`]).
    pub fn has_horizon(self) -> bool {
        matches!(self, Profile::FlinkKeyedTtl | Profile::FlinkKeyedFixed)
    }

    /// Whether the profile models a Flink operator (min-combined watermarks, late if `ts < wm`).
    pub fn is_flink(self) -> bool {
        self.info().flink
    }

    /// Whether `joincheck oracle` prints this profile's exact prediction of a real engine.
    pub fn predicts_engine(self) -> bool {
        self.info().predicts_engine
    }

    /// The event times (ms) the modelled engine can represent, when narrower than `i64`.
    pub fn time_range(self) -> Option<std::ops::RangeInclusive<i64>> {
        self.info().time_range.map(|(lo, hi)| lo..=hi)
    }

    /// The event times (ms) a record may carry, when narrower than `i64`, and why.
    pub fn record_times(self) -> Option<(std::ops::RangeInclusive<i64>, &'static str)> {
        self.info().record_times.map(|((lo, hi), why)| (lo..=hi, why))
    }

    /// The join kinds the modelled engine has.
    pub fn kinds(self) -> &'static [JoinKind] {
        self.info().kinds
    }

    /// When the modelled engine moves its watermarks.
    pub fn timing(self) -> Timing {
        self.info().timing
    }

    /// Whether the modelled engine treats event time 0 specially (see [`ProfileInfo::epoch`]).
    pub fn epoch_matters(self) -> bool {
        self.info().epoch
    }

    /// How long the modelled engine may keep a record past its last chance to match.
    pub fn cleanup_slack(self) -> Duration {
        self.info().cleanup_slack
    }

    /// The lateness rule when a model names none.
    pub fn default_lateness(self) -> Lateness {
        self.info().lateness
    }

    /// What fuzzing holds the profile's engine to.
    pub fn contract(self) -> Contract {
        self.info().contract
    }

    /// The first thing about `params` that this profile's engine would not run as stated, if
    /// any. The model reader turns each into an error; the fuzzers draw only joins without one.
    pub fn unsupported(self, params: &JoinParams) -> Option<Unsupported> {
        let w = &params.watermark;
        if !self.kinds().contains(&params.kind) {
            return Some(Unsupported::Kind);
        }
        if let Some(range) = self.time_range() {
            for (name, b) in [("lower", params.bounds.lower()), ("upper", params.bounds.upper())] {
                if !range.contains(&b.at.as_millis()) {
                    return Some(Unsupported::Bound(name));
                }
            }
        }
        if self == Profile::KafkaStreams {
            match KafkaWindows::of(params) {
                None => return Some(Unsupported::Windows),
                Some(windows) if windows.stream_time() != *w => return Some(Unsupported::StreamTime),
                Some(_) => {}
            }
        }
        if params.grace.is_some() && self != Profile::KafkaStreams {
            return Some(Unsupported::Grace);
        }
        if let Some(needed) = self.required_source().filter(|&needed| needed != w.source) {
            return Some(Unsupported::Source(needed));
        }
        if self.is_flink() && w.policy != Policy::Min {
            return Some(Unsupported::Policy);
        }
        if self.is_flink() && w.lateness != Lateness::Strict {
            return Some(Unsupported::Lateness);
        }
        if self.is_flink() && params.bounds.is_equality() {
            return Some(Unsupported::Equality);
        }
        if params.horizon.is_some() && !self.has_horizon() {
            return Some(Unsupported::Horizon);
        }
        (w.timing != self.timing()).then_some(Unsupported::Timing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_variant_order_and_names_are_unique() {
        for (i, row) in PROFILES.iter().enumerate() {
            assert_eq!(row.profile as usize, i, "{}", row.name);
            assert_eq!(Profile::from_name(row.name), Some(row.profile));
        }
    }
}
