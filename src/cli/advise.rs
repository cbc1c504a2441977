//! `joincheck advise`: what each watermark delay costs on a workload, and the smallest that
//! keeps the loss against the ideal join within a budget.
//!
//! What is swept: the watermark delays (the engine's, for derived watermarks; the upstream
//! generator's, `[workload] watermark_delay`, for watermarks from the trace) and, for the keyed
//! Flink functions, the horizon (`[join] horizon`: the seed's TTL and timer offset).
//!
//! The trace is generated once from the model's `[workload]` (or read once with `--trace`)
//! and held in memory; each setting runs only the engine, the streaming oracle and the ideal
//! join over it again (`sim::run_steps`; for trace watermarks, `sim::UpstreamWatermarks`
//! re-emits the generator's watermarks at the setting's delay over the same records and clock
//! readings). Per setting that is one pass over the records, so a sweep of S settings costs S
//! engine passes and one generation. One pass for all settings would serve the lateness part
//! of the loss for per-record watermarks (a record needs the delay by which it trails the
//! largest event time before it), but not state or eviction, which the engine decides.

use super::{CliError, Outcome};
use crate::model::workload::parse_percent;
use crate::model::JoinSpec;
use crate::sim::{self, SimReport, Workload};
use crate::time::Duration;
use crate::trace::Step;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model file (TOML); its `[workload]` describes the data.
    #[arg(long)]
    model: PathBuf,
    /// Sweep over a recorded trace (JSON lines) instead of a generated workload.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// The workload's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Records to generate; by default enough event time for the join (three windows' reach,
    /// plus the largest delay and the slowest arrivals), at most 2,000,000.
    #[arg(long)]
    records: Option<u64>,
    /// The delays to try, comma-separated (default: 0 to 24h in steps of about 1.5×).
    #[arg(long, value_delimiter = ',')]
    delays: Vec<String>,
    /// Horizons to try, comma-separated, for the keyed Flink functions: the seed's TTL and
    /// cleanup-timer offset (`flink-keyed-ttl`), the corrected function's impression cleanup
    /// (`flink-keyed-fixed`). Alone, only the horizon is swept; with `--delays`, every pair.
    #[arg(long, value_delimiter = ',')]
    horizons: Vec<String>,
    /// Which side's delay to sweep; the other keeps the model's.
    #[arg(long, value_enum, default_value_t = SweptSide::Both)]
    side: SweptSide,
    /// The loss budget against the ideal join, as a percentage of its rows (`0.1%`, or `0.1`).
    #[arg(long, default_value = "0.1%")]
    max_loss: String,
    /// Bytes a record takes in state, to state the state in bytes too.
    #[arg(long, default_value_t = 200)]
    record_bytes: u64,
    /// One JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Draw the loss and the state against the delay (SVG).
    #[arg(long)]
    svg: Option<PathBuf>,
    /// A line of the model's `[workload]` to override (repeatable), e.g.
    /// `--workload 'right_arrival = { median = "3m", p99 = "40m" }'`.
    #[arg(long = "workload", value_name = "KEY = VALUE")]
    workload: Vec<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweptSide {
    Both,
    Left,
    Right,
}

/// The default sweep: 0, 30s, 1m, 2m, 3m, 5m, 7m, 10m, 15m, 20m, 30m, 45m, 1h, 90m, 2h, 3h,
/// 4h, 6h, 9h, 12h, 18h, 24h.
const LADDER: [&str; 22] = [
    "0", "30s", "1m", "2m", "3m", "5m", "7m", "10m", "15m", "20m", "30m", "45m", "1h", "90m", "2h", "3h", "4h", "6h",
    "9h", "12h", "18h", "24h",
];

/// One setting's outcome.
struct Row {
    delays: [Duration; 2],
    /// The horizon, when swept.
    horizon: Option<Duration>,
    report: SimReport,
}

/// The most records `advise` generates unless told: it runs them once per setting.
const ADVISE_CAP: u64 = 2_000_000;

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let mut spec = JoinSpec::load(&args.model)?;
    crate::model::toml::override_workload(&mut spec, &args.workload)?;
    let budget = parse_percent(&args.max_loss).map_err(|e| input_error("--max-loss", e))?;
    let plan = Plan::new(&spec, &args)?;
    // The data, once.
    let workload = Workload::for_spec(&spec);
    let sizing = workload.sized(&spec.params, ADVISE_CAP);
    let (steps, records): (Vec<Step>, u64) = match &args.trace {
        Some(path) => {
            let trace = super::load_trace(&spec, path)?;
            (trace.steps().to_vec(), trace.records().len() as u64)
        }
        None => {
            let records = args.records.unwrap_or(sizing.records);
            (workload.steps(args.seed, records).collect(), records)
        }
    };
    let sized = match &args.trace {
        Some(_) => None,
        None => Some(super::sizing_words(&sizing, args.records)),
    };
    if let Some(words) = &sized {
        eprintln!("advise: {words}");
    }
    if plan.upstream && plan.sweep_delays && !steps.iter().any(|s| matches!(s, Step::ProcessingTime(_))) {
        return Err(input_error(
            &spec.file,
            "this model's watermarks come from the trace, and advise sweeps the delay of the upstream generator \
             that emits them at each processing_time step; this trace has none. Sweep --horizons only (the \
             trace's own watermarks are kept), or drop --trace to sweep over the model's [workload]"
                .into(),
        )
        .into());
    }
    let rows = sweep(
        &spec,
        &plan,
        &plan.settings(&spec, &workload, args.side),
        &steps,
        records,
    );
    // Too few ideal rows (they are the same for every setting) support no choice.
    let too_few = rows.first().is_some_and(|r| r.report.loss.too_few_rows());
    let chosen = choose(&rows, budget, plan.sweep_delays && !plan.horizons.is_empty()).filter(|_| !too_few);
    if let Some(path) = &args.svg {
        write_svg(path, &spec, &plan, args.side, &rows, chosen, budget)?;
    }
    let sweep = Sweep {
        upstream: plan.upstream,
        horizons: !plan.horizons.is_empty(),
    };
    if args.json {
        writeln!(out, "{}", json(&spec, &args, &rows, chosen, budget, sweep))?;
    } else {
        write!(out, "{}", text(&spec, &args, &rows, chosen, budget, records, sweep))?;
        if let Some(words) = &sized {
            writeln!(out, "size: {words}")?;
        }
    }
    // Exit 0 when a setting meets the budget, 1 when none does.
    Ok(Outcome::holds_if(chosen.is_some()))
}

/// A bad flag value, named by its flag.
fn input_error(what: &str, msg: String) -> crate::error::InputError {
    crate::error::InputError::new(what.to_owned(), msg)
}

/// The durations a flag lists, sorted and each once; none negative.
fn durations(flag: &str, texts: &[String]) -> Result<Vec<Duration>, CliError> {
    let mut v: Vec<Duration> = texts
        .iter()
        .map(|t| {
            t.trim()
                .parse::<Duration>()
                .map_err(|e| input_error(flag, e.to_string()))
                .and_then(|d| {
                    if d < Duration::ZERO {
                        Err(input_error(flag, format!("{d} is negative")))
                    } else {
                        Ok(d)
                    }
                })
        })
        .collect::<Result<_, _>>()?;
    v.sort();
    v.dedup();
    Ok(v)
}

/// What the sweep varies, from the flags and the model.
struct Plan {
    /// The horizons asked for (none: the model's).
    horizons: Vec<Duration>,
    /// The delays swept (the ladder unless `--delays` names them); none when only horizons are.
    delays: Vec<Duration>,
    sweep_delays: bool,
    /// The model's watermarks come from the trace: the upstream generator's delay is swept.
    upstream: bool,
}

impl Plan {
    fn new(spec: &JoinSpec, args: &Args) -> Result<Plan, CliError> {
        let horizons = durations("--horizons", &args.horizons)?;
        if !horizons.is_empty() && !spec.params.profile.has_horizon() {
            return Err(input_error(
                "--horizons",
                format!(
                    "the {} profile has no horizon to sweep; the keyed Flink functions (flink-keyed-ttl, \
                     flink-keyed-fixed) do",
                    spec.params.profile.name()
                ),
            )
            .into());
        }
        // Sweep the delays unless only horizons were asked for.
        let sweep_delays = horizons.is_empty() || !args.delays.is_empty();
        let delays = if !sweep_delays {
            Vec::new()
        } else if args.delays.is_empty() {
            durations("--delays", &LADDER.map(str::to_owned))?
        } else {
            durations("--delays", &args.delays)?
        };
        Ok(Plan {
            horizons,
            delays,
            sweep_delays,
            upstream: spec.params.watermark.source == crate::model::WatermarkSource::Trace,
        })
    }

    /// The horizons swept: those asked for, or the model's alone.
    fn swept_horizons(&self, spec: &JoinSpec) -> Vec<Option<Duration>> {
        if self.horizons.is_empty() {
            vec![spec.params.horizon]
        } else {
            self.horizons.iter().copied().map(Some).collect()
        }
    }

    /// Every setting, horizon by horizon: the delays of both inputs (the swept side's from the
    /// sweep, the other's as they are) and the horizon.
    fn settings(
        &self,
        spec: &JoinSpec,
        workload: &Workload,
        side: SweptSide,
    ) -> Vec<([Duration; 2], Option<Duration>)> {
        // The current delays: the model's, or for trace watermarks the workload's generator's.
        let current = if self.upstream {
            workload.watermark_delay.map(Duration::from_millis)
        } else {
            spec.params.watermark.delay
        };
        let swept_delays: Vec<[Duration; 2]> = if self.sweep_delays {
            self.delays
                .iter()
                .map(|d| match side {
                    SweptSide::Both => [*d, *d],
                    SweptSide::Left => [*d, current[1]],
                    SweptSide::Right => [current[0], *d],
                })
                .collect()
        } else {
            vec![current]
        };
        let horizons = self.swept_horizons(spec);
        horizons
            .iter()
            .flat_map(|h| swept_delays.iter().map(move |d| (*d, *h)))
            .collect()
    }
}

/// One engine pass over `steps` per setting (see the module doc for why not one pass).
fn sweep(
    spec: &JoinSpec,
    plan: &Plan,
    settings: &[([Duration; 2], Option<Duration>)],
    steps: &[Step],
    records: u64,
) -> Vec<Row> {
    let bar = indicatif::ProgressBar::new(settings.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} settings, {elapsed}").expect("a valid template"),
    );
    let mut talk = super::talk::Talk::beside_a_bar();
    let mut rows = Vec::new();
    for &(delays, horizon) in settings {
        let mut s = spec.clone();
        s.params.horizon = horizon;
        // Derived watermarks: the engine's delay. Trace watermarks: re-emitted by the upstream
        // generator at the swept delay (the recorded or generated ones are dropped).
        let rewatermark = if plan.upstream {
            if let Some(w) = &mut s.workload {
                w.watermark_delay = delays.map(|d| d.as_millis());
            }
            plan.sweep_delays.then_some(delays)
        } else {
            s.params.watermark.delay = delays;
            None
        };
        let engine = crate::engine::for_spec(&s);
        let steps = sim::UpstreamWatermarks::new(steps.iter().copied(), rewatermark);
        let report = sim::run_steps(&s, engine, steps, records, &mut |_| {}, &mut |_| {});
        rows.push(Row {
            delays,
            horizon: horizon.map(|_| s.params.horizon()),
            report,
        });
        bar.inc(1);
        talk.progress(|| {
            format!(
                "advise: {} of {} settings tried, {:.0}s",
                rows.len(),
                settings.len(),
                bar.elapsed().as_secs_f64()
            )
        });
    }
    bar.finish_and_clear();
    rows
}

/// For `check`: the smallest delay above the model's, on `side` (derived watermarks), that
/// keeps the loss over `steps` (holding `records` records) within `budget`, with the loss it
/// measured; `None` when no delay of the ladder does.
pub(super) fn smallest_delay_within(
    spec: &JoinSpec,
    side: SweptSide,
    steps: &[Step],
    records: u64,
    budget: f64,
) -> Option<([Duration; 2], crate::oracle::ideal::Loss)> {
    let current = spec.params.watermark.delay;
    let floor = match side {
        SweptSide::Left => current[0],
        SweptSide::Right => current[1],
        SweptSide::Both => current[0].max(current[1]),
    };
    let plan = Plan {
        horizons: Vec::new(),
        delays: durations("--delays", &LADDER.map(str::to_owned))
            .expect("the ladder parses")
            .into_iter()
            .filter(|d| *d > floor)
            .collect(),
        sweep_delays: true,
        upstream: false,
    };
    let rows = sweep(
        spec,
        &plan,
        &plan.settings(spec, &Workload::for_spec(spec), side),
        steps,
        records,
    );
    let i = choose(&rows, budget, false)?;
    Some((rows[i].delays, rows[i].report.loss))
}

/// The advised row: in one dimension the smallest setting within the budget; delays and
/// horizons together (`both`), the one that holds the least state (p99), the smaller setting
/// on a tie.
fn choose(rows: &[Row], budget: f64, both: bool) -> Option<usize> {
    let within = |r: &Row| r.report.loss.lost_share() <= budget;
    if both {
        rows.iter()
            .enumerate()
            .filter(|(_, r)| within(r))
            .min_by_key(|(i, r)| (r.report.state_p99, *i))
            .map(|(i, _)| i)
    } else {
        rows.iter().position(within)
    }
}

/// The picture: loss and state against the swept value; with both swept, the delays at the
/// advised horizon.
fn write_svg(
    path: &std::path::Path,
    spec: &JoinSpec,
    plan: &Plan,
    side: SweptSide,
    rows: &[Row],
    chosen: Option<usize>,
    budget: f64,
) -> Result<(), CliError> {
    let both = plan.sweep_delays && !plan.horizons.is_empty();
    let at_horizon = chosen.map_or(plan.swept_horizons(spec)[0], |i| rows[i].horizon);
    let plotted: Vec<super::plot::Setting> = rows
        .iter()
        .filter(|r| !both || r.horizon == at_horizon)
        .map(|r| super::plot::Setting {
            value: match (plan.sweep_delays, side) {
                (false, _) => r.horizon.unwrap_or(Duration::ZERO),
                (true, SweptSide::Right) => r.delays[1],
                (true, _) => r.delays[0],
            },
            lost_share: r.report.loss.lost_share(),
            state_p99: r.report.state_p99,
        })
        .collect();
    let (what, x_desc) = match (plan.sweep_delays, plan.upstream) {
        (false, _) => ("the horizon (TTL and cleanup timer)", "horizon"),
        (true, false) => ("the watermark delay", "watermark delay"),
        (true, true) => (
            "the upstream watermark delay",
            "upstream watermark delay (bounded out-of-orderness)",
        ),
    };
    let mut title = format!("{}: loss and state against {what}", spec.name);
    if both {
        if let Some(h) = at_horizon {
            title += &format!(", horizon {h}");
        }
    }
    super::OutputFile::write_whole(
        path,
        super::plot::advise_svg(&plotted, budget, &title, x_desc)?.as_bytes(),
    )?;
    Ok(())
}

/// What was swept, for the words.
#[derive(Clone, Copy)]
struct Sweep {
    /// The delays are the upstream generator's (the model's watermarks come from the trace).
    upstream: bool,
    /// Horizons were swept.
    horizons: bool,
}

fn text(
    spec: &JoinSpec,
    args: &Args,
    rows: &[Row],
    chosen: Option<usize>,
    budget: f64,
    records: u64,
    sweep: Sweep,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let source = match &args.trace {
        Some(p) => format!("trace {}", p.display()),
        None => workload_words(spec, args.seed),
    };
    let _ = writeln!(s, "advice for model {} ({records} records; {source})", spec.name);
    let _ = writeln!(s, "join: {}", spec.summary());
    if sweep.upstream {
        let _ = writeln!(
            s,
            "the watermarks come from the trace: the delays are the upstream generator's (Flink's \
             forBoundedOutOfOrderness: largest event time minus the delay minus 1 ms, every {}ms of arrival time)",
            Workload::for_spec(spec).watermark_interval
        );
    }
    let mut table = vec![header(sweep.horizons)];
    table.extend(rows.iter().map(|r| table_row(r, args.record_bytes, sweep.horizons)));
    s += &crate::report::table(&table);
    let ideal = rows.first().map_or(0, |r| r.report.loss.ideal);
    match chosen {
        Some(i) => s += &advice_words(&rows[i], budget, args.record_bytes),
        None if rows.first().is_some_and(|r| r.report.loss.too_few_rows()) => {
            let _ = writeln!(
                s,
                "no advice: the ideal join has only {ideal} rows here, too few for a loss share to choose a delay by \
                 (at least {}); run more event time (--records, or leave it out for the default size)",
                crate::oracle::ideal::FEW_IDEAL_ROWS
            );
        }
        None => {
            let _ = writeln!(
                s,
                "advice: no setting tried keeps the loss within {:.3}%; try longer ones (--delays, --horizons)",
                100.0 * budget
            );
        }
    }
    s
}

/// The generated workload in words: its seed and what it draws.
fn workload_words(spec: &JoinSpec, seed: u64) -> String {
    format!("workload seed {seed}: {}", Workload::for_spec(spec).describe())
}

/// The table's header, with a horizon column when horizons were swept.
fn header(horizons: bool) -> Vec<String> {
    let mut header = vec![
        "delay left".to_owned(),
        "delay right".to_owned(),
        "lost".to_owned(),
        "late".to_owned(),
        "evicted".to_owned(),
        "state p50".to_owned(),
        "state p99".to_owned(),
        "state max".to_owned(),
        "p99 bytes".to_owned(),
        "wm lag p99".to_owned(),
    ];
    if horizons {
        header.insert(2, "horizon".to_owned());
    }
    header
}

/// One setting's row of the table, with its horizon when horizons were swept.
fn table_row(r: &Row, record_bytes: u64, horizons: bool) -> Vec<String> {
    let l = &r.report.loss;
    let mut row = vec![
        r.delays[0].to_string(),
        r.delays[1].to_string(),
        format!("{} ({:.3}%)", l.lost(), 100.0 * l.lost_share()),
        (l.late.left + l.late.right + l.late.both).to_string(),
        l.evicted.to_string(),
        r.report.state_p50.to_string(),
        r.report.state_p99.to_string(),
        r.report.state_max.to_string(),
        bytes(r.report.state_p99 as u64 * record_bytes),
        Duration::from_millis(r.report.watermark_lag_p99_ms).to_string(),
    ];
    if horizons {
        row.insert(2, r.horizon.map_or(String::new(), |h| h.to_string()));
    }
    row
}

/// The advice line for the chosen setting `r`: its loss against the budget, state and lag.
fn advice_words(r: &Row, budget: f64, record_bytes: u64) -> String {
    let horizon = r.horizon.map_or(String::new(), |h| format!(" with horizon {h}"));
    format!(
        "advice: delays {} / {}{horizon} keep the loss against the ideal join at {:.3}% (budget {:.3}%): {} of {} \
         ideal rows lost; state p99 {} records ({} at {} bytes each), max {}; watermark lag p99 {}\n",
        r.delays[0],
        r.delays[1],
        100.0 * r.report.loss.lost_share(),
        100.0 * budget,
        r.report.loss.lost(),
        r.report.loss.ideal,
        r.report.state_p99,
        bytes(r.report.state_p99 as u64 * record_bytes),
        record_bytes,
        r.report.state_max,
        Duration::from_millis(r.report.watermark_lag_p99_ms)
    )
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn json(spec: &JoinSpec, args: &Args, rows: &[Row], chosen: Option<usize>, budget: f64, sweep: Sweep) -> String {
    let row = |r: &Row| {
        serde_json::json!({
            "left_delay": r.delays[0].to_string(), "right_delay": r.delays[1].to_string(),
            "horizon": r.horizon.map(|h| h.to_string()),
            "lost": r.report.loss.lost(), "lost_share": r.report.loss.lost_share(),
            "ideal_join": r.report.loss,
            "state": {"p50": r.report.state_p50, "p99": r.report.state_p99, "max": r.report.state_max,
                      "p99_bytes": r.report.state_p99 as u64 * args.record_bytes},
            "watermark_lag_ms": {"p99": r.report.watermark_lag_p99_ms, "max": r.report.watermark_lag_max_ms},
        })
    };
    serde_json::json!({
        "model": spec.name, "seed": args.seed, "records": rows.first().map_or(0, |r| r.report.records),
        "max_loss": budget, "record_bytes": args.record_bytes,
        "delays": if sweep.upstream { "upstream generator" } else { "engine" },
        "settings": rows.iter().map(row).collect::<Vec<_>>(),
        "advice": chosen.map(|i| row(&rows[i])),
    })
    .to_string()
}
