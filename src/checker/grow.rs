//! A model without `[scope]`, checked in scopes grown while a time budget lasts.
//!
//! A user's first model states a join, not a scope. It gets the scope its join implies: the
//! derived time domain (`model/domain.rs`), two keys (a record of another key is the one
//! thing a second key can show, and keys are used in order of first use), the profile's own
//! steps (Spark's batch markers, the TTL function's processing time, explicit watermarks for
//! a model that reads them from the trace), and records per side grown 1×1, 2×1, 1×2, 2×2,
//! 3×2, 2×3, 3×3, … ([`growth`]). Each scope is checked exhaustively in turn until the budget
//! ends one part way; what was covered is stated exactly ([`Coverage`]): every trace of up to
//! `l` left and `r` right records for the last scope finished, and the share of the next
//! one's bound explored.
//!
//! A scope contains every smaller one's traces, so a violation found in one is found in the
//! next too: each property's counterexample comes from the smallest scope that shows it, and
//! a witness is reached once for all.

use super::limits::Stopped;
use super::model::Options;
use super::search::{check_spec, ModelReport, Progress, Verdict};
use crate::error::InputError;
use crate::model::{JoinSpec, Scope};

/// The records per side of the grown scopes, smallest first: 1×1, then for each `n` the
/// scopes `(n+1)×n`, `n×(n+1)` and `(n+1)×(n+1)`, up to the checker's 16 records.
pub fn growth() -> impl Iterator<Item = [u8; 2]> {
    let squares = (1u8..8).flat_map(|n| [[n + 1, n], [n, n + 1], [n + 1, n + 1]]);
    std::iter::once([1, 1]).chain(squares)
}

/// What a check of grown scopes covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The last scope explored exhaustively, as records per side: every trace of up to that
    /// many left and right records was checked. `None` when not even 1×1 was finished.
    pub exhaustive: Option<[u8; 2]>,
    /// The scope the check stopped in, if it stopped part way through one.
    pub partial: Option<Partial>,
}

/// A scope explored part way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// Records per side.
    pub records: [u8; 2],
    /// Unique states explored.
    pub unique_states: usize,
    /// The scope's bound on unique states (`checker/estimate.rs`).
    pub state_bound: u128,
    /// Why it stopped.
    pub stopped: Stopped,
    /// Properties first violated in it.
    pub new_violations: usize,
}

impl Coverage {
    /// The coverage in words: "exhaustive for every trace of up to 2 left and 2 right
    /// records; 3×2: 41% of the bound explored, no new violation (stopped at the time budget
    /// of 1m)".
    pub fn words(&self) -> String {
        let mut s = match self.exhaustive {
            Some([l, r]) => format!("exhaustive for every trace of up to {l} left and {r} right records"),
            None => "no scope explored exhaustively".to_owned(),
        };
        if let Some(p) = &self.partial {
            let share = if p.state_bound > 0 {
                format!("{:.0}%", p.unique_states as f64 * 100.0 / p.state_bound as f64)
            } else {
                format!("{} states", p.unique_states)
            };
            let found = match p.new_violations {
                0 => "no new violation".to_owned(),
                1 => "1 new violation".to_owned(),
                n => format!("{n} new violations"),
            };
            s += &format!(
                "; {}×{}: {share} of the bound explored, {found} ({})",
                p.records[0], p.records[1], p.stopped
            );
        }
        s
    }
}

/// Checks `spec`, which has no `[scope]`, in the grown scopes while `options.limits` allow
/// (its time budget, above all): the report merges the runs, and `spec` with the last scope
/// tried is what the report is about. `progress` hears each run, with its scope.
pub fn check_grown(
    spec: &JoinSpec,
    options: Options,
    progress: &mut dyn FnMut(&Scope, Progress),
) -> Result<(JoinSpec, ModelReport), InputError> {
    let mut merged: Option<ModelReport> = None;
    let mut coverage = Coverage {
        exhaustive: None,
        partial: None,
    };
    let mut last = spec.clone();
    for records in growth() {
        let scope = Scope::implied(&spec.params, records);
        let this = JoinSpec {
            scope: Some(scope.clone()),
            // Known defects carry their own scopes: demonstrated once, with the first.
            defects: if merged.is_none() {
                spec.defects.clone()
            } else {
                Vec::new()
            },
            ..spec.clone()
        };
        let report = check_spec(&this, options.clone(), &mut |p| progress(&scope, p))?;
        let (stopped, state_bound, unique_states) = (report.stopped, report.state_bound, report.unique_states);
        let before = merged.as_ref().map_or(0, violations);
        let now = match merged {
            None => report,
            Some(m) => merge(m, report),
        };
        let new_violations = violations(&now) - before;
        merged = Some(now);
        last = this;
        match stopped {
            Some(stopped) => {
                coverage.partial = Some(Partial {
                    records,
                    unique_states,
                    state_bound,
                    stopped,
                    new_violations,
                });
                break;
            }
            None => coverage.exhaustive = Some(records),
        }
        if options.limits.time_left().is_some_and(|left| left.is_zero()) {
            break;
        }
    }
    let mut report = merged.expect("growth gives at least one scope");
    report.coverage = Some(coverage);
    Ok((last, report))
}

/// How many properties `report` finds violated.
fn violations(report: &ModelReport) -> usize {
    report
        .verdicts
        .iter()
        .filter(|(_, v, _)| matches!(v, Verdict::Violated(_)))
        .count()
}

/// The verdicts of a smaller scope's run and the next one's: a violation or a witness found
/// in the smaller stands (its counterexample is the smaller's), anything else is the larger's
/// to say. Counts add up; the larger's bound and stop are the report's.
fn merge(smaller: ModelReport, larger: ModelReport) -> ModelReport {
    let verdicts = smaller
        .verdicts
        .into_iter()
        .zip(larger.verdicts)
        .map(|((p, before, expected), (q, after, _))| {
            debug_assert_eq!(p, q, "verdicts in Property::ALL order");
            let verdict = match before {
                Verdict::Violated(_) | Verdict::Reached => before,
                Verdict::Holds | Verdict::Missing => after,
            };
            (p, verdict, expected)
        })
        .collect();
    ModelReport {
        verdicts,
        defects: smaller.defects,
        unique_states: smaller.unique_states + larger.unique_states,
        states: smaller.states + larger.states,
        max_depth: smaller.max_depth.max(larger.max_depth),
        elapsed: smaller.elapsed + larger.elapsed,
        stopped: larger.stopped,
        state_bound: larger.state_bound,
        coverage: None,
        by_design: smaller.by_design,
        unstated_witnesses: smaller.unstated_witnesses,
        configuration: Vec::new(),
        bugs: Vec::new(),
        design_shown: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_grow_one_side_at_a_time() {
        let first: Vec<[u8; 2]> = growth().take(7).collect();
        assert_eq!(first, [[1, 1], [2, 1], [1, 2], [2, 2], [3, 2], [2, 3], [3, 3]]);
        assert_eq!(growth().last(), Some([8, 8]), "the checker's 16 records");
    }

    #[test]
    fn coverage_says_what_was_covered() {
        let coverage = Coverage {
            exhaustive: Some([2, 2]),
            partial: Some(Partial {
                records: [3, 2],
                unique_states: 41,
                state_bound: 100,
                stopped: Stopped::Time {
                    budget: std::time::Duration::from_secs(60),
                },
                new_violations: 0,
            }),
        };
        assert_eq!(
            coverage.words(),
            "exhaustive for every trace of up to 2 left and 2 right records; 3×2: 41% of the bound \
             explored, no new violation (stopped at the time budget of 1m)"
        );
    }
}
