-- person_pivots 1.0: database-enforced rules for core_api.person_media and
-- core_api.person_locations. Every name below is schema-qualified; the
-- functions pin their search_path.

\echo Use "CREATE EXTENSION person_pivots" to load this file. \quit

CREATE SCHEMA person_pivots;
COMMENT ON SCHEMA person_pivots IS
  'person_pivots API: the functions Hasura tracks (mutations and queries on the pivot tables)';
GRANT USAGE ON SCHEMA person_pivots TO PUBLIC;

CREATE SCHEMA person_pivots_internal;
COMMENT ON SCHEMA person_pivots_internal IS
  'person_pivots internals: trigger functions and the installer; not for applications';
REVOKE ALL ON SCHEMA person_pivots_internal FROM PUBLIC;

-- Trigger functions (C++). Members of the extension: DROP EXTENSION is
-- refused while the tables' triggers use them.
CREATE FUNCTION person_pivots_internal.person_media_guard() RETURNS trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'person_media_guard';
COMMENT ON FUNCTION person_pivots_internal.person_media_guard() IS
  'BEFORE ROW trigger of core_api.person_media: system columns, one-way soft delete, fixed endpoints, DELETE as soft delete, same workspace';
CREATE FUNCTION person_pivots_internal.person_media_truncate_guard() RETURNS trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'person_media_truncate_guard';
COMMENT ON FUNCTION person_pivots_internal.person_media_truncate_guard() IS
  'BEFORE TRUNCATE trigger of core_api.person_media: refuses TRUNCATE by application roles';
CREATE FUNCTION person_pivots_internal.person_locations_guard() RETURNS trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'person_locations_guard';
COMMENT ON FUNCTION person_pivots_internal.person_locations_guard() IS
  'BEFORE ROW trigger of core_api.person_locations: the person_media rules plus one active primary per person (demote or refuse)';
CREATE FUNCTION person_pivots_internal.person_locations_truncate_guard() RETURNS trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'person_locations_truncate_guard';
COMMENT ON FUNCTION person_pivots_internal.person_locations_truncate_guard() IS
  'BEFORE TRUNCATE trigger of core_api.person_locations: refuses TRUNCATE by application roles';

-- (Builds before 1.2 also created person_pivots_internal.boundary_probe
-- here, a test-only function; it now lives in the test module, and the
-- 1.1--1.2 script drops it from databases that have it.)

CREATE FUNCTION person_pivots_internal.install_tables(api_functions text) RETURNS void
  LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'install_tables';
COMMENT ON FUNCTION person_pivots_internal.install_tables(text) IS
  'Creates or adopts the pivot tables and creates the API functions; runs only inside CREATE EXTENSION';
REVOKE ALL ON FUNCTION person_pivots_internal.install_tables(text) FROM PUBLIC;

-- The API. Its functions return SETOF the pivot tables (Hasura tracks only
-- such functions), so they can exist only once the tables do: the
-- installer runs this text after creating or adopting the tables. Like the
-- tables, they are ordinary objects (not extension members), so pg_dump
-- writes them after the tables and a restore recreates them exactly.
SELECT person_pivots_internal.install_tables($api$

CREATE FUNCTION person_pivots.link_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'link_person_media';
COMMENT ON FUNCTION person_pivots.link_person_media(uuid, uuid, json) IS
  'Returns the active link of the person and the media, creating it if needed (idempotent)';

CREATE FUNCTION person_pivots.unlink_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'unlink_person_media';
COMMENT ON FUNCTION person_pivots.unlink_person_media(uuid, uuid, json) IS
  'Soft-deletes the active link of the person and the media; returns it, or nothing if there was none';

CREATE FUNCTION person_pivots.sync_person_media(person_id uuid, media_ids uuid[], hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'sync_person_media';
COMMENT ON FUNCTION person_pivots.sync_person_media(uuid, uuid[], json) IS
  'Makes the person''s active media exactly media_ids (link new, soft-delete gone, keep the rest untouched); returns the active rows';

CREATE FUNCTION person_pivots.sync_person_media_batch(people jsonb, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'sync_person_media_batch';
COMMENT ON FUNCTION person_pivots.sync_person_media_batch(jsonb, json) IS
  'sync_person_media for a page of people: {"<person_id>": ["<media_id>", ...], ...}; returns the active rows';

CREATE FUNCTION person_pivots.person_active_media(person_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'person_active_media';
COMMENT ON FUNCTION person_pivots.person_active_media(uuid, json) IS
  'The person''s active media links, oldest first; empty for an unknown or out-of-scope person';

CREATE FUNCTION person_pivots.link_person_location(person_id uuid, location_id uuid, label text,
    is_primary boolean DEFAULT false, is_legal boolean DEFAULT false, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'link_person_location';
COMMENT ON FUNCTION person_pivots.link_person_location(uuid, uuid, text, boolean, boolean, json) IS
  'Creates the active link of the person and the location, or updates its label and flags; a primary demotes the previous one';

CREATE FUNCTION person_pivots.unlink_person_location(person_id uuid, location_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'unlink_person_location';
COMMENT ON FUNCTION person_pivots.unlink_person_location(uuid, uuid, json) IS
  'Soft-deletes the active link of the person and the location; returns it, or nothing if there was none';

CREATE FUNCTION person_pivots.set_primary_location(person_id uuid, location_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'set_primary_location';
COMMENT ON FUNCTION person_pivots.set_primary_location(uuid, uuid, json) IS
  'Makes the person''s active link to the location primary, demoting the previous primary; returns the new primary';

CREATE FUNCTION person_pivots.sync_person_locations(person_id uuid, locations jsonb, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'sync_person_locations';
COMMENT ON FUNCTION person_pivots.sync_person_locations(uuid, jsonb, json) IS
  'Makes the person''s active locations exactly the input [{"location_id","label","is_primary","is_legal"}]; returns the active rows';

CREATE FUNCTION person_pivots.sync_person_locations_batch(people jsonb, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'sync_person_locations_batch';
COMMENT ON FUNCTION person_pivots.sync_person_locations_batch(jsonb, json) IS
  'sync_person_locations for a page of people: {"<person_id>": [{"location_id", ...}], ...}; returns the active rows';

CREATE FUNCTION person_pivots.person_active_locations(person_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'person_active_locations';
COMMENT ON FUNCTION person_pivots.person_active_locations(uuid, json) IS
  'The person''s active location links, primary first; empty for an unknown or out-of-scope person';

CREATE FUNCTION person_pivots.primary_location(person {people})
  RETURNS SETOF core_api.person_locations
  LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'primary_location';
COMMENT ON FUNCTION person_pivots.primary_location({people}) IS
  'Hasura computed field on people: the person''s active primary location, if any';

-- Privileged erasure. SECURITY DEFINER because physical removal is refused
-- to every role but the tables' owner; EXECUTE goes only to the roles the
-- DBA grants it to.
CREATE FUNCTION person_pivots.purge_person(person_id uuid)
  RETURNS bigint
  LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'purge_person';
COMMENT ON FUNCTION person_pivots.purge_person(uuid) IS
  'Erasure request: physically removes every pivot row of the person, logs it, returns how many rows went; maintenance roles only';
REVOKE ALL ON FUNCTION person_pivots.purge_person(uuid) FROM PUBLIC;

$api$);
