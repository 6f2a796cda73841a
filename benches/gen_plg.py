#!/usr/bin/env python3
"""Generate product-usage leads for the bundled product-led model (rules/plg.rules).

    python3 benches/gen_plg.py --n 20000 --seed 7 > plg.jsonl
    leadscore score rules/plg.rules plg.jsonl --as-of 2026-11-01 -o scores.jsonl

A second data shape for the benchmarks, unlike gen_leads.py's in the ways a
product's own event stream differs from a CRM export: events under
`activity`, zero to twenty a lead, mostly sign-ins; events with two
properties, one of them a number (`exported(format, rows: number)`);
properties and objects the model never reads (`session`, `region`, `utm`);
every time with seconds and a `Z`; a few mixed-case values.
"""
import argparse
import json
import random
from datetime import datetime, timedelta, timezone

BASE = datetime(2026, 11, 1, tzinfo=timezone.utc)
PLANS = ["free", "trial", "team", "business", "Trial", " free "]
ROLES = ["owner", "admin", "editor", "viewer", "Editor"]
INTEGRATIONS = ["salesforce", "snowflake", "bigquery", "slack", "github", "hubspot", "jira"]
OBJECTS = ["project", "dashboard", "report", "doc", "Dashboard"]
PAGES = ["/pricing", "/docs", "/settings", "/billing", "/pricing/compare", "/home", "/templates",
         "/integrations"]
DOMAINS = ["gmail.com", "acme.io", "globex.com", "initech.dev", "yahoo.com", "outlook.com", "umbrella.co"]
KINDS = ["signed_in"] * 6 + ["created"] * 3 + ["invited", "connected", "hit_limit"] + ["viewed"] * 4 \
    + ["exported"] * 2


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def lead(i, rng):
    record = {
        "id": f"W{i}",
        "email": f"user{i}@{rng.choice(DOMAINS)}",
        "plan": rng.choice(PLANS),
        "role": rng.choice(ROLES),
        "workspace": {"seats": rng.randint(1, 40),
                      "integrations": rng.sample(INTEGRATIONS, rng.randint(0, 3)),
                      "region": "eu-west-1"},
        "trial_ends": stamp(BASE + timedelta(days=rng.randint(-30, 30), hours=rng.randint(0, 23))),
        "signed_up": stamp(BASE - timedelta(days=rng.randint(1, 400))),
        "utm": {"source": rng.choice(["google", "linkedin", "direct"]), "campaign": f"c{rng.randint(1, 50)}"},
    }
    events = []
    for _ in range(rng.randint(0, 20)):
        kind = rng.choice(KINDS)
        # A few events come after the as-of time.
        at = BASE - timedelta(days=rng.randint(-2, 120), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        e = {"type": kind, "at": stamp(at), "session": f"s{rng.randint(1, 10**6)}"}
        if kind == "created":
            e["object"] = rng.choice(OBJECTS)
        elif kind == "invited":
            e["role"] = rng.choice(ROLES)
        elif kind == "connected":
            e["integration"] = rng.choice(INTEGRATIONS)
        elif kind == "hit_limit":
            e["limit"] = rng.choice(["dashboards", "seats", "rows"])
        elif kind == "viewed":
            e["page"] = rng.choice(PAGES)
        elif kind == "exported":
            e["format"] = rng.choice(["csv", "xlsx"])
            e["rows"] = rng.choice([120, 5000, 25000, 1_000_000])
        events.append(e)
    record["activity"] = events
    return record


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = random.Random(a.seed)
    for i in range(a.n):
        print(json.dumps(lead(i, rng)))


if __name__ == "__main__":
    main()
