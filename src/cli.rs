//! The command line: argument parsing and the commands, each returning an [`Outcome`] that
//! `main` maps to an exit code (0 holds/agrees, 1 violated/differs, 2 bad input or usage).

use crate::engine;
use crate::error::InputError;
use crate::oracle::Analysis;
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
    /// Print the outputs the oracle expects for a trace, as JSON lines.
    Oracle {
        /// The model file (TOML).
        #[arg(long)]
        model: PathBuf,
        /// The trace (JSON lines).
        #[arg(long)]
        trace: PathBuf,
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
        Command::Oracle { model, trace } => {
            let (spec, trace) = load(&model, &trace)?;
            let analysis = Analysis::new(spec.params, &trace);
            for o in analysis.expected() {
                writeln!(out, "{}", trace.output_json(&o, Default::default()))?;
            }
            Ok(Outcome::Holds)
        }
        Command::Replay {
            model,
            trace: trace_path,
            json,
        } => {
            let (spec, trace) = load(&model, &trace_path)?;
            let mut engine = engine::for_spec(&spec);
            let (emitted, reports) = engine::run(engine.as_mut(), &trace);
            if json {
                for e in &emitted {
                    writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
                }
            } else {
                writeln!(
                    out,
                    "replay of {} under model {}",
                    trace_path.display(),
                    spec.name
                )?;
                writeln!(out, "join: {}", spec.summary())?;
                writeln!(out)?;
                write!(out, "{}", report::timeline(&trace, &reports))?;
            }
            let analysis = Analysis::new(spec.params, &trace);
            let diff = analysis.diff(&emitted);
            let last = reports.last().expect("a run has at least the end step");
            let leaked = !last.stored.is_empty() || last.timers > 0;
            if !json {
                writeln!(out)?;
                write!(
                    out,
                    "oracle: {}",
                    report::diff_text(&analysis, &diff, emitted.len())
                )?;
                writeln!(
                    out,
                    "state after end of input: {} stored records, {} pending timers",
                    last.stored.len(),
                    last.timers
                )?;
            }
            Ok(if diff.agrees() && !leaked {
                Outcome::Holds
            } else {
                Outcome::Violated
            })
        }
        Command::Diff {
            model,
            trace,
            actual,
        } => {
            let (spec, trace) = load(&model, &trace)?;
            let text = crate::error::read_text(&actual)?;
            let emitted = trace.parse_outputs(&text, &actual.display().to_string())?;
            let analysis = Analysis::new(spec.params, &trace);
            let diff = analysis.diff(&emitted);
            write!(
                out,
                "{}",
                report::diff_text(&analysis, &diff, emitted.len())
            )?;
            Ok(if diff.agrees() {
                Outcome::Holds
            } else {
                Outcome::Violated
            })
        }
    }
}

fn load(model: &Path, trace: &Path) -> Result<(JoinSpec, Trace), InputError> {
    let spec = JoinSpec::load(model)?;
    let t = Trace::load(trace)?;
    spec.check_trace(&t, &trace.display().to_string())?;
    Ok((spec, t))
}

/// Why a command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit 2.
    #[error("{0}")]
    Input(#[from] InputError),
    /// Writing the report failed (a closed pipe is not an error; see `main`).
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}
