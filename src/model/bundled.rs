//! The models shipped with joincheck, compiled into the crate so that a user's crate can load
//! them by name (`JoinSpec::bundled("reference-impressions-clicks")`) wherever it is built: the
//! same files as `models/*.toml` in joincheck's repository, which `models/README.md` describes.

use super::JoinSpec;
use crate::error::InputError;

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        /// Every bundled model: its name (the file's stem) and its TOML text.
        pub const BUNDLED: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../models/", $name, ".toml"))),)*
        ];
    };
}

bundled! {
    "canary-impressions-clicks",
    "flink-interval-impressions-clicks",
    "flink-keyed-fixed",
    "flink-keyed-ttl",
    "flink-sql-impressions-clicks",
    "flink-sql-impressions-clicks-left-outer",
    "kafka-streams-clicks-5m-to-20m-left-outer",
    "kafka-streams-clicks-within-5m-left-outer",
    "kafka-streams-impressions-clicks",
    "pathway-cutoff-frees-state",
    "pathway-impressions-clicks",
    "quix-streams-interval-left",
    "reference-impressions-clicks",
    "reference-impressions-clicks-left-outer",
    "spark-clicks-at-impression-time",
    "spark-impressions-clicks",
    "spark-impressions-clicks-full-outer",
    "spark-impressions-clicks-left-outer",
    "spark-impressions-clicks-left-semi",
    "spark-impressions-clicks-right-outer",
}

impl JoinSpec {
    /// The bundled model named `name` (a file stem of `models/`, such as
    /// `reference-impressions-clicks`); the error lists the names there are.
    pub fn bundled(name: &str) -> Result<JoinSpec, InputError> {
        let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
            return Err(InputError::new(
                format!("<bundled model {name}>"),
                format!("no bundled model is named {name:?}; there are: {}", names.join(", ")),
            ));
        };
        JoinSpec::parse(text, &format!("models/{name}.toml (bundled)"), name)
    }
}
