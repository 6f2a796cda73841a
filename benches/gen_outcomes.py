#!/usr/bin/env python3
"""Invent outcomes for generated leads, independently of leadscore: the
chance to convert rises with seniority, pricing visits, demo requests and
company size, plus noise. Writes CSV: lead_id,converted,scored_at.

    python3 benches/gen_outcomes.py data/backtest-leads.jsonl > data/backtest-outcomes.csv
"""
import json
import random
import sys

rng = random.Random(5)
print("lead_id,converted,scored_at")
for line in open(sys.argv[1]):
    try:
        lead = json.loads(line)
    except ValueError:
        continue
    p = 0.04
    title = str(lead.get("title", "")).lower()
    if any(t in title for t in ("ceo", "cfo", "cro", "vp", "head", "founder")):
        p += 0.10
    events = lead.get("events", [])
    if sum(1 for e in events if e.get("type") == "visited" and "pric" in str(e.get("page", ""))) >= 2:
        p += 0.15
    if any(e.get("type") == "requested" and str(e.get("what", "")).lower() == "demo" for e in events):
        p += 0.25
    employees = lead.get("company", {}).get("employees", 0)
    if isinstance(employees, int) and employees >= 1000:
        p += 0.05
    if lead.get("source") == "partner":
        p += 0.08
    if any(e.get("type") == "visited" and e.get("page") == "/careers" for e in events):
        p += 0.10  # careers visitors convert more here than the model assumes
    if rng.random() < 0.05:
        continue  # no outcome recorded for some leads
    converted = rng.random() < min(p, 0.95)
    scored_at = "2026-11-01" if rng.random() < 0.7 else "2026-10-15T12:00:00Z"
    print(f"{lead['id']},{'won' if converted else 'lost'},{scored_at}")
