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
        click_after: joincheck::model::Spread::LogNormal {
            median: 600_000.0,
            sigma: 1.5,
        },
        arrival: [
            joincheck::model::Spread::Uniform(900_000),
            joincheck::model::Spread::Uniform(900_000),
        ],
        late_fraction: 0.05,
        duplicate_fraction: 0.05,
        duplicate_window: 20,
        batch_records: Some(7),
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
        // Per-side watermarks; no lateness and a stream that does not end.
        "pathway-impressions-clicks.toml",
        "quix-streams-interval-left.toml",
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

/// The seed's Spark model with clicks that arrive log-normally late (median 3 minutes, 1%
/// beyond 40 minutes), at `delay`.
fn seed_with_late_clicks(delay: &str) -> String {
    let seed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/spark-impressions-clicks.toml"),
    )
    .expect("the seed's Spark model");
    let seed = seed.replace("left_delay = \"10m\"", &format!("left_delay = \"{delay}\""));
    let seed = seed.replace("right_delay = \"10m\"", &format!("right_delay = \"{delay}\""));
    format!("{seed}\n[workload]\nright_arrival = {{ median = \"3m\", p99 = \"40m\" }}\n")
}

#[test]
fn advise_names_a_delay_within_the_budget_and_simulate_agrees_at_it() {
    use crate::support::{joincheck, TempDir};
    let dir = TempDir::new("advise");
    let model = dir.write("seed.toml", seed_with_late_clicks("10m"));
    let advise = joincheck([
        "advise".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--records".as_ref(),
        "60000".as_ref(),
        "--max-loss".as_ref(),
        "0.1%".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(advise.code, Some(0), "{advise:?}");
    let report: serde_json::Value = serde_json::from_str(&advise.stdout).expect("advise --json is JSON");
    let advice = &report["advice"];
    let delay = advice["left_delay"].as_str().expect("a delay is advised");
    assert!(advice["lost_share"].as_f64().unwrap() <= 0.001, "{advice}");
    // Every shorter delay tried loses more than the budget: the advice is the smallest.
    let settings = report["settings"].as_array().unwrap();
    let at = settings
        .iter()
        .position(|s| s["left_delay"] == advice["left_delay"])
        .unwrap();
    assert!(at > 0, "the budget is met even without delay: {report}");
    assert!(
        settings[..at].iter().all(|s| s["lost_share"].as_f64().unwrap() > 0.001),
        "{report}"
    );
    // simulate at that delay, same seed and records, reports the same loss and state.
    let at_delay = dir.write("at-delay.toml", seed_with_late_clicks(delay));
    let sim = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        at_delay.as_os_str(),
        "--records".as_ref(),
        "60000".as_ref(),
        "--json".as_ref(),
    ]);
    let sim: serde_json::Value = serde_json::from_str(&sim.stdout).expect("simulate --json is JSON");
    assert_eq!(sim["ideal_join"], advice["ideal_join"], "{sim}\n{advice}");
    assert_eq!(sim["state"]["p99"], advice["state"]["p99"]);
    assert_eq!(sim["watermark_lag_ms"]["p99"], advice["watermark_lag_ms"]["p99"]);
}

#[test]
fn a_workload_section_shapes_the_generated_trace() {
    let spec = JoinSpec::parse(
        &seed_with_late_clicks("10m").replace(
            "right_arrival = { median = \"3m\", p99 = \"40m\" }",
            "impressions_per_sec = 10\nclick_through = 1\nextra_clicks = 0\nclick_after = { fixed = \"1s\" }\n\
             left_arrival = { fixed = \"0\" }\nright_arrival = { exponential = \"100ms\" }\nbatch_records = 50\n\
             start = \"2026-12-01T00:00:00Z\"",
        ),
        "w.toml",
        "w",
    )
    .expect("the model reads");
    let w = Workload::for_spec(&spec);
    let steps: Vec<Step> = w.steps(7, 2000).collect();
    let records: Vec<_> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Record(r) => Some(*r),
            _ => None,
        })
        .collect();
    let batches = steps.iter().filter(|s| matches!(s, Step::Batch)).count();
    assert_eq!(batches, 2000 / 50, "a batch marker after every 50 records");
    // Every impression is clicked once: as many clicks as impressions, give or take those
    // still in flight when the trace stops.
    let lefts = records
        .iter()
        .filter(|r| r.side == joincheck::event::Side::Left)
        .count();
    assert!((900..=1100).contains(&lefts), "{lefts} impressions of 2000 records");
    let start = joincheck::time::EventTime::parse_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .as_millis();
    assert!(records.iter().all(|r| r.ts.as_millis() >= start));
    // The same seed gives the same trace.
    assert_eq!(steps, w.steps(7, 2000).collect::<Vec<_>>());
    for bad in [
        "right_arrival = { median = \"3m\" }",
        "right_arrival = { median = \"3m\", p99 = \"1m\" }",
        "click_through = 2",
        "left_arrival = { uniform = \"-1m\" }",
        "bogus = 1",
    ] {
        let text = seed_with_late_clicks("10m").replace("right_arrival = { median = \"3m\", p99 = \"40m\" }", bad);
        let err = JoinSpec::parse(&text, "w.toml", "w").expect_err(bad);
        let key = bad.split(' ').next().unwrap();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

/// A user's Spark left outer join whose watermarks follow the faster input (`policy = "max"`)
/// while clicks arrive minutes late: every property holds against the model's own rules, and
/// about half of the true matches are lost to lateness. `check` and `simulate` both say so,
/// as a measure against the ideal join, apart from the verdicts.
#[test]
fn lateness_losses_show_against_the_ideal_join_where_the_verdicts_are_green() {
    use crate::support::joincheck;
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sim/user-left-outer-max.toml");
    let dir = crate::support::TempDir::new("user-left-outer-max");
    let check = joincheck([
        "check".as_ref(),
        "--json".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
        model.as_os_str(),
    ]);
    assert_eq!(check.code, Some(0), "{check:?}");
    let report: serde_json::Value = serde_json::from_str(check.stdout.lines().next().unwrap()).unwrap();
    let lost = |v: &serde_json::Value| {
        v["ideal_join"]["late"]["right"].as_u64().unwrap() as f64 / v["ideal_join"]["ideal"].as_u64().unwrap() as f64
    };
    let no_lost_match = report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["property"] == "no_lost_match")
        .unwrap();
    assert_eq!(no_lost_match["verdict"], "holds");
    let measured = &report["workload_loss"];
    assert!((0.3..0.7).contains(&lost(measured)), "check: {measured}");
    let sim = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--records".as_ref(),
        "200000".as_ref(),
        "--json".as_ref(),
    ]);
    let sim: serde_json::Value = serde_json::from_str(&sim.stdout).unwrap();
    assert!((0.3..0.7).contains(&lost(&sim)), "simulate: {sim}");
    assert_eq!(sim["ideal_join"]["evicted"], 0, "{sim}");
}

/// A simulated 100,000-record trace replays streamed (`replay --stats`) without error, and the
/// summary counts every record; the streamed run agrees with `simulate` on the same records.
#[test]
fn a_100k_record_trace_replays_streamed() {
    use crate::support::{joincheck, TempDir};
    let dir = TempDir::new("replay-100k");
    let trace = dir.path().join("sim.jsonl");
    let model = "models/spark-impressions-clicks-left-outer.toml";
    let sim = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        model.as_ref(),
        "--records".as_ref(),
        "100000".as_ref(),
        "--out".as_ref(),
        trace.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(sim.code, Some(0), "{sim:?}");
    let sim: serde_json::Value = serde_json::from_str(&sim.stdout).unwrap();
    let replay = joincheck([
        "replay".as_ref(),
        "--model".as_ref(),
        model.as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
        "--stats".as_ref(),
    ]);
    assert_eq!(replay.code, Some(0), "{replay:?}");
    assert!(
        replay.stdout.contains("read: 100011 lines, 100000 records"),
        "{}",
        replay.stdout
    );
    let emitted = format!("{} emitted", sim["emitted_matches"]);
    assert!(replay.stdout.contains(&emitted), "{emitted}:\n{}", replay.stdout);
    assert!(
        replay.stdout.contains(&format!("max {};", sim["state"]["max"])),
        "{}",
        replay.stdout
    );
}

#[test]
fn replay_shows_only_the_steps_the_filters_select() {
    use crate::support::joincheck;
    let args = |extra: &[&str]| {
        let mut a = vec![
            "replay",
            "--model",
            "models/reference-impressions-clicks.toml",
            "--trace",
            "models/traces/late.jsonl",
        ];
        a.extend_from_slice(extra);
        joincheck(a)
    };
    let steps = |run: &crate::support::Run| -> Vec<String> {
        run.stdout
            .lines()
            .skip_while(|l| !l.starts_with("step "))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect()
    };
    let all = args(&[]);
    assert_eq!(all.code, Some(0), "{all:?}");
    assert!(steps(&all).len() > 4, "{}", all.stdout);
    let from = args(&["--from", "2", "--to", "3"]);
    assert_eq!(steps(&from), ["2", "3"], "{}", from.stdout);
    let id = args(&["--id", "c3"]);
    assert_eq!(steps(&id), ["4"], "{}", id.stdout);
    let key = args(&["--key", "a", "--from", "2"]);
    assert!(steps(&key).iter().all(|s| s != "0" && s != "1"), "{}", key.stdout);
    // The verdict and the oracle comparison still cover the whole trace.
    assert!(key.stdout.contains("oracle: agree"), "{}", key.stdout);
}

/// Mixtures, a fixed skewed key space, idle periods and empirical arrival delays shape the
/// generated trace, and `--workload` lines override the model's.
#[test]
fn workload_mixtures_keys_idle_periods_and_empirical_delays() {
    let mut spec = model("reference-impressions-clicks.toml");
    joincheck::model::toml::override_workload(
        &mut spec,
        &[
            "click_through = 1".into(),
            "extra_clicks = 0".into(),
            "keys = 5".into(),
            "key_skew = 2".into(),
            "idle = { every = \"10m\", lasting = \"5m\", side = \"right\" }".into(),
            "left_arrival = { mixture = [ { weight = 3, fixed = \"0\" }, { weight = 1, fixed = \"1h\" } ] }".into(),
            "right_arrival = { empirical = \"traces/late.jsonl\" }".into(),
        ],
    )
    .expect("the overrides read");
    let w = Workload::for_spec(&spec);
    let records: Vec<_> = w
        .steps(3, 20_000)
        .filter_map(|s| match s {
            Step::Record(r) => Some(r),
            _ => None,
        })
        .collect();
    let keys: std::collections::BTreeSet<u32> = records.iter().map(|r| r.key.0).collect();
    assert!(keys.len() <= 5, "{keys:?}");
    let key0 = records.iter().filter(|r| r.key.0 == 0).count();
    assert!(
        key0 * 2 > records.len(),
        "Zipf 2 puts most records on the first key: {key0}"
    );
    // No click in the last 5 minutes of any 10.
    let start = w.start_ms;
    assert!(records
        .iter()
        .filter(|r| r.side == joincheck::event::Side::Right)
        .all(|r| (r.ts.as_millis() - start).rem_euclid(600_000) < 300_000));
    let empirical = &w.arrival[1];
    assert!(
        matches!(empirical, joincheck::model::Spread::Empirical(s) if s.len() == 4),
        "{empirical:?}"
    );
    let bad = joincheck::model::toml::override_workload(&mut spec, &["keys = 0".into()]).unwrap_err();
    assert!(bad.to_string().contains("keys"), "{bad}");
}

/// The seed's corrected Flink function (watermarks from the trace) with a workload that states
/// the upstream generator's delay, as `[workload]` text.
fn keyed_fixed_with(workload: &str, horizon: Option<&str>) -> String {
    let model =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/flink-keyed-fixed.toml"))
            .expect("the corrected keyed model");
    let model = match horizon {
        Some(h) => model.replace(
            "bounds = \"[0ms, 24h]\"",
            &format!("bounds = \"[0ms, 24h]\"\nhorizon = \"{h}\""),
        ),
        None => model,
    };
    format!("{model}\n[workload]\n{workload}\n")
}

#[test]
fn trace_watermark_models_get_the_upstream_generators_watermarks_and_clock() {
    let spec = JoinSpec::parse(
        &keyed_fixed_with(
            "watermark_delay = { left = \"1m\", right = \"3m\" }\nwatermark_interval = \"1s\"",
            None,
        ),
        "k.toml",
        "k",
    )
    .expect("the model reads");
    let steps: Vec<Step> = Workload::for_spec(&spec).steps(3, 5000).collect();
    let mut front = [None::<i64>; 2];
    let mut sent = [None::<i64>; 2];
    let (mut ticks, mut last_tick) = (0, i64::MIN);
    let mut after_tick = false;
    for step in &steps {
        match step {
            Step::Record(r) => {
                let f = &mut front[r.side.index()];
                *f = Some(f.map_or(r.ts.as_millis(), |f| f.max(r.ts.as_millis())));
                after_tick = false;
            }
            Step::ProcessingTime(p) => {
                assert!(
                    p.as_millis() >= last_tick.saturating_add(1000),
                    "ticks an interval apart"
                );
                last_tick = p.as_millis();
                ticks += 1;
                after_tick = true;
            }
            Step::Watermark { side: Some(side), ts } => {
                assert!(after_tick, "watermarks come right after a tick");
                let i = side.index();
                let delay = [60_000, 180_000][i];
                // Flink's BoundedOutOfOrdernessWatermarks: max seen - delay - 1, moving on only.
                assert_eq!(ts.time().as_millis(), front[i].expect("a record first") - delay - 1);
                assert!(sent[i].is_none_or(|old| ts.time().as_millis() > old));
                sent[i] = Some(ts.time().as_millis());
            }
            Step::Watermark { side: None, .. } => panic!("the generator emits one watermark per input"),
            _ => {}
        }
    }
    assert!(
        ticks > 10 && sent.iter().all(Option::is_some),
        "{ticks} ticks, {sent:?}"
    );
    // A model with derived watermarks gets neither.
    let derived = Workload::for_spec(&model("spark-impressions-clicks.toml"));
    assert!(derived
        .steps(3, 5000)
        .all(|s| !matches!(s, Step::ProcessingTime(_) | Step::Watermark { .. })));
}

#[test]
fn advise_sweeps_the_horizon_of_a_keyed_flink_function_and_simulate_agrees() {
    use crate::support::{joincheck, TempDir};
    let dir = TempDir::new("advise-horizon");
    let workload = "watermark_delay = \"2m\"\nimpressions_per_sec = 20";
    let model = dir.write("keyed.toml", keyed_fixed_with(workload, None));
    let advise = joincheck([
        "advise".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--records".as_ref(),
        "60000".as_ref(),
        "--horizons".as_ref(),
        "1m,10m,30m,2h,24h".as_ref(),
        "--max-loss".as_ref(),
        "0.5%".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(advise.code, Some(0), "{advise:?}");
    let report: serde_json::Value = serde_json::from_str(&advise.stdout).expect("advise --json is JSON");
    let settings = report["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 5, "{report}");
    // Every setting keeps the generator's delay; shorter horizons lose clicks to eviction.
    assert!(settings.iter().all(|s| s["left_delay"] == "2m"), "{report}");
    let evicted = |s: &serde_json::Value| s["ideal_join"]["evicted"].as_u64().unwrap();
    assert!(evicted(&settings[0]) > evicted(&settings[2]), "{report}");
    assert_eq!(
        evicted(&settings[4]),
        0,
        "the window's own horizon evicts nothing early"
    );
    let advice = &report["advice"];
    let horizon = advice["horizon"].as_str().expect("a horizon is advised");
    let at = settings.iter().position(|s| s["horizon"] == advice["horizon"]).unwrap();
    assert!(
        settings[..at].iter().all(|s| s["lost_share"].as_f64().unwrap() > 0.005),
        "the advice is the smallest horizon within the budget: {report}"
    );
    // simulate with that horizon in the model file reports the same.
    let at_horizon = dir.write("at.toml", keyed_fixed_with(workload, Some(horizon)));
    let sim = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        at_horizon.as_os_str(),
        "--records".as_ref(),
        "60000".as_ref(),
        "--json".as_ref(),
    ]);
    let sim: serde_json::Value = serde_json::from_str(&sim.stdout).expect("simulate --json is JSON");
    assert_eq!(sim["ideal_join"], advice["ideal_join"], "{sim}\n{advice}");
    assert_eq!(sim["state"]["p99"], advice["state"]["p99"]);
}

#[test]
fn a_horizon_belongs_to_the_keyed_flink_functions_only() {
    let spark = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/spark-impressions-clicks.toml"),
    )
    .unwrap()
    .replace("[join]\n", "[join]\nhorizon = \"2h\"\n");
    let err = JoinSpec::parse(&spark, "s.toml", "s").expect_err("Spark has no horizon");
    assert!(err.to_string().contains("join.horizon"), "{err}");
    let keyed = JoinSpec::parse(&keyed_fixed_with("", Some("36h")), "k.toml", "k").expect("the model reads");
    assert_eq!(keyed.params.horizon(), "36h".parse().unwrap());
    // The writer keeps it.
    let again = joincheck::model::toml::read(&joincheck::model::toml::write(&keyed.params), "w.toml", "w").unwrap();
    assert_eq!(again.params, keyed.params);
}

/// Issue 37: one definition of each loss cause. On the same trace, every command that reports
/// the loss of the same outputs against the ideal join gives the same figures, cause by cause:
/// `simulate`, `replay --stats --loss` and `diff` of the engine's outputs, and `oracle --loss`
/// and `diff` of the oracle's.
#[test]
fn every_command_that_reports_loss_counts_its_causes_alike() {
    use crate::support::{joincheck, TempDir};
    let dir = TempDir::new("loss-causes");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sim/user-left-outer-max.toml");
    let trace = dir.path().join("trace.jsonl");
    let sim = joincheck([
        "simulate".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--records".as_ref(),
        "20000".as_ref(),
        "--out".as_ref(),
        trace.as_os_str(),
    ]);
    let with = |args: &[&str]| {
        let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        all.extend([
            "--model".into(),
            model.clone().into(),
            "--trace".into(),
            trace.clone().into(),
        ]);
        joincheck(all)
    };
    let replay = with(&["replay", "--stats", "--loss"]);
    let engine_outputs = dir.write("engine.jsonl", &with(&["replay", "--json"]).stdout);
    let oracle = with(&["oracle", "--loss"]);
    let oracle_outputs = dir.write("oracle.jsonl", &oracle.stdout);
    let diff_of = |actual: &Path| with(&["diff", "--actual", &actual.display().to_string()]);
    let (diff_engine, diff_oracle) = (diff_of(&engine_outputs), diff_of(&oracle_outputs));
    let line = |text: &str, start: &str| -> String {
        text.lines()
            .map(str::trim_start)
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} in {text}"))
            .to_owned()
    };
    for start in ["ideal join:", "ideal null rows:"] {
        let engine = line(&replay.stdout, start);
        assert_eq!(line(&sim.stdout, start), engine, "simulate and replay --stats --loss");
        assert_eq!(line(&diff_engine.stdout, start), engine, "diff of the engine's outputs");
        assert_eq!(
            line(&oracle.stderr, start),
            line(&diff_oracle.stdout, start),
            "oracle --loss and diff of the oracle's outputs"
        );
    }
    // Spark has no end of input: the null rows its engine misses are the ones only the end
    // could give, and every command says so.
    let nulls = line(&replay.stdout, "ideal null rows:");
    assert!(!nulls.contains("never flushed at end of input 0,"), "{nulls}");
    assert!(nulls.contains("otherwise 0)"), "{nulls}");
}

/// Issue 37: `advise` sizes its workload by event time. The orders/shipments join (a two-day
/// window, shipments a median 12h after the order) gets enough event time by default and names
/// a delay within 2× of the long-run answer (12h, from 1,524,864 records at 1 order/s); with
/// too few records for its window it refuses, saying why, instead of advising from 18 rows.
#[test]
fn advise_sizes_its_workload_by_event_time_or_refuses() {
    use crate::support::joincheck;
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sim/orders-shipments.toml");
    let advise = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = ["advise", "--side", "right", "--model"]
            .iter()
            .map(Into::into)
            .collect();
        args.push(model.clone().into());
        args.extend(extra.iter().map(Into::into));
        joincheck(args)
    };
    // A quarter of the orders keeps the run short; the default size still covers 8 days.
    let run = advise(&["--workload", "impressions_per_sec = 0.25"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let advice = run
        .stdout
        .lines()
        .find(|l| l.starts_with("advice: delays 30m / "))
        .expect("advice");
    let delay: joincheck::time::Duration = advice["advice: delays 30m / ".len()..]
        .split(' ')
        .next()
        .and_then(|d| d.parse().ok())
        .expect("a delay");
    let long_run = joincheck::time::Duration::from_millis(12 * 3_600_000);
    assert!(
        delay.as_millis() * 2 >= long_run.as_millis() && delay.as_millis() <= long_run.as_millis() * 2,
        "{advice}"
    );
    assert!(
        run.stdout.contains("size: ") && !run.stdout.contains("WARNING"),
        "{}",
        run.stdout
    );
    // 200,000 records at 20 orders/s are 77 minutes of a two-day window.
    let run = advise(&["--records", "200000"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains("no advice: the ideal join has only 18 rows"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("WARNING: 200000 records, as asked, cover only"),
        "{}",
        run.stdout
    );
}
