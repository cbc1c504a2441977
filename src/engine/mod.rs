//! Incremental join operators.
//!
//! An [`Engine`] takes the steps of a trace one at a time and emits [`Output`]s. It shows what
//! it holds (the records in its state and its pending timers), which is what the leak and
//! premature-eviction properties look at. Each profile is one engine; [`crate::run`] drives any
//! engine over a whole trace and annotates every output with where it appeared.

pub mod canary;
pub mod contract;
pub(crate) mod fault;
pub mod flink;
pub mod kafka;
pub mod reference;
pub mod spark;
pub(crate) mod store;

use crate::event::{Output, RecordId};
use crate::model::{JoinParams, JoinSpec, Profile};
use crate::time::Watermark;
use crate::trace::Step;

pub use canary::CanaryEngine;
pub use flink::interval::IntervalJoinEngine;
pub use flink::keyed_fixed::KeyedFixedEngine;
pub use flink::keyed_ttl::KeyedTtlEngine;
pub use flink::sql_interval::SqlIntervalEngine;
pub use kafka::KafkaStreamsEngine;
pub use reference::ReferenceEngine;
pub use spark::SparkEngine;

/// An incremental join operator.
pub trait Engine {
    /// Processes one step, pushing whatever it emits onto `out`.
    fn step(&mut self, step: &Step, out: &mut Vec<Output>);

    /// The ids of the records held in state, in strictly ascending order. Every run checks this
    /// and the rest of [`contract`] after every step, and stops with a message naming the
    /// engine and the step when an answer breaks it.
    fn stored(&self) -> Vec<RecordId>;

    /// How many timers are registered and have not fired.
    fn pending_timers(&self) -> usize;

    /// How many records are held in state (`stored().len()`, which engines may answer
    /// without building the list).
    fn stored_len(&self) -> usize {
        self.stored().len()
    }

    /// Records received but not processed yet (an open micro-batch): held by the engine's
    /// input, not its join state, so neither evicted nor leaked.
    fn buffered(&self) -> Vec<RecordId> {
        Vec::new()
    }

    /// Whether the engine works in micro-batches, so that outputs carry a batch number.
    fn micro_batches(&self) -> bool {
        false
    }

    /// The engine's current watermarks, for timelines: left input, right input, and the one
    /// the join acts on. `None` for engines that do not expose them.
    fn watermarks(&self) -> Option<Watermarks> {
        None
    }

    /// The engine's name in messages (its type's name, unless it says otherwise).
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

/// An engine the model checker can explore: its states hold the engine, so it is cloned,
/// hashed and compared, and shared between the checker's threads. Every engine with these
/// traits is one (a blanket impl: nothing to implement), so bounds say `E: ModelEngine`.
pub trait ModelEngine: Engine + Clone + std::fmt::Debug + std::hash::Hash + Eq + Send + Sync + 'static {}

impl<E> ModelEngine for E where E: Engine + Clone + std::fmt::Debug + std::hash::Hash + Eq + Send + Sync + 'static {}

/// A snapshot of an engine's watermarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Watermarks {
    /// The left input's watermark.
    pub left: Watermark,
    /// The right input's watermark.
    pub right: Watermark,
    /// The watermark the join acts on.
    pub join: Watermark,
}

/// Declares [`ProfileEngine`], one variant per profile with the engine that models it: the one
/// place that maps a profile to its engine (adding a profile adds one line here).
macro_rules! profile_engines {
    ($($profile:ident => $engine:ident),* $(,)?) => {
        /// The engine of any profile, as one concrete type: what the model checker, `replay`,
        /// `drive` and the benchmarks run when they run "the model's engine".
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum ProfileEngine {
            $(
                /// The engine of the profile of the same name.
                $profile($engine),
            )*
        }

        impl ProfileEngine {
            /// The engine `params.profile` prescribes, ready for the first step.
            pub fn new(params: JoinParams) -> ProfileEngine {
                match params.profile {
                    $(Profile::$profile => ProfileEngine::$profile($engine::new(params)),)*
                }
            }

            fn inner(&self) -> &dyn Engine {
                match self {
                    $(ProfileEngine::$profile(e) => e,)*
                }
            }

            fn inner_mut(&mut self) -> &mut dyn Engine {
                match self {
                    $(ProfileEngine::$profile(e) => e,)*
                }
            }
        }

        /// Calls `with` on the engine `params.profile` prescribes, as its own type: for the
        /// model checker, whose states hold the engine and should be no larger than it.
        pub(crate) fn with_profile_engine<W: WithEngine>(params: JoinParams, with: W) -> W::Output {
            match params.profile {
                $(Profile::$profile => with.call($engine::new(params)),)*
            }
        }
    };
}

/// What [`with_profile_engine`] does with a profile's engine.
pub(crate) trait WithEngine {
    /// What `call` returns.
    type Output;

    /// Does the work with `engine`, the profile's engine before its first step.
    fn call<E: ModelEngine>(self, engine: E) -> Self::Output;
}

profile_engines! {
    Reference => ReferenceEngine,
    Canary => CanaryEngine,
    Spark => SparkEngine,
    FlinkKeyedTtl => KeyedTtlEngine,
    FlinkKeyedFixed => KeyedFixedEngine,
    FlinkInterval => IntervalJoinEngine,
    FlinkSqlInterval => SqlIntervalEngine,
    KafkaStreams => KafkaStreamsEngine,
    QuixStreams => ReferenceEngine,
    Pathway => ReferenceEngine,
}

impl Engine for ProfileEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        self.inner_mut().step(step, out)
    }

    forward_views!(ProfileEngine::inner);
}

/// The engine a model's profile prescribes, ready for the first step.
pub fn for_spec(spec: &JoinSpec) -> Box<dyn Engine> {
    Box::new(ProfileEngine::new(spec.params))
}

/// The [`Engine`] methods that say what an engine holds and how it works, answered by the engine
/// that `$inner` (a function of `&self`) reaches: for wrappers whose `step` does more than pass
/// the step on, or nothing more.
macro_rules! forward_views {
    ($inner:expr) => {
        fn stored(&self) -> Vec<$crate::event::RecordId> {
            ($inner)(self).stored()
        }

        fn pending_timers(&self) -> usize {
            ($inner)(self).pending_timers()
        }

        fn buffered(&self) -> Vec<$crate::event::RecordId> {
            ($inner)(self).buffered()
        }

        fn stored_len(&self) -> usize {
            ($inner)(self).stored_len()
        }

        fn micro_batches(&self) -> bool {
            ($inner)(self).micro_batches()
        }

        fn watermarks(&self) -> Option<$crate::engine::Watermarks> {
            ($inner)(self).watermarks()
        }

        fn name(&self) -> &str {
            ($inner)(self).name()
        }
    };
}

pub(crate) use forward_views;

/// An engine behind a `&mut` or a `Box` is still an engine.
impl<E: Engine + ?Sized> Engine for &mut E {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        (**self).step(step, out)
    }

    forward_views!(<Self as std::ops::Deref>::deref);
}

impl<E: Engine + ?Sized> Engine for Box<E> {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        (**self).step(step, out)
    }

    forward_views!(<Self as std::ops::Deref>::deref);
}
