//! `joincheck diff`: another implementation's outputs against the oracle's, as multisets.

use super::{load_trace, open_input, CliError, ModelTrace, Outcome};
use crate::model::JoinSpec;
use crate::oracle::stream;
use crate::oracle::Analysis;
use crate::run::expected_outputs;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: ModelTrace,
    /// The implementation's outputs (JSON lines).
    #[arg(long)]
    actual: PathBuf,
    /// Stream both files, holding only the live window and the rows not yet balanced (the
    /// default for traces over 64 MiB); differences are named, not explained.
    #[arg(long)]
    stream: bool,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.input.model)?;
    let actual_name = args.actual.display().to_string();
    if stream::should_stream(&spec, &args.input.trace, args.stream, stream::Command::Diff)? {
        let trace = open_input(&args.input.trace)?;
        let diff = stream::diff(
            &spec,
            trace,
            &args.input.trace_name(),
            open_input(&args.actual)?,
            &actual_name,
        )?;
        write!(out, "{}", diff.text(20))?;
        return Ok(Outcome::holds_if(diff.agrees()));
    }
    let trace = load_trace(&spec, &args.input.trace)?;
    let text = crate::error::read_text(&args.actual)?;
    let emitted = trace.parse_outputs(&text, &actual_name)?;
    let analysis = Analysis::new(spec.params, &trace);
    let expected = expected_outputs(&spec, &trace);
    let diff = analysis.diff_with(&expected, &emitted);
    // The implementation's rows against the ideal join (what it still held is not known),
    // then the rows against the model, ending with the verdict.
    let outputs: Vec<_> = emitted.iter().map(|e| e.output).collect();
    let loss = crate::oracle::ideal::loss_of_trace(&analysis, &outputs);
    writeln!(out, "{}", loss.text_for(&spec))?;
    let text = crate::report::diff_text(&analysis, &diff, expected.len(), emitted.len());
    write!(out, "{text}")?;
    Ok(Outcome::holds_if(diff.agrees()))
}
