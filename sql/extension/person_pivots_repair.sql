-- person_pivots_repair.sql: brings existing core_api.person_media and
-- core_api.person_locations rows to the rules person_pivots enforces, so
-- that CREATE EXTENSION person_pivots can adopt the tables.
--
-- Run it before CREATE EXTENSION, as the tables' owner or a superuser:
--   psql -v ON_ERROR_STOP=1 -f "$(pg_config --sharedir)/extension/person_pivots_repair.sql"
-- It is one transaction, idempotent, and changes only rows that break a rule.
-- Every choice is deterministic; rows are soft-deleted, never removed:
--   1. created_at NULL: the earliest time the row itself records
--      (updated_at, deleted_at), read before any change below;
--   2. two active rows for one (person, target) pair: the newest stays
--      active (for locations, a primary row first), the others are
--      soft-deleted;
--   3. two active primary locations for one person: the newest stays
--      primary, the others become non-primary (what the extension's
--      demotion would have done);
--   4. an active link between a person and a target of two different
--      workspaces: soft-deleted;
--   5. created_at still NULL: the time of this repair; is_primary or
--      is_legal NULL: false.
-- "Newest" means the latest created_at (unknown counts as oldest), then
-- the highest pk. Soft deletes take the time of this repair.
-- Rows it cannot repair by rule (a NULL or dangling person_pk or target,
-- a NULL label, duplicate pk values) make CREATE EXTENSION name them: fix
-- those by hand.

BEGIN;
-- psql runs this under the caller's search_path: pin it, so that no
-- operator or function of another schema can stand in for pg_catalog's.
SET LOCAL search_path = pg_catalog, pg_temp;

DO $repair$
DECLARE
  people regclass := COALESCE(pg_catalog.to_regclass('core_api.people'), pg_catalog.to_regclass('core_api.peoples'));
  pivot record;
  target regclass;
  stamp text;  -- ", updated_at = now()" where the table has updated_at
  n bigint;
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'person_pivots') THEN
    RAISE EXCEPTION 'person_pivots is installed: its rules already hold and nothing needs repair';
  END IF;
  FOR pivot IN
    SELECT * FROM (VALUES ('person_media', 'media_pk', 'media', false),
                          ('person_locations', 'location_pk', 'locations', true)) v(tab, target_column, target_table, has_primary)
  LOOP
    CONTINUE WHEN pg_catalog.to_regclass('core_api.' || pivot.tab) IS NULL;
    stamp := CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('core_api.' || pivot.tab)
                                 AND a.attname OPERATOR(pg_catalog.=) 'updated_at' AND NOT a.attisdropped)
                  THEN ', updated_at = pg_catalog.now()' ELSE '' END;

    -- 1. created_at from the row's own timestamps, before anything changes them
    EXECUTE pg_catalog.format(
      'UPDATE core_api.%1$I t SET created_at = %2$s WHERE t.created_at IS NULL AND %2$s IS NOT NULL',
      pivot.tab, CASE WHEN stamp OPERATOR(pg_catalog.<>) '' THEN 'LEAST(t.updated_at, t.deleted_at)' ELSE 't.deleted_at' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE NOTICE 'core_api.%: % missing created_at taken from the row''s updated_at or deleted_at', pivot.tab, n;

    -- 2. one active row per pair: keep the newest
    EXECUTE pg_catalog.format(
      'WITH ranked AS (SELECT r.ctid AS row_id, pg_catalog.row_number() OVER (PARTITION BY r.person_pk, r.%1$I'
      '  ORDER BY %2$s r.created_at DESC NULLS LAST, r.pk DESC) AS rank FROM core_api.%3$I r WHERE r.deleted_at IS NULL)'
      ' UPDATE core_api.%3$I t SET deleted_at = pg_catalog.now()%4$s FROM ranked'
      ' WHERE t.ctid OPERATOR(pg_catalog.=) ranked.row_id AND ranked.rank OPERATOR(pg_catalog.>) 1',
      pivot.target_column, CASE WHEN pivot.has_primary THEN 'r.is_primary IS TRUE DESC,' ELSE '' END,
      pivot.tab, stamp);
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE NOTICE 'core_api.%: % duplicate active rows soft-deleted', pivot.tab, n;

    -- 3. one active primary per person: keep the newest
    IF pivot.has_primary THEN
      WITH ranked AS (
        SELECT r.ctid AS row_id, pg_catalog.row_number() OVER (PARTITION BY r.person_pk
                 ORDER BY r.created_at DESC NULLS LAST, r.pk DESC) AS rank
        FROM core_api.person_locations r WHERE r.deleted_at IS NULL AND r.is_primary)
      UPDATE core_api.person_locations t SET is_primary = false FROM ranked
        WHERE t.ctid OPERATOR(pg_catalog.=) ranked.row_id AND ranked.rank OPERATOR(pg_catalog.>) 1;
      GET DIAGNOSTICS n = ROW_COUNT;
      RAISE NOTICE 'core_api.person_locations: % extra active primaries demoted', n;
    END IF;

    -- 4. an active link stays inside one workspace
    target := pg_catalog.to_regclass('core_api.' || pivot.target_table);
    IF people IS NOT NULL AND target IS NOT NULL
       AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) people
                     AND a.attname OPERATOR(pg_catalog.=) 'workspace_pk' AND NOT a.attisdropped)
       AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) target
                     AND a.attname OPERATOR(pg_catalog.=) 'workspace_pk' AND NOT a.attisdropped) THEN
      EXECUTE pg_catalog.format(
        'UPDATE core_api.%1$I t SET deleted_at = pg_catalog.now()%2$s FROM %3$s p, %4$s x'
        ' WHERE t.deleted_at IS NULL AND p.pk OPERATOR(pg_catalog.=) t.person_pk AND x.pk OPERATOR(pg_catalog.=) t.%5$I'
        ' AND p.workspace_pk OPERATOR(pg_catalog.<>) x.workspace_pk',
        pivot.tab, stamp, people, target, pivot.target_column);
      GET DIAGNOSTICS n = ROW_COUNT;
      RAISE NOTICE 'core_api.%: % cross-workspace active links soft-deleted', pivot.tab, n;
    END IF;

    -- 5. created_at nobody recorded: the time of this repair
    EXECUTE pg_catalog.format('UPDATE core_api.%I t SET created_at = pg_catalog.now() WHERE t.created_at IS NULL',
                              pivot.tab);
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE NOTICE 'core_api.%: % missing created_at set to the repair time', pivot.tab, n;
    IF pivot.has_primary THEN
      UPDATE core_api.person_locations SET is_primary = COALESCE(is_primary, false), is_legal = COALESCE(is_legal, false)
        WHERE is_primary IS NULL OR is_legal IS NULL;
      GET DIAGNOSTICS n = ROW_COUNT;
      RAISE NOTICE 'core_api.person_locations: % missing is_primary or is_legal set to false', n;
    END IF;
  END LOOP;
END
$repair$;

COMMIT;
