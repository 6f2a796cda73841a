-- rules/plg.rules written by hand as one DuckDB query, as a data team would:
-- the second model bench.py can run side by side with leadscore.
--
--   python3 benches/gen_plg.py --n 1000000 > /tmp/plg1m.jsonl
--   python3 benches/bench.py --model rules/plg.rules --sql benches/plg.sql \
--       --file /tmp/plg1m.jsonl --as-of 2026-11-01 --threads 2 --runs 3
--
-- {leads} and {out} are filled in by bench.py. The as-of time is written out
-- (2026-11-01, midnight UTC), as in the benchmark model's query. Texts are
-- compared as leadscore compares them: trimmed, runs of white space as one
-- space, lower case. The file is parsed once by DuckDB's typed JSON reader,
-- which skips what the model does not read; a value that may hold another
-- type than the model's is read as JSON and converted here. A lead's events
-- stay a list on its row, and each event term is a filter over that list.
SET TimeZone = 'UTC';
COPY (
WITH leads AS (
  SELECT id,
    nullif(lower(trim(regexp_replace(email, '\s+', ' ', 'g'))), '') AS email,
    nullif(lower(trim(regexp_replace(plan, '\s+', ' ', 'g'))), '') AS plan,
    CASE WHEN json_type(workspace.seats) IN ('BIGINT','UBIGINT','DOUBLE') THEN (workspace.seats->>'$')::DOUBLE
         WHEN json_type(workspace.seats) = 'VARCHAR' AND regexp_full_match(trim(workspace.seats->>'$'), '[+-]?[0-9.]+')
         THEN TRY_CAST(trim(workspace.seats->>'$') AS DOUBLE) END AS seats,
    CASE WHEN json_type(trial_ends) = 'VARCHAR' THEN TRY_CAST(trial_ends->>'$' AS TIMESTAMPTZ) END AS trial_ends,
    -- Events after the as-of time, or with a time that is not one, never count.
    list_filter(list_transform(activity, lambda e: {'t': e.type, 'at': TRY_CAST(e.at AS TIMESTAMPTZ),
        'object': nullif(lower(trim(regexp_replace(e.object, '\s+', ' ', 'g'))), ''),
        'integration': nullif(lower(trim(regexp_replace(e.integration, '\s+', ' ', 'g'))), ''),
        'page': nullif(lower(trim(regexp_replace(e.page, '\s+', ' ', 'g'))), ''),
        'rows': CASE WHEN json_type(e.rows) IN ('BIGINT','UBIGINT','DOUBLE') THEN (e.rows->>'$')::DOUBLE END}),
      lambda e: e.at <= TIMESTAMPTZ '2026-11-01') AS evs
  FROM read_json('{leads}', format = 'newline_delimited', ignore_errors = true,
    columns = {'id': 'VARCHAR', 'email': 'VARCHAR', 'plan': 'VARCHAR', 'workspace': 'STRUCT(seats JSON)',
               'trial_ends': 'JSON',
               'activity': 'STRUCT("type" VARCHAR, "at" VARCHAR, object VARCHAR, integration VARCHAR, page VARCHAR, "rows" JSON)[]'})
  WHERE id IS NOT NULL  -- a line that is not JSON comes back as a row of nulls
), lists AS (
  -- The times of the events each term counts: their number and the newest.
  SELECT * EXCLUDE (evs),
    nullif(trim(regexp_extract(email, '@([^@]*)$', 1)), '') AS domain,
    floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(trial_ends)) / 86400) AS trial_days_since,
    list_transform(list_filter(evs, lambda e: e.t = 'signed_in' AND e.at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 7 DAY), lambda e: e.at) AS signed7,
    list_transform(list_filter(evs, lambda e: e.t = 'signed_in' AND e.at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 30 DAY), lambda e: e.at) AS signed30,
    list_transform(list_filter(evs, lambda e: e.t = 'created' AND coalesce(e.object IN ('dashboard', 'report'), false)), lambda e: e.at) AS shared,
    list_transform(list_filter(evs, lambda e: e.t = 'connected'), lambda e: e.at) AS connected,
    list_transform(list_filter(evs, lambda e: e.t = 'connected' AND coalesce(e.integration IN ('salesforce', 'snowflake', 'bigquery'), false)), lambda e: e.at) AS paid,
    list_transform(list_filter(evs, lambda e: e.t = 'invited' AND e.at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 30 DAY), lambda e: e.at) AS invited,
    list_transform(list_filter(evs, lambda e: e.t = 'hit_limit' AND e.at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY), lambda e: e.at) AS lim,
    list_transform(list_filter(evs, lambda e: e.t = 'viewed' AND coalesce(contains(e.page, 'pricing'), false) AND e.at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY), lambda e: e.at) AS pricing,
    list_transform(list_filter(evs, lambda e: e.t = 'exported' AND coalesce(e.rows > 10000, false)), lambda e: e.at) AS exports
  FROM leads
), joined AS (
  SELECT *,
    len(signed7) AS signed7_n, len(signed30) AS signed30_n, len(shared) AS shared_n,
    len(connected) AS connected_n, len(paid) AS paid_n,
    len(invited) AS invited_n, list_max(invited) AS invited_new, len(lim) AS limit_n, list_max(lim) AS limit_new,
    len(pricing) AS pricing_n, list_max(pricing) AS pricing_new, len(exports) AS exports_n, list_max(exports) AS exports_new
  FROM lists
), scored AS (
  -- Expansion decays 50% every 2 weeks from the newest event the rule counted.
  SELECT *,
    CASE WHEN signed7_n >= 3 THEN 10 ELSE 0 END AS r_active,
    CASE WHEN shared_n >= 1 THEN least(4 * shared_n, 12) ELSE 0 END AS r_shared,
    CASE WHEN connected_n >= 1 THEN 8 ELSE 0 END AS r_connected,
    CASE WHEN paid_n >= 1 THEN 10 ELSE 0 END AS r_paid,
    CASE WHEN invited_n >= 2 THEN round(15 * power(0.5, floor(floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(invited_new)) / 86400) / 14)), 2) ELSE 0 END AS r_invited,
    CASE WHEN limit_n >= 1 THEN round(15 * power(0.5, floor(floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(limit_new)) / 86400) / 14)), 2) ELSE 0 END AS r_limit,
    CASE WHEN pricing_n >= 1 THEN round(10 * power(0.5, floor(floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(pricing_new)) / 86400) / 14)), 2) ELSE 0 END AS r_pricing,
    CASE WHEN exports_n >= 1 THEN round(5 * power(0.5, floor(floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(exports_new)) / 86400) / 14)), 2) ELSE 0 END AS r_exports,
    CASE WHEN coalesce(domain NOT IN ('gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com'), false) THEN 5 ELSE 0 END AS r_work,
    CASE WHEN coalesce(plan = 'trial', false) AND coalesce(trial_days_since BETWEEN -7 AND 0, false) THEN 10 ELSE 0 END AS r_trial,
    CASE WHEN NOT (signed30_n >= 1) THEN -20 ELSE 0 END AS r_dormant
  FROM joined
), grouped AS (
  SELECT *,
    least(r_active + r_shared + r_connected + r_paid, 40) AS g_activation,
    least(r_invited + r_limit + r_pricing + r_exports, 45) AS g_expansion,
    (r_work + r_trial + r_dormant)::DOUBLE AS g_general
  FROM scored
), totals AS (
  SELECT *, greatest(least(g_activation + g_expansion + g_general, 100), 0) AS score,
    list_filter([CASE WHEN coalesce(plan IN ('team', 'business'), false) THEN 'Already paying' END],
                lambda x: x IS NOT NULL) AS disqualified
  FROM grouped
)
SELECT id, score,
  CASE WHEN len(disqualified) > 0 THEN 'disqualified'
       WHEN score >= 60 AND coalesce(seats >= 3, false) THEN 'PQL'
       WHEN score >= 60 THEN 'PQL_solo'
       WHEN g_activation >= 20 THEN 'engaged'
       ELSE 'self_serve' END AS stage,
  {'activation': g_activation, 'expansion': g_expansion, 'general': g_general} AS groups,
  list_filter([CASE WHEN r_active <> 0 THEN 'Active this week' END,
               CASE WHEN r_shared <> 0 THEN 'Built something shared' END,
               CASE WHEN r_connected <> 0 THEN 'Connected data' END,
               CASE WHEN r_paid <> 0 THEN 'Connected a paid-tier source' END,
               CASE WHEN r_invited <> 0 THEN 'Invited teammates' END,
               CASE WHEN r_limit <> 0 THEN 'Hit a plan limit' END,
               CASE WHEN r_pricing <> 0 THEN 'Looked at pricing' END,
               CASE WHEN r_exports <> 0 THEN 'Big exports' END,
               CASE WHEN r_work <> 0 THEN 'Work email' END,
               CASE WHEN r_trial <> 0 THEN 'Trial ending soon' END,
               CASE WHEN r_dormant <> 0 THEN 'Dormant' END], lambda x: x IS NOT NULL) AS fired,
  disqualified
FROM totals
) TO '{out}' (FORMAT JSON);
