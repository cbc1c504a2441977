//! `joincheck drive`: check an external implementation over the JSON-lines protocol.

use super::talk::{Talk, PROGRESS_EVERY};
use super::{CliError, Outcome, OutputFile};
use crate::error::InputError;
use crate::external::{self, DriveOptions, ExternalEngine};
use crate::model::JoinSpec;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model file (TOML): the join, its profile and the scope to enumerate.
    #[arg(long)]
    model: PathBuf,
    /// Seeded random traces, with twice the scope's records (after the enumerated ones; before
    /// them when the scope derives its times).
    #[arg(long, default_value_t = 0)]
    random: usize,
    /// The random traces' seed: the same seed drives the same traces.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Varied random traces per variation, driven when nothing else found a disagreement:
    /// keys that differ only by case, whitespace or Unicode normalisation, a left and a right
    /// record sharing an id, and times at either 64-bit end (0 turns them off).
    #[arg(long, default_value_t = 25)]
    varied: usize,
    /// How long joincheck waits for each line of an answer, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    timeout_ms: u64,
    /// Stop enumerating after this many traces.
    #[arg(long)]
    max_traces: Option<usize>,
    /// Where the shrunk counterexamples are written (`drive-MODEL.jsonl`, then
    /// `drive-MODEL-2.jsonl`, … for further kinds).
    #[arg(long, default_value = "target/joincheck")]
    out: PathBuf,
    /// Run the whole scope and report every kind of finding (property × shape), each with its
    /// shortest counterexample, and a summary table, instead of stopping at the first.
    #[arg(long)]
    keep_going: bool,
    /// Known differences from the model's profile: a file of finding kinds, one per line as
    /// drive prints them (`profile: retracted unmatched`), `# why` after. They are reported,
    /// do not fail, and the search goes on past them (docs/PROTOCOL.md).
    #[arg(long, value_name = "FILE")]
    allow: Option<PathBuf>,
    /// The program and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.model)?;
    let allow = match &args.allow {
        Some(path) => external::AllowList::load(path)?,
        None => external::AllowList::default(),
    };
    let (program, program_args) = args.command.split_first().expect("clap requires a command");
    let timeout = std::time::Duration::from_millis(args.timeout_ms);
    let mut ext = ExternalEngine::spawn(program, program_args, timeout)
        .map_err(|e| InputError::new(program.clone(), format!("cannot start the program: {e}")))?;
    let mut talk = Talk::new(PROGRESS_EVERY);
    let started = std::time::Instant::now();
    let name = spec.name.clone();
    let mut progress = |n: usize| {
        if n % 256 == 0 {
            talk.progress(|| format!("{name}: {n} traces driven, {:.1}s", started.elapsed().as_secs_f64()));
        }
    };
    let options = DriveOptions {
        random: args.random,
        seed: args.seed,
        varied: args.varied,
        max_traces: args.max_traces,
        keep_going: args.keep_going,
        allow,
    };
    let result = external::drive(&spec, &mut ext, &options, &mut progress);
    talk.finish();
    drop(ext);
    let report = result.map_err(CliError::Protocol)?;
    let mut written = Vec::new();
    if !report.findings.is_empty() {
        std::fs::create_dir_all(&args.out)?;
    }
    for (i, f) in report.findings.iter().enumerate() {
        let name = match i {
            0 => format!("drive-{}.jsonl", spec.name),
            _ => format!("drive-{}-{}.jsonl", spec.name, i + 1),
        };
        let path = args.out.join(name);
        OutputFile::write_whole(&path, f.trace.to_jsonl().as_bytes())?;
        written.push(path);
    }
    let command = args.command.join(" ");
    let text = crate::report::drive::text(&spec, &command, args.seed, &report, &written);
    write!(out, "{text}")?;
    Ok(Outcome::holds_if(!report.failed()))
}
