-- The person_media state a sync run starts from, as a connector would have
-- left it after :version - 1 runs: people :first_person.. (:sync_people of
-- them) with their active media window :version - 1 (bench/sync_pages.sql)
-- and the links that the 4 runs before dropped, soft-deleted (8 history
-- rows per person). Loaded by the table owner (the maintenance path keeps
-- the given timestamps).
\set ECHO none
SET client_min_messages = warning;
TRUNCATE core_api.person_media RESTART IDENTITY;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at, deleted_at)
  SELECT p, 1 + ((p * 37 + k) % :media), now() - interval '30 days', now() - interval '1 day',
         now() - interval '1 day'
    FROM generate_series(:first_person, :first_person + :sync_people - 1) p,
         generate_series(greatest(0, 2 * (:version - 5)), 2 * (:version - 1) - 1) k
   ORDER BY p, k;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at)
  SELECT p, 1 + ((p * 37 + k) % :media), now() - interval '30 days', now() - interval '30 days'
    FROM generate_series(:first_person, :first_person + :sync_people - 1) p,
         generate_series(2 * (:version - 1), 2 * (:version - 1) + 19) k
   ORDER BY p, k;
VACUUM ANALYZE core_api.person_media;
VACUUM core_api.people;
CHECKPOINT;
