//! The seed's Flink function (`flink-keyed-ttl`) and its correction (`flink-keyed-fixed`):
//! every known defect is caught with a short counterexample, pinned here as the timeline and
//! explanation a user reads; the corrected design passes the same scenarios
//! (`differential_*`).

use joincheck::checker::{check_spec, monitor_run, ModelReport, Options};
use joincheck::engine::for_spec;
use joincheck::model::JoinSpec;
use joincheck::oracle::Analysis;
use joincheck::report;
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

/// `(step, row)` pairs from `joincheck replay --json`, sorted.
fn replayed(model: &str, stem: &str) -> Vec<(u64, String)> {
    let run = crate::support::joincheck([
        "replay",
        "--json",
        "--model",
        &format!("models/{model}.toml"),
        "--trace",
        &crate::support::trace(stem),
    ]);
    let mut rows: Vec<(u64, String)> = run
        .lines()
        .iter()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON output line");
            let row = match v["type"].as_str() {
                Some("match") => format!("{}+{}", v["left"].as_str().unwrap(), v["right"].as_str().unwrap()),
                Some("unmatched") => format!("{}+null", v["id"].as_str().unwrap()),
                other => panic!("flink sql emits no {other:?} rows"),
            };
            (v["step"].as_u64().expect("rows carry steps"), row)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn sql_profile_reproduces_the_recorded_flink_runs() {
    // Traces A, B and C of shared/reference/real-engines.md §2.4 (real Flink 2.3.0, paced, a
    // watermark after every row): every row, and the input row after which it appeared.
    let own = |v: &[(u64, &str)]| v.iter().map(|(s, r)| (*s, r.to_string())).collect::<Vec<_>>();
    let a_inner = [(2, "i1+c1"), (4, "i2+c2"), (6, "i4+c4"), (12, "i6+c6"), (14, "i10+c10")];
    assert_eq!(replayed("flink-sql-impressions-clicks", "flink-trace-a"), own(&a_inner));
    let mut a_left = own(&a_inner);
    a_left.extend(own(&[(9, "i3+null"), (14, "i8+null")]));
    a_left.sort();
    assert_eq!(
        replayed("flink-sql-impressions-clicks-left-outer", "flink-trace-a"),
        a_left
    );

    // i5 at the watermark joins c5, and so do i7 and c7 at exactly 11:50: never dropped.
    let b_inner = [(4, "i1+c1"), (5, "i2+c2"), (9, "i5+c5"), (11, "i6+c6"), (13, "i7+c7")];
    assert_eq!(replayed("flink-sql-impressions-clicks", "flink-trace-b"), own(&b_inner));
    let mut b_left = own(&b_inner);
    b_left.extend(own(&[(11, "i3+null"), (11, "i4+null")]));
    b_left.sort();
    assert_eq!(
        replayed("flink-sql-impressions-clicks-left-outer", "flink-trace-b"),
        b_left
    );

    assert_eq!(
        replayed("flink-sql-impressions-clicks", "flink-trace-c"),
        own(&[(6, "i2+c2")])
    );
    // i96 is padded only at end of input (the implicit end after the 9 rows).
    let c_left = own(&[(2, "i1+null"), (6, "i2+c2"), (7, "i98+null"), (9, "i96+null")]);
    assert_eq!(
        replayed("flink-sql-impressions-clicks-left-outer", "flink-trace-c"),
        c_left
    );
}

/// Flink SQL's `TimeIntervalJoin` expires a cached row once it is *behind*
/// `watermark - window - 1`: a left row at `T` stays while the watermark is `T + 1h`, and every
/// right row at `T + 1h` (on time: not behind the watermark) still joins it, the second as
/// well as the first. An expiration time one later (`watermark - window`) would let the first
/// scan remove the row it just joined, and the second click would find nothing. (A mutant of
/// exactly that survived every other test: cargo-mutants, docs/BENCHMARKS.md.)
#[test]
fn sql_keeps_a_row_while_a_partner_at_the_watermark_can_come() {
    use joincheck::event::Output;
    use joincheck::trace::Trace;
    let spec = model("flink-sql-impressions-clicks.toml");
    let (t, hour, ten) = (660_000, 3_600_000, 600_000);
    let mut trace = Trace::new();
    let i1 = trace.push_record(joincheck::event::Side::Left, "a", t, "i1");
    // Both inputs' watermarks to T + 1h (SQL: the largest ts - 10m).
    trace.push_record(joincheck::event::Side::Left, "b", t + hour + ten, "i2");
    trace.push_record(joincheck::event::Side::Right, "b", t + hour + ten, "c2");
    let c3 = trace.push_record(joincheck::event::Side::Right, "a", t + hour, "c3");
    let c4 = trace.push_record(joincheck::event::Side::Right, "a", t + hour, "c4");
    let emitted = joincheck::run::outputs(for_spec(&spec).as_mut(), &trace);
    let matches: Vec<Output> = emitted.iter().map(|e| e.output).collect();
    for right in [c3, c4] {
        assert!(
            matches.contains(&Output::Match { left: i1, right }),
            "{} did not join i1: {matches:?}",
            trace.name(right)
        );
    }
}
