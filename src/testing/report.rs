//! The report of `joincheck bugs`: one row per mutant (how fast the checker, the random search
//! and the fuzz decoder caught it), as a table or as one JSON object per mutant.

use super::mutants::{Detection, MutantResult};
use std::fmt::Write as _;

/// The benchmark's targets: caught within this long, with at most this many steps.
const TARGET_SECONDS: f64 = 10.0;
const TARGET_STEPS: usize = 8;

/// Whether the checker caught `r` within the targets.
pub fn within_targets(r: &MutantResult) -> bool {
    r.checker.elapsed.as_secs_f64() <= TARGET_SECONDS && r.checker.steps.is_some_and(|n| n <= TARGET_STEPS)
}

fn search_words(d: &Detection, tried: usize, what: &str) -> String {
    match d.property {
        Some(p) => format!("{p} after {tried} {what}, {:.3}s", d.elapsed.as_secs_f64()),
        None => format!("escaped {tried} {what} ({:.1}s)", d.elapsed.as_secs_f64()),
    }
}

/// One mutant's result as one JSON object.
pub fn json(r: &MutantResult, seed: u64) -> String {
    serde_json::json!({
        "mutant": r.name,
        "recreates": r.recreates,
        "model": r.model,
        "caught": r.checker.property.is_some(),
        "property": r.checker.property.map(|p| p.name()),
        "seconds": r.checker.elapsed.as_secs_f64(),
        "unique_states": r.unique_states,
        "counterexample_steps": r.checker.steps,
        "counterexample": r.counterexample.as_ref().map(|cx| cx.trace.to_jsonl()),
        "within_targets": within_targets(r),
        "random_seed": seed,
        "random_property": r.random.property.map(|p| p.name()),
        "random_traces": r.random_traces,
        "random_seconds": r.random.elapsed.as_secs_f64(),
        "fuzz_property": r.fuzz.property.map(|p| p.name()),
        "fuzz_inputs": r.fuzz_inputs,
        "fuzz_seconds": r.fuzz.elapsed.as_secs_f64(),
    })
    .to_string()
}

/// The results as a table, each mutant's description under its row, then the targets and
/// the verdict.
pub fn text(results: &[MutantResult], seed: u64, random: usize) -> String {
    let mut rows = vec![[
        "mutant".to_owned(),
        "checker".to_owned(),
        "time".to_owned(),
        "steps".to_owned(),
        "random search".to_owned(),
        "fuzz decoder".to_owned(),
    ]];
    let mut descriptions = vec![None];
    for r in results {
        rows.push([
            r.name.to_owned(),
            r.checker
                .property
                .map_or("ESCAPED".to_owned(), |p| format!("caught: {p}")),
            format!("{:.3}s", r.checker.elapsed.as_secs_f64()),
            r.checker.steps.map_or("-".to_owned(), |n| {
                if within_targets(r) {
                    n.to_string()
                } else {
                    format!("{n} (over target)")
                }
            }),
            search_words(&r.random, r.random_traces, "traces"),
            search_words(&r.fuzz, r.fuzz_inputs, "inputs"),
        ]);
        descriptions.push(Some(format!("  {} ({})", r.recreates, r.model)));
    }
    let mut s = String::new();
    for (line, desc) in crate::report::table(&rows).lines().zip(&descriptions) {
        let _ = writeln!(s, "{line}");
        if let Some(desc) = desc {
            let _ = writeln!(s, "{desc}");
        }
    }
    let _ = writeln!(
        s,
        "\ntargets: caught by the checker within {TARGET_SECONDS:.0} s with a counterexample of at most \
         {TARGET_STEPS} steps; random search: seed {seed}, at most {random} traces per mutant, drawn from the \
         model's scope with times around the join's constants; fuzz decoder: eviction_vs_oracle's swarm decoder on seeded random bytes (unguided), at \
         most {random} inputs per mutant"
    );
    let all_caught = results.iter().all(|r| r.checker.property.is_some());
    let _ = writeln!(
        s,
        "{}",
        if all_caught {
            "every mutant caught"
        } else {
            "some mutants escaped the checker"
        }
    );
    s
}
