//! What causes a violation the engine's design does not already explain: this
//! configuration's constants ([`crate::model::configuration`]) or a known bug of the engine
//! version ([`crate::model::known_bugs`]). Neither is a guess from the counterexample's shape:
//! each candidate cause comes with the join without it, and the property is checked again, in
//! the scope that showed the violation, for that property alone.
//!
//! With `C` the candidates for a violated property (the profile's rules that name it, its
//! known bugs, and the design entry the engine can run without):
//!
//! 1. the property is checked on the join with every candidate removed; if it is still
//!    violated, something else causes it, and nothing is named;
//! 2. with one candidate, that one is the cause; with more, each is checked with all the
//!    others removed, and those still violating it are named (if none does alone, they
//!    cause it together, and all are named).
//!
//! So a design entry that overlaps a known bug (Kafka Streams' endless stream and
//! KAFKA-19536 both break `outer_exactly_once`) no longer hides it: the bug is named only
//! if, without the design, it still breaks the property.

use super::{check_spec, ModelReport, Options, Verdict};
use crate::error::InputError;
use crate::model::{JoinParams, JoinSpec, KnownBug, Misconfiguration, Removed, Rule, Scope};
use crate::property::{Expected, Property};

/// A violation this configuration causes, and how the check with the change came out.
#[derive(Clone, Debug)]
pub struct Configured {
    /// The violated property.
    pub property: Property,
    /// What the constants do, and the change.
    pub problem: Misconfiguration,
    /// Whether the check with the change covered the whole scope (else: no violation in the
    /// part it explored).
    pub exhaustive: bool,
}

/// A violation a known bug of the engine causes.
#[derive(Clone, Copy, Debug)]
pub struct Bugged {
    /// The violated property.
    pub property: Property,
    /// The bug.
    pub bug: KnownBug,
    /// Whether the model allows it (`[expect] allow`): then it does not fail the check.
    pub allowed: bool,
    /// Whether the check without it covered the whole scope.
    pub exhaustive: bool,
}

/// One candidate cause of a violation, with how to remove it.
enum Candidate {
    Design(Removed),
    Bug(KnownBug),
    Rule(Rule, Misconfiguration),
}

impl Candidate {
    /// `params` without this cause (unchanged where it cannot be removed from them).
    fn remove(&self, params: &JoinParams) -> JoinParams {
        match self {
            Candidate::Design(removed) => removed.from(params),
            Candidate::Bug(bug) => (bug.without)(params).unwrap_or(*params),
            Candidate::Rule(rule, _) => rule(params).map_or(*params, |m| m.fixed),
        }
    }
}

/// Names the causes of `report`'s violations that `spec`'s constants or its engine's known
/// bugs are, each checked as the module says, under `options` (each check gets the time
/// budget `options.limits` started with).
pub fn explain_causes(spec: &JoinSpec, report: &mut ModelReport, options: &Options) -> Result<(), InputError> {
    let violated: Vec<(Property, [u8; 2])> = report
        .verdicts
        .iter()
        .filter_map(|(p, v, _)| match v {
            Verdict::Violated(cx) if attributable(spec, *p) => Some((*p, records_of(&cx.trace))),
            _ => None,
        })
        .collect();
    for (p, records) in violated {
        let candidates = candidates(spec, p);
        if candidates.is_empty() {
            continue;
        }
        // A grown check's violation is checked again in the largest scope it covered
        // exhaustively (or, if none, the smallest that holds its counterexample); a pinned
        // scope, in itself.
        let scope = match (&report.coverage, &spec.scope) {
            (None, Some(scope)) => scope.clone(),
            (coverage, _) => {
                let covered = coverage.as_ref().and_then(|c| c.exhaustive);
                Scope::implied(&spec.params, covered.unwrap_or(records.map(|n| n.max(1))))
            }
        };
        let without = |skip: Option<usize>| {
            let params = candidates
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .fold(spec.params, |q, (_, c)| c.remove(&q));
            holds(spec, params, &scope, p, options)
        };
        let Some(exhaustive) = without(None)? else {
            continue;
        };
        let mut shown: Vec<&Candidate> = Vec::new();
        if candidates.len() > 1 {
            for (i, c) in candidates.iter().enumerate() {
                if without(Some(i))?.is_none() {
                    shown.push(c);
                }
            }
        }
        if shown.is_empty() {
            shown = candidates.iter().collect();
        }
        for c in shown {
            match c {
                Candidate::Design(_) => report.design_shown.push(p),
                Candidate::Bug(bug) => report.bugs.push(Bugged {
                    property: p,
                    bug: *bug,
                    allowed: spec.allows(bug.id),
                    exhaustive,
                }),
                Candidate::Rule(_, problem) => report.configuration.push(Configured {
                    property: p,
                    problem: problem.clone(),
                    exhaustive,
                }),
            }
        }
    }
    Ok(())
}

/// Whether a violation of `p` is one to find a cause for: the model does not state it as
/// expected, and the engine's design, where it covers `p`, is one the engine can run without.
fn attributable(spec: &JoinSpec, p: Property) -> bool {
    let stated_violated = spec.states(p) && spec.expected(p) == Expected::Violated;
    !stated_violated && spec.design(p).is_none_or(|d| d.removed != Removed::NONE)
}

/// The candidate causes of a violation of `p` in `spec`.
fn candidates(spec: &JoinSpec, p: Property) -> Vec<Candidate> {
    let info = spec.params.profile.info();
    let design = spec.design(p).map(|d| Candidate::Design(d.removed));
    let bugs = info
        .bugs
        .iter()
        .filter(|b| b.violates(p) && (b.without)(&spec.params).is_some())
        .map(|b| Candidate::Bug(*b));
    let rules = info.configuration.iter().filter_map(|rule| {
        rule(&spec.params)
            .filter(|m| m.properties.contains(&p))
            .map(|m| Candidate::Rule(*rule, m))
    });
    let causes: Vec<Candidate> = bugs.chain(rules).collect();
    if causes.is_empty() {
        // The design alone is what the report already says.
        return causes;
    }
    design.into_iter().chain(causes).collect()
}

/// Whether `p` holds on `params` in `scope`: `Some(exhaustive)` if it does (in the whole
/// scope, or in the part explored), `None` if it is violated.
fn holds(
    spec: &JoinSpec,
    params: JoinParams,
    scope: &Scope,
    p: Property,
    options: &Options,
) -> Result<Option<bool>, InputError> {
    let again = JoinSpec {
        params,
        scope: Some(scope.clone()),
        defects: Vec::new(),
        ..spec.clone()
    };
    let options = Options {
        only: Some(p),
        shortest: false,
        limits: options.limits.clone().restarted(),
        ..options.clone()
    };
    let report = check_spec(&again, options, &mut |_| {})?;
    let held = report
        .verdicts
        .iter()
        .any(|(q, v, _)| *q == p && matches!(v, Verdict::Holds));
    Ok(held.then(|| report.complete()))
}

/// How many left and right records `trace` holds.
fn records_of(trace: &crate::trace::Trace) -> [u8; 2] {
    let mut n = [0u8; 2];
    for r in trace.records() {
        n[r.side.index()] = n[r.side.index()].saturating_add(1);
    }
    n
}
