//! `joincheck check`: model-check models, every interleaving within each model's scope.

use super::{spinner, CliError, Outcome, OutputFile};
use crate::checker::{self, limits, Limits, ModelReport, Stopped};
use crate::error::InputError;
use crate::model::JoinSpec;
use crate::report::check::{self as render, WrittenCounterexample};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model files (default: every .toml file in models/).
    models: Vec<PathBuf>,
    /// Where counterexample traces are written.
    #[arg(long, default_value = "target/joincheck")]
    out: PathBuf,
    /// Print a machine-readable report (one JSON object per model) instead of tables.
    #[arg(long)]
    json: bool,
    /// Offer every key at every step instead of keys in order of first use.
    #[arg(long)]
    no_symmetry: bool,
    /// Checker threads (counterexample searches always run on one).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Stop a model's search after this many unique states (the report then says it is not
    /// exhaustive, and the exit status is 3 unless a verdict contradicts the model).
    #[arg(long)]
    max_states: Option<usize>,
    /// Stop a model's search when the process's memory passes this (e.g. 4G, 512M; default:
    /// half of the machine's memory). Ctrl-C stops the search the same way.
    #[arg(long, value_parser = limits::parse_size)]
    max_memory: Option<u64>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let models = if args.models.is_empty() {
        bundled_models(Path::new("models"))?
    } else {
        args.models
    };
    let mut limits = Limits::default();
    limits.max_states = args.max_states;
    limits.max_memory = args.max_memory.or(limits.max_memory);
    // Ctrl-C stops the search and still prints what it covered; a second one kills.
    let interrupt = limits.interrupt.clone();
    let _ = ctrlc::set_handler(move || {
        if interrupt.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    let options = checker::Options {
        symmetry: !args.no_symmetry,
        only: None,
        threads: args.threads,
        limits,
        shortest: true,
    };
    // Every model is read before any is checked: a bad one stops the run before it prints or
    // writes anything.
    let specs = models
        .iter()
        .map(|p| JoinSpec::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    for spec in &specs {
        spec.checker_scope()?;
    }
    let mut reports = Vec::new();
    for spec in &specs {
        let report = check_one(spec, options.clone())?;
        let written = write_counterexamples(spec, &report, &args.out)?;
        let measured = workload_loss(spec);
        if args.json {
            writeln!(out, "{}", render::json(spec, &report, &written, measured.as_ref()))?;
        } else {
            write!(out, "{}", render::text(spec, &report, &written, measured.as_ref()))?;
        }
        let interrupted = report.stopped == Some(Stopped::Interrupted);
        reports.push(report);
        if interrupted {
            break;
        }
    }
    if !args.json {
        writeln!(out, "{}", render::closing_line(&reports))?;
    }
    Ok(if reports.iter().any(ModelReport::contradicts) {
        Outcome::Violated
    } else if reports.len() < specs.len() || reports.iter().any(|r| !r.complete()) {
        Outcome::Incomplete
    } else {
        Outcome::Holds
    })
}

/// Every `.toml` file directly in `dir`, sorted.
fn bundled_models(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            dir.display().to_string(),
            format!("cannot list the bundled models ({e}); run from the repository root or name model files"),
        )
    })?;
    let mut models: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    models.sort();
    if models.is_empty() {
        return Err(InputError::new(dir.display().to_string(), "holds no .toml model files"));
    }
    Ok(models)
}

/// Checks one model with its profile's engine, showing progress on standard error.
fn check_one(spec: &JoinSpec, options: checker::Options) -> Result<ModelReport, InputError> {
    let bar = spinner();
    let name = spec.name.clone();
    let deepest = spec.scope.as_ref().map_or(0, |s| s.max_steps() + 1);
    let mut progress = |p: checker::Progress| {
        let secs = p.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { p.unique_states as f64 / secs } else { 0.0 };
        let memory = p
            .memory
            .map_or(String::new(), |m| format!(", {}", limits::mebibytes(m)));
        let share = if p.state_bound > 0 {
            let pct = p.unique_states as f64 * 100.0 / p.state_bound as f64;
            format!(" of at most {} ({pct:.1}%)", p.state_bound)
        } else {
            String::new()
        };
        // The bound is an upper bound, so the time left at this rate is one too.
        let eta = if p.state_bound > 0 && rate > 0.0 {
            let left = (p.state_bound as f64 - p.unique_states as f64).max(0.0) / rate;
            format!(", done in at most {}", human_seconds(left))
        } else {
            String::new()
        };
        bar.set_message(format!(
            "{name}: {} states{share}, {rate:.0} states/s, depth {} of at most {deepest}, {secs:.1}s{eta}{memory}",
            p.unique_states, p.max_depth
        ));
        bar.tick();
    };
    let report = checker::check_spec(spec, options, &mut progress);
    bar.finish_and_clear();
    report
}

/// A duration for a progress line: `40s`, `12 min`, `3.5 h`, `more than a day`.
fn human_seconds(secs: f64) -> String {
    match secs {
        s if s < 90.0 => format!("{s:.0}s"),
        s if s < 90.0 * 60.0 => format!("{:.0} min", s / 60.0),
        s if s < 24.0 * 3600.0 => format!("{:.1} h", s / 3600.0),
        _ => "more than a day".to_owned(),
    }
}

/// Writes each counterexample trace to `dir/<model>/<property>.jsonl` (or
/// `defect-<name>.jsonl`) and explains it.
fn write_counterexamples(
    spec: &JoinSpec,
    report: &ModelReport,
    dir: &Path,
) -> Result<Vec<WrittenCounterexample>, CliError> {
    let mut written = Vec::new();
    for (p, defect, cx) in render::counterexamples(report) {
        let folder = dir.join(&spec.name);
        std::fs::create_dir_all(&folder)?;
        let stem = defect.as_ref().map_or(p.name().to_owned(), |d| format!("defect-{d}"));
        let path = folder.join(format!("{stem}.jsonl"));
        OutputFile::write_whole(&path, cx.trace.to_jsonl().as_bytes())?;
        written.push(WrittenCounterexample::explain(spec, p, defect, cx, path));
    }
    Ok(written)
}

/// Records of the model's `[workload]` that `check` runs to measure the loss against the ideal
/// join (seed 1): a measure reported beside the verdicts, not a property.
const MEASURED_RECORDS: u64 = 100_000;

/// The loss against the ideal join on the model's `[workload]`, when it has one and derives
/// its watermarks from the data.
fn workload_loss(spec: &JoinSpec) -> Option<render::Measured> {
    spec.workload.as_ref()?;
    if spec.params.watermark.source != crate::model::WatermarkSource::Derived {
        return None;
    }
    let workload = crate::sim::Workload::for_spec(spec);
    let engine = crate::engine::for_spec(spec);
    let report = crate::sim::simulate(spec, engine, &workload, 1, MEASURED_RECORDS, &mut |_| {}, &mut |_| {});
    Some(render::Measured {
        seed: 1,
        records: MEASURED_RECORDS,
        loss: report.loss,
    })
}
