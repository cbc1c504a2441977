#!/usr/bin/env python3
"""The recorded fixtures' files, read and written here by every recorder and reader in Python.

A directory of recordings holds the traces it ran and one file per run over them (a join kind,
or an operator and kind), all JSON lines, tagged by trace and sorted by trace name (byte order)
so that a re-recording diffs line by line:

    traces.jsonl   {"trace":"NAME",<step>}                one line per step, in trace order
    KIND.jsonl     {"run":{...}}                          first line: how the engine was run
                   {"trace":"NAME","meta":{...}}          per trace: what the engine reported
                   {"trace":"NAME",<output row>}          each row it emitted, in the recorder's order

A step or a row is the line joincheck reads (models/README.md) with the tag put first; a run's
metadata is the run line with its trace's meta line over it. tests/conformance/mod.rs reads the
same files (fixtures.rs).

Usage (for the shell scripts):
    python3 fixtures.py names TRACES                # the trace names of a traces file
    python3 fixtures.py unpack TRACES DIR [NAME...] # DIR/NAME.jsonl per trace, for tools that read one
"""

import json
import os
import re
import sys

# A name must end at the first quote of its tag (readers split the line there) and be a file
# name for `unpack`.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
TAG = '{"trace":"'


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def tagged(name, line):
    """`line`, one JSON object's text, with the tag of trace `name` put first."""
    if not NAME.fullmatch(name):
        raise ValueError(f"trace name {name!r}: letters, digits, '.', '_' and '-' only")
    if not line.startswith('{"'):
        raise ValueError(f"trace {name}: {line!r} is not a JSON object with a field")
    return f'{TAG}{name}",{line[1:]}'


def untag(line, where):
    """(the trace's name, the line without its tag)."""
    if not line.startswith(TAG):
        raise ValueError(f'{where}: a line starts with {TAG}NAME",')
    end = line.find('"', len(TAG))
    if end < 0 or line[end + 1 : end + 2] != ",":
        raise ValueError(f'{where}: a line starts with {TAG}NAME",')
    return line[len(TAG) : end], "{" + line[end + 2 :]


def grouped(path):
    """(name, [(untagged line, where)]) per trace of a tagged file, checking the order."""
    groups = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if n == 1 and line.startswith('{"run":'):
                continue
            where = f"{path}:{n}"
            name, rest = untag(line, where)
            if groups and groups[-1][0] == name:
                groups[-1][1].append((rest, where))
            elif groups and groups[-1][0] >= name:
                raise ValueError(f"{where}: trace {name} after {groups[-1][0]}: traces are sorted by name")
            else:
                groups.append((name, [(rest, where)]))
    return groups


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_traces(path, traces):
    """Writes {name: [step line, ...]} (each step a JSON object's text) to `path`."""
    lines = [tagged(name, step) for name in sorted(traces) for step in traces[name]]
    write_atomic(path, "".join(line + "\n" for line in lines))


def read_traces(path):
    """{name: [step line, ...]} in name order, the steps as joincheck reads them."""
    return {name: [line for line, _ in lines] for name, lines in grouped(path)}


def write_runs(path, run, runs):
    """Writes one run file: `run` (a dict) and, per trace name, (meta dict, [row dict, ...])."""
    lines = [dumps({"run": run})]
    for name in sorted(runs):
        meta, rows = runs[name]
        lines.append(dumps({"trace": name, "meta": meta}))
        lines.extend(tagged(name, dumps(row)) for row in rows)
    write_atomic(path, "".join(line + "\n" for line in lines))


def read_runs(path):
    """(run dict, {name: (meta dict, [row dict, ...])}); a trace's meta is its own line's, not
    merged with the run line."""
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    head = json.loads(first) if first.strip() else None
    if not isinstance(head, dict) or list(head) != ["run"]:
        raise ValueError(f'{path}:1: the first line is {{"run":{{...}}}}')
    runs = {}
    for name, lines in grouped(path):
        (meta_line, where), rows = lines[0], lines[1:]
        meta = json.loads(meta_line)
        if list(meta) != ["meta"]:
            raise ValueError(f'{where}: the first line of trace {name} is its {{"meta":{{...}}}}')
        runs[name] = (meta["meta"], [json.loads(line) for line, _ in rows])
    return head["run"], runs


def trace_lines(path):
    """The steps of a plain trace file (one trace, untagged)."""
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def trace_name_of(path):
    base = os.path.basename(path)
    return base[: -len(".jsonl")] if base.endswith(".jsonl") else os.path.splitext(base)[0]


def main(argv):
    if len(argv) == 2 and argv[0] == "names":
        print("\n".join(read_traces(argv[1])))
    elif len(argv) >= 3 and argv[0] == "unpack":
        traces = read_traces(argv[1])
        names = argv[3:] or list(traces)
        os.makedirs(argv[2], exist_ok=True)
        for name in names:
            if name not in traces:
                raise SystemExit(f"fixtures.py unpack: no trace {name} in {argv[1]}")
            write_atomic(os.path.join(argv[2], name + ".jsonl"), "".join(s + "\n" for s in traces[name]))
    else:
        raise SystemExit(__doc__.split("Usage (for the shell scripts):\n")[1])


if __name__ == "__main__":
    main(sys.argv[1:])
