//! Bounds on an exploration, so that no check can exhaust the machine: a budget of states, a
//! budget of memory (by default half of the machine's), a time budget (a deadline), and an
//! interrupt flag (Ctrl-C in the command line). When one is reached the search stops adding states, finishes the ones it
//! holds, and reports what it covered as not exhaustive.
//!
//! Memory is the process's resident set, read from `/proc/self/status` about ten times a
//! second; where there is no `/proc` (not Linux) the memory budget cannot be enforced, and the
//! state budget and the interrupt still work.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

/// How long the searches for shorter counterexamples may take, together, after a search was
/// stopped (by a signal or its budget).
pub const AFTER_STOP: StdDuration = StdDuration::from_secs(3);

/// The bounds of one check.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Stop after this many unique states.
    pub max_states: Option<usize>,
    /// Stop when the process's resident memory exceeds this many bytes.
    pub max_memory: Option<u64>,
    /// Stop when this is set (by a Ctrl-C handler, say).
    pub interrupt: Arc<AtomicBool>,
    /// Stop at this instant, a time budget of `.1` from when the check began.
    pub deadline: Option<(Instant, StdDuration)>,
}

impl Default for Limits {
    /// No state budget, half of the machine's memory, no interrupt yet.
    fn default() -> Limits {
        Limits {
            max_states: None,
            max_memory: total_memory().map(|total| total / 2),
            interrupt: Arc::new(AtomicBool::new(false)),
            deadline: None,
        }
    }
}

/// Why an exploration stopped before it had covered its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The state budget (`--max-states`) was reached.
    States {
        /// The state budget, in unique states.
        budget: usize,
    },
    /// Resident memory passed the budget (`--max-memory`).
    Memory {
        /// Resident memory when the budget was found passed, in bytes.
        used: u64,
        /// The memory budget, in bytes.
        budget: u64,
    },
    /// The interrupt was set (Ctrl-C).
    Interrupted,
    /// The time budget (`--budget`) was spent.
    Time {
        /// The time budget.
        budget: StdDuration,
    },
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::States { budget } => write!(f, "stopped at the state budget of {budget} states"),
            Stopped::Memory { used, budget } => write!(
                f,
                "stopped at the memory budget: {} in use, budget {}",
                mebibytes(*used),
                mebibytes(*budget)
            ),
            Stopped::Interrupted => f.write_str("interrupted"),
            Stopped::Time { budget } => write!(f, "stopped at the time budget of {}", budget_words(*budget)),
        }
    }
}

impl Limits {
    /// The first bound that `states` unique states and `memory` resident bytes pass, if any.
    pub fn reached(&self, states: usize, memory: Option<u64>) -> Option<Stopped> {
        if self.interrupt.load(Ordering::Relaxed) {
            return Some(Stopped::Interrupted);
        }
        if let Some((_, budget)) = self.deadline.filter(|(at, _)| Instant::now() >= *at) {
            return Some(Stopped::Time { budget });
        }
        if let Some(budget) = self.max_states.filter(|&b| states >= b) {
            return Some(Stopped::States { budget });
        }
        match (memory, self.max_memory) {
            (Some(used), Some(budget)) if used > budget => Some(Stopped::Memory { used, budget }),
            _ => None,
        }
    }
}

impl Limits {
    /// These limits with a time budget of `budget` from now.
    pub fn with_budget(self, budget: StdDuration) -> Limits {
        Limits {
            deadline: Some((Instant::now() + budget, budget)),
            ..self
        }
    }

    /// The limits for the short searches after a stopped one (shorter counterexamples): its
    /// state and memory budgets, a fresh interrupt, and [`AFTER_STOP`] from now for all of
    /// them together.
    pub fn after_stop(&self) -> Limits {
        Limits {
            interrupt: Arc::new(AtomicBool::new(false)),
            ..self.clone()
        }
        .with_budget(AFTER_STOP)
    }

    /// The same limits with the time budget, if there is one, started again now.
    pub fn restarted(self) -> Limits {
        match self.deadline {
            Some((_, budget)) => self.with_budget(budget),
            None => self,
        }
    }

    /// The time left before the deadline, if there is one.
    pub fn time_left(&self) -> Option<StdDuration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }
}

/// A time budget in the words of the model files' durations (`5s`, `1m`, `1h30m`): the
/// project's one duration syntax, rounded down to the millisecond.
pub fn budget_words(budget: StdDuration) -> String {
    let ms = i64::try_from(budget.as_millis()).unwrap_or(i64::MAX);
    crate::time::Duration::from_millis(ms).to_string()
}

/// Parses a time budget in the model files' duration syntax (`60s`, `5m`, `1h30m`): a
/// positive duration, with its unit.
pub fn parse_budget(text: &str) -> Result<StdDuration, String> {
    let d: crate::time::Duration = text.parse().map_err(|e| format!("{e}"))?;
    match u64::try_from(d.as_millis()) {
        Ok(ms) if ms > 0 => Ok(StdDuration::from_millis(ms)),
        _ => Err(format!("{text:?}: a time budget must be positive")),
    }
}

/// A byte count as MiB, for reports.
pub fn mebibytes(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The process's resident memory in bytes, where the system says (Linux).
pub fn resident_memory() -> Option<u64> {
    kib_field(&std::fs::read_to_string("/proc/self/status").ok()?, "VmRSS:")
}

/// The machine's memory in bytes, where the system says (Linux).
pub fn total_memory() -> Option<u64> {
    kib_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")
}

/// A `Name:   1234 kB` line of a `/proc` file, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Parses a size such as `4G`, `512M`, `64K` or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let scale: f64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("{text:?}: the unit must be K, M or G")),
    };
    let n: f64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 4G, 512M)"))?;
    let bytes = n * scale;
    if !(1.0..1e19).contains(&bytes) {
        return Err(format!("{text:?} is not a usable size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("4T").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn the_first_bound_reached_is_named() {
        let limits = Limits {
            max_states: Some(10),
            max_memory: Some(1000),
            interrupt: Arc::new(AtomicBool::new(false)),
            deadline: None,
        };
        assert_eq!(limits.reached(9, Some(1000)), None);
        assert_eq!(limits.reached(10, Some(1000)), Some(Stopped::States { budget: 10 }));
        assert_eq!(
            limits.reached(9, Some(1001)),
            Some(Stopped::Memory {
                used: 1001,
                budget: 1000
            })
        );
        let spent = limits.clone().with_budget(StdDuration::ZERO);
        assert_eq!(
            spent.reached(0, None),
            Some(Stopped::Time {
                budget: StdDuration::ZERO
            })
        );
        limits.interrupt.store(true, Ordering::Relaxed);
        assert_eq!(limits.reached(0, None), Some(Stopped::Interrupted));
    }

    #[test]
    fn budgets_parse() {
        assert_eq!(parse_budget("60s"), Ok(StdDuration::from_secs(60)));
        assert_eq!(parse_budget("5m"), Ok(StdDuration::from_secs(300)));
        assert_eq!(parse_budget("1h30m"), Ok(StdDuration::from_secs(5400)));
        // The model files' rules: a unit is needed, fractions are refused, and it must be positive.
        assert!(parse_budget("90").is_err());
        assert!(parse_budget("1.5h").is_err());
        assert!(parse_budget("5 parsecs").is_err());
        assert!(parse_budget("0s").is_err());
        assert!(parse_budget("-5s").is_err());
        assert_eq!(budget_words(StdDuration::from_millis(1500)), "1s500ms");
        assert_eq!(budget_words(StdDuration::from_secs(5)), "5s");
    }

    #[test]
    fn proc_fields_read_as_bytes() {
        assert_eq!(kib_field("Name: x\nVmRSS:\t  2048 kB\n", "VmRSS:"), Some(2 << 20));
        assert_eq!(kib_field("nothing", "VmRSS:"), None);
    }
}
