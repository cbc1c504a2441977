//! Renderings a person reads: timelines of a run, differences from the oracle, violations in
//! words, and each command's report as text or JSON. The commands only choose which one to
//! print.

pub mod bugs;
pub mod check;
pub mod drive;
pub mod replay;
pub mod simulate;

use crate::engine::StepReport;
use crate::event::{Output, RecordId, Side};
use crate::oracle::{time_words, Analysis, Diff, Difference};
use crate::property::{Finding, OuterProblem};
use crate::trace::{Step, Trace};
use std::fmt::Write as _;

/// An output in a few words: `match i1+c1`, `semi i1`, `unmatched i2`, `late c9`.
pub fn output_words(trace: &Trace, output: &Output) -> String {
    match *output {
        Output::Match { left, right } => {
            format!("match {}+{}", trace.name(left), trace.name(right))
        }
        Output::Semi { left } => format!("semi {}", trace.name(left)),
        Output::Unmatched(id) => format!("unmatched {}", trace.name(id)),
        Output::Late(id) => format!("late {}", trace.name(id)),
    }
}

/// A step in a few words: `left i1 a@10:00`, `watermark right 09:50`, `batch`.
pub fn step_words(trace: &Trace, step: &Step) -> String {
    match *step {
        Step::Record(r) => format!(
            "{:<5} {} {}@{}",
            r.side.name(),
            trace.name(r.id),
            trace.key_name(r.key),
            r.ts
        ),
        Step::Watermark { side: Some(side), ts } => format!("watermark {side} {ts}"),
        Step::Watermark { side: None, ts } => format!("watermark {ts}"),
        Step::Batch => "batch".to_owned(),
        Step::ProcessingTime(t) => {
            format!("processing time {}", crate::time::Duration::from_millis(t.as_millis()))
        }
        Step::Snapshot => "snapshot".to_owned(),
        Step::End => "end".to_owned(),
    }
}

/// The timeline of a run: one row per step with the watermarks after it, what each side
/// holds, and what it emitted.
pub fn timeline(trace: &Trace, reports: &[StepReport]) -> String {
    // Records in join state, then, in parentheses, records received but waiting for their
    // micro-batch to run.
    let ids = |stored: &[RecordId], buffered: &[RecordId], side: Side| {
        let on_side = |id: &&RecordId| trace.record(**id).side == side;
        let mut names: Vec<String> = stored
            .iter()
            .filter(on_side)
            .map(|id| trace.name(*id).to_owned())
            .collect();
        names.extend(
            buffered
                .iter()
                .filter(on_side)
                .map(|id| format!("({})", trace.name(*id))),
        );
        if names.is_empty() {
            "-".to_owned()
        } else {
            names.join(" ")
        }
    };
    let mut rows = vec![[
        "step".to_owned(),
        "event".to_owned(),
        "wm left".to_owned(),
        "wm right".to_owned(),
        "wm join".to_owned(),
        "stored left".to_owned(),
        "stored right".to_owned(),
        "timers".to_owned(),
        "outputs".to_owned(),
    ]];
    for r in reports {
        let (wl, wr, wj) = match r.watermarks {
            Some(w) => (w.left.to_string(), w.right.to_string(), w.join.to_string()),
            None => ("?".to_owned(), "?".to_owned(), "?".to_owned()),
        };
        let outputs: Vec<String> = r.outputs.iter().map(|o| output_words(trace, o)).collect();
        rows.push([
            r.index.map_or("eof".to_owned(), |i| i.to_string()),
            match r.index {
                Some(_) => step_words(trace, &r.step),
                None => "end (implicit at end of file)".to_owned(),
            },
            wl,
            wr,
            wj,
            ids(&r.stored, &r.buffered, Side::Left),
            ids(&r.stored, &r.buffered, Side::Right),
            r.timers.to_string(),
            if outputs.is_empty() {
                "-".to_owned()
            } else {
                outputs.join(", ")
            },
        ]);
    }
    table(&rows)
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The differences between an implementation's outputs and the oracle's, one line each with
/// its reason, then a count line.
pub fn diff_text(analysis: &Analysis<'_>, diff: &Diff, expected_rows: usize, actual_rows: usize) -> String {
    let trace = analysis.trace();
    let mut out = String::new();
    let mut section = |label: &str, rows: &[Difference]| {
        for d in rows {
            let times = if d.count > 1 {
                format!(" (x{})", d.count)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{label:<10} {}{times}: {}",
                output_words(trace, &d.output),
                d.reason
            );
        }
    };
    section("missing", &diff.missing);
    section("extra", &diff.extra);
    section("duplicated", &diff.duplicated);
    let verdict = if diff.agrees() { "agree" } else { "differ" };
    let _ = writeln!(
        out,
        "{verdict}: {expected_rows} expected rows, {actual_rows} actual rows; {} missing, {} extra, {} duplicated",
        diff.missing.iter().map(|d| d.count).sum::<usize>(),
        diff.extra.iter().map(|d| d.count).sum::<usize>(),
        diff.duplicated.iter().map(|d| d.count).sum::<usize>(),
    );
    out
}

/// A violation in words: which records, the watermark each met, which eviction or timer lost
/// the match. `reports` is the run that produced it.
pub fn explain(analysis: &Analysis<'_>, reports: &[StepReport], finding: &Finding) -> String {
    let trace = analysis.trace();
    let name = |id: RecordId| trace.name(id).to_owned();
    // Where a record left the engine's state, if it ever was in it.
    let departure = |id: RecordId| -> String {
        let mut was_stored = false;
        for r in reports {
            let now = r.stored.contains(&id);
            if was_stored && !now {
                let wm = r
                    .watermarks
                    .map_or(String::new(), |w| format!(" (join watermark {})", w.join));
                let at = r
                    .index
                    .map_or("the implicit end of input".to_owned(), |s| format!("step {s}"));
                return format!("{} left the engine's state at {at}{wm}", name(id));
            }
            was_stored |= now;
        }
        if was_stored {
            format!("{} is still stored", name(id))
        } else {
            format!("{} was never stored", name(id))
        }
    };
    match finding {
        Finding::Lost {
            left,
            right: Some(right),
        } => {
            // The pair could only form when the later of the two arrived: was the earlier
            // one still in state then?
            let step_of = |id: RecordId| analysis.arrival(id).map_or(usize::MAX, |(_, s)| s);
            let (first, second) = if step_of(*left) < step_of(*right) {
                (*left, *right)
            } else {
                (*right, *left)
            };
            let arrival = step_of(second);
            let before = reports.iter().rev().find(|r| r.index.is_some_and(|i| i < arrival));
            let cause = if before.is_some_and(|r| r.stored.contains(&first)) {
                format!(
                    "When {} arrived (step {arrival}), {} was in the engine's state, yet no pair was emitted",
                    name(second),
                    name(first)
                )
            } else {
                format!("{}; {} arrived at step {arrival}", departure(first), name(second))
            };
            format!(
                "the pair {}+{} was never emitted. {}. {cause}.",
                name(*left),
                name(*right),
                analysis.why_expected(&Output::Match {
                    left: *left,
                    right: *right
                }),
            )
        }
        Finding::Lost { left, right: None } => format!(
            "the semi row for {} was never emitted. {}. {}.",
            name(*left),
            analysis.why_expected(&Output::Semi { left: *left }),
            departure(*left)
        ),
        Finding::Spurious(o) => format!(
            "{} was emitted, but {}.",
            output_words(trace, o),
            analysis.why_not_expected(o)
        ),
        Finding::Duplicate(o) => format!("{} was emitted more than once.", output_words(trace, o)),
        Finding::Outer { id, problem } => {
            let what = match problem {
                OuterProblem::NotPadded => format!(
                    "a {} join pads no {} rows",
                    analysis.params().kind.name(),
                    trace.record(*id).side
                ),
                OuterProblem::NotAdmitted => {
                    format!("{}, so it produces nothing", analysis.arrival_words(*id))
                }
                OuterProblem::HasMatch => analysis.why_not_expected(&Output::Unmatched(*id)),
                OuterProblem::TooEarly => format!(
                    "an on-time record could still match {} when its null row was emitted",
                    name(*id)
                ),
                OuterProblem::Missing => {
                    return format!(
                        "{} never got its null row: {}.",
                        name(*id),
                        analysis.why_expected(&Output::Unmatched(*id))
                    )
                }
            };
            format!("unmatched {} was emitted, but {what}.", name(*id))
        }
        Finding::Premature(id) => {
            let r = trace.record(*id);
            let (lo, hi) = analysis.params().bounds.partner_range(r);
            format!(
                "{}, while an on-time {} record with key {} and ts in [{}, {}] could still arrive and match it ({}).",
                departure(*id),
                r.side.other(),
                trace.key_name(r.key),
                time_words(lo),
                time_words(hi),
                analysis.describe(*id)
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
                stored.iter().map(|id| name(*id)).collect::<Vec<_>>().join(", ")
            }
        ),
        Finding::Leak { stored, .. } => format!(
            "the engine holds {} although no on-time record can match {} any more.",
            stored.iter().map(|id| name(*id)).collect::<Vec<_>>().join(", "),
            if stored.len() == 1 { "it" } else { "them" }
        ),
        Finding::OrphanTimers { timers, stored } => format!(
            "the engine has {timers} pending timers for {stored} stored records: timers outlive the state they \
             were registered to clean."
        ),
        Finding::Lateness { id, spec_late: true } => {
            format!(
                "{}, but the engine did not report it as late.",
                analysis.arrival_words(*id)
            )
        }
        Finding::Lateness { id, spec_late: false } => {
            format!("{}, but the engine reported it as late.", analysis.arrival_words(*id))
        }
    }
}
