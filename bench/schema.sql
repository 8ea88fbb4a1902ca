-- Benchmark data: the test fixture's host schema (the same DDL the
-- regression tests use, extension installed), emptied, then filled with
-- :people people, :media media and :locations locations, all in workspace 1.
-- Ids are derived from pk so every client can compute them:
--   person  pk n -> b0000000-0000-4000-8000-<n as 12 hex digits>
--   media   pk n -> c0000000-0000-4000-8000-<...>
--   location pk n -> d0000000-0000-4000-8000-<...>
\i test/fixtures/host_schema.sql
\set ECHO none
SET client_min_messages = warning;

TRUNCATE core_api.person_media, core_api.person_locations, core_api.people, core_api.media,
  core_api.locations, core_api.workspaces RESTART IDENTITY;
INSERT INTO core_api.workspaces (workspace_id) VALUES
  ('aaaaaaaa-0000-0000-0000-000000000001'), ('aaaaaaaa-0000-0000-0000-000000000002');

CREATE SCHEMA bench;
CREATE FUNCTION bench.person_uuid(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ('b0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid;
CREATE FUNCTION bench.media_uuid(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ('c0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid;
CREATE FUNCTION bench.location_uuid(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ('d0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid;
GRANT USAGE ON SCHEMA bench TO pp_app;
-- CPU time this backend has used, in seconds (Linux): the scheduler's
-- nanosecond count, else utime + stime in clock ticks (assumed 100 Hz).
CREATE FUNCTION bench.cpu_seconds() RETURNS numeric LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  stat text[];
BEGIN
  RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::numeric / 1e9;
EXCEPTION WHEN undefined_file OR insufficient_privilege OR invalid_text_representation THEN
  stat := string_to_array(pg_read_file('/proc/self/stat'), ' ');
  RETURN (stat[14]::numeric + stat[15]::numeric) / 100;
END $$;
REVOKE ALL ON FUNCTION bench.cpu_seconds() FROM PUBLIC;

INSERT INTO core_api.people (pk, person_id, workspace_pk)
  SELECT n, bench.person_uuid(n), 1 FROM generate_series(1, :people) n;
INSERT INTO core_api.media (pk, media_id, workspace_pk)
  SELECT n, bench.media_uuid(n), 1 FROM generate_series(1, :media) n;
INSERT INTO core_api.locations (pk, location_id, workspace_pk)
  SELECT n, bench.location_uuid(n), 1 FROM generate_series(1, :locations) n;
SELECT setval('core_api.people_pk_seq', :people), setval('core_api.media_pk_seq', :media),
  setval('core_api.locations_pk_seq', :locations) \g /dev/null

-- The hand-written set_primary_location transaction locks the person row
-- itself (FOR NO KEY UPDATE needs an UPDATE privilege), and so do the
-- PL/pgSQL triggers; the extension locks it as the people table's owner.
GRANT UPDATE (deleted_at) ON core_api.people TO pp_app;

VACUUM ANALYZE core_api.people, core_api.media, core_api.locations, core_api.workspaces;
RESET client_min_messages;
