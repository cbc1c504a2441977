//! A violation in words: which records, the watermark each met, which eviction or timer lost
//! the match.

use super::output_words;
use super::words::{arrival_words, describe, time_words, why_expected, why_not_expected};
use crate::event::{Output, RecordId};
use crate::oracle::Analysis;
use crate::run::StepReport;
use crate::run::{Finding, OuterProblem};

/// `finding` in words; `reports` is the run that produced it.
pub fn explain(analysis: &Analysis<'_>, reports: &[StepReport], finding: &Finding) -> String {
    let trace = analysis.trace();
    let name = |id: RecordId| trace.name(id).to_owned();
    let names = |ids: &[RecordId]| ids.iter().map(|id| name(*id)).collect::<Vec<_>>().join(", ");
    match finding {
        Finding::Lost {
            left,
            right: Some(right),
        } => lost_pair(analysis, reports, *left, *right),
        Finding::Lost { left, right: None } => format!(
            "the semi row for {} was never emitted. {}. {}.",
            name(*left),
            why_expected(analysis, &Output::Semi { left: *left }),
            departure(analysis, reports, *left)
        ),
        Finding::Spurious(o) => format!(
            "{} was emitted, but {}.",
            output_words(trace, o),
            why_not_expected(analysis, o)
        ),
        Finding::Duplicate(o) => format!("{} was emitted more than once.", output_words(trace, o)),
        Finding::Outer { id, problem } => outer(analysis, *id, *problem),
        Finding::Premature(id) => {
            let r = trace.record(*id);
            let (lo, hi) = analysis.params().bounds.partner_range(r);
            format!(
                "{}, while an on-time {} record with key {} and ts in [{}, {}] could still arrive and match it ({}).",
                departure(analysis, reports, *id),
                r.side.other(),
                trace.key_name(r.key),
                time_words(lo),
                time_words(hi),
                describe(analysis, *id)
            )
        }
        Finding::Leak {
            stored,
            timers,
            quiescent: true,
        } => format!(
            "after end of input the engine still holds {} and {timers} pending timers.",
            if stored.is_empty() {
                "no records".to_owned()
            } else {
                names(stored)
            }
        ),
        Finding::Leak { stored, .. } => format!(
            "the engine holds {} although no on-time record can match {} any more.",
            names(stored),
            if stored.len() == 1 { "it" } else { "them" }
        ),
        Finding::OrphanTimers { timers, stored } => format!(
            "the engine has {timers} pending timers for {stored} stored records: timers outlive the state they \
             were registered to clean."
        ),
        Finding::Lateness { id, spec_late: true } => {
            format!(
                "{}, but the engine did not report it as late.",
                arrival_words(analysis, *id)
            )
        }
        Finding::Lateness { id, spec_late: false } => {
            format!("{}, but the engine reported it as late.", arrival_words(analysis, *id))
        }
    }
}

/// Where a record left the engine's state, if it ever was in it.
fn departure(analysis: &Analysis<'_>, reports: &[StepReport], id: RecordId) -> String {
    let name = analysis.trace().name(id);
    let mut was_stored = false;
    for r in reports {
        if r.stored_in.binary_search(&id).is_ok() {
            was_stored = true;
        } else if was_stored && r.stored_out.binary_search(&id).is_ok() {
            // Under per-side watermarks there is no joint one: the record's partners are
            // judged against the other input's.
            let side = analysis.trace().record(id).side;
            let per_side = analysis.params().watermark.policy == crate::model::Policy::PerSide;
            let wm = r.watermarks.map_or(String::new(), |w| match (per_side, side) {
                (false, _) => format!(" (join watermark {})", w.join),
                (true, crate::event::Side::Left) => format!(" (right watermark {})", w.right),
                (true, crate::event::Side::Right) => format!(" (left watermark {})", w.left),
            });
            let at = r
                .index
                .map_or("the implicit end of input".to_owned(), |s| format!("step {s}"));
            return format!("{name} left the engine's state at {at}{wm}");
        }
    }
    if was_stored {
        format!("{name} is still stored")
    } else {
        format!("{name} was never stored")
    }
}

/// A valid pair never emitted. It could only form when the later of the two arrived: was the
/// earlier one still in state then?
fn lost_pair(analysis: &Analysis<'_>, reports: &[StepReport], left: RecordId, right: RecordId) -> String {
    let name = |id: RecordId| analysis.trace().name(id).to_owned();
    let step_of = |id: RecordId| analysis.arrival(id).map_or(usize::MAX, |(_, s)| s);
    let (first, second) = if step_of(left) < step_of(right) {
        (left, right)
    } else {
        (right, left)
    };
    let arrival = step_of(second);
    let before = reports.iter().rposition(|r| r.index.is_some_and(|i| i < arrival));
    let cause = if crate::run::stored_after(reports, before, first) {
        format!(
            "When {} arrived (step {arrival}), {} was in the engine's state, yet no pair was emitted",
            name(second),
            name(first)
        )
    } else {
        format!(
            "{}; {} arrived at step {arrival}",
            departure(analysis, reports, first),
            name(second)
        )
    };
    format!(
        "the pair {}+{} was never emitted. {}. {cause}.",
        name(left),
        name(right),
        why_expected(analysis, &Output::Match { left, right }),
    )
}

/// A null row that should not be there, or should.
fn outer(analysis: &Analysis<'_>, id: RecordId, problem: OuterProblem) -> String {
    let trace = analysis.trace();
    let name = trace.name(id);
    let what = match problem {
        OuterProblem::NotPadded => format!(
            "a {} join pads no {} rows",
            analysis.params().kind.name(),
            trace.record(id).side
        ),
        OuterProblem::NotAdmitted => {
            format!("{}, so it produces nothing", arrival_words(analysis, id))
        }
        OuterProblem::HasMatch => why_not_expected(analysis, &Output::Unmatched(id)),
        OuterProblem::TooEarly => {
            format!("an on-time record could still match {name} when its null row was emitted")
        }
        OuterProblem::Missing => {
            return format!(
                "{name} never got its null row: {}.",
                why_expected(analysis, &Output::Unmatched(id))
            )
        }
    };
    format!("unmatched {name} was emitted, but {what}.")
}
