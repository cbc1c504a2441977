//! Building blocks shared by the Flink profiles, each a small model of one Flink mechanism
//! (Flink 2.3.0; `shared/reference/flink-join-semantics.md` cites the classes):
//!
//! - [`watermark`]: how watermarks are generated (DataStream bounded out-of-orderness, SQL
//!   `WATERMARK FOR ... AS ts - INTERVAL ...`) and how a two-input operator combines them;
//! - [`timers`]: the event-time timer service (fire when the watermark reaches the timestamp,
//!   one timer per key and timestamp);
//! - [`ttl`]: processing-time state TTL on a value state.

pub mod timers;
pub mod ttl;
pub mod watermark;
