//! The checker's bounds (a scope) and a design's known defects.

use super::domain::Times;
use crate::property::Property;
use crate::time::{Duration, EventTime, ProcessingTime};
use crate::trace::Trace;
use std::fmt;

/// The checker's bounds: which records, times and steps it may combine. Exhaustive means
/// exhaustive within this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The key set. Keys are interchangeable, so the checker uses them in order of first use.
    pub keys: Vec<String>,
    /// At most this many records arrive on each input (indexed by [`crate::event::Side::index`]).
    pub records: [u8; 2],
    /// The event times a record may carry: listed, or derived from the join's constants
    /// (see `model/domain.rs`).
    pub times: Times,
    /// The values an explicit watermark step may carry (models with `source = "trace"`;
    /// none listed for the others).
    pub watermarks: Times,
    /// At most this many explicit watermark steps per input (always set when the values are
    /// derived; listed values bound the steps already).
    pub watermark_steps: Option<u8>,
    /// With derived times: the range they keep to, both ends included.
    pub time_range: Option<(EventTime, EventTime)>,
    /// With derived times: where a run's first time lies (`[scope] origin`); `None` for
    /// [`Scope::origin`]'s default.
    pub origin: Option<EventTime>,
    /// At most this many `batch` markers.
    pub batches: u8,
    /// The readings a `processing_time` step may carry, in increasing order (the clock never
    /// moves back).
    pub processing_times: Vec<ProcessingTime>,
    /// At most this many `snapshot` steps.
    pub snapshots: u8,
}

/// Where derived times start when a scope does not say: 2026-01-01T00:00:00Z, so that
/// counterexamples read like a stream's data, far from the epoch, where no engine's rule for
/// times at or before 0 decides anything.
pub const DEFAULT_ORIGIN: EventTime = EventTime::from_millis(1_767_225_600_000);

impl Scope {
    /// Where a run's derived times start: the scope's `origin`; by default
    /// [`DEFAULT_ORIGIN`], or the epoch for a scope that keeps its times to a `time_range`
    /// (whose ends are times since the epoch).
    pub fn origin(&self) -> EventTime {
        self.origin.unwrap_or(match self.time_range {
            Some(_) => EventTime::from_millis(0),
            None => DEFAULT_ORIGIN,
        })
    }

    /// The most steps a trace of this scope can have: every record, each input's watermark
    /// through every listed value, every batch marker, processing-time reading and snapshot,
    /// then the end. A breadth-first search is at most this deep (plus the initial state).
    pub fn max_steps(&self) -> usize {
        usize::from(self.records[0])
            + usize::from(self.records[1])
            + 2 * self.watermark_moves()
            + usize::from(self.batches)
            + self.processing_times.len()
            + usize::from(self.snapshots)
            + 1
    }
}

impl Scope {
    /// The scope a join implies when its model states none, with `records` per side
    /// (`checker/grow.rs` grows them): keys `a` and `b`, the derived time domain (and
    /// derived watermark values, two steps per input, for a model that reads its watermarks
    /// from the trace), one batch marker per record of the larger side for an engine that
    /// runs in micro-batches, and for one that reads processing time the reading at its
    /// retention (where TTL'd state expires).
    pub fn implied(params: &super::JoinParams, records: [u8; 2]) -> Scope {
        let trace_watermarks = params.watermark.source == super::WatermarkSource::Trace;
        let micro_batches = params.profile.timing() == super::Timing::PerBatch;
        Scope {
            keys: vec!["a".to_owned(), "b".to_owned()],
            records,
            times: Times::Derived,
            watermarks: if trace_watermarks {
                Times::Derived
            } else {
                Times::Listed(Vec::new())
            },
            watermark_steps: trace_watermarks.then_some(super::toml::DEFAULT_WATERMARK_STEPS),
            time_range: None,
            origin: None,
            batches: if micro_batches { records[0].max(records[1]) } else { 0 },
            processing_times: if params.profile.reads_processing_time() {
                vec![ProcessingTime::from_millis(params.horizon().as_millis())]
            } else {
                Vec::new()
            },
            snapshots: 0,
        }
    }

    /// The most explicit watermark steps one input can take.
    pub fn watermark_moves(&self) -> usize {
        let limit = self.watermark_steps.map_or(usize::MAX, usize::from);
        match &self.watermarks {
            Times::Listed(v) => v.len().min(limit),
            Times::Derived => limit,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[EventTime]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(
            f,
            "keys {{{}}}, up to {} left and {} right records, ",
            self.keys.join(" "),
            self.records[0],
            self.records[1],
        )?;
        match &self.times {
            Times::Listed(v) => write!(f, "times {{{}}}", list(v))?,
            Times::Derived => write!(f, "times derived from the join's constants")?,
        }
        if self.times.is_derived() && self.origin().as_millis() != 0 {
            let utc = if self.origin().looks_like_wall_clock() {
                " UTC"
            } else {
                ""
            };
            write!(f, ", starting at {}{utc}", self.origin())?;
        }
        if let Some((from, to)) = self.time_range {
            write!(f, " within [{from}, {to}]")?;
        }
        match &self.watermarks {
            Times::Listed(v) if !v.is_empty() => write!(f, ", watermarks {{{}}}", list(v))?,
            Times::Listed(_) => {}
            Times::Derived => write!(f, ", watermarks derived from the join's constants")?,
        }
        if let Some(n) = self.watermark_steps {
            write!(f, ", up to {n} watermark steps per input")?;
        }
        if self.batches > 0 {
            write!(f, ", up to {} batch markers", self.batches)?;
        }
        if !self.processing_times.is_empty() {
            let ms: Vec<String> = self
                .processing_times
                .iter()
                .map(|t| Duration::from_millis(t.as_millis()).to_string())
                .collect();
            write!(f, ", processing times {{{}}}", ms.join(" "))?;
        }
        if self.snapshots > 0 {
            write!(f, ", up to {} snapshots", self.snapshots)?;
        }
        Ok(())
    }
}

/// A known defect of a design: the checker must find a violation of `property` within
/// `scope`, starting from the situation `prefix` sets up. A narrow scope (and a prefix) makes
/// the shortest counterexample show this defect rather than another one of the same design.
#[derive(Clone, Debug, PartialEq)]
pub struct Defect {
    /// The defect's name in the model file.
    pub name: String,
    /// The invariant the checker must find violated.
    pub property: Property,
    /// One sentence for the report.
    pub summary: String,
    /// Steps that happen first; the checker explores what may follow.
    pub prefix: Trace,
    /// What may follow the prefix (record counts are in addition to the prefix's).
    pub scope: Scope,
}
