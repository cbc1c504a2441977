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

/// The structure of a picture: how many lines, markers and dashed lines it draws, then every
/// text in it (title, axis descriptions, tick labels, legend), in order. What a reader sees,
/// without the coordinates.
fn svg_structure(svg: &str) -> String {
    let count = |tag: &str| svg.matches(&format!("<{tag}")).count();
    let mut out = format!(
        "polylines: {}\ncircles: {}\ndashed: {}\ntexts:\n",
        count("polyline"),
        count("circle"),
        svg.matches("stroke-dasharray").count()
    );
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let body = &rest[start..];
        let open = body.find('>').expect("a text element closes its tag") + 1;
        let close = body.find("</text>").expect("a text element ends");
        out += "  ";
        out += body[open..close].trim();
        out.push('\n');
        rest = &body[close..];
    }
    out
}

/// Runs `args` (which write the SVG to `svg`) and snapshots the picture's structure.
fn assert_picture(name: &str, args: &[&str], svg: &std::path::Path) {
    let run = joincheck(args.iter().copied());
    assert!(matches!(run.code, Some(0)), "{args:?}: {run:?}");
    let text = std::fs::read_to_string(svg).expect("the picture is written");
    assert!(text.starts_with("<svg"), "{text}");
    assert_timeline(name, svg_structure(&text));
}

#[test]
fn picture_simulate() {
    let dir = crate::support::TempDir::new("picture-simulate");
    let svg = dir.path().join("sim.svg");
    let path = svg.to_str().unwrap();
    let args = ["simulate", "--model", INNER, "--records", "5000", "--svg", path];
    assert_picture("picture_simulate", &args, &svg);
}

#[test]
fn picture_replay_stats() {
    let dir = crate::support::TempDir::new("picture-replay");
    let svg = dir.path().join("replay.svg");
    let path = svg.to_str().unwrap();
    let model = "models/spark-impressions-clicks-left-outer.toml";
    let trace = "models/traces/spark-trace-a.jsonl";
    let args = ["replay", "--model", model, "--trace", trace, "--stats", "--svg", path];
    assert_picture("picture_replay_stats", &args, &svg);
}

#[test]
fn picture_advise() {
    let dir = crate::support::TempDir::new("picture-advise");
    let svg = dir.path().join("advise.svg");
    let path = svg.to_str().unwrap();
    let model = "models/spark-impressions-clicks.toml";
    let args = [
        "advise",
        "--model",
        model,
        "--records",
        "30000",
        "--delays",
        "0,1m,5m,10m,30m",
        "--max-loss",
        "1%",
        "--svg",
        path,
    ];
    assert_picture("picture_advise", &args, &svg);
}
