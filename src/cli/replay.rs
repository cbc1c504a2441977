//! `joincheck replay`: the model's engine on a trace, as a timeline, then against the oracle
//! and the properties.

use super::{load_trace, CliError, ModelTrace, Outcome};
use joincheck::checker;
use joincheck::engine;
use joincheck::model::JoinSpec;
use joincheck::oracle::Analysis;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: ModelTrace,
    /// Print the engine's output lines (with "step") instead of the timeline.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.input.model)?;
    let trace = load_trace(&spec, &args.input.trace)?;
    let run = checker::monitor_run(&spec.params, engine::for_spec(&spec), &trace);
    let analysis = Analysis::new(spec.params, &trace);
    let diff = analysis.diff(&run.emitted);
    if args.json {
        for e in &run.emitted {
            writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
        }
    } else {
        let title = format!("replay of {} under model {}", args.input.trace_name(), spec.name);
        write!(
            out,
            "{}",
            joincheck::report::replay::text(&title, &spec, &analysis, &run, &diff)
        )?;
    }
    // Exit 0 when the run is as the model expects: findings its `[expect]` declares are shown
    // as such, as `check` does.
    let unexpected = joincheck::report::replay::unexpected_findings(&spec, &run, &diff);
    Ok(Outcome::holds_if(unexpected.is_empty()))
}
