//! Model files in TOML: the reader, with errors that name file, line and key, and the writer
//! for a join's parameters (which the fuzzers use to write out what they found).

use super::profile::{Knob, Unsupported};
use super::{
    Bounds, Defect, EndOfInput, Eviction, JoinKind, JoinParams, JoinSpec, KafkaWindows, Knobs, Lateness, OuterRows,
    Policy, Profile, Removed, Scope, Times, WatermarkSource, WatermarkSpec,
};
use crate::error::InputError;
use crate::event::Side;
use crate::property::{Expected, Property};
use crate::time::{Duration, EventTime, ProcessingTime};
use crate::trace::Trace;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// An error at a key of the file: the key's name, the span of its value, the message.
type At<'a> = dyn Fn(&str, Range<usize>, String) -> InputError + 'a;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Option<String>,
    description: Option<String>,
    profile: Spanned<String>,
    join: RawJoin,
    watermark: Option<RawWatermark>,
    scope: Option<RawScope>,
    expect: Option<BTreeMap<String, Spanned<RawExpect>>>,
    defect: Option<Vec<RawDefect>>,
    workload: Option<Spanned<RawWorkload>>,
}

/// A value in `[expect]`: a verdict, or (for `allow`) the known bugs the model accepts.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawExpect {
    Verdict(String),
    List(Vec<String>),
}

/// `[workload]`: every key optional, the default workload's value otherwise.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    impressions_per_sec: Option<Number>,
    click_through: Option<Number>,
    extra_clicks: Option<Number>,
    click_after: Option<Spanned<RawSpread>>,
    left_arrival: Option<Spanned<RawSpread>>,
    right_arrival: Option<Spanned<RawSpread>>,
    late_fraction: Option<Number>,
    late_factor: Option<u32>,
    duplicate_fraction: Option<Number>,
    duplicate_window: Option<u32>,
    batch_records: Option<u32>,
    start: Option<Spanned<String>>,
    keys: Option<u32>,
    key_skew: Option<Number>,
    idle: Option<Spanned<RawIdle>>,
    watermark_delay: Option<Spanned<RawPerSide>>,
    watermark_interval: Option<Spanned<String>>,
    max_loss: Option<Spanned<String>>,
}

/// A duration for both sides (`"2m"`) or each (`{ left = "1m", right = "30m" }`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawPerSide {
    Both(String),
    Each { left: String, right: String },
}

/// `idle = { every = "1h", lasting = "10m", side = "right" }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdle {
    every: String,
    lasting: String,
    side: Option<String>,
}

/// A `[workload]` table alone, for overrides on the command line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkloadOnly {
    workload: Spanned<RawWorkload>,
}

/// A number written with or without a fraction.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn get(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A spread: `{ fixed = "30s" }`, `{ uniform = "2m" }` (0 to 2m), `{ exponential = "1m" }`
/// (the mean), `{ median = "3m", p99 = "40m" }` or `{ median = "3m", sigma = 1.1 }` (log-normal).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpread {
    /// A mixture's components, each with a `weight`.
    mixture: Option<Vec<RawSpread>>,
    weight: Option<Number>,
    /// A recorded trace whose arrival delays are drawn from (relative to the model file).
    empirical: Option<String>,
    fixed: Option<String>,
    uniform: Option<String>,
    exponential: Option<String>,
    median: Option<String>,
    p99: Option<String>,
    sigma: Option<Number>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefect {
    name: Spanned<String>,
    property: Spanned<String>,
    summary: String,
    prefix: Option<Spanned<Vec<String>>>,
    scope: RawScope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    keys: Spanned<Vec<String>>,
    left: Spanned<u8>,
    right: Spanned<u8>,
    times: Option<Spanned<Vec<Spanned<String>>>>,
    time_range: Option<Spanned<Vec<Spanned<String>>>>,
    origin: Option<Spanned<String>>,
    watermarks: Option<Spanned<Vec<Spanned<String>>>>,
    watermark_steps: Option<Spanned<u8>>,
    batches: Option<u8>,
    processing_times: Option<Spanned<Vec<Spanned<String>>>>,
    snapshots: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    kind: Spanned<String>,
    bounds: Spanned<String>,
    horizon: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
    eviction: Option<Spanned<String>>,
    end_of_input: Option<Spanned<String>>,
    outer_rows: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatermark {
    source: Spanned<String>,
    left_delay: Option<Spanned<String>>,
    right_delay: Option<Spanned<String>>,
    policy: Option<Spanned<String>>,
    lateness: Option<Spanned<String>>,
}

/// Reads a model from TOML text; `file` names it in errors, `default_name` is used when the
/// model has no `name`.
pub fn read(text: &str, file: &str, default_name: &str) -> Result<JoinSpec, InputError> {
    let line_of = |offset: usize| 1 + text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count();
    let raw: RawModel = toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
    let at = |key: &str, span: Range<usize>, message: String| {
        InputError::new(file, message).at_line(line_of(span.start)).field(key)
    };
    let profile = Profile::from_name(raw.profile.get_ref()).ok_or_else(|| {
        let names: Vec<&str> = Profile::all().map(Profile::name).collect();
        choose(&at, "profile", &raw.profile, &names)
    })?;
    let kind = pick(&at, "join.kind", &raw.join.kind, &JoinKind::ALL)?;
    let bounds = Bounds::parse(raw.join.bounds.get_ref()).map_err(|m| at("join.bounds", raw.join.bounds.span(), m))?;
    let horizon = span_of(&at, &raw.join.horizon, "join.horizon", "a horizon")?;
    let grace = span_of(&at, &raw.join.grace, "join.grace", "a grace period")?;
    let knobs = read_knobs(&raw.join, profile.default_knobs(), &at)?;
    let mut params = JoinParams {
        profile,
        kind,
        bounds,
        watermark: WatermarkSpec {
            source: WatermarkSource::Derived,
            delay: [Duration::ZERO; 2],
            policy: Policy::Min,
            lateness: profile.default_lateness(),
            timing: profile.timing(),
        },
        horizon,
        grace,
        knobs,
        removed: Removed::NONE,
    };
    params.watermark = match &raw.watermark {
        Some(w) => read_watermark(w, profile, &at)?,
        // An engine with no watermarks to state (Kafka Streams: stream time follows from the
        // windows) gets the rule its join implies.
        None => match profile.implied_watermark(&params) {
            Some(Ok(rule)) => rule,
            Some(Err(problem)) => return Err(unsupported(problem, &raw, &params, &at)),
            None => return Err(missing_watermark(file)),
        },
    };
    if let Some(problem) = profile.unsupported(&params) {
        return Err(unsupported(problem, &raw, &params, &at));
    }
    let source = params.watermark.source;
    let micro_batches = profile.timing() == super::Timing::PerBatch;
    let mut expect = raw.expect.unwrap_or_default();
    let allowed = parse_allow(expect.remove("allow"), profile, &at)?;
    Ok(JoinSpec {
        name: raw.name.unwrap_or_else(|| default_name.to_owned()),
        description: raw.description.unwrap_or_default(),
        params,
        scope: match raw.scope {
            Some(scope) => Some(parse_scope(scope, source, micro_batches, &at)?),
            None => None,
        },
        expect: parse_expect(&mut expect, &at)?,
        allowed,
        defects: raw
            .defect
            .unwrap_or_default()
            .into_iter()
            .map(|d| parse_defect(d, source, micro_batches, file, &at))
            .collect::<Result<_, _>>()?,
        workload: match raw.workload {
            Some(w) => Some(parse_workload(w, &at, file, super::WorkloadSpec::default())?),
            None => None,
        },
        file: file.to_owned(),
    })
}

/// A time span at `key`, when the model states one; `what` names it in the error for a
/// negative one.
fn span_of(at: &At<'_>, d: &Option<Spanned<String>>, key: &str, what: &str) -> Result<Option<Duration>, InputError> {
    let Some(d) = d else { return Ok(None) };
    let v: Duration = d.get_ref().parse().map_err(|e| at(key, d.span(), format!("{e}")))?;
    if v.is_negative() {
        return Err(at(key, d.span(), format!("{what} cannot be negative ({v})")));
    }
    Ok(Some(v))
}

/// The knobs the `[join]` table states, the profile's `defaults` for the others.
fn read_knobs(join: &RawJoin, defaults: Knobs, at: &At<'_>) -> Result<Knobs, InputError> {
    Ok(Knobs {
        eviction: knob(at, "join.eviction", &join.eviction, &Eviction::ALL)?.unwrap_or(defaults.eviction),
        end_of_input: knob(at, "join.end_of_input", &join.end_of_input, &EndOfInput::ALL)?
            .unwrap_or(defaults.end_of_input),
        outer_rows: knob(at, "join.outer_rows", &join.outer_rows, &OuterRows::ALL)?.unwrap_or(defaults.outer_rows),
    })
}

/// The error for a model without `[watermark]` whose profile implies no watermark rule.
fn missing_watermark(file: &str) -> InputError {
    InputError::new(
        file,
        "missing table [watermark]: say where watermarks come from (source = \"derived\" or \"trace\"), \
         see models/README.md",
    )
    .field("watermark")
}

fn parse_spread(key: &str, raw: Spanned<RawSpread>, at: &At<'_>, file: &str) -> Result<super::Spread, InputError> {
    let span = raw.span();
    spread_of(key, raw.into_inner(), span, at, file)
}

fn spread_of(
    key: &str,
    r: RawSpread,
    span: Range<usize>,
    at: &At<'_>,
    file: &str,
) -> Result<super::Spread, InputError> {
    use super::Spread;
    if let Some(parts) = r.mixture {
        return mixture_of(key, parts, span, at, file);
    }
    if let Some(path) = &r.empirical {
        return empirical_of(key, path, span, at, file);
    }
    let fail = |msg: String| at(key, span.clone(), msg);
    let dur = |text: &str| -> Result<Duration, InputError> {
        let d: Duration = text.parse().map_err(|e| fail(format!("{e}")))?;
        if d < Duration::ZERO {
            return Err(fail(format!("{d} is negative; a spread is a time span")));
        }
        Ok(d)
    };
    let ms = |text: &str| dur(text).map(|d| d.as_millis());
    let shape = "write one of { fixed = \"30s\" }, { uniform = \"2m\" }, { exponential = \"1m\" } (the mean), \
                 { median = \"3m\", p99 = \"40m\" } or { median = \"3m\", sigma = 1.1 } (log-normal)";
    match (&r.fixed, &r.uniform, &r.exponential, &r.median, &r.p99, r.sigma) {
        (Some(f), None, None, None, None, None) => Ok(Spread::Fixed(ms(f)?)),
        (None, Some(u), None, None, None, None) => Ok(Spread::Uniform(ms(u)?)),
        (None, None, Some(e), None, None, None) => Ok(Spread::Exponential(ms(e)? as f64)),
        (None, None, None, Some(m), Some(p), None) => {
            Spread::log_normal_p99(dur(m)?, dur(p)?).map_err(|e| fail(e.to_string()))
        }
        (None, None, None, Some(m), None, Some(sigma)) if sigma.get() >= 0.0 && dur(m)? > Duration::ZERO => {
            Ok(Spread::LogNormal {
                median: ms(m)? as f64,
                sigma: sigma.get(),
            })
        }
        _ => Err(fail(format!("not a spread; {shape}"))),
    }
}

/// The mixture of the spreads `parts`, each weighted by its `weight` (1 when it states none).
fn mixture_of(
    key: &str,
    parts: Vec<RawSpread>,
    span: Range<usize>,
    at: &At<'_>,
    file: &str,
) -> Result<super::Spread, InputError> {
    let parts = parts
        .into_iter()
        .map(|p| {
            let w = p.weight.map_or(1.0, Number::get);
            if !(w > 0.0 && w.is_finite()) {
                return Err(at(
                    key,
                    span.clone(),
                    format!("a mixture weight must be positive, not {w}"),
                ));
            }
            let part = spread_of(key, RawSpread { weight: None, ..p }, span.clone(), at, file)?;
            Ok((w, part))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if parts.is_empty() {
        return Err(at(key, span, "a mixture needs at least one component".into()));
    }
    Ok(super::Spread::Mixture(parts.into()))
}

/// The arrival delays of the recorded trace at `path` (relative to the model `file`), for
/// the side that `key` names.
fn empirical_of(
    key: &str,
    path: &str,
    span: Range<usize>,
    at: &At<'_>,
    file: &str,
) -> Result<super::Spread, InputError> {
    let side = match key {
        "workload.left_arrival" => Side::Left,
        "workload.right_arrival" => Side::Right,
        _ => {
            return Err(at(
                key,
                span,
                "only arrival delays can be empirical (taken from a recorded trace)".into(),
            ))
        }
    };
    let base = std::path::Path::new(file).parent().unwrap_or(std::path::Path::new("."));
    let trace = Trace::load(&base.join(path)).map_err(|e| at(key, span.clone(), format!("{e}")))?;
    super::Spread::empirical(&trace, side).ok_or_else(|| {
        at(
            key,
            span,
            format!("{path} has no {} records to take delays from", side.name()),
        )
    })
}

/// `spec`'s workload (or the default one) with `lines` of a `[workload]` table laid over it:
/// what `simulate --workload` and `advise --workload` take (`"right_arrival = { median =
/// \"3m\", p99 = \"40m\" }"`).
pub fn override_workload(spec: &mut JoinSpec, lines: &[String]) -> Result<(), InputError> {
    if lines.is_empty() {
        return Ok(());
    }
    let text = format!("[workload]\n{}\n", lines.join("\n"));
    let file = "--workload";
    let raw: RawWorkloadOnly = toml::from_str(&text).map_err(|e| syntax_error(&text, file, &e))?;
    let at = |key: &str, _span: Range<usize>, message: String| InputError::new(file, message).field(key);
    let base = spec.workload.clone().unwrap_or_default();
    spec.workload = Some(parse_workload(raw.workload, &at, &spec.file, base)?);
    Ok(())
}

fn parse_workload(
    raw: Spanned<RawWorkload>,
    at: &At<'_>,
    file: &str,
    base: super::WorkloadSpec,
) -> Result<super::WorkloadSpec, InputError> {
    let span = raw.span();
    let r = raw.into_inner();
    let mut w = base;
    let share = |key: &str, n: Option<Number>, default: f64| -> Result<f64, InputError> {
        let v = n.map_or(default, Number::get);
        if !(0.0..=1.0).contains(&v) {
            return Err(at(key, span.clone(), format!("{v} is not a share between 0 and 1")));
        }
        Ok(v)
    };
    if let Some(n) = r.impressions_per_sec {
        w.impressions_per_sec = impressions_rate(n, span.clone(), at)?;
    }
    w.click_through = share("workload.click_through", r.click_through, w.click_through)?;
    w.late_fraction = share("workload.late_fraction", r.late_fraction, w.late_fraction)?;
    w.duplicate_fraction = share(
        "workload.duplicate_fraction",
        r.duplicate_fraction,
        w.duplicate_fraction,
    )?;
    if let Some(n) = r.extra_clicks {
        w.extra_clicks = n.get().max(0.0);
    }
    if let Some(s) = r.click_after {
        w.click_after = parse_spread("workload.click_after", s, at, file)?;
    }
    if let Some(s) = r.left_arrival {
        w.arrival[0] = parse_spread("workload.left_arrival", s, at, file)?;
    }
    if let Some(s) = r.right_arrival {
        w.arrival[1] = parse_spread("workload.right_arrival", s, at, file)?;
    }
    if let Some(f) = r.late_factor {
        w.late_factor = i64::from(f.max(1));
    }
    if let Some(n) = r.duplicate_window {
        w.duplicate_window = n.max(1) as usize;
    }
    if let Some(n) = r.batch_records {
        w.batch_records = Some(n as usize);
    }
    if let Some(n) = r.keys {
        w.keys = Some(key_count(n, span.clone(), at)?);
    }
    if let Some(k) = r.key_skew {
        w.key_skew = k.get().max(0.0);
    }
    if let Some(idle) = r.idle {
        (w.idle_every, w.idle_for, w.idle_side) = parse_idle(idle, at)?;
    }
    if let Some(d) = r.watermark_delay {
        w.watermark_delay = parse_watermark_delay(d, at)?;
    }
    if let Some(t) = r.watermark_interval {
        w.watermark_interval = parse_watermark_interval(t, at)?;
    }
    if let Some(start) = r.start {
        w.start_ms = parse_start(start, at)?;
    }
    if let Some(m) = r.max_loss {
        let share = super::workload::parse_percent(m.get_ref()).map_err(|e| at("workload.max_loss", m.span(), e))?;
        w.max_loss = Some(share);
    }
    Ok(w)
}

/// The impressions per second `n` states, which must be positive and finite.
fn impressions_rate(n: Number, span: Range<usize>, at: &At<'_>) -> Result<f64, InputError> {
    let rate = n.get();
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(at("workload.impressions_per_sec", span, "must be positive".into()));
    }
    Ok(rate)
}

/// The size of the key space `n` states, which needs at least one key.
fn key_count(n: u32, span: Range<usize>, at: &At<'_>) -> Result<u32, InputError> {
    if n == 0 {
        return Err(at("workload.keys", span, "a key space needs at least one key".into()));
    }
    Ok(n)
}

/// The idle periods `idle` states: every how many ms, lasting how many, and the side that
/// goes idle (`None`: both).
fn parse_idle(idle: Spanned<RawIdle>, at: &At<'_>) -> Result<(i64, i64, Option<Side>), InputError> {
    let ispan = idle.span();
    let i = idle.into_inner();
    let dur = |text: &str| -> Result<i64, InputError> {
        text.parse::<Duration>()
            .map(|d| d.as_millis())
            .map_err(|e| at("workload.idle", ispan.clone(), format!("{e}")))
    };
    let (every, lasting) = (dur(&i.every)?, dur(&i.lasting)?);
    if every <= 0 || lasting < 0 || lasting >= every {
        return Err(at("workload.idle", ispan, "idle needs 0 <= lasting < every".into()));
    }
    let side = match i.side.as_deref() {
        None | Some("both") => None,
        Some(name) => Some(Side::parse(name).ok_or_else(|| {
            at(
                "workload.idle",
                ispan.clone(),
                format!("side {name:?}: left, right or both"),
            )
        })?),
    };
    Ok((every, lasting, side))
}

/// The upstream watermark delay per side (ms) that `d` states, for both sides or each.
fn parse_watermark_delay(d: Spanned<RawPerSide>, at: &At<'_>) -> Result<[i64; 2], InputError> {
    let dspan = d.span();
    let (left, right) = match d.into_inner() {
        RawPerSide::Both(t) => (t.clone(), t),
        RawPerSide::Each { left, right } => (left, right),
    };
    let mut delay = [0; 2];
    for (i, text) in [left, right].iter().enumerate() {
        let d: Duration = text
            .parse()
            .map_err(|e| at("workload.watermark_delay", dspan.clone(), format!("{e}")))?;
        if d.is_negative() {
            return Err(at(
                "workload.watermark_delay",
                dspan.clone(),
                format!("a delay cannot be negative ({d})"),
            ));
        }
        delay[i] = d.as_millis();
    }
    Ok(delay)
}

/// The upstream watermark interval (ms) that `t` states, which must be positive.
fn parse_watermark_interval(t: Spanned<String>, at: &At<'_>) -> Result<i64, InputError> {
    let d: Duration = t
        .get_ref()
        .parse()
        .map_err(|e| at("workload.watermark_interval", t.span(), format!("{e}")))?;
    if d.as_millis() <= 0 {
        return Err(at(
            "workload.watermark_interval",
            t.span(),
            format!("the interval must be positive ({d})"),
        ));
    }
    Ok(d.as_millis())
}

/// The workload's first event time (epoch ms), from the RFC 3339 time `start` states.
fn parse_start(start: Spanned<String>, at: &At<'_>) -> Result<i64, InputError> {
    let t = EventTime::parse_rfc3339(start.get_ref()).map_err(|e| at("workload.start", start.span(), e.to_string()))?;
    Ok(t.as_millis())
}

/// A TOML or shape error from the deserializer, with the key it names when it names one.
fn syntax_error(text: &str, file: &str, e: &toml::de::Error) -> InputError {
    let mut err = InputError::new(file, e.message().trim().to_owned());
    if let Some(span) = e.span() {
        err = err.at_line(
            1 + text[..span.start.min(text.len())]
                .bytes()
                .filter(|b| *b == b'\n')
                .count(),
        );
    }
    // Only serde's "unknown field `x`" / "missing field `x`" name a key in backticks; other
    // messages quote values or syntax there.
    let named = if e.message().contains("unknown field") || e.message().contains("missing field") {
        backticked(e.message()).map(str::to_owned)
    } else {
        // A value of the wrong type: the key is what stands before `=` on its line.
        e.span().and_then(|span| key_on_line(text, span.start))
    };
    if let Some(field) = named {
        err = err.field(field);
    }
    err
}

/// An unknown value for `key`, with the values it may take.
/// The value `value` names in `table` (an `ALL` table: join kinds, knobs), or an error at
/// `key` listing the names there are.
fn pick<T: Copy>(
    at: &At<'_>,
    key: &str,
    value: &Spanned<String>,
    table: &[(&'static str, T)],
) -> Result<T, InputError> {
    match table.iter().find(|(name, _)| name == value.get_ref()) {
        Some((_, v)) => Ok(*v),
        None => Err(choose(
            at,
            key,
            value,
            &table.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        )),
    }
}

/// A knob's value, when the model states it.
fn knob<T: Copy>(
    at: &At<'_>,
    key: &str,
    value: &Option<Spanned<String>>,
    table: &[(&'static str, T)],
) -> Result<Option<T>, InputError> {
    value.as_ref().map(|v| pick(at, key, v, table)).transpose()
}

fn choose(at: &At<'_>, key: &str, value: &Spanned<String>, options: &[&str]) -> InputError {
    at(
        key,
        value.span(),
        format!(
            "unknown value {:?}; expected one of {}",
            value.get_ref(),
            options.join(", ")
        ),
    )
}

/// The `[watermark]` section; the timing is the profile's.
fn read_watermark(w: &RawWatermark, profile: Profile, at: &At<'_>) -> Result<WatermarkSpec, InputError> {
    let source = match w.source.get_ref().as_str() {
        "derived" => WatermarkSource::Derived,
        "trace" => WatermarkSource::Trace,
        _ => return Err(choose(at, "watermark.source", &w.source, &["derived", "trace"])),
    };
    let mut delay = [Duration::ZERO; 2];
    for (side, value) in [(Side::Left, &w.left_delay), (Side::Right, &w.right_delay)] {
        let key = format!("watermark.{side}_delay");
        match value {
            Some(v) => {
                let d: Duration = v.get_ref().parse().map_err(|e| at(&key, v.span(), format!("{e}")))?;
                if d.is_negative() {
                    return Err(at(&key, v.span(), format!("a delay cannot be negative ({d})")));
                }
                delay[side.index()] = d;
            }
            None if source == WatermarkSource::Derived => {
                return Err(at(
                    &key,
                    w.source.span(),
                    "missing: derived watermarks need a delay for each input".to_owned(),
                ))
            }
            None => {}
        }
    }
    let policy = match w.policy.as_ref() {
        None => profile.default_policy(),
        Some(p) if p.get_ref() == "min" => Policy::Min,
        Some(p) if p.get_ref() == "max" => Policy::Max,
        Some(p) if p.get_ref() == "per_side" => Policy::PerSide,
        Some(p) => return Err(choose(at, "watermark.policy", p, &["min", "max", "per_side"])),
    };
    let lateness = match w.lateness.as_ref() {
        None => profile.default_lateness(),
        Some(l) if l.get_ref() == "ts < wm" => Lateness::Strict,
        Some(l) if l.get_ref() == "ts <= wm" => Lateness::NonStrict,
        Some(l) if l.get_ref() == "none" => Lateness::Off,
        Some(l) => {
            return Err(choose(
                at,
                "watermark.lateness",
                l,
                &["\"ts < wm\"", "\"ts <= wm\"", "\"none\""],
            ))
        }
    };
    Ok(WatermarkSpec {
        source,
        delay,
        policy,
        lateness,
        timing: profile.timing(),
    })
}

/// A setting the profile's engine would silently not honour, as an error at its key: a model
/// must mean what its engine runs.
/// Why the model states what its profile's engine cannot run, as an error at the key: a
/// problem with the join, or with the watermarks and knobs.
fn unsupported(problem: Unsupported, raw: &RawModel, params: &JoinParams, at: &At<'_>) -> InputError {
    match problem {
        Unsupported::Kind
        | Unsupported::Equality
        | Unsupported::Bound(_)
        | Unsupported::Horizon
        | Unsupported::Grace
        | Unsupported::Windows
        | Unsupported::PerKeySemi => unsupported_join(problem, raw, params, at),
        Unsupported::Source(_)
        | Unsupported::Policy
        | Unsupported::Lateness
        | Unsupported::StreamTime
        | Unsupported::Knob(_)
        | Unsupported::Timing => unsupported_watermark(problem, raw, params, at),
    }
}

/// [`unsupported`] for what the `[join]` table states.
fn unsupported_join(problem: Unsupported, raw: &RawModel, params: &JoinParams, at: &At<'_>) -> InputError {
    let profile = params.profile;
    match problem {
        Unsupported::Kind => {
            let kinds: Vec<&str> = profile.kinds().iter().map(|k| k.name()).collect();
            at(
                "join.kind",
                raw.join.kind.span(),
                format!(
                    "the {} profile has no {} join; it has {}",
                    profile.name(),
                    params.kind.name(),
                    kinds.join(", ")
                ),
            )
        }
        Unsupported::Equality => at(
            "join.bounds",
            raw.join.bounds.span(),
            format!(
                "the {} profile has no time equality: a Flink interval join takes a window, so \
                 write the equality \"{}\" as the window \"[{d}, {d}]\" (an equality is kept apart \
                 only for Spark, which plans it as part of the join key)",
                profile.name(),
                params.bounds,
                d = params.bounds.lower().at
            ),
        ),
        Unsupported::Bound(name) => {
            let b = if name == "lower" {
                params.bounds.lower()
            } else {
                params.bounds.upper()
            };
            at(
                "join.bounds",
                raw.join.bounds.span(),
                format!(
                    "the {name} bound {} is outside what the {} profile can represent",
                    b.at,
                    profile.name()
                ),
            )
        }
        Unsupported::Horizon => at(
            "join.horizon",
            raw.join.horizon.as_ref().map_or(raw.join.kind.span(), Spanned::span),
            format!(
                "the {} profile derives its state retention from the bounds and the watermark; a horizon \
                 is the TTL and cleanup-timer offset of the keyed Flink functions ({})",
                profile.name(),
                Profile::names_where(|row| row.horizon)
            ),
        ),
        Unsupported::Grace => at(
            "join.grace",
            raw.join.grace.as_ref().map_or(raw.join.kind.span(), Spanned::span),
            format!(
                "the {} profile has no grace period; grace is Kafka Streams' ({}), \
                 where the other engines have watermark delays",
                profile.name(),
                Profile::names_where(|row| row.grace)
            ),
        ),
        Unsupported::Windows => at(
            "join.bounds",
            raw.join.bounds.span(),
            format!(
                "Kafka Streams cannot run the windows of {} with grace {}: before = -lower, \
                 after = upper and before + after + grace (the stores' retention) must fit a Java long",
                params.bounds,
                params.grace()
            ),
        ),
        Unsupported::PerKeySemi => at(
            "join.eviction",
            knob_span(&raw.join.eviction, raw),
            "join.eviction is not something this model can state: a left semi join's matched left records \
             leave state at once, so per-key expiry cannot know a key's newest time; per_key is for the \
             other kinds"
                .to_owned(),
        ),
        _ => unreachable!("a watermark problem"),
    }
}

/// [`unsupported`] for what the `[watermark]` table and the knobs state.
fn unsupported_watermark(problem: Unsupported, raw: &RawModel, params: &JoinParams, at: &At<'_>) -> InputError {
    let profile = params.profile;
    let source_span = raw.watermark.as_ref().map_or(raw.join.kind.span(), |w| w.source.span());
    let span = |get: fn(&RawWatermark) -> Option<&Spanned<String>>| {
        raw.watermark
            .as_ref()
            .and_then(get)
            .map_or(source_span.clone(), Spanned::span)
    };
    match problem {
        Unsupported::Source(needed) => {
            let name = match needed {
                WatermarkSource::Derived => "derived",
                WatermarkSource::Trace => "trace",
            };
            let why = profile.info().source.map_or("", |(_, why)| why);
            at(
                "watermark.source",
                source_span,
                format!("the {} profile needs source = \"{name}\": {why}", profile.name()),
            )
        }
        Unsupported::Policy => at(
            "watermark.policy",
            span(|w| w.policy.as_ref()),
            format!(
                "the {} profile combines its inputs' watermarks by min (Flink's two-input operator); \
                 \"max\" is not something it can run",
                profile.name()
            ),
        ),
        Unsupported::Lateness => at(
            "watermark.lateness",
            span(|w| w.lateness.as_ref()),
            format!(
                "the {} profile judges lateness as Flink does, \"ts < wm\"; \"ts <= wm\" is not something it can run",
                profile.name()
            ),
        ),
        Unsupported::StreamTime => {
            let expected = KafkaWindows::of(params).map(|k| k.stream_time());
            let lines = expected.map_or(String::new(), |w| {
                format!(
                    "source = \"derived\", left_delay = \"{}\", right_delay = \"{}\", policy = \"max\", \
                     lateness = \"ts < wm\"",
                    w.delay[0], w.delay[1]
                )
            });
            at(
                "watermark",
                source_span,
                format!(
                    "Kafka Streams has one stream time per task, the largest timestamp seen on either input, \
                     and a record more than the grace period behind it is late: its [watermark] is \
                     {lines} (the grace on both inputs); write that, or leave [watermark] out"
                ),
            )
        }
        Unsupported::Knob(knob) => {
            let key = knob.key();
            let value = match knob {
                Knob::PerSide => span(|w| w.policy.as_ref()),
                Knob::NoLateness => span(|w| w.lateness.as_ref()),
                Knob::Eviction => knob_span(&raw.join.eviction, raw),
                Knob::EndOfInput => knob_span(&raw.join.end_of_input, raw),
                Knob::OuterRows => knob_span(&raw.join.outer_rows, raw),
            };
            at(
                key,
                value,
                format!(
                    "{key} is not something this model can state: the {} profile's engine has its own \
                     rules for this; the knob is taken by the profiles whose engine is the reference engine \
                     ({}), see models/README.md",
                    profile.name(),
                    Profile::names_where(|row| row.tunable)
                ),
            )
        }
        Unsupported::Timing => unreachable!("the reader sets the profile's timing"),
        _ => unreachable!("a join problem"),
    }
}

/// Where a knob's value is, or the join's kind when the model does not state it.
fn knob_span(value: &Option<Spanned<String>>, raw: &RawModel) -> Range<usize> {
    value.as_ref().map_or(raw.join.kind.span(), Spanned::span)
}

/// The join as a model file (see `models/README.md`): what [`read`] reads back to `params`.
pub fn write(params: &JoinParams) -> String {
    let w = &params.watermark;
    let k = &params.knobs;
    let knobs = if *k == params.profile.default_knobs() {
        String::new()
    } else {
        format!(
            "eviction = \"{}\"\nend_of_input = \"{}\"\nouter_rows = \"{}\"\n",
            k.eviction.name(),
            k.end_of_input.name(),
            k.outer_rows.name()
        )
    };
    format!(
        "profile = \"{}\"\n\n[join]\nkind = \"{}\"\nbounds = \"{}\"\n{}\n[watermark]\nsource = \"{}\"\n\
         left_delay = \"{}\"\nright_delay = \"{}\"\npolicy = \"{}\"\nlateness = \"{}\"\n",
        params.profile.name(),
        params.kind.name(),
        params.bounds,
        params.horizon.map_or(String::new(), |h| format!("horizon = \"{h}\"\n"))
            + &params.grace.map_or(String::new(), |g| format!("grace = \"{g}\"\n"))
            + &knobs,
        w.source.name(),
        w.delay[0],
        w.delay[1],
        w.policy.name(),
        w.lateness.name(),
    )
}

/// Times in a scope are written as durations since the epoch (`"0"`, `"1h"`, `"1h1ms"`).
fn parse_times(key: &str, values: Spanned<Vec<Spanned<String>>>, at: &At<'_>) -> Result<Vec<EventTime>, InputError> {
    let mut times = Vec::new();
    for v in values.get_ref() {
        let d: Duration = v.get_ref().parse().map_err(|e| at(key, v.span(), format!("{e}")))?;
        times.push(EventTime::from_millis(d.as_millis()));
    }
    times.sort_unstable();
    times.dedup();
    if times.is_empty() || times.len() > 64 {
        return Err(at(
            key,
            values.span(),
            format!("give 1 to 64 distinct values, not {}", times.len()),
        ));
    }
    Ok(times)
}

/// With derived watermark values and no `watermark_steps`: this many per input.
pub(crate) const DEFAULT_WATERMARK_STEPS: u8 = 2;

/// A scope's `[scope]` table. `micro_batches` (the engine runs in micro-batches) gives a scope
/// that states no `batches` as many batch markers as its larger side has records, as
/// [`Scope::implied`] does: with none, a run is one batch and no watermark ever acts.
fn parse_scope(raw: RawScope, source: WatermarkSource, micro_batches: bool, at: &At<'_>) -> Result<Scope, InputError> {
    let keys = scope_keys(&raw.keys, at)?;
    // Record ids and keys are small integers in the checker's compact state.
    let total = u16::from(*raw.left.get_ref()) + u16::from(*raw.right.get_ref());
    if total == 0 || total > 16 {
        return Err(at(
            "scope.left",
            raw.left.span(),
            format!("left + right must be 1..=16 records, not {total}"),
        ));
    }
    let watermarks = scope_watermarks(raw.watermarks, source, at)?;
    let watermark_steps = scope_watermark_steps(raw.watermark_steps, source, &watermarks, at)?;
    let times = match raw.times {
        Some(t) => Times::Listed(parse_times("scope.times", t, at)?),
        None => Times::Derived,
    };
    // Both keys place derived times: a scope that lists every time has none to place.
    let listed = !times.is_derived() && !watermarks.is_derived();
    let only_derived = |field: &str, span: Range<usize>, what: &str| {
        at(
            field,
            span,
            format!("{what} derived times; this scope lists its times (leave out `times` to derive them)"),
        )
    };
    let time_range = match raw.time_range {
        None => None,
        Some(r) if listed => return Err(only_derived("scope.time_range", r.span(), "time_range bounds")),
        Some(r) => Some(parse_time_range(r, at)?),
    };
    let origin = match raw.origin {
        None => None,
        Some(o) if listed => return Err(only_derived("scope.origin", o.span(), "origin places")),
        Some(o) => Some(parse_origin(&o, at)?),
    };
    Ok(Scope {
        keys,
        records: [*raw.left.get_ref(), *raw.right.get_ref()],
        times,
        watermarks,
        watermark_steps,
        time_range,
        origin,
        batches: raw.batches.unwrap_or(if micro_batches {
            (*raw.left.get_ref()).max(*raw.right.get_ref())
        } else {
            0
        }),
        processing_times: match raw.processing_times {
            Some(p) => parse_times("scope.processing_times", p, at)?
                .into_iter()
                .map(|t| ProcessingTime::from_millis(t.as_millis()))
                .collect(),
            None => Vec::new(),
        },
        snapshots: raw.snapshots.unwrap_or(0),
    })
}

/// The scope's keys in the file's order, which must be 1 to 64 distinct ones.
fn scope_keys(keys: &Spanned<Vec<String>>, at: &At<'_>) -> Result<Vec<String>, InputError> {
    let mut distinct = keys.get_ref().clone();
    distinct.sort();
    distinct.dedup();
    if distinct.is_empty() || distinct.len() > 64 || distinct.len() != keys.get_ref().len() {
        return Err(at("scope.keys", keys.span(), "give 1 to 64 distinct keys".to_owned()));
    }
    // The file's order is kept: the checker uses keys in order of first use.
    Ok(keys.get_ref().clone())
}

/// The scope's explicit watermark values: listed ones for watermarks from the trace,
/// derived ones when it lists none, none at all for derived watermarks.
fn scope_watermarks(
    watermarks: Option<Spanned<Vec<Spanned<String>>>>,
    source: WatermarkSource,
    at: &At<'_>,
) -> Result<Times, InputError> {
    Ok(match (watermarks, source) {
        (Some(w), WatermarkSource::Trace) => Times::Listed(parse_times("scope.watermarks", w, at)?),
        (Some(w), WatermarkSource::Derived) => {
            return Err(at(
                "scope.watermarks",
                w.span(),
                "this model derives its watermarks (watermark.source = \"derived\"); explicit watermark values do not apply".to_owned(),
            ))
        }
        (None, WatermarkSource::Trace) => Times::Derived,
        (None, WatermarkSource::Derived) => Times::Listed(Vec::new()),
    })
}

/// How many explicit watermark steps the scope allows per input (`None`: no bound).
fn scope_watermark_steps(
    steps: Option<Spanned<u8>>,
    source: WatermarkSource,
    watermarks: &Times,
    at: &At<'_>,
) -> Result<Option<u8>, InputError> {
    Ok(match steps {
        Some(n) if source != WatermarkSource::Trace => return Err(at(
            "scope.watermark_steps",
            n.span(),
            "this model derives its watermarks (watermark.source = \"derived\"); explicit watermark steps do not apply"
                .to_owned(),
        )),
        Some(n) if *n.get_ref() == 0 || *n.get_ref() > 16 => {
            return Err(at(
                "scope.watermark_steps",
                n.span(),
                format!("give 1 to 16 steps per input, not {}", n.get_ref()),
            ))
        }
        Some(n) => Some(*n.get_ref()),
        None if watermarks.is_derived() => Some(DEFAULT_WATERMARK_STEPS),
        None => None,
    })
}

/// The bounds of the scope's derived times that `range` states: two times, the first no
/// later than the second.
/// `[scope] origin`: a UTC date and time (`"2026-01-01T00:00:00Z"`) or a duration since the
/// epoch (`"0"`).
fn parse_origin(origin: &Spanned<String>, at: &At<'_>) -> Result<EventTime, InputError> {
    let text = origin.get_ref();
    if text.contains('T') {
        return EventTime::parse_rfc3339(text).map_err(|e| at("scope.origin", origin.span(), format!("{e}")));
    }
    let d: Duration = text.parse().map_err(|e| {
        at(
            "scope.origin",
            origin.span(),
            format!("{e}; or give a UTC date and time, \"2026-01-01T00:00:00Z\""),
        )
    })?;
    Ok(EventTime::from_millis(d.as_millis()))
}

fn parse_time_range(range: Spanned<Vec<Spanned<String>>>, at: &At<'_>) -> Result<(EventTime, EventTime), InputError> {
    let span = range.span();
    let ends = range.into_inner();
    let mut parsed = Vec::new();
    for v in &ends {
        let d: Duration = v
            .get_ref()
            .parse()
            .map_err(|e| at("scope.time_range", v.span(), format!("{e}")))?;
        parsed.push(EventTime::from_millis(d.as_millis()));
    }
    match parsed[..] {
        [from, to] if from <= to => Ok((from, to)),
        _ => Err(at(
            "scope.time_range",
            span,
            "give two times, the first no later than the second: [\"0\", \"2h\"]".to_owned(),
        )),
    }
}

fn parse_defect(
    raw: RawDefect,
    source: WatermarkSource,
    micro_batches: bool,
    file: &str,
    at: &At<'_>,
) -> Result<Defect, InputError> {
    let name = raw.name.get_ref().clone();
    let property = Property::from_name(raw.property.get_ref())
        .filter(|p| !p.is_witness())
        .ok_or_else(|| {
            at(
                "defect.property",
                raw.property.span(),
                "expected the name of an invariant".to_owned(),
            )
        })?;
    let scope = parse_scope(raw.scope, source, micro_batches, at)?;
    let prefix = match raw.prefix {
        None => Trace::new(),
        Some(lines) => {
            let text = lines.get_ref().join("\n");
            // Errors name the prefix entry (1-based) as their line.
            let prefix = Trace::parse(&text, &format!("{file}: defect {name}: prefix entry"))?;
            if let Some(r) = prefix
                .records()
                .iter()
                .find(|r| !scope.keys.iter().any(|k| k == prefix.key_name(r.key)))
            {
                return Err(at(
                    "defect.prefix",
                    lines.span(),
                    format!(
                        "record {} has key {:?}, which is not in the defect's scope.keys",
                        prefix.name(r.id),
                        prefix.key_name(r.key)
                    ),
                ));
            }
            if prefix.ends() {
                return Err(at(
                    "defect.prefix",
                    lines.span(),
                    "a prefix cannot end the input".to_owned(),
                ));
            }
            prefix
        }
    };
    Ok(Defect {
        name,
        property,
        summary: raw.summary,
        prefix,
        scope,
    })
}

fn parse_expect(
    raw: &mut BTreeMap<String, Spanned<RawExpect>>,
    at: &At<'_>,
) -> Result<BTreeMap<Property, Expected>, InputError> {
    let mut out = BTreeMap::new();
    for (name, value) in std::mem::take(raw) {
        let key = format!("expect.{name}");
        let property = Property::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
            at(
                &key,
                value.span(),
                format!(
                    "unknown property; properties are {}, and allow (the engine's known bugs the model accepts)",
                    names.join(", ")
                ),
            )
        })?;
        let allowed = if property.is_witness() {
            [Expected::Reached, Expected::Missing]
        } else {
            [Expected::Holds, Expected::Violated]
        };
        let span = value.span();
        let unknown = |shown: String| {
            at(
                &key,
                span.clone(),
                format!(
                    "unknown verdict {shown}; expected {} or {}",
                    allowed[0].name(),
                    allowed[1].name()
                ),
            )
        };
        let verdict = match value.into_inner() {
            RawExpect::Verdict(v) => v,
            RawExpect::List(list) => return Err(unknown(format!("{list:?}"))),
        };
        let expected = allowed
            .into_iter()
            .find(|e| e.name() == verdict)
            .ok_or_else(|| unknown(format!("{verdict:?}")))?;
        out.insert(property, expected);
    }
    Ok(out)
}

/// `[expect] allow`: known bugs of the profile's engine, by id.
fn parse_allow(raw: Option<Spanned<RawExpect>>, profile: Profile, at: &At<'_>) -> Result<Vec<String>, InputError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let span = raw.span();
    let known: Vec<&str> = profile.info().bugs.iter().map(|b| b.id).collect();
    let known_words = if known.is_empty() {
        format!("the {} profile has no known bugs", profile.name())
    } else {
        format!("the {} profile's are {}", profile.name(), known.join(", "))
    };
    let ids = match raw.into_inner() {
        RawExpect::List(ids) => ids,
        RawExpect::Verdict(_) => {
            return Err(at(
                "expect.allow",
                span,
                format!(
                    "expected a list of known bugs, e.g. allow = [\"{}\"]; {known_words}",
                    known.first().unwrap_or(&"ID")
                ),
            ))
        }
    };
    if let Some(unknown) = ids.iter().find(|id| !known.contains(&id.as_str())) {
        return Err(at(
            "expect.allow",
            span,
            format!("unknown known bug {unknown:?}; {known_words}"),
        ));
    }
    Ok(ids)
}

/// The key assigned on the line holding byte `offset` (`name` in `name = 5`), if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim().trim_matches('"');
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    plain.then(|| key.to_owned())
}

/// The first `name` in a message like "unknown field `name`, expected ...".
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}
