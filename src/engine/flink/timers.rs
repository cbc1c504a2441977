//! The event-time timer service (`InternalTimerServiceImpl`).
//!
//! Timers are a set of `(timestamp, key, namespace)`: registering an existing one is a no-op
//! (Flink deduplicates per key, namespace and timestamp; a `KeyedCoProcessFunction` has the
//! one namespace 0, the interval join one per side). Advancing to watermark `w` fires, in timestamp order,
//! every timer with `timestamp <= w`. A timer registered at or behind the current watermark is
//! only queued: it fires at the next advance, which happens when the combined watermark
//! strictly increases, or at end of input (`MAX`).

use crate::event::Key;
use crate::time::{EventTime, Watermark};
use std::collections::BTreeSet;

/// Flink's event-time timer service: a deduplicated set of `(timestamp, key, namespace)` timers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimerService {
    timers: BTreeSet<(EventTime, Key, u8)>,
}

impl TimerService {
    /// Registers a timer for `key` at `at` in namespace 0; a no-op if it is already registered.
    pub fn register(&mut self, key: Key, at: EventTime) {
        self.register_in(0, key, at);
    }

    /// Registers a timer for `key` at `at` in `namespace`; a no-op if it is already registered.
    pub fn register_in(&mut self, namespace: u8, key: Key, at: EventTime) {
        self.timers.insert((at, key, namespace));
        debug_assert!(
            self.timers.contains(&(at, key, namespace)),
            "a registered timer is pending"
        );
    }

    /// Removes and returns the earliest timer due at watermark `w`, if any. Callers loop, so
    /// that timers registered while firing fire in the same advance when due.
    pub fn pop_due(&mut self, w: Watermark) -> Option<(EventTime, Key, u8)> {
        let first = *self.timers.first()?;
        (first.0 <= w.time()).then(|| {
            let before = self.timers.len();
            self.timers.pop_first();
            // Paired: the timer fired was due, and it was the earliest (what is left is not
            // earlier), and exactly one left the set.
            assert_eq!(self.timers.len() + 1, before, "one timer fires at a time");
            debug_assert!(
                self.timers.first().is_none_or(|next| *next >= first),
                "timers fire in order"
            );
            first
        })
    }

    /// How many timers are registered and have not fired.
    pub fn len(&self) -> usize {
        self.timers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_at_the_watermark_once_in_order() {
        // S13: a timer at 110 does not fire at watermark 109, fires at 110, and registering
        // it twice gives one firing.
        let mut s = TimerService::default();
        let (k, at) = (Key(0), EventTime::from_millis(110));
        s.register(k, at);
        s.register(k, at);
        s.register(Key(1), EventTime::from_millis(105));
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.pop_due(Watermark::at(EventTime::from_millis(109))),
            Some((EventTime::from_millis(105), Key(1), 0))
        );
        assert_eq!(s.pop_due(Watermark::at(EventTime::from_millis(109))), None);
        assert_eq!(s.pop_due(Watermark::at(at)), Some((at, k, 0)));
        assert_eq!(s.len(), 0);
    }
}
