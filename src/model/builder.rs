//! A join stated in code ([`JoinSpec::builder`]): what a model file says, key by key, checked
//! as a model file is.

use super::JoinSpec;
use crate::error::InputError;

/// A join stated in code: what a model file says, key by key, with the same syntax for bounds
/// (`"[0ms, 1h]"`) and durations (`"10m"`). [`JoinBuilder::build`] checks it exactly as a model
/// file is checked (the errors name the key).
///
/// ```
/// use joincheck::model::{JoinKind, JoinSpec, Profile};
///
/// let spec = JoinSpec::builder("my-join")
///     .profile(Profile::Reference)
///     .kind(JoinKind::LeftOuter)
///     .bounds("[-5m, 40m]")
///     .delays("7m", "7m")
///     .scope(&["a", "b"], 2, 2)
///     .build()
///     .unwrap();
/// assert_eq!(spec.params.kind, JoinKind::LeftOuter);
/// assert!(spec.scope.unwrap().times.is_derived());
/// ```
#[derive(Clone, Debug)]
pub struct JoinBuilder {
    name: String,
    profile: super::Profile,
    kind: super::JoinKind,
    bounds: String,
    grace: Option<String>,
    delays: Option<(String, String)>,
    source: super::WatermarkSource,
    policy: super::Policy,
    lateness: Option<String>,
    scope: Option<(Vec<String>, u8, u8)>,
    times: Option<Vec<String>>,
    extra: Vec<String>,
}

impl JoinSpec {
    /// A join named `name`, stated in code: the reference profile's inner join with bounds
    /// `[0ms, 0ms]` and derived watermarks without delay until the builder says otherwise.
    pub fn builder(name: &str) -> JoinBuilder {
        JoinBuilder {
            name: name.to_owned(),
            profile: super::Profile::Reference,
            kind: super::JoinKind::Inner,
            bounds: "[0ms, 0ms]".to_owned(),
            grace: None,
            delays: None,
            source: super::WatermarkSource::Derived,
            policy: super::Policy::Min,
            lateness: None,
            scope: None,
            times: None,
            extra: Vec::new(),
        }
    }
}

impl JoinBuilder {
    /// The engine profile (`profile`).
    pub fn profile(mut self, profile: super::Profile) -> JoinBuilder {
        self.profile = profile;
        self
    }

    /// The join kind (`join.kind`).
    pub fn kind(mut self, kind: super::JoinKind) -> JoinBuilder {
        self.kind = kind;
        self
    }

    /// `right.ts - left.ts` must lie in these bounds (`join.bounds`, such as `"[0ms, 1h]"`).
    pub fn bounds(mut self, bounds: &str) -> JoinBuilder {
        self.bounds = bounds.to_owned();
        self
    }

    /// Kafka Streams' grace period (`join.grace`). A `kafka-streams` join stated without
    /// [`JoinBuilder::delays`] leaves `[watermark]` out: its stream time follows from the
    /// windows.
    pub fn grace(mut self, grace: &str) -> JoinBuilder {
        self.grace = Some(grace.to_owned());
        self
    }

    /// Each input's watermark delay (`watermark.left_delay`, `watermark.right_delay`).
    pub fn delays(mut self, left: &str, right: &str) -> JoinBuilder {
        self.delays = Some((left.to_owned(), right.to_owned()));
        self
    }

    /// Where watermarks come from (`watermark.source`).
    pub fn watermarks(mut self, source: super::WatermarkSource) -> JoinBuilder {
        self.source = source;
        self
    }

    /// How the two inputs' watermarks combine (`watermark.policy`).
    pub fn policy(mut self, policy: super::Policy) -> JoinBuilder {
        self.policy = policy;
        self
    }

    /// When a record is late (`watermark.lateness`: `"ts < wm"` or `"ts <= wm"`).
    pub fn lateness(mut self, lateness: &str) -> JoinBuilder {
        self.lateness = Some(lateness.to_owned());
        self
    }

    /// What the checker enumerates (`[scope]`): these keys, up to `left` and `right` records;
    /// times derived from the join's constants unless [`JoinBuilder::times`] lists them.
    pub fn scope(mut self, keys: &[&str], left: u8, right: u8) -> JoinBuilder {
        self.scope = Some((keys.iter().map(|k| (*k).to_owned()).collect(), left, right));
        self
    }

    /// The scope's event times, listed (`scope.times`, durations since the epoch: `"1h1ms"`).
    pub fn times(mut self, times: &[&str]) -> JoinBuilder {
        self.times = Some(times.iter().map(|t| (*t).to_owned()).collect());
        self
    }

    /// Any other part of a model file, as TOML text appended at its end (after `[scope]` when
    /// there is one): more scope keys (`"batches = 1"`), or whole tables such as
    /// `[expect]`; `models/README.md` lists them.
    pub fn append(mut self, toml: &str) -> JoinBuilder {
        self.extra.push(toml.to_owned());
        self
    }

    /// The model file this builder states.
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| format!("{s:?}");
        let mut text = format!(
            "name = {}\nprofile = {}\n",
            quote(&self.name),
            quote(self.profile.name())
        );
        text += &format!(
            "\n[join]\nkind = {}\nbounds = {}\n",
            quote(self.kind.name()),
            quote(&self.bounds)
        );
        if let Some(g) = &self.grace {
            text += &format!("grace = {}\n", quote(g));
        }
        // An engine whose watermark rule its join implies (Kafka's stream time) states none.
        let stream_time = self.profile.info().implied_watermark.is_some() && self.delays.is_none();
        if !stream_time {
            text += &format!(
                "\n[watermark]\nsource = {}\npolicy = {}\n",
                quote(self.source.name()),
                quote(self.policy.name())
            );
        }
        if let Some((l, r)) = &self.delays {
            text += &format!("left_delay = {}\nright_delay = {}\n", quote(l), quote(r));
        }
        if let Some(l) = &self.lateness {
            text += &format!("lateness = {}\n", quote(l));
        }
        if let Some((keys, left, right)) = &self.scope {
            let keys: Vec<String> = keys.iter().map(|k| quote(k)).collect();
            text += &format!(
                "\n[scope]\nkeys = [{}]\nleft = {left}\nright = {right}\n",
                keys.join(", ")
            );
            if let Some(times) = &self.times {
                let times: Vec<String> = times.iter().map(|t| quote(t)).collect();
                text += &format!("times = [{}]\n", times.join(", "));
            }
        }
        for extra in &self.extra {
            text += extra;
            text.push('\n');
        }
        text
    }

    /// The join, checked as a model file is.
    pub fn build(&self) -> Result<JoinSpec, InputError> {
        JoinSpec::parse(
            &self.to_toml(),
            &format!("<join {} built in code>", self.name),
            &self.name,
        )
    }
}
