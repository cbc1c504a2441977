#![no_main]
//! `joincheck::testing::fuzzing::quix_vs_oracle`: the body lives in the library so that `cargo test` replays
//! this target's corpus and crashes on stable (tests/fuzz_replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| joincheck::testing::fuzzing::quix_vs_oracle(data));
