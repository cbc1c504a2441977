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

#[test]
fn a_random_phase_failure_is_shrunk_explained_and_replayable() {
    let build = |params| ForgetsAfterFour {
        inner: ReferenceEngine::new(params),
        records: 0,
    };
    let spec = joincheck::model::JoinSpec::bundled("reference-impressions-clicks").expect("bundled");
    let err = joincheck::harness::check_spec(&spec, build, 2_000, 11).expect_err("caught");
    let f = err.failure().expect("a failed check");
    assert!(matches!(f.phase, Phase::Random { .. }), "{err}");
    let trace = f.trace.clone().expect("the trace");
    let found = f.found_steps.expect("the random trace's length");
    // Shrunk: five records are needed (the fifth's pair is forgotten), and nothing else.
    assert!(trace.steps().len() <= found, "{err}");
    assert_eq!(trace.records().len(), 5, "{}", trace.to_jsonl());
    let kind = f.kind.expect("a kind");
    // The engine drops every row after the fourth record: the first row it drops is missing,
    // and explained the way `joincheck diff` explains it.
    assert!(kind.to_string().contains(": missing "), "{err}");
    assert_eq!(f.property, kind.property);
    assert!(f.property.is_some(), "{err}");
    assert!(
        f.explanation.contains(" — missing ")
            && (f.explanation.contains("share key") || f.explanation.contains("was late")),
        "explained like diff: {}",
        f.explanation
    );
    let timeline = f.timeline.as_deref().expect("the engine's run");
    assert!(timeline.starts_with("step  event"), "{timeline}");
    assert!(
        !timeline.contains("  ?  "),
        "the profile's watermarks stand in: {timeline}"
    );
    let text = err.to_string();
    assert!(text.contains(&format!("shrunk from {found} to")), "{text}");
    assert!(text.contains("your engine's run on it"), "{text}");
    // The user's own replay gives the same verdict; the fixed engine passes it.
    let replayed = joincheck::harness::replay(&spec, build(spec.params), &trace);
    assert_eq!(replayed.disagreement.map(|d| d.kind), Some(kind));
    let fixed = joincheck::harness::replay(&spec, ReferenceEngine::new(spec.params), &trace);
    assert_eq!(fixed.disagreement, None);
}

#[test]
fn every_model_file_is_bundled_and_loads_by_name() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("models"))
        .expect("models/")
        .filter_map(|e| {
            let name = e.expect("an entry").file_name().into_string().expect("utf-8");
            name.strip_suffix(".toml").map(str::to_owned)
        })
        .collect();
    files.sort();
    let mut bundled: Vec<String> = joincheck::model::BUNDLED.iter().map(|(n, _)| (*n).to_owned()).collect();
    bundled.sort();
    assert_eq!(files, bundled, "models/ and model::BUNDLED list the same models");
    for (name, text) in joincheck::model::BUNDLED {
        let on_disk = std::fs::read_to_string(root().join("models").join(format!("{name}.toml"))).expect("read");
        assert_eq!(*text, on_disk, "{name}");
        let by_name = joincheck::model::JoinSpec::bundled(name).expect("loads");
        let by_file =
            joincheck::model::JoinSpec::load(&root().join("models").join(format!("{name}.toml"))).expect("loads");
        assert_eq!(
            (by_name.params, by_name.scope),
            (by_file.params, by_file.scope),
            "{name}"
        );
    }
    let unknown = joincheck::model::JoinSpec::bundled("no-such-model").expect_err("unknown");
    assert!(
        unknown.to_string().contains("reference-impressions-clicks"),
        "{unknown}"
    );
}

#[test]
fn a_join_stated_in_code_is_the_model_file_it_states() {
    use joincheck::model::{JoinKind, JoinSpec, Profile};
    let built = JoinSpec::builder("reference-impressions-clicks")
        .profile(Profile::Reference)
        .kind(JoinKind::Inner)
        .bounds("[0ms, 1h]")
        .delays("10m", "10m")
        .lateness("ts < wm")
        .scope(&["a", "b"], 2, 2)
        .times(&["0", "10m", "1h", "1h1ms", "1h20m"])
        .build()
        .expect("a join");
    let file = JoinSpec::bundled("reference-impressions-clicks").expect("bundled");
    assert_eq!((built.params, &built.scope), (file.params, &file.scope));
    // It checks like the model file: the reference engine holds.
    let report = joincheck::harness::check_spec(&built, ReferenceEngine::new, 50, 1).expect("holds");
    assert!(report.unique_states > 1000);
    // Errors name the key, as for a model file.
    let bad = JoinSpec::builder("bad")
        .bounds("[1h, 0ms]")
        .build()
        .expect_err("empty bounds");
    assert!(bad.to_string().contains("join.bounds"), "{bad}");
    assert!(bad.to_string().contains("<join bad built in code>"), "{bad}");
}
