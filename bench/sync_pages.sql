-- Writes the client script of one sync run (psql -At -o <file>): every
-- person 1..:sync_people gets media window :version, pages of :page_size
-- people, one transaction per page. Person p's media at version v are
-- the 20 media 1 + ((37 p + k) mod :media) for k in [2v, 2v + 20): each
-- version drops 2 of a person's 20 links and adds 2 (10% churn).
-- :kind picks the contender:
--   batch   person_pivots.sync_person_media_batch(jsonb), one call per page
--   single  person_pivots.sync_person_media(uuid, uuid[]), one call per person
--   sql     the prepared set-based statement (baselines/sync_media_sql.sql)
--   plpgsql bench_plpgsql.sync_person_media_batch(jsonb), one call per page
-- Every call's rows are counted by the server, so no contender ships rows.
WITH person AS (
  SELECT p, (p - 1) / :page_size AS page, bench.person_uuid(p) AS pid,
         array_agg(bench.media_uuid(1 + ((p * 37 + k) % :media))) AS mids
    FROM generate_series(:first_person, :first_person + :sync_people - 1) p,
         generate_series(2 * :version, 2 * :version + 19) k
   GROUP BY p),
pair AS (
  SELECT person.page, person.p, person.pid, m.mid FROM person, unnest(person.mids) m (mid)),
script AS (
  SELECT page, format('SELECT count(*) FROM person_pivots.sync_person_media_batch(%L);',
                      jsonb_object_agg(pid, to_jsonb(mids))) AS body
    FROM person WHERE :'kind' = 'batch' GROUP BY page
  UNION ALL
  SELECT page, format('SELECT count(*) FROM bench_plpgsql.sync_person_media_batch(%L);',
                      jsonb_object_agg(pid, to_jsonb(mids)))
    FROM person WHERE :'kind' = 'plpgsql' GROUP BY page
  UNION ALL
  SELECT page, string_agg(format('SELECT count(*) FROM person_pivots.sync_person_media(%L, %L);', pid, mids),
                          E'\n' ORDER BY p)
    FROM person WHERE :'kind' = 'single' GROUP BY page
  UNION ALL
  SELECT page, format('EXECUTE bench_sync_media(%L, %L, %L);',
                      (SELECT array_agg(pid ORDER BY p) FROM person i WHERE i.page = o.page),
                      array_agg(pid ORDER BY p), array_agg(mid ORDER BY p))
    FROM pair o WHERE :'kind' = 'sql' GROUP BY page)
SELECT E'BEGIN;\n' || body || E'\nCOMMIT;' FROM script ORDER BY page;
