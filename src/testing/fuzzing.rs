//! The bodies of the cargo-fuzz targets in `fuzz/` (issue 7), as library functions.
//!
//! Each target in `fuzz/fuzz_targets/` is a one-line call into this module, and
//! `tests/fuzz_replay` runs every committed file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` through the same functions under a plain `cargo test`, so CI
//! replays every crash ever found without a fuzzing toolchain.
//!
//! | target | the bytes are | what must hold |
//! |---|---|---|
//! | [`eviction_vs_oracle`] | choices, decoded into a join and a trace ([`Case::decode`]) | the profile's contract with the oracle ([`check`]) |
//! | [`kafka_vs_oracle`] | the same, for the `kafka-streams` profile ([`LATER_PROFILES`]) | the same |
//! | [`quix_vs_oracle`], [`pathway_vs_oracle`] | the same, for the `quix-streams` and `pathway` profiles, with a knob byte after the join | the same, minus what the knobs break by design |
//! | [`parse_trace`] | a JSON-lines trace | it parses or yields an [`InputError`]; a parsed trace writes and reads back identically and passes [`check`] under fixed models |
//! | [`parse_model`] | a TOML model file | it parses or yields an [`InputError`]; a parsed model renders back to the same join, and its engine runs |
//! | [`protocol_lines`] | output lines against a fixed trace | they parse or yield an [`InputError`]; parsed outputs write and read back identically, and the oracle can diff them |
//!
//! Nothing may panic, and no integer may wrap: the fuzz crate is built with overflow checks
//! and debug assertions (`fuzz/Cargo.toml`, `fuzz/run.sh`), so an overflow, or a broken
//! `debug_assert!` inside an engine, is a crash like any other. Inputs longer than
//! [`MAX_CASE_BYTES`] or [`MAX_TEXT_BYTES`] are rejected (the call returns at once): an input
//! too large to be interesting is not a failure.
//!
//! # Decoding a case
//!
//! The structured target does not fuzz JSON: its bytes are read front to back as a sequence
//! of choices, an exhausted input reads as zeros, so every byte string is a case and a longer
//! one only adds steps. The choices are, in order:
//!
//! 1. the profile (one of [`FUZZED_PROFILES`]; the canary is not among them, see below);
//! 2. the join, inside what the profile's engine implements ([`in_domain`]): join kind, time
//!    bounds (zero-width, exclusive and `i64`-extreme windows included), watermark source,
//!    delays (up to `i64::MAX`), policy and lateness rule; for the tunable later profiles
//!    (`quix-streams`, `pathway`) one more byte: the engine knobs (eviction rule, end of
//!    input, outer-row timing), per-side watermarks and no lateness ([`LATER_PROFILES`]);
//! 3. a *swarm* configuration for this run: which step kinds are switched off, one side
//!    possibly silenced (it sends no records, as an idle input), how the remaining kinds,
//!    sides and keys are weighted, and which sources of event times are used. Swarm testing
//!    finds bugs that a uniform mix of everything hides: a run without watermarks, or with
//!    only clicks, reaches states that a balanced run almost never does;
//! 4. at most [`MAX_STEPS`] steps, each of an enabled kind. Event times come from small values
//!    near 0, the `i64` extremes, an earlier record of the other side shifted by exactly a
//!    window end (± 1 ms), the current watermark (± 1 ms), whole hours, or 64 raw bits;
//!    explicit watermarks and processing times are kept monotone, as the trace format
//!    requires.
//!
//! # What must hold ([`check`])
//!
//! | profile | contract |
//! |---|---|
//! | `reference`, `flink-keyed-fixed` | every invariant holds after every step (so nothing is left after end of input), and the outputs are exactly the oracle's, as a multiset |
//! | `spark` | every row is one the oracle expects, and the only invariants broken are the two that Spark's missing end of input breaks: state kept at quiescence, and null rows never flushed (the `[expect]` of `models/spark-*.toml`) |
//! | `flink-interval`, `flink-sql-interval`, `flink-keyed-ttl`, `kafka-streams` | the invariants that their bundled models expect to hold ([`Contract::Holds`]); the others are their documented defects |
//! | `quix-streams`, `pathway` (and any knobs) | as `reference`, but for the invariants the drawn knobs break by design ([`crate::model::Knobs::breaks`]: an eviction rule other than the bounds, eager null rows without retraction); the outputs equal the oracle's whenever the knobs break nothing |
//! | every profile | the engine's `stored()` and `buffered()` are ascending and name only records it has received, and every output names a record it has received |
//!
//! The Flink profiles model real operators, which break some of these invariants in corners
//! that their bundled models' scopes leave out: before the epoch, at `i64::MAX`, and while a
//! cleanup timer waits for the next watermark. Each such corner is a named [`Deviation`]
//! with a precise condition ([`known_deviation`]); a violation it explains is excused and
//! reported by [`check`], and `tests/fuzz_replay` pins each with the input that found it.
//! Anything else is a failure.
//!
//! The canary must fail this check: `tests/fuzz_replay` decodes the committed corpus and a
//! seeded stream of inputs as canary cases and requires that some are caught. It is not a
//! profile of the fuzz target, which would otherwise stop at its first (expected) crash.

use crate::error::InputError;
use crate::event::{Emitted, Position, RecordId, Side};
pub use crate::model::Deviation;
use crate::model::{
    Bound, Bounds, EndOfInput, Eviction, Fuzz, JoinKind, JoinParams, JoinSpec, Knobs, Lateness, OuterRows, Policy,
    Profile, SpecWatermarks, WatermarkSource, WatermarkSpec, PROFILES,
};
use crate::oracle::Analysis;
use crate::property::Property;
use crate::run::{Finding, Monitor, OuterProblem};
use crate::time::{Duration, EventTime, ProcessingTime, Watermark};
use crate::trace::{Step, Trace};
use std::fmt;
use std::sync::OnceLock;

/// Longest input [`eviction_vs_oracle`] decodes; longer ones are rejected. A case of
/// [`MAX_STEPS`] steps needs well under this.
pub const MAX_CASE_BYTES: usize = 1024;

/// Longest input the parser targets read; longer ones are rejected.
pub const MAX_TEXT_BYTES: usize = 8192;

/// Most steps in a decoded case (the implicit end of input aside). The invariants are
/// evaluated after every step, at a cost quadratic in the records, so this bounds an
/// execution's time.
pub const MAX_STEPS: usize = 32;

/// Most steps of a parsed trace that [`parse_trace`] also runs through engines.
const MAX_RUN_STEPS: usize = 64;

/// The profiles [`eviction_vs_oracle`] draws from, in their frozen places: the profile
/// table's `fuzz` column ([`Fuzz::Shared`]). Every profile of the first waves but the canary;
/// the list is frozen, since its first choice picks the profile by index, so a profile added
/// to it would give every committed input (`fuzz/corpus`, `fuzz/regressions`) another meaning.
/// A later profile gets a target of its own ([`LATER_PROFILES`]).
pub const FUZZED_PROFILES: [Profile; 6] = shared_fuzzed();

/// Profiles added after [`FUZZED_PROFILES`] was frozen, each with a fuzz target of its own
/// that decodes cases of that profile only ([`Fuzz::Own`] in the table), in table order.
///
/// The tunable profiles among them (`quix-streams`, `pathway`: the reference engine under
/// knobs) draw their knobs too ([`Case::decode`]): every eviction rule, end of input and
/// outer-row timing, per-side watermarks and no lateness, each judged by the contract minus
/// what the knobs break by design ([`crate::model::Knobs::breaks`]).
pub const LATER_PROFILES: [(&str, Profile); 3] = own_fuzzed();

/// [`FUZZED_PROFILES`] from the table: each place filled once (a const panic otherwise).
const fn shared_fuzzed() -> [Profile; 6] {
    let mut out = [Profile::Canary; 6];
    let mut filled = [false; 6];
    let mut i = 0;
    while i < PROFILES.len() {
        if let Fuzz::Shared(at) = PROFILES[i].fuzz {
            assert!(
                !filled[at as usize],
                "two profiles in one place of the shared fuzz list"
            );
            out[at as usize] = PROFILES[i].profile;
            filled[at as usize] = true;
        }
        i += 1;
    }
    let mut k = 0;
    while k < filled.len() {
        assert!(filled[k], "a place of the shared fuzz list is empty");
        k += 1;
    }
    out
}

/// [`LATER_PROFILES`] from the table, in its order.
const fn own_fuzzed() -> [(&'static str, Profile); 3] {
    let mut out = [("", Profile::Canary); 3];
    let (mut i, mut n) = (0, 0);
    while i < PROFILES.len() {
        if let Fuzz::Own(target) = PROFILES[i].fuzz {
            out[n] = (target, PROFILES[i].profile);
            n += 1;
        }
        i += 1;
    }
    assert!(n == out.len(), "every profile with a target of its own is listed");
    out
}

/// The `eviction_vs_oracle` target: decodes a [`Case`] and panics, with the case written
/// out as a model and a trace, when it breaks its profile's contract.
pub fn eviction_vs_oracle(data: &[u8]) {
    vs_oracle(data, &FUZZED_PROFILES)
}

/// The `kafka_vs_oracle` target: [`eviction_vs_oracle`] for the `kafka-streams` profile (the
/// profile choice reads no byte; the join, swarm and steps are decoded alike).
pub fn kafka_vs_oracle(data: &[u8]) {
    vs_oracle(data, &[Profile::KafkaStreams])
}

/// The `quix_vs_oracle` target: [`eviction_vs_oracle`] for the `quix-streams` profile, its
/// knobs drawn as well.
pub fn quix_vs_oracle(data: &[u8]) {
    vs_oracle(data, &[Profile::QuixStreams])
}

/// The `pathway_vs_oracle` target: [`eviction_vs_oracle`] for the `pathway` profile, its
/// knobs drawn as well.
pub fn pathway_vs_oracle(data: &[u8]) {
    vs_oracle(data, &[Profile::Pathway])
}

/// The body of the structured targets: a case of one of `profiles` (with one profile, the
/// choice reads no byte), held to its profile's contract.
fn vs_oracle(data: &[u8], profiles: &[Profile]) {
    let Some(case) = Case::decode(data, profiles) else {
        return;
    };
    if let Err(why) = check(&case) {
        panic!("{why}\n\n{case}");
    }
}

/// The `parse_trace` target.
pub fn parse_trace(data: &[u8]) {
    if data.len() > MAX_TEXT_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(data);
    // Line by line, the reader's fast path reads what serde_json reads, or declines.
    for line in text.lines() {
        crate::format::assert_fast_path_agrees(line);
    }
    let trace = match Trace::parse(&text, "fuzz.jsonl") {
        Ok(trace) => trace,
        Err(e) => return well_formed_error(&e, "fuzz.jsonl", &text),
    };
    let written = trace.to_jsonl();
    let again = Trace::parse(&written, "written.jsonl")
        .unwrap_or_else(|e| panic!("a trace joincheck wrote does not read back: {e}\n{written}"));
    assert_eq!(
        again.steps(),
        trace.steps(),
        "the trace changed on a round trip:\n{written}"
    );
    assert_eq!(again.to_jsonl(), written, "the written trace is not stable:\n{written}");
    if trace.steps().len() > MAX_RUN_STEPS {
        return;
    }
    // The text route into the engines: string keys and ids, any `i64` time, steps in any
    // order the format allows.
    for spec in replay_models() {
        if spec.check_trace(&trace, "fuzz.jsonl").is_ok() {
            let case = Case {
                params: spec.params,
                trace: trace.clone(),
            };
            if let Err(why) = check(&case) {
                panic!("{why}\n\n{case}");
            }
        }
    }
}

/// The `parse_model` target.
pub fn parse_model(data: &[u8]) {
    if data.len() > MAX_TEXT_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let spec = match JoinSpec::parse(&text, "fuzz.toml", "fuzz") {
        Ok(spec) => spec,
        Err(e) => return well_formed_error(&e, "fuzz.toml", &text),
    };
    let _ = spec.summary();
    if let Some(scope) = &spec.scope {
        let _ = scope.to_string();
    }
    // The join renders back to a model with the same meaning (durations and windows
    // round-trip exactly, extremes included).
    let rendered = model_toml(&spec.params);
    match JoinSpec::parse(&rendered, "rendered.toml", "rendered") {
        Ok(again) => assert_eq!(
            again.params, spec.params,
            "the join changed on a round trip:\n{rendered}"
        ),
        Err(e) => panic!("a model joincheck rendered does not read back: {e}\n{rendered}"),
    }
    // Every model that reads gives an engine that runs: on a fixed trace its watermark source
    // accepts, and on each of its defects' prefixes.
    let trace = match spec.params.watermark.source {
        WatermarkSource::Derived => &fixed_traces().0,
        WatermarkSource::Trace => &fixed_traces().1,
    };
    if spec.check_trace(trace, "fixed.jsonl").is_ok() {
        let case = Case {
            params: spec.params,
            trace: trace.clone(),
        };
        // The reader rejects what an engine would not run (a Flink model with
        // `policy = "max"`, say), so every model that reads is inside its engine's domain.
        assert!(
            in_domain(&spec.params),
            "a model outside its engine's domain reads:\n{rendered}"
        );
        // The canary is wrong on purpose: only the engine's own contract applies to it,
        // which every run checks after every step (`crate::engine::contract`, a panic).
        if spec.params.profile != Profile::Canary {
            if let Err(why) = check(&case) {
                panic!("{why}\n\n{case}");
            }
        } else {
            crate::run::run(&mut crate::engine::for_spec(&spec), &case.trace);
        }
    }
    for defect in &spec.defects {
        crate::run::run(&mut crate::engine::for_spec(&spec), &defect.prefix);
    }
}

/// The `protocol_lines` target: output lines (what an external implementation writes, and
/// what `joincheck diff --actual` reads) against a fixed trace; and the same lines as a
/// program's answers in `drive` (v1 and v2, step by step and whole-trace), at every point of
/// the trace, through the checks and into a monitored run.
pub fn protocol_lines(data: &[u8]) {
    if data.len() > MAX_TEXT_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let trace = protocol_trace();
    answers(trace, &text);
    let outputs = match trace.parse_outputs(&text, "fuzz-outputs.jsonl") {
        Ok(outputs) => outputs,
        Err(e) => return well_formed_error(&e, "fuzz-outputs.jsonl", &text),
    };
    let written: String = outputs
        .iter()
        .map(|e| trace.output_json(&e.output, e.at) + "\n")
        .collect();
    let again = trace
        .parse_outputs(&written, "written.jsonl")
        .unwrap_or_else(|e| panic!("outputs joincheck wrote do not read back: {e}\n{written}"));
    assert_eq!(again, outputs, "the outputs changed on a round trip:\n{written}");
    // The oracle explains every difference, whatever was emitted, with and without batches.
    for params in [
        protocol_params(JoinKind::FullOuter),
        protocol_params(JoinKind::LeftSemi),
    ] {
        let analysis = Analysis::new(params, trace);
        let diff = analysis.diff(&outputs);
        let by_batch: Vec<Emitted> = analysis
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Position {
                    step: None,
                    batch: Some(0),
                },
            })
            .collect();
        let batched = analysis.diff_with(&by_batch, &outputs);
        for d in diff
            .missing
            .iter()
            .chain(&diff.extra)
            .chain(&batched.missing)
            .chain(&batched.extra)
        {
            let reason = crate::report::words::reason(&analysis, d);
            assert!(!reason.is_empty(), "a difference without a reason: {d:?}");
        }
    }
}

/// `text`'s lines as a program's answers to `trace` in `drive`: whatever they say, the checks
/// refuse them or pass only rows naming records sent by then, and a run replaying what passed
/// (the lines spread over the steps: line `i` answers step `i % steps`) goes through the
/// monitor and the comparison with the profile without a panic.
fn answers(trace: &Trace, text: &str) {
    use crate::external::answer::{parse_answer, records_sent, Answer, Answers, Replay, StepAnswer};
    let steps = trace.steps().len() + usize::from(!trace.ends());
    let mut answers = Answers {
        steps: vec![StepAnswer::default(); steps],
    };
    for (i, line) in text.lines().enumerate() {
        let at = i % steps;
        for sent in [Some(at + 1), None] {
            let (output, step, retract) = match parse_answer(trace, sent, line) {
                Err(_) | Ok(Answer::Blank) => continue,
                Ok(Answer::Row { output, step }) => (output, step, false),
                Ok(Answer::Retract { output, step }) => (output, step, true),
                Ok(Answer::Done(done)) => {
                    if let Some(stored) = &done.stored {
                        let delivered = records_sent(trace, sent.unwrap_or(steps));
                        assert!(
                            stored.windows(2).all(|w| w[0] < w[1]) && stored.iter().all(|id| id.index() < delivered),
                            "done names records not sent, or twice: {line}"
                        );
                    }
                    if sent.is_some() {
                        answers.steps[at].take_done(done);
                    }
                    continue;
                }
            };
            let upto = match sent {
                Some(n) => n,
                None => step.expect("whole-trace rows are tagged") + 1,
            };
            let delivered = records_sent(trace, upto);
            assert!(
                output.records().all(|id| id.index() < delivered),
                "a row naming a record not sent by step {upto} passed: {line}"
            );
            if sent.is_some() {
                let a = &mut answers.steps[at];
                if retract {
                    a.retracted.push(output);
                } else {
                    a.rows.push(output);
                }
            }
        }
    }
    // Retractions of rows that do not stand are refused; what stands replays.
    let rows = match answers.net() {
        Ok(net) => net.rows,
        Err((step, _)) => {
            assert!(step < steps);
            answers.steps.iter().map(|a| a.rows.clone()).collect()
        }
    };
    for kind in [JoinKind::FullOuter, JoinKind::LeftSemi] {
        let params = protocol_params(kind);
        let run = crate::run::monitor_run(&params, Replay::new(&answers, rows.clone()), trace);
        let profile = crate::run::monitor_run(&params, crate::engine::ProfileEngine::new(params), trace);
        let _ = crate::checker::disagreement(&params, trace, &profile, &run, answers.state_checks(), &[]);
    }
}

/// An [`InputError`] from a parser must name the file it was given, render, and point at a
/// line of the text when it names one. (Errors inside a model's defect prefix name the file
/// and the prefix entry.)
fn well_formed_error(e: &InputError, file: &str, text: &str) {
    assert!(e.file.starts_with(file), "the error names another file: {e}");
    assert!(!e.message.is_empty(), "an error without a message");
    if let (Some(line), true) = (e.line, e.file == file) {
        let lines = 1 + text.bytes().filter(|b| *b == b'\n').count();
        assert!((1..=lines).contains(&line), "line {line} of a {lines}-line text: {e}");
    }
    let _ = e.to_string();
}

/// A join and a trace to run it on.
#[derive(Clone, Debug)]
pub struct Case {
    pub params: JoinParams,
    pub trace: Trace,
}

impl Case {
    /// Decodes fuzzer bytes into a case whose profile is one of `profiles` (see the module
    /// doc for the layout). `None` only when the input is longer than [`MAX_CASE_BYTES`];
    /// any shorter byte string is a case.
    pub fn decode(data: &[u8], profiles: &[Profile]) -> Option<Case> {
        if data.len() > MAX_CASE_BYTES || profiles.is_empty() {
            return None;
        }
        let mut input = Choices { data };
        let profile = profiles[input.below(profiles.len())];
        let mut params = decode_params(&mut input, profile);
        // The first wave's inputs keep their meaning: only later profiles read a knob byte.
        if profile.tunable() && !FUZZED_PROFILES.contains(&profile) {
            decode_knobs(&mut input, &mut params);
        }
        assert!(
            in_domain(&params),
            "decoded a join outside the profile's domain: {params:?}"
        );
        let swarm = Swarm::decode(&mut input, &params);
        let trace = decode_trace(&mut input, &swarm, &params);
        Some(Case { params, trace })
    }

    /// Decodes fuzzer bytes into a trace for a join that is given, not decoded: the swarm
    /// configuration and the steps, as `eviction_vs_oracle` makes them (`joincheck bugs` runs
    /// it on seeded random bytes against each mutant).
    pub fn decode_trace_for(data: &[u8], params: &JoinParams) -> Trace {
        let mut input = Choices {
            data: &data[..data.len().min(MAX_CASE_BYTES)],
        };
        let swarm = Swarm::decode(&mut input, params);
        decode_trace(&mut input, &swarm, params)
    }

    /// The case as a model file that [`JoinSpec::parse`] reads back to the same join.
    pub fn model_toml(&self) -> String {
        model_toml(&self.params)
    }
}

impl fmt::Display for Case {
    /// The case as files a person can replay: the model, the trace and the command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", spec_of(self.params).summary())?;
        writeln!(f, "--- case.toml\n{}", self.model_toml())?;
        writeln!(f, "--- case.jsonl\n{}", self.trace.to_jsonl())?;
        write!(f, "replay: joincheck replay --model case.toml --trace case.jsonl")
    }
}

pub use crate::model::Contract;

/// The contract of each profile: its row of the profile table. The lists follow the
/// `[expect]` sections of the bundled models: an invariant a profile's model expects to hold
/// must hold on every fuzzed join of that profile too.
pub fn contract(profile: Profile) -> Contract {
    profile.contract()
}

/// Whether the profile's engine implements `params` as the model states them (the profile
/// table's [`Profile::unsupported`] finds nothing). A model file can say more than an engine
/// models; the model reader rejects what this excludes.
pub fn in_domain(params: &JoinParams) -> bool {
    params.profile.unsupported(params).is_none()
}

/// A violation that a [`Deviation`] explains: the invariant, the first step where it was
/// excused, and the deviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Excused {
    pub property: Property,
    pub step: usize,
    pub deviation: Deviation,
}

/// Runs the case's profile engine over its trace, watches every step with the checker's
/// [`Monitor`], and checks the profile's [`contract`]. `Err` says what broke, in words; `Ok`
/// lists the violations that known deviations explain (each property and deviation once).
pub fn check(case: &Case) -> Result<Vec<Excused>, String> {
    let params = &case.params;
    let trace = &case.trace;
    let profile = params.profile.name();
    let mut engine = crate::engine::for_spec(&spec_of(*params));
    // The run checks the engine contract after every step (`crate::engine::contract`).
    let (emitted, reports) = crate::run::run(&mut engine, trace);
    let contract = contract(params.profile);
    let analysis = Analysis::new(*params, trace);
    // Every invariant the contract names, after every step (not only its first violation).
    let mut monitor = Monitor::new(*params);
    let mut wm = SpecWatermarks::new(&params.watermark);
    let mut excused: Vec<Excused> = Vec::new();
    let mut held = crate::run::Held::new();
    for (i, r) in reports.iter().enumerate() {
        held.apply(r, trace);
        monitor.observe(&r.step, &r.outputs, held.stored(), held.buffered(), r.timers);
        wm.observe(&params.watermark, &r.step);
        let now = wm.join(&params.watermark);
        for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
            let Some(finding) = monitor.finding(p) else {
                continue;
            };
            if allowed(contract, params, p, &finding) {
                continue;
            }
            match known_deviation(&analysis, now, &finding) {
                Some(deviation) => {
                    if !excused.iter().any(|e| e.property == p && e.deviation == deviation) {
                        excused.push(Excused {
                            property: p,
                            step: i,
                            deviation,
                        });
                    }
                }
                None => return Err(format!("{profile}: {p} violated after step {i}: {finding:?}")),
            }
        }
    }
    match contract {
        // With every invariant holding at end of input, the outputs are the oracle's; this
        // says so directly, with the differing rows. After a known deviation (excused above)
        // they differ by the rows it explains.
        Contract::Oracle if excused.is_empty() && !Property::ALL.into_iter().any(|p| params.knobs.breaks(p)) => {
            let diff = analysis.diff(&emitted);
            if !diff.agrees() {
                return Err(format!("{profile}: outputs differ from the oracle: {diff:?}"));
            }
        }
        Contract::SparkEndOfStream => {
            let expected = analysis.expected();
            if let Some(e) = emitted.iter().find(|e| expected.binary_search(&e.output).is_err()) {
                return Err(format!("{profile}: emitted {e:?}, which the oracle does not expect"));
            }
        }
        Contract::Oracle | Contract::Holds(_) => {}
    }
    Ok(excused)
}

/// Whether the profile's `contract`, or a knob of `params` by design, lets `p` be violated
/// as `finding` shows.
fn allowed(contract: Contract, params: &JoinParams, p: Property, finding: &Finding) -> bool {
    let by_contract = match contract {
        Contract::Oracle => false,
        Contract::SparkEndOfStream => matches!(
            (p, finding),
            (Property::NoStateLeak, Finding::Leak { quiescent: true, .. })
                | (
                    Property::OuterExactlyOnce,
                    Finding::Outer {
                        problem: OuterProblem::Missing,
                        ..
                    }
                )
        ),
        Contract::Holds(must) => !must.contains(&p),
    };
    by_contract || params.knobs.breaks(p)
}

/// Which known deviation, if any, explains `finding` for the analysed case, with the join's
/// watermark (by the spec) at `now`.
pub fn known_deviation(analysis: &Analysis<'_>, now: Watermark, finding: &Finding) -> Option<Deviation> {
    let params = analysis.params();
    // The profile row lists the deviations its engine has; each arm is one's condition.
    let has = |d: Deviation| params.profile.deviations().contains(&d);
    let flink = has(Deviation::FlinkMaxWatermark);
    let after_max = |id: RecordId| arrival(analysis, id) == Watermark::MAX;
    match finding {
        // Evicted, or null-padded, while a record at `i64::MAX` could still come.
        Finding::Premature(_)
        | Finding::Outer {
            problem: OuterProblem::TooEarly,
            ..
        } if flink && now == Watermark::MAX => Some(Deviation::FlinkMaxWatermark),
        Finding::Lost { left, right } if flink && (after_max(*left) || right.is_some_and(after_max)) => {
            Some(Deviation::FlinkMaxWatermark)
        }
        Finding::Leak {
            stored,
            quiescent: true,
            ..
        } if flink && stored.iter().all(|id| after_max(*id)) => Some(Deviation::FlinkMaxWatermark),
        Finding::Outer {
            id,
            problem: OuterProblem::Missing,
        } if flink && after_max(*id) => Some(Deviation::FlinkMaxWatermark),
        // Null-padded at `MAX`, then matched by a record that came after.
        Finding::Outer {
            id,
            problem: OuterProblem::HasMatch,
        } if flink && analysis.partners(*id).iter().any(|p| after_max(*p)) => Some(Deviation::FlinkMaxWatermark),
        Finding::Leak {
            stored,
            quiescent: false,
            ..
        } if has(Deviation::FlinkTimerCleanup) => {
            held_by_timers(analysis, now, stored).then_some(Deviation::FlinkTimerCleanup)
        }
        _ if has(Deviation::SparkEqualityKey) && params.bounds.is_equality() => {
            spark_equality_key(analysis, now, finding).then_some(Deviation::SparkEqualityKey)
        }
        Finding::Lost { .. } | Finding::Premature(_) if has(Deviation::FlinkSqlEpoch) => {
            flink_sql_epoch(analysis, finding).then_some(Deviation::FlinkSqlEpoch)
        }
        _ => None,
    }
}

/// The join watermark record `id` met on arrival (`MAX` for records after the end, which
/// never arrive).
fn arrival(analysis: &Analysis<'_>, id: RecordId) -> Watermark {
    analysis.arrival(id).map_or(Watermark::MAX, |(wm, _)| wm)
}

/// The end of the event-time range in which record `id` finds partners.
fn window_end(analysis: &Analysis<'_>, id: RecordId) -> i128 {
    let params = analysis.params();
    params.bounds.partner_range(analysis.trace().record(id)).1
}

/// [`Deviation::FlinkTimerCleanup`]: whether every record of `stored` is still held by its
/// cleanup timer at `now`.
fn held_by_timers(analysis: &Analysis<'_>, now: Watermark, stored: &[RecordId]) -> bool {
    let params = analysis.params();
    let held_by_timer = |id: &RecordId| {
        let r = analysis.trace().record(*id);
        let due = match params.profile {
            // `registerEventTimeTimer(t + max(relUpper, 0))`.
            Profile::FlinkInterval => {
                let rel_upper = match r.side {
                    Side::Left => params.bounds.highest(),
                    Side::Right => -params.bounds.lowest(),
                };
                i128::from(r.ts.as_millis()) + rel_upper.max(0)
            }
            // The corrected function's timer: the first watermark past the last chance.
            _ => window_end(analysis, *id) + 1,
        };
        // Not due yet, or due since arrival with no watermark advance to fire it.
        i128::from(now.as_millis()) < due.min(i128::from(i64::MAX)) || arrival(analysis, *id) == now
    };
    stored.iter().all(held_by_timer)
}

/// [`Deviation::SparkEqualityKey`]: whether `finding` comes of the event time being part of
/// the join key, a right row let go early (a negative offset) or held short of its key
/// predicate at `now` (a positive one).
fn spark_equality_key(analysis: &Analysis<'_>, now: Watermark, finding: &Finding) -> bool {
    let trace = analysis.trace();
    let d = analysis.params().bounds.lowest();
    let right = |id: RecordId| trace.record(id).side == Side::Right;
    // A right row still short of its key predicate `r.ts <= W`.
    let held_by_key = |id: &RecordId| right(*id) && trace.record(*id).ts.as_millis() > now.as_millis();
    let early = match *finding {
        Finding::Premature(id) => right(id),
        Finding::Lost { right: r, .. } => r.is_some(),
        Finding::Outer {
            id,
            problem: OuterProblem::TooEarly | OuterProblem::HasMatch,
        } => right(id),
        _ => false,
    };
    let held = matches!(finding, Finding::Leak { stored, quiescent: false, .. } if stored.iter().all(held_by_key));
    (d < 0 && early) || (d > 0 && held)
}

/// [`Deviation::FlinkSqlEpoch`]: whether a record that `finding` names was never cached or
/// lost its cache: its window ended by the operator time it arrived at, or its key has a row
/// at or before the epoch.
fn flink_sql_epoch(analysis: &Analysis<'_>, finding: &Finding) -> bool {
    let trace = analysis.trace();
    let uncached = |id: RecordId| {
        let r = trace.record(id);
        let op_time = i128::from(arrival(analysis, id).as_millis().max(0));
        let epoch_row_of_key = || {
            let same = |o: &&crate::event::Record| o.side == r.side && o.key == r.key;
            trace.records().iter().filter(same).any(|o| o.ts.as_millis() <= 0)
        };
        window_end(analysis, id) <= op_time || epoch_row_of_key()
    };
    match *finding {
        Finding::Lost { left, right } => uncached(left) || right.is_some_and(uncached),
        Finding::Premature(id) => uncached(id),
        _ => false,
    }
}

/// A model with these parameters and nothing else (no scope, no expectations), as
/// [`crate::engine::for_spec`] takes it.
fn spec_of(params: JoinParams) -> JoinSpec {
    JoinSpec::from_params(params)
}

/// The join as a model file (see `models/README.md`).
pub fn model_toml(params: &JoinParams) -> String {
    crate::model::toml::write(params)
}

/// Reads fuzzer bytes as choices, front to back; an exhausted input reads as zeros.
struct Choices<'a> {
    data: &'a [u8],
}

impl Choices<'_> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A number in `0..n` (0 when `n` is 0 or 1, without reading).
    fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => usize::from(self.byte()) % n,
            _ => usize::from(u16::from_le_bytes([self.byte(), self.byte()])) % n,
        }
    }

    fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn i64(&mut self) -> i64 {
        let mut bytes = [0; 8];
        for b in &mut bytes {
            *b = self.byte();
        }
        i64::from_le_bytes(bytes)
    }

    /// An index into `weights`, each chosen in proportion to its weight; `None` when every
    /// weight is 0.
    fn weighted(&mut self, weights: &[u8]) -> Option<usize> {
        let total: usize = weights.iter().map(|w| usize::from(*w)).sum();
        if total == 0 {
            return None;
        }
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = usize::from(*w);
            if pick < w {
                return Some(i);
            }
            pick -= w;
        }
        unreachable!("pick < total")
    }
}

/// The kinds of step a case is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Record,
    Watermark,
    Batch,
    ProcessingTime,
    Snapshot,
    End,
}

const KINDS: [Kind; 6] = [
    Kind::Record,
    Kind::Watermark,
    Kind::Batch,
    Kind::ProcessingTime,
    Kind::Snapshot,
    Kind::End,
];

/// Where a record's event time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeSource {
    /// -3 ..= 13 ms: the neighbourhood of small windows and delays.
    Small,
    /// `i64::MIN`, `i64::MIN + 1`, `i64::MAX - 1`, `i64::MAX`.
    Extreme,
    /// An earlier record of the other side, moved by exactly the window's lowest or highest
    /// offset, ± 1 ms: the pairs that decide off-by-one bugs.
    Partner,
    /// The join watermark now (by the spec), ± 1 ms: the records that decide lateness.
    Watermark,
    /// -3h ..= 3h in whole hours.
    Hours,
    /// Any `i64`.
    Raw,
}

const TIME_SOURCES: [TimeSource; 6] = [
    TimeSource::Small,
    TimeSource::Extreme,
    TimeSource::Partner,
    TimeSource::Watermark,
    TimeSource::Hours,
    TimeSource::Raw,
];

/// One run's mix of steps and values (swarm testing: each run switches some features off and
/// skews the rest, so that runs differ from each other more than steps within a run do).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Swarm {
    /// Weight per step kind (indexed like `KINDS`); 0 switches a kind off.
    kinds: [u8; 6],
    /// Weight per time source (indexed like `TIME_SOURCES`); at least one is on.
    times: [u8; 6],
    /// A side that sends no records in this run.
    silent: Option<Side>,
    /// Out of 256: how often a record is a left one (when neither side is silent).
    left_share: u8,
    /// How many distinct keys records use (1 to 3).
    keys: usize,
    /// Left and right records share id names (`"1"` on both sides), which the format allows.
    shared_names: bool,
}

impl Swarm {
    fn decode(input: &mut Choices<'_>, params: &JoinParams) -> Swarm {
        let enabled = input.byte();
        let mut kinds = [0; 6];
        for (i, kind) in KINDS.iter().enumerate() {
            // Records are always on: without them there is nothing to join.
            let on = *kind == Kind::Record || enabled & (1 << i) != 0;
            let weight = 1 + input.byte() % 8;
            kinds[i] = if on { weight } else { 0 };
        }
        // End of input ends the run, so it stays rare.
        kinds[5] = kinds[5].min(1);
        // Explicit watermarks only where the join reads them (elsewhere they are bad input).
        if params.watermark.source == WatermarkSource::Derived {
            kinds[1] = 0;
        }
        let enabled = input.byte();
        let mut times = [0; 6];
        for (i, t) in times.iter_mut().enumerate() {
            let weight = 1 + input.byte() % 8;
            *t = if enabled & (1 << i) != 0 { weight } else { 0 };
        }
        if times.iter().all(|w| *w == 0) {
            times[0] = 1;
        }
        let silent = match input.byte() % 6 {
            0 => Some(Side::Left),
            1 => Some(Side::Right),
            _ => None,
        };
        Swarm {
            kinds,
            times,
            silent,
            left_share: input.byte(),
            keys: 1 + input.below(3),
            shared_names: input.byte() % 4 == 0,
        }
    }

    /// The side of the next record: the one that is not silent, or one drawn by the left share.
    fn record_side(&self, input: &mut Choices<'_>) -> Side {
        match self.silent {
            Some(silent) => silent.other(),
            None if input.byte() < self.left_share => Side::Left,
            None => Side::Right,
        }
    }

    /// The source of the next event time, drawn by the time sources' weights.
    fn time_source(&self, input: &mut Choices<'_>) -> TimeSource {
        input
            .weighted(&self.times)
            .map_or(TimeSource::Small, |i| TIME_SOURCES[i])
    }
}

/// A duration for a window end: small, extreme, or raw.
fn decode_offset(input: &mut Choices<'_>) -> i64 {
    match input.byte() % 8 {
        0..=4 => input.below(10) as i64 - 3,
        5 => [i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX][input.below(4)],
        6 => (input.below(7) as i64 - 3) * 3_600_000,
        _ => input.i64(),
    }
}

/// A watermark delay: small, an hour, the largest, or any non-negative value.
fn decode_delay(input: &mut Choices<'_>) -> Duration {
    Duration::from_millis(match input.byte() % 8 {
        0..=4 => input.below(4) as i64,
        5 => 3_600_000,
        6 => i64::MAX,
        _ => input.i64() & i64::MAX,
    })
}

/// The join, inside the profile's domain ([`in_domain`]).
fn decode_params(input: &mut Choices<'_>, profile: Profile) -> JoinParams {
    let kinds = profile.kinds();
    let kind = kinds[input.below(kinds.len())];
    let bounds = decode_bounds(input, profile);
    let source = match profile.required_source() {
        Some(source) => source,
        None if input.bool() => WatermarkSource::Trace,
        None => WatermarkSource::Derived,
    };
    let delay = [decode_delay(input), decode_delay(input)];
    let (policy, lateness) = decode_rules(input, profile);
    let mut params = JoinParams {
        profile,
        kind,
        bounds,
        watermark: WatermarkSpec {
            source,
            delay,
            policy,
            lateness,
            timing: profile.timing(),
        },
        horizon: None,
        grace: None,
        knobs: profile.default_knobs(),
        removed: crate::model::Removed::NONE,
    };
    if profile.takes_grace() {
        // The grace is drawn like a delay.
        params.grace = Some(decode_delay(input).min(Duration::from_millis(1 << 61)));
    }
    // The watermark rule is the one the join implies, where the engine states none.
    if let Some(Ok(implied)) = profile.implied_watermark(&params) {
        params.watermark = implied;
    }
    params
}

/// The join's time bounds, within the profile's time range: zero-width, exclusive and
/// `i64`-extreme windows included, and an equality where the profile has one.
fn decode_bounds(input: &mut Choices<'_>, profile: Profile) -> Bounds {
    let clamp = |ms: i64| match profile.time_range() {
        Some(range) => ms.clamp(*range.start(), *range.end()),
        None => ms,
    };
    let lower_at = clamp(decode_offset(input));
    let shape = input.byte();
    let upper_at = match shape % 4 {
        // A zero-width window, or one offset wide with one exclusive end.
        0 => lower_at,
        1 => clamp(lower_at.saturating_add(1)),
        _ => clamp(decode_offset(input)),
    };
    let lower = Bound {
        at: Duration::from_millis(lower_at.min(upper_at)),
        inclusive: shape & 4 == 0,
    };
    let upper = Bound {
        at: Duration::from_millis(lower_at.max(upper_at)),
        inclusive: shape & 8 == 0,
    };
    // A window that holds no offset is not a join (the model reader rejects it): close it.
    let bounds = Bounds::new(lower, upper).unwrap_or_else(|| {
        Bounds::closed(lower.at, lower.at).expect("a closed zero-width window holds its one offset")
    });
    // A zero-width window stated as an equality, where the profile has one (Spark plans it
    // as a join key and evicts by it).
    if shape % 4 == 0 && shape & 16 != 0 && !profile.is_flink() {
        Bounds::equal(lower.at)
    } else {
        bounds
    }
}

/// The watermark policy and lateness rule: drawn from one byte where the profile leaves them
/// free, the profile's own otherwise.
fn decode_rules(input: &mut Choices<'_>, profile: Profile) -> (Policy, Lateness) {
    let free = profile.rules_free();
    let rules = input.byte();
    let policy = if free && rules & 1 == 1 {
        Policy::Max
    } else if free {
        Policy::Min
    } else {
        profile.default_policy()
    };
    let lateness = if free && rules & 2 == 2 {
        Lateness::NonStrict
    } else if free {
        Lateness::Strict
    } else {
        profile.default_lateness()
    };
    (policy, lateness)
}

/// One byte of knobs for a tunable profile: the eviction rule, end of input, outer-row
/// timing, per-side watermarks and no lateness, each value of each.
fn decode_knobs(input: &mut Choices<'_>, params: &mut JoinParams) {
    let byte = input.byte();
    params.knobs = Knobs {
        eviction: Eviction::ALL[usize::from(byte & 3) % 3].1,
        end_of_input: EndOfInput::ALL[usize::from(byte >> 2 & 1)].1,
        outer_rows: OuterRows::ALL[usize::from(byte >> 3 & 3) % 3].1,
    };
    let w = &mut params.watermark;
    w.policy = if byte & 32 != 0 {
        Policy::PerSide
    } else {
        params.profile.default_policy()
    };
    w.lateness = match (byte >> 6) & 3 {
        0 => params.profile.default_lateness(),
        1 => Lateness::Off,
        2 => Lateness::Strict,
        _ => Lateness::NonStrict,
    };
    // Per-key expiry needs a key's newest record, which a semi join lets go of.
    if params.profile.unsupported(params).is_some() {
        params.knobs.eviction = Eviction::Bounds;
    }
}

const KEYS: [&str; 3] = ["a", "b", "c"];

/// The steps, as the swarm configuration mixes them.
fn decode_trace(input: &mut Choices<'_>, swarm: &Swarm, params: &JoinParams) -> Trace {
    let range = params.profile.record_times().map(|(r, _)| r);
    let clamp = |ms: i64| match &range {
        Some(range) => ms.clamp(*range.start(), *range.end()),
        None => ms,
    };
    let mut trace = Trace::new();
    let mut wm = SpecWatermarks::new(&params.watermark);
    let mut explicit: [Option<Watermark>; 2] = [None, None];
    let mut clock: Option<ProcessingTime> = None;
    let mut count = [0usize; 2];
    while !input.is_empty() && trace.steps().len() < MAX_STEPS {
        let Some(kind) = input.weighted(&swarm.kinds).map(|i| KINDS[i]) else {
            break;
        };
        let step = match kind {
            Kind::Record => {
                let side = swarm.record_side(input);
                let key = KEYS[input.below(swarm.keys)];
                let source = swarm.time_source(input);
                let ts = clamp(decode_time(input, source, side, &trace, params, &wm));
                count[side.index()] += 1;
                let id = record_name(swarm.shared_names, side, count[side.index()]);
                trace.push_record(side, key, ts, &id);
                *trace.steps().last().expect("just pushed")
            }
            Kind::Watermark => {
                let side = match input.byte() % 3 {
                    0 => None,
                    1 => Some(Side::Left),
                    _ => Some(Side::Right),
                };
                let source = swarm.time_source(input);
                let at = decode_time(input, source, side.unwrap_or(Side::Left), &trace, params, &wm);
                let ts = monotone(&mut explicit, side, Watermark::at(EventTime::from_millis(at)));
                Step::Watermark { side, ts }
            }
            Kind::Batch => Step::Batch,
            Kind::ProcessingTime => {
                let next = match clock {
                    None => {
                        let source = swarm.time_source(input);
                        decode_time(input, source, Side::Left, &trace, params, &wm)
                    }
                    Some(now) => now.as_millis().saturating_add(decode_advance(input)),
                };
                let next = ProcessingTime::from_millis(next);
                clock = Some(next);
                Step::ProcessingTime(next)
            }
            Kind::Snapshot => Step::Snapshot,
            Kind::End => Step::End,
        };
        if !matches!(step, Step::Record(_)) {
            trace.push(step);
        }
        wm.observe(&params.watermark, &step);
        if step == Step::End {
            break;
        }
    }
    trace
}

/// The name of a record, the `n`th of its side: `"1"` when the sides share names, `"i1"` and
/// `"c1"` otherwise.
fn record_name(shared_names: bool, side: Side, n: usize) -> String {
    match (shared_names, side) {
        (true, _) => n.to_string(),
        (false, Side::Left) => format!("i{n}"),
        (false, Side::Right) => format!("c{n}"),
    }
}

/// The watermark `ts` of the inputs `side` names (`None`: both), raised to each one's latest
/// (monotone per input, as the format requires), which it becomes in `explicit`.
fn monotone(explicit: &mut [Option<Watermark>; 2], side: Option<Side>, ts: Watermark) -> Watermark {
    let mut ts = ts;
    for s in Side::BOTH.into_iter().filter(|s| side.is_none_or(|only| only == *s)) {
        ts = ts.max(explicit[s.index()].unwrap_or(Watermark::MIN));
    }
    for s in Side::BOTH.into_iter().filter(|s| side.is_none_or(|only| only == *s)) {
        explicit[s.index()] = Some(ts);
    }
    ts
}

/// How far the processing-time clock moves: not at all, a little, a day, the most, or any
/// non-negative amount (ms).
fn decode_advance(input: &mut Choices<'_>) -> i64 {
    match input.byte() % 8 {
        0 => 0,
        1..=4 => input.below(100) as i64,
        5 => 86_400_000,
        6 => i64::MAX,
        _ => input.i64() & i64::MAX,
    }
}

/// An event time from `source`, for a record (or watermark) of `side`.
fn decode_time(
    input: &mut Choices<'_>,
    source: TimeSource,
    side: Side,
    trace: &Trace,
    params: &JoinParams,
    wm: &SpecWatermarks,
) -> i64 {
    let saturate = |t: i128| t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    let nudge = |input: &mut Choices<'_>| input.below(3) as i128 - 1;
    match source {
        TimeSource::Small => input.below(17) as i64 - 3,
        TimeSource::Extreme => [i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX][input.below(4)],
        TimeSource::Partner => {
            let others = trace.records().iter().filter(|r| r.side != side).count();
            let Some(partner) = trace
                .records()
                .iter()
                .filter(|r| r.side != side)
                .nth(input.below(others))
            else {
                return input.below(17) as i64 - 3;
            };
            let offset = if input.bool() {
                params.bounds.lowest()
            } else {
                params.bounds.highest()
            };
            let ts = i128::from(partner.ts.as_millis());
            let at = match partner.side {
                Side::Left => ts + offset,
                Side::Right => ts - offset,
            };
            saturate(at + nudge(input))
        }
        TimeSource::Watermark => saturate(i128::from(wm.join(&params.watermark).as_millis()) + nudge(input)),
        TimeSource::Hours => (input.below(7) as i64 - 3) * 3_600_000,
        TimeSource::Raw => input.i64(),
    }
}

/// Models that [`parse_trace`] runs parsed traces through, when the trace suits them.
fn replay_models() -> &'static [JoinSpec] {
    static MODELS: OnceLock<Vec<JoinSpec>> = OnceLock::new();
    MODELS.get_or_init(|| {
        [
            ("reference", "left_outer", "[0ms, 1h]", "trace"),
            ("reference", "full_outer", "(-5ms, 5ms]", "derived"),
            ("spark", "full_outer", "[0ms, 1h]", "derived"),
            ("flink-keyed-fixed", "full_outer", "[0ms, 24h]", "trace"),
        ]
        .iter()
        .map(|(profile, kind, bounds, source)| {
            let text = format!(
                "profile = \"{profile}\"\n[join]\nkind = \"{kind}\"\nbounds = \"{bounds}\"\n\
                 [watermark]\nsource = \"{source}\"\nleft_delay = \"10m\"\nright_delay = \"0ms\"\n"
            );
            JoinSpec::parse(&text, "replay.toml", profile).expect("a fixed model reads")
        })
        .collect()
    })
}

/// Fixed traces that [`parse_model`] runs each parsed model's engine on: one without explicit
/// watermarks (for derived watermarks), one with. Both stay inside Spark's time range.
fn fixed_traces() -> &'static (Trace, Trace) {
    static TRACES: OnceLock<(Trace, Trace)> = OnceLock::new();
    TRACES.get_or_init(|| {
        let records = [
            (Side::Left, "a", 0, "i1"),
            (Side::Right, "a", 3_600_000, "c1"),
            (Side::Right, "a", 1, "c2"),
            (Side::Left, "b", 600_000, "i2"),
            (Side::Right, "b", -1, "c3"),
            (Side::Left, "a", 7_200_000, "i3"),
            (Side::Right, "b", 600_000, "c4"),
        ];
        let mut derived = Trace::new();
        let mut explicit = Trace::new();
        for (i, (side, key, ts, id)) in records.iter().enumerate() {
            derived.push_record(*side, key, *ts, id);
            explicit.push_record(*side, key, *ts, id);
            if i == 2 {
                derived.push(Step::Batch);
                explicit.push(Step::Watermark {
                    side: Some(Side::Left),
                    ts: Watermark::at(EventTime::from_millis(1)),
                });
                explicit.push(Step::ProcessingTime(ProcessingTime::from_millis(86_400_001)));
            }
        }
        explicit.push(Step::Watermark {
            side: None,
            ts: Watermark::at(EventTime::from_millis(3_600_001)),
        });
        explicit.push(Step::Snapshot);
        (derived, explicit)
    })
}

/// The trace that [`protocol_lines`] reads output lines against: ids shared by both sides,
/// keys that need escaping, the `i64` extremes, and a batch marker.
const PROTOCOL_TRACE: &str = r#"{"type":"record","side":"left","key":"a","ts":0,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":1800000,"id":"c1"}
{"type":"record","side":"left","key":"b","ts":-5,"id":"x"}
{"type":"record","side":"right","key":"b","ts":-5,"id":"x"}
{"type":"batch"}
{"type":"record","side":"left","key":"\u00fc \"q\"","ts":9223372036854775807,"id":"i2"}
{"type":"record","side":"right","key":"\u00fc \"q\"","ts":-9223372036854775808,"id":"c2"}
{"type":"record","side":"right","key":"a","ts":3600000,"id":"c3"}
{"type":"end"}
"#;

fn protocol_trace() -> &'static Trace {
    static TRACE: OnceLock<Trace> = OnceLock::new();
    TRACE.get_or_init(|| Trace::parse(PROTOCOL_TRACE, "protocol.jsonl").expect("the fixed trace reads"))
}

fn protocol_params(kind: JoinKind) -> JoinParams {
    JoinParams {
        profile: Profile::Reference,
        kind,
        bounds: Bounds::closed(Duration::ZERO, Duration::from_millis(3_600_000)).expect("a window"),
        watermark: WatermarkSpec {
            source: WatermarkSource::Derived,
            delay: [Duration::from_millis(600_000); 2],
            policy: Policy::Min,
            lateness: Lateness::Strict,
            timing: Profile::Reference.timing(),
        },
        horizon: None,
        grace: None,
        knobs: Knobs::CLEAN,
        removed: crate::model::Removed::NONE,
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    /// The shared target's list is frozen (committed inputs pick a profile by its place), and
    /// it is now read from the profile table: the places must be the ones it always had.
    #[test]
    fn the_fuzz_lists_read_from_the_table_keep_their_frozen_places() {
        assert_eq!(
            FUZZED_PROFILES,
            [
                Profile::Reference,
                Profile::Spark,
                Profile::FlinkInterval,
                Profile::FlinkSqlInterval,
                Profile::FlinkKeyedTtl,
                Profile::FlinkKeyedFixed,
            ]
        );
        assert_eq!(
            LATER_PROFILES,
            [
                ("kafka_vs_oracle", Profile::KafkaStreams),
                ("quix_vs_oracle", Profile::QuixStreams),
                ("pathway_vs_oracle", Profile::Pathway),
            ]
        );
    }
}
