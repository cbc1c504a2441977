//! `joincheck oracle`: the outputs the oracle expects for a trace, as JSON lines.

use super::{load_trace, open_input, CliError, ModelTrace, Outcome};
use crate::model::JoinSpec;
use crate::oracle::stream;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: ModelTrace,
    /// Read the trace as a stream, holding only the records that can still match (the
    /// default for traces over 64 MiB); rows come in the order the window produces them
    /// (spark: its prediction, line for line as without --stream).
    #[arg(long)]
    stream: bool,
    /// Also print, on standard error, what the model's own rules lose against the ideal join
    /// (every record admitted, state kept forever): pairs dropped with a late record, by side.
    #[arg(long, conflicts_with = "stream")]
    loss: bool,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.input.model)?;
    if stream::should_stream(&spec, &args.input.trace, args.stream, stream::Command::Oracle)? {
        let input = open_input(&args.input.trace)?;
        let mut held = stream::HeldBack::new(&mut *out);
        stream::oracle(&spec, input, &args.input.trace_name(), &mut |row| held.row(row))?;
        held.finish()?;
        return Ok(Outcome::Holds);
    }
    let trace = load_trace(&spec, &args.input.trace)?;
    let expected = crate::run::expected_outputs(&spec, &trace);
    for e in &expected {
        writeln!(out, "{}", trace.output_json(&e.output, e.at))?;
    }
    // What the model's own rules cost against the ideal join, on standard error so that
    // standard output stays the rows.
    if args.loss {
        let analysis = crate::oracle::Analysis::new(spec.params, &trace);
        let outputs: Vec<_> = expected.iter().map(|e| e.output).collect();
        let loss = crate::oracle::ideal::loss_of_trace(&analysis, &outputs);
        eprintln!("{}", loss.text_for(&spec));
    }
    Ok(Outcome::Holds)
}
