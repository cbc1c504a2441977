//! `joincheck check`: model-check models, every interleaving within each model's scope; a
//! model without `[scope]` in scopes grown while its time budget lasts (`checker/grow.rs`).
//!
//! Before exploring a scope, standard error says what it is and how many states it has at
//! most; once the rate is measured, how long the bound takes at that rate and whether the
//! budget ends first; then a progress line at least every 30 s when it is not a terminal.

use super::talk::Talk;
use super::{CliError, Outcome, OutputFile};
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
    /// Checker threads for the main search (counterexample searches always run on one);
    /// by default, one per core.
    #[arg(long)]
    threads: Option<usize>,
    /// Stop a model's search after this many unique states (the report then says it is not
    /// exhaustive, and the exit status is 3 unless a verdict contradicts the model).
    #[arg(long)]
    max_states: Option<usize>,
    /// Stop a model's search when the process's memory passes this (e.g. 4G, 512M; default:
    /// half of the machine's memory). Ctrl-C stops the search the same way.
    #[arg(long, value_parser = limits::parse_size)]
    max_memory: Option<u64>,
    /// Time budget per model (e.g. 60s, 5m, 1h30m: durations as model files write them). A model without [scope] is checked in scopes
    /// grown while it lasts (default 60s); a model with [scope] has no time budget unless
    /// one is given.
    #[arg(long, value_parser = limits::parse_budget)]
    budget: Option<std::time::Duration>,
}

/// The time budget of a model without `[scope]` when `--budget` gives none.
const DEFAULT_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let models = if args.models.is_empty() {
        bundled_models(Path::new("models"))?
    } else {
        args.models
    };
    let mut limits = Limits::default();
    limits.max_states = args.max_states;
    limits.max_memory = args.max_memory.or(limits.max_memory);
    // Ctrl-C, SIGTERM (a CI job's timeout) or SIGHUP stops the search and still prints what
    // it covered; a second one kills.
    let interrupt = limits.interrupt.clone();
    let _ = ctrlc::set_handler(move || {
        if interrupt.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    let options = checker::Options {
        symmetry: !args.no_symmetry,
        only: None,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        limits,
        shortest: true,
    };
    // Every model is read before any is checked: a bad one stops the run before it prints or
    // writes anything.
    let specs = models
        .iter()
        .map(|p| JoinSpec::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reports = Vec::new();
    // Models that lose more of the ideal join than their `[workload] max_loss` allows.
    let mut over_budget = 0;
    for spec in &specs {
        let (spec, report) = check_one(spec, options.clone(), args.budget)?;
        let spec = &spec;
        let written = write_counterexamples(spec, &report, &args.out)?;
        let measured = workload_loss(spec);
        over_budget += usize::from(measured.as_ref().is_some_and(render::Measured::over_budget));
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
        writeln!(out, "{}", render::closing_line(&reports, over_budget))?;
    }
    Ok(if reports.iter().any(ModelReport::contradicts) || over_budget > 0 {
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

/// Checks one model with its profile's engine (in grown scopes when it has none), talking on
/// standard error; the model as checked (with the last scope tried) and its report.
fn check_one(
    spec: &JoinSpec,
    mut options: checker::Options,
    budget: Option<std::time::Duration>,
) -> Result<(JoinSpec, ModelReport), InputError> {
    let budget = budget.or(spec.scope.is_none().then_some(DEFAULT_BUDGET));
    if let Some(budget) = budget {
        options.limits = options.limits.with_budget(budget);
    }
    let mut talk = Narrator {
        talk: Talk::for_budget(budget),
        name: spec.name.clone(),
        limits: options.limits.clone(),
        scope: None,
        estimated: false,
    };
    let result = match &spec.scope {
        Some(scope) => {
            let scope = scope.clone();
            checker::check_spec(spec, options.clone(), &mut |p| talk.heard(&scope, p)).map(|r| (spec.clone(), r))
        }
        None => {
            talk.talk.say(&format!(
                "{}: no [scope]: checking in scopes grown from 1 left and 1 right record while the budget of {} lasts",
                spec.name,
                limits::budget_words(budget.unwrap_or(DEFAULT_BUDGET))
            ));
            checker::check_grown(spec, options.clone(), &mut |scope, p| talk.heard(scope, p))
        }
    };
    talk.talk.finish();
    let (checked, mut report) = result?;
    // A violation the join's constants or a known bug of the engine cause is named, each
    // checked to go away without it.
    checker::explain_causes(&checked, &mut report, &options)?;
    Ok((checked, report))
}

/// What `check` says about a model's exploration while it runs.
struct Narrator {
    talk: Talk,
    name: String,
    limits: Limits,
    /// The scope being explored, once announced.
    scope: Option<crate::model::Scope>,
    /// Whether the time the bound takes has been estimated for this scope.
    estimated: bool,
}

/// How long a scope is explored before the rate is taken as measured.
const MEASURED_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

impl Narrator {
    fn heard(&mut self, scope: &crate::model::Scope, p: checker::Progress) {
        if self.scope.as_ref() != Some(scope) {
            self.scope = Some(scope.clone());
            self.estimated = false;
            self.talk.say(&format!(
                "{}: exploring {scope}: at most {} states",
                self.name,
                bound_words(p.state_bound)
            ));
        }
        let secs = p.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { p.unique_states as f64 / secs } else { 0.0 };
        if !self.estimated && p.elapsed >= MEASURED_AFTER && rate > 0.0 && p.state_bound > 0 {
            self.estimated = true;
            self.talk.say(&self.estimate(rate, p));
        }
        let deepest = scope.max_steps() + 1;
        let name = &self.name;
        self.talk.progress(|| {
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
            format!(
                "{name}: {} states{share}, {rate:.0} states/s, depth {} of at most {deepest}, {secs:.1}s{eta}{memory}",
                p.unique_states, p.max_depth
            )
        });
    }

    /// How long the bound takes at the measured rate, and what to change when the budget
    /// ends first.
    fn estimate(&self, rate: f64, p: checker::Progress) -> String {
        let left = (p.state_bound as f64 - p.unique_states as f64).max(0.0) / rate;
        let mut line = format!(
            "{}: {rate:.0} states/s measured: the rest of the bound takes at most {}",
            self.name,
            human_seconds(left)
        );
        if let Some(budget_left) = self.limits.time_left() {
            if left > budget_left.as_secs_f64() {
                line += &format!(
                    "; warning: the budget ends first, in {}: the report will say how much was covered \
                     (to cover more, raise --budget or lower left/right in [scope])",
                    human_seconds(budget_left.as_secs_f64())
                );
            }
        }
        line
    }
}

/// A state bound in words: the number, or "more than 10^30".
fn bound_words(bound: u128) -> String {
    if bound == 0 {
        "an uncounted number of".to_owned()
    } else if bound > 10u128.pow(30) {
        "more than 10^30".to_owned()
    } else {
        bound.to_string()
    }
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

/// Records of the workload that `check` runs to measure the loss against the ideal join
/// (seed 1): a measure reported beside the verdicts, judged only against the model's
/// `[workload] max_loss`.
const MEASURED_RECORDS: u64 = 100_000;

/// The loss against the ideal join on the model's `[workload]`, or on the default workload
/// when it has none, for a model that derives its watermarks from the data; over the model's
/// `max_loss`, with the smallest delay that keeps within it.
fn workload_loss(spec: &JoinSpec) -> Option<render::Measured> {
    if spec.params.watermark.source != crate::model::WatermarkSource::Derived {
        return None;
    }
    let workload = crate::sim::Workload::for_spec(spec);
    let steps: Vec<crate::trace::Step> = workload.steps(1, MEASURED_RECORDS).collect();
    let times = steps.iter().filter_map(|s| match s {
        crate::trace::Step::Record(r) => Some(r.ts.as_millis()),
        _ => None,
    });
    let (first, last) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let budget = spec.workload.as_ref().and_then(|w| w.max_loss);
    let loss = measure(spec, &steps);
    let fix = budget
        .filter(|b| loss.lost_share() > *b)
        .map(|b| smallest_fix(spec, &loss, &steps, b));
    Some(render::Measured {
        seed: 1,
        records: MEASURED_RECORDS,
        default_workload: spec.workload.is_none(),
        event_time: crate::time::Duration::from_millis(last.saturating_sub(first).max(0)),
        loss,
        budget,
        fix,
    })
}

/// What `spec`'s engine loses of the ideal join over `steps`.
fn measure(spec: &JoinSpec, steps: &[crate::trace::Step]) -> crate::oracle::ideal::Loss {
    let engine = crate::engine::for_spec(spec);
    crate::sim::run_steps(
        spec,
        engine,
        steps.iter().copied(),
        MEASURED_RECORDS,
        &mut |_| {},
        &mut |_| {},
    )
    .loss
}

/// The smallest change that keeps the loss over `steps` within `budget`, for a model that
/// loses `loss`: for watermarks combined by max, the min policy (the slower input then
/// decides); else the delay of the side that loses more to lateness, alone, then both
/// delays; each the smallest of advise's ladder above the model's.
fn smallest_fix(
    spec: &JoinSpec,
    loss: &crate::oracle::ideal::Loss,
    steps: &[crate::trace::Step],
    budget: f64,
) -> Option<render::Fix> {
    use super::advise::SweptSide;
    if spec.params.watermark.policy == crate::model::Policy::Max {
        let mut min = spec.clone();
        min.params.watermark.policy = crate::model::Policy::Min;
        let loss = measure(&min, steps);
        if loss.lost_share() <= budget {
            return Some(render::Fix {
                change: "policy = \"min\" (spark.sql.streaming.multipleWatermarkPolicy = min)".to_owned(),
                loss,
            });
        }
    }
    let late = &loss.late;
    let first = if late.right >= late.left {
        SweptSide::Right
    } else {
        SweptSide::Left
    };
    let now = spec.params.watermark.delay;
    [first, SweptSide::Both].into_iter().find_map(|side| {
        let (delays, loss) = super::advise::smallest_delay_within(spec, side, steps, MEASURED_RECORDS, budget)?;
        let changed: Vec<String> = ["left_delay", "right_delay"]
            .iter()
            .zip(now.iter().zip(delays))
            .filter(|(_, (now, then))| **now != *then)
            .map(|(key, (_, then))| format!("{key} = \"{then}\""))
            .collect();
        Some(render::Fix {
            change: changed.join(" and "),
            loss,
        })
    })
}
