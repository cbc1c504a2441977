//! The operator of this crate checked by joincheck from an engine author's point of view: the
//! model loaded by name, a correct operator passing, a seeded bug caught with a shrunk,
//! explained counterexample and a timeline of this operator's run, and the trace replayed.

use engine_crate::{Emit, IntervalJoin, Rec};
use joincheck::engine::Engine;
use joincheck::event::{Output, RecordId, Side};
use joincheck::model::{JoinParams, JoinSpec};
use joincheck::trace::Step;

/// The operator behind joincheck's `Engine` trait (a wrapper: the trait and the operator both
/// come from other crates).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Checked(IntervalJoin);

impl Checked {
    fn new(params: JoinParams, exclusive_upper: bool) -> Checked {
        let (lower, upper) = (0, 3_600_000);
        assert_eq!(params.bounds.to_string(), "[0ms, 1h]", "the operator is built for the seed's bounds");
        let mut join = IntervalJoin::new(lower, upper, 600_000);
        join.exclusive_upper = exclusive_upper;
        Checked(join)
    }
}

impl Engine for Checked {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        let mut emitted = Vec::new();
        match step {
            Step::Record(r) => self.0.record(
                Rec {
                    side: usize::from(r.side == Side::Right),
                    key: r.key.0,
                    ts: r.ts.as_millis(),
                    id: r.id.0,
                },
                &mut emitted,
            ),
            Step::End => self.0.end(),
            _ => {}
        }
        out.extend(emitted.into_iter().map(|e| match e {
            Emit::Pair { left, right } => Output::Match {
                left: RecordId(left),
                right: RecordId(right),
            },
            Emit::Late { id } => Output::Late(RecordId(id)),
        }));
    }

    fn stored(&self) -> Vec<RecordId> {
        self.0.stored().into_iter().map(RecordId).collect()
    }

    fn pending_timers(&self) -> usize {
        0
    }
}

fn seed_model() -> JoinSpec {
    JoinSpec::bundled("reference-impressions-clicks").expect("a bundled model, by name")
}

#[test]
fn the_operator_holds_on_the_seed_join() {
    let report = joincheck::harness::check_spec(&seed_model(), |p| Checked::new(p, false), 500, 3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.unique_states > 1000, "{report:?}");
    assert_eq!(report.random_traces, 500);
}

#[test]
fn an_exclusive_upper_bound_is_caught_shrunk_and_explained() {
    let spec = seed_model();
    let err = joincheck::harness::check_spec(&spec, |p| Checked::new(p, true), 500, 3).expect_err("caught");
    let failure = err.failure().expect("the operator fails a check");
    let trace = failure.trace.clone().expect("a counterexample");
    // An impression, its click exactly one hour later, the end: nothing shorter shows it.
    assert_eq!(trace.steps().len(), 3, "{err}");
    assert_eq!(failure.property, Some(joincheck::property::Property::NoLostMatch), "{err}");
    assert!(failure.explanation.contains("1h"), "{err}");
    let timeline = failure.timeline.as_deref().expect("this operator's run");
    assert!(timeline.contains("stored left"), "{timeline}");

    // Replayed from this test: still broken with the bug, agrees without it.
    let replayed = joincheck::harness::replay(&spec, Checked::new(spec.params, true), &trace);
    let found = replayed.disagreement.expect("the bug shows");
    assert_eq!(found.kind.to_string(), "no_lost_match: missing match");
    let why = replayed.explanation.expect("a disagreement in words");
    assert!(why.contains("lies in [0ms, 1h]"), "{why}");
    let fixed = joincheck::harness::replay(&spec, Checked::new(spec.params, false), &trace);
    assert!(fixed.disagreement.is_none(), "{}", fixed.timeline);
}

#[test]
fn a_join_stated_in_code_checks_too() {
    let spec = JoinSpec::builder("seed-in-code")
        .bounds("[0ms, 1h]")
        .delays("10m", "10m")
        .scope(&["a", "b"], 2, 1)
        // With one click, no key is used again after an eviction: say so, or the check fails
        // on the missing witness (as it did when this test was first written).
        .append("[expect]\nwitness_key_reused = \"missing\"")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    joincheck::harness::check_spec(&spec, |p| Checked::new(p, false), 200, 9).unwrap_or_else(|e| panic!("{e}"));
}
