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
-- space, lower case. Each document is parsed once: every path the model reads
-- is extracted in one call.
SET TimeZone = 'UTC';
COPY (
WITH raw AS (
  SELECT json_extract(json, ['$.id', '$.email', '$.plan', '$.workspace.seats', '$.trial_ends', '$.activity']) AS v
  FROM read_ndjson_objects('{leads}', ignore_errors = true) WHERE json IS NOT NULL
), leads AS (
  SELECT
    v[1]->>'$' AS id,
    nullif(lower(trim(regexp_replace(CASE WHEN json_type(v[2]) IN ('VARCHAR','BIGINT','UBIGINT','DOUBLE') THEN v[2]->>'$' END, '\s+', ' ', 'g'))), '') AS email,
    nullif(lower(trim(regexp_replace(CASE WHEN json_type(v[3]) IN ('VARCHAR','BIGINT','UBIGINT','DOUBLE') THEN v[3]->>'$' END, '\s+', ' ', 'g'))), '') AS plan,
    CASE WHEN json_type(v[4]) IN ('BIGINT','UBIGINT','DOUBLE') THEN (v[4]->>'$')::DOUBLE
         WHEN json_type(v[4]) = 'VARCHAR' AND regexp_full_match(trim(v[4]->>'$'), '[+-]?[0-9.]+')
         THEN TRY_CAST(trim(v[4]->>'$') AS DOUBLE) END AS seats,
    CASE WHEN json_type(v[5]) = 'VARCHAR' THEN TRY_CAST(v[5]->>'$' AS TIMESTAMPTZ) END AS trial_ends,
    v[6] AS activity
  FROM raw
), leads2 AS (
  SELECT *,
    nullif(trim(regexp_extract(email, '@([^@]*)$', 1)), '') AS domain,
    floor((epoch(TIMESTAMPTZ '2026-11-01') - epoch(trial_ends)) / 86400) AS trial_days_since
  FROM leads
), ev AS (
  SELECT id, f[1] AS ev_type, TRY_CAST(f[2] AS TIMESTAMPTZ) AS ev_at,
         nullif(lower(trim(regexp_replace(f[3], '\s+', ' ', 'g'))), '') AS object,
         nullif(lower(trim(regexp_replace(f[4], '\s+', ' ', 'g'))), '') AS integration,
         nullif(lower(trim(regexp_replace(f[5], '\s+', ' ', 'g'))), '') AS page,
         CASE WHEN json_type(e, '$.rows') IN ('BIGINT','UBIGINT','DOUBLE') THEN (e->>'$.rows')::DOUBLE END AS rows
  FROM (SELECT id, e, json_extract_string(e, ['$.type', '$.at', '$.object', '$.integration', '$.page']) AS f
        FROM (SELECT id, activity FROM leads), unnest(json_extract(activity, '$[*]')) AS t(e))
), terms AS (
  SELECT id,
    count(*) FILTER (WHERE ev_type = 'signed_in' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 7 DAY) AS signed7_n,
    count(*) FILTER (WHERE ev_type = 'signed_in' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 30 DAY) AS signed30_n,
    count(*) FILTER (WHERE ev_type = 'created' AND coalesce(object IN ('dashboard', 'report'), false)) AS shared_n,
    count(*) FILTER (WHERE ev_type = 'connected') AS connected_n,
    count(*) FILTER (WHERE ev_type = 'connected' AND coalesce(integration IN ('salesforce', 'snowflake', 'bigquery'), false)) AS paid_n,
    count(*) FILTER (WHERE ev_type = 'invited' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 30 DAY) AS invited_n,
    max(ev_at) FILTER (WHERE ev_type = 'invited' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 30 DAY) AS invited_new,
    count(*) FILTER (WHERE ev_type = 'hit_limit' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY) AS limit_n,
    max(ev_at) FILTER (WHERE ev_type = 'hit_limit' AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY) AS limit_new,
    count(*) FILTER (WHERE ev_type = 'viewed' AND coalesce(contains(page, 'pricing'), false) AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY) AS pricing_n,
    max(ev_at) FILTER (WHERE ev_type = 'viewed' AND coalesce(contains(page, 'pricing'), false) AND ev_at >= TIMESTAMPTZ '2026-11-01' - INTERVAL 14 DAY) AS pricing_new,
    count(*) FILTER (WHERE ev_type = 'exported' AND coalesce(rows > 10000, false)) AS exports_n,
    max(ev_at) FILTER (WHERE ev_type = 'exported' AND coalesce(rows > 10000, false)) AS exports_new
  FROM ev WHERE ev_at <= TIMESTAMPTZ '2026-11-01'
  GROUP BY id
), joined AS (
  SELECT l.*,
    coalesce(signed7_n, 0) AS signed7_n, coalesce(signed30_n, 0) AS signed30_n,
    coalesce(shared_n, 0) AS shared_n, coalesce(connected_n, 0) AS connected_n, coalesce(paid_n, 0) AS paid_n,
    coalesce(invited_n, 0) AS invited_n, invited_new, coalesce(limit_n, 0) AS limit_n, limit_new,
    coalesce(pricing_n, 0) AS pricing_n, pricing_new, coalesce(exports_n, 0) AS exports_n, exports_new
  FROM leads2 l LEFT JOIN terms USING (id)
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
