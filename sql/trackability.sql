-- Hasura trackability: every function of schema person_pivots passes the
-- rules Hasura applies when it tracks a function (or a computed field),
-- read from pg_proc. The same check is shown catching bad functions.
\i test/fixtures/host_schema.sql
SET client_min_messages = warning;
ALTER EXTENSION person_pivots UPDATE TO '1.1';
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
