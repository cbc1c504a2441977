//! `joincheck bugs`: the real-bug benchmark.

use super::{CliError, Outcome};
use crate::testing::mutants;
use crate::testing::report as render;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object per mutant instead of the table.
    #[arg(long)]
    json: bool,
    /// Seed of the random search.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Random traces per mutant, at most.
    #[arg(long, default_value_t = 10_000)]
    random: usize,
    /// Where the bundled models are.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Only the mutants whose name contains this.
    #[arg(long)]
    only: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let mut results = Vec::new();
    for m in mutants::catalogue() {
        if args.only.as_ref().is_some_and(|o| !m.name.contains(o.as_str())) {
            continue;
        }
        let r = mutants::run_one(&m, &args.models, args.seed, args.random)?;
        if args.json {
            // One line per mutant as soon as it is done: the whole run takes a while.
            writeln!(out, "{}", render::json(&r, args.seed))?;
        }
        results.push(r);
    }
    if !args.json {
        write!(out, "{}", render::text(&results, args.seed, args.random))?;
    }
    Ok(Outcome::holds_if(results.iter().all(|r| r.checker.property.is_some())))
}
