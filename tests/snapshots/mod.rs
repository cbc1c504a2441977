//! Snapshots of `joincheck replay` timelines (the human-readable text), one per bundled
//! trace and model pair below. The `.snap` files next to this file (`tests/snapshots/`, named
//! after the test, without a module prefix) were checked by hand
//! against the semantics in `src/oracle.rs` and `src/engine/reference.rs`: the watermarks after
//! each step, what each side stores, and what each step emits.
//!
//! To review a change: `cargo insta review`, or `INSTA_UPDATE=always cargo test --test tests
//! snapshots` and read the diff of `tests/snapshots/`.

use crate::support::{joincheck, trace, INNER, LEFT_OUTER};

/// The timeline text of `joincheck replay`, which must exit 0 (the engine agrees with the
/// oracle and ends with empty state).
fn timeline(model: &str, stem: &str) -> String {
    let run = joincheck(["replay", "--model", model, "--trace", &trace(stem)]);
    assert_eq!(run.code, Some(0), "replay {model} {stem}: {run:?}");
    assert_eq!(run.stderr, "", "replay {model} {stem} wrote to stderr");
    run.stdout
}

/// Compares `text` with `tests/snapshots/<name>.snap`.
fn assert_timeline(name: &str, text: String) {
    let mut settings = insta::Settings::clone_current();
    // This module is `tests/snapshots/mod.rs`: keep the files beside it, not in a nested
    // `snapshots/` directory, and name them by the test alone.
    settings.set_snapshot_path(".");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn replay_late_left_outer() {
    assert_timeline("replay_late_left_outer", timeline(LEFT_OUTER, "late"));
}

#[test]
fn replay_out_of_order_inner() {
    assert_timeline("replay_out_of_order_inner", timeline(INNER, "out-of-order"));
}

#[test]
fn replay_duplicate_keys_inner() {
    assert_timeline("replay_duplicate_keys_inner", timeline(INNER, "duplicate-keys"));
}
