-- The person_locations state a location sync run (bench/run.sh sections
-- locsync and memory) starts from, and the definition of its target.
--
-- bench.location_links(first_person, people, target, locations) lists the
-- active links of people first_person.. (people of them) at the start
-- (target false) or at the target (target true). Person p has 8 slots
-- k = 0..7; slot k holds location 1 + ((16 p + j) * 7919) mod :locations
-- with j = k at the start, and at the target:
--   gone/new  when (8 p + k) mod 10 = 0 the slot's link is gone and j = k + 8
--             is new (exactly 10% of the links: 8 p + k runs over
--             consecutive integers; at most one slot per person, always even)
--   label     'label <k>'; when (8 p + k) mod 10 = 3, 'label <k> v2' at the
--             target (10% of the links, never a gone one)
--   primary   slot s = 2 (p mod 4) + 1 (odd, so never gone); people with
--             p mod 10 = 7 move it to slot (s + 2) mod 8 (10% of the people)
--   is_legal  slot 6 (a gone slot 6 is replaced by a legal new link)
-- The 16 locations j = 0..15 of a person are distinct.
--
-- Then loads the start state of people :first_person.. (:sync_people of
-- them): their 8 active links, 30 days old, and 2 soft-deleted history
-- links each (j = 16, 17). Loaded by the table owner (the maintenance path
-- keeps the given timestamps); the other people's links are removed.
\set ECHO none
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION bench.location_links(first_person integer, people integer, target boolean,
                                                locations integer)
RETURNS TABLE (person_pk integer, location_pk integer, label varchar, is_primary boolean, is_legal boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT p, 1 + ((p * 16 + CASE WHEN target AND (8 * p + k) % 10 = 0 THEN k + 8 ELSE k END)::bigint * 7919)
               % locations,
         CASE WHEN target AND (8 * p + k) % 10 = 3 THEN 'label ' || k || ' v2' ELSE 'label ' || k END,
         k = CASE WHEN target AND p % 10 = 7 THEN (2 * (p % 4) + 3) % 8 ELSE 2 * (p % 4) + 1 END,
         k = 6
    FROM generate_series(first_person, first_person + people - 1) p, generate_series(0, 7) k
   ORDER BY p, k;
END;
GRANT EXECUTE ON FUNCTION bench.location_links(integer, integer, boolean, integer) TO pp_app;

TRUNCATE core_api.person_locations RESTART IDENTITY;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary, is_legal, created_at, deleted_at)
  SELECT p, 1 + ((p * 16 + j)::bigint * 7919) % :locations, 'label ' || j, false, false,
         now() - interval '60 days', now() - interval '30 days'
    FROM generate_series(:first_person, :first_person + :sync_people - 1) p, generate_series(16, 17) j
   ORDER BY p, j;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary, is_legal, created_at)
  SELECT l.person_pk, l.location_pk, l.label, l.is_primary, l.is_legal, now() - interval '30 days'
    FROM bench.location_links(:first_person, :sync_people, false, :locations) l;
VACUUM ANALYZE core_api.person_locations;
VACUUM core_api.people;
CHECKPOINT;
RESET client_min_messages;
