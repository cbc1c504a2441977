//! `joincheck export-sql`: the model's declarative oracle as SQL, for DuckDB or Spark
//! (`crate::oracle::sql` states what the views compute).

use super::{CliError, Outcome};
use crate::error::InputError;
use crate::model::JoinSpec;
use crate::oracle::sql::{self, Dialect};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model file (TOML).
    #[arg(long)]
    model: PathBuf,
    /// The SQL engine: `duckdb` or `spark`.
    #[arg(long, default_value = "duckdb")]
    dialect: String,
    /// The JSON-lines trace the `steps` view reads, as the SQL engine sees the path (a local
    /// file, or for Spark any path it reads: `hdfs://`, `s3a://`).
    #[arg(long, default_value = "trace.jsonl")]
    trace: String,
    /// An implementation's output (JSON lines): adds the `jc_audit` view, the rows missing
    /// from it and the rows it has in excess.
    #[arg(long)]
    actual: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = JoinSpec::load(&args.model)?;
    let file = args.model.display().to_string();
    let dialect = Dialect::from_name(&args.dialect).ok_or_else(|| {
        InputError::new(
            "--dialect",
            format!("{:?} is not a dialect; use duckdb or spark", args.dialect),
        )
    })?;
    let text = sql::export(&spec, dialect, &args.trace, args.actual.as_deref())
        .map_err(|e| InputError::new(&file, e.0).field("profile"))?;
    out.write_all(text.as_bytes())?;
    Ok(Outcome::Holds)
}
