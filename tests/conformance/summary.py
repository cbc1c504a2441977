#!/usr/bin/env python3
"""The figures docs/CONFORMANCE.md quotes for the recorded joins users write.

Usage:
    python3 tests/conformance/summary.py            # both engines, a Markdown table each

Reads ENGINE/fixtures/joins/NAME/KIND.jsonl (fixtures.py): per join and kind, the recorded runs, the rows by type (pairs, left semi rows, null rows), and for Spark the rows
dropped as late, the micro-batches and the state sizes compared. Needs nothing but Python.
"""

import glob
import os

from fixtures import read_runs

HERE = os.path.dirname(os.path.abspath(__file__))


def count(engine):
    rows = []
    total = {"runs": 0}
    for join_dir in sorted(glob.glob(os.path.join(HERE, engine, "fixtures", "joins", "*"))):
        name = os.path.basename(join_dir)
        for kind_file in sorted(glob.glob(os.path.join(join_dir, "*.jsonl"))):
            kind = os.path.basename(kind_file)[: -len(".jsonl")]
            if kind == "traces":
                continue
            c = {"runs": 0, "pairs": 0, "semi": 0, "null": 0, "late": 0, "batches": 0}
            run, runs = read_runs(kind_file)
            p = run["join_params"]
            bounds, delays = p["bounds"], f'{p["left_delay"]} / {p["right_delay"]}'
            for meta, emitted in runs.values():
                c["runs"] += 1
                for o in emitted:
                    if o["type"] == "unmatched":
                        c["null"] += 1
                    elif "right" in o:
                        c["pairs"] += 1
                    else:
                        c["semi"] += 1
                if engine == "spark":
                    c["late"] += sum(meta["dropped_by_watermark_per_trace_batch"])
                    c["batches"] += len(meta["batches"])
            for k, v in c.items():
                total[k] = total.get(k, 0) + v
            rows.append((name, bounds, delays, kind, c))
    return rows, total


def main():
    for engine in ("spark", "flink"):
        rows, total = count(engine)
        if not rows:
            continue
        spark = engine == "spark"
        head = "| join | bounds | delays | kind | runs | pairs | semi rows | null rows |"
        head += " late rows | Spark batches |" if spark else ""
        print(f"\n{engine}: {total['runs']} recorded runs\n")
        print(head)
        print("|" + "---|" * (head.count("|") - 1))
        for name, bounds, delays, kind, c in rows:
            line = f"| {name} | `{bounds}` | {delays} | {kind} | {c['runs']} | {c['pairs']} | {c['semi']} | {c['null']} |"
            line += f" {c['late']} | {c['batches']} |" if spark else ""
            print(line)
        line = f"| **all** | | | | **{total['runs']}** | {total['pairs']} | {total['semi']} | {total['null']} |"
        line += f" {total['late']} | {total['batches']} |" if spark else ""
        print(line)


if __name__ == "__main__":
    main()
