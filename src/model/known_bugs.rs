//! Known engine bugs: findings the modelled engine version produces because the real engine
//! does, each with its reference, the versions it affects, and the engine without it.
//!
//! A profile's row lists its engine's ([`ProfileInfo::bugs`]). A bug explains a violation only
//! when the check says so: `checker/causes.rs` checks the property again on the join
//! [`KnownBug::without`] gives, and names the bug only if that removes the violation. A named
//! bug fails `check` unless the model allows it (`[expect] allow = ["KAFKA-19536"]`).
//!
//! Some departures live in the engine's code, and the engine is run without them by a flag
//! of [`Removed`] in [`JoinParams::removed`], which only this attribution sets (a model file
//! cannot: a join is checked as its engine runs it). Others are a knob a model states
//! (Pathway's own-side freeing), or a whole function (the seed's), and the engine without
//! them is another knob value or profile.
//!
//! [`ProfileInfo::bugs`]: super::ProfileInfo::bugs

use super::{Eviction, JoinParams, Knobs, Profile};
use crate::property::Property;

/// Departures of an engine from its own intent that a run leaves out, to tell causes apart:
/// a set of flags, each read by the engine that has the departure. [`Removed::NONE`] is the
/// engine as it runs, and every join a model file describes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Removed(u8);

impl Removed {
    /// The engine as it runs.
    pub const NONE: Removed = Removed(0);
    /// Kafka Streams without KAFKA-19536: a record whose window has ended but whose grace has
    /// not waits in the outer store instead of being null-padded at once.
    pub const KAFKA_19536: Removed = Removed(1);
    /// Kafka Streams' window stores keeping what the window and the grace need
    /// (`max(before, after) + grace`, never less than Kafka's) and returning a record while
    /// `ts >= observed - retention`, instead of `before + after + grace` and one millisecond
    /// less.
    pub const KAFKA_RETENTION_SHORT: Removed = Removed(1 << 1);
    /// Kafka Streams with an end of input: the outer store's records get their null rows and
    /// the stores are emptied when the input stops (the engine's design has no end).
    pub const KAFKA_NO_END: Removed = Removed(1 << 2);
    /// Kafka Streams dropping a record behind the model's watermark (the largest time seen
    /// less the grace) instead of joining it (the engine's design; KAFKA-16123 proposed the
    /// drop).
    pub const KAFKA_LATE_JOINED: Removed = Removed(1 << 3);
    /// Kafka Streams fetching `[ts - before, ts + after]` as it is, instead of clamping both
    /// ends at 0 (`Math.max(0L, ...)`).
    pub const KAFKA_EPOCH_CLAMP: Removed = Removed(1 << 4);
    /// Kafka Streams' window stores expiring records by the task's stream time instead of
    /// each by its own side's observed time (the engine's design: a side that goes quiet
    /// keeps its records); with [`Removed::KAFKA_RETENTION_SHORT`] as well, each side's
    /// records stay exactly while a partner may still come on time.
    pub const KAFKA_OWN_SIDE_EXPIRY: Removed = Removed(1 << 5);
    /// Kafka Streams' outer-store scan resuming from the earliest entry still open, instead
    /// of from the last entry the previous scan looked at (`TimeTracker.minTime`, the
    /// engine's design), so a null row comes as soon as stream time closes its window.
    pub const KAFKA_OUTER_SCAN: Removed = Removed(1 << 6);

    /// Whether `self` removes everything `other` does.
    pub const fn has(self, other: Removed) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    pub const fn with(self, other: Removed) -> Removed {
        Removed(self.0 | other.0)
    }

    /// The join `params` with `self`'s departures removed as well.
    pub fn from(self, params: &JoinParams) -> JoinParams {
        JoinParams {
            removed: params.removed.with(self),
            ..*params
        }
    }
}

/// A known bug of the modelled engine version.
#[derive(Clone, Copy, Debug)]
pub struct KnownBug {
    /// Its name: the key where there is one (`KAFKA-19536`); what `[expect] allow`
    /// lists.
    pub id: &'static str,
    /// What goes wrong, in a sentence a user reads.
    pub summary: &'static str,
    /// The properties it violates.
    pub properties: &'static [Property],
    /// The versions it affects, and where it was seen.
    pub versions: &'static str,
    /// The engine's source and the issue.
    pub reference: &'static str,
    /// The join run without the bug, or `None` when `params` cannot have it.
    pub without: fn(&JoinParams) -> Option<JoinParams>,
}

impl KnownBug {
    /// Whether the bug violates `p`.
    pub fn violates(&self, p: Property) -> bool {
        self.properties.contains(&p)
    }
}

/// Kafka Streams 4.4.0 (`src/engine/kafka.rs`, docs/CONFORMANCE.md).
pub(crate) const KAFKA_BUGS: &[KnownBug] = &[
    KnownBug {
        id: "KAFKA-19536",
        summary: "a record that arrives after stream time has passed its window's end, but within the grace, \
                  is null-padded at once (timeTo < streamTime, without the grace), and a partner that comes next \
                  still joins it: a null row and a match for one record",
        properties: &[Property::OuterExactlyOnce],
        versions:
            "open; reproduced on Kafka Streams 4.4.0 (tests/conformance/kafka-streams, kafka-19536-null-row-then-match)",
        reference: "KStreamKStreamJoin.process; KAFKA-19536, apache/kafka#22410",
        // Only a record whose window ends sooner after it than the grace can be within the
        // grace once stream time has passed the window's end.
        without: |p| {
            let grace = p.grace.map_or(0, |g| g.as_millis());
            let windows = super::KafkaWindows::of(p)?;
            let left = p.kind.pads(crate::event::Side::Left) && windows.after_ms < grace;
            let right = p.kind.pads(crate::event::Side::Right) && windows.before_ms < grace;
            (left || right).then(|| Removed::KAFKA_19536.from(p))
        },
    },
    KnownBug {
        id: "kafka-retention-short",
        summary: "the join's window stores keep records for retention = before + after + grace and return one while \
                  ts >= observed - retention + 1: one millisecond short of what the window and the grace need, and \
                  with a positive lower bound (before < 0) short by that bound as well, so a partner that is on time \
                  finds the record gone (and in an outer join, the record gets a null row although it had a match)",
        properties: &[
            Property::NoLostMatch,
            Property::NoPrematureEviction,
            Property::OuterExactlyOnce,
        ],
        versions: "recorded on Kafka Streams 4.4.0 (tests/conformance/kafka-streams); not reported upstream",
        reference:
            "AbstractRocksDBSegmentedBytesStore.getActualFrom; JoinWindows.size(); KStreamImplJoin; docs/CONFORMANCE.md",
        without: |p| Some(Removed::KAFKA_RETENTION_SHORT.from(p)),
    },
    KnownBug {
        id: "kafka-fetch-clamped-at-epoch",
        summary: "a record fetches its partners in [max(0, ts - before), max(0, ts + after)]: near the epoch, where \
                  ts + after < 0 (a window that ends before the record, e.g. [5m, 20m] for a click at 0), the range \
                  becomes [0, 0] and joins a partner at 0 that is outside the window",
        properties: &[Property::NoSpuriousOutput, Property::OuterExactlyOnce],
        versions: "recorded on Kafka Streams 4.4.0 (tests/conformance/kafka-streams, 5m-to-20m-no-grace); only times \
                   within a window's length of the epoch",
        reference:
            "KStreamKStreamJoin.process (timeFrom = Math.max(0L, ...), timeTo = Math.max(0L, ...)); docs/CONFORMANCE.md",
        without: |p| Some(Removed::KAFKA_EPOCH_CLAMP.from(p)),
    },
];

/// Pathway 0.33.0 (docs/REAL-ENGINES.md): the freeing as it runs is the `own_side` knob.
pub(crate) const PATHWAY_BUGS: &[KnownBug] = &[KnownBug {
    id: "pathway-own-side-cutoff",
    summary: "a stored row is freed once its own side's newest time minus the cutoff passes it, when that side \
              receives its next row, whatever the interval bounds say: a partner still on time finds it gone",
    properties: &[Property::NoLostMatch, Property::NoPrematureEviction, Property::NoStateLeak],
    versions: "found on Pathway 0.33.0 (examples/real/pathway, docs/REAL-ENGINES.md); a model states it with eviction = \"own_side\"",
    reference: "pathway/stdlib/temporal/_interval_join.py, common_behavior (\"entries that won't change\"); docs/REAL-ENGINES.md",
    without: |p| {
        (p.knobs.eviction == Eviction::OwnSide).then_some(JoinParams {
            knobs: Knobs {
                eviction: Eviction::Bounds,
                ..p.knobs
            },
            ..*p
        })
    },
}];

/// The seed's function (`flink-keyed-ttl`, docs/SEED-FLINK.md): its defects are one design,
/// and the function without them is the corrected one (`flink-keyed-fixed`).
pub(crate) const SEED_BUGS: &[KnownBug] = &[KnownBug {
    id: "seed-function",
    summary: "the seed's KeyedCoProcessFunction: a click before its impression is lost, the first match clears the \
              impression, a duplicate impression's older timer clears the newer one, the processing-time TTL drops \
              impressions valid in event time, timers outlive matched impressions, and the timer at ts + 24h fires \
              before a click at exactly 24h",
    properties: &[
        Property::NoLostMatch,
        Property::NoSpuriousOutput,
        Property::NoPrematureEviction,
        Property::NoStateLeak,
        Property::LatenessAgrees,
    ],
    versions: "the seed design (../shared/seed/impressions-clicks-join.md); each defect is a [[defect]] of models/flink-keyed-ttl.toml",
    reference: "docs/SEED-FLINK.md (each defect, its counterexample and the fix); the corrected function is the flink-keyed-fixed profile",
    without: |p| {
        Some(JoinParams {
            profile: Profile::FlinkKeyedFixed,
            ..*p
        })
    },
}];
