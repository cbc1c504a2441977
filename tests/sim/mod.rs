//! Seeded workloads and the streaming oracle: the same seed gives the same trace and the same
//! report, and the streaming oracle agrees with the from-scratch oracle (`differential_*`).

use joincheck::engine::{for_spec, ReferenceEngine};
use joincheck::event::Output;
use joincheck::model::JoinSpec;
use joincheck::oracle::Analysis;
use joincheck::sim::{simulate, StreamingOracle, Workload};
use joincheck::trace::{Step, Trace};
use std::path::Path;

fn model(name: &str) -> JoinSpec {
    JoinSpec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name)).expect("model loads")
}

/// A small, busy workload: many clicks, much disorder and lateness, duplicates.
pub(crate) fn busy() -> Workload {
    Workload {
        impressions_per_sec: 1.0,
        click_through: 0.5,
        extra_clicks: 1.0,
        click_delay_median_ms: 600_000.0,
        disorder_ms: [900_000, 900_000],
        late_fraction: 0.05,
        duplicate_fraction: 0.05,
        duplicate_window: 20,
        batch_records: 7,
        ..Workload::default()
    }
}

/// The workload's steps as a trace with names, for the from-scratch oracle.
fn as_trace(steps: impl Iterator<Item = Step>) -> Trace {
    let mut t = Trace::new();
    for step in steps {
        match step {
            Step::Record(r) => {
                let prefix = if r.side == joincheck::event::Side::Left {
                    "i"
                } else {
                    "c"
                };
                let id = t.push_record(
                    r.side,
                    &format!("k{}", r.key.0),
                    r.ts.as_millis(),
                    &format!("{prefix}{}", r.id.0),
                );
                assert_eq!(id, r.id, "ids are arrival numbers");
            }
            other => t.push(other),
        }
    }
    t
}

#[test]
fn the_same_seed_gives_the_same_trace_and_report() {
    let spec = model("reference-impressions-clicks.toml");
    let run = |seed| {
        let mut steps = Vec::new();
        let report = simulate(
            &spec,
            ReferenceEngine::new(spec.params),
            &busy(),
            seed,
            5_000,
            &mut |s| steps.push(*s),
            &mut |_| {},
        );
        (steps, report)
    };
    let (a, ra) = run(7);
    let (b, rb) = run(7);
    assert_eq!(a, b);
    let counts = |r: &joincheck::sim::SimReport| {
        (
            r.expected_matches,
            r.emitted_matches,
            r.late_expected,
            r.state_max,
            r.samples.clone(),
        )
    };
    assert_eq!(counts(&ra), counts(&rb));
    assert_ne!(a, run(8).0, "another seed, another trace");
    assert!(
        ra.expected_matches > 100 && ra.late_expected > 10,
        "the workload exercises matches and lateness"
    );
    assert_eq!(
        ra.lost_matches_late + ra.lost_matches_other + ra.extra_rows + ra.missing_other_rows,
        0
    );
}

#[test]
fn differential_streaming_oracle_matches_the_oracle() {
    for name in [
        "reference-impressions-clicks.toml",
        "reference-impressions-clicks-left-outer.toml",
        "spark-impressions-clicks-full-outer.toml",
    ] {
        let spec = model(name);
        for seed in 0..20 {
            let trace = as_trace(busy().steps(seed, 300));
            let mut streaming = StreamingOracle::new(spec.params);
            let mut got: Vec<Output> = Vec::new();
            for step in trace.steps() {
                streaming.step(step, &mut got);
            }
            got.sort();
            assert_eq!(
                got,
                Analysis::new(spec.params, &trace).expected(),
                "{name}, seed {seed}"
            );
        }
    }
}

#[test]
fn simulate_reports_the_seed_designs_losses() {
    // The seed's Flink function loses second clicks and clicks that come first: the
    // simulation counts them (explicit watermarks never come, so only end of input cleans).
    let spec = model("flink-keyed-ttl.toml");
    let report = simulate(&spec, for_spec(&spec), &busy(), 3, 2_000, &mut |_| {}, &mut |_| {});
    assert!(report.lost_matches_late + report.lost_matches_other > 0, "{report:?}");
}

/// `Engine::stored_len` is the state size the simulation reports; engines answer it without
/// building the list, so it must equal `stored().len()` after every step, for every profile.
#[test]
fn every_engine_counts_its_state_as_it_lists_it() {
    use joincheck::engine::Engine;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).expect("models/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let spec = JoinSpec::load(&path).expect("a bundled model loads");
        for seed in 0..3 {
            let mut engine = for_spec(&spec);
            let mut out = Vec::new();
            let mut largest = 0;
            for step in busy().steps(seed, 200) {
                engine.step(&step, &mut out);
                assert_eq!(
                    engine.stored_len(),
                    engine.stored().len(),
                    "{}, seed {seed}, after {step:?}",
                    spec.name
                );
                largest = largest.max(engine.stored_len());
            }
            assert!(largest > 1, "{}: the workload fills state", spec.name);
        }
    }
}
