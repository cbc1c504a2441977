//! `joincheck drive` against the example implementations in `examples/external/` (Python,
//! standard library only) and against programs that break the protocol.

use crate::support::{joincheck, INNER};

fn python() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_correct_example_agrees_on_every_trace_of_the_scope() {
    assert!(python(), "python3 is needed for the protocol examples");
    let run = joincheck([
        "drive",
        "--model",
        INNER,
        "--random",
        "200",
        "--",
        "python3",
        "examples/external/reference_join.py",
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("(every trace of the scope)"), "{}", run.stdout);
    assert!(run.stdout.contains("and 200 random traces"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("checks skipped"),
        "the example reports its state: {}",
        run.stdout
    );
}

#[test]
fn the_seed_design_is_caught_with_a_short_counterexample() {
    let dir = crate::support::TempDir::new("drive-seed");
    let run = joincheck([
        "drive",
        "--model",
        INNER,
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--",
        "python3",
        "examples/external/seed_flink.py",
    ]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let written =
        std::fs::read_to_string(dir.path().join("drive-reference-impressions-clicks.jsonl")).expect("written");
    let steps = written.lines().count();
    assert!((1..=8).contains(&steps), "{steps} steps:\n{written}");
    assert!(run.stdout.contains("why: "), "{}", run.stdout);
}

#[test]
fn protocol_failures_exit_2_and_name_the_step() {
    let cases = [
        ("import time; time.sleep(60)", "at step 0: no answer within"),
        ("import sys, json\nsys.stdin.readline(); print(json.dumps({'type':'done'}), flush=True)\nsys.stdin.readline()", "at step 1"),
        ("import sys\nfor l in sys.stdin: print('hello', flush=True)", "at step 0: not a JSON line"),
        (
            "import sys, json\nfor l in sys.stdin: print(json.dumps({'type':'done','stored':['x9']}), flush=True)",
            "names no record",
        ),
        // A row naming a record of the trace that has not been sent yet (the first enumerated
        // trace is i1 i2 c1 c2): a protocol failure, not a panic (found on a real engine).
        (
            "import sys, json\nfor l in sys.stdin:\n    s = json.loads(l)\n    if s.get('id') == 'i1': print(json.dumps({'type':'late','side':'right','id':'c1','key':'a'}), flush=True)\n    print(json.dumps({'type':'done'}), flush=True)",
            "at step 0: an output names \"c1\", which it has not been sent yet",
        ),
    ];
    for (program, words) in cases {
        let run = joincheck([
            "drive",
            "--timeout-ms",
            "1500",
            "--model",
            INNER,
            "--",
            "python3",
            "-c",
            program,
        ]);
        assert_eq!(run.code, Some(2), "{program}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(words), "{program}: {}", run.stderr);
        assert!(run.stderr.contains("last lines exchanged"), "{program}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
