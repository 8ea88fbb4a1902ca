-- The transaction mix (bench/run.sh section txmix): helpers the pgbench
-- scripts of every contender share, and the starting state each round
-- resets to. Loaded after bench/schema.sql, with :txmix_people people,
-- :locations locations and :media media.
--
-- Person n (pk n, bench.person_uuid(n)) has 8 locations and 6 media of its
-- own: location l (1-8) is pk 1 + ((n * 8 + l) * 7919) % :locations, media
-- m (1-6) is pk 1 + ((n * 6 + m) * 7919) % :media (distinct for every
-- (n, l) and (n, m) while n * 8 + 8 < :locations: 7919 is prime). Own
-- rows keep the workspace's hot spots out of the measurement: the host
-- rows the foreign keys share-lock belong to one person each.
-- Desired states of the sync calls are deterministic in (seed, person), so
-- a script draws numbers only and every statement of a hand-written
-- transaction computes the same state.
\set ECHO none
SET client_min_messages = warning;
DROP FUNCTION IF EXISTS bench.txmix_location(int, int), bench.txmix_media(int, int) CASCADE;

CREATE FUNCTION bench.txmix_location(p int, l int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 1 + ((p * 8 + l)::bigint * 7919) % :locations;
CREATE FUNCTION bench.txmix_media(p int, m int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 1 + ((p * 6 + m)::bigint * 7919) % :media;
CREATE FUNCTION bench.txmix_location_uuid(p int, l int) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN bench.location_uuid(bench.txmix_location(p, l));
CREATE FUNCTION bench.txmix_media_uuid(p int, m int) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN bench.media_uuid(bench.txmix_media(p, m));

-- The whole desired location state of person p: location 1 + (seed + p) % 8
-- always (primary for 4 seeds in 5) and about half of the others; labels
-- and is_legal vary with the seed, so a sync also updates rows it keeps.
CREATE FUNCTION bench.txmix_wanted_locations(seed int, p int)
  RETURNS TABLE (l int, label text, is_primary boolean, is_legal boolean) LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT l, CASE WHEN (seed + l) % 3 = 0 THEN 'Synced ' ELSE 'Place ' END || l,
         (seed + p) % 5 <> 0 AND l = 1 + (seed + p) % 8, (seed + l) % 4 = 0
    FROM generate_series(1, 8) l
   WHERE l = 1 + (seed + p) % 8 OR (seed * 7 + p * 13 + l * 29) % 11 < 5;
END;
CREATE FUNCTION bench.txmix_wanted_media(seed int, p int) RETURNS TABLE (m int) LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT m FROM generate_series(1, 6) m WHERE (seed * 5 + p * 11 + m * 17) % 7 < 4;
END;

-- The same states as API input (jsonb, DESIGN §4 shapes), for the functions.
CREATE FUNCTION bench.txmix_locations_json(seed int, p int) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT jsonb_agg(jsonb_build_object('location_id', bench.txmix_location_uuid(p, w.l), 'label', w.label,
                                              'is_primary', w.is_primary, 'is_legal', w.is_legal) ORDER BY w.l)
            FROM bench.txmix_wanted_locations(seed, p) w);
CREATE FUNCTION bench.txmix_location_page(people int[], seed int) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT jsonb_object_agg(bench.person_uuid(p), bench.txmix_locations_json(seed, p)) FROM unnest(people) p);
CREATE FUNCTION bench.txmix_media_page(people int[], seed int) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT jsonb_object_agg(bench.person_uuid(p),
                   (SELECT coalesce(jsonb_agg(bench.txmix_media_uuid(p, w.m) ORDER BY w.m), '[]')
                      FROM bench.txmix_wanted_media(seed, p) w))
            FROM unnest(people) p);

-- The same states as uuids, for the hand-written SQL (which resolves them
-- itself, as an application would).
CREATE FUNCTION bench.txmix_location_wants(people int[], seed int)
  RETURNS TABLE (person_id uuid, location_id uuid, label text, is_primary boolean, is_legal boolean)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT bench.person_uuid(p), bench.txmix_location_uuid(p, w.l), w.label, w.is_primary, w.is_legal
    FROM unnest(people) p, bench.txmix_wanted_locations(seed, p) w;
END;
CREATE FUNCTION bench.txmix_media_wants(people int[], seed int) RETURNS TABLE (person_id uuid, media_id uuid)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT bench.person_uuid(p), bench.txmix_media_uuid(p, w.m) FROM unnest(people) p, bench.txmix_wanted_media(seed, p) w;
END;

-- The starting state of every round: locations 1-5 of each person linked
-- (1 primary), media 1-3 linked; nothing soft-deleted. Run by the owner.
CREATE PROCEDURE bench.txmix_reset(people int) LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE core_api.person_locations, core_api.person_media RESTART IDENTITY;
  INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
    SELECT p, bench.txmix_location(p, l), 'Place ' || l, l = 1 FROM generate_series(1, people) p, generate_series(1, 5) l
     ORDER BY p, l;
  INSERT INTO core_api.person_media (person_pk, media_pk)
    SELECT p, bench.txmix_media(p, m) FROM generate_series(1, people) p, generate_series(1, 3) m ORDER BY p, m;
END $$;
RESET client_min_messages;
