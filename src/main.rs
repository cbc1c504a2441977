use clap::Parser;
use joincheck::cli::{self, Cli, CliError};
use std::process::ExitCode;

fn main() -> ExitCode {
    let parsed = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = cli::run(parsed, &mut out).and_then(|o| {
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
