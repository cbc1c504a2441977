//! The properties every correct join has, and the witnesses that keep a pass from being
//! vacuous. Their meaning is stated here once, in words on [`Property`]; their executable
//! form is the monitor of [`crate::run`], which the checker, `replay`, `drive`, the harness
//! and the fuzzers all evaluate.

use std::fmt;

/// A checked property: an invariant (`always`) or a witness (`sometimes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// At quiescence (after end of input, every timer fired) every valid pair has been
    /// emitted (for left semi: every left record with a valid pair has its row).
    NoLostMatch,
    /// Every emitted pair has equal keys, an offset inside the bounds, and two admitted
    /// records; every semi row has such a partner.
    NoSpuriousOutput,
    /// No row is emitted twice.
    NoDuplicateOutput,
    /// A record of a padded side gets a null row iff it has no valid match, never both,
    /// never twice, and never while an admissible record could still match it; sides that
    /// are not padded get none.
    OuterExactlyOnce,
    /// No admitted record leaves state while an admissible future record could still match
    /// it (a semi join's left record may leave once its row is out).
    NoPrematureEviction,
    /// At quiescence nothing is stored and no timer is pending; before it, no stored record
    /// has outlived its last chance to match by more than the profile's cleanup slack, and
    /// there are no more pending timers than stored records.
    NoStateLeak,
    /// The engine reports as late exactly the records the spec says are late.
    LatenessAgrees,
    /// Witness: a pair (or semi row) is emitted.
    WitnessMatch,
    /// Witness: a record is dropped as late.
    WitnessLateDrop,
    /// Witness: a record leaves state before end of input.
    WitnessEviction,
    /// Witness: state holds at least two records.
    WitnessStateTwo,
    /// Witness: a record arrives with a key whose earlier record was already evicted.
    WitnessKeyReused,
    /// Witness: a click (right) arrives before the impression (left) it matches.
    WitnessClickFirst,
}

impl Property {
    /// Every property: the invariants first, then the witnesses.
    pub const ALL: [Property; 13] = [
        Property::NoLostMatch,
        Property::NoSpuriousOutput,
        Property::NoDuplicateOutput,
        Property::OuterExactlyOnce,
        Property::NoPrematureEviction,
        Property::NoStateLeak,
        Property::LatenessAgrees,
        Property::WitnessMatch,
        Property::WitnessLateDrop,
        Property::WitnessEviction,
        Property::WitnessStateTwo,
        Property::WitnessKeyReused,
        Property::WitnessClickFirst,
    ];

    /// The property's name in model files and reports (`no_lost_match`).
    pub fn name(self) -> &'static str {
        match self {
            Property::NoLostMatch => "no_lost_match",
            Property::NoSpuriousOutput => "no_spurious_output",
            Property::NoDuplicateOutput => "no_duplicate_output",
            Property::OuterExactlyOnce => "outer_exactly_once",
            Property::NoPrematureEviction => "no_premature_eviction",
            Property::NoStateLeak => "no_state_leak",
            Property::LatenessAgrees => "lateness_agrees",
            Property::WitnessMatch => "witness_match",
            Property::WitnessLateDrop => "witness_late_drop",
            Property::WitnessEviction => "witness_eviction",
            Property::WitnessStateTwo => "witness_state_two",
            Property::WitnessKeyReused => "witness_key_reused",
            Property::WitnessClickFirst => "witness_click_first",
        }
    }

    /// The property named `name` (as [`Property::name`] writes it).
    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == name)
    }

    /// For a witness, what a scope that never reaches it leaves untested: the verdicts it
    /// keeps from being vacuous. `None` for an invariant.
    pub fn untested(self) -> Option<&'static str> {
        Some(match self {
            Property::WitnessMatch => "no pair is ever emitted, so no verdict here is about a match",
            Property::WitnessLateDrop => {
                "no record is ever late, so lateness_agrees and the late side of no_spurious_output are untested"
            }
            Property::WitnessEviction => {
                "no record leaves state before the end, so no_premature_eviction and the eviction side of \
                 no_state_leak are untested"
            }
            Property::WitnessStateTwo => "state never holds two records at once",
            Property::WitnessKeyReused => "no key comes back after its records were evicted",
            Property::WitnessClickFirst => "no right record comes before the left record it matches",
            _ => return None,
        })
    }

    /// Whether this is a witness (`sometimes`) rather than an invariant (`always`).
    pub fn is_witness(self) -> bool {
        self >= Property::WitnessMatch
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What a model file says a property's verdict will be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// An invariant holds everywhere in scope (the default for invariants).
    Holds,
    /// An invariant is violated somewhere in scope (a design known to be broken).
    Violated,
    /// A witness is reached (the default for witnesses).
    Reached,
    /// A witness cannot be reached in this model (say why in the model file).
    Missing,
}

impl Expected {
    /// The verdict's name in a model file's `[expect]` table (`holds`, `violated`, `reached`,
    /// `missing`).
    pub fn name(self) -> &'static str {
        match self {
            Expected::Holds => "holds",
            Expected::Violated => "violated",
            Expected::Reached => "reached",
            Expected::Missing => "missing",
        }
    }

    /// The default expectation: invariants hold, witnesses are reached.
    pub fn default_for(p: Property) -> Expected {
        if p.is_witness() {
            Expected::Reached
        } else {
            Expected::Holds
        }
    }
}
