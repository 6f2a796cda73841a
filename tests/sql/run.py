#!/usr/bin/env python3
"""Runs leadscore's SQL on an engine and prints one JSON object per lead,
sorted by id, in the shape of `leadscore score` output:
{"id", "score", "stage", "groups": {...}, "fired": [...], "disqualified": [...]}.

    run.py duckdb LOAD_SQL QUERY_SQL GROUPS
    run.py postgres LOAD_SQL QUERY_SQL GROUPS   (PG* environment variables)
    run.py spark LOAD_SQL QUERY_SQL GROUPS      (pyspark, Java)

GROUPS is the comma-separated list of group columns. Money-like values are
printed as strings with two decimals, so nothing passes through a float.
"""
import json
import os
import subprocess
import sys
from decimal import Decimal


def two(v):
    return str(Decimal(v).quantize(Decimal("0.01")))


def rows_duckdb(load, query):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(open(load).read())
    cur = con.execute(open(query).read())
    cols = [d[0] for d in cur.description]
    return cols, cur.fetchall()


def rows_postgres(load, query):
    # JIT compiling the query's large expressions costs far more than it saves.
    env = dict(os.environ, PGOPTIONS="-c jit=off")
    # psql runs the load script (it uses \copy), then the query as CSV-free JSON.
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", load], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    q = open(query).read()
    wrapped = f"SELECT row_to_json(x)::text FROM (\n{q}\n) AS x"
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"], input=wrapped + ";\n",
                         check=True, capture_output=True, text=True, env=env).stdout
    objs = [json.loads(line, parse_float=Decimal) for line in out.splitlines() if line.strip()]
    if not objs:
        return [], []
    cols = list(objs[0].keys())
    return cols, [tuple(o[c] for c in cols) for o in objs]


def rows_spark(load, query):
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             # The query's expressions are too large for whole-stage code
             # generation; Spark would try, log a failure and fall back.
             .config("spark.sql.codegen.wholeStage", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    for stmt in open(load).read().split(";\n"):
        body = "\n".join(l for l in stmt.splitlines() if not l.startswith("--")).strip()
        if body:
            spark.sql(body)
    df = spark.sql(open(query).read())
    cols = df.columns
    return cols, [tuple(r) for r in df.collect()]


def main():
    engine, load, query, groups = sys.argv[1:5]
    groups = [g for g in groups.split(",") if g]
    cols, rows = {"duckdb": rows_duckdb, "postgres": rows_postgres, "spark": rows_spark}[engine](load, query)
    out = []
    for r in rows:
        d = dict(zip(cols, r))
        out.append({
            "id": d["id"],
            "score": two(d["score"]),
            "stage": d["stage"],
            "groups": {g: two(d[g]) for g in groups},
            "fired": list(d["fired"]),
            "disqualified": list(d["disqualified"]),
        })
    out.sort(key=lambda o: o["id"])
    for o in out:
        print(json.dumps(o, ensure_ascii=False))


if __name__ == "__main__":
    main()
