//! `differential_judge_*`: the judgement of a whole run (`joincheck::run::monitor_run`, which
//! keeps indexes and looks only at what each step touched) against the monitor evaluated after
//! every step (`monitor_violations`, the definition the model checker uses in every state):
//! the same first violation of every invariant, at the same step, with the same finding.
//!
//! Traces: the first traces of each bundled model's checker scope (every one of up to a few
//! steps), seeded random traces of the scope, and the fuzz decoder's traces on seeded random
//! bytes (extreme times, silenced sides); engines: each model's own, and each mutant of the
//! real-bug benchmark on its model, so that every kind of finding is reached.

use joincheck::checker::enumerate_traces;
use joincheck::engine::Engine;
use joincheck::model::JoinSpec;
use joincheck::run::{monitor_run, monitor_violations};
use joincheck::testing::fuzzing::Case;
use joincheck::trace::Trace;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;

/// The traces each model is judged on: `scope` enumerated ones, then `random` of each kind.
fn traces(spec: &JoinSpec, scope: usize, random: usize, seed: u64) -> Vec<Trace> {
    let mut all = Vec::new();
    if spec.scope.is_some() {
        enumerate_traces(spec, &mut |t| {
            all.push(t);
            all.len() < scope
        })
        .expect("the scope enumerates");
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    if spec.scope.is_some() {
        all.extend((0..random).map(|_| joincheck::sim::random_trace(spec, &mut rng)));
    }
    let mut bytes = Vec::new();
    for _ in 0..random {
        bytes.resize(64 + (rng.next_u32() % 961) as usize, 0);
        rng.fill_bytes(&mut bytes);
        all.push(Case::decode_trace_for(&bytes, &spec.params));
    }
    all
}

/// Judges `engine` on each trace both ways; returns how many findings of each property agreed.
fn agree<E: Engine + Clone>(spec: &JoinSpec, engine: &E, traces: &[Trace], seen: &mut BTreeMap<String, usize>) {
    for trace in traces {
        let run = monitor_run(&spec.params, engine.clone(), trace);
        let by_monitor = monitor_violations(&spec.params, trace, &run.reports);
        assert_eq!(
            run.violations,
            by_monitor,
            "model {}: the judge and the monitor disagree on\n{}",
            spec.name,
            trace.to_jsonl()
        );
        for (p, _, _) in &run.violations {
            *seen.entry(p.to_string()).or_default() += 1;
        }
    }
}

fn models() -> Vec<JoinSpec> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("models/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| JoinSpec::load(p).expect("bundled model loads"))
        .collect()
}

#[test]
fn differential_judge_matches_the_monitor_on_every_bundled_model() {
    let mut seen = BTreeMap::new();
    for (i, spec) in models().iter().enumerate() {
        let traces = traces(spec, 400, 150, 0x5EED + i as u64);
        agree(
            spec,
            &joincheck::engine::ProfileEngine::new(spec.params),
            &traces,
            &mut seen,
        );
    }
    // Not vacuous: the bundled models' known defects show as findings of these properties.
    for p in [
        "no_lost_match",
        "no_state_leak",
        "outer_exactly_once",
        "lateness_agrees",
    ] {
        assert!(seen.contains_key(p), "no {p} finding among {seen:?}");
    }
}

#[test]
fn differential_judge_matches_the_monitor_on_every_mutant() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut seen = BTreeMap::new();
    for (i, m) in joincheck::testing::mutants::catalogue().iter().enumerate() {
        let mut spec = JoinSpec::load(&models.join(m.model)).expect("mutant's model loads");
        m.prepare(&mut spec);
        let (_, mutant) = m.engines(&spec);
        let traces = traces(&spec, 150, 60, 0xB06 + i as u64);
        agree(&spec, &mutant, &traces, &mut seen);
    }
    // Every invariant is broken somewhere, so every finding kind is compared.
    for p in joincheck::property::Property::ALL.iter().filter(|p| !p.is_witness()) {
        assert!(seen.contains_key(&p.to_string()), "no {p} finding among {seen:?}");
    }
}

/// The timeline of a long run (issue 29): each step's report carried a copy of the state, so
/// `replay` of 100,000 simulated records of the seed's Spark join passed 120 s and 17 GB. Now
/// a report carries what changed and the rows are rebuilt as they are rendered (figures in
/// docs/BENCHMARKS.md; none are asserted here).
#[test]
fn replay_renders_the_timeline_of_a_100000_record_simulated_trace() {
    use crate::support::{joincheck, TempDir};
    let dir = TempDir::new("replay-100k");
    let trace = dir.path().join("sim.jsonl");
    let model = "models/spark-impressions-clicks.toml";
    let path = trace.to_str().expect("a UTF-8 temporary path");
    let sim = joincheck(["simulate", "--model", model, "--records", "100000", "--out", path]);
    assert_eq!(sim.code, Some(0), "simulate: {}", sim.stderr);
    let steps = std::fs::read_to_string(&trace).expect("trace written").lines().count();
    let replay = joincheck(["replay", "--model", model, "--trace", path]);
    assert_eq!(replay.code, Some(0), "replay: {}", replay.stderr);
    // A header, one row per step (and one for the implicit end), then the verdicts.
    let rows = replay
        .stdout
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<usize>().is_ok() || w == "eof")
        })
        .count();
    assert!(rows >= steps, "{rows} timeline rows for {steps} steps");
    assert!(
        replay.stdout.contains("(as the model expects)"),
        "the seed join's leak at end of input is reported"
    );
    assert!(replay.stdout.trim_end().ends_with("verdict: as the model expects"));
}
