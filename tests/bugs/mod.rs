//! The real-bug benchmark at a small budget, so that a loss of detection power fails CI:
//! every recreated bug is caught by the checker with a short counterexample (and by the seeded
//! random search and the fuzz decoder), and an
//! unmutated engine paired with itself is never "caught" (the lockstep comparison cannot
//! invent a failure).

use joincheck::checker::check_mutant;
use joincheck::model::JoinSpec;
use joincheck::testing::mutants::{catalogue, run_one};
use std::path::Path;

fn models() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

#[test]
fn every_recreated_bug_is_caught_by_the_checker() {
    let mutants = catalogue();
    assert!(mutants.len() >= 13, "the benchmark lost mutants");
    for m in &mutants {
        let r = run_one(m, &models(), 1, 200).expect("bundled models load");
        let property = r
            .checker
            .property
            .unwrap_or_else(|| panic!("{} escaped the checker", r.name));
        let cx = r.counterexample.as_ref().expect("a caught mutant has a counterexample");
        assert!(
            cx.trace.steps().len() <= 8,
            "{}: {} steps\n{}",
            r.name,
            cx.trace.steps().len(),
            cx.trace.to_jsonl()
        );
        assert!(!property.is_witness());
        // The other two layers, seeded: the random search over the model's scope and the fuzz
        // target's decoder on random bytes find every mutant within the same small budget.
        for (layer, found) in [("random search", r.random.property), ("fuzz decoder", r.fuzz.property)] {
            let found = found.unwrap_or_else(|| panic!("{} escaped the {layer} (seed 1, 200 inputs)", r.name));
            assert!(!found.is_witness(), "{}: {layer} reported a witness", r.name);
        }
    }
}

#[test]
fn an_unmutated_engine_is_never_caught() {
    for name in [
        "reference-impressions-clicks.toml",
        "spark-impressions-clicks-left-outer.toml",
        "flink-interval-impressions-clicks.toml",
    ] {
        let spec = JoinSpec::load(&models().join(name)).expect("model loads");
        let engine = || joincheck::engine::ReferenceEngine::new(spec.params);
        let verdict = match spec.params.profile {
            joincheck::model::Profile::Spark => {
                let e = joincheck::engine::SparkEngine::new(spec.params);
                check_mutant(&spec, e.clone(), e)
            }
            joincheck::model::Profile::FlinkInterval => {
                let e = joincheck::engine::IntervalJoinEngine::new(spec.params);
                check_mutant(&spec, e.clone(), e)
            }
            _ => check_mutant(&spec, engine(), engine()),
        }
        .expect("model has a scope");
        assert!(
            verdict.caught.is_none(),
            "{name}: {:?}",
            verdict.caught.map(|(p, cx)| (p, cx.trace.to_jsonl()))
        );
        assert!(verdict.unique_states > 1000, "{name}: the scope was explored");
    }
}
