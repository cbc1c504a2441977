//! Test machinery, kept apart from the library it tests and hidden from its documentation: the
//! fuzz targets' bodies and decoders ([`fuzzing`]) and the real-bug benchmark's mutants
//! ([`mutants`], whose faults are crate-private, in `crate::engine::fault`) with its report
//! ([`report`]). The fuzz targets,
//! the integration tests and `joincheck bugs` use it; an engine author has no need to.

pub mod fuzzing;
pub mod mutants;
pub mod report;
