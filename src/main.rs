//! The `joincheck` command: parse the arguments, run one command, map its outcome to an exit
//! code (0 holds or agrees, 1 violated or differs, 2 bad input or usage, 3 a check stopped
//! before covering its scope).

mod cli;

use clap::Parser;
use cli::{Cli, CliError};
use std::process::ExitCode;

fn main() -> ExitCode {
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
