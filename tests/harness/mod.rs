//! `joincheck::harness::check`, as an engine author calls it from `cargo test`: a correct
//! engine passes, a broken one gets a typed failure naming the property, the phase, the trace
//! and the seed; a model it cannot use is a model error.

use crate::support::{root, INNER};
use joincheck::engine::{CanaryEngine, Engine, ReferenceEngine};
use joincheck::event::{Output, RecordId};
use joincheck::harness::{check, HarnessError, Phase};
use joincheck::property::{Expected, Property};
use joincheck::trace::Step;

/// The reference engine that forgets every pair once it has seen more than four records:
/// right within the bundled scope (two records per side), wrong beyond it.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ForgetsAfterFour {
    inner: ReferenceEngine,
    records: usize,
}

impl Engine for ForgetsAfterFour {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        self.records += usize::from(matches!(step, Step::Record(_)));
        let start = out.len();
        self.inner.step(step, out);
        if self.records > 4 {
            out.truncate(start);
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        self.inner.stored()
    }

    fn pending_timers(&self) -> usize {
        0
    }
}

#[test]
fn the_reference_engine_passes() {
    let report = check(root().join(INNER), ReferenceEngine::new, 300, 5).expect("the reference engine holds");
    assert_eq!((report.random_traces, report.seed), (300, 5));
    assert!(report.unique_states > 1000, "{report:?}");
}

#[test]
fn the_canary_fails_in_the_exhaustive_phase_with_its_shortest_counterexample() {
    let err = check(root().join(INNER), CanaryEngine::new, 10, 1).expect_err("the canary is caught");
    let f = err.failure().expect("a failed check, not a bad model");
    assert_eq!(f.phase, Phase::Exhaustive);
    assert_eq!(f.property, Some(Property::NoLostMatch));
    assert_eq!(f.verdict, Some((Expected::Violated, Expected::Holds)));
    let trace = f.trace.as_ref().expect("a violation has a trace");
    // i1, then c1 exactly on the upper bound, then end: nothing shorter loses the pair.
    assert_eq!(trace.steps().len(), 3, "{}", trace.to_jsonl());
    assert_eq!(f.step, Some(2));
    let text = err.to_string();
    assert!(
        text.contains("no_lost_match is violated, the model expects holds"),
        "{text}"
    );
    assert!(text.contains("shortest counterexample (3 steps"), "{text}");
}

#[test]
fn a_bug_beyond_the_scope_fails_in_the_random_phase_with_its_seed_and_trace() {
    let build = |params| ForgetsAfterFour {
        inner: ReferenceEngine::new(params),
        records: 0,
    };
    let err = check(root().join(INNER), build, 2_000, 11).expect_err("random traces have more records");
    let f = err.failure().expect("a failed check");
    let Phase::Random { index } = f.phase else {
        panic!("the exhaustive phase passes: {err}")
    };
    assert_eq!(f.seed, 11);
    let trace = f.trace.as_ref().expect("the random trace");
    assert!(trace.records().len() > 4, "{}", trace.to_jsonl());
    assert!(
        err.to_string()
            .contains(&format!("random trace {index} of seed 11 fails")),
        "{err}"
    );
}

#[test]
fn a_model_without_scope_is_a_model_error() {
    let dir = crate::support::TempDir::new("harness-no-scope");
    let model = dir.path().join("m.toml");
    std::fs::write(
        &model,
        "profile = \"reference\"\n[join]\nkind = \"inner\"\nbounds = \"[0ms, 1h]\"\n\
         [watermark]\nsource = \"derived\"\nleft_delay = \"10m\"\nright_delay = \"10m\"\n",
    )
    .expect("write the model");
    let err = check(&model, ReferenceEngine::new, 1, 1).expect_err("no scope");
    assert!(matches!(err, HarnessError::Model(_)), "{err:?}");
    assert!(err.to_string().contains("has no [scope]"), "{err}");
}
