//! The judgement of one run against a baseline run on the same trace: the rule, stated once
//! (a violation counts against the engine under test unless the baseline violates the same
//! invariant at the same step or earlier; outputs must agree step by step, as multisets), and
//! the vocabulary of disagreements ([`Kind`]: the property, the [`Shape`]). It returns data;
//! `report` puts a [`Disagreement`] in words. The checker's lockstep form of the same rule, for
//! mutants inside one state, is `checker::differential`.

use super::{Finding, MonitoredRun};
use crate::event::Output;
use crate::model::JoinParams;
use crate::oracle::{Analysis, Cause, Difference};
use crate::property::Property;
use crate::trace::Trace;

/// The first invariant `run` violates that `baseline` keeps up to the same step: `(property,
/// step, finding)`. Properties `skip` names are not considered (checks the engine under test
/// cannot take part in, such as leak checks without reported state).
pub fn new_violation<'r>(
    baseline: &MonitoredRun,
    run: &'r MonitoredRun,
    skip: impl Fn(Property) -> bool,
) -> Option<&'r (Property, usize, Finding)> {
    run.violations
        .iter()
        .find(|(p, step, _)| !skip(*p) && !baseline.violations.iter().any(|(q, s, _)| q == p && s <= step))
}

/// The first step after which `run` emitted other rows than `baseline` (as multisets), with
/// the rows each emitted there, baseline first.
pub fn first_output_difference(
    baseline: &MonitoredRun,
    run: &MonitoredRun,
) -> Option<(usize, Vec<Output>, Vec<Output>)> {
    let per_step = |r: &MonitoredRun| {
        let mut v: Vec<(usize, Output)> = r
            .emitted
            .iter()
            .map(|e| (e.at.step.expect("engine runs give every row its step"), e.output))
            .collect();
        v.sort();
        v
    };
    let (want, got) = (per_step(baseline), per_step(run));
    if want == got {
        return None;
    }
    let rows_at =
        |v: &[(usize, Output)], s: usize| v.iter().filter(|(t, _)| *t == s).map(|(_, o)| *o).collect::<Vec<_>>();
    let steps: std::collections::BTreeSet<usize> = want.iter().chain(&got).map(|(s, _)| *s).collect();
    steps
        .into_iter()
        .map(|s| (s, rows_at(&want, s), rows_at(&got, s)))
        .find(|(_, w, g)| w != g)
}

/// The kind of a row: what [`Shape`]s of output differences name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    /// A joined pair ([`Output::Match`]).
    Match,
    /// A left-semi row ([`Output::Semi`]).
    Semi,
    /// A null-padded row ([`Output::Unmatched`]).
    Unmatched,
    /// A late-record row ([`Output::Late`]).
    Late,
}

impl RowKind {
    /// Every row kind, in declaration order.
    pub const ALL: [RowKind; 4] = [RowKind::Match, RowKind::Semi, RowKind::Unmatched, RowKind::Late];

    /// The row kind of `output`.
    pub fn of(output: &Output) -> RowKind {
        match output {
            Output::Match { .. } => RowKind::Match,
            Output::Semi { .. } => RowKind::Semi,
            Output::Unmatched(_) => RowKind::Unmatched,
            Output::Late(_) => RowKind::Late,
        }
    }

    /// The name used in kinds: `match`, `semi`, `unmatched`, `late`.
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Match => "match",
            RowKind::Semi => "semi",
            RowKind::Unmatched => "unmatched",
            RowKind::Late => "late",
        }
    }
}

/// The shape of a disagreement: how the rows differ, or which invariant finding it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// A row the profile emits and the implementation never does.
    Missing(RowKind),
    /// A row the implementation emits and the profile never does.
    Extra(RowKind),
    /// A row emitted more often than the profile emits it.
    Duplicated(RowKind),
    /// The same rows, after another step than the profile's.
    Moved(RowKind),
    /// A row emitted and then retracted (protocol v2); the net rows agree.
    Retracted(RowKind),
    /// An invariant broken on the implementation's run, by the monitor's finding.
    Violation(&'static str),
}

impl Shape {
    /// The monitor findings' names, as [`Shape::Violation`] carries them.
    pub const VIOLATIONS: [&'static str; 9] = [
        "lost",
        "spurious",
        "duplicate",
        "outer",
        "premature eviction",
        "orphan timers",
        "leak at end",
        "leak before end",
        "lateness",
    ];

    /// The shape of an invariant finding.
    pub fn of_finding(finding: &Finding) -> Shape {
        Shape::Violation(match finding {
            Finding::Lost { .. } => "lost",
            Finding::Spurious(_) => "spurious",
            Finding::Duplicate(_) => "duplicate",
            Finding::Outer { .. } => "outer",
            Finding::Premature(_) => "premature eviction",
            Finding::OrphanTimers { .. } => "orphan timers",
            Finding::Leak { quiescent: true, .. } => "leak at end",
            Finding::Leak { quiescent: false, .. } => "leak before end",
            Finding::Lateness { .. } => "lateness",
        })
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Missing(r) => write!(f, "missing {}", r.name()),
            Shape::Extra(r) => write!(f, "extra {}", r.name()),
            Shape::Duplicated(r) => write!(f, "duplicated {}", r.name()),
            Shape::Moved(r) => write!(f, "moved {}", r.name()),
            Shape::Retracted(r) => write!(f, "retracted {}", r.name()),
            Shape::Violation(v) => f.write_str(v),
        }
    }
}

/// What kind of disagreement an implementation has with the model's profile: the property it
/// breaks, when the join's semantics name one, and its shape. Written `property: shape`
/// (`no_lost_match: missing match`), or `profile: shape` when the join's semantics allow both
/// answers and only the profile differs (`profile: moved late`). `drive --keep-going` groups
/// findings by kind; an allow-list names kinds in this form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    /// The invariant broken, or `None` when only the profile differs.
    pub property: Option<Property>,
    /// How the rows or the findings differ.
    pub shape: Shape,
}

impl Kind {
    /// Every kind that can be found, in a fixed order.
    pub fn all() -> Vec<Kind> {
        let invariants = Property::ALL.into_iter().filter(|p| !p.is_witness());
        let properties: Vec<Option<Property>> = std::iter::once(None).chain(invariants.map(Some)).collect();
        let mut shapes: Vec<Shape> = Vec::new();
        for r in RowKind::ALL {
            shapes.extend([
                Shape::Missing(r),
                Shape::Extra(r),
                Shape::Duplicated(r),
                Shape::Moved(r),
                Shape::Retracted(r),
            ]);
        }
        shapes.extend(Shape::VIOLATIONS.map(Shape::Violation));
        properties
            .iter()
            .flat_map(|&property| shapes.iter().map(move |&shape| Kind { property, shape }))
            .collect()
    }

    /// Reads a kind as [`Kind`]'s `Display` writes it.
    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Kind::all().into_iter().find(|k| k.to_string() == text)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.property {
            Some(p) => write!(f, "{p}: {}", self.shape),
            None => write!(f, "profile: {}", self.shape),
        }
    }
}

/// Which state checks an implementation's run can take part in, by what it reported: the
/// weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateChecks {
    /// It reported no state: the leak and premature-eviction checks are skipped.
    None,
    /// It reported its state at the end of input only (whole-trace mode): the leak check runs
    /// there; premature eviction, which needs the state after every step, is skipped.
    AtEnd,
    /// It reported its state after every step: every check runs.
    All,
}

impl StateChecks {
    /// Whether these checks leave out `p`.
    pub fn skips(self, p: Property) -> bool {
        match self {
            StateChecks::All => false,
            StateChecks::AtEnd => p == Property::NoPrematureEviction,
            StateChecks::None => matches!(p, Property::NoStateLeak | Property::NoPrematureEviction),
        }
    }
}

/// A withdrawn row: emitted after step `emitted`, retracted after step `retracted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retraction {
    /// The row withdrawn.
    pub output: Output,
    /// The step after which the withdrawn copy was emitted.
    pub emitted: usize,
    /// The step after which it was retracted.
    pub retracted: usize,
}

/// How an implementation's run disagrees with the profile's on one trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The kind of disagreement.
    pub kind: Kind,
    /// The step after which it shows (the implicit end is the step after the last).
    pub step: usize,
    /// What differs, as data (`report::disagreement_words` puts it in words).
    pub detail: Detail,
}

/// What a [`Disagreement`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The rows after the step differ: the profile's `want`, the implementation's `got`; `row`
    /// is the first that differs, with its entry in the whole run's comparison (`None`: the
    /// same rows, emitted after other steps).
    Rows {
        /// What the profile emitted after the step.
        want: Vec<Output>,
        /// What the implementation emitted after it.
        got: Vec<Output>,
        /// The first row that differs.
        row: Output,
        /// How it differs over the whole run, and why the oracle expects it or not.
        difference: Option<Difference>,
    },
    /// An invariant the profile keeps, broken on the implementation's run.
    Violation(Finding),
    /// A row withdrawn that the profile never withdraws.
    Retracted(Retraction),
}

/// The first way `run` (the implementation's) disagrees with `profile` (the model's engine) on
/// `trace`: its rows first (as multisets per step), then the invariants `profile` keeps (those
/// `state_checks` leaves out are skipped, never passed), then retractions: each one is a
/// disagreement of its own kind, unless the profile's `outer_rows = "eager_retract"` makes it
/// the profile's own behaviour.
pub fn disagreement(
    params: &JoinParams,
    trace: &Trace,
    profile: &MonitoredRun,
    run: &MonitoredRun,
    state_checks: StateChecks,
    retractions: &[Retraction],
) -> Option<Disagreement> {
    if let Some((step, want, got)) = first_output_difference(profile, run) {
        return Some(rows_disagreement(params, trace, profile, run, step, want, got));
    }
    let skip = |p: Property| state_checks.skips(p);
    if let Some((p, step, finding)) = new_violation(profile, run, skip) {
        return Some(Disagreement {
            kind: Kind {
                property: Some(*p),
                shape: Shape::of_finding(finding),
            },
            step: *step,
            detail: Detail::Violation(finding.clone()),
        });
    }
    // Under `outer_rows = "eager_retract"` a null row withdrawn because its record's match
    // came (the profile emits a match for it) is the profile's own behaviour.
    let expected = |r: &&Retraction| {
        params.knobs.outer_rows == crate::model::OuterRows::EagerRetract
            && matches!(r.output, Output::Unmatched(x) if profile.emitted.iter().any(|e| match e.output {
                Output::Match { left, right } => left == x || right == x,
                _ => false,
            }))
    };
    let r = retractions.iter().find(|r| !expected(r))?;
    Some(Disagreement {
        kind: Kind {
            property: None,
            shape: Shape::Retracted(RowKind::of(&r.output)),
        },
        step: r.retracted,
        detail: Detail::Retracted(*r),
    })
}

/// The rows after `step` differ: which row first, and what property its difference breaks.
fn rows_disagreement(
    params: &JoinParams,
    trace: &Trace,
    profile: &MonitoredRun,
    run: &MonitoredRun,
    step: usize,
    want: Vec<Output>,
    got: Vec<Output>,
) -> Disagreement {
    let mut missing = want.clone();
    let mut extra = Vec::new();
    for o in &got {
        match missing.iter().position(|m| m == o) {
            Some(i) => {
                missing.remove(i);
            }
            None => extra.push(*o),
        }
    }
    let whole = Analysis::new(*params, trace).diff_with(&profile.emitted, &run.emitted);
    let row = missing
        .first()
        .or(extra.first())
        .copied()
        .expect("the step's rows differ");
    let kind_of = RowKind::of(&row);
    let found = whole
        .missing
        .iter()
        .map(|d| (d, Shape::Missing(kind_of)))
        .chain(whole.extra.iter().map(|d| (d, Shape::Extra(kind_of))))
        .chain(whole.duplicated.iter().map(|d| (d, Shape::Duplicated(kind_of))))
        .find(|(d, _)| d.output == row);
    let (property, shape) = match found {
        Some((d, shape)) => {
            let property = match (&d.cause, kind_of) {
                (Cause::Duplicated { .. }, _) => Some(Property::NoDuplicateOutput),
                (Cause::Expected, RowKind::Match | RowKind::Semi) => Some(Property::NoLostMatch),
                (Cause::NotExpected, RowKind::Match | RowKind::Semi) => Some(Property::NoSpuriousOutput),
                (Cause::Expected | Cause::NotExpected, RowKind::Unmatched) => Some(Property::OuterExactlyOnce),
                (Cause::Expected | Cause::NotExpected, RowKind::Late) => Some(Property::LatenessAgrees),
                _ => None,
            };
            (property, shape)
        }
        None => (None, Shape::Moved(kind_of)),
    };
    Disagreement {
        kind: Kind { property, shape },
        step,
        detail: Detail::Rows {
            want,
            got,
            row,
            difference: found.map(|(d, _)| d.clone()),
        },
    }
}
