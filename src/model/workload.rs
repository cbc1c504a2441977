//! A user-described workload (`[workload]` in a model file): how fast records come, how
//! often impressions are clicked and how long after, and how late each side's records arrive.
//! `joincheck simulate` and `joincheck advise` generate traces from it (`crate::sim`); the same
//! seed gives the same trace.

use crate::time::Duration;

/// A distribution of a non-negative time span, in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Spread {
    /// Always this long.
    Fixed(i64),
    /// Uniform between 0 and this.
    Uniform(i64),
    /// Exponential with this mean.
    Exponential(f64),
    /// Log-normal with this median and sigma (the log's standard deviation).
    LogNormal {
        /// The median, in ms.
        median: f64,
        /// The standard deviation of the logarithm.
        sigma: f64,
    },
    /// One of several spreads, each with its weight (the weights are normalised).
    Mixture(std::sync::Arc<[(f64, Spread)]>),
    /// Drawn from observed spans: a recorded trace's arrival delays (`Spread::empirical`).
    Empirical(std::sync::Arc<[i64]>),
}

/// A log-normal spread asked for with a median and a 99th percentile that no log-normal
/// distribution has: the median must be positive and below the percentile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a log-normal spread needs 0 < median < p99; got median {median}, p99 {p99}")]
pub struct SpreadError {
    median: Duration,
    p99: Duration,
}

impl SpreadError {
    /// The median asked for.
    pub fn median(&self) -> Duration {
        self.median
    }

    /// The 99th percentile asked for.
    pub fn p99(&self) -> Duration {
        self.p99
    }
}

/// The 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874;

impl Spread {
    /// A log-normal spread with `median` whose 99th percentile is `p99` (so 1% lie beyond it).
    pub fn log_normal_p99(median: Duration, p99: Duration) -> Result<Spread, SpreadError> {
        let (m, p) = (median.as_millis() as f64, p99.as_millis() as f64);
        if m <= 0.0 || p <= m {
            return Err(SpreadError { median, p99 });
        }
        Ok(Spread::LogNormal {
            median: m,
            sigma: (p / m).ln() / Z99,
        })
    }

    /// The arrival delays of `side`'s records in a recorded trace: how far each record's event
    /// time trails the largest event time read before it (0 for a record that moves it on).
    pub fn empirical(trace: &crate::trace::Trace, side: crate::event::Side) -> Option<Spread> {
        let mut front = i64::MIN;
        let mut spans = Vec::new();
        for r in trace.records() {
            let ts = r.ts.as_millis();
            if r.side == side {
                spans.push(front.saturating_sub(ts).max(0));
            }
            front = front.max(ts);
        }
        (!spans.is_empty()).then(|| Spread::Empirical(spans.into()))
    }

    /// One draw, taking uniform numbers in [0, 1) from `uniform` (none for a fixed spread,
    /// one for uniform, exponential and empirical, two for log-normal: Box-Muller; a mixture
    /// takes one to choose, then its component's).
    pub fn sample(&self, uniform: &mut dyn FnMut() -> f64) -> i64 {
        let ms = match *self {
            Spread::Mixture(ref parts) => {
                let total: f64 = parts.iter().map(|p| p.0).sum();
                let mut x = uniform() * total;
                for (w, part) in parts.iter() {
                    if x < *w {
                        return part.sample(uniform);
                    }
                    x -= w;
                }
                return parts.last().map_or(0, |p| p.1.sample(uniform));
            }
            Spread::Empirical(ref spans) => {
                spans[((uniform() * spans.len() as f64) as usize).min(spans.len() - 1)] as f64
            }
            Spread::Fixed(ms) => ms as f64,
            Spread::Uniform(max) => uniform() * max as f64,
            Spread::Exponential(mean) => -(1.0 - uniform()).max(f64::MIN_POSITIVE).ln() * mean,
            Spread::LogNormal { median, sigma } => {
                let (u1, u2) = (uniform().max(f64::MIN_POSITIVE), uniform());
                let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (median.ln() + sigma * normal).exp()
            }
        };
        ms.clamp(0.0, i64::MAX as f64 / 2.0) as i64
    }

    /// Its 99th percentile in ms (for a mixture, the largest of its parts').
    pub fn p99_ms(&self) -> f64 {
        match *self {
            Spread::Fixed(ms) => ms as f64,
            Spread::Uniform(max) => 0.99 * max as f64,
            Spread::Exponential(mean) => mean * 100f64.ln(),
            Spread::LogNormal { median, sigma } => (median.ln() + sigma * Z99).exp(),
            Spread::Mixture(ref parts) => parts.iter().map(|(_, p)| p.p99_ms()).fold(0.0, f64::max),
            Spread::Empirical(ref spans) => {
                let mut v = spans.to_vec();
                v.sort_unstable();
                v.get((v.len() * 99 / 100).min(v.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(0) as f64
            }
        }
    }

    /// How it is written in a model file.
    pub fn describe(&self) -> String {
        let d = |ms: f64| Duration::from_millis(ms.round() as i64);
        match *self {
            Spread::Fixed(ms) => format!("fixed {}", d(ms as f64)),
            Spread::Uniform(ms) => format!("uniform up to {}", d(ms as f64)),
            Spread::Exponential(mean) => format!("exponential, mean {}", d(mean)),
            Spread::LogNormal { median, sigma } => {
                format!(
                    "log-normal, median {}, p99 {}",
                    d(median),
                    d((median.ln() + sigma * Z99).exp())
                )
            }
            Spread::Mixture(ref parts) => {
                let total: f64 = parts.iter().map(|p| p.0).sum();
                let parts: Vec<String> = parts
                    .iter()
                    .map(|(w, p)| format!("{:.0}% {}", 100.0 * w / total, p.describe()))
                    .collect();
                format!("a mixture of {}", parts.join(" and "))
            }
            Spread::Empirical(ref spans) => {
                let mut sorted = spans.to_vec();
                sorted.sort_unstable();
                let at = |q: f64| d(sorted[((sorted.len() - 1) as f64 * q) as usize] as f64);
                format!(
                    "empirical ({} spans), median {}, p99 {}",
                    sorted.len(),
                    at(0.5),
                    at(0.99)
                )
            }
        }
    }
}

/// An impressions/clicks workload (left = impressions, right = clicks).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSpec {
    /// Impressions per second of event time.
    pub impressions_per_sec: f64,
    /// Chance that an impression gets clicked at all.
    pub click_through: f64,
    /// Mean number of extra clicks on a clicked impression (geometric).
    pub extra_clicks: f64,
    /// How long after its impression a click happens (event time).
    pub click_after: Spread,
    /// Per side: how long after its event time a record arrives.
    pub arrival: [Spread; 2],
    /// Chance that a record arrives much later (its arrival delay times `late_factor`).
    pub late_fraction: f64,
    /// The factor a much-later record's arrival delay is multiplied by.
    pub late_factor: i64,
    /// Chance that an impression reuses an earlier impression's key (a duplicate).
    pub duplicate_fraction: f64,
    /// Duplicates pick among this many recent keys, Zipf-skewed with exponent `zipf_s`.
    pub duplicate_window: usize,
    /// The Zipf exponent that skews duplicates towards the most recent keys.
    pub zipf_s: f64,
    /// Records per micro-batch (a `batch` step after every this many records; 0 = none).
    /// `None`: 10,000 for engines that run micro-batches, none otherwise.
    pub batch_records: Option<usize>,
    /// Event time of the first impression (ms since the epoch).
    pub start_ms: i64,
    /// A fixed key space: impressions draw their key among this many, Zipf-skewed with
    /// `key_skew` (0: uniform); `None`: a new key per impression (and duplicates as above).
    pub keys: Option<u32>,
    /// The Zipf exponent of the key space.
    pub key_skew: f64,
    /// Idle periods: every `idle_every` ms of event time, the `idle_side` sends nothing for
    /// `idle_for` ms (0: never idle).
    pub idle_every: i64,
    /// How long each idle period lasts (ms).
    pub idle_for: i64,
    /// Which sides go idle: left, right, or both (`None`).
    pub idle_side: Option<crate::event::Side>,
    /// For models whose watermarks come from the trace: per side, the bounded out-of-orderness
    /// of the upstream watermark generator (Flink's `forBoundedOutOfOrderness(delay)`: the
    /// watermark is the largest event time seen minus the delay minus 1 ms), in ms.
    pub watermark_delay: [i64; 2],
    /// How often (arrival time, ms) the upstream generator emits its watermarks and the
    /// processing-time clock is read: Flink's `pipeline.auto-watermark-interval`, 200 ms.
    pub watermark_interval: i64,
    /// Whether the generated trace carries the upstream watermarks and processing times: set
    /// by `Workload::for_spec` for models whose watermarks come from the trace.
    pub upstream_watermarks: bool,
    /// The share of the ideal join the configuration may lose on this workload (`max_loss =
    /// "0.1%"`): `check` fails a model that loses more, naming the smallest delay that keeps
    /// within it. `None`: the loss is reported, not judged.
    pub max_loss: Option<f64>,
}

impl Default for WorkloadSpec {
    /// One hundred impressions a second from 2024-01-01; 5% clicked, a click a log-normal
    /// minute later (sigma 1.5); every record arrives up to 2 minutes late, uniformly, and one
    /// in a thousand 20 times later; one impression in a thousand a duplicate.
    fn default() -> WorkloadSpec {
        WorkloadSpec {
            impressions_per_sec: 100.0,
            click_through: 0.05,
            extra_clicks: 0.3,
            click_after: Spread::LogNormal {
                median: 60_000.0,
                sigma: 1.5,
            },
            arrival: [Spread::Uniform(120_000), Spread::Uniform(120_000)],
            late_fraction: 0.001,
            late_factor: 20,
            duplicate_fraction: 0.001,
            duplicate_window: 1000,
            zipf_s: 1.1,
            batch_records: None,
            start_ms: 1_704_067_200_000,
            keys: None,
            key_skew: 0.0,
            idle_every: 0,
            idle_for: 0,
            idle_side: None,
            watermark_delay: [0, 0],
            watermark_interval: 200,
            upstream_watermarks: false,
            max_loss: None,
        }
    }
}

/// A share written as a percentage (`"0.1%"`, or `"0.1"`), as a fraction (0.001).
pub(crate) fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_end_matches('%');
    match t.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v / 100.0),
        _ => Err(format!("{text:?} is not a percentage; write e.g. \"0.1%\"")),
    }
}

/// How many records a generated run of a workload takes to say something about a join, and
/// why ([`WorkloadSpec::sized`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Sizing {
    /// The records to generate.
    pub records: u64,
    /// The event time they cover, about.
    pub covers: Duration,
    /// The event time the join needs: [`WINDOWS_NEEDED`] times the window's reach, plus the
    /// largest watermark delay, the slower side's p99 arrival delay and the clicks' p99.
    pub needed: Duration,
    /// The words for `needed`'s parts.
    pub why: String,
    /// Whether `records` was held at the cap, so that `covers < needed`.
    pub capped: bool,
}

impl Sizing {
    /// The event time `records` records of the same workload cover, about.
    pub fn covers_for(&self, records: u64) -> Duration {
        let per_record = self.covers.as_millis() as f64 / self.records.max(1) as f64;
        Duration::from_millis((per_record * records as f64) as i64)
    }
}

/// How many windows' reach a generated run covers by default, besides the delays: enough
/// for state to fill, evict and settle several times.
pub const WINDOWS_NEEDED: i64 = 3;

impl WorkloadSpec {
    /// Records per second of event time, on average: the impressions, their clicks, and the
    /// duplicates.
    pub fn records_per_sec(&self) -> f64 {
        self.impressions_per_sec
            * (1.0 + self.click_through * (1.0 + self.extra_clicks))
            * (1.0 + self.duplicate_fraction)
    }

    /// The records a run over this workload needs for `params` (event time for
    /// [`WINDOWS_NEEDED`] windows plus the delays and arrival spread), at most `cap`.
    pub fn sized(&self, params: &super::JoinParams, cap: u64) -> Sizing {
        let reach = params
            .bounds
            .lowest()
            .unsigned_abs()
            .max(params.bounds.highest().unsigned_abs());
        let reach = Duration::from_millis(i64::try_from(reach).unwrap_or(i64::MAX / 4).min(i64::MAX / 4));
        let delay = params.watermark.delay[0]
            .max(params.watermark.delay[1])
            .max(params.grace());
        let arrival = Duration::from_millis(self.arrival[0].p99_ms().max(self.arrival[1].p99_ms()) as i64);
        let after = Duration::from_millis(self.click_after.p99_ms() as i64);
        let needed_ms = reach
            .as_millis()
            .saturating_mul(WINDOWS_NEEDED)
            .saturating_add(delay.as_millis())
            .saturating_add(arrival.as_millis())
            .saturating_add(after.as_millis());
        let per_ms = self.records_per_sec() / 1000.0;
        let wanted = (needed_ms as f64 * per_ms).ceil().max(1000.0);
        let records = (wanted.min(cap as f64)) as u64;
        Sizing {
            records,
            covers: Duration::from_millis((records as f64 / per_ms.max(f64::MIN_POSITIVE)) as i64),
            needed: Duration::from_millis(needed_ms),
            why: format!(
                "{WINDOWS_NEEDED} × the window's reach {reach}, plus the largest delay {delay}, the p99 arrival \
                 delay {arrival} and the p99 click after its impression {after}"
            ),
            capped: wanted > cap as f64,
        }
    }

    /// What the workload generates, in words: rates, matches and arrival delays.
    pub fn describe(&self) -> String {
        format!(
            "{} impressions/s, {:.1}% clicked, click after {}, arrival delay left {}, right {}",
            self.impressions_per_sec,
            100.0 * self.click_through,
            self.click_after.describe(),
            self.arrival[0].describe(),
            self.arrival[1].describe()
        )
    }

    /// Whether a record of `side` at `ts` falls in an idle period of its side.
    pub fn idle(&self, side: crate::event::Side, ts: i64) -> bool {
        self.idle_every > 0
            && self.idle_for > 0
            && self.idle_side.is_none_or(|s| s == side)
            && (ts - self.start_ms).rem_euclid(self.idle_every) >= self.idle_every - self.idle_for
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A median at or above the percentile is refused with both values, and the sentence a
    /// model file's error quotes.
    #[test]
    fn a_log_normal_spread_needs_a_median_below_its_p99() {
        let (median, p99) = (Duration::from_millis(60_000), Duration::from_millis(30_000));
        let err = Spread::log_normal_p99(median, p99).expect_err("median above p99");
        assert_eq!((err.median(), err.p99()), (median, p99));
        assert_eq!(
            err.to_string(),
            "a log-normal spread needs 0 < median < p99; got median 1m, p99 30s"
        );
        assert!(Spread::log_normal_p99(p99, median).is_ok());
    }
}
