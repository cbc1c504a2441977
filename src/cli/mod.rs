//! The command line: one file per command, each parsing its flags, calling the library and
//! printing one of `crate::report`'s renderings. No semantics live here.

mod advise;
mod bugs;
mod check;
mod diff;
mod drive;
mod export_sql;
mod oracle;
mod output_file;
mod plot;
mod replay;
mod simulate;
mod talk;

use crate::error::InputError;
use crate::model::JoinSpec;
use crate::trace::Trace;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use output_file::OutputFile;

/// The `joincheck` command: parses the arguments, runs one command, maps its outcome to an
/// exit code.
pub fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    let parsed = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = parsed.command.run(&mut out).and_then(|o| {
        std::io::Write::flush(&mut out)?;
        Ok(o)
    });
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        // The reader went away (`joincheck oracle ... | head`): nothing more to say.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            drop(out);
            let e = anyhow::Error::from(e);
            eprintln!("joincheck: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "joincheck",
    version,
    about = "Proves, or refutes with a minimal replayable counterexample, that an event-time \
             stream-stream join loses no valid match and leaks no state.",
    after_help = "Exit status: 0 holds or agrees, 1 a property is violated or outputs differ, \
                  2 bad input or usage, 3 a check stopped at a budget or by Ctrl-C before covering \
                  its scope, with nothing found that contradicts the model."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Model-check models: every interleaving within each model's scope.
    Check(check::Args),
    /// Run the real-bug benchmark: mutant engines recreating known join bugs, and how fast the
    /// checker and a seeded random search catch each.
    Bugs(bugs::Args),
    /// Check an external implementation over the JSON-lines protocol (docs/PROTOCOL.md): every
    /// trace the model's scope enumerates, then seeded random traces.
    Drive(drive::Args),
    /// Seeded realistic workload (impressions and clicks), the model's engine against a
    /// streaming oracle: lost matches by cause, state size, watermark lag, throughput.
    Simulate(simulate::Args),
    /// Sweep the watermark delays over a workload (the model's `[workload]`) or a recorded
    /// trace: per setting, the loss against the ideal join, state and watermark lag; then the
    /// smallest delay within a loss budget.
    Advise(advise::Args),
    /// Print the outputs the oracle expects for a trace, as JSON lines.
    Oracle(oracle::Args),
    /// Run the model's engine on a trace and show the timeline, then compare with the oracle.
    Replay(replay::Args),
    /// Compare another implementation's outputs with the oracle's (as multisets).
    Diff(diff::Args),
    /// Write the model's declarative oracle as SQL (DuckDB or Spark) over a table of trace
    /// steps, with the loss against the ideal join and an audit of an actual output.
    ExportSql(export_sql::Args),
}

impl Command {
    /// Runs the command, writing its report to `out`.
    pub fn run(self, out: &mut dyn Write) -> Result<Outcome, CliError> {
        match self {
            Command::Check(args) => check::run(args, out),
            Command::Bugs(args) => bugs::run(args, out),
            Command::Drive(args) => drive::run(args, out),
            Command::Simulate(args) => simulate::run(args, out),
            Command::Advise(args) => advise::run(args, out),
            Command::Oracle(args) => oracle::run(args, out),
            Command::Replay(args) => replay::run(args, out),
            Command::Diff(args) => diff::run(args, out),
            Command::ExportSql(args) => export_sql::run(args, out),
        }
    }
}

/// How a command ended, when its input was good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything holds or agrees: exit 0.
    Holds,
    /// A property is violated or outputs differ: exit 1.
    Violated,
    /// A check stopped before it covered its scope (a budget, or Ctrl-C) and found nothing
    /// that contradicts the model: exit 3.
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Holds => 0,
            Outcome::Violated => 1,
            Outcome::Incomplete => 3,
        }
    }

    /// `Holds` when `ok`, else `Violated`.
    pub fn holds_if(ok: bool) -> Outcome {
        if ok {
            Outcome::Holds
        } else {
            Outcome::Violated
        }
    }
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

impl From<crate::error::StreamError> for CliError {
    fn from(e: crate::error::StreamError) -> CliError {
        match e {
            crate::error::StreamError::Input(e) => CliError::Input(e),
            crate::error::StreamError::Io(e) => CliError::Output(e),
        }
    }
}

/// The model and the trace that `oracle`, `replay` and `diff` start from.
#[derive(clap::Args, Debug)]
pub struct ModelTrace {
    /// The model file (TOML).
    #[arg(long)]
    model: PathBuf,
    /// The trace (JSON lines).
    #[arg(long)]
    trace: PathBuf,
}

impl ModelTrace {
    /// The trace's name in errors and reports.
    fn trace_name(&self) -> String {
        self.trace.display().to_string()
    }
}

fn load_trace(spec: &JoinSpec, trace: &Path) -> Result<Trace, InputError> {
    let t = Trace::load(trace)?;
    spec.check_trace(&t, &trace.display().to_string())?;
    if let Some(warning) = seconds_warning(&t) {
        eprintln!("joincheck: warning: {}: {warning}", trace.display());
    }
    Ok(t)
}

/// A warning when a trace's record times look like seconds since the epoch (every one between
/// the years 2000 and 2200 in seconds), which joincheck would read as milliseconds in 1970.
fn seconds_warning(trace: &Trace) -> Option<String> {
    let seconds = 946_684_800..7_258_118_400_i64;
    let records = trace.records();
    let first = records.first()?;
    records.iter().all(|r| seconds.contains(&r.ts.as_millis())).then(|| {
        let as_ms = crate::time::EventTime::from_millis(first.ts.as_millis() * 1000);
        format!(
            "its times look like seconds since the epoch ({} would be {as_ms} in seconds), but integer times \
             are milliseconds; multiply them by 1000 or write RFC 3339 timestamps (\"{}\")",
            first.ts.as_millis(),
            as_ms.rfc3339().unwrap_or_default()
        )
    })
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

/// A spinner on standard error showing one line of progress.
fn spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
    bar
}

/// How a generated run was sized, in words (`simulate`, `advise`): the records, the event time
/// they cover, and the event time the join needs, with a loud warning when they fall short.
pub(crate) fn sizing_words(sizing: &crate::model::Sizing, asked: Option<u64>) -> String {
    let needs = format!("the join needs about {} ({})", sizing.needed, sizing.why);
    match asked {
        Some(n) if sizing.covers_for(n) < sizing.needed => format!(
            "WARNING: {n} records, as asked, cover only about {} of event time, and {needs}: the loss and state \
             figures leave out what only a longer run shows; leave --records out for the default size",
            sizing.covers_for(n)
        ),
        Some(n) => format!(
            "{n} records, as asked, about {} of event time; {needs}",
            sizing.covers_for(n)
        ),
        None if sizing.capped => format!(
            "WARNING: {} records (the cap) cover only about {} of event time, and {needs}: the loss and state \
             figures leave out what only a longer run shows; give --records to run longer, or a lower rate in \
             [workload]",
            sizing.records, sizing.covers
        ),
        None => format!(
            "{} records, about {} of event time: {needs}",
            sizing.records, sizing.covers
        ),
    }
}
