//! The profile table: one row per engine profile, saying what it models, what it runs and
//! what it rejects. The model reader, the fuzz domain, the streaming choice, the checker's
//! leak slack and the engines' watermark timing all read it here, and nowhere else.
//!
//! Adding a profile: a variant of [`Profile`], its row in [`PROFILES`], its engine file in the
//! engine module, and that engine's line in the engine module's `profile_engines!` list.

use super::{JoinKind, JoinParams, Lateness, Policy, Removed, Timing, WatermarkSource, WatermarkSpec};
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
    /// Quix Streams' `join_interval` as documented: nothing is late, each side's store
    /// expires a key's records `grace` behind that key's newest, a left join's null row is
    /// emitted when the left record finds nothing, and a stream does not end (the reference
    /// engine under the row's knobs).
    QuixStreams,
    /// Pathway's `interval_join` with `common_behavior(cutoff=...)` as intended: each input
    /// judged late against its own progress, null rows emitted at once and retracted when a
    /// match arrives (the reference engine under the row's knobs).
    Pathway,
}

/// When a stored record leaves state: the engine's rule, which the semantics judge (a record
/// must stay while an on-time record can still match it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Eviction {
    /// When no on-time record can match it any more: its bounds against the watermark its
    /// partners are judged by (`eviction = "bounds"`).
    Bounds,
    /// When its own input's watermark passes it (late by the model's rule, on its own side),
    /// whatever the bounds say; applied lazily, when that input receives its next record
    /// (`eviction = "own_side"`: Pathway's cutoff).
    OwnSide,
    /// Per key and side, when a newer record of that key arrives on that side more than the
    /// side's delay (the grace) ahead of it (`eviction = "per_key"`: Quix Streams' grace).
    PerKey,
}

/// What end of input does to state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndOfInput {
    /// Nothing can arrive any more: every stored record leaves, the unmatched ones of padded
    /// sides with their null rows, and state ends empty (`end_of_input = "flush"`).
    Flush,
    /// The input stops and the engine does nothing: a stream does not end
    /// (`end_of_input = "nothing"`). What is stored stays, and a record that could still
    /// match at the last watermark gets no null row; the properties judge the state at end
    /// as they judge it between watermarks.
    Nothing,
}

/// When an outer join's null-padded rows appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OuterRows {
    /// When no on-time record can match the record any more (its eviction, or end of input):
    /// exactly once, never for a record with a match (`outer_rows = "at_close"`).
    AtClose,
    /// At once, when the record finds no partner on arrival, and never withdrawn: a partner
    /// arriving later gives a match as well (`outer_rows = "eager"`: Quix Streams), which
    /// breaks `outer_exactly_once` by design.
    Eager,
    /// At once, and retracted when the record's first match arrives (`outer_rows =
    /// "eager_retract"`: Pathway): the rows, net of retractions, are those of `at_close`,
    /// which is what the engine emits and the checker checks; `drive` accepts a program's
    /// retraction of a null row whose record has a match, and no other.
    EagerRetract,
}

/// A profile's engine knobs, stated in a model's `[join]` table, each defaulting to the
/// profile's row. Only profiles whose engine is the reference engine (the `tunable` column)
/// take other values than `bounds`, `flush` and `at_close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Knobs {
    /// When a stored record leaves state.
    pub eviction: Eviction,
    /// What end of input does.
    pub end_of_input: EndOfInput,
    /// When null rows appear.
    pub outer_rows: OuterRows,
}

impl Knobs {
    /// The clean join's: eviction by the bounds, a flush at end of input, null rows at close.
    pub const CLEAN: Knobs = Knobs {
        eviction: Eviction::Bounds,
        end_of_input: EndOfInput::Flush,
        outer_rows: OuterRows::AtClose,
    };

    /// The invariants these knobs break by design, whatever the join: an eviction rule other
    /// than the bounds frees records a partner may still come for (and keeps others that no
    /// partner can), and eager null rows without retraction precede matches.
    pub fn breaks(&self, p: Property) -> bool {
        let evicts_by_own_rule = self.eviction != Eviction::Bounds;
        match p {
            Property::NoLostMatch | Property::NoPrematureEviction | Property::NoStateLeak => evicts_by_own_rule,
            Property::OuterExactlyOnce => evicts_by_own_rule || self.outer_rows == OuterRows::Eager,
            _ => false,
        }
    }
}

impl Eviction {
    /// Every value with its name in a model file.
    pub const ALL: [(&'static str, Eviction); 3] = [
        ("bounds", Eviction::Bounds),
        ("own_side", Eviction::OwnSide),
        ("per_key", Eviction::PerKey),
    ];

    /// The value's name in a model file.
    pub fn name(self) -> &'static str {
        super::name_in(&Eviction::ALL, self)
    }
}

impl EndOfInput {
    /// Every value with its name in a model file.
    pub const ALL: [(&'static str, EndOfInput); 2] = [("flush", EndOfInput::Flush), ("nothing", EndOfInput::Nothing)];

    /// The value's name in a model file.
    pub fn name(self) -> &'static str {
        super::name_in(&EndOfInput::ALL, self)
    }
}

impl OuterRows {
    /// Every value with its name in a model file.
    pub const ALL: [(&'static str, OuterRows); 3] = [
        ("at_close", OuterRows::AtClose),
        ("eager", OuterRows::Eager),
        ("eager_retract", OuterRows::EagerRetract),
    ];

    /// The value's name in a model file.
    pub fn name(self) -> &'static str {
        super::name_in(&OuterRows::ALL, self)
    }
}

/// Which fuzz target draws a profile's cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fuzz {
    /// Not fuzzed (the canary is wrong on purpose).
    Not,
    /// Drawn by `eviction_vs_oracle`, at this place of its frozen list: the target's first
    /// choice picks the profile by index, so a committed input keeps its meaning only while
    /// every place is kept.
    Shared(u8),
    /// A target of its own (profiles added after the shared list was frozen).
    Own(&'static str),
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

/// The watermark rule a join implies for an engine with none to state, or why it cannot run.
pub type ImpliedWatermark = fn(&JoinParams) -> Result<WatermarkSpec, Unsupported>;

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
    /// How the inputs' watermarks combine when the model file names no policy.
    pub policy: Policy,
    /// The one watermark source the modelled engine has, when it has only one, and why (the
    /// words a model stating the other is told): Spark derives its watermarks from event
    /// times; the keyed function reads the ones upstream sends.
    pub source: Option<(WatermarkSource, &'static str)>,
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
    /// What fuzzing holds it to (beyond what the model's knobs break, [`Knobs::breaks`]).
    pub contract: Contract,
    /// Which fuzz target draws its cases.
    pub fuzz: Fuzz,
    /// For an engine with no watermarks to state, the rule its join implies (Kafka Streams'
    /// stream time, from the windows): a model without `[watermark]` gets it.
    pub implied_watermark: Option<ImpliedWatermark>,
    /// The engine knobs a model gets when it states none.
    pub knobs: Knobs,
    /// The known deviations of the modelled engine: findings it produces because the real
    /// engine does, which fuzzing excuses.
    pub deviations: &'static [Deviation],
    /// What every join on the engine does by design that the ideal join's properties call a
    /// violation (or a witness none reaches), each with why and its source: a model that says
    /// nothing of the property is judged against this, not against the ideal
    /// ([`crate::model::JoinSpec::design`]).
    pub design: &'static [Design],
    /// The rules over a join's constants that name a violation this configuration causes,
    /// with the change that removes it ([`crate::model::configuration`]).
    pub configuration: &'static [super::Rule],
    /// The known bugs of the modelled engine version, each with the engine without it
    /// ([`crate::model::known_bugs`]).
    pub bugs: &'static [super::KnownBug],
    /// Whether a model may set the left record's retention (`[join] horizon`): the keyed
    /// Flink functions' TTL and timer offset; other engines derive theirs.
    pub horizon: bool,
    /// Whether a model may set a grace period (`[join] grace`): Kafka Streams' windows.
    pub grace: bool,
    /// Whether the engine reads processing time (`processing_time` steps): the seed's TTL'd
    /// `ValueState` expires by it.
    pub processing_time: bool,
    /// Whether a model may choose the watermark policy and lateness rule; the other engines
    /// have one of each (their `policy` and `lateness` here).
    pub rules_free: bool,
    /// Whether the profile's engine is the reference engine, which takes every knob value,
    /// per-side watermarks (`policy = "per_side"`) and no lateness (`lateness = "none"`);
    /// the other engines run their engine's own rules and take only [`Knobs::CLEAN`].
    pub tunable: bool,
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
    fuzz: Fuzz::Shared(0),
    implied_watermark: None,
    name: "reference",
    kinds: ALL_KINDS,
    timing: Timing::PerRecord,
    lateness: Lateness::Strict,
    policy: Policy::Min,
    source: None,
    flink: false,
    predicts_engine: false,
    time_range: None,
    record_times: None,
    epoch: false,
    cleanup_slack: Duration::ZERO,
    contract: Contract::Oracle,
    knobs: Knobs::CLEAN,
    deviations: &[],
    design: &[],
    configuration: &[],
    bugs: &[],
    horizon: false,
    grace: false,
    processing_time: false,
    rules_free: true,
    tunable: true,
};

/// What the seed's keyed function and its corrected version share.
const FLINK_KEYED: ProfileInfo = ProfileInfo {
    profile: Profile::FlinkKeyedFixed,
    fuzz: Fuzz::Shared(5),
    name: "flink-keyed-fixed",
    kinds: OUTER_KINDS,
    source: Some((
        WatermarkSource::Trace,
        "the keyed function reads the watermarks its inputs send, as explicit watermark steps",
    )),
    flink: true,
    deviations: &[Deviation::FlinkTimerCleanup, Deviation::FlinkMaxWatermark],
    configuration: &[super::configuration::horizon_shorter_than_window],
    horizon: true,
    rules_free: false,
    tunable: false,
    ..REFERENCE
};

/// The table, in the order of [`Profile`]'s variants.
pub const PROFILES: [ProfileInfo; 10] = [
    REFERENCE,
    ProfileInfo {
        profile: Profile::Canary,
        fuzz: Fuzz::Not,
        name: "canary",
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::Spark,
        fuzz: Fuzz::Shared(1),
        name: "spark",
        timing: Timing::PerBatch,
        lateness: Lateness::NonStrict,
        source: Some((WatermarkSource::Derived, "Spark derives each input's watermark from the event times it has seen")),
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
        deviations: &[Deviation::SparkEqualityKey],
        design: SPARK_DESIGN,
        configuration: &[super::configuration::spark_negative_equality],
        tunable: false,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::FlinkKeyedTtl,
        fuzz: Fuzz::Shared(4),
        name: "flink-keyed-ttl",
        kinds: INNER,
        // models/flink-keyed-ttl.toml: the seed's function breaks everything else.
        contract: Contract::Holds(&[Property::NoDuplicateOutput, Property::OuterExactlyOnce]),
        processing_time: true,
        // Not the timer deviation: this contract holds only no_duplicate_output and
        // outer_exactly_once, which a record held for its timer does not break.
        deviations: &[Deviation::FlinkMaxWatermark],
        bugs: super::known_bugs::SEED_BUGS,
        ..FLINK_KEYED
    },
    FLINK_KEYED,
    ProfileInfo {
        profile: Profile::FlinkInterval,
        fuzz: Fuzz::Shared(2),
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
        deviations: &[Deviation::FlinkTimerCleanup, Deviation::FlinkMaxWatermark],
        design: FLINK_INTERVAL_DESIGN,
        rules_free: false,
        tunable: false,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::FlinkSqlInterval,
        fuzz: Fuzz::Shared(3),
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
        deviations: &[Deviation::FlinkSqlEpoch, Deviation::FlinkMaxWatermark],
        design: FLINK_SQL_DESIGN,
        rules_free: false,
        tunable: false,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::KafkaStreams,
        fuzz: Fuzz::Own("kafka_vs_oracle"),
        implied_watermark: Some(|params| {
            KafkaWindows::of(params)
                .map(|w| w.stream_time())
                .ok_or(Unsupported::Windows)
        }),
        name: "kafka-streams",
        kinds: KAFKA_KINDS,
        // Stream time moves with every record; the model's watermark rule is the one
        // KafkaWindows::stream_time derives from the windows.
        source: Some((WatermarkSource::Derived, "Kafka Streams has no watermarks: its stream time is the largest timestamp seen")),
        predicts_engine: true,
        // Bounds within ±2^61 ms keep the stores' retention (before + after + grace) a long.
        time_range: Some((-(1 << 61), 1 << 61)),
        // The top: a window store cannot return a record at Long.MAX_VALUE. Its windowed key
        // is TimeWindow(ts, ts + size) with the end truncated to Long.MAX_VALUE
        // (WindowKeySchema.timeWindowForSize), and TimeWindow refuses an end that is not
        // after its start ("Window endMs must be greater than window startMs",
        // TimeWindow.java:47). Seen on Kafka Streams 4.4.0 when `drive`'s varied traces put
        // a right record at i64::MAX and the join store was read through
        // ReadOnlyWindowStore.all().
        record_times: Some((
            (0, i64::MAX - 1),
            "Kafka refuses negative record timestamps (FailOnInvalidTimestamp), and its window stores cannot \
             return one at Long.MAX_VALUE (TimeWindow refuses the window WindowKeySchema.timeWindowForSize makes)",
        )),
        // A fetch clamps its time range at 0 (KStreamKStreamJoin: max(0L, ts - before)).
        epoch: true,
        // models/kafka-streams-*.toml: records behind stream time are joined and padded, no
        // end of input flushes the stores.
        contract: Contract::Holds(&[Property::NoDuplicateOutput]),
        design: KAFKA_DESIGN,
        bugs: super::known_bugs::KAFKA_BUGS,
        grace: true,
        rules_free: false,
        tunable: false,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::QuixStreams,
        fuzz: Fuzz::Own("quix_vs_oracle"),
        name: "quix-streams",
        kinds: OUTER_KINDS,
        // join_interval drops nothing: `grace_ms` is a retention, the model's delays.
        lateness: Lateness::Off,
        source: Some((WatermarkSource::Derived, "Quix Streams' join_interval has no watermarks: it expires records by the timestamps it has seen (grace_ms)")),
        record_times: Some((
            (0, i64::MAX),
            "Quix Streams' state store keys records by a non-negative timestamp",
        )),
        knobs: Knobs {
            eviction: Eviction::PerKey,
            end_of_input: EndOfInput::Nothing,
            outer_rows: OuterRows::Eager,
        },
        // Its eager null rows are a knob (a model may set outer_rows), not fixed design.
        design: QUIX_DESIGN,
        rules_free: false,
        ..REFERENCE
    },
    ProfileInfo {
        profile: Profile::Pathway,
        fuzz: Fuzz::Own("pathway_vs_oracle"),
        name: "pathway",
        kinds: OUTER_KINDS,
        // common_behavior(cutoff=c): a row at or before its own side's max - c is ignored.
        lateness: Lateness::NonStrict,
        policy: Policy::PerSide,
        source: Some((WatermarkSource::Derived, "Pathway's cutoff follows the largest time each side has seen")),
        knobs: Knobs {
            eviction: Eviction::Bounds,
            end_of_input: EndOfInput::Flush,
            outer_rows: OuterRows::EagerRetract,
        },
        bugs: super::known_bugs::PATHWAY_BUGS,
        rules_free: false,
        ..REFERENCE
    },
];

/// A verdict every join on an engine has by the engine's design: the property the ideal
/// join's semantics hold and this engine does not (or a witness it never reaches), which
/// joins it applies to, why, and where the engine says so. docs/CONFORMANCE.md tells users
/// the same, with the recorded runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Design {
    /// The property: violated by design (an invariant), or never reached (a witness).
    pub property: Property,
    /// The flag that runs the engine without this design, where the engine has one: then a
    /// violation of the property can be told apart from a known bug's
    /// ([`crate::model::known_bugs`]); [`Removed::NONE`] where it cannot.
    pub removed: Removed,
    /// Only for joins that null-pad a side (outer joins), or for every join.
    pub outer_only: bool,
    /// Only for joins that keep the profile's knobs (a knob's design: Quix Streams' per-key
    /// expiry), or whatever the knobs.
    pub default_knobs: bool,
    /// Why, in a sentence a user reads.
    pub why: &'static str,
    /// The engine's source: class and method, issue or document.
    pub source: &'static str,
}

impl Design {
    /// Whether it applies to the join `params`.
    pub fn applies(&self, params: &JoinParams) -> bool {
        let kind = params.kind;
        let padded = kind.pads(crate::event::Side::Left) || kind.pads(crate::event::Side::Right);
        (!self.outer_only || padded) && (!self.default_knobs || params.knobs == params.profile.default_knobs())
    }
}

const SPARK_NO_END: &str =
    "a Spark stream has no end of input: rows still in state when the query stops are never evicted";
const SPARK_NO_END_SOURCE: &str =
    "StreamingSymmetricHashJoinExec: state leaves only by watermark eviction (OneSideHashJoiner.removeOldState); docs/CONFORMANCE.md";
const SPARK_DESIGN: &[Design] = &[
    Design {
        property: Property::NoStateLeak,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: SPARK_NO_END,
        source: SPARK_NO_END_SOURCE,
    },
    Design {
        property: Property::OuterExactlyOnce,
        removed: Removed::NONE,
        outer_only: true,
        default_knobs: false,
        why: "a Spark outer join emits a null row when the watermark evicts the unmatched row, and a stopped stream evicts nothing: such a row never gets one",
        source: SPARK_NO_END_SOURCE,
    },
];

const FLINK_SQL_LATE: &str = "RowTimeIntervalJoin (Flink SQL) drops no row behind the watermark: it joins what is still cached, caches the row while its window is open, and in an outer join null-pads it at once if nothing is";
const FLINK_SQL_SOURCE: &str =
    "org.apache.flink.table.runtime.operators.join.interval.RowTimeIntervalJoin; reference/flink-join-semantics.md §7; docs/CONFORMANCE.md";
const FLINK_SQL_DESIGN: &[Design] = &[
    Design {
        property: Property::NoSpuriousOutput,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: FLINK_SQL_LATE,
        source: FLINK_SQL_SOURCE,
    },
    Design {
        property: Property::LatenessAgrees,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: FLINK_SQL_LATE,
        source: FLINK_SQL_SOURCE,
    },
    Design {
        property: Property::WitnessLateDrop,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: FLINK_SQL_LATE,
        source: FLINK_SQL_SOURCE,
    },
    Design {
        property: Property::NoStateLeak,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: "Flink SQL caches a row behind the watermark while its window is still open, though no on-time partner can come",
        source: FLINK_SQL_SOURCE,
    },
    Design {
        property: Property::OuterExactlyOnce,
        removed: Removed::NONE,
        outer_only: true,
        default_knobs: false,
        why: "Flink SQL null-pads a late row at once when nothing cached matches it, and a partner that arrives later still joins it",
        source: FLINK_SQL_SOURCE,
    },
];

const FLINK_INTERVAL_SOURCE: &str =
    "org.apache.flink.streaming.api.operators.co.IntervalJoinOperator (onEventTime, registerCleanupTimer); FLINK-33524, closed";
const FLINK_INTERVAL_DESIGN: &[Design] = &[
    Design {
        property: Property::NoLostMatch,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: "IntervalJoinOperator's cleanup timer at ts + upper fires when the watermark reaches it, while a partner exactly at the window's end is still on time (ts < wm is late) and finds the record gone",
        source: FLINK_INTERVAL_SOURCE,
    },
    Design {
        property: Property::NoPrematureEviction,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: "IntervalJoinOperator's cleanup timer at ts + upper removes the record while a partner at exactly the window's end is still on time",
        source: FLINK_INTERVAL_SOURCE,
    },
];

const KAFKA_LATE: &str = "Kafka Streams drops no record for being behind stream time: it probes the other store, joins what retention kept, and pads at once in a left or outer join";
const KAFKA_LATE_SOURCE: &str =
    "KStreamKStreamJoin.process; KAFKA-16123 (apache/kafka#15189, closed unmerged); docs/CONFORMANCE.md";
const KAFKA_DESIGN: &[Design] = &[
    Design {
        property: Property::NoSpuriousOutput,
        removed: Removed::KAFKA_LATE_JOINED,
        outer_only: false,
        default_knobs: false,
        why: KAFKA_LATE,
        source: KAFKA_LATE_SOURCE,
    },
    Design {
        property: Property::LatenessAgrees,
        removed: Removed::KAFKA_LATE_JOINED,
        outer_only: false,
        default_knobs: false,
        why: KAFKA_LATE,
        source: KAFKA_LATE_SOURCE,
    },
    Design {
        property: Property::WitnessLateDrop,
        removed: Removed::KAFKA_LATE_JOINED,
        outer_only: false,
        default_knobs: false,
        why: KAFKA_LATE,
        source: KAFKA_LATE_SOURCE,
    },
    Design {
        property: Property::NoStateLeak,
        removed: Removed::KAFKA_NO_END
            .with(Removed::KAFKA_OWN_SIDE_EXPIRY)
            .with(Removed::KAFKA_OUTER_SCAN),
        outer_only: false,
        default_knobs: false,
        why: "a Kafka stream has no end: nothing is freed or null-padded when the input stops; and each window store expires records only as its own side's stream time moves, so a side that goes quiet keeps records no partner can match any more; and the outer store is scanned again only once stream time passes the last entry the previous scan looked at (TimeTracker.minTime), so an earlier record whose window has closed waits for its null row",
        source: "KStreamKStreamJoin (no end-of-input punctuation; emitNonJoinedOuterRecords, TimeTracker.minTime); AbstractRocksDBSegmentedBytesStore (expiry by the store's observed stream time); docs/CONFORMANCE.md",
    },
    Design {
        property: Property::OuterExactlyOnce,
        removed: Removed::KAFKA_NO_END.with(Removed::KAFKA_LATE_JOINED),
        outer_only: true,
        default_knobs: false,
        why: "a Kafka stream has no end: an unmatched record waits in the outer store until stream time passes its window and grace, and never gets its null row when the input stops; and a record behind stream time is null-padded at once, then still joined by a partner that comes later",
        source: "KStreamKStreamJoin.emitNonJoinedOuterRecords; docs/CONFORMANCE.md",
    },
];

const QUIX_EXPIRY: &str = "Quix Streams' join_interval expires a key's records on a side once a record of that key arrives there more than grace_ms later (\"expired per key when the new record gets added\"), not by the window: with nothing late, a partner may still come for an expired record, and a key that goes quiet keeps its records";
const QUIX_SOURCE: &str = "quixstreams.dataframe.joins.join_interval.IntervalJoin (3.28.1), the join_interval docstring; docs/REAL-ENGINES.md";
const QUIX_DESIGN: &[Design] = &[
    Design {
        property: Property::NoLostMatch,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: true,
        why: QUIX_EXPIRY,
        source: QUIX_SOURCE,
    },
    Design {
        property: Property::NoPrematureEviction,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: true,
        why: QUIX_EXPIRY,
        source: QUIX_SOURCE,
    },
    Design {
        property: Property::OuterExactlyOnce,
        removed: Removed::NONE,
        outer_only: true,
        default_knobs: true,
        why: "Quix Streams' join_interval emits a left record's null row at once when nothing matches it (\"for left joins, emit even without matches\"), never withdrawn, and a partner that comes later joins it too",
        source: QUIX_SOURCE,
    },
    Design {
        property: Property::WitnessLateDrop,
        removed: Removed::NONE,
        outer_only: false,
        default_knobs: false,
        why: "Quix Streams' join_interval drops nothing as late: grace_ms is a retention",
        source: QUIX_SOURCE,
    },
];

/// A known deviation: a finding that a profile's engine produces on purpose, because the
/// real engine it models does, in a corner its bundled models' scopes leave out. A profile's
/// row lists its own ([`ProfileInfo::deviations`]); fuzzing excuses a finding only by one of
/// them (`testing::fuzzing::known_deviation`), and each is pinned by a test in
/// `tests/fuzz_replay` with the input that first showed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deviation {
    /// Flink's cleanup timers (`flink-interval`, `flink-keyed-fixed`): a record stays
    /// buffered until its cleanup timer fires, and a timer fires only when the watermark
    /// advances to it. So a record whose last chance has passed is held while its timer is
    /// not yet due (the interval join's timer is at `ts + max(relUpper, 0)`, behind the last
    /// chance when the window ends before `ts`), and a record that can match nothing already
    /// on arrival (its window lies behind the watermark, or outside `i64`) is held until the
    /// watermark next advances, because its timer is due at once.
    FlinkTimerCleanup,
    /// Flink SQL's operator time is `max(watermark, 0)`, and `RowTimeIntervalJoin` caches a
    /// row only while its window ends after it: a row whose window ends at or before the
    /// epoch, or exactly at the watermark (where a partner is still on time), is never
    /// cached; and a cleanup timer that finds the earliest remaining row of its key at or
    /// before the epoch drops that key's whole cache on that side, later rows included,
    /// without joins or null rows. The matches such rows would have made are lost
    /// (`models/flink-sql-*.toml` keep their times after the epoch for this reason).
    FlinkSqlEpoch,
    /// Flink's `MAX_WATERMARK` is end of input, but an explicit watermark step (or a derived
    /// one, from a record at `i64::MAX`) can reach it while records still arrive, and by
    /// `ts < wm` a record at exactly `i64::MAX` is still on time then. The Flink engines treat
    /// the input as over: state is evicted and null-padded at once (Flink SQL expires every
    /// row; cleanup timers past `i64` are due at `MAX`), and a timer registered after the
    /// watermark is `MAX` never fires, so its record outlives end of input unpadded.
    FlinkMaxWatermark,
    /// Spark with a time equality (`bounds = "= d"`, `clickTime = impressionTime + interval
    /// d`): the event time is part of the join key, and a right row leaves state once
    /// `r.ts <= W` (`src/engine/spark.rs`), not once its last partner is behind the watermark.
    /// With `d > 0` it is held `d` longer than it can match (a bounded leak); with `d < 0` it
    /// is evicted while a left partner at `r.ts - d` is still on time, which then finds
    /// nothing (premature eviction, a lost match, and for a padded right side a null row too
    /// early). Recorded on real Spark: `tests/conformance/spark/fixtures/joins/equality-*`.
    SparkEqualityKey,
}

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
    /// A knob the profile's engine does not take: it has rules of its own.
    Knob(Knob),
    /// `eviction = "per_key"` on a left semi join, whose matched left records leave state at
    /// once, so that per-key expiry cannot know a key's newest time.
    PerKeySemi,
}

/// What only the profiles whose engine is the reference engine take ([`ProfileInfo::tunable`]):
/// a value other than [`Knobs::CLEAN`]'s, `policy = "per_side"`, `lateness = "none"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    /// `[join] eviction`.
    Eviction,
    /// `[join] end_of_input`.
    EndOfInput,
    /// `[join] outer_rows`.
    OuterRows,
    /// `[watermark] policy = "per_side"`.
    PerSide,
    /// `[watermark] lateness = "none"`.
    NoLateness,
}

impl Knob {
    /// The first knob `params` sets that an engine with rules of its own does not take.
    fn stated(params: &JoinParams) -> Option<Knob> {
        let (k, w) = (&params.knobs, &params.watermark);
        [
            (Knob::Eviction, k.eviction != Knobs::CLEAN.eviction),
            (Knob::EndOfInput, k.end_of_input != Knobs::CLEAN.end_of_input),
            (Knob::OuterRows, k.outer_rows != Knobs::CLEAN.outer_rows),
            (Knob::PerSide, w.policy == Policy::PerSide),
            (Knob::NoLateness, w.lateness == Lateness::Off),
        ]
        .into_iter()
        .find_map(|(knob, set)| set.then_some(knob))
    }

    /// Its key in a model file.
    pub fn key(self) -> &'static str {
        match self {
            Knob::Eviction => "join.eviction",
            Knob::EndOfInput => "join.end_of_input",
            Knob::OuterRows => "join.outer_rows",
            Knob::PerSide => "watermark.policy",
            Knob::NoLateness => "watermark.lateness",
        }
    }
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
    /// The watermark rule a model of this profile gets without `[watermark]`, when its engine
    /// has none to state (the table's `implied_watermark`).
    pub fn implied_watermark(self, params: &JoinParams) -> Option<Result<WatermarkSpec, Unsupported>> {
        self.info().implied_watermark.map(|rule| rule(params))
    }

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
        self.info().source.map(|(source, _)| source)
    }

    /// Whether the profile is a keyed Flink function whose left-record retention a model may
    /// set (`[join] horizon`, [`JoinParams::horizon`]).
    pub fn has_horizon(self) -> bool {
        self.info().horizon
    }

    /// Whether a model may set a grace period (`[join] grace`, [`JoinParams::grace`]).
    pub fn takes_grace(self) -> bool {
        self.info().grace
    }

    /// Whether the engine reads processing time (see [`ProfileInfo::processing_time`]).
    pub fn reads_processing_time(self) -> bool {
        self.info().processing_time
    }

    /// Whether a model may choose the watermark policy and lateness rule.
    pub fn rules_free(self) -> bool {
        self.info().rules_free
    }

    /// The names of the profiles whose rows satisfy `has`, in table order, for the words of
    /// an error (the canary, a deliberately broken engine, is never offered).
    pub(crate) fn names_where(has: fn(&ProfileInfo) -> bool) -> String {
        let rows = PROFILES.iter().filter(|row| row.profile != Profile::Canary && has(row));
        rows.map(|row| row.name).collect::<Vec<_>>().join(", ")
    }

    /// What every join on the engine does by design (see [`Design`]).
    pub fn design(self) -> &'static [Design] {
        self.info().design
    }

    /// The modelled engine's known deviations (see [`Deviation`]).
    pub fn deviations(self) -> &'static [Deviation] {
        self.info().deviations
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

    /// The event times (ms) a record may carry, as its two ends: [`Profile::record_times`],
    /// or all of `i64`.
    pub fn record_range(self) -> (i64, i64) {
        self.record_times()
            .map_or((i64::MIN, i64::MAX), |(r, _)| (*r.start(), *r.end()))
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

    /// The watermark policy when a model names none.
    pub fn default_policy(self) -> Policy {
        self.info().policy
    }

    /// What fuzzing holds the profile's engine to.
    pub fn contract(self) -> Contract {
        self.info().contract
    }

    /// The engine knobs a model of this profile gets when it states none.
    pub fn default_knobs(self) -> Knobs {
        self.info().knobs
    }

    /// Whether the profile's engine takes every knob (see [`ProfileInfo::tunable`]).
    pub fn tunable(self) -> bool {
        self.info().tunable
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
        match self.implied_watermark(params) {
            Some(Err(why)) => return Some(why),
            Some(Ok(implied)) if implied != *w => return Some(Unsupported::StreamTime),
            _ => {}
        }
        if params.grace.is_some() && !self.takes_grace() {
            return Some(Unsupported::Grace);
        }
        if let Some(needed) = self.required_source().filter(|&needed| needed != w.source) {
            return Some(Unsupported::Source(needed));
        }
        if let Some(knob) = Knob::stated(params).filter(|_| !self.info().tunable) {
            return Some(Unsupported::Knob(knob));
        }
        if params.knobs.eviction == Eviction::PerKey && params.kind == JoinKind::LeftSemi {
            return Some(Unsupported::PerKeySemi);
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

    /// `MAX_WATERMARK` is end of input in every Flink operator and in no other engine; the
    /// engines that state no watermarks have the rule their join implies, and nothing else
    /// takes a grace.
    #[test]
    fn the_rows_agree_on_what_follows_from_the_engine() {
        for row in &PROFILES {
            let max_watermark = row.deviations.contains(&Deviation::FlinkMaxWatermark);
            assert_eq!(row.flink, max_watermark, "{}", row.name);
            assert!(
                !(row.flink && row.rules_free),
                "{}: a Flink operator's rules are fixed",
                row.name
            );
            assert!(!row.grace || row.implied_watermark.is_some(), "{}", row.name);
            assert!(
                !row.horizon || row.flink,
                "{}: a horizon is a keyed Flink function's",
                row.name
            );
        }
    }
}
