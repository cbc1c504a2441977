//! `joincheck drive`: check an external implementation over the JSON-lines protocol.

use super::{spinner, CliError, Outcome, OutputFile};
use joincheck::error::InputError;
use joincheck::external::{self, DriveOptions, ExternalEngine};
use joincheck::model::JoinSpec;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
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
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.model)?;
    let (program, program_args) = args.command.split_first().expect("clap requires a command");
    let timeout = std::time::Duration::from_millis(args.timeout_ms);
    let mut ext = ExternalEngine::spawn(program, program_args, timeout)
        .map_err(|e| InputError::new(program.clone(), format!("cannot start the program: {e}")))?;
    let bar = spinner();
    let started = std::time::Instant::now();
    let mut progress = |n: usize| {
        if n % 256 == 0 {
            bar.set_message(format!("{n} traces, {:.1}s", started.elapsed().as_secs_f64()));
            bar.tick();
        }
    };
    let options = DriveOptions {
        random: args.random,
        seed: args.seed,
        max_traces: args.max_traces,
    };
    let result = external::drive(&spec, &mut ext, &options, &mut progress);
    bar.finish_and_clear();
    drop(ext);
    let report = result.map_err(CliError::Protocol)?;
    let written = match &report.failure {
        Some(f) => {
            std::fs::create_dir_all(&args.out)?;
            let path = args.out.join(format!("drive-{}.jsonl", spec.name));
            OutputFile::write_whole(&path, f.trace.to_jsonl().as_bytes())?;
            Some(path)
        }
        None => None,
    };
    let command = args.command.join(" ");
    let text = joincheck::report::drive::text(&spec, &command, args.seed, &report, written.as_deref());
    write!(out, "{text}")?;
    Ok(Outcome::holds_if(report.failure.is_none()))
}
