#!/usr/bin/env python3
"""Rewrites a leads file (JSON Lines, as gen_leads.py writes it) in the shapes
of data other programs write, one file per shape, for the reader's
measurements in docs/benchmarks-history.md ("Other shapes of data"):

  esc     non-ASCII company names, escaped as json.dumps writes them (\\u00f1)
  utf     the same names as raw UTF-8
  spaced  json.dumps's default separators (", " and ": ")
  ms      event times with milliseconds (2026-10-11T13:23:26.243Z)
  flt     budget, employees and timeline as decimals (12000.0, 30.25)
  opt     seven optional members left out at random (30% each) instead of null
  shuf    keys in a random order in every object
  urls    every page path made distinct (a query string with a random id)
  nulls   texts the model reads (title, need, industry, an event's page) null
          in 20% of places, as a CRM writes an empty column
  wide    forty more columns the model never reads, as a CRM export carries
          them: texts, whole numbers, decimals, booleans and small objects,
          each column of one kind, null in 20% of rows
  jsonb   keys as PostgreSQL's jsonb orders them (shorter keys first, then
          by their bytes), with its spacing: an event's "at" before its
          "type", as in an export from a warehouse
  sorted  keys in alphabetical order (json.dumps's sort_keys, jq -S,
          Snowflake's objects), compact
  rich    events as a web tracker sends them: seven more members the model
          never reads (a session id, the full URL, the referrer, a user
          agent, an IP address, a device object)
  busy    ten times as many events per lead (about 80), drawn as the
          generator draws them: a long engagement history

Lines that are not JSON objects (the generator's truncated ones) are kept as
they are. Usage:

  python3 benches/shapes.py /tmp/leads20k.jsonl /tmp   # writes /tmp/esc20k.jsonl, ...
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_leads  # noqa: E402  (the events of `busy`)

COMPACT = (",", ":")


def events(d):
    evs = d.get("events") if isinstance(d.get("events"), list) else []
    return [e for e in evs if isinstance(e, dict)]


def esc(d, rng, ascii_only=True):
    c = d.get("company")
    if isinstance(c, dict) and isinstance(c.get("name"), str):
        c["name"] = c["name"].replace("Company", "Compañía")
    return json.dumps(d, separators=COMPACT, ensure_ascii=ascii_only)


def utf(d, rng):
    return esc(d, rng, ascii_only=False)


def spaced(d, rng):
    return json.dumps(d)


def ms(d, rng):
    for e in events(d):
        at = e.get("at")
        if isinstance(at, str) and len(at) in (10, 20):
            if len(at) == 10:
                at += "T00:00:00Z"
            e["at"] = at[:19] + ".%03dZ" % rng.randint(0, 999)
    return json.dumps(d, separators=COMPACT)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def flt(d, rng):
    for k in ("budget", "timeline_days"):
        if is_int(d.get(k)):
            d[k] = float(d[k]) if rng.random() < 0.5 else d[k] + 0.25
    c = d.get("company")
    if isinstance(c, dict) and is_int(c.get("employees")):
        c["employees"] = float(c["employees"])
    return json.dumps(d, separators=COMPACT)


def opt(d, rng):
    for k in ("need", "utm", "country", "budget", "authority", "source", "timeline_days"):
        if rng.random() < 0.3:
            d.pop(k, None)
    return json.dumps(d, separators=COMPACT)


def shuf(d, rng):
    def go(v):
        if isinstance(v, dict):
            items = list(v.items())
            rng.shuffle(items)
            return {k: go(x) for k, x in items}
        if isinstance(v, list):
            return [go(x) for x in v]
        return v

    return json.dumps(go(d), separators=COMPACT)


def urls(d, rng):
    for e in events(d):
        if isinstance(e.get("page"), str):
            e["page"] += "?utm_source=news&id=%d" % rng.randint(0, 10**6)
    return json.dumps(d, separators=COMPACT)


def nulls(d, rng):
    for k in ("title", "need"):
        if k in d and rng.random() < 0.2:
            d[k] = None
    c = d.get("company")
    if isinstance(c, dict) and "industry" in c and rng.random() < 0.2:
        c["industry"] = None
    for e in events(d):
        if "page" in e and rng.random() < 0.2:
            e["page"] = None
    return json.dumps(d, separators=COMPACT)


WORDS = ["alpha", "beta", "gamma", "delta", "northwest", "enterprise", "renewal", "q3",
         "inbound", "webinar"]


def wide(d, rng):
    extra = {}
    for i in range(40):
        kind = i % 5 if rng.random() >= 0.2 else None
        if kind == 0:
            v = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        elif kind == 1:
            v = rng.randint(0, 10**6)
        elif kind == 2:
            v = rng.random() * 1000
        elif kind == 3:
            v = rng.choice([True, False])
        elif kind == 4:
            v = {"id": rng.randint(0, 99999), "label": rng.choice(WORDS),
                 "tags": [rng.choice(WORDS) for _ in range(3)]}
        else:
            v = None
        extra["crm_field_%02d" % i] = v
    items = list(d.items())
    return json.dumps(dict(items[:3] + list(extra.items()) + items[3:]), separators=COMPACT)


def jsonb(d, rng):
    def go(v):
        if isinstance(v, dict):
            order = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
            return {k: go(v[k]) for k in order}
        if isinstance(v, list):
            return [go(x) for x in v]
        return v

    return json.dumps(go(d))


def sorted_keys(d, rng):
    return json.dumps(d, sort_keys=True, separators=COMPACT)


sorted_keys.__name__ = "sorted"

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
]
REFERRERS = [None, "https://www.google.com/", "https://www.linkedin.com/feed/",
             "https://news.ycombinator.com/"]


def rich(d, rng):
    for e in events(d):
        e["session_id"] = "%016x" % rng.getrandbits(64)
        if isinstance(e.get("page"), str):
            e["url"] = "https://www.leadscore.io" + e["page"] + "?utm_source=news"
        e["referrer"] = rng.choice(REFERRERS)
        e["user_agent"] = rng.choice(AGENTS)
        e["ip"] = "203.0.113.%d" % rng.randint(1, 254)
        e["device"] = {"browser": rng.choice(["chrome", "safari", "firefox"]),
                       "os": rng.choice(["windows", "macos", "ios"]),
                       "mobile": rng.random() < 0.3}
    return json.dumps(d, separators=COMPACT)


def busy(d, rng):
    evs = d.get("events")
    if isinstance(evs, list):
        # Ten times as many, drawn as the generator draws them.
        evs.extend(gen_leads.event(rng) for _ in range(9 * len(evs)))
    return json.dumps(d, separators=COMPACT)


SHAPES = {f.__name__: f for f in (esc, utf, spaced, ms, flt, opt, shuf, urls, nulls, wide,
                                  jsonb, sorted_keys, rich, busy)}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    lines = open(src, encoding="utf-8").read().splitlines()
    suffix = "%dk.jsonl" % (len(lines) // 1000)
    for name, shape in SHAPES.items():
        rng = random.Random(7)
        path = os.path.join(out_dir, name + suffix)
        with open(path, "w", encoding="utf-8") as out:
            for line in lines:
                try:
                    d = json.loads(line)
                except ValueError:
                    d = None
                out.write((shape(d, rng) if isinstance(d, dict) else line) + "\n")
        print(path)


if __name__ == "__main__":
    main()
