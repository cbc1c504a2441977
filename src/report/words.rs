//! The oracle's verdicts in words: a record, how it fared on arrival, why a row is expected or
//! not, and why a row of a diff differs.

use crate::event::{Output, RecordId, Side};
use crate::model::{JoinKind, Lateness};
use crate::oracle::{Analysis, Cause, Difference};
use crate::time::Duration;

/// One record in words: `c7 (right, key a, ts 11:50)`.
pub(crate) fn describe(a: &Analysis<'_>, id: RecordId) -> String {
    let r = a.trace().record(id);
    format!(
        "{} ({}, key {}, ts {})",
        a.trace().name(id),
        r.side,
        a.trace().key_name(r.key),
        r.ts
    )
}

/// How the record fared on arrival: `on time: ts 12:15, watermark 12:10 at step 4`.
pub(crate) fn arrival_words(a: &Analysis<'_>, id: RecordId) -> String {
    let r = a.trace().record(id);
    match a.arrival(id) {
        None => format!("{} arrived after end of input", a.trace().name(id)),
        Some((wm, step)) if a.params().watermark.lateness == Lateness::Off => format!(
            "{} was on time: nothing is late in this model (arrived at step {step}, ts {}, watermark {wm})",
            a.trace().name(id),
            r.ts
        ),
        Some((wm, step)) => {
            let cmp = match (a.params().watermark.lateness, a.is_late(id)) {
                (Lateness::Strict, true) => "<",
                (Lateness::Strict, false) => ">=",
                (Lateness::NonStrict, true) => "<=",
                (Lateness::NonStrict, false) => ">",
                (Lateness::Off, _) => unreachable!("answered above"),
            };
            let verdict = if a.is_late(id) { "late" } else { "on time" };
            if super::watermark_words(a.trace(), wm) == "none yet" {
                return format!(
                    "{} was {verdict}: ts {}, and no watermark yet at arrival (step {step}; the engine's starts at 0)",
                    a.trace().name(id),
                    r.ts
                );
            }
            format!(
                "{} was {verdict}: ts {} {cmp} watermark {} at arrival (step {step})",
                a.trace().name(id),
                r.ts,
                wm
            )
        }
    }
}

/// Why the oracle expects `output`.
pub fn why_expected(a: &Analysis<'_>, output: &Output) -> String {
    match *output {
        Output::Match { left, right } => pair_words(a, left, right),
        Output::Semi { left } => {
            let right = a.partners(left)[0];
            format!(
                "{} has a valid match: {}",
                a.trace().name(left),
                pair_words(a, left, right)
            )
        }
        Output::Unmatched(id) => format!(
            "{}; it has no valid match: {}",
            arrival_words(a, id),
            no_partner_words(a, id)
        ),
        Output::Late(id) => arrival_words(a, id),
    }
}

/// Why the oracle does not expect `output`.
pub fn why_not_expected(a: &Analysis<'_>, output: &Output) -> String {
    let trace = a.trace();
    let late_one = output.records().find(|id| !a.admitted(*id));
    match *output {
        Output::Match { left, right } => {
            let (l, r) = (trace.record(left), trace.record(right));
            if let Some(id) = late_one {
                arrival_words(a, id)
            } else if l.key != r.key {
                format!(
                    "keys differ: {} has key {}, {} has key {}",
                    trace.name(left),
                    trace.key_name(l.key),
                    trace.name(right),
                    trace.key_name(r.key)
                )
            } else if a.params().kind == JoinKind::LeftSemi {
                "a left semi join emits the left row alone, not pairs".to_owned()
            } else {
                format!(
                    "{} - {} = {} is outside {}",
                    trace.name(right),
                    trace.name(left),
                    offset_words(l.ts.offset_to(r.ts)),
                    a.params().bounds
                )
            }
        }
        Output::Semi { left } => match late_one {
            Some(id) => arrival_words(a, id),
            None if a.params().kind != JoinKind::LeftSemi => {
                format!("a {} join emits no semi rows", a.params().kind.name())
            }
            None => format!("{} has no valid match: {}", trace.name(left), no_partner_words(a, left)),
        },
        Output::Unmatched(id) => {
            let side = trace.record(id).side;
            if !a.params().kind.pads(side) {
                format!("a {} join pads no {side} rows", a.params().kind.name())
            } else if let Some(id) = late_one {
                format!("{}, so it produces nothing", arrival_words(a, id))
            } else {
                let p = a.partners(id)[0];
                let (l, r) = if side == Side::Left { (id, p) } else { (p, id) };
                format!("{} has a valid match: {}", trace.name(id), pair_words(a, l, r))
            }
        }
        Output::Late(id) => arrival_words(a, id),
    }
}

fn pair_words(a: &Analysis<'_>, left: RecordId, right: RecordId) -> String {
    let (l, r) = (a.trace().record(left), a.trace().record(right));
    format!(
        "{} and {} share key {}, {} - {} = {} lies in {}; {}; {}",
        describe(a, left),
        describe(a, right),
        a.trace().key_name(l.key),
        a.trace().name(right),
        a.trace().name(left),
        offset_words(l.ts.offset_to(r.ts)),
        a.params().bounds,
        arrival_words(a, left),
        arrival_words(a, right)
    )
}

fn no_partner_words(a: &Analysis<'_>, id: RecordId) -> String {
    let r = a.trace().record(id);
    let (lo, hi) = a.params().bounds.partner_range(r);
    format!(
        "no on-time {} record with key {} lies in [{}, {}]",
        r.side.other(),
        a.trace().key_name(r.key),
        time_words(lo),
        time_words(hi)
    )
}

/// A millisecond offset as a duration when it fits (`1h`, `1h1ms`), else as a number.
fn offset_words(ms: i128) -> String {
    match i64::try_from(ms) {
        Ok(v) => Duration::from_millis(v).to_string(),
        Err(_) => format!("{ms}ms"),
    }
}

/// An exact time as a clock when it fits in `i64`.
pub(crate) fn time_words(ms: i128) -> String {
    match i64::try_from(ms) {
        Ok(v) => crate::time::EventTime::from_millis(v).to_string(),
        Err(_) => format!("{ms}ms"),
    }
}

/// Why `d` differs, in words.
pub(crate) fn reason(a: &Analysis<'_>, d: &Difference) -> String {
    let in_batch = d.batch.map_or(String::new(), |b| format!(" in batch {b}"));
    let profile = a.params().profile.name();
    match &d.cause {
        Cause::Expected => match d.batch {
            Some(_) => format!("{} (expected{in_batch})", why_expected(a, &d.output)),
            None => why_expected(a, &d.output),
        },
        Cause::ProfileEmits => format!("the {profile} profile emits it{in_batch}"),
        Cause::NotExpected => why_not_expected(a, &d.output),
        Cause::ProfileSkips => format!(
            "valid by the join's semantics, but the {profile} profile does not emit it for this trace \
             (joincheck replay shows the state at each step)"
        ),
        Cause::EmittedInBatches(batches) => format!("expected{in_batch}, emitted in batch {batches:?} instead"),
        Cause::ExpectedInBatches(batches) => format!("emitted{in_batch}, expected in batch {batches:?}"),
        Cause::Duplicated { want, got } => format!("expected {want}, emitted {got} times{in_batch}"),
    }
}
