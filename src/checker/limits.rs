//! Bounds on an exploration, so that no check can exhaust the machine: a budget of states, a
//! budget of memory (by default half of the machine's), and an interrupt flag (Ctrl-C in the
//! command line). When one is reached the search stops adding states, finishes the ones it
//! holds, and reports what it covered as not exhaustive.
//!
//! Memory is the process's resident set, read from `/proc/self/status` about ten times a
//! second; where there is no `/proc` (not Linux) the memory budget cannot be enforced, and the
//! state budget and the interrupt still work.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The bounds of one check.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Stop after this many unique states.
    pub max_states: Option<usize>,
    /// Stop when the process's resident memory exceeds this many bytes.
    pub max_memory: Option<u64>,
    /// Stop when this is set (by a Ctrl-C handler, say).
    pub interrupt: Arc<AtomicBool>,
}

impl Default for Limits {
    /// No state budget, half of the machine's memory, no interrupt yet.
    fn default() -> Limits {
        Limits {
            max_states: None,
            max_memory: total_memory().map(|total| total / 2),
            interrupt: Arc::new(AtomicBool::new(false)),
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
        }
    }
}

impl Limits {
    /// The first bound that `states` unique states and `memory` resident bytes pass, if any.
    pub fn reached(&self, states: usize, memory: Option<u64>) -> Option<Stopped> {
        if self.interrupt.load(Ordering::Relaxed) {
            return Some(Stopped::Interrupted);
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
        limits.interrupt.store(true, Ordering::Relaxed);
        assert_eq!(limits.reached(0, None), Some(Stopped::Interrupted));
    }

    #[test]
    fn proc_fields_read_as_bytes() {
        assert_eq!(kib_field("Name: x\nVmRSS:\t  2048 kB\n", "VmRSS:"), Some(2 << 20));
        assert_eq!(kib_field("nothing", "VmRSS:"), None);
    }
}
