//! Test machinery, kept apart from the library it tests and hidden from its documentation: the
//! fuzz targets' bodies and decoders ([`fuzzing`]), the real-bug benchmark's mutants
//! ([`mutants`]) and the faults they build into engines ([`Fault`]). The fuzz targets, the
//! integration tests and `joincheck bugs` use it; an engine author has no need to.

pub mod fault;
pub mod fuzzing;
pub mod mutants;

pub use fault::Fault;
