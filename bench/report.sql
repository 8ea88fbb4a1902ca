-- The benchmark report: reads bench/run.sh's raw numbers (:raw, lines of
-- section, contender, repetition, value) and prints the markdown of
-- bench/results/latest.md; leaves them in bench.results and the chart's
-- data in bench.chart_* for run.sh.
\set ECHO none
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.results;
CREATE TABLE bench.results (section text, contender text, rep int, value numeric);
COPY bench.results FROM :'raw';

CREATE OR REPLACE VIEW bench.summary AS
  SELECT section, contender, min(value) AS best,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY value)::numeric AS median, count(*) AS runs
    FROM bench.results GROUP BY 1, 2;
CREATE OR REPLACE FUNCTION bench.best(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT best FROM bench.summary WHERE section = s AND contender = c);
CREATE OR REPLACE FUNCTION bench.med(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT median FROM bench.summary WHERE section = s AND contender = c);
CREATE OR REPLACE FUNCTION bench.x(v numeric, digits int DEFAULT 2) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN coalesce(round(v, digits)::text, 'n/a');

CREATE OR REPLACE VIEW bench.inserts AS
  SELECT s.section, s.title, bench.best(s.section, 'bare') AS bare, bench.best(s.section, 'plpgsql') AS plpgsql,
         bench.best(s.section, 'ext') AS ext
    FROM (VALUES (1, 'ins_media', 'person_media'),
                 (2, 'ins_loc10', 'person_locations, 10% primary'),
                 (3, 'ins_loc50', 'person_locations, 50% primary')) s (n, section, title)
   ORDER BY s.n;

CREATE OR REPLACE VIEW bench.targets AS
  WITH i AS (SELECT * FROM bench.inserts),
  sync AS (SELECT bench.best('sync', 'batch') AS batch, bench.best('sync', 'single') AS single,
                  least(bench.best('sync', 'sql'), bench.best('sync', 'plpgsql')) AS best_sql),
  pg AS (SELECT bench.best('pgbench_tps', 'ext') AS ext_tps, bench.best('pgbench_tps', 'sql') AS sql_tps,
                bench.best('pgbench_failed', 'ext') AS ext_failed)
  SELECT 1 AS n, 'person_media insert: extension / bare <= 1.05' AS target,
         bench.x(ext / bare, 3) AS measured, ext / bare <= 1.05 AS met FROM i WHERE section = 'ins_media'
  UNION ALL
  SELECT 2, 'person_locations insert, 50% primary: extension / bare <= 1.10',
         bench.x(ext / bare, 3), ext / bare <= 1.10 FROM i WHERE section = 'ins_loc50'
  UNION ALL
  SELECT 3, format('%s: PL/pgSQL overhead / extension overhead >= 5', title),
         CASE WHEN ext <= bare THEN 'extension overhead <= 0' ELSE bench.x((plpgsql - bare) / (ext - bare), 1) END,
         ext <= bare OR (plpgsql - bare) >= 5 * (ext - bare) FROM i
  UNION ALL
  SELECT 4, 'sync: best set-based SQL / batch function >= 1.5', bench.x(best_sql / batch), best_sql / batch >= 1.5
    FROM sync
  UNION ALL
  SELECT 5, 'sync: batch function faster than one call per person', bench.x(single / batch), batch < single
    FROM sync
  UNION ALL
  SELECT 6, 'set_primary_location: extension TPS / hand-written SQL TPS >= 0.8', bench.x(ext_tps / sql_tps),
         ext_tps / sql_tps >= 0.8 FROM pg
  UNION ALL
  SELECT 7, 'set_primary_location: 0 failed transactions (extension)', ext_failed::text, ext_failed = 0 FROM pg;

\pset format unaligned
\pset tuples_only on
\pset footer off
\o :out/latest.md
SELECT format(E'# person_pivots benchmark\n\n'
  'Machine: %s.  \nServer settings (all contenders): %s, fsync=off (throwaway cluster).  \n'
  'Times are the best of %s runs in rotating order (median in brackets); reproduce with `make bench`.\n',
  :'env', :'settings', :'reps');

SELECT format(E'## Bulk INSERT ... SELECT, %s rows, as the application role\n\n'
  'Same table, foreign keys and indexes for every contender; only the row triggers differ. '
  'Overhead = time - bare.\n\n'
  '| table | bare (s) | PL/pgSQL triggers (s) | extension (s) | PL/pgSQL / bare | extension / bare | '
  'PL/pgSQL overhead / extension overhead |\n|---|---:|---:|---:|---:|---:|---:|', :'insert_rows');
SELECT format('| %s | %s (%s) | %s (%s) | %s (%s) | %s | %s | %s |', title,
              bench.x(bare), bench.x(bench.med(section, 'bare')),
              bench.x(plpgsql), bench.x(bench.med(section, 'plpgsql')),
              bench.x(ext), bench.x(bench.med(section, 'ext')),
              bench.x(plpgsql / bare), bench.x(ext / bare, 3),
              CASE WHEN ext <= bare THEN 'extension overhead <= 0'
                   ELSE bench.x((plpgsql - bare) / (ext - bare), 1) END)
  FROM bench.inserts;

SELECT format(E'\n## Sync: %s people x 20 media, 10%% churn, pages of %s people\n\n'
  'One run syncs every person once (%s transactions, one per page) from the same starting state; '
  'the table keeps the extension''s triggers for every contender.\n\n'
  '| contender | seconds per run | time / batch function |\n|---|---:|---:|',
  :'sync_people', :'page_size', ceil(:'sync_people'::numeric / :'page_size'::numeric));
SELECT format('| %s | %s (%s) | %s |', c.title, bench.x(bench.best('sync', c.contender)),
              bench.x(bench.med('sync', c.contender)),
              bench.x(bench.best('sync', c.contender) / bench.best('sync', 'batch')))
  FROM (VALUES (1, 'batch', 'person_pivots.sync_person_media_batch, one call per page'),
               (2, 'single', 'person_pivots.sync_person_media, one call per person'),
               (3, 'sql', 'set-based SQL, one prepared statement per page'),
               (4, 'plpgsql', 'PL/pgSQL batch function (set-based inside), one call per page')) c (n, contender, title)
 ORDER BY c.n;

SELECT format(E'\n## set_primary_location under pgbench: %s clients, %s s, %s people x 5 locations\n\n'
  '| contender | TPS | failed transactions | TPS / hand-written SQL |\n|---|---:|---:|---:|',
  :'pg_clients', :'pg_seconds', :'pg_people');
SELECT format('| %s | %s | %s | %s |', c.title, bench.x(bench.best('pgbench_tps', c.contender), 0),
              bench.best('pgbench_failed', c.contender),
              bench.x(bench.best('pgbench_tps', c.contender) / bench.best('pgbench_tps', 'sql')))
  FROM (VALUES (1, 'ext', 'person_pivots.set_primary_location (one statement)'),
               (2, 'sql', 'hand-written transaction on the bare table (lock person, demote, promote)')) c (n, contender, title)
 ORDER BY c.n;

SELECT format(E'\n## Peak backend memory: one page of %s people x 20 media (10%% churn)\n\n'
  'Peak private memory (RssAnon, sampled every 5 ms) of the backend above its level before the call, '
  'input parsing included.\n\n'
  '| contender | seconds | peak memory (MB) |\n|---|---:|---:|', :'mem_people');
SELECT format('| %s | %s | %s |', c.title, bench.x(bench.best('mem_seconds', c.contender)),
              bench.x(bench.best('mem_peak_mb', c.contender), 0))
  FROM (VALUES (1, 'batch', 'sync_person_media_batch'), (2, 'sql', 'set-based SQL statement')) c (n, contender, title)
 ORDER BY c.n;

SELECT E'\n## Targets (issue 5), from this run\n\n| target | measured | met |\n|---|---:|:---:|';
SELECT format('| %s | %s | %s |', target, measured, CASE WHEN met THEN 'yes' ELSE '**no**' END)
  FROM bench.targets ORDER BY n, target;

-- The chart's data (gnuplot, bench/plot.gp).
\pset fieldsep ' '
\o :out/insert.dat
SELECT format('"%s" %s %s %s', replace(title, ', ', '\n'), bare, plpgsql, ext) FROM bench.inserts;
\o :out/sync.dat
SELECT format('"%s" %s', c.label, bench.best('sync', c.contender))
  FROM (VALUES (1, 'batch', 'batch fn'), (2, 'single', 'fn per person'), (3, 'sql', 'set-based SQL'),
               (4, 'plpgsql', 'PL/pgSQL batch')) c (n, contender, label) ORDER BY c.n;
\o :out/tps.dat
SELECT format('"%s" %s', c.label, bench.best('pgbench_tps', c.contender))
  FROM (VALUES (1, 'ext', 'extension'), (2, 'sql', 'hand-written SQL')) c (n, contender, label) ORDER BY c.n;
\o :out/mem.dat
SELECT format('"%s" %s', c.label, bench.best('mem_peak_mb', c.contender))
  FROM (VALUES (1, 'batch', 'batch fn'), (2, 'sql', 'set-based SQL')) c (n, contender, label) ORDER BY c.n;
\o
