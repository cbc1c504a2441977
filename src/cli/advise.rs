//! `joincheck advise`: what each watermark delay costs on a workload, and the smallest that
//! keeps the loss against the ideal join within a budget.
//!
//! The trace is generated once from the model's `[workload]` (or read once with `--trace`)
//! and held in memory; each setting runs only the engine, the streaming oracle and the ideal
//! join over it again (`sim::run_steps`). Per setting that is one pass over the records, so a
//! sweep of S settings costs S engine passes and one generation.

use super::{CliError, Outcome};
use joincheck::model::JoinSpec;
use joincheck::sim::{self, SimReport, Workload};
use joincheck::time::Duration;
use joincheck::trace::Step;
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
    /// Records to generate.
    #[arg(long, default_value_t = 200_000)]
    records: u64,
    /// The delays to try, comma-separated (default: 0 to 24h in steps of about 1.5×).
    #[arg(long, value_delimiter = ',')]
    delays: Vec<String>,
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
    report: SimReport,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let mut spec = JoinSpec::load(&args.model)?;
    joincheck::model::toml::override_workload(&mut spec, &args.workload)?;
    let input_error = |what: &str, msg: String| joincheck::error::InputError::new(what.to_owned(), msg);
    let budget = parse_percent(&args.max_loss).map_err(|e| input_error("--max-loss", e))?;
    let texts: Vec<String> = if args.delays.is_empty() {
        LADDER.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.delays.clone()
    };
    let mut delays: Vec<Duration> = texts
        .iter()
        .map(|t| {
            t.trim()
                .parse::<Duration>()
                .map_err(|e| input_error("--delays", e.to_string()))
                .and_then(|d| {
                    if d < Duration::ZERO {
                        Err(input_error("--delays", format!("{d} is negative")))
                    } else {
                        Ok(d)
                    }
                })
        })
        .collect::<Result<_, _>>()?;
    delays.sort();
    delays.dedup();
    if spec.params.watermark.source != joincheck::model::WatermarkSource::Derived {
        return Err(input_error(
            &spec.file,
            "advise sweeps watermark delays, and this model's watermarks come from the trace".into(),
        )
        .into());
    }

    // The data, once.
    let (steps, records): (Vec<Step>, u64) = match &args.trace {
        Some(path) => {
            let trace = super::load_trace(&spec, path)?;
            (trace.steps().to_vec(), trace.records().len() as u64)
        }
        None => {
            let workload = Workload::for_spec(&spec);
            (workload.steps(args.seed, args.records).collect(), args.records)
        }
    };
    let bar = indicatif::ProgressBar::new(delays.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} settings, {elapsed}").expect("a valid template"),
    );
    let mut rows = Vec::new();
    for d in &delays {
        let mut s = spec.clone();
        let delay = &mut s.params.watermark.delay;
        match args.side {
            SweptSide::Both => *delay = [*d, *d],
            SweptSide::Left => delay[0] = *d,
            SweptSide::Right => delay[1] = *d,
        }
        let engine = joincheck::engine::for_spec(&s);
        let report = sim::run_steps(&s, engine, steps.iter().copied(), records, &mut |_| {}, &mut |_| {});
        rows.push(Row {
            delays: s.params.watermark.delay,
            report,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let chosen = rows.iter().position(|r| r.report.loss.lost_share() <= budget);
    if let Some(path) = &args.svg {
        let settings: Vec<super::plot::Setting> = rows
            .iter()
            .map(|r| super::plot::Setting {
                delay: match args.side {
                    SweptSide::Right => r.delays[1],
                    _ => r.delays[0],
                },
                lost_share: r.report.loss.lost_share(),
                state_p99: r.report.state_p99,
            })
            .collect();
        let title = format!("{}: loss and state against the watermark delay", spec.name);
        super::OutputFile::write_whole(path, super::plot::advise_svg(&settings, budget, &title)?.as_bytes())?;
    }
    if args.json {
        writeln!(out, "{}", json(&spec, &args, &rows, chosen, budget))?;
    } else {
        write!(out, "{}", text(&spec, &args, &rows, chosen, budget, records))?;
    }
    // Exit 0 when a setting meets the budget, 1 when none does.
    Ok(Outcome::holds_if(chosen.is_some()))
}

/// `0.1%` or `0.1` (both a tenth of a percent) as a share.
fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_end_matches('%');
    match t.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v / 100.0),
        _ => Err(format!("{text:?} is not a percentage; write e.g. \"0.1%\"")),
    }
}

fn text(spec: &JoinSpec, args: &Args, rows: &[Row], chosen: Option<usize>, budget: f64, records: u64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let source = match &args.trace {
        Some(p) => format!("trace {}", p.display()),
        None => {
            let w = Workload::for_spec(spec);
            format!(
                "workload seed {}: {} impressions/s, {:.1}% clicked, click after {}, arrival delay left {}, right {}",
                args.seed,
                w.impressions_per_sec,
                100.0 * w.click_through,
                w.click_after.describe(),
                w.arrival[0].describe(),
                w.arrival[1].describe()
            )
        }
    };
    let _ = writeln!(s, "advice for model {} ({records} records; {source})", spec.name);
    let _ = writeln!(s, "join: {}", spec.summary());
    let mut table = vec![[
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
    ]];
    for r in rows {
        let l = &r.report.loss;
        table.push([
            r.delays[0].to_string(),
            r.delays[1].to_string(),
            format!("{} ({:.3}%)", l.lost(), 100.0 * l.lost_share()),
            (l.late.left + l.late.right + l.late.both).to_string(),
            l.evicted.to_string(),
            r.report.state_p50.to_string(),
            r.report.state_p99.to_string(),
            r.report.state_max.to_string(),
            bytes(r.report.state_p99 as u64 * args.record_bytes),
            Duration::from_millis(r.report.watermark_lag_p99_ms).to_string(),
        ]);
    }
    s += &joincheck::report::table(&table);
    match chosen {
        Some(i) => {
            let r = &rows[i];
            let _ = writeln!(
                s,
                "advice: delays {} / {} keep the loss against the ideal join at {:.3}% (budget {:.3}%): {} of {} \
                 ideal rows lost; state p99 {} records ({} at {} bytes each), max {}; watermark lag p99 {}",
                r.delays[0],
                r.delays[1],
                100.0 * r.report.loss.lost_share(),
                100.0 * budget,
                r.report.loss.lost(),
                r.report.loss.ideal,
                r.report.state_p99,
                bytes(r.report.state_p99 as u64 * args.record_bytes),
                args.record_bytes,
                r.report.state_max,
                Duration::from_millis(r.report.watermark_lag_p99_ms)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "advice: no delay tried keeps the loss within {:.3}%; try longer ones (--delays)",
                100.0 * budget
            );
        }
    }
    s
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn json(spec: &JoinSpec, args: &Args, rows: &[Row], chosen: Option<usize>, budget: f64) -> String {
    let row = |r: &Row| {
        serde_json::json!({
            "left_delay": r.delays[0].to_string(), "right_delay": r.delays[1].to_string(),
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
        "settings": rows.iter().map(row).collect::<Vec<_>>(),
        "advice": chosen.map(|i| row(&rows[i])),
    })
    .to_string()
}
