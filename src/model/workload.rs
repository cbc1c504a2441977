//! A user-described workload (`[workload]` in a model file): how fast records come, how
//! often impressions are clicked and how long after, and how late each side's records arrive.
//! `joincheck simulate` and `joincheck advise` generate traces from it (`crate::sim`); the same
//! seed gives the same trace.

use crate::time::Duration;

/// A distribution of a non-negative time span, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
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
}

/// The 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874;

impl Spread {
    /// A log-normal spread with `median` whose 99th percentile is `p99` (so 1% lie beyond it).
    pub fn log_normal_p99(median: Duration, p99: Duration) -> Result<Spread, String> {
        let (m, p) = (median.as_millis() as f64, p99.as_millis() as f64);
        if m <= 0.0 || p <= m {
            return Err(format!(
                "a log-normal spread needs 0 < median < p99; got median {median}, p99 {p99}"
            ));
        }
        Ok(Spread::LogNormal {
            median: m,
            sigma: (p / m).ln() / Z99,
        })
    }

    /// One draw, taking uniform numbers in [0, 1) from `uniform` (none for a fixed spread,
    /// one for uniform and exponential, two for log-normal: Box-Muller).
    pub fn sample(&self, uniform: &mut dyn FnMut() -> f64) -> i64 {
        let ms = match *self {
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
        }
    }
}
