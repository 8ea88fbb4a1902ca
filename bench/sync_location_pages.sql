-- Writes the client script of one location sync run (psql -At -o <file>):
-- every person :first_person.. (:sync_people of them) gets the target
-- state of bench.location_links (bench/load_location_state.sql: 10% of the
-- links gone, 10% new, 10% of the people moving their primary, 10% of the
-- labels edited), pages of :page_size people, one transaction per page.
-- Each person's input lists all 8 of their links, as a connector sends it.
-- :kind picks the contender:
--   batch   person_pivots.sync_person_locations_batch(jsonb), one call per page
--   single  person_pivots.sync_person_locations(uuid, jsonb), one call per person
--   sql     the two prepared set-based statements (baselines/sync_locations_sql.sql)
--   plpgsql bench_plpgsql.sync_person_locations_batch(jsonb), one call per page
-- Every call's rows are counted by the server, so no contender ships rows.
WITH link AS (
  SELECT l.person_pk AS p, (l.person_pk - :first_person) / :page_size AS page,
         bench.person_uuid(l.person_pk) AS pid, bench.location_uuid(l.location_pk) AS lid,
         l.label, l.is_primary, l.is_legal,
         row_number() OVER (PARTITION BY l.person_pk ORDER BY l.location_pk) AS n
    FROM bench.location_links(:first_person, :sync_people, true, :locations) l),
person AS (
  SELECT p, page, pid,
         jsonb_agg(jsonb_build_object('location_id', lid, 'label', label, 'is_primary', is_primary,
                                      'is_legal', is_legal) ORDER BY n) AS locations
    FROM link GROUP BY p, page, pid),
script AS (
  SELECT page, format('SELECT count(*) FROM person_pivots.sync_person_locations_batch(%L);',
                      jsonb_object_agg(pid, locations)) AS body
    FROM person WHERE :'kind' = 'batch' GROUP BY page
  UNION ALL
  SELECT page, format('SELECT count(*) FROM bench_plpgsql.sync_person_locations_batch(%L);',
                      jsonb_object_agg(pid, locations))
    FROM person WHERE :'kind' = 'plpgsql' GROUP BY page
  UNION ALL
  SELECT page, string_agg(format('SELECT count(*) FROM person_pivots.sync_person_locations(%L, %L);',
                                 pid, locations), E'\n' ORDER BY p)
    FROM person WHERE :'kind' = 'single' GROUP BY page
  UNION ALL
  -- the page's people, every entry, then each person's primary entry
  SELECT page, format(E'EXECUTE bench_sync_locations(%L, %L, %L, %L, %L, %L);\n'
                      'EXECUTE bench_sync_locations_primary(%L, %L, %L, %L);',
                      (SELECT array_agg(DISTINCT pid) FROM link i WHERE i.page = o.page),
                      array_agg(pid ORDER BY p, n), array_agg(lid ORDER BY p, n), array_agg(label ORDER BY p, n),
                      array_agg(is_primary ORDER BY p, n), array_agg(is_legal ORDER BY p, n),
                      array_agg(pid ORDER BY p, n) FILTER (WHERE is_primary),
                      array_agg(lid ORDER BY p, n) FILTER (WHERE is_primary),
                      array_agg(label ORDER BY p, n) FILTER (WHERE is_primary),
                      array_agg(is_legal ORDER BY p, n) FILTER (WHERE is_primary))
    FROM link o WHERE :'kind' = 'sql' GROUP BY page)
SELECT E'BEGIN;\n' || body || E'\nCOMMIT;' FROM script ORDER BY page;
