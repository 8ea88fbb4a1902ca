-- Hasura trackability: every function of schema person_pivots passes the
-- rules Hasura applies when it tracks a function (or a computed field),
-- read from pg_proc. The same check is shown catching bad functions.
\i test/fixtures/host_schema.sql
SET client_min_messages = warning;
ALTER EXTENSION person_pivots UPDATE;
RESET client_min_messages;

-- One row per (function, rule) that fails; the API must give none.
CREATE TEMP VIEW hasura_violations AS
WITH fn AS (
  SELECT p.*, p.oid::regprocedure::text AS signature,
         p.proname IN ('person_active_media', 'person_active_locations', 'primary_location') AS is_read,
         p.proname = 'primary_location' AS is_computed_field,
         p.proname = 'purge_person' AS is_purge
  FROM pg_proc p WHERE p.pronamespace = 'person_pivots'::regnamespace
), checks AS (
  SELECT fn.signature, r.rule, r.ok FROM fn, LATERAL (VALUES
    ('returns SETOF core_api.person_media or core_api.person_locations',
     fn.is_purge OR (fn.proretset AND fn.prorettype IN ('core_api.person_media'::regtype,
                                                        'core_api.person_locations'::regtype))),
    ('is a plain function', fn.prokind = 'f'),
    ('every argument named',
     fn.pronargs = 0 OR (fn.proargnames IS NOT NULL
                         AND cardinality(fn.proargnames) = coalesce(cardinality(fn.proallargtypes), fn.pronargs)
                         AND NOT '' = ANY (fn.proargnames))),
    ('IN arguments only', fn.proargmodes IS NULL),
    ('no VARIADIC', fn.provariadic = 0),
    ('no overload',
     (SELECT count(*) FROM pg_proc o WHERE o.pronamespace = fn.pronamespace AND o.proname = fn.proname) = 1),
    ('session argument hasura_session json, last',
     fn.is_computed_field OR fn.is_purge
     OR (fn.pronargs > 0 AND fn.proargnames[fn.pronargs] = 'hasura_session'
         AND fn.proargtypes[fn.pronargs - 1] = 'json'::regtype)),
    ('every argument named hasura_session is json',
     NOT EXISTS (SELECT FROM generate_subscripts(fn.proargnames, 1) i
                 WHERE fn.proargnames[i] = 'hasura_session' AND fn.proargtypes[i - 1] <> 'json'::regtype)),
    ('writes VOLATILE, reads STABLE', fn.provolatile = CASE WHEN fn.is_read THEN 's' ELSE 'v' END),
    ('computed field: one argument, the people row type',
     NOT fn.is_computed_field
     OR (fn.pronargs = 1 AND fn.proargtypes[0] =
         (SELECT reltype FROM pg_class WHERE oid = coalesce(to_regclass('core_api.people'),
                                                            to_regclass('core_api.peoples')))))
  ) AS r(rule, ok)
)
SELECT signature, rule FROM checks WHERE NOT ok
UNION ALL
-- exactly the contract's functions, nothing Hasura would refuse
SELECT coalesce(fn.signature, c.name), CASE WHEN fn.proname IS NULL THEN 'missing' ELSE 'not in the contract' END
FROM fn FULL JOIN unnest(ARRAY['link_person_media', 'unlink_person_media', 'sync_person_media',
  'sync_person_media_batch', 'person_active_media', 'link_person_location', 'unlink_person_location',
  'set_primary_location', 'sync_person_locations', 'sync_person_locations_batch', 'person_active_locations',
  'primary_location', 'purge_person']) AS c(name) ON c.name = fn.proname
WHERE fn.proname IS NULL OR c.name IS NULL
ORDER BY 1, 2;

-- the API as Hasura sees it
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments,
       CASE WHEN p.proretset THEN 'SETOF ' ELSE '' END || p.prorettype::regtype AS returns,
       p.provolatile AS volatility
FROM pg_proc p WHERE p.pronamespace = 'person_pivots'::regnamespace ORDER BY 1;

-- no violation
SELECT * FROM hasura_violations;

-- the check can fail: each rule catches a function that breaks it
BEGIN;
CREATE FUNCTION person_pivots.bad_returns_int(person_id uuid, hasura_session json) RETURNS integer
  LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE FUNCTION person_pivots.bad_unnamed(uuid, hasura_session json) RETURNS SETOF core_api.person_media
  LANGUAGE sql VOLATILE AS 'SELECT * FROM core_api.person_media';
CREATE FUNCTION person_pivots.bad_variadic(hasura_session json, VARIADIC media_ids uuid[])
  RETURNS SETOF core_api.person_media LANGUAGE sql VOLATILE AS 'SELECT * FROM core_api.person_media';
CREATE FUNCTION person_pivots.person_active_media(person_id uuid, limit_rows integer, hasura_session json)
  RETURNS SETOF core_api.person_media LANGUAGE sql STABLE AS 'SELECT * FROM core_api.person_media';
CREATE FUNCTION person_pivots.bad_session(person_id uuid, hasura_session jsonb)
  RETURNS SETOF core_api.person_media LANGUAGE sql VOLATILE AS 'SELECT * FROM core_api.person_media';
CREATE FUNCTION person_pivots.bad_out(person_id uuid, hasura_session json, OUT n integer)
  RETURNS SETOF integer LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE OR REPLACE FUNCTION person_pivots.person_active_locations(person_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations LANGUAGE sql VOLATILE AS 'SELECT * FROM core_api.person_locations';
CREATE OR REPLACE FUNCTION person_pivots.unlink_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media LANGUAGE sql STABLE AS 'SELECT * FROM core_api.person_media';
DROP FUNCTION person_pivots.primary_location(core_api.people);
CREATE FUNCTION person_pivots.primary_location(person core_api.media)
  RETURNS SETOF core_api.person_locations LANGUAGE sql STABLE AS 'SELECT * FROM core_api.person_locations';
CREATE PROCEDURE person_pivots.bad_procedure(person_id uuid, hasura_session json)
  LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION person_pivots.purge_person(uuid);
SELECT * FROM hasura_violations;
ROLLBACK;
SELECT count(*) AS violations_after_rollback FROM hasura_violations;

-- The Hasura metadata example (docs/hasura/metadata) tracks exactly these
-- functions, each as its volatility says, with the json session argument;
-- primary_location is the computed field on people; every relationship
-- follows a foreign key that exists; the pivots are read-only through
-- Hasura and their select permissions filter deleted_at and the workspace.
\set functions_yaml `cat docs/hasura/metadata/databases/default/functions/person_pivots_*.yaml`
\set includes_yaml `cat docs/hasura/metadata/databases/default/functions/functions.yaml`
\set tables_include_yaml `cat docs/hasura/metadata/databases/default/tables/tables.yaml`
\set people_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_people.yaml`
\set person_media_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_person_media.yaml`
\set person_locations_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_person_locations.yaml`
\set media_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_media.yaml`
\set locations_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_locations.yaml`
\set workspaces_yaml `cat docs/hasura/metadata/databases/default/tables/core_api_workspaces.yaml`
CREATE TEMP TABLE tracked AS
SELECT m[1] AS name, m[2] AS schema, m[3] AS exposed_as, m[4] AS session_argument
FROM regexp_matches(:'functions_yaml',
  'function:\s+name: (\w+)\s+schema: (\w+)\s+configuration:\s+exposed_as: (\w+)\s+session_argument: (\w+)', 'g') m;
SELECT coalesce(p.proname::text, t.name) AS function,
       CASE WHEN t.name IS NULL THEN 'not tracked'
            WHEN p.proname IS NULL THEN 'tracked but absent'
            WHEN t.exposed_as <> CASE p.provolatile WHEN 'v' THEN 'mutation' ELSE 'query' END THEN 'exposed_as ' || t.exposed_as
            WHEN t.session_argument <> 'hasura_session'
              OR NOT t.session_argument = ANY (p.proargnames) THEN 'session_argument ' || t.session_argument
            WHEN NOT :'includes_yaml' LIKE '%!include person_pivots_' || t.name || '.yaml%' THEN 'not in functions.yaml'
       END AS metadata_problem
FROM (SELECT * FROM pg_proc WHERE pronamespace = 'person_pivots'::regnamespace
        AND proname NOT IN ('purge_person', 'primary_location')) p
FULL JOIN tracked t ON t.name = p.proname AND t.schema = 'person_pivots'
ORDER BY 1;
SELECT (regexp_match(:'people_yaml', 'computed_fields:\s+- name: (\w+)\s+definition:\s+function:\s+name: (\w+)\s+schema: (\w+)\s+table_argument: (\w+)'))
       = ARRAY['primary_location', 'primary_location', 'person_pivots',
               (SELECT proargnames[1] FROM pg_proc WHERE oid = 'person_pivots.primary_location'::regproc)]
       AS computed_field_matches;
CREATE TEMP TABLE metadata_tables AS
SELECT * FROM (VALUES ('people', :'people_yaml'), ('person_media', :'person_media_yaml'),
  ('person_locations', :'person_locations_yaml'), ('media', :'media_yaml'), ('locations', :'locations_yaml'),
  ('workspaces', :'workspaces_yaml')) v(name, yaml);
-- each file tracks its table and is included
SELECT name, yaml ~ ('^table:\s+name: ' || name || '\s+schema: core_api\s') AS header_ok,
       :'tables_include_yaml' LIKE '%!include core_api_' || name || '.yaml%' AS included
FROM metadata_tables ORDER BY 1;
-- relationships: (table, column) -> (referenced table), each an existing foreign key
SELECT r.tbl, r.col, r.remote,
       EXISTS (SELECT FROM pg_constraint c
               WHERE c.contype = 'f' AND c.conrelid = ('core_api.' || r.tbl)::regclass
                 AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                                       WHERE attrelid = ('core_api.' || r.tbl)::regclass AND attname = r.col)]
                 AND (r.remote IS NULL OR c.confrelid = ('core_api.' || r.remote)::regclass)) AS foreign_key_exists
FROM (SELECT name AS tbl, m[1] AS col, NULL AS remote
      FROM metadata_tables, regexp_matches(yaml, 'foreign_key_constraint_on: (\w+)', 'g') m
      UNION ALL
      SELECT m[2], m[1], name
      FROM metadata_tables, regexp_matches(yaml, 'foreign_key_constraint_on:\s+column: (\w+)\s+table:\s+name: (\w+)\s+schema: core_api', 'g') m) r
ORDER BY 1, 2, 3;
-- the pivots: select only, active rows of the caller's workspace
SELECT name,
       yaml !~ '(insert|update|delete)_permissions' AS read_only,
       yaml ~ 'filter:\s+_and:\s+- deleted_at:\s+_is_null: true\s+- person:\s+workspace:\s+workspace_id:\s+_eq: X-Hasura-Workspace-Id'
         AS filters_deleted_and_workspace,
       yaml !~ '- (pk|person_pk|media_pk|location_pk)\n' AS no_internal_keys
FROM metadata_tables WHERE name LIKE 'person\_%' ORDER BY 1;
