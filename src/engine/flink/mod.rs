//! The Flink profiles and the building blocks they share.
//!
//! The engines, one per profile: [`interval`] (DataStream `IntervalJoinOperator`),
//! [`sql_interval`] (Flink SQL's rowtime interval join), [`keyed_ttl`] (the seed's
//! `KeyedCoProcessFunction`) and [`keyed_fixed`] (that function, corrected).
//!
//! The building blocks, each a small model of one Flink mechanism (Flink 2.3.0;
//! `shared/reference/flink-join-semantics.md` cites the classes):
//!
//! - `watermark`: how watermarks are generated (DataStream bounded out-of-orderness, SQL
//!   `WATERMARK FOR ... AS ts - INTERVAL ...`) and how a two-input operator combines them;
//! - `timers`: the event-time timer service (fire when the watermark reaches the timestamp,
//!   one timer per key and timestamp);
//! - `ttl`: processing-time state TTL on a value state.

pub mod interval;
pub mod keyed_fixed;
pub mod keyed_ttl;
pub(crate) mod operator;
pub mod sql_interval;
pub(crate) mod timers;
pub(crate) mod ttl;
pub(crate) mod watermark;
