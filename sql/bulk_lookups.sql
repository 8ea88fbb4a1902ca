-- Rule 6 in statements large enough that the triggers stop probing the host
-- tables row by row and read each one once (src/entity_cache.cpp: after
-- 8192 probes and 1/32 of the table): the workspace check must give the
-- same answers from that copy, and rows the copy lacks are still probed.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
SET client_min_messages = warning;
-- 9000 more people and media in workspace 1: pks 5..9004 for both
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT md5('person' || g)::uuid, 1 FROM generate_series(1, 9000) g;
INSERT INTO core_api.media (media_id, workspace_pk)
  SELECT md5('media' || g)::uuid, 1 FROM generate_series(1, 9000) g;
ANALYZE core_api.people, core_api.media;
RESET client_min_messages;
SET ROLE pp_app;

-- 9000 links, then a link across workspaces as the last row, after the
-- tables were read: person 9004 is in workspace 1, media 4 in workspace 2
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g FROM generate_series(5, 9004) g
  UNION ALL SELECT 9004, 4;
-- the other way round: person 4 of workspace 2, media 9004 of workspace 1
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g FROM generate_series(5, 9004) g
  UNION ALL SELECT 4, 9004;
-- a person and a media the copy never had: still reported as missing
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g FROM generate_series(5, 9004) g
  UNION ALL SELECT 99999, 5;
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g FROM generate_series(5, 9004) g
  UNION ALL SELECT 5, 99999;
-- none of the failed statements left a row
SELECT count(*) AS links FROM core_api.person_media;

-- 9000 links, each a distinct person and media: both tables are read once
-- (DEBUG1 says when)
SET client_min_messages = debug1;
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g FROM generate_series(5, 9004) g;
RESET client_min_messages;
SELECT count(*) AS links, count(DISTINCT person_pk) AS people, count(DISTINCT media_pk) AS media
  FROM core_api.person_media;

-- a person the same statement inserts after the copy was made is not in the
-- copy: it is probed, and its workspace (2) is checked, against media 4 of
-- workspace 2 (allowed) and media 9004 of workspace 1 (refused). As the
-- table owner: the application role cannot insert people.
RESET ROLE;
BEGIN;
WITH p AS (INSERT INTO core_api.people (person_id, workspace_pk)
             VALUES ('eeeeeeee-0000-0000-0000-000000000001', 2) RETURNING pk)
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g + 1 FROM generate_series(5, 9003) g
  UNION ALL SELECT pk, 4 FROM p;
SELECT count(*) AS links_of_new_person FROM core_api.person_media m
  JOIN core_api.people p ON p.pk = m.person_pk WHERE p.person_id = 'eeeeeeee-0000-0000-0000-000000000001';
ROLLBACK;
WITH p AS (INSERT INTO core_api.people (person_id, workspace_pk)
             VALUES ('eeeeeeee-0000-0000-0000-000000000002', 2) RETURNING pk)
INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g, g + 1 FROM generate_series(5, 9003) g
  UNION ALL SELECT pk, 9004 FROM p;
SET ROLE pp_app;

-- the same for person_locations, with primaries: 9000 people, one primary
-- location each (location 1); the person lock starts at the copied row
RESET ROLE;
INSERT INTO core_api.locations (location_id, workspace_pk)
  SELECT md5('location' || g)::uuid, 1 FROM generate_series(1, 9000) g;
SET ROLE pp_app;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g, g + 1, 'home', true FROM generate_series(5, 9004) g;
SET client_min_messages = debug1;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g, 1, 'office', true FROM generate_series(5, 9004) g;
RESET client_min_messages;
SELECT count(*) FILTER (WHERE is_primary) AS primaries,
       count(*) FILTER (WHERE is_primary AND location_pk = 1) AS office_primaries,
       count(*) AS links
  FROM core_api.person_locations WHERE person_pk >= 5;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g, 2, 'x', false FROM generate_series(5, 9004) g
  UNION ALL SELECT 9004, 5, 'other workspace', true;
RESET ROLE;
