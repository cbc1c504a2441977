//! The fuzz targets on stable, without a fuzzing toolchain: every committed file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the target's body in
//! `joincheck::testing::fuzzing`, so a crash once found stays fixed; and the structured check catches
//! the canary, so the fuzz harness is shown to be able to fail.
//!
//! A new crash: minimize it (`cargo fuzz tmin`, see `fuzz/run.sh`), copy it to
//! `fuzz/regressions/<target>/`, fix the bug, and add a test below that names the file and
//! opens with the root cause.

use joincheck::model::{JoinSpec, Profile};
use joincheck::testing::fuzzing::{self, Case, FUZZED_PROFILES, LATER_PROFILES};
use joincheck::trace::Trace;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

type Body = fn(&[u8]);

const TARGETS: [(&str, Body); 7] = [
    ("eviction_vs_oracle", fuzzing::eviction_vs_oracle),
    ("kafka_vs_oracle", fuzzing::kafka_vs_oracle),
    ("quix_vs_oracle", fuzzing::quix_vs_oracle),
    ("pathway_vs_oracle", fuzzing::pathway_vs_oracle),
    ("parse_trace", fuzzing::parse_trace),
    ("parse_model", fuzzing::parse_model),
    ("protocol_lines", fuzzing::protocol_lines),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    v.sort();
    v
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `body` on every file, returning the files that panicked.
fn replay(body: Body, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter(|path| {
            let data = read(path);
            std::panic::catch_unwind(|| body(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect()
}

#[test]
fn fuzz_replay_every_corpus_file_and_crash() {
    let mut failed = Vec::new();
    for (target, body) in TARGETS {
        let corpus = files(&root().join("fuzz/corpus").join(target));
        // A few dozen seeds per target; an empty directory would make this test vacuous.
        assert!(corpus.len() >= 10, "fuzz/corpus/{target} has {} files", corpus.len());
        let regressions = files(&root().join("fuzz/regressions").join(target));
        failed.extend(replay(body, &corpus));
        failed.extend(replay(body, &regressions));
    }
    assert!(
        failed.is_empty(),
        "these inputs fail (the panics are printed above): {failed:#?}"
    );
}

#[test]
fn fuzz_replay_bundled_models_and_traces() {
    // The bundled files seed the parser corpora; replaying them from models/ directly keeps
    // the test in step with models that are added later.
    let models: Vec<PathBuf> = files(&root().join("models"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    let traces: Vec<PathBuf> = files(&root().join("models/traces"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert!(!models.is_empty() && !traces.is_empty());
    let mut failed = replay(fuzzing::parse_model, &models);
    failed.extend(replay(fuzzing::parse_trace, &traces));
    assert!(
        failed.is_empty(),
        "these files fail (the panics are printed above): {failed:#?}"
    );
}

#[test]
fn fuzz_corpus_covers_every_profile_and_join_kind() {
    // The structured corpus is only worth replaying if it reaches every profile and every
    // join kind each has.
    let mut missing = Vec::new();
    let mut cases: Vec<Case> = files(&root().join("fuzz/corpus/eviction_vs_oracle"))
        .iter()
        .filter_map(|p| Case::decode(&read(p), &FUZZED_PROFILES))
        .collect();
    for (target, profile) in LATER_PROFILES {
        cases.extend(
            files(&root().join("fuzz/corpus").join(target))
                .iter()
                .filter_map(|p| Case::decode(&read(p), &[profile])),
        );
    }
    for profile in FUZZED_PROFILES.into_iter().chain(LATER_PROFILES.map(|(_, p)| p)) {
        for kind in profile.kinds() {
            if !cases
                .iter()
                .any(|c| c.params.profile == profile && c.params.kind == *kind)
            {
                missing.push(format!("{} {}", profile.name(), kind.name()));
            }
        }
    }
    assert!(missing.is_empty(), "no corpus case for: {missing:?}");
}

#[test]
fn fuzz_cases_render_as_files_that_read_back() {
    // A failing case is reported as a model and a trace for `joincheck replay`: both must read
    // back to exactly the case that failed.
    let structured = std::iter::once(("eviction_vs_oracle", &FUZZED_PROFILES[..])).chain(
        LATER_PROFILES
            .iter()
            .map(|(target, p)| (*target, std::slice::from_ref(p))),
    );
    for (target, profiles) in structured {
        for path in files(&root().join("fuzz/corpus").join(target)) {
            read_back(&path, profiles);
        }
    }
}

/// The case of the file at `path` reads back from its model and trace files.
fn read_back(path: &Path, profiles: &[Profile]) {
    let case = Case::decode(&read(path), profiles).expect("corpus files are within the size cap");
    let spec = JoinSpec::parse(&case.model_toml(), "case.toml", "case")
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), case.model_toml()));
    assert_eq!(spec.params, case.params, "{}", path.display());
    let trace = Trace::parse(&case.trace.to_jsonl(), "case.jsonl").expect("a written trace reads");
    assert_eq!(trace.steps(), case.trace.steps(), "{}", path.display());
    spec.check_trace(&trace, "case.jsonl")
        .unwrap_or_else(|e| panic!("{}: the model rejects its own trace: {e}", path.display()));
}

const DEFAULT_SEED: u64 = 0x6675_7a7a_6361_6e31;

/// The run's seed: `JOINCHECK_SEED` or the default.
fn seed() -> u64 {
    std::env::var("JOINCHECK_SEED").map_or(DEFAULT_SEED, |s| {
        s.parse()
            .unwrap_or_else(|_| panic!("JOINCHECK_SEED={s:?} is not a u64"))
    })
}

#[test]
fn fuzz_canary_is_caught() {
    // The canary (the reference engine, dropping pairs exactly on the upper bound) must fail
    // the very check the fuzz target applies; otherwise the target could not fail either.
    // First the committed corpus, decoded as canary cases, then seeded random inputs.
    let canary = [Profile::Canary];
    let corpus = files(&root().join("fuzz/corpus/eviction_vs_oracle"));
    let caught_in_corpus = corpus
        .iter()
        .filter_map(|p| Case::decode(&read(p), &canary))
        .filter(|case| fuzzing::check(case).is_err())
        .count();
    assert!(caught_in_corpus > 0, "no corpus case catches the canary");

    let seed = seed();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut first = None;
    for n in 0..2_000 {
        let mut data = vec![0u8; (rng.next_u32() % 200) as usize];
        rng.fill_bytes(&mut data);
        let case = Case::decode(&data, &canary).expect("under the size cap");
        if let Err(why) = fuzzing::check(&case) {
            first = Some((n, why));
            break;
        }
    }
    let (n, why) =
        first.unwrap_or_else(|| panic!("seed {seed}: 2,000 random inputs pass the canary: the harness is blind"));
    assert!(
        why.contains("differ from the oracle") || why.contains("no_lost_match"),
        "seed {seed}, input {n}: caught for another reason: {why}"
    );
}

/// The case a committed crash file of `eviction_vs_oracle` decodes to.
fn regression(name: &str) -> Case {
    let path = root().join("fuzz/regressions/eviction_vs_oracle").join(name);
    Case::decode(&read(&path), &FUZZED_PROFILES).expect("under the size cap")
}

/// A case from a model file's text and a trace's.
fn case(model: &str, trace: &str) -> Case {
    let spec = JoinSpec::parse(model, "case.toml", "case").expect("the model reads");
    let trace = Trace::parse(trace, "case.jsonl").expect("the trace reads");
    spec.check_trace(&trace, "case.jsonl")
        .expect("the model accepts the trace");
    Case {
        params: spec.params,
        trace,
    }
}

#[test]
fn fuzz_flink_interval_removes_elements_whose_cleanup_time_passes_i64() {
    // Root cause: the interval join registers its cleanup timer at `ts + relUpper` saturated
    // at i64::MAX, and computed the bucket to remove back from the saturated time, so an
    // element whose cleanup time lay past the end of i64 was never removed, not even at end
    // of input. Found by eviction_vs_oracle:
    // fuzz/regressions/eviction_vs_oracle/flink-interval-clamped-timer-leak (a click at 10 ms
    // with a window of exactly -(2^63 - 1) ms: relUpper = 2^63 - 1).
    use joincheck::engine::IntervalJoinEngine;
    use joincheck::run::run;
    let found = regression("flink-interval-clamped-timer-leak");
    let (_, reports) = run(&mut IntervalJoinEngine::new(found.params), &found.trace);
    assert_eq!(
        reports.last().map(|r| r.stored_len),
        Some(0),
        "state left at end of input"
    );
    fuzzing::check(&found).expect("the case holds its contract");
    // Several elements of one key whose timers all saturate to MAX share one timer (one per
    // key and time): it must remove every one of them.
    let shared = case(
        "profile = \"flink-interval\"\n[join]\nkind = \"inner\"\nbounds = \"[0ms, 5ms]\"\n\
         [watermark]\nsource = \"trace\"\n",
        "{\"type\":\"record\",\"side\":\"left\",\"key\":\"a\",\"ts\":9223372036854775806,\"id\":\"i1\"}\n\
         {\"type\":\"record\",\"side\":\"left\",\"key\":\"a\",\"ts\":9223372036854775804,\"id\":\"i2\"}\n\
         {\"type\":\"record\",\"side\":\"right\",\"key\":\"a\",\"ts\":9223372036854775807,\"id\":\"c1\"}\n",
    );
    let (emitted, reports) = run(&mut IntervalJoinEngine::new(shared.params), &shared.trace);
    assert_eq!(emitted.len(), 2, "both impressions join the click");
    assert_eq!(
        reports.last().map(|r| r.stored_len),
        Some(0),
        "state left at end of input"
    );
    assert_eq!(fuzzing::check(&shared), Ok(vec![]));
}

#[test]
fn fuzz_parse_model_holds_the_canary_to_the_engine_contract_only() {
    // Root cause (in the harness): parse_model held every model's engine to its profile's
    // contract, the canary's included, whose contract it breaks on purpose. Found by
    // parse_model: fuzz/regressions/parse_model/canary-model-held-to-the-oracle. The same fixed
    // trace does catch the canary when it is checked as such.
    let path = root().join("fuzz/regressions/parse_model/canary-model-held-to-the-oracle");
    let text = String::from_utf8(read(&path)).expect("a model is text");
    fuzzing::parse_model(text.as_bytes());
    // Its bare numbers ("1") are now refused (a duration needs its unit); with the units the
    // fuzzer meant, it is the canary model again, which must be held to the engine contract.
    let text = text.replace("0,1]", "0,1ms]").replace("=\"1\"", "=\"1ms\"");
    fuzzing::parse_model(text.as_bytes());
    let spec = JoinSpec::parse(&text, "canary.toml", "canary").expect("the model reads");
    assert_eq!(spec.params.profile, Profile::Canary);
}

/// The known deviations, each with the input that first showed it (and, where the first was
/// at the `i64` extremes, an everyday one): the monitor finds the violation, and the
/// deviation is what excuses it (`check` lists only violations it excused). When an engine changes so that one no longer occurs, remove
/// the deviation from `joincheck::testing::fuzzing` rather than this row.
#[test]
fn fuzz_known_deviations_still_occur_and_are_excused() {
    use joincheck::property::Property::*;
    use joincheck::testing::fuzzing::Deviation::*;
    let found = [
        ("flink-interval-dead-on-arrival-leak", NoStateLeak, FlinkTimerCleanup),
        ("flink-keyed-fixed-dead-on-arrival-leak", NoStateLeak, FlinkTimerCleanup),
        ("flink-sql-epoch-premature", NoPrematureEviction, FlinkSqlEpoch),
        (
            "flink-sql-key-cache-dropped-at-epoch",
            NoPrematureEviction,
            FlinkSqlEpoch,
        ),
        (
            "flink-interval-record-after-max-watermark",
            NoStateLeak,
            FlinkMaxWatermark,
        ),
        (
            "flink-keyed-fixed-record-after-max-watermark",
            NoStateLeak,
            FlinkMaxWatermark,
        ),
        (
            "flink-sql-row-after-max-watermark",
            NoPrematureEviction,
            FlinkMaxWatermark,
        ),
        (
            "flink-keyed-fixed-no-null-row-after-max-watermark",
            OuterExactlyOnce,
            FlinkMaxWatermark,
        ),
        (
            "flink-keyed-fixed-null-row-at-max-watermark",
            OuterExactlyOnce,
            FlinkMaxWatermark,
        ),
        (
            "flink-keyed-fixed-match-after-null-row-at-max",
            OuterExactlyOnce,
            FlinkMaxWatermark,
        ),
    ];
    let mut cases: Vec<(String, Case, _, _)> = found
        .into_iter()
        .map(|(name, p, d)| (name.to_owned(), regression(name), p, d))
        .collect();
    // Flink SQL: a click at the epoch is never cached (its window ends at operator time 0), so
    // the impression at the epoch that comes next finds nothing to join.
    let sql = "profile = \"flink-sql-interval\"\n[join]\nkind = \"inner\"\nbounds = \"[0ms, 1h]\"\n\
               [watermark]\nsource = \"derived\"\nleft_delay = \"10m\"\nright_delay = \"10m\"\n";
    let epoch = "{\"type\":\"record\",\"side\":\"right\",\"key\":\"a\",\"ts\":0,\"id\":\"c1\"}\n\
                 {\"type\":\"record\",\"side\":\"left\",\"key\":\"a\",\"ts\":0,\"id\":\"i1\"}\n";
    cases.push((
        "sql click at the epoch".into(),
        case(sql, epoch),
        NoLostMatch,
        FlinkSqlEpoch,
    ));
    // The corrected keyed function: an impression whose window [95, 100] ms lies behind the
    // watermark (110) is buffered with a cleanup timer already due, until the next watermark.
    let fixed = "profile = \"flink-keyed-fixed\"\n[join]\nkind = \"inner\"\nbounds = \"[-15ms, -10ms]\"\n\
                 [watermark]\nsource = \"trace\"\n";
    let behind = "{\"type\":\"watermark\",\"ts\":110}\n\
                  {\"type\":\"record\",\"side\":\"left\",\"key\":\"a\",\"ts\":110,\"id\":\"i1\"}\n\
                  {\"type\":\"watermark\",\"ts\":111}\n";
    cases.push((
        "keyed window behind the watermark".into(),
        case(fixed, behind),
        NoStateLeak,
        FlinkTimerCleanup,
    ));
    // Spark with a time equality evicts a click once `clickTime <= W` (the event time is part
    // of the join key). For `clickTime = impressionTime - interval 5 minutes`, the click at
    // 30m goes at W = 30m while its impression at 35m is still on time; real Spark 4.3.0 lost
    // this match (fixtures/joins/equality-negative/*.jsonl, trace edge-right-partner-after-steps).
    let equality = |offset: &str| {
        format!(
            "profile = \"spark\"\n[join]\nkind = \"inner\"\nbounds = \"= {offset}\"\n[watermark]\n\
             source = \"derived\"\nleft_delay = \"10m\"\nright_delay = \"10m\"\nlateness = \"ts <= wm\"\n"
        )
    };
    let record = |side: &str, key: &str, ts: &str, id: &str| {
        let ms = ts.parse::<joincheck::time::Duration>().expect("a duration").as_millis();
        format!("{{\"type\":\"record\",\"side\":\"{side}\",\"key\":\"{key}\",\"ts\":{ms},\"id\":\"{id}\"}}\n")
    };
    let batch = "{\"type\":\"batch\"}\n";
    let moved_to = |w: &str, n: u8| {
        let ts = format!(
            "{}ms",
            w.parse::<joincheck::time::Duration>().unwrap().as_millis() + 600_000
        );
        record("left", "z", &ts, &format!("i{n}")) + &record("right", "z", &ts, &format!("c{n}")) + batch
    };
    let evicted_early =
        record("right", "a", "30m", "c1") + batch + &moved_to("30m", 2) + &record("left", "a", "35m", "i1") + batch;
    cases.push((
        "spark equality -5m: click evicted before its impression".into(),
        case(&equality("-5m"), &evicted_early),
        NoPrematureEviction,
        SparkEqualityKey,
    ));
    cases.push((
        "spark equality -5m: the match is lost".into(),
        case(&equality("-5m"), &evicted_early),
        NoLostMatch,
        SparkEqualityKey,
    ));
    // For `+ interval 5 minutes`, a click at 30m can match only an impression at 25m, which is
    // late once W = 26m; Spark keeps the click until W = 30m.
    let held_late = record("right", "a", "30m", "c1") + batch + &moved_to("26m", 2);
    cases.push((
        "spark equality +5m: click held past its last chance".into(),
        case(&equality("5m"), &held_late),
        NoStateLeak,
        SparkEqualityKey,
    ));
    for (name, case, property, deviation) in cases {
        let excused = fuzzing::check(&case).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            excused
                .iter()
                .any(|e| e.property == property && e.deviation == deviation),
            "{name}: expected {property} excused by {deviation:?}, got {excused:?}\n{case}"
        );
    }
}

/// Every profile but the canary is fuzzed: a new profile in the profile table needs a target
/// of its own in `LATER_PROFILES` (`FUZZED_PROFILES` is frozen, so that committed inputs keep
/// their meaning), or this fails.
#[test]
fn every_profile_but_the_canary_is_fuzzed() {
    let mut fuzzed: Vec<&str> = FUZZED_PROFILES
        .iter()
        .chain(LATER_PROFILES.iter().map(|(_, p)| p))
        .map(|p| p.name())
        .collect();
    let mut all: Vec<&str> = Profile::all()
        .filter(|p| *p != Profile::Canary)
        .map(|p| p.name())
        .collect();
    fuzzed.sort_unstable();
    all.sort_unstable();
    assert_eq!(fuzzed, all);
}
