#!/usr/bin/env python3
"""Runs `joincheck export-sql` scripts and writes their expected rows in joincheck's output
format (JSON lines), so that they can be compared with `joincheck oracle`.

    python3 tests/export_sql/run_sql.py duckdb|spark SQLFILE...

For each SQLFILE: SQLFILE.out (the rows), SQLFILE.loss (the jc_loss row, one JSON object) and,
for an export made with --actual, SQLFILE.audit (the jc_audit rows). One engine session runs
them all. duckdb needs the `duckdb` package (PyPI), spark `pyspark` (local[2]).
"""
import argparse
import json
import sys


def statements(text):
    body = "\n".join(l for l in text.splitlines() if not l.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


def row_json(r):
    t, side, id_, left, right, key = r
    if t == "match":
        o = {"type": "match", "left": left}
        if right is not None:
            o["right"] = right
    else:
        o = {"type": t, "side": side, "id": id_}
    o["key"] = key
    return json.dumps(o, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["duckdb", "spark"])
    ap.add_argument("sql", nargs="+")
    a = ap.parse_args()
    if a.engine == "duckdb":
        import duckdb
        con = duckdb.connect()
        execute = con.execute
        run = lambda q: con.execute(q).fetchall()
        cols = lambda q: [d[0] for d in con.execute(q).description]
    else:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
        builder = SparkSession.builder.appName("joincheck-export-sql")
        if not SparkConf().contains("spark.master"):
            # Run directly: local mode. Under spark-submit the cluster's master stands.
            builder = (builder.master("local[2]").config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "2"))
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        execute = spark.sql
        run = lambda q: [tuple(r) for r in spark.sql(q).collect()]
        cols = lambda q: spark.sql(q).columns
    for path in a.sql:
        text = open(path).read()
        stmts = statements(text)
        for s in stmts[:-1]:
            execute(s)
        with open(path + ".out", "w") as out:
            for r in run(stmts[-1]):
                out.write(row_json(r) + "\n")
        q = "SELECT * FROM jc_loss"
        names, values = cols(q), run(q)[0]
        with open(path + ".loss", "w") as f:
            json.dump({n: int(v) for n, v in zip(names, values)}, f)
        if "jc_audit" in text:
            with open(path + ".audit", "w") as f:
                for r in run("SELECT * FROM jc_audit ORDER BY finding, type, left_id, right_id, side, id"):
                    f.write(json.dumps({"finding": r[0], "row": json.loads(row_json(r[1:]))}) + "\n")


if __name__ == "__main__":
    main()
