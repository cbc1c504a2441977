//! Renderings a person reads: timelines of a run, differences from the oracle, violations in
//! words, and each command's report as text or JSON. The commands only choose which one to
//! print.

pub(crate) mod check;
mod disagreement;
pub(crate) mod drive;
mod explain;
pub(crate) mod replay;
pub(crate) mod simulate;
pub mod words;

pub use disagreement::disagreement_words;
pub use explain::explain;

use crate::event::{Output, Side};
use crate::oracle::{Analysis, Diff, Difference};
use crate::run::StepReport;
use crate::trace::{Step, Trace};
use std::fmt::Write as _;

/// An output in a few words: `match i1+c1`, `semi i1`, `unmatched i2`, `late c9`.
pub fn output_words(trace: &Trace, output: &Output) -> String {
    trace.output_words(output)
}

/// A step in a few words: `left i1 a@10:00`, `watermark right 09:50`, `batch`.
pub(crate) fn step_words(trace: &Trace, step: &Step) -> String {
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
    table(&timeline_rows(trace, reports))
}

/// The timeline of the steps `keep` selects (a `replay --from/--to/--key/--id` view).
pub(crate) fn timeline_of(trace: &Trace, reports: &[StepReport], keep: &dyn Fn(&StepReport) -> bool) -> String {
    let rows = timeline_rows(trace, reports);
    let mut kept = vec![rows[0].clone()];
    kept.extend(
        reports
            .iter()
            .zip(&rows[1..])
            .filter(|(r, _)| keep(r))
            .map(|(_, row)| row.clone()),
    );
    table(&kept)
}

/// The last line of a report judged against the model's `[expect]`: as it expects, or what in
/// the run it does not declare.
pub(crate) fn verdict_line(unexpected: &[String]) -> String {
    if unexpected.is_empty() {
        "verdict: as the model expects".to_owned()
    } else {
        format!("verdict: not as the model expects: {}", unexpected.join("; "))
    }
}

/// At most this many record names per state cell; a larger state shows the first ones and a count.
const NAMES_SHOWN: usize = 12;

/// The timeline's cells: a header row, then one row per step. What each row shows of the state
/// is rebuilt from the steps' changes as the rows are made ([`crate::run::Held`]), so a row costs
/// what it shows, not what the engine holds.
fn timeline_rows(trace: &Trace, reports: &[StepReport]) -> Vec<[String; 9]> {
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
    crate::run::for_each_held(trace, reports, |r, held| {
        rows.push(timeline_row(trace, r, held));
    });
    rows
}

/// A watermark in words for `trace`: in a trace of wall-clock times, a watermark at the epoch
/// is one no record has moved yet (Spark's starts at 0), and reads `none yet`, not as 1970.
pub(crate) fn watermark_words(trace: &Trace, w: crate::time::Watermark) -> String {
    let wall_clock = trace.records().first().is_some_and(|r| r.ts.looks_like_wall_clock());
    if wall_clock && w.time() == crate::time::EventTime::from_millis(0) {
        "none yet".to_owned()
    } else {
        w.to_string()
    }
}

/// One step's row of the timeline.
fn timeline_row(trace: &Trace, r: &StepReport, held: &crate::run::Held) -> [String; 9] {
    let (wl, wr, wj) = match r.watermarks {
        Some(w) => (
            watermark_words(trace, w.left),
            watermark_words(trace, w.right),
            watermark_words(trace, w.join),
        ),
        None => ("?".to_owned(), "?".to_owned(), "?".to_owned()),
    };
    let outputs: Vec<String> = r.outputs.iter().map(|o| output_words(trace, o)).collect();
    [
        r.index.map_or("eof".to_owned(), |i| i.to_string()),
        match r.index {
            Some(_) => step_words(trace, &r.step),
            None => "end (implicit at end of file)".to_owned(),
        },
        wl,
        wr,
        wj,
        held_words(trace, held, Side::Left),
        held_words(trace, held, Side::Right),
        r.timers.to_string(),
        if outputs.is_empty() {
            "-".to_owned()
        } else {
            outputs.join(", ")
        },
    ]
}

/// What one side holds: the records in join state, then, in parentheses, records received but
/// waiting for their micro-batch to run; at most [`NAMES_SHOWN`] names and the count.
fn held_words(trace: &Trace, held: &crate::run::Held, side: Side) -> String {
    let total = held.stored_count(side) + held.buffered_count(side);
    let stored = held.stored_on(side).map(|id| trace.name(id).to_owned());
    let buffered = held.buffered_on(side).map(|id| format!("({})", trace.name(id)));
    let names: Vec<String> = stored.chain(buffered).take(NAMES_SHOWN).collect();
    if total == 0 {
        "-".to_owned()
    } else if total > NAMES_SHOWN {
        format!("{} … ({total} in all)", names.join(" "))
    } else {
        names.join(" ")
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub(crate) fn table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.as_ref().iter().enumerate() {
            if widths.len() <= i {
                widths.push(0);
            }
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let row = row.as_ref();
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                // Padded by hand: a format width above u16::MAX panics, and a column listing
                // the state of a long trace can be wider than that.
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The differences between an implementation's outputs and the oracle's, one line each with
/// its reason, then a count line.
pub(crate) fn diff_text(analysis: &Analysis<'_>, diff: &Diff, expected_rows: usize, actual_rows: usize) -> String {
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
                words::reason(analysis, d)
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

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn a_column_wider_than_a_format_width_is_padded_not_a_panic() {
        // Found with `replay` on a 30,000-line trace: the stored-ids column of its timeline grew
        // past 65,535 characters, the most a format width may say.
        let wide = "i".repeat(70_000);
        let rows = [
            ["a".to_owned(), "b".to_owned(), "c".to_owned()],
            [wide.clone(), "bb".to_owned(), "cc".to_owned()],
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("a{}b   c", " ".repeat(70_001)));
        assert_eq!(lines[1], format!("{wide}  bb  cc"));
    }
}
