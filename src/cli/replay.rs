//! `joincheck replay`: the model's engine on a trace, as a timeline, then against the oracle
//! and the properties.

use super::{load, CliError, Outcome};
use joincheck::checker;
use joincheck::engine;
use joincheck::oracle::Analysis;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    trace: PathBuf,
    /// Print the engine's output lines (with "step") instead of the timeline.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let (spec, trace) = load(&args.model, &args.trace)?;
    let run = checker::monitor_run(&spec.params, engine::for_spec(&spec), &trace);
    let analysis = Analysis::new(spec.params, &trace);
    let diff = analysis.diff(&run.emitted);
    if args.json {
        for e in &run.emitted {
            writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
        }
    } else {
        let title = format!("replay of {} under model {}", args.trace.display(), spec.name);
        write!(
            out,
            "{}",
            joincheck::report::replay::text(&title, &spec, &analysis, &run, &diff)
        )?;
    }
    Ok(Outcome::holds_if(diff.agrees() && run.violations.is_empty()))
}
