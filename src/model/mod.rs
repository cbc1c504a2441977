//! What is being joined: the join kind, the time bounds, the watermark rules and the engine
//! profile, read from a TOML model file.
//!
//! A model file (every key is documented in `models/README.md`):
//!
//! ```toml
//! profile = "reference"
//! description = "the seed's impressions/clicks join"
//!
//! [join]
//! kind = "inner"            # inner | left_outer | right_outer | full_outer | left_semi
//! bounds = "[0ms, 1h]"      # right.ts - left.ts; "[" / "]" inclusive, "(" / ")" exclusive
//!
//! [watermark]
//! source = "derived"        # derived (max seen - delay, per input) | trace (explicit steps)
//! left_delay = "10m"
//! right_delay = "10m"
//! policy = "min"            # how the two inputs' watermarks combine: min | max
//! lateness = "ts < wm"      # or "ts <= wm"
//! ```
//!

pub(crate) mod builder;
pub(crate) mod bundled;
pub(crate) mod configuration;
pub(crate) mod domain;
pub(crate) mod join;
pub(crate) mod known_bugs;
pub(crate) mod profile;
pub(crate) mod scope;
pub mod toml;
pub(crate) mod watermark;
pub(crate) mod workload;

pub use builder::JoinBuilder;
pub use bundled::BUNDLED;
pub use configuration::{Misconfiguration, Rule};
pub use domain::{TimeDomain, Times};
pub use join::{Bound, Bounds, JoinKind, JoinParams};
pub use known_bugs::{KnownBug, Removed};
pub use profile::{
    Contract, Design, Deviation, EndOfInput, Eviction, Fuzz, KafkaWindows, Knob, Knobs, OuterRows, Profile,
    ProfileInfo, Unsupported, PROFILES,
};
pub use scope::{Defect, Scope, DEFAULT_ORIGIN};
pub use watermark::{Lateness, Policy, SpecWatermarks, Timing, WatermarkSource, WatermarkSpec};
pub use workload::{Sizing, Spread, SpreadError, WorkloadSpec, WINDOWS_NEEDED};

use crate::error::{read_text, InputError};

/// The name of `value` in `table`: one of the `ALL` tables of the values a model file names
/// (join kinds, knobs), each value with its name.
fn name_in<T: PartialEq + Copy>(table: &[(&'static str, T)], value: T) -> &'static str {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| *n)
        .expect("every value is named")
}
use crate::property::{Expected, Property};
use crate::trace::{Step, Trace};
use std::collections::BTreeMap;
use std::path::Path;

/// A model file: a join and how to check it.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinSpec {
    /// The model's `name`, or the default name it was read with (the file's stem) when it has none.
    pub name: String,
    /// The model's `description`; empty when it has none.
    pub description: String,
    /// The join.
    pub params: JoinParams,
    /// What the model checker enumerates; `None` when the model has no `[scope]`.
    pub scope: Option<Scope>,
    /// Expected verdict per property; properties not named take [`Expected::default_for`].
    pub expect: BTreeMap<Property, Expected>,
    /// Known defects of the design, each of which the checker must demonstrate.
    pub defects: Vec<Defect>,
    /// The known bugs of the engine the model accepts (`[expect] allow`, by
    /// [`KnownBug::id`]): a violation one of them causes does not fail the check.
    pub allowed: Vec<String>,
    /// The model's `[workload]`, what `simulate` and `advise` generate; `None` for the default.
    pub workload: Option<WorkloadSpec>,
    /// Where the model was read from.
    pub file: String,
}

impl JoinSpec {
    /// Reads the model file at `path`; a model without `name` is named after the file's stem.
    pub fn load(path: &Path) -> Result<JoinSpec, InputError> {
        let text = read_text(path)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        JoinSpec::parse(&text, &path.display().to_string(), &stem)
    }

    /// Reads a model from TOML text; `file` names it in errors, `default_name` is used when
    /// the model has no `name`.
    pub fn parse(text: &str, file: &str, default_name: &str) -> Result<JoinSpec, InputError> {
        toml::read(text, file, default_name)
    }

    /// A model with these parameters and nothing else: no scope, no expectations, no name.
    pub fn from_params(params: JoinParams) -> JoinSpec {
        JoinSpec {
            name: String::new(),
            description: String::new(),
            params,
            scope: None,
            expect: BTreeMap::new(),
            defects: Vec::new(),
            allowed: Vec::new(),
            workload: None,
            file: String::new(),
        }
    }

    /// The checking scope, which the model checker needs.
    pub fn checker_scope(&self) -> Result<&Scope, InputError> {
        self.scope.as_ref().ok_or_else(|| {
            InputError::new(
                &self.file,
                "the model has no [scope]: the checker needs one (see models/README.md)",
            )
            .field("scope")
        })
    }

    /// The expected verdict for `p`.
    pub fn expected(&self, p: Property) -> Expected {
        match (self.expect.get(&p), self.design(p)) {
            (Some(&e), _) => e,
            (None, Some(_)) if p.is_witness() => Expected::Missing,
            (None, Some(_)) => Expected::Violated,
            (None, None) => Expected::default_for(p),
        }
    }

    /// Whether the model accepts the known bug `id` (`[expect] allow`).
    pub fn allows(&self, id: &str) -> bool {
        self.allowed.iter().any(|a| a == id)
    }

    /// Whether the model's `[expect]` names `p`.
    pub fn states(&self, p: Property) -> bool {
        self.expect.contains_key(&p)
    }

    /// What the engine does by design about `p`, when the model's `[expect]` says nothing of
    /// it: then a violation (or a witness missing) is the engine's, not this join's, and the
    /// scope showing the opposite is no contradiction either.
    pub fn design(&self, p: Property) -> Option<&'static Design> {
        if self.expect.contains_key(&p) {
            return None;
        }
        self.params
            .profile
            .design()
            .iter()
            .find(|d| d.property == p && d.applies(&self.params))
    }

    /// Rejects traces this model cannot give a meaning to (for now: explicit watermark steps
    /// when the model derives its watermarks, and times the profile cannot represent). `file`
    /// names the trace in errors.
    pub fn check_trace(&self, trace: &Trace, file: &str) -> Result<(), InputError> {
        for (i, step) in trace.steps().iter().enumerate() {
            self.check_step(step, file, trace.line_of(i))?;
        }
        Ok(())
    }

    /// [`JoinSpec::check_trace`] for one step, read from `line` of `file` when known.
    pub fn check_step(&self, step: &Step, file: &str, line: Option<usize>) -> Result<(), InputError> {
        let at_line = |err: InputError| match line {
            Some(line) => err.at_line(line),
            None => err,
        };
        match step {
            Step::Watermark { .. } if self.params.watermark.source == WatermarkSource::Derived => Err(at_line(
                InputError::new(
                    file,
                    format!(
                        "model {} derives watermarks from the delays (watermark.source = \"derived\"); \
                         remove the watermark steps or use a model with source = \"trace\"",
                        self.name
                    ),
                )
                .field("type"),
            )),
            Step::Record(r) => match self.params.profile.record_times() {
                Some((range, why)) if !range.contains(&r.ts.as_millis()) => Err(at_line(
                    InputError::new(
                        file,
                        format!(
                            "{} ms is outside what the {} profile can represent ({} to {} ms: {why})",
                            r.ts.as_millis(),
                            self.params.profile.name(),
                            range.start(),
                            range.end()
                        ),
                    )
                    .field("ts"),
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// One line describing the join, for report headers.
    pub fn summary(&self) -> String {
        let p = &self.params;
        let w = &p.watermark;
        let source = match w.source {
            WatermarkSource::Derived => {
                format!("derived (delay left {}, right {})", w.delay[0], w.delay[1])
            }
            WatermarkSource::Trace => "from the trace".to_owned(),
        };
        let time = if p.bounds.is_equality() {
            format!("right.ts = left.ts + {} (an equality)", p.bounds.lower().at)
        } else {
            format!("right.ts - left.ts in {}", p.bounds)
        };
        format!(
            "profile {}, {} join, {time}, watermarks {source} combined by {}, late if {}",
            p.profile.name(),
            p.kind.name(),
            w.policy.name(),
            w.lateness.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Record, Side};
    use crate::time::{Duration, EventTime};

    const MODEL: &str = r#"
profile = "reference"
[join]
kind = "inner"
bounds = "[0ms, 1h]"
[watermark]
source = "derived"
left_delay = "10m"
right_delay = "10m"
"#;

    #[test]
    fn reads_a_model() {
        let spec = JoinSpec::parse(MODEL, "m.toml", "m").unwrap();
        assert_eq!(spec.params.bounds.lowest(), 0);
        assert_eq!(spec.params.bounds.highest(), 3_600_000);
        assert_eq!(spec.params.watermark.delay[1].as_millis(), 600_000);
        assert_eq!(spec.params.watermark.lateness, Lateness::Strict);
    }

    #[test]
    fn errors_point_at_the_key() {
        let cases = [
            (MODEL.replace("[0ms, 1h]", "[2h, 1h]"), 5, "join.bounds", "after upper"),
            (
                MODEL.replace("[0ms, 1h]", "(0ms, 0ms]"),
                5,
                "join.bounds",
                "holds no offset",
            ),
            (
                MODEL.replace("\"reference\"", "\"sparkle\""),
                2,
                "profile",
                "unknown value",
            ),
            (MODEL.replace("kind =", "kindd ="), 4, "kindd", "unknown field"),
            (
                MODEL.replace("\"10m\"\nright", "\"-5m\"\nright"),
                8,
                "watermark.left_delay",
                "negative",
            ),
            (
                MODEL.replace("\"10m\"\nright", "\"1e99h\"\nright"),
                8,
                "watermark.left_delay",
                "unknown unit",
            ),
            // Knobs: unknown values, and knobs an engine with rules of its own does not take.
            (
                MODEL.replace("bounds", "eviction = \"lazy\"\nbounds"),
                5,
                "join.eviction",
                "unknown value",
            ),
            (
                MODEL
                    .replace("\"reference\"", "\"flink-interval\"")
                    .replace("bounds", "outer_rows = \"eager\"\nbounds"),
                5,
                "join.outer_rows",
                "its own rules",
            ),
            (
                MODEL
                    .replace("\"reference\"", "\"spark\"")
                    .replace("right_delay = \"10m\"", "right_delay = \"10m\"\npolicy = \"per_side\""),
                10,
                "watermark.policy",
                "its own rules",
            ),
            (
                MODEL
                    .replace("\"inner\"", "\"left_semi\"")
                    .replace("bounds", "eviction = \"per_key\"\nbounds"),
                5,
                "join.eviction",
                "left semi",
            ),
        ];
        for (text, line, field, words) in cases {
            let e = JoinSpec::parse(&text, "m.toml", "m").unwrap_err();
            assert_eq!((e.line, e.field.as_deref()), (Some(line), Some(field)), "{e}");
            assert!(e.message.contains(words), "{e}");
        }
    }

    /// Found trying a Quix Streams model with `source = "trace"`: it was told that "Spark
    /// derives each input's watermark". Each profile's reason is in its row of the table.
    #[test]
    fn a_profile_with_one_watermark_source_says_why_in_its_own_words() {
        let mut told = Vec::new();
        for info in PROFILES.iter().filter(|i| i.source.is_some()) {
            let (needed, why) = info.source.expect("filtered");
            let other = match needed {
                WatermarkSource::Derived => "trace",
                WatermarkSource::Trace => "derived",
            };
            let kind = info.kinds[0].name();
            let text = MODEL
                .replace("\"reference\"", &format!("\"{}\"", info.name))
                .replace("\"inner\"", &format!("\"{kind}\""))
                .replace("source = \"derived\"", &format!("source = \"{other}\""));
            // Trace watermarks take no delays.
            let text = if other == "trace" {
                text.replace("left_delay = \"10m\"\nright_delay = \"10m\"", "")
            } else {
                text
            };
            let e = JoinSpec::parse(&text, "m.toml", "m").unwrap_err();
            // Kafka Streams is told its whole stream-time rule instead (`watermark`).
            if e.field.as_deref() == Some("watermark.source") {
                assert!(e.message.contains(why), "{}: {e}", info.name);
                told.push(info.name);
            }
            for rival in PROFILES.iter().filter_map(|i| i.source).filter(|(_, w)| *w != why) {
                assert!(
                    !e.message.contains(rival.1),
                    "{}: told another engine's reason: {e}",
                    info.name
                );
            }
        }
        assert_eq!(
            told,
            [
                "spark",
                "flink-keyed-ttl",
                "flink-keyed-fixed",
                "quix-streams",
                "pathway"
            ]
        );
    }

    #[test]
    fn bounds_are_exact_at_the_extremes() {
        let b = Bounds::closed(Duration::ZERO, Duration::MAX).unwrap();
        let left = Record {
            side: Side::Left,
            key: crate::event::Key(0),
            ts: EventTime::MAX,
            id: crate::event::RecordId(0),
        };
        assert_eq!(b.partner_range(&left), (i128::from(i64::MAX), i128::from(i64::MAX) * 2));
        assert!(b.contains(i128::from(i64::MAX)));
        assert!(!b.contains(-1));
    }
}
