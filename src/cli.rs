//! The command line: argument parsing and the commands, each returning an [`Outcome`] that
//! `main` maps to an exit code (0 holds/agrees, 1 violated/differs, 2 bad input or usage).

use crate::checker::{self, Verdict};
use crate::engine;
use crate::error::InputError;
use crate::event::{Emitted, Position};
use crate::oracle::Analysis;
use crate::property::{Expected, Property};
use crate::report;
use crate::spec::JoinSpec;
use crate::trace::Trace;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "joincheck",
    version,
    about = "Proves, or refutes with a minimal replayable counterexample, that an event-time \
             stream-stream join loses no valid match and leaks no state.",
    after_help = "Exit status: 0 holds or agrees, 1 a property is violated or outputs differ, \
                  2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Model-check models: every interleaving within each model's scope.
    Check {
        /// Model files (default: every .toml file in models/).
        models: Vec<PathBuf>,
        /// Where counterexample traces are written.
        #[arg(long, default_value = "target/joincheck")]
        out: PathBuf,
        /// Print a machine-readable report (one JSON object per model) instead of tables.
        #[arg(long)]
        json: bool,
        /// Offer every key at every step instead of keys in order of first use.
        #[arg(long)]
        no_symmetry: bool,
        /// Checker threads (counterexample searches always run on one).
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Run the real-bug benchmark: mutant engines recreating known join bugs, and how fast the
    /// checker and a seeded random search catch each.
    Bugs {
        /// Print one JSON object per mutant instead of the table.
        #[arg(long)]
        json: bool,
        /// Seed of the random search.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Random traces per mutant, at most.
        #[arg(long, default_value_t = 10_000)]
        random: usize,
        /// Where the bundled models are.
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Only the mutants whose name contains this.
        #[arg(long)]
        only: Option<String>,
    },
    /// Check an external implementation over the JSON-lines protocol (docs/PROTOCOL.md): every
    /// trace the model's scope enumerates, then seeded random traces.
    Drive {
        #[arg(long)]
        model: PathBuf,
        /// Seeded random traces after the enumerated ones.
        #[arg(long, default_value_t = 0)]
        random: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Per-step answer timeout, in milliseconds.
        #[arg(long, default_value_t = 5_000)]
        timeout_ms: u64,
        /// Stop enumerating after this many traces.
        #[arg(long)]
        max_traces: Option<usize>,
        /// Where the shrunk counterexample is written.
        #[arg(long, default_value = "target/joincheck")]
        out: PathBuf,
        /// The program and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Seeded realistic workload (impressions and clicks), the model's engine against a
    /// streaming oracle: lost matches by cause, state size, watermark lag, throughput.
    Simulate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        /// Also write the generated trace (JSON lines).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Draw state size and watermark lag over event time.
        #[arg(long)]
        svg: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print the outputs the oracle expects for a trace, as JSON lines.
    Oracle {
        /// The model file (TOML).
        #[arg(long)]
        model: PathBuf,
        /// The trace (JSON lines).
        #[arg(long)]
        trace: PathBuf,
        /// Read the trace as a stream, holding only the records that can still match (the
        /// default for traces over 64 MiB); rows come in the order the window produces them.
        #[arg(long)]
        stream: bool,
    },
    /// Run the model's engine on a trace and show the timeline, then compare with the oracle.
    Replay {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        trace: PathBuf,
        /// Print the engine's output lines (with "step") instead of the timeline.
        #[arg(long)]
        json: bool,
    },
    /// Compare another implementation's outputs with the oracle's (as multisets).
    Diff {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        trace: PathBuf,
        /// The implementation's outputs (JSON lines).
        #[arg(long)]
        actual: PathBuf,
        /// Stream both files, holding only the live window and the rows not yet balanced (the
        /// default for traces over 64 MiB); differences are named, not explained.
        #[arg(long)]
        stream: bool,
    },
}

/// How a command ended, when its input was good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything holds or agrees: exit 0.
    Holds,
    /// A property is violated or outputs differ: exit 1.
    Violated,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Holds => 0,
            Outcome::Violated => 1,
        }
    }
}

/// Runs one parsed command, writing its report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Outcome, CliError> {
    match cli.command {
        Command::Check {
            models,
            out: dir,
            json,
            no_symmetry,
            threads,
        } => {
            let models = if models.is_empty() {
                bundled_models(Path::new("models"))?
            } else {
                models
            };
            let options = checker::Options {
                symmetry: !no_symmetry,
                only: None,
                threads,
            };
            // Every model is read before any is checked: a bad one stops the run before it
            // prints or writes anything.
            let specs = models
                .iter()
                .map(|p| JoinSpec::load(p))
                .collect::<Result<Vec<_>, _>>()?;
            for spec in &specs {
                spec.checker_scope()?;
            }
            let mut all_as_expected = true;
            for spec in &specs {
                let report = check_one(spec, options.clone())?;
                all_as_expected &= report.as_expected();
                let written = write_counterexamples(spec, &report, &dir)?;
                if json {
                    writeln!(out, "{}", check_json(spec, &report, &written))?;
                } else {
                    write!(out, "{}", check_text(spec, &report, &written))?;
                }
            }
            if !json {
                writeln!(
                    out,
                    "{}",
                    if all_as_expected {
                        format!("all {} models as expected", models.len())
                    } else {
                        "some verdicts differ from what the models expect (marked MISMATCH)".to_owned()
                    }
                )?;
            }
            Ok(if all_as_expected {
                Outcome::Holds
            } else {
                Outcome::Violated
            })
        }
        Command::Bugs {
            json,
            seed,
            random,
            models,
            only,
        } => {
            let mut rows = vec![[
                "mutant".to_owned(),
                "checker".to_owned(),
                "time".to_owned(),
                "steps".to_owned(),
                "random search".to_owned(),
                "fuzz decoder".to_owned(),
            ]];
            let mut all_caught = true;
            for m in crate::mutants::catalogue() {
                if only.as_ref().is_some_and(|o| !m.name.contains(o.as_str())) {
                    continue;
                }
                let r = crate::mutants::run_one(&m, &models, seed, random)?;
                let within = r.checker.elapsed.as_secs_f64() <= 10.0 && r.checker.steps.is_some_and(|n| n <= 8);
                all_caught &= r.checker.property.is_some();
                let search_words = |d: &crate::mutants::Detection, tried: usize, what: &str| match d.property {
                    Some(p) => format!("{p} after {tried} {what}, {:.3}s", d.elapsed.as_secs_f64()),
                    None => format!("escaped {tried} {what} ({:.1}s)", d.elapsed.as_secs_f64()),
                };
                let random_words = search_words(&r.random, r.random_traces, "traces");
                let fuzz_words = search_words(&r.fuzz, r.fuzz_inputs, "inputs");
                if json {
                    let o = serde_json::json!({
                        "mutant": r.name,
                        "recreates": r.recreates,
                        "model": r.model,
                        "caught": r.checker.property.is_some(),
                        "property": r.checker.property.map(|p| p.name()),
                        "seconds": r.checker.elapsed.as_secs_f64(),
                        "unique_states": r.unique_states,
                        "counterexample_steps": r.checker.steps,
                        "counterexample": r.counterexample.as_ref().map(|cx| cx.trace.to_jsonl()),
                        "within_targets": within,
                        "random_seed": seed,
                        "random_property": r.random.property.map(|p| p.name()),
                        "random_traces": r.random_traces,
                        "random_seconds": r.random.elapsed.as_secs_f64(),
                        "fuzz_property": r.fuzz.property.map(|p| p.name()),
                        "fuzz_inputs": r.fuzz_inputs,
                        "fuzz_seconds": r.fuzz.elapsed.as_secs_f64(),
                    });
                    writeln!(out, "{o}")?;
                } else {
                    rows.push([
                        format!("{}\n  {} ({})", r.name, r.recreates, r.model),
                        r.checker
                            .property
                            .map_or("ESCAPED".to_owned(), |p| format!("caught: {p}")),
                        format!("{:.3}s", r.checker.elapsed.as_secs_f64()),
                        r.checker.steps.map_or("-".to_owned(), |n| {
                            if within {
                                n.to_string()
                            } else {
                                format!("{n} (over target)")
                            }
                        }),
                        random_words,
                        fuzz_words,
                    ]);
                }
            }
            if !json {
                // Multi-line first cells: print each mutant's description under its row.
                let table_rows: Vec<[String; 6]> = rows
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r[0] = r[0].lines().next().unwrap_or_default().to_owned();
                        r
                    })
                    .collect();
                let text = report::table(&table_rows);
                for (line, row) in text.lines().zip(&rows) {
                    writeln!(out, "{line}")?;
                    if let Some(desc) = row[0].lines().nth(1) {
                        writeln!(out, "{desc}")?;
                    }
                }
                writeln!(
                    out,
                    "\ntargets: caught by the checker within 10 s with a counterexample of at most 8 steps; \
                     random search: seed {seed}, at most {random} traces per mutant, drawn from the model's scope; \
                     fuzz decoder: eviction_vs_oracle's swarm decoder on seeded random bytes (unguided), \
                     at most {random} inputs per mutant"
                )?;
                writeln!(
                    out,
                    "{}",
                    if all_caught {
                        "every mutant caught"
                    } else {
                        "some mutants escaped the checker"
                    }
                )?;
            }
            Ok(if all_caught { Outcome::Holds } else { Outcome::Violated })
        }
        Command::Drive {
            model,
            random,
            seed,
            timeout_ms,
            max_traces,
            out: dir,
            command,
        } => {
            let spec = JoinSpec::load(&model)?;
            let (program, args) = command.split_first().expect("clap requires a command");
            let timeout = std::time::Duration::from_millis(timeout_ms);
            let mut ext = crate::external::ExternalEngine::spawn(program, args, timeout)
                .map_err(|e| InputError::new(program.clone(), format!("cannot start the program: {e}")))?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
            let started = std::time::Instant::now();
            let mut progress = |n: usize| {
                if n % 256 == 0 {
                    bar.set_message(format!("{n} traces, {:.1}s", started.elapsed().as_secs_f64()));
                    bar.tick();
                }
            };
            let options = crate::external::DriveOptions {
                random,
                seed,
                max_traces,
            };
            let result = crate::external::drive(&spec, &mut ext, &options, &mut progress);
            bar.finish_and_clear();
            drop(ext);
            let report = match result {
                Ok(r) => r,
                Err(e) => {
                    return Err(CliError::Protocol(e));
                }
            };
            let scope = spec.scope.as_ref().expect("drive needs a scope");
            writeln!(
                out,
                "drove {} over {} enumerated traces{} and {} random traces (seed {seed}); scope: {scope}",
                command.join(" "),
                report.enumerated,
                if report.failure.is_some() {
                    " (stopped at the first disagreement)"
                } else if report.truncated {
                    " (stopped at --max-traces)"
                } else {
                    " (every trace of the scope)"
                },
                report.random
            )?;
            if !report.state_reported {
                writeln!(
                    out,
                    "leak and premature-eviction checks skipped: the program does not report \"stored\" in done"
                )?;
            }
            match report.failure {
                None => {
                    writeln!(
                        out,
                        "agrees with the {} profile on every trace",
                        spec.params.profile.name()
                    )?;
                    Ok(Outcome::Holds)
                }
                Some(f) => {
                    std::fs::create_dir_all(&dir)?;
                    let path = dir.join(format!("drive-{}.jsonl", spec.name));
                    OutputFile::write_whole(&path, f.trace.to_jsonl().as_bytes())?;
                    writeln!(
                        out,
                        "\ncounterexample ({} steps, shrunk from {}): {}",
                        f.trace.steps().len(),
                        f.found_steps,
                        path.display()
                    )?;
                    write!(out, "{}", f.timeline)?;
                    writeln!(out, "why: {}", f.what)?;
                    Ok(Outcome::Violated)
                }
            }
        }
        Command::Simulate {
            model,
            seed,
            records,
            out: trace_out,
            svg,
            json,
        } => {
            let spec = JoinSpec::load(&model)?;
            let workload = crate::sim::Workload {
                batch_records: if spec.params.profile.timing() == crate::spec::Timing::PerBatch {
                    10_000
                } else {
                    0
                },
                ..crate::sim::Workload::default()
            };
            let mut writer = match &trace_out {
                Some(path) => Some(OutputFile::create(path)?),
                None => None,
            };
            let mut write_error = None;
            let mut sink = |step: &crate::trace::Step| {
                if let Some(w) = writer.as_mut() {
                    if let Err(e) = writeln!(w, "{}", sim_step_json(step)) {
                        write_error.get_or_insert(e);
                    }
                }
            };
            let bar = indicatif::ProgressBar::new(records);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records, {per_sec}, {elapsed}")
                    .expect("a valid template"),
            );
            let report = crate::sim::simulate(
                &spec,
                engine::for_spec(&spec),
                &workload,
                seed,
                records,
                &mut sink,
                &mut |n| bar.set_position(n),
            );
            bar.finish_and_clear();
            if let Some(e) = write_error {
                return Err(e.into());
            }
            if let Some(w) = writer {
                w.commit()?;
            }
            if let Some(path) = &svg {
                OutputFile::write_whole(
                    path,
                    crate::sim::svg(&report, &format!("{} — seed {seed}, {records} records", spec.name)).as_bytes(),
                )?;
            }
            let lost = report.lost_matches_late + report.lost_matches_other;
            if json {
                let o = serde_json::json!({
                    "model": spec.name, "seed": seed, "records": report.records,
                    "expected_matches": report.expected_matches, "emitted_matches": report.emitted_matches,
                    "lost_matches": {"late_in_engine": report.lost_matches_late, "evicted_expired_or_overwritten": report.lost_matches_other},
                    "missing_other_rows": report.missing_other_rows, "extra_rows": report.extra_rows,
                    "late": {"expected": report.late_expected, "emitted": report.late_emitted},
                    "state": {"max": report.state_max, "p99": report.state_p99},
                    "watermark_lag_ms": {"max": report.watermark_lag_max_ms, "p99": report.watermark_lag_p99_ms},
                    "oracle_window_max": report.oracle_window_max,
                    "engine_records_per_sec": report.engine_records_per_sec,
                    "run_records_per_sec": report.run_records_per_sec,
                });
                writeln!(out, "{o}")?;
            } else {
                writeln!(
                    out,
                    "simulated {} records of seed {seed} through model {} ({})",
                    report.records,
                    spec.name,
                    spec.summary()
                )?;
                writeln!(out, "matches: {} expected, {} emitted; lost {lost} ({} with a record the engine called late, {} evicted, expired or overwritten before the partner came)", report.expected_matches, report.emitted_matches, report.lost_matches_late, report.lost_matches_other)?;
                writeln!(
                    out,
                    "other rows: {} expected rows missing, {} unexpected rows",
                    report.missing_other_rows, report.extra_rows
                )?;
                writeln!(
                    out,
                    "late records: {} by the spec, {} reported by the engine",
                    report.late_expected, report.late_emitted
                )?;
                writeln!(
                    out,
                    "engine state: max {} records, p99 {}; streaming oracle window max {}",
                    report.state_max, report.state_p99, report.oracle_window_max
                )?;
                writeln!(
                    out,
                    "watermark lag: max {}, p99 {}",
                    crate::time::Duration::from_millis(report.watermark_lag_max_ms),
                    crate::time::Duration::from_millis(report.watermark_lag_p99_ms)
                )?;
                writeln!(out, "throughput: engine {:.0} records/s, whole run {:.0} records/s (timings vary with the machine; the counts above do not)", report.engine_records_per_sec, report.run_records_per_sec)?;
            }
            let agrees = lost == 0 && report.missing_other_rows == 0 && report.extra_rows == 0;
            Ok(if agrees { Outcome::Holds } else { Outcome::Violated })
        }
        Command::Oracle { model, trace, stream } => {
            let spec = JoinSpec::load(&model)?;
            if streaming(&spec, &trace, stream)? {
                let input = open_input(&trace)?;
                let mut held = crate::stream::HeldBack::new(&mut *out);
                crate::stream::oracle(&spec, input, &trace.display().to_string(), &mut |row| held.row(row))?;
                held.finish()?;
                return Ok(Outcome::Holds);
            }
            let trace = load_trace(&spec, &trace)?;
            for e in expected_outputs(&spec, &trace) {
                writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
            }
            Ok(Outcome::Holds)
        }
        Command::Replay {
            model,
            trace: trace_path,
            json,
        } => {
            let (spec, trace) = load(&model, &trace_path)?;
            let engine = engine::for_spec(&spec);
            let checker::MonitoredRun {
                emitted,
                reports,
                violations,
            } = checker::monitor_run(&spec.params, engine, &trace);
            if json {
                for e in &emitted {
                    writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
                }
            } else {
                writeln!(out, "replay of {} under model {}", trace_path.display(), spec.name)?;
                writeln!(out, "join: {}", spec.summary())?;
                writeln!(out)?;
                write!(out, "{}", report::timeline(&trace, &reports))?;
            }
            let analysis = Analysis::new(spec.params, &trace);
            let diff = analysis.diff(&emitted);
            if !json {
                writeln!(out)?;
                write!(
                    out,
                    "oracle: {}",
                    report::diff_text(&analysis, &diff, analysis.expected().len(), emitted.len())
                )?;
                writeln!(out, "properties:")?;
                for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
                    match violations.iter().find(|(q, _, _)| *q == p) {
                        None => writeln!(out, "  {p:<22} holds")?,
                        Some((_, step, finding)) => writeln!(
                            out,
                            "  {p:<22} violated after {}: {}",
                            step_label(&reports[*step]),
                            report::explain(&analysis, &reports, finding)
                        )?,
                    }
                }
            }
            Ok(if diff.agrees() && violations.is_empty() {
                Outcome::Holds
            } else {
                Outcome::Violated
            })
        }
        Command::Diff {
            model,
            trace,
            actual,
            stream,
        } => {
            let spec = JoinSpec::load(&model)?;
            if streaming(&spec, &trace, stream)? {
                let diff = crate::stream::diff(
                    &spec,
                    open_input(&trace)?,
                    &trace.display().to_string(),
                    open_input(&actual)?,
                    &actual.display().to_string(),
                )?;
                write!(out, "{}", diff.text(20))?;
                return Ok(if diff.agrees() {
                    Outcome::Holds
                } else {
                    Outcome::Violated
                });
            }
            let trace = load_trace(&spec, &trace)?;
            let text = crate::error::read_text(&actual)?;
            let emitted = trace.parse_outputs(&text, &actual.display().to_string())?;
            let analysis = Analysis::new(spec.params, &trace);
            let expected = expected_outputs(&spec, &trace);
            let diff = analysis.diff_with(&expected, &emitted);
            write!(
                out,
                "{}",
                report::diff_text(&analysis, &diff, expected.len(), emitted.len())
            )?;
            Ok(if diff.agrees() {
                Outcome::Holds
            } else {
                Outcome::Violated
            })
        }
    }
}

/// A generated step as a trace line: ids `i<n>` / `c<n>` (n the arrival number), keys `k<n>`.
fn sim_step_json(step: &crate::trace::Step) -> String {
    match step {
        crate::trace::Step::Record(r) => format!(
            r#"{{"type":"record","side":"{}","key":"k{}","ts":{},"id":"{}{}"}}"#,
            r.side,
            r.key.0,
            r.ts.as_millis(),
            if r.side == crate::event::Side::Left { "i" } else { "c" },
            r.id.0
        ),
        other => crate::trace::Trace::new().step_json(other),
    }
}

/// What `oracle` prints and `diff` compares against: the declarative oracle's outputs, or,
/// for a profile that models a real engine's timing (Spark's micro-batches), that profile's
/// batch-exact prediction, which the conformance fixtures check against the real engine.
fn expected_outputs(spec: &JoinSpec, trace: &Trace) -> Vec<Emitted> {
    if spec.params.profile.predicts_engine() {
        let mut engine = engine::for_spec(spec);
        let emitted = engine::outputs(engine.as_mut(), trace);
        let mut rows: Vec<Emitted> = emitted
            .into_iter()
            .map(|e| Emitted {
                output: e.output,
                at: Position {
                    step: None,
                    batch: e.at.batch,
                },
            })
            .collect();
        rows.sort_by_key(|e| (e.at.batch, e.output));
        rows
    } else {
        Analysis::new(spec.params, trace)
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Position::default(),
            })
            .collect()
    }
}

/// Every `.toml` file directly in `dir`, sorted.
fn bundled_models(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            dir.display().to_string(),
            format!("cannot list the bundled models ({e}); run from the repository root or name model files"),
        )
    })?;
    let mut models: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    models.sort();
    if models.is_empty() {
        return Err(InputError::new(dir.display().to_string(), "holds no .toml model files"));
    }
    Ok(models)
}

/// Checks one model with its profile's engine, showing progress on standard error.
fn check_one(spec: &JoinSpec, options: checker::Options) -> Result<checker::ModelReport, InputError> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
    let name = spec.name.clone();
    let mut progress = |p: checker::Progress| {
        let secs = p.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { p.unique_states as f64 / secs } else { 0.0 };
        bar.set_message(format!(
            "{name}: {} states, {rate:.0} states/s, depth {}, {secs:.1}s",
            p.unique_states, p.max_depth
        ));
        bar.tick();
    };
    let report = checker::check_spec(spec, options, &mut progress);
    bar.finish_and_clear();
    report
}

/// A counterexample as written and explained for the report.
struct WrittenCounterexample {
    property: Property,
    /// The known defect it demonstrates, if it came from a `[[defect]]` entry.
    defect: Option<String>,
    path: PathBuf,
    steps: usize,
    /// Index of the step after which the property fails (into the run's reports).
    violated_after: usize,
    /// `step N` or `the implicit end of input`.
    violated_label: String,
    timeline: String,
    explanation: String,
}

/// Writes each counterexample trace to `dir/<model>/<property>.jsonl` and explains it, by
/// replaying it through the same monitor `joincheck replay` uses.
fn write_counterexamples(
    spec: &JoinSpec,
    report: &checker::ModelReport,
    dir: &Path,
) -> Result<Vec<WrittenCounterexample>, CliError> {
    let mut written = Vec::new();
    let violations = report.verdicts.iter().filter_map(|(p, v, _)| match v {
        Verdict::Violated(cx) => Some((*p, None, cx.as_ref())),
        _ => None,
    });
    let defects = report
        .defects
        .iter()
        .filter_map(|(d, cx)| Some((d.property, Some(d.name.clone()), cx.as_ref()?)));
    for (p, defect, cx) in violations.chain(defects) {
        let folder = dir.join(&spec.name);
        std::fs::create_dir_all(&folder)?;
        let stem = defect.as_ref().map_or(p.name().to_owned(), |d| format!("defect-{d}"));
        let path = folder.join(format!("{stem}.jsonl"));
        OutputFile::write_whole(&path, cx.trace.to_jsonl().as_bytes())?;
        let reports = checker::monitor_run(&spec.params, engine::for_spec(spec), &cx.trace).reports;
        let analysis = Analysis::new(spec.params, &cx.trace);
        written.push(WrittenCounterexample {
            property: p,
            defect,
            path,
            steps: cx.trace.steps().len(),
            violated_after: cx.step,
            violated_label: step_label(&reports[cx.step]),
            timeline: report::timeline(&cx.trace, &reports),
            explanation: report::explain(&analysis, &reports, &cx.finding),
        });
    }
    Ok(written)
}

fn verdict_words(verdict: &Verdict, expected: Expected) -> String {
    match (verdict, expected) {
        (Verdict::Holds, Expected::Holds) => "holds".to_owned(),
        (Verdict::Violated(_), Expected::Violated) => "violated-as-expected".to_owned(),
        (Verdict::Reached, Expected::Reached) => "witness reached".to_owned(),
        (Verdict::Missing, Expected::Missing) => "witness missing, as expected".to_owned(),
        (Verdict::Holds, _) => "MISMATCH: holds, but the model expects it violated".to_owned(),
        (Verdict::Violated(_), _) => "MISMATCH: violated".to_owned(),
        (Verdict::Reached, _) => "MISMATCH: witness reached, but the model expects it missing".to_owned(),
        (Verdict::Missing, _) => "MISMATCH: witness missing (the scope never reaches it)".to_owned(),
    }
}

fn step_label(r: &engine::StepReport) -> String {
    r.index
        .map_or("the implicit end of input".to_owned(), |i| format!("step {i}"))
}

fn check_text(spec: &JoinSpec, report: &checker::ModelReport, written: &[WrittenCounterexample]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let scope = spec.scope.as_ref().expect("a checked model has a scope");
    let _ = writeln!(s, "model {} ({})", spec.name, spec.file);
    let _ = writeln!(s, "  join:   {}", spec.summary());
    let _ = writeln!(s, "  scope:  {scope}");
    let _ = writeln!(
        s,
        "  states: {} unique ({} visited), depth {}, {:.2}s; exhaustive within the scope",
        report.unique_states,
        report.states,
        report.max_depth,
        report.elapsed.as_secs_f64()
    );
    let mut rows = vec![["  property".to_owned(), "verdict".to_owned()]];
    for (p, v, e) in &report.verdicts {
        rows.push([format!("  {p}"), verdict_words(v, *e)]);
    }
    s.push_str(&report::table(&rows));
    if !report.defects.is_empty() {
        let mut rows = vec![["  known defect".to_owned(), "property".to_owned(), "verdict".to_owned()]];
        for (d, cx) in &report.defects {
            let verdict = match cx {
                Some(cx) => format!("caught ({} steps): {}", cx.trace.steps().len(), d.summary),
                None => format!("MISMATCH: not found in its scope: {}", d.summary),
            };
            rows.push([format!("  {}", d.name), d.property.name().to_owned(), verdict]);
        }
        s.push_str(&report::table(&rows));
    }
    for cx in written {
        let what = match &cx.defect {
            Some(d) => format!("defect {d} ({})", cx.property),
            None => cx.property.name().to_owned(),
        };
        let _ = writeln!(
            s,
            "\n  counterexample for {what} ({} steps): {}",
            cx.steps,
            cx.path.display()
        );
        let _ = writeln!(
            s,
            "  replay: joincheck replay --model {} --trace {}",
            spec.file,
            cx.path.display()
        );
        for line in cx.timeline.lines() {
            let _ = writeln!(s, "    {line}");
        }
        let _ = writeln!(s, "  why: after {}, {}", cx.violated_label, cx.explanation);
    }
    s.push('\n');
    s
}

fn check_json(spec: &JoinSpec, report: &checker::ModelReport, written: &[WrittenCounterexample]) -> String {
    let properties: Vec<serde_json::Value> = report
        .verdicts
        .iter()
        .map(|(p, v, e)| {
            let mut o = serde_json::json!({
                "property": p.name(),
                "verdict": v.as_expected().name(),
                "expected": e.name(),
                "as_expected": v.as_expected() == *e,
            });
            if let Some(cx) = written.iter().find(|cx| cx.property == *p && cx.defect.is_none()) {
                o["counterexample"] = serde_json::json!({
                    "trace": cx.path.display().to_string(),
                    "steps": cx.steps,
                    "violated_after_step": cx.violated_after,
                    "explanation": cx.explanation,
                });
            }
            o
        })
        .collect();
    serde_json::json!({
        "model": spec.name,
        "file": spec.file,
        "scope": spec.scope.as_ref().map(|s| s.to_string()),
        "unique_states": report.unique_states,
        "states": report.states,
        "max_depth": report.max_depth,
        "elapsed_ms": report.elapsed.as_millis() as u64,
        "as_expected": report.as_expected(),
        "properties": properties,
        "defects": report.defects.iter().map(|(d, _)| {
            let cx = written.iter().find(|cx| cx.defect.as_deref() == Some(d.name.as_str()));
            serde_json::json!({
                "defect": d.name,
                "property": d.property.name(),
                "summary": d.summary,
                "caught": cx.is_some(),
                "counterexample": cx.map(|cx| serde_json::json!({
                    "trace": cx.path.display().to_string(),
                    "steps": cx.steps,
                    "violated_after_step": cx.violated_after,
                    "explanation": cx.explanation,
                })),
            })
        }).collect::<Vec<_>>(),
    })
    .to_string()
}

fn load(model: &Path, trace: &Path) -> Result<(JoinSpec, Trace), InputError> {
    let spec = JoinSpec::load(model)?;
    let t = load_trace(&spec, trace)?;
    Ok((spec, t))
}

fn load_trace(spec: &JoinSpec, trace: &Path) -> Result<Trace, InputError> {
    let t = Trace::load(trace)?;
    spec.check_trace(&t, &trace.display().to_string())?;
    Ok(t)
}

/// Whether `oracle`/`diff` stream the trace: when asked, or when it is large and the model's
/// oracle can be streamed (see `crate::stream`).
fn streaming(spec: &JoinSpec, trace: &Path, asked: bool) -> Result<bool, InputError> {
    let streamable = crate::stream::streamable(spec);
    if asked && !streamable {
        return Err(InputError::new(
            &spec.file,
            format!(
                "--stream: the {} profile's oracle is its engine's prediction, which runs over the whole trace; \
                 streaming applies to the declarative oracle (reference, canary, flink-interval, flink-keyed-*)",
                spec.params.profile.name()
            ),
        )
        .field("profile"));
    }
    let large = std::fs::metadata(trace).is_ok_and(|m| m.is_file() && m.len() > crate::stream::STREAM_ABOVE_BYTES);
    Ok(asked || (streamable && large))
}

/// A file to stream, with the errors worded as for a whole read.
fn open_input(path: &Path) -> Result<std::io::BufReader<std::fs::File>, InputError> {
    let fail = |e: &std::io::Error| InputError::io(path, e);
    if path.is_dir() {
        return Err(fail(&std::io::Error::other("a directory")));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, file))
}

/// Why a command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The external implementation broke the protocol: exit 2.
    #[error("{0}")]
    Protocol(crate::external::ProtocolError),
    /// Writing the report failed (a closed pipe is not an error; see `main`).
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

impl From<crate::stream::StreamError> for CliError {
    fn from(e: crate::stream::StreamError) -> CliError {
        match e {
            crate::stream::StreamError::Input(e) => CliError::Input(e),
            crate::stream::StreamError::Io(e) => CliError::Output(e),
        }
    }
}

/// A file that appears under its name only when complete: bytes go to a hidden sibling, which
/// [`OutputFile::commit`] renames into place and dropping without a commit removes. A run that
/// stops early (bad input, a failed write, a panic) leaves no partial file behind.
struct OutputFile {
    path: PathBuf,
    temp: PathBuf,
    writer: Option<std::io::BufWriter<std::fs::File>>,
}

impl OutputFile {
    fn create(path: &Path) -> std::io::Result<OutputFile> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.joincheck-{}.tmp", std::process::id()));
        let file = std::fs::File::create(&temp)?;
        Ok(OutputFile {
            path: path.to_owned(),
            temp,
            writer: Some(std::io::BufWriter::new(file)),
        })
    }

    /// Writes `bytes` to `path` all at once, or not at all.
    fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = OutputFile::create(path)?;
        f.write_all(bytes)?;
        f.commit()
    }

    fn commit(mut self) -> std::io::Result<()> {
        let writer = self.writer.take().expect("an uncommitted file has its writer");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.path)
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
