#!/usr/bin/env python3
"""End-to-end benchmark: `leadscore score` against DuckDB running the same
44-rule model (benches/model) written by hand as SQL, on the same JSON Lines
file, with the same number of threads. Results are compared lead by lead.

    python3 benches/bench.py --leads 1000000 --threads 2 --runs 3

Another model and its own hand-written DuckDB query, on any JSON Lines file:

    python3 benches/bench.py --model my-model/ --sql my-model.sql \
        --file leads.jsonl --as-of 2026-11-01 --threads 2 --runs 3

The query file is a DuckDB script; `{leads}` in it stands for the leads file and
`{out}` for the file it must write with `COPY (...) TO '{out}' (FORMAT JSON)`: one
object per lead with `id`, `score`, `stage`, `groups` (a struct of group totals),
`fired` and `disqualified` (lists of rule ids and reasons), as `leadscore score`
writes them. See `sql()` below for the benchmark model's query.

Needs: cargo (the release build is brought up to date first, unless --binary is
given) and `pip install duckdb`.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AS_OF = "2026-11-01"

DM = "('ceo','cfo','cro','vp sales','vp revenue','head of revenue','head of sales','founder')"
INDUSTRIES = "('software','saas','fintech','financial services','healthcare')"
COUNTRIES = "('us','ca','gb','de','fr','nl')"
FREE = "('gmail.com','yahoo.com','hotmail.com','outlook.com','icloud.com','proton.me')"
COMPETITORS = "('rivalscore.io','leadrank.com')"
PRICING = "('pricing','/pricing','plans','/plans')"

# Event terms: name -> (event type, extra condition, window in days or None)
TERMS = {
    "t_pricing": ("visited", f"page IN {PRICING}", None),
    "t_pricing30": ("visited", f"page IN {PRICING}", 30),
    "t_pricing60": ("visited", f"page IN {PRICING}", 60),
    "t_blog": ("visited", "starts_with(page, '/blog')", 60),
    "t_docs": ("visited", "contains(page, '/docs')", 30),
    "t_integrations": ("visited", "regexp_matches(page, 'integrations/(salesforce|hubspot)')", None),
    "t_customers": ("visited", "page = '/customers'", None),
    "t_careers": ("visited", "page = '/careers'", None),
    "t_visited90": ("visited", "true", 90),
    "t_visited180": ("visited", "true", 180),
    "t_visited7": ("visited", "true", 7),
    "t_downloaded": ("downloaded", "true", None),
    "t_roi": ("downloaded", "asset = 'roi calculator'", 30),
    "t_attended": ("attended", "true", None),
    "t_replied14": ("replied", "true", 14),
    "t_replied": ("replied", "true", None),
    "t_replied_li": ("replied", "channel = 'linkedin'", None),
    "t_replied90": ("replied", "true", 90),
    "t_demo": ("requested", "what = 'demo'", None),
    "t_quote": ("requested", "what = 'quote'", 60),
    "t_trial": ("requested", "what = 'trial'", None),
    "t_bounced": ("bounced", "true", None),
    "t_unsub": ("unsubscribed", "true", None),
}

def c(x):
    return f"coalesce({x}, false)"

SENIOR = r"regexp_matches(title, '\b(vp|head|director|chief)\b')"

# (group, id, condition, points SQL given the condition holds, decay terms)
RULES = [
    ("fit", "Decision maker", c(f"title IN {DM}"), "15", []),
    ("fit", "Senior title", c(SENIOR) + " AND " + c(f"title NOT IN {DM}"), "8", []),
    ("fit", "Manager", c("contains(title, 'manager')"), "3", []),
    ("fit", "Junior", c("title IN ('sdr','intern','account executive')"), "-5", []),
    ("fit", "Mid-market", c("employees BETWEEN 50 AND 999"), "8", []),
    ("fit", "Enterprise", c("employees >= 1000"), "12", []),
    ("fit", "Too small", c("employees < 10"), "-5", []),
    ("fit", "Target industry", c(f"industry IN {INDUSTRIES}"), "5", []),
    ("fit", "Retail", c("industry = 'retail'"), "-2", []),
    ("fit", "Salesforce shop", c("list_contains(tech, 'salesforce')"), "5", []),
    ("fit", "HubSpot shop", c("list_contains(tech, 'hubspot')"), "4", []),
    ("fit", "Uses Outreach or Gong", "(" + c("list_contains(tech, 'outreach')") + " OR " + c("list_contains(tech, 'gong')") + ")", "3", []),
    ("fit", "Target country", c(f"country IN {COUNTRIES}"), "3", []),
    ("fit", "Free email", c(f"domain IN {FREE}"), "-10", []),
    ("fit", "Work email", c(f"domain NOT IN {FREE}"), "2", []),
    ("bant", "Budget stated", c("budget >= 10000"), "10", []),
    ("bant", "Big budget", c("budget >= 100000"), "5", []),
    ("bant", "Can sign", c("authority"), "8", []),
    ("bant", "Need described", "need IS NOT NULL", "4", []),
    ("bant", "Buying this quarter", c("timeline_days <= 90"), "8", []),
    ("bant", "Buying this year", c("timeline_days BETWEEN 91 AND 365"), "3", []),
    ("engagement", "Came back to pricing", f"t_pricing_n >= 2 AND {c(f'title IN {DM}')}", "20", ["t_pricing"]),
    ("engagement", "Saw pricing", "t_pricing30_n >= 1", "6", ["t_pricing30"]),
    ("engagement", "Pricing, repeatedly", "t_pricing60_n >= 3", "5", ["t_pricing60"]),
    ("engagement", "Reads the blog", "t_blog_n >= 3", "4", ["t_blog"]),
    ("engagement", "API docs", "t_docs_n >= 1", "4", ["t_docs"]),
    ("engagement", "Integrations page", "t_integrations_n >= 1", "3", ["t_integrations"]),
    ("engagement", "Customer stories", "t_customers_n >= 1", "2", ["t_customers"]),
    ("engagement", "Content downloads", "t_downloaded_n >= 1", "least(5 * t_downloaded_n, 15)", ["t_downloaded"]),
    ("engagement", "ROI calculator", "t_roi_n >= 1", "6", ["t_roi"]),
    ("engagement", "Webinar", "t_attended_n >= 1", "6", ["t_attended"]),
    ("engagement", "Two webinars", "t_attended_n >= 2", "4", ["t_attended"]),
    ("engagement", "Replied", "t_replied14_n >= 1", "10", ["t_replied14"]),
    ("engagement", "Replied on LinkedIn", "t_replied_li_n >= 1", "3", ["t_replied_li"]),
    ("engagement", "Asked for a demo", "t_demo_n >= 1", "25", ["t_demo"]),
    ("engagement", "Asked for a quote", "t_quote_n >= 1", "15", ["t_quote"]),
    ("engagement", "Trial", "t_trial_n >= 1", "8", ["t_trial"]),
    ("engagement", "Engaged exec", f"{c(f'title IN {DM}')} AND t_replied_n >= 1", "5", ["t_replied"]),
    ("risk", "Careers visitor", "t_careers_n >= 1 AND NOT (t_pricing_n >= 1)", "-8", []),
    ("risk", "Bouncing", "t_bounced_n >= 1", "-5", []),
    ("risk", "Quiet for months", "NOT (t_visited90_n >= 1) AND NOT (t_replied90_n >= 1)", "-10", []),
    ("general", "Stale lead", f"{c('days_since_created > 365')} AND NOT (t_visited180_n >= 1)", "-10", []),
    ("general", "New lead", c("days_since_created <= 14"), "3", []),
    ("general", "Fresh interest", "t_visited7_n >= 1", "2", []),
]
GROUPS = [("fit", None, 45), ("bant", None, 30), ("engagement", None, 70), ("risk", -30, None), ("general", None, None)]


def own_sql(sql_path, leads_path):
    """A query file written for another model, with its placeholders filled."""
    with open(sql_path) as f:
        text = f.read()
    for name in ("{leads}", "{out}"):
        if name not in text:
            sys.exit(f"{sql_path}: the query must use {name} (see the top of bench.py)")
    return text.replace("{leads}", leads_path)


def norm(x):
    """A text as leadscore compares it: runs of white space as one space,
    trimmed, lower case; empty as missing."""
    return f"nullif(lower(trim(regexp_replace({x}, '\\s+', ' ', 'g'))), '')"


def sql(leads_path):
    # The file is parsed once, by DuckDB's typed JSON reader: the columns the
    # model reads are declared, the rest of each line is skipped. Fields the
    # messy leads hold with a wrong type are read as JSON and converted here,
    # so that one bad value is missing rather than losing its line. A lead's
    # events stay a list on its row and each term is a filter over that list
    # (no unnest, group and join back: that took 25 s against 17 s).
    asof = f"TIMESTAMPTZ '{AS_OF}'"

    def number(x):
        return (f"CASE WHEN json_type({x}) IN ('BIGINT','UBIGINT','DOUBLE') THEN ({x}->>'$')::DOUBLE "
                f"WHEN json_type({x}) = 'VARCHAR' AND regexp_full_match(trim({x}->>'$'), '[+-]?[0-9.]+') "
                f"THEN TRY_CAST(trim({x}->>'$') AS DOUBLE) END")

    def unix_or_date(x):
        # A date, or a Unix time as leadscore reads one (a number, or digits
        # with an optional fraction; the unit from the size of the whole
        # part, under 10^8 refused). The messy leads hold 1700000000 here.
        text = f"trim({x}->>'$')"
        whole = f"TRY_CAST(split_part({text}, '.', 1) AS BIGINT)"
        frac = f"split_part({text}, '.', 2)"
        part = lambda k: f"coalesce(TRY_CAST(rpad(left({frac}, {k}), {k}, '0') AS BIGINT), 0)"
        micros = (f"CASE WHEN {whole} < 100000000 THEN NULL "
                  f"WHEN {whole} < 100000000000 THEN {whole} * 1000000 + {part(6)} "
                  f"WHEN {whole} < 100000000000000 THEN {whole} * 1000 + {part(3)} "
                  f"WHEN {whole} < 100000000000000000 THEN {whole} END")
        unix = (f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,17}}(\\.[0-9]+)?') "
                f"THEN make_timestamp({micros})::TIMESTAMPTZ END")
        # Dates first, so that the digits' test is only made for the rest.
        date = f"TRY_CAST({x}->>'$' AS DATE)"
        return (f"CASE WHEN json_type({x}) = 'VARCHAR' AND {date} IS NOT NULL THEN {date}::TIMESTAMPTZ "
                f"WHEN json_type({x}) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') THEN {unix} END")

    columns = ("{'id': 'VARCHAR', 'title': 'VARCHAR', 'email': 'VARCHAR', 'country': 'VARCHAR', "
               "'company': 'STRUCT(employees JSON, industry VARCHAR, tech VARCHAR[])', "
               "'budget': 'JSON', 'authority': 'JSON', 'need': 'VARCHAR', 'timeline_days': 'JSON', "
               "'created_at': 'JSON', 'events': 'STRUCT(\"type\" VARCHAR, \"at\" VARCHAR, "
               "page VARCHAR, asset VARCHAR, what VARCHAR, channel VARCHAR)[]'}")

    term_cols = []
    for name, (ty, cond, window) in TERMS.items():
        cond = re.sub(r"\b(page|asset|what|channel)\b", r"e.\1", cond)
        w = f" AND e.at >= {asof} - INTERVAL {window} DAY" if window else ""
        # The times of the events the term counts: their number and the newest.
        term_cols.append(f"list_transform(list_filter(evs, lambda e: e.t = '{ty}' AND coalesce({cond}, false){w}), "
                         f"lambda e: e.at) AS {name}_at")
    term_select = ",\n    ".join(term_cols)
    term_unpack = ",\n    ".join(f"len({n}_at) AS {n}_n, list_max({n}_at) AS {n}_new" for n in TERMS)

    def contribution(group, cond, points, decay_terms):
        if group == "engagement" and decay_terms:
            newest = decay_terms[0] + "_new" if len(decay_terms) == 1 else f"greatest({', '.join(t + '_new' for t in decay_terms)})"
            age = f"floor((epoch(TIMESTAMPTZ '{AS_OF}') - epoch({newest})) / 86400)"
            value = f"CASE WHEN {newest} IS NULL THEN ({points})::DOUBLE ELSE ({points}) * power(0.75, floor({age} / 30)) END"
        else:
            value = f"({points})::DOUBLE"
        return f"CASE WHEN {cond} THEN round({value}, 2) ELSE 0 END"

    rule_cols = ",\n    ".join(f"{contribution(g, cond, p, d)} AS r{i}" for i, (g, _, cond, p, d) in enumerate(RULES))
    group_cols = []
    for g, lo, hi in GROUPS:
        s = " + ".join(f"r{i}" for i, r in enumerate(RULES) if r[0] == g)
        if hi is not None:
            s = f"least({s}, {hi})"
        if lo is not None:
            s = f"greatest({s}, {lo})"
        group_cols.append(f"{s} AS g_{g}")
    fired = ", ".join(f"CASE WHEN r{i} <> 0 THEN '{r[1]}' END" for i, r in enumerate(RULES))
    return f"""
SET TimeZone = 'UTC';
COPY (
WITH leads AS (
  SELECT id,
    {norm('title')} AS title,
    {norm('email')} AS email,
    {norm('country')} AS country,
    {norm('company.industry')} AS industry,
    {number('company.employees')} AS employees,
    {number('budget')} AS budget,
    {number('timeline_days')} AS timeline_days,
    {norm('need')} AS need,
    CASE WHEN json_type(authority) = 'BOOLEAN' THEN (authority->>'$')::BOOLEAN
         WHEN lower(trim(authority->>'$')) IN ('true', 'yes') AND json_type(authority) = 'VARCHAR' THEN true
         WHEN lower(trim(authority->>'$')) IN ('false', 'no') AND json_type(authority) = 'VARCHAR' THEN false END AS authority,
    list_transform(company.tech, lambda x: lower(trim(x))) AS tech,
    {unix_or_date('created_at')} AS created_at,
    -- Events after the as-of time, or with a time that is not one, never count.
    list_filter(list_transform(events, lambda e: {{'t': e.type, 'at': TRY_CAST(e.at AS TIMESTAMPTZ),
        'page': {norm('e.page')}, 'asset': {norm('e.asset')},
        'what': {norm('e.what')}, 'channel': {norm('e.channel')}}}),
      lambda e: e.at <= {asof}) AS evs
  FROM read_json('{leads_path}', format = 'newline_delimited', ignore_errors = true, columns = {columns})
  WHERE id IS NOT NULL  -- a line that is not JSON comes back as a row of nulls
), lists AS (
  SELECT * EXCLUDE (evs),
    nullif(trim(regexp_extract(email, '@([^@]*)$', 1)), '') AS domain,
    floor((epoch({asof}) - epoch(created_at)) / 86400) AS days_since_created,
    {term_select}
  FROM leads
), joined AS (
  SELECT *,
    {term_unpack}
  FROM lists
), scored AS (
  SELECT *,
    {rule_cols}
  FROM joined
), grouped AS (
  SELECT *, {', '.join(group_cols)} FROM scored
), totals AS (
  SELECT *, greatest(least(g_fit + g_bant + g_engagement + g_risk + g_general, 100), 0) AS score,
    list_filter([CASE WHEN {c(f'domain IN {COMPETITORS}')} THEN 'Competitor' END,
                 CASE WHEN t_unsub_n >= 1 THEN 'Unsubscribed' END,
                 CASE WHEN t_bounced_n >= 2 THEN 'Email bounced' END], lambda x: x IS NOT NULL) AS disqualified
  FROM grouped
)
SELECT id, score,
  CASE WHEN len(disqualified) > 0 THEN 'disqualified'
       WHEN score >= 70 AND {c('authority')} AND {c('budget >= 10000')} AND {c('timeline_days <= 90')} THEN 'SQL'
       WHEN score >= 50 AND g_fit >= 20 THEN 'SAL'
       WHEN score >= 30 THEN 'MQL'
       ELSE 'nurture' END AS stage,
  {{'fit': g_fit, 'bant': g_bant, 'engagement': g_engagement, 'risk': g_risk, 'general': g_general}} AS groups,
  list_filter([{fired}], lambda x: x IS NOT NULL) AS fired,
  disqualified
FROM totals
) TO '{{out}}' (FORMAT JSON);
"""


def run_for_rss(cmd):
    """Runs `cmd`; its exit code and its own peak RSS in MB (from wait4, so
    no other child, such as the cargo build before it, is counted)."""
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--leads", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--file", default="/tmp/leadscore-bench-leads.jsonl")
    p.add_argument("--skip-duckdb", action="store_true")
    p.add_argument("--model", default=os.path.join(ROOT, "benches/model"),
                   help="the model to score (default: the benchmark model)")
    p.add_argument("--sql", help="DuckDB query file for --model (default: the benchmark model's own query)")
    p.add_argument("--as-of", default=AS_OF)
    p.add_argument("--binary", help="the leadscore binary to time (default: target/release/leadscore, built if missing)")
    p.add_argument("--work-dir", default="/tmp", help="where the two result files are written")
    a = p.parse_args()
    own_model = os.path.abspath(a.model) != os.path.join(ROOT, "benches/model")
    if own_model and not a.sql and not a.skip_duckdb:
        sys.exit("--model needs --sql (its DuckDB query), or --skip-duckdb")
    if not os.path.exists(a.file):
        if own_model:
            sys.exit(f"{a.file}: no such file (leads are generated only for the benchmark model)")
        print(f"generating {a.leads} leads into {a.file} ...", file=sys.stderr)
        with open(a.file, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_leads.py"), "--n", str(a.leads), "--seed", "42", "--messy", "0.01"], stdout=f, check=True)
    size_mb = os.path.getsize(a.file) / 1e6
    binary = a.binary or os.path.join(ROOT, "target/release/leadscore")
    if not a.binary:
        # Always: a binary left from older sources would be timed otherwise
        # (cargo returns at once when it is up to date).
        print("building leadscore (cargo build --release) ...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    out_ls = os.path.join(a.work_dir, "leadscore-bench-out.jsonl")
    out_db = os.path.join(a.work_dir, "leadscore-bench-duckdb.jsonl")
    if not a.skip_duckdb:
        import duckdb
        query = (own_sql(a.sql, a.file) if a.sql else sql(a.file)).replace("{out}", out_db)
        if not a.sql and a.as_of != AS_OF:
            sys.exit(f"the benchmark model's query scores as of {AS_OF}; --as-of needs --sql")
    # The input is read once before anything is timed, so that it is in the
    # page cache for both programs: otherwise the first leadscore run, which
    # comes before DuckDB's, would also be timed reading it from disk (about
    # 0.3 s more for the benchmark file on this machine).
    with open(a.file, "rb") as f:
        while f.read(16 << 20):
            pass
    # The two run in turn, so that a change in the machine's load during the
    # benchmark weighs on both alike.
    ls_times, db_times = [], []
    for _ in range(a.runs):
        # Each run writes a new file: overwriting the previous run's results
        # would time the file system freeing them (a truncating open of a
        # few hundred MB costs a few tenths of a second) along with the work.
        for path in (out_ls, out_db):
            if os.path.exists(path):
                os.remove(path)
        t = time.perf_counter()
        code, rss = run_for_rss([binary, "score", a.model, a.file, "--as-of", a.as_of,
                                 "--threads", str(a.threads), "-o", out_ls, "-q"])
        ls_times.append(time.perf_counter() - t)
        assert code in (0, 3), code
        if len(ls_times) == 1:
            # The first run's: a child started after DuckDB has run in this
            # process would be charged this process's own peak (Linux keeps
            # it across exec).
            ls_rss = rss
        if a.skip_duckdb:
            continue
        con = duckdb.connect()
        con.execute(f"SET threads = {a.threads}")
        t = time.perf_counter()
        con.execute(query)
        db_times.append(time.perf_counter() - t)
        con.close()
        if not os.path.exists(out_db):
            sys.exit(f"the DuckDB query wrote nothing to {out_db} (it must COPY ... TO '{{out}}')")
    print(f"input: {a.file}, {size_mb:.0f} MB")
    print(f"leadscore: median {statistics.median(ls_times):.2f} s over {a.runs} runs {[round(x, 2) for x in ls_times]}, peak RSS {ls_rss:.0f} MB")
    if a.skip_duckdb:
        return
    print(f"duckdb {duckdb.__version__}: median {statistics.median(db_times):.2f} s over {a.runs} runs {[round(x, 2) for x in db_times]}")
    print(f"speed-up: {statistics.median(db_times) / statistics.median(ls_times):.1f}x")
    compare(out_ls, out_db)


def same_lead(o, t):
    """Does DuckDB's row `t` say what leadscore's line `o` says? An empty
    list may come from SQL as NULL (an aggregate over no rows); a number
    that is NULL, or a group the query left out, is a difference, not an
    error."""
    if o is None:
        return False

    def near(a, b):
        return isinstance(b, (int, float)) and abs(a - b) < 0.005

    ours_groups, their_groups = o["groups"], t.get("groups") or {}
    return (
        near(o["score"], t.get("score"))
        and o["stage"] == t.get("stage")
        and o["fired"] == (t.get("fired") or [])
        and o["disqualified"] == (t.get("disqualified") or [])
        and set(ours_groups) == set(their_groups)
        and all(near(v, their_groups[g]) for g, v in ours_groups.items())
    )


def compare(ours_path, theirs_path):
    # Keyed by the id's JSON text, so an id written as a number matches
    # the same number however each side spells it.
    ours = {}
    with open(ours_path) as f:
        for line in f:
            o = json.loads(line)
            ours[json.dumps(o["id"])] = o
    mismatches = 0
    n = 0
    with open(theirs_path) as f:
        for line in f:
            t = json.loads(line)
            n += 1
            o = ours.get(json.dumps(t.get("id")))
            if not same_lead(o, t):
                mismatches += 1
                if mismatches <= 5:
                    print("MISMATCH", json.dumps(o), "\n        ", json.dumps(t))
    print(f"compared {n} leads (leadscore scored {len(ours)}): {mismatches} differ")
    if mismatches or n != len(ours):
        sys.exit(1)


if __name__ == "__main__":
    main()
