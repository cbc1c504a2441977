#!/usr/bin/env python3
"""The reference join as a batch job, speaking joincheck's protocol v2 in whole-trace mode.

Batch-style engines (Spark, Pathway, a SQL engine) pay a whole run for every answer, so
answering step by step costs one run per step. In whole-trace mode joincheck sends the whole
trace, up to and including its `end`, without waiting; the program answers once, every row
tagged with the step after which it appears (`"step": N`, or `"batch": N` for micro-batches),
then one `done` with what it holds at the end. It chooses the mode by answering the opening
`{"type":"reset","protocol":2}` with `{"type":"done","protocol":2,"mode":"whole-trace"}`.

    joincheck drive --model models/reference-impressions-clicks.toml -- python3 examples/external/whole_trace_join.py

Here the "batch job" is the step-by-step reference join run over the collected trace.
"""
import json
import sys

from reference_join import Join


def run(steps):
    """The job: every row tagged with its step, and the ids stored at the end."""
    join, rows = Join(), []
    for i, step in enumerate(steps):
        out = []
        if step["type"] == "record":
            join.record(step, out)
        elif step["type"] == "end":
            join.end()
        rows.extend(dict(o, step=i) for o in out)
    return rows, join.stored()


def main():
    steps = []
    for line in sys.stdin:
        if not line.strip():
            continue
        step = json.loads(line)
        if step["type"] == "reset":
            steps = []
            done = {"type": "done"}
            if "protocol" in step:
                done.update(protocol=2, mode="whole-trace")
            print(json.dumps(done), flush=True)
            continue
        steps.append(step)
        if step["type"] == "end":
            rows, stored = run(steps)
            for row in rows:
                print(json.dumps(row))
            print(json.dumps({"type": "done", "stored": stored}), flush=True)


if __name__ == "__main__":
    main()
