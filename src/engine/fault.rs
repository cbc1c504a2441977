//! The faults the bug benchmark (`crate::testing::mutants`) builds into engines: crate-private,
//! so no engine a user builds can carry one.

use crate::event::Side;

/// A deliberate defect, for the mutation benchmark (`crate::testing::mutants`): each recreates a bug
/// that a real engine shipped. Every engine a user gets has `Fault::None`; only the benchmark
/// builds engines with another value (through each engine's `pub(crate) with_fault`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Fault {
    #[default]
    None,
    /// Reference: records of this side are never evicted.
    NeverEvict(Side),
    /// Reference: state is cleaned only when a record of the same key arrives
    /// (RisingWave #16045).
    EvictOnlyOnKeyArrival,
    /// Spark: rows already evictable are not stored, on both sides and in outer joins too
    /// (the code before SPARK-49829).
    SparkSkipEvictableRows,
    /// Spark: the left state watermark derived from the lower bound instead of the upper
    /// (SPARK-46350).
    SparkLeftStateFromLowerBound,
    /// Spark: the late filter gets the watermark this batch's own rows will publish instead
    /// of the one in effect (SPARK-41411, the wrong watermark passed to the join).
    SparkLateFilterWithNextWatermark,
    /// Flink interval join: the cleanup timer at `ts` instead of `ts + upper` (removing the
    /// element's own bucket).
    TimerAtTimestamp,
    /// Kafka Streams: no outer-join store, so an unmatched record of a padded side is
    /// null-padded at once (before 3.1, KAFKA-10847's spurious left/outer results).
    KafkaEagerNullRows,
}
