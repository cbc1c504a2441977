//! What a scope fixes and a program may still get wrong: `drive` varies a random trace's names
//! and times where the scope's own traces never do.
//!
//! The scope's traces name keys `a`, `b`, … and records `i1`, `c1`, …, and keep their times
//! near the join's constants. Programs break where those never reach:
//! - keys that differ only by case, trailing whitespace or Unicode normalisation (`é` as one
//!   code point and as `e` with a combining accent) are different keys: a program that folds
//!   case, trims or normalises joins records it must not;
//! - a left and a right record may share an id (the format keys ids by side): a program that
//!   keys its state by id alone loses one of them;
//! - times near the 64-bit extremes, for a program that computes `ts + bound` or
//!   `ts − delay` in `i64`: the semantics are exact arithmetic, and the derived domain's
//!   translation argument holds for it, not for a program's wrapping or saturating sums.
//!
//! Each variation keeps the trace valid for the model (times within what the profile's engine
//! represents) and changes nothing else, so the oracle judges it like any other trace.

use crate::event::Side;
use crate::model::JoinSpec;
use crate::time::Watermark;
use crate::trace::{Step, Trace};

/// One way to vary a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variation {
    /// Keys renamed to names that differ only by case, whitespace or normalisation.
    ConfusableKeys,
    /// Right records named like left ones (`i1` on both sides).
    SharedIds,
    /// Every time moved so that the largest lies at the top of the profile's range.
    NearMax,
    /// Every time moved so that the smallest lies at the bottom of the profile's range.
    NearMin,
}

impl Variation {
    /// Every variation, in the order `drive` takes them.
    pub(crate) const ALL: [Variation; 4] = [
        Variation::ConfusableKeys,
        Variation::SharedIds,
        Variation::NearMax,
        Variation::NearMin,
    ];
}

/// Names for the keys of a varied trace: each pair differs only in a way a program must not
/// erase (case, trailing space, composed against decomposed `é`, full-width letters).
const CONFUSABLE_KEYS: [&str; 8] = ["a", "A", "a ", "\u{e9}", "e\u{301}", "\u{ff41}", "b", "B"];

/// `trace` varied by `variation`, or `None` when the variation does not apply (no room to
/// move the times, say).
pub(crate) fn vary(spec: &JoinSpec, trace: &Trace, variation: Variation) -> Option<Trace> {
    let shift = match variation {
        Variation::NearMax | Variation::NearMin => Some(time_shift(spec, trace, variation)?),
        _ => None,
    };
    // The k-th right record takes the k-th left record's id, where there is one.
    let left_names: Vec<&str> = trace
        .records()
        .iter()
        .filter(|r| r.side == Side::Left)
        .map(|r| trace.name(r.id))
        .collect();
    let mut rights = 0;
    let mut out = Trace::new();
    for step in trace.steps() {
        match *step {
            Step::Record(r) => {
                let key = match variation {
                    Variation::ConfusableKeys => CONFUSABLE_KEYS[r.key.0 as usize % CONFUSABLE_KEYS.len()],
                    _ => trace.key_name(r.key),
                };
                let mut id = trace.name(r.id);
                if (variation, r.side) == (Variation::SharedIds, Side::Right) {
                    id = left_names.get(rights).copied().unwrap_or(id);
                    rights += 1;
                }
                let ts = moved(r.ts.as_millis(), shift);
                out.try_push_record(r.side, key, crate::time::EventTime::from_millis(ts), id)?;
            }
            Step::Watermark { side, ts } => out.push(Step::Watermark {
                side,
                ts: Watermark::at(crate::time::EventTime::from_millis(moved(ts.as_millis(), shift))),
            }),
            other => out.push(other),
        }
    }
    spec.check_trace(&out, "<varied>").ok()?;
    Some(out)
}

/// `ts` moved by `shift`, which [`time_shift`] keeps within range.
fn moved(ts: i64, shift: Option<i128>) -> i64 {
    i64::try_from(i128::from(ts) + shift.unwrap_or(0)).expect("the shift keeps every time in range")
}

/// How far to move every time so that the largest (or smallest) lands at the end of the
/// profile's record times (a distance that may itself exceed `i64`); `None` when the trace
/// has no times or they span the whole range.
fn time_shift(spec: &JoinSpec, trace: &Trace, towards: Variation) -> Option<i128> {
    let (lo, hi) = spec.params.profile.record_range();
    let watermarks = trace.steps().iter().filter_map(|s| match s {
        Step::Watermark { ts, .. } => Some(ts.as_millis()),
        _ => None,
    });
    let times: Vec<i64> = trace
        .records()
        .iter()
        .map(|r| r.ts.as_millis())
        .chain(watermarks)
        .collect();
    let (min, max) = (*times.iter().min()?, *times.iter().max()?);
    let (min, max) = (i128::from(min), i128::from(max));
    let shift = match towards {
        Variation::NearMax => i128::from(hi) - max,
        _ => i128::from(lo) - min,
    };
    // Every time must stay in range after the move.
    let fits = i128::from(lo) <= min + shift && max + shift <= i128::from(hi);
    (fits && shift != 0).then_some(shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> JoinSpec {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/reference-impressions-clicks.toml");
        JoinSpec::load(&path).expect("bundled model")
    }

    fn two_keys() -> Trace {
        let mut t = Trace::new();
        t.push_record(Side::Left, "a", 1_000, "i1");
        t.push_record(Side::Right, "b", 2_000, "c1");
        t.push_record(Side::Right, "a", 3_000, "c2");
        t
    }

    #[test]
    fn confusable_keys_stay_distinct_keys() {
        let varied = vary(&spec(), &two_keys(), Variation::ConfusableKeys).expect("applies");
        assert_eq!(varied.key_count(), 2);
        assert_eq!(varied.key_name(varied.records()[0].key), "a");
        assert_eq!(varied.key_name(varied.records()[1].key), "A");
    }

    #[test]
    fn shared_ids_name_a_right_record_like_a_left_one() {
        let varied = vary(&spec(), &two_keys(), Variation::SharedIds).expect("applies");
        let names: Vec<&str> = varied.records().iter().map(|r| varied.name(r.id)).collect();
        // One left record: the first right one shares its id, the second keeps its own.
        assert_eq!(names, ["i1", "i1", "c2"]);
    }

    #[test]
    fn extreme_times_keep_every_difference() {
        let t = two_keys();
        let high = vary(&spec(), &t, Variation::NearMax).expect("applies");
        assert_eq!(high.records()[2].ts.as_millis(), i64::MAX);
        assert_eq!(high.records()[0].ts.as_millis(), i64::MAX - 2_000);
        let low = vary(&spec(), &t, Variation::NearMin).expect("applies");
        assert_eq!(low.records()[0].ts.as_millis(), i64::MIN);
    }
}
