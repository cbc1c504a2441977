//! This configuration's cost: violations that follow from a model's own constants rather than
//! from its engine's design, each named in words that use the constants, with the smallest
//! change that removes it.
//!
//! A profile's row lists the rules that apply to its engine ([`ProfileInfo::configuration`]).
//! A rule looks only at the join's parameters; whether it explains a violation the checker
//! found is decided by checking again with the change made (`checker/configuration.rs`): only
//! a change that removes the violation in the same scope is reported as its cause.
//!
//! [`ProfileInfo::configuration`]: super::ProfileInfo::configuration

use super::{Bounds, JoinParams};
use crate::property::Property;
use crate::time::Duration;

/// A rule over a join's constants: `None` when they do not have the problem it names.
pub type Rule = fn(&JoinParams) -> Option<Misconfiguration>;

/// A problem a join's constants have, and the change that removes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misconfiguration {
    /// The properties it violates.
    pub properties: &'static [Property],
    /// What goes wrong, in words that use the model's constants.
    pub what: String,
    /// The change, as the model file writes it (`horizon = "1d"`).
    pub change: String,
    /// The join with the change made.
    pub fixed: JoinParams,
    /// The engine's source for the behaviour.
    pub source: &'static str,
}

const LOST: &[Property] = &[Property::NoLostMatch, Property::NoPrematureEviction];

/// The keyed Flink functions (`flink-keyed-fixed`, `flink-keyed-ttl`): a horizon shorter
/// than the window's largest offset clears a left record while a right record that matches it
/// can still come on time.
pub(crate) fn horizon_shorter_than_window(params: &JoinParams) -> Option<Misconfiguration> {
    let horizon = params.horizon?;
    let reach = Duration::from_millis(i64::try_from(params.bounds.highest()).ok()?);
    if horizon >= reach {
        return None;
    }
    Some(Misconfiguration {
        properties: LOST,
        what: format!(
            "with horizon {horizon} and bounds {}, a left record is cleared {horizon} after its event time, \
             while a right record up to {reach} after it still matches it and is on time until the watermark \
             passes it: such a pair is lost",
            params.bounds
        ),
        change: format!("horizon = \"{reach}\" (the window's largest offset; or leave horizon out)"),
        fixed: JoinParams {
            horizon: Some(reach),
            ..*params
        },
        source: "the function's event-time cleanup timer at ts + horizon (KeyedCoProcessFunction.onTimer)",
    })
}

/// Spark: an equality `rightTime = leftTime + interval d` with `d < 0` becomes a join key,
/// and the state watermark of a key evicts a right row once the watermark reaches it, while
/// its left partner, `-d` later, is still on time.
pub(crate) fn spark_negative_equality(params: &JoinParams) -> Option<Misconfiguration> {
    if !params.bounds.is_equality() {
        return None;
    }
    let d = params.bounds.lower().at;
    if d >= Duration::ZERO {
        return None;
    }
    Some(Misconfiguration {
        properties: LOST,
        what: format!(
            "with bounds \"= {d}\" (rightTime = leftTime + interval {d}), Spark's planner makes the two times \
             a join key and evicts a right row once the watermark reaches its time, while its left partner, {} \
             later, is still on time: that pair is lost",
            Duration::from_millis(-d.as_millis())
        ),
        change: format!(
            "bounds = \"[{d}, {d}]\" (a range condition, rightTime BETWEEN leftTime + interval {d} AND leftTime \
             + interval {d}, whose state watermark keeps the row)"
        ),
        fixed: JoinParams {
            bounds: Bounds::closed(d, d)?,
            ..*params
        },
        source: "StreamingSymmetricHashJoinHelper.getStateWatermarkPredicates (JoinStateKeyWatermarkPredicate); \
                 recorded: tests/conformance/spark/fixtures/joins/equality-negative",
    })
}
