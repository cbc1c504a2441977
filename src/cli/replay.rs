//! `joincheck replay`: the model's engine on a trace, as a timeline, then against the oracle
//! and the properties; or, with `--stats`, streamed over a trace of any length in memory
//! bounded by what the engine holds, as a summary.

use super::{load_trace, open_input, CliError, ModelTrace, Outcome};
use crate::checker;
use crate::engine;
use crate::model::JoinSpec;
use crate::oracle::Analysis;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: ModelTrace,
    /// Print the engine's output lines (with "step") instead of the timeline.
    #[arg(long)]
    json: bool,
    /// Stream the trace and print a summary instead of the timeline: the engine against the
    /// model's rules, state size and watermark lag over the trace, in memory bounded by what
    /// the engine holds (the default for traces over 64 MiB).
    #[arg(long)]
    stats: bool,
    /// With --stats: also the loss against the ideal join (which keeps every record).
    #[arg(long, requires = "stats")]
    loss: bool,
    /// With --stats: draw state size and watermark lag over event time (SVG).
    #[arg(long, requires = "stats")]
    svg: Option<std::path::PathBuf>,
    /// Show the timeline from this step on.
    #[arg(long)]
    from: Option<usize>,
    /// Show the timeline up to this step.
    #[arg(long)]
    to: Option<usize>,
    /// Show only the steps of records with this key, or whose outputs name one.
    #[arg(long)]
    key: Option<String>,
    /// Show only the steps of the record with this id, or whose outputs name it.
    #[arg(long)]
    id: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.input.model)?;
    // Large traces as `diff` streams them: replay compares the engine with the oracle.
    let big =
        crate::oracle::stream::should_stream(&spec, &args.input.trace, false, crate::oracle::stream::Command::Diff)?;
    if args.stats || (big && !args.json) {
        return stats(&spec, &args, out);
    }
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
        let names = |r: &crate::run::StepReport| -> Vec<crate::event::RecordId> {
            let mut ids: Vec<_> = r.outputs.iter().flat_map(|o| o.records()).collect();
            if let crate::trace::Step::Record(rec) = r.step {
                ids.push(rec.id);
            }
            ids
        };
        let keep = |r: &crate::run::StepReport| {
            let at = r.index.unwrap_or(usize::MAX);
            args.from.is_none_or(|f| at >= f)
                && args.to.is_none_or(|t| r.index.is_some_and(|i| i <= t))
                && args.key.as_ref().is_none_or(|k| {
                    names(r)
                        .iter()
                        .any(|id| trace.key_name(trace.record(*id).key) == k.as_str())
                })
                && args
                    .id
                    .as_ref()
                    .is_none_or(|want| names(r).iter().any(|id| trace.name(*id) == want.as_str()))
        };
        write!(
            out,
            "{}",
            crate::report::replay::text(&title, &spec, &analysis, &run, &diff, &keep)
        )?;
    }
    // Exit 0 when the run is as the model expects: findings its `[expect]` declares are shown
    // as such, as `check` does.
    let unexpected = crate::report::replay::unexpected_findings(&spec, &run, &diff);
    Ok(Outcome::holds_if(unexpected.is_empty()))
}

/// `--stats`: the trace streamed through the engine.
fn stats(spec: &JoinSpec, args: &Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let input = open_input(&args.input.trace)?;
    let mut talk = super::talk::Talk::new(super::talk::PROGRESS_EVERY);
    let started = std::time::Instant::now();
    let streamed = crate::sim::run_stream(
        spec,
        engine::for_spec(spec),
        input,
        &args.input.trace_name(),
        args.loss,
        &mut |n| talk.progress(|| format!("replay --stats: {n} records, {:.0}s", started.elapsed().as_secs_f64())),
    );
    talk.finish();
    let (report, streamed) = streamed?;
    let title = format!(
        "replay --stats of {} under model {}",
        args.input.trace_name(),
        spec.name
    );
    if let Some(path) = &args.svg {
        let caption = format!("{} under {}", args.input.trace_name(), spec.name);
        super::OutputFile::write_whole(path, super::plot::run_svg(&report, &caption)?.as_bytes())?;
    }
    write!(
        out,
        "{}",
        crate::report::replay::stats_text(&title, spec, &report, &streamed, args.loss)
    )?;
    Ok(Outcome::holds_if(
        crate::report::simulate::unexpected(spec, &report).is_empty(),
    ))
}
