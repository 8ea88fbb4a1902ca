-- The benchmark report: reads bench/run.sh's raw numbers (:raw, lines of
-- section, contender, repetition, value) into bench.results, writes the
-- markdown of bench/results/latest.md and the chart's data files to :out.
-- Timed sections hold the backend's CPU seconds; <section>_wall the wall
-- seconds of the same runs.
\set ECHO none
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.results CASCADE;
CREATE TABLE bench.results (section text, contender text, rep int, value numeric);
COPY bench.results FROM :'raw';

CREATE VIEW bench.summary AS
  SELECT section, contender, min(value) AS best, avg(value) AS mean, sum(value) AS total,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY value)::numeric AS median
    FROM bench.results GROUP BY 1, 2;
CREATE FUNCTION pg_temp.best(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT best FROM bench.summary WHERE section = s AND contender = c);
CREATE FUNCTION pg_temp.median(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT median FROM bench.summary WHERE section = s AND contender = c);
CREATE FUNCTION pg_temp.mean(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT mean FROM bench.summary WHERE section = s AND contender = c);
CREATE FUNCTION pg_temp.total(s text, c text) RETURNS numeric LANGUAGE sql STABLE
  RETURN (SELECT total FROM bench.summary WHERE section = s AND contender = c);
CREATE FUNCTION pg_temp.x(v numeric, digits int DEFAULT 2) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN coalesce(round(v, digits)::text, 'n/a');
-- "cpu (wall)" of a timed section: best CPU seconds, best wall seconds
CREATE FUNCTION pg_temp.t(s text, c text) RETURNS text LANGUAGE sql STABLE
  RETURN format('%s (%s)', pg_temp.x(pg_temp.best(s, c)), pg_temp.x(pg_temp.best(s || '_wall', c)));
-- a ratio of two timed results, CPU (wall)
CREATE FUNCTION pg_temp.r(s text, a text, b text, digits int DEFAULT 2) RETURNS text LANGUAGE sql STABLE
  RETURN format('%s (%s)', pg_temp.x(pg_temp.best(s, a) / pg_temp.best(s, b), digits),
                pg_temp.x(pg_temp.best(s || '_wall', a) / pg_temp.best(s || '_wall', b), digits));
-- a/b of the CPU times of each repetition (runs of one repetition are
-- minutes apart at most), in repetition order: the spread shows the noise
CREATE FUNCTION pg_temp.reps(s text, a text, b text) RETURNS text LANGUAGE sql STABLE
  RETURN (SELECT string_agg(pg_temp.x(x.value / y.value), ', ' ORDER BY x.rep)
            FROM bench.results x JOIN bench.results y USING (section, rep)
           WHERE x.section = s AND x.contender = a AND y.contender = b);
-- microseconds per demotion of (a - b), CPU (wall): what a contender pays
-- above the floor, spread over the demotions it made
CREATE FUNCTION pg_temp.per(s text, a text, b text, n numeric) RETURNS text LANGUAGE sql STABLE
  RETURN format('%s (%s)', pg_temp.x((pg_temp.best(s, a) - pg_temp.best(s, b)) * 1e6 / n, 1),
                pg_temp.x((pg_temp.best(s || '_wall', a) - pg_temp.best(s || '_wall', b)) * 1e6 / n, 1));
-- runs of a contender cancelled by its timeout, if any
CREATE FUNCTION pg_temp.cancelled(s text, c text) RETURNS text LANGUAGE sql STABLE
  RETURN (SELECT format(', %s of %s runs cancelled after %s s', count(*), :'reps', max(value))
            FROM bench.results WHERE section = s || '_timeout' AND contender = c HAVING count(*) > 0);
-- PL/pgSQL's overhead over bare divided by the extension's, CPU (wall)
CREATE FUNCTION pg_temp.overhead(bare numeric, plpgsql numeric, ext numeric) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN ext <= bare THEN 'ext <= bare' ELSE pg_temp.x((plpgsql - bare) / (ext - bare), 1) END;

CREATE TEMP VIEW inserts AS
  SELECT s.n, s.section, s.title,
         pg_temp.best(s.section, 'bare') AS bare, pg_temp.best(s.section, 'plpgsql') AS plpgsql,
         pg_temp.best(s.section, 'ext') AS ext,
         pg_temp.best(s.section || '_wall', 'bare') AS bare_wall,
         pg_temp.best(s.section || '_wall', 'plpgsql') AS plpgsql_wall,
         pg_temp.best(s.section || '_wall', 'ext') AS ext_wall
    FROM (VALUES (1, 'ins_media', 'person_media'),
                 (2, 'ins_loc10', 'person_locations, 10% primary'),
                 (3, 'ins_loc50', 'person_locations, 50% primary')) s (n, section, title);

CREATE TEMP VIEW targets AS
  WITH sync AS (
    SELECT pg_temp.best('sync', 'batch') AS batch, pg_temp.best('sync', 'single') AS single,
           least(pg_temp.best('sync', 'sql'), pg_temp.best('sync', 'plpgsql')) AS best_sql,
           pg_temp.best('sync_wall', 'batch') AS batch_wall, pg_temp.best('sync_wall', 'single') AS single_wall,
           least(pg_temp.best('sync_wall', 'sql'), pg_temp.best('sync_wall', 'plpgsql')) AS best_sql_wall),
  pg AS (SELECT pg_temp.mean('pgbench_tps', 'ext') AS ext_tps, pg_temp.mean('pgbench_tps', 'sql') AS sql_tps,
                pg_temp.total('pgbench_failed', 'ext') AS ext_failed)
  SELECT 1 AS n, 'person_media insert: extension / bare <= 1.05' AS target,
         format('%s (%s)', pg_temp.x(ext / bare, 3), pg_temp.x(ext_wall / bare_wall, 3)) AS measured,
         ext / bare <= 1.05 AS met
    FROM inserts WHERE section = 'ins_media'
  UNION ALL
  SELECT 2, 'person_locations insert, 50% primary: extension / bare <= 1.10',
         format('%s (%s)', pg_temp.x(ext / bare, 3), pg_temp.x(ext_wall / bare_wall, 3)), ext / bare <= 1.10
    FROM inserts WHERE section = 'ins_loc50'
  UNION ALL
  SELECT 2 + n, format('%s insert: PL/pgSQL overhead / extension overhead >= 5', title),
         format('%s (%s)', pg_temp.overhead(bare, plpgsql, ext), pg_temp.overhead(bare_wall, plpgsql_wall, ext_wall)),
         ext <= bare OR (plpgsql - bare) >= 5 * (ext - bare)
    FROM inserts
  UNION ALL
  SELECT 6, 'sync: best set-based SQL (SQL or PL/pgSQL) / batch function >= 1.5',
         format('%s (%s)', pg_temp.x(best_sql / batch), pg_temp.x(best_sql_wall / batch_wall)), best_sql / batch >= 1.5
    FROM sync
  UNION ALL
  SELECT 7, 'sync: batch function faster than one call per person',
         format('%s (%s)', pg_temp.x(single / batch), pg_temp.x(single_wall / batch_wall)), batch < single
    FROM sync
  UNION ALL
  SELECT 8, 'set_primary_location: extension TPS / hand-written SQL TPS >= 0.8', pg_temp.x(ext_tps / sql_tps),
         ext_tps / sql_tps >= 0.8 FROM pg
  UNION ALL
  SELECT 9, 'set_primary_location: 0 failed transactions (extension)', ext_failed::text, ext_failed = 0 FROM pg;

\pset format unaligned
\pset tuples_only on
\pset footer off
\o :out/latest.md
SELECT format(E'# person_pivots benchmark\n\n'
  'Machine: %s.  \nServer settings (all contenders): %s, fsync=off (throwaway cluster).  \n'
  'Timed results are the best of %s runs in rotating order, given as **backend CPU seconds (wall seconds)**; '
  'ratios likewise. The CPU time is the server process''s own (it barely moves when other processes share the '
  'machine); the wall time includes waiting for the CPU and, for the sync, the client round trips. '
  'Reproduce with `make bench`.\n',
  :'env', :'settings', :'reps');

SELECT format(E'## Bulk INSERT ... SELECT of %s rows, as the application role\n\n'
  'Same table, foreign keys and indexes for every contender; only the row triggers differ '
  '(bare: none; PL/pgSQL: bench/baselines/plpgsql_triggers.sql, checked to behave like the extension). '
  'Overhead = time - bare.\n\n'
  '| table | bare | PL/pgSQL triggers | extension | PL/pgSQL / bare | extension / bare | '
  'PL/pgSQL overhead / extension overhead | extension / bare, each repetition (CPU) |\n'
  '|---|---:|---:|---:|---:|---:|---:|---:|', :'insert_rows');
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s |', title,
              pg_temp.t(section, 'bare'), pg_temp.t(section, 'plpgsql'), pg_temp.t(section, 'ext'),
              pg_temp.r(section, 'plpgsql', 'bare'), pg_temp.r(section, 'ext', 'bare', 3),
              format('%s (%s)', pg_temp.overhead(bare, plpgsql, ext), pg_temp.overhead(bare_wall, plpgsql_wall, ext_wall)),
              pg_temp.reps(section, 'ext', 'bare'))
  FROM inserts ORDER BY n;

SELECT format(E'\n## Primary demotions in a bulk load: %s rows, 10 per person, 5 of them primary\n\n'
  'As the application role, into person_locations, in statement order: each person''s 5 primaries arrive one '
  'after the other and each demotes the one before (4 demotions per person, %s in all). The floor is the bare '
  'table (no triggers) loading the same rows in their final state (only the last of the five primary). The '
  'PL/pgSQL triggers load %s rows only (%s demotions; each load cancelled after %s s): they turn quadratic when '
  'the table''s statistics say it is empty (bench/run.sh, section demote); the floor and the extension load that '
  'size too, for same-size ratios. Every contender is checked to leave all rows active and the last primary of '
  'each person as its one primary. Cost per demotion = (time - floor time) / demotions.\n\n'
  '| load | rows | floor | extension | PL/pgSQL triggers | extension / floor | PL/pgSQL / floor | '
  'µs per demotion, extension | µs per demotion, PL/pgSQL | extension / floor, each repetition (CPU) | '
  'PL/pgSQL / floor, each repetition (CPU) |\n'
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  :'insert_rows', :'insert_rows'::bigint / 10 * 4, :'cap_rows', :'cap_rows'::bigint / 10 * 4, :'cap_timeout');
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |', l.title, l.rows,
              pg_temp.t(l.section, l.bare), pg_temp.t(l.section, l.ext),
              CASE WHEN l.plpgsql IS NULL THEN '' ELSE pg_temp.t(l.section, l.plpgsql)
                   || coalesce(pg_temp.cancelled(l.section, l.plpgsql), '') END,
              pg_temp.r(l.section, l.ext, l.bare, 3),
              CASE WHEN l.plpgsql IS NULL THEN '' ELSE pg_temp.r(l.section, l.plpgsql, l.bare) END,
              pg_temp.per(l.section, l.ext, l.bare, l.rows / 10 * 4),
              CASE WHEN l.plpgsql IS NULL THEN '' ELSE pg_temp.per(l.section, l.plpgsql, l.bare, l.rows / 10 * 4) END,
              pg_temp.reps(l.section, l.ext, l.bare),
              CASE WHEN l.plpgsql IS NULL THEN '' ELSE pg_temp.reps(l.section, l.plpgsql, l.bare) END)
  FROM (VALUES (1, 'demote', 'INSERT ... SELECT', :'insert_rows'::numeric, 'bare', 'ext', NULL),
               (2, 'demote', 'INSERT ... SELECT, PL/pgSQL''s size', :'cap_rows'::numeric, 'bare_cap', 'ext_cap',
                'plpgsql_cap'),
               (3, 'copy', 'COPY FROM STDIN (psql \copy)', :'insert_rows'::numeric, 'bare', 'ext', NULL),
               (4, 'copy', 'COPY FROM STDIN, PL/pgSQL''s size', :'cap_rows'::numeric, 'bare_cap', 'ext_cap',
                'plpgsql_cap'))
       l (n, section, title, rows, bare, ext, plpgsql)
 WHERE EXISTS (SELECT 1 FROM bench.results r WHERE r.section LIKE l.section || '%')
 ORDER BY l.n;

SELECT format(E'\n## Sync: %s people x 20 media, 10%% churn, pages of %s people\n\n'
  'One run syncs every person once (%s transactions, one per page) from the same starting state '
  '(20 active and 8 soft-deleted links per person) and must reach the same end state (checked). '
  'The table keeps the extension''s triggers for every contender: what differs is how a page is synced.\n\n'
  '| contender | seconds per run | time / batch function | time / batch, each repetition (CPU) |\n'
  '|---|---:|---:|---:|',
  :'sync_people', :'page_size', ceil(:'sync_people'::numeric / :'page_size'::numeric));
SELECT format('| %s | %s | %s | %s |', c.title, pg_temp.t('sync', c.contender), pg_temp.r('sync', c.contender, 'batch'),
              pg_temp.reps('sync', c.contender, 'batch'))
  FROM (VALUES (1, 'batch', 'person_pivots.sync_person_media_batch, one call per page'),
               (2, 'single', 'person_pivots.sync_person_media, one call (statement) per person'),
               (3, 'sql', 'set-based SQL, one prepared statement per page (bench/baselines/sync_media_sql.sql)'),
               (4, 'plpgsql', 'PL/pgSQL batch function, set-based inside (bench/baselines/sync_media_plpgsql.sql)'))
       c (n, contender, title)
 ORDER BY c.n;

SELECT format(E'\n## Location sync: %s people x 8 locations, pages of %s people\n\n'
  'One run syncs every person once (%s transactions, one per page) from the same starting state (8 active and 2 '
  'soft-deleted links per person) to the same target: 10%% of the links gone, 10%% new, 10%% of the people moving '
  'their primary, 10%% of the labels edited (bench/load_location_state.sql); the end state is checked (active rows '
  'person, location, label, is_primary, is_legal; new rows, history). The table keeps the extension''s triggers '
  'for every contender.\n\n'
  '| contender | seconds per run | time / batch function | time / batch, each repetition (CPU) |\n'
  '|---|---:|---:|---:|',
  :'sync_people', :'page_size', ceil(:'sync_people'::numeric / :'page_size'::numeric));
SELECT format('| %s | %s | %s | %s |', c.title, pg_temp.t('locsync', c.contender),
              pg_temp.r('locsync', c.contender, 'batch'), pg_temp.reps('locsync', c.contender, 'batch'))
  FROM (VALUES (1, 'batch', 'person_pivots.sync_person_locations_batch, one call per page'),
               (2, 'single', 'person_pivots.sync_person_locations, one call (statement) per person'),
               (3, 'sql', 'set-based SQL, two prepared statements per page (bench/baselines/sync_locations_sql.sql)'),
               (4, 'plpgsql', 'PL/pgSQL batch function, set-based inside (bench/baselines/sync_locations_plpgsql.sql)'))
       c (n, contender, title)
 WHERE EXISTS (SELECT 1 FROM bench.results WHERE section = 'locsync')
 ORDER BY c.n;

SELECT format(E'\n## set_primary_location under pgbench: %s clients, %s s per contender (%s alternating rounds), '
  '%s people x 5 locations\n\n'
  '| contender | TPS | failed transactions | TPS / hand-written SQL |\n|---|---:|---:|---:|',
  :'pg_clients', :'pg_seconds', :'pg_rounds', :'pg_people');
SELECT format('| %s | %s | %s | %s |', c.title, pg_temp.x(pg_temp.mean('pgbench_tps', c.contender), 0),
              pg_temp.total('pgbench_failed', c.contender),
              pg_temp.x(pg_temp.mean('pgbench_tps', c.contender) / pg_temp.mean('pgbench_tps', 'sql')))
  FROM (VALUES (1, 'ext', 'person_pivots.set_primary_location, one statement'),
               (2, 'sql', 'hand-written transaction on the bare table: lock person, demote, promote '
                          '(bench/baselines/set_primary_sql.pgbench)')) c (n, contender, title)
 ORDER BY c.n;

SELECT format(E'\n## Transaction mix under pgbench: Hasura mutations, %s clients, %s s per contender (%s rotating '
  'rounds, each from the same state), %s people\n\n'
  'Profile saves (3 in 4: one READ COMMITTED transaction of 2-6 API calls on one person after SET LOCAL hasura.user, '
  'bench/txmix_save.pgbench) and connector pages (1 in 4: one sync_person_locations_batch or sync_person_media_batch '
  'call over 2-4 people, bench/txmix_batch.pgbench). Hasura does not retry deadlocks: every failed transaction is a '
  'failed mutation (aborted clients count as failed).\n\n'
  '| contender | TPS | failed transactions | extension TPS / contender TPS | same, each round |\n'
  '|---|---:|---:|---:|---:|',
  :'pg_clients', :'pg_seconds', :'pg_rounds', :'txmix_people');
SELECT format('| %s | %s | %s | %s | %s |', c.title, pg_temp.x(pg_temp.mean('txmix_tps', c.contender), 0),
              pg_temp.total('txmix_failed', c.contender),
              pg_temp.x(pg_temp.mean('txmix_tps', 'ext') / pg_temp.mean('txmix_tps', c.contender)),
              pg_temp.reps('txmix_tps', 'ext', c.contender))
  FROM (VALUES (1, 'ext', 'extension: person_pivots.* functions, the extension''s triggers'),
               (2, 'plpgsql', 'PL/pgSQL: the same API in PL/pgSQL (bench/baselines/api_plpgsql.sql, checked against '
                              'the extension), the PL/pgSQL triggers'),
               (3, 'sql', 'hand-written SQL: the same transactions as plain statements '
                          '(bench/baselines/txmix_*_sql.pgbench), the extension''s triggers')) c (n, contender, title)
 ORDER BY c.n;

SELECT format(E'\n## Peak backend memory of one sync page\n\n'
  'Peak private memory (RssAnon, sampled every 5 ms) of the backend above its level before the call, '
  'input parsing included; wall seconds of the whole page. person_media: 20 media per person, 10%% churn (as '
  'the sync section); person_locations: 8 locations per person, the location sync''s changes.\n\n'
  '| page | batch function: seconds | batch function: peak MB | set-based SQL: seconds | set-based SQL: peak MB |\n'
  '|---|---:|---:|---:|---:|');
SELECT format('| %s | %s | %s | %s | %s |', m.title,
              pg_temp.x(pg_temp.best('mem_seconds', m.batch)), pg_temp.x(pg_temp.best('mem_peak_mb', m.batch), 0),
              pg_temp.x(pg_temp.best('mem_seconds', m.sql)), pg_temp.x(pg_temp.best('mem_peak_mb', m.sql), 0))
  FROM (VALUES (1, format('person_media, %s people', :'page_size'), 'batch_page', 'sql_page'),
               (2, format('person_media, %s people', :'mem_people'), 'batch', 'sql'),
               (3, format('person_locations, %s people', :'page_size'), 'loc_batch_page', 'loc_sql_page'),
               (4, format('person_locations, %s people', :'mem_people'), 'loc_batch', 'loc_sql'))
       m (n, title, batch, sql)
 ORDER BY m.n;

SELECT E'\n## Targets (issue 5), from this run\n\nJudged on CPU time; wall time in brackets.\n\n'
  '| target | measured | met |\n|---|---:|:---:|';
SELECT format('| %s | %s | %s |', target, measured, CASE WHEN met THEN 'yes' ELSE '**no**' END)
  FROM targets ORDER BY n;

-- The chart's data (gnuplot, bench/plot.gp): CPU seconds.
\pset fieldsep ' '
\o :out/insert.dat
SELECT format('"%s" %s %s %s', replace(title, ', ', '\n'), bare, plpgsql, ext) FROM inserts ORDER BY n;
\o :out/sync.dat
SELECT format('"%s" %s', c.label, pg_temp.best('sync', c.contender))
  FROM (VALUES (1, 'batch', 'batch fn'), (2, 'single', 'fn per person'), (3, 'sql', 'set-based SQL'),
               (4, 'plpgsql', 'PL/pgSQL batch')) c (n, contender, label) ORDER BY c.n;
\o :out/tps.dat
SELECT format('"%s" %s', c.label, pg_temp.mean('pgbench_tps', c.contender))
  FROM (VALUES (1, 'ext', 'extension'), (2, 'sql', 'hand-written SQL')) c (n, contender, label) ORDER BY c.n;
\o :out/txmix.dat
SELECT format('"%s" %s', c.label, pg_temp.mean('txmix_tps', c.contender))
  FROM (VALUES (1, 'ext', 'extension'), (2, 'plpgsql', 'PL/pgSQL'), (3, 'sql', 'hand-written SQL')) c (n, contender, label)
 ORDER BY c.n;
\o :out/mem.dat
SELECT format('"%s" %s %s', m.label, pg_temp.best('mem_peak_mb', m.batch), pg_temp.best('mem_peak_mb', m.sql))
  FROM (VALUES (1, format('media\n%s people', :'page_size'), 'batch_page', 'sql_page'),
               (2, format('media\n%s people', :'mem_people'), 'batch', 'sql'),
               (3, format('locations\n%s people', :'page_size'), 'loc_batch_page', 'loc_sql_page'),
               (4, format('locations\n%s people', :'mem_people'), 'loc_batch', 'loc_sql')) m (n, label, batch, sql)
 ORDER BY m.n;
\o :out/locsync.dat
SELECT format('"%s" %s', c.label, pg_temp.best('locsync', c.contender))
  FROM (VALUES (1, 'batch', 'batch fn'), (2, 'single', 'fn per person'), (3, 'sql', 'set-based SQL'),
               (4, 'plpgsql', 'PL/pgSQL batch')) c (n, contender, label) ORDER BY c.n;
\o :out/demote.dat
SELECT format('"%s" %s %s', l.label, pg_temp.best(l.section, l.ext) / pg_temp.best(l.section, l.bare),
              coalesce((pg_temp.best(l.section, l.plpgsql) / pg_temp.best(l.section, l.bare))::text, 'NaN'))
  FROM (VALUES (1, 'demote', 'ext', NULL, 'bare', format('INSERT\n%s rows', :'insert_rows')),
               (2, 'demote', 'ext_cap', 'plpgsql_cap', 'bare_cap', format('INSERT\n%s rows', :'cap_rows')),
               (3, 'copy', 'ext', NULL, 'bare', format('COPY\n%s rows', :'insert_rows')),
               (4, 'copy', 'ext_cap', 'plpgsql_cap', 'bare_cap', format('COPY\n%s rows', :'cap_rows')))
       l (n, section, ext, plpgsql, bare, label)
 ORDER BY l.n;
\o
