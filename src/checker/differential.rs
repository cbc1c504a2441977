//! Differential checking: an engine judged against a baseline engine on the same input, where
//! only what the baseline does not share counts. The rule, stated once: a violation of an
//! invariant counts against the engine under test unless the baseline violates the same
//! invariant at the same point or earlier, and outputs must agree step by step, as multisets.
//!
//! It has two forms. In the exhaustive checker the two engines run in lockstep inside one state
//! ([`Paired`]), and "at the same point" is that state. On single runs (the harness's random
//! phase, `drive`, the bug benchmark's random search) each engine runs the whole trace under its
//! own monitor, and the comparison is by step ([`new_violation`], [`first_output_difference`]).

use super::model::JoinModel;
use super::search::{explore, shortest_counterexample, Counterexample, Order};
use crate::engine::Engine;
use crate::error::InputError;
use crate::event::Output;
use crate::model::{JoinParams, JoinSpec};
use crate::property::Property;
use crate::run::{Finding, Monitor, MonitoredRun};
use crate::trace::Step;
use stateright::HasDiscoveries;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration as StdDuration, Instant};

/// A mutant engine run in lockstep with the engine it was derived from: the checker sees the
/// mutant, and the baseline's own monitor tells which violations the baseline shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Paired<B, M> {
    /// The engine the mutant was derived from.
    pub base: B,
    /// The engine under test.
    pub mutant: M,
    /// The baseline's monitor, which has watched every step the baseline took.
    pub base_monitor: Monitor,
}

impl<B: Engine, M: Engine> Paired<B, M> {
    /// `mutant` and its baseline `base`, both before their first step.
    pub fn new(params: JoinParams, base: B, mutant: M) -> Paired<B, M> {
        Paired {
            base,
            mutant,
            base_monitor: Monitor::new(params),
        }
    }
}

impl<B, M> Paired<B, M> {
    fn mutant_engine(&self) -> &M {
        &self.mutant
    }
}

impl<B: Engine, M: Engine> Engine for Paired<B, M> {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        let mut base_out = Vec::new();
        self.base.step(step, &mut base_out);
        self.base_monitor.observe_engine(step, &self.base, &base_out);
        self.mutant.step(step, out);
    }

    crate::engine::forward_views!(Self::mutant_engine);
}

/// What checking a mutant found.
#[derive(Clone, Debug)]
pub struct MutantVerdict {
    /// The first invariant found broken where the baseline holds it, with a shortest
    /// counterexample for it; `None` if the mutant escaped the scope.
    pub caught: Option<(Property, Counterexample)>,
    /// Until the first violation was discovered (or the scope was exhausted).
    pub time_to_catch: StdDuration,
    /// Every invariant the search found broken where the baseline holds it. The search
    /// stops at the first, so this is all of them only from [`mutant_violations`].
    pub violated: Vec<Property>,
    /// Distinct states the search visited.
    pub unique_states: usize,
}

/// Checks a mutant against the invariants `spec` holds with `base`, within the spec's scope.
pub fn check_mutant<B, M>(spec: &JoinSpec, base: B, mutant: M) -> Result<MutantVerdict, InputError>
where
    B: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    M: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let start = Instant::now();
    // Within the default limits: a mutant that explodes the state space stops at the memory
    // budget like any check (and then counts as escaped within what was explored).
    let (model, violated, unique_states) = explore_mutant(spec, base, mutant, HasDiscoveries::AnyFailures)?;
    let time_to_catch = start.elapsed();
    let caught = violated.first().map(|&p| (p, shortest_counterexample(&model, p)));
    Ok(MutantVerdict {
        caught,
        time_to_catch,
        unique_states,
        violated,
    })
}

/// Every invariant the mutant breaks within `spec`'s scope where the baseline holds it: the
/// whole scope is explored (no counterexample is built).
pub fn mutant_violations<B, M>(spec: &JoinSpec, base: B, mutant: M) -> Result<Vec<Property>, InputError>
where
    B: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    M: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    Ok(explore_mutant(spec, base, mutant, HasDiscoveries::AllFailures)?.1)
}

/// The mutant in lockstep with its base, explored breadth first until `finish`: the model,
/// the invariants found broken (in [`Property::ALL`]'s order) and the unique states.
#[allow(clippy::type_complexity)]
fn explore_mutant<B, M>(
    spec: &JoinSpec,
    base: B,
    mutant: M,
    finish: HasDiscoveries,
) -> Result<(JoinModel<Paired<B, M>>, Vec<Property>, usize), InputError>
where
    B: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
    M: Engine + Clone + Debug + Hash + Eq + Send + Sync + 'static,
{
    let scope = spec.checker_scope()?.clone();
    let model = JoinModel {
        baseline: Some(|e: &Paired<B, M>| &e.base_monitor),
        ..JoinModel::new(spec.params, scope, Paired::new(spec.params, base, mutant))
    };
    let run = explore(&model, Order::Breadth, 1, Some(finish), &mut |_| {});
    let violated = Property::ALL
        .into_iter()
        .filter(|p| !p.is_witness() && run.discoveries.contains_key(p.name()))
        .collect();
    Ok((model, violated, run.unique_states))
}

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
    /// In words: what differs and why, as `joincheck diff` and `replay` say it.
    pub explanation: String,
}

/// The first way `run` (the implementation's) disagrees with `profile` (the model's engine) on
/// `trace`: its rows first (as multisets per step, explained like `joincheck diff`), then the
/// invariants `profile` keeps (those `state_checks` leaves out are skipped, never passed),
/// then retractions: each one is a disagreement of its own kind,
/// even when the net rows agree, but for the null rows that `outer_rows = "eager_retract"`
/// withdraws when their record's match arrives.
pub fn disagreement(
    params: &JoinParams,
    trace: &crate::trace::Trace,
    profile: &MonitoredRun,
    run: &MonitoredRun,
    state_checks: StateChecks,
    retractions: &[Retraction],
) -> Option<Disagreement> {
    use crate::oracle::{Analysis, Cause};
    use crate::report::{explain, output_words, words::reason};
    let profile_name = params.profile.name();
    let analysis = Analysis::new(*params, trace);
    let rows = |rows: &[Output]| {
        if rows.is_empty() {
            "nothing".to_owned()
        } else {
            rows.iter()
                .map(|o| output_words(trace, o))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Some((step, want, got)) = first_output_difference(profile, run) {
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
        let whole = analysis.diff_with(&profile.emitted, &run.emitted);
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
        let headline = format!(
            "after step {step} the {profile_name} profile emits {}; the implementation emitted {}",
            rows(&want),
            rows(&got)
        );
        let (property, shape, why) = match found {
            Some((d, shape)) => {
                let property = match (&d.cause, kind_of) {
                    (Cause::Duplicated { .. }, _) => Some(Property::NoDuplicateOutput),
                    (Cause::Expected, RowKind::Match | RowKind::Semi) => Some(Property::NoLostMatch),
                    (Cause::NotExpected, RowKind::Match | RowKind::Semi) => Some(Property::NoSpuriousOutput),
                    (Cause::Expected | Cause::NotExpected, RowKind::Unmatched) => Some(Property::OuterExactlyOnce),
                    (Cause::Expected | Cause::NotExpected, RowKind::Late) => Some(Property::LatenessAgrees),
                    _ => None,
                };
                let label = match shape {
                    Shape::Missing(_) => "missing",
                    Shape::Extra(_) => "extra",
                    _ => "duplicated",
                };
                let why = format!("{label} {}: {}", output_words(trace, &row), reason(&analysis, d));
                (property, shape, why)
            }
            None => {
                let at = |r: &MonitoredRun| {
                    let steps: Vec<String> = r
                        .emitted
                        .iter()
                        .filter(|e| e.output == row)
                        .filter_map(|e| e.at.step)
                        .map(|s| s.to_string())
                        .collect();
                    steps.join(", ")
                };
                let why = format!(
                    "the same rows, at other steps: {} after step {} by the implementation, after step {} by the profile",
                    output_words(trace, &row),
                    at(run),
                    at(profile)
                );
                (None, Shape::Moved(kind_of), why)
            }
        };
        return Some(Disagreement {
            kind: Kind { property, shape },
            step,
            explanation: format!("{headline} — {why}"),
        });
    }
    let skip = |p: Property| state_checks.skips(p);
    if let Some((p, step, finding)) = new_violation(profile, run, skip) {
        return Some(Disagreement {
            kind: Kind {
                property: Some(*p),
                shape: Shape::of_finding(finding),
            },
            step: *step,
            explanation: format!(
                "{p} is violated after step {step}: {}",
                explain(&analysis, &run.reports, finding)
            ),
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
        explanation: format!(
            "after step {} the implementation retracted {}, emitted after step {}; the {profile_name} profile never retracts (the net rows agree)",
            r.retracted,
            output_words(trace, &r.output),
            r.emitted
        ),
    })
}
