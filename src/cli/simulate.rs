//! `joincheck simulate`: a seeded realistic workload through the model's engine and a
//! streaming oracle.

use super::{CliError, Outcome, OutputFile};
use crate::model::JoinSpec;
use crate::report::simulate as render;
use crate::sim::{self, Workload};
use crate::trace::Step;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    model: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Records to generate; by default enough event time for the join (three windows' reach,
    /// plus the largest delay and the slowest arrivals), at most 5,000,000.
    #[arg(long)]
    records: Option<u64>,
    /// Also write the generated trace (JSON lines).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Draw state size and watermark lag over event time.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    /// A line of the model's `[workload]` to override (repeatable), e.g.
    /// `--workload 'right_arrival = { median = "3m", p99 = "40m" }'`.
    #[arg(long = "workload", value_name = "KEY = VALUE")]
    workload: Vec<String>,
}

/// The most records `simulate` generates unless told.
const SIMULATE_CAP: u64 = 5_000_000;

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let mut spec = JoinSpec::load(&args.model)?;
    crate::model::toml::override_workload(&mut spec, &args.workload)?;
    let workload = Workload::for_spec(&spec);
    let mut writer = match &args.out {
        Some(path) => Some(OutputFile::create(path)?),
        None => None,
    };
    let mut write_error = None;
    let mut sink = |step: &Step| {
        if let Some(w) = writer.as_mut() {
            if let Err(e) = writeln!(w, "{}", sim::step_line(step)) {
                write_error.get_or_insert(e);
            }
        }
    };
    let sizing = workload.sized(&spec.params, SIMULATE_CAP);
    let records = args.records.unwrap_or(sizing.records);
    let sized = super::sizing_words(&sizing, args.records);
    eprintln!("simulate: {sized}");
    let bar = indicatif::ProgressBar::new(records);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records, {per_sec}, {elapsed}")
            .expect("a valid template"),
    );
    let engine = crate::engine::for_spec(&spec);
    let mut talk = super::talk::Talk::beside_a_bar();
    let report = sim::simulate(&spec, engine, &workload, args.seed, records, &mut sink, &mut |n| {
        bar.set_position(n);
        talk.progress(|| {
            format!(
                "simulate: {n} of {records} records, {:.0}s",
                bar.elapsed().as_secs_f64()
            )
        });
    });
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(w) = writer {
        w.commit()?;
    }
    if let Some(path) = &args.svg {
        let title = format!("{} — seed {}, {records} records", spec.name, args.seed);
        OutputFile::write_whole(path, super::plot::run_svg(&report, &title)?.as_bytes())?;
    }
    if args.json {
        writeln!(out, "{}", render::json(&spec, args.seed, &report))?;
    } else {
        write!(out, "{}", render::text(&spec, args.seed, &report))?;
        writeln!(out, "size: {sized}")?;
    }
    Ok(Outcome::holds_if(render::unexpected(&spec, &report).is_empty()))
}
