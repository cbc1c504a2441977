//! The seed's Flink function (`flink-keyed-ttl`) and its correction (`flink-keyed-fixed`):
//! every known defect is caught with a short counterexample, pinned here as the timeline and
//! explanation a user reads; the corrected design passes the same scenarios
//! (`differential_*`).

use joincheck::checker::{check_spec, monitor_run, ModelReport, Options};
use joincheck::engine::for_spec;
use joincheck::oracle::Analysis;
use joincheck::report;
use joincheck::spec::JoinSpec;
use std::path::Path;

fn model(name: &str) -> JoinSpec {
    JoinSpec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name)).expect("bundled model loads")
}

fn check(spec: &JoinSpec) -> ModelReport {
    check_spec(spec, Options::default(), &mut |_| {}).expect("model has a scope")
}

#[test]
fn seed_function_shows_every_known_defect() {
    let spec = model("flink-keyed-ttl.toml");
    let report = check(&spec);
    assert!(report.as_expected(), "{:?}", report.verdicts);
    assert_eq!(report.unique_states, 293_089, "pinned");
    let names: Vec<&str> = report.defects.iter().map(|(d, _)| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "click-before-impression",
            "second-click",
            "duplicate-impression-timer",
            "ttl-before-event-time",
            "timer-outlives-state",
            "timer-at-the-boundary"
        ]
    );
    for (defect, cx) in &report.defects {
        let cx = cx
            .as_ref()
            .unwrap_or_else(|| panic!("defect {} not found", defect.name));
        assert!(
            cx.trace.steps().len() <= 8,
            "{}: {} steps",
            defect.name,
            cx.trace.steps().len()
        );
        // The written trace replays to the same violation.
        let trace = joincheck::trace::Trace::parse(&cx.trace.to_jsonl(), "cx").expect("written trace parses");
        let run = monitor_run(&spec.params, for_spec(&spec), &trace);
        let (_, step, finding) = run
            .violations
            .iter()
            .find(|(p, _, _)| *p == defect.property)
            .expect("replay violates the property");
        assert_eq!((*step, finding), (cx.step, &cx.finding), "{}", defect.name);
        let analysis = Analysis::new(spec.params, &trace);
        let text = format!(
            "defect {}: {}\nviolates {}\n\n{}\n{}{}",
            defect.name,
            defect.summary,
            defect.property,
            trace.to_jsonl(),
            report::timeline(&trace, &run.reports),
            report::explain(&analysis, &run.reports, finding)
        );
        insta::assert_snapshot!(format!("seed_defect_{}", defect.name), text);
    }
}

#[test]
fn corrected_function_holds_every_property() {
    let report = check(&model("flink-keyed-fixed.toml"));
    assert!(report.as_expected(), "{:?}", report.verdicts);
    assert_eq!(report.unique_states, 184_860, "pinned");
}

#[test]
fn differential_corrected_function_has_none_of_the_seed_defects() {
    // The seed's defect scenarios, run against the corrected design: no violation anywhere.
    let seed = model("flink-keyed-ttl.toml");
    let mut fixed = model("flink-keyed-fixed.toml");
    fixed.defects = seed.defects.clone();
    let report = check(&fixed);
    for (defect, cx) in &report.defects {
        assert!(
            cx.is_none(),
            "the corrected design has defect {}: {:?}",
            defect.name,
            cx.as_ref().map(|c| c.trace.to_jsonl())
        );
    }
}
