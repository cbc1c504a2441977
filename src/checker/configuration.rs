//! Which violations this configuration causes: for each violation a model expects to hold
//! (and its engine's design does not explain), the profile's rules over the join's constants
//! ([`crate::model::configuration`]) are asked, and a rule's change is checked in the same
//! scope, for that property alone. Only a change after which the property holds is reported as
//! the violation's cause: the words then come with a check, not a guess.

use super::{check_spec, ModelReport, Options, Verdict};
use crate::error::InputError;
use crate::model::{JoinSpec, Misconfiguration};
use crate::property::{Expected, Property};

/// A violation this configuration causes, and how the check with the change came out.
#[derive(Clone, Debug)]
pub struct Configured {
    /// The violated property.
    pub property: Property,
    /// What the constants do, and the change.
    pub problem: Misconfiguration,
    /// Whether the check with the change covered the whole scope (else: no violation in the
    /// part it explored).
    pub exhaustive: bool,
}

/// Names the violations of `report` that `spec`'s constants cause, each checked with its
/// change in `spec`'s scope under `options` (its limits bound each check).
pub fn explain_configuration(spec: &JoinSpec, report: &mut ModelReport, options: &Options) -> Result<(), InputError> {
    let rules = spec.params.profile.info().configuration;
    let violated: Vec<Property> = report
        .verdicts
        .iter()
        .filter(|(p, v, e)| matches!(v, Verdict::Violated(_)) && *e == Expected::Holds && spec.design(*p).is_none())
        .map(|(p, _, _)| *p)
        .collect();
    for p in violated {
        for problem in rules.iter().filter_map(|rule| rule(&spec.params)) {
            if !problem.properties.contains(&p) {
                continue;
            }
            let fixed = JoinSpec {
                params: problem.fixed,
                ..spec.clone()
            };
            let options = Options {
                only: Some(p),
                ..options.clone()
            };
            let again = check_spec(&fixed, options, &mut |_| {})?;
            let holds = again
                .verdicts
                .iter()
                .any(|(q, v, _)| *q == p && matches!(v, Verdict::Holds));
            if holds {
                report.configuration.push(Configured {
                    property: p,
                    problem,
                    exhaustive: again.complete(),
                });
                break;
            }
        }
    }
    Ok(())
}
