#!/usr/bin/env python3
"""Generate realistic (and, on request, messy) leads for the bundled B2B model.

    python3 benches/gen_leads.py --n 1000000 --seed 7 --messy 0.02 > leads.jsonl
    python3 benches/gen_leads.py --n 500 --format csv --events-out events.csv > leads.csv

Leads average about eight events. With --messy P, a share P of leads get a
wrong-typed value, and about P/10 of lines are not valid JSON at all.
"""
import argparse
import datetime as dt
import json
import random
import sys

TITLES = ["CEO", "CFO", "CRO", "VP Sales", "vp  sales", "Head of Revenue", "Head of Sales", "Founder",
          "Director of Marketing", "Sales Manager", "Account Executive", "SDR", "Intern",
          "VP Engineering", "Chief of Staff", "Marketing Ops Lead", "Revenue Operations Manager"]
INDUSTRIES = ["Software", "SaaS", "Fintech", "Financial Services", "Healthcare", "Retail", "Manufacturing",
              "Education", "Media"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "ES", "IN", "BR", "AU", " us ", "JP"]
TECH = ["salesforce", "hubspot", "marketo", "pardot", "outreach", "gong", "slack", "snowflake"]
DOMAINS = ["acme.io", "globex.com", "initech.com", "umbrella.co", "hooli.com", "gmail.com", "yahoo.com",
           "outlook.com", "rivalscore.io", "piedpiper.com", "stark.industries", "wayne.co"]
PAGES = ["pricing", "/pricing", "plans", "/blog/scoring-101", "/blog/mql-vs-sql", "/blog/revops",
         "/docs/api", "/careers", "/customers", "/", "/integrations/salesforce"]
ASSETS = ["ebook", "benchmark report", "roi calculator", "playbook", "webinar slides"]
NEEDS = ["forecast accuracy", "lead routing", "", "pipeline visibility", "scoring is a mess"]
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def when(rng, max_days=200):
    t = AS_OF - dt.timedelta(days=rng.random() * max_days)
    if rng.random() < 0.02:  # a few events from after the as-of time
        t = AS_OF + dt.timedelta(days=rng.random() * 10)
    if rng.random() < 0.5:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return t.strftime("%Y-%m-%d")


def event(rng):
    r = rng.random()
    if r < 0.45:
        return {"type": "visited", "page": rng.choice(PAGES), "at": when(rng)}
    if r < 0.62:
        return {"type": "downloaded", "asset": rng.choice(ASSETS), "at": when(rng)}
    if r < 0.70:
        return {"type": "attended", "webinar": "pipeline review", "at": when(rng)}
    if r < 0.80:
        return {"type": "replied", "channel": rng.choice(["email", "linkedin"]), "at": when(rng, 60)}
    if r < 0.86:
        return {"type": "requested", "what": rng.choice(["demo", "Demo", "quote", "trial"]), "at": when(rng, 90)}
    if r < 0.88:
        return {"type": "unsubscribed", "at": when(rng)}
    if r < 0.90:
        return {"type": "bounced", "at": when(rng)}
    return {"type": rng.choice(["opened_email", "clicked_ad", "page_scroll"]), "at": when(rng), "meta": {"x": 1}}


def lead(rng, i):
    name = rng.choice(["ana", "bo", "cy", "dee", "eli", "fay", "gus"])
    l = {
        "id": f"L{i}",
        "title": rng.choice(TITLES),
        "email": f"{name}{i}@{rng.choice(DOMAINS)}",
        "country": rng.choice(COUNTRIES),
        "company": {
            "name": f"Company {i % 9973}",
            "employees": rng.choice([3, 8, 25, 60, 150, 400, 1200, 4000, 12000]),
            "industry": rng.choice(INDUSTRIES),
            "tech": rng.sample(TECH, rng.randint(0, 3)),
        },
        "budget": rng.choice([None, 0, 5000, 12000, 50000, 150000]),
        "authority": rng.random() < 0.3,
        "need": rng.choice(NEEDS),
        "timeline_days": rng.choice([None, 30, 60, 90, 180, 365]),
        "created_at": (AS_OF - dt.timedelta(days=rng.randint(1, 900))).strftime("%Y-%m-%d"),
        "source": rng.choice(["webinar", "paid", "organic", "partner", "outbound"]),
        "utm": {"campaign": f"c{rng.randint(1, 40)}", "medium": "cpc"},
        "events": [event(rng) for _ in range(rng.randint(0, 16))],
    }
    return l


def mess(rng, l):
    k = rng.random()
    if k < 0.25:
        l["company"]["employees"] = rng.choice(["abc", "lots", True])
    elif k < 0.45:
        l["budget"] = rng.choice(["50k?", "unknown", [1]])
    elif k < 0.6:
        l["authority"] = rng.choice(["maybe", 3])
    elif k < 0.75:
        l["created_at"] = rng.choice(["last year", "2026-13-45", 1700000000])
    elif k < 0.9 and l["events"]:
        l["events"][0]["at"] = "yesterday"
    else:
        l["company"]["employees"] = " 250 "  # text holding a number: accepted
    return l


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--messy", type=float, default=0.0)
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--events-out", help="with --format csv: where to write the events CSV")
    a = p.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout
    if a.format == "csv":
        import csv
        cols = ["id", "title", "email", "country", "company.name", "company.employees", "company.industry",
                "company.tech", "budget", "authority", "need", "timeline_days", "created_at"]
        w = csv.writer(out)
        w.writerow(cols)
        ev = csv.writer(open(a.events_out, "w", newline="")) if a.events_out else None
        if ev:
            ev.writerow(["lead_id", "type", "at", "page", "asset", "what", "webinar", "channel"])
        for i in range(a.n):
            l = lead(rng, i)
            c = l["company"]
            w.writerow([l["id"], l["title"], l["email"], l["country"], c["name"], c["employees"], c["industry"],
                        ";".join(c["tech"]), l["budget"] if l["budget"] is not None else "",
                        "true" if l["authority"] else "false", l["need"],
                        l["timeline_days"] if l["timeline_days"] is not None else "", l["created_at"]])
            if ev:
                for e in l["events"]:
                    ev.writerow([l["id"], e["type"], e["at"], e.get("page", ""), e.get("asset", ""),
                                 e.get("what", ""), e.get("webinar", ""), e.get("channel", "")])
        return
    for i in range(a.n):
        l = lead(rng, i)
        if a.messy and rng.random() < a.messy:
            l = mess(rng, l)
        line = json.dumps(l, separators=(",", ":"))
        if a.messy and rng.random() < a.messy / 10:
            line = line[: len(line) // 2]  # a truncated line
        out.write(line + "\n")


if __name__ == "__main__":
    main()
