-- Baseline: the extension's table rules (docs/design.md, Rules; 1-6) written
-- as PL/pgSQL triggers, as a careful application developer would write them.
-- The benchmark attaches them next to the extension's triggers, disabled;
-- run.sh enables exactly one of the two sets per measurement.
--
-- Same behaviour as the C++ triggers (src/pivot_rules.cpp,
-- src/person_locations_triggers.cpp):
--  1. application roles: created_at/updated_at/deleted_at take the
--     transaction time; maintenance roles (superuser or member of the table
--     owner) write them verbatim
--  2. soft delete is one-way; a soft-deleted row is frozen
--  3. DELETE by an application role becomes a soft delete; TRUNCATE refused
--  4. pk and endpoints never change
--  5. a new active primary location demotes the person's previous one,
--     under the person row lock (FOR NO KEY UPDATE); strict mode
--     (person_pivots.primary_conflict = 'error') raises 23505 instead
--  6. person and target in the same workspace (when the target has one)
-- One difference, for speed: the table owner's name is a trigger argument
-- (TG_ARGV[0]) instead of a catalog lookup per row; the C++ trigger reads
-- it from the relcache.
\set ECHO none
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_plpgsql CASCADE;
CREATE SCHEMA bench_plpgsql;
GRANT USAGE ON SCHEMA bench_plpgsql TO PUBLIC;

CREATE FUNCTION bench_plpgsql.person_media_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  maintenance boolean := pg_has_role(current_user, TG_ARGV[0]::name, 'USAGE');
  now_ts timestamptz := transaction_timestamp();
  person_ws integer[];
  target_ws integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT maintenance THEN
      IF NEW.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'new rows of core_api.person_media must have deleted_at null' USING ERRCODE = '23514';
      END IF;
      NEW.created_at := now_ts;
      NEW.updated_at := now_ts;
    ELSIF NEW.created_at IS NULL THEN
      NEW.created_at := now_ts;
    END IF;
    SELECT (SELECT ARRAY[p.workspace_pk] FROM core_api.people p WHERE p.pk = NEW.person_pk),
           (SELECT ARRAY[m.workspace_pk] FROM core_api.media m WHERE m.pk = NEW.media_pk)
      INTO person_ws, target_ws;
    -- Rule 6 (and the existence of both endpoints).
    IF person_ws IS NULL THEN
      RAISE EXCEPTION 'person with pk % does not exist', NEW.person_pk USING ERRCODE = '23503';
    END IF;
    IF target_ws IS NULL THEN
      RAISE EXCEPTION 'media with pk % does not exist', NEW.media_pk USING ERRCODE = '23503';
    END IF;
    IF person_ws[1] IS NOT NULL AND target_ws[1] IS NOT NULL AND person_ws[1] <> target_ws[1] THEN
      RAISE EXCEPTION 'person % of workspace % cannot link media % of workspace %',
        NEW.person_pk, person_ws[1], NEW.media_pk, target_ws[1]
        USING ERRCODE = '23514', HINT = 'A pivot links a person and a target of the same workspace.';
    END IF;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.pk IS DISTINCT FROM OLD.pk OR NEW.person_pk IS DISTINCT FROM OLD.person_pk
       OR NEW.media_pk IS DISTINCT FROM OLD.media_pk THEN
      RAISE EXCEPTION 'endpoints of row % of core_api.person_media cannot change', OLD.pk USING ERRCODE = '23514';
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
      IF NEW.deleted_at IS NULL THEN
        RAISE EXCEPTION 'deleted_at of row % of core_api.person_media cannot be cleared', OLD.pk
          USING ERRCODE = '23514';
      END IF;
      IF NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'row % of core_api.person_media is soft-deleted and cannot change', OLD.pk
          USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END IF;
    IF NOT maintenance THEN
      NEW.created_at := OLD.created_at;
      IF NEW.deleted_at IS NOT NULL THEN
        NEW.deleted_at := now_ts;
      END IF;
      IF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at THEN  -- the only other column that may change
        NEW.updated_at := now_ts;
      ELSE
        NEW.updated_at := OLD.updated_at;
      END IF;
    ELSIF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
      NEW.updated_at := now_ts;
    END IF;
    RETURN NEW;
  ELSE  -- DELETE
    IF maintenance THEN
      RETURN OLD;
    END IF;
    IF OLD.deleted_at IS NULL THEN
      UPDATE core_api.person_media SET deleted_at = now() WHERE pk = OLD.pk AND deleted_at IS NULL;
    END IF;
    RETURN NULL;
  END IF;
END $$;

CREATE FUNCTION bench_plpgsql.person_locations_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  maintenance boolean := pg_has_role(current_user, TG_ARGV[0]::name, 'USAGE');
  now_ts timestamptz := transaction_timestamp();
  person_ws integer[];
  target_ws integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT maintenance THEN
      IF NEW.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'new rows of core_api.person_locations must have deleted_at null' USING ERRCODE = '23514';
      END IF;
      NEW.created_at := now_ts;
    ELSIF NEW.created_at IS NULL THEN
      NEW.created_at := now_ts;
    END IF;
    SELECT (SELECT ARRAY[p.workspace_pk] FROM core_api.people p WHERE p.pk = NEW.person_pk),
           (SELECT ARRAY[l.workspace_pk] FROM core_api.locations l WHERE l.pk = NEW.location_pk)
      INTO person_ws, target_ws;
    -- Rule 6 (and the existence of both endpoints).
    IF person_ws IS NULL THEN
      RAISE EXCEPTION 'person with pk % does not exist', NEW.person_pk USING ERRCODE = '23503';
    END IF;
    IF target_ws IS NULL THEN
      RAISE EXCEPTION 'location with pk % does not exist', NEW.location_pk USING ERRCODE = '23503';
    END IF;
    IF person_ws[1] IS NOT NULL AND target_ws[1] IS NOT NULL AND person_ws[1] <> target_ws[1] THEN
      RAISE EXCEPTION 'person % of workspace % cannot link location % of workspace %',
        NEW.person_pk, person_ws[1], NEW.location_pk, target_ws[1]
        USING ERRCODE = '23514', HINT = 'A pivot links a person and a target of the same workspace.';
    END IF;
    IF NEW.is_primary AND NEW.deleted_at IS NULL THEN
      -- Rule 5: the person row lock, then demotion (or refusal in strict
      -- mode). The filter skips the row itself and, for an INSERT that will
      -- meet its pair's active row (ON CONFLICT), that row: exactly the C++
      -- statement.
      PERFORM 1 FROM core_api.people WHERE pk = NEW.person_pk FOR NO KEY UPDATE;
      IF current_setting('person_pivots.primary_conflict', true) = 'error' THEN
        IF EXISTS (SELECT 1 FROM core_api.person_locations
                   WHERE person_pk = NEW.person_pk AND is_primary AND deleted_at IS NULL AND pk <> NEW.pk
                     AND NOT EXISTS (SELECT 1 FROM core_api.person_locations s
                                     WHERE s.person_pk = NEW.person_pk AND s.location_pk = NEW.location_pk
                                       AND s.deleted_at IS NULL AND s.pk <> NEW.pk)) THEN
          RAISE EXCEPTION 'person % already has an active primary location', NEW.person_pk USING ERRCODE = '23505';
        END IF;
      ELSE
        UPDATE core_api.person_locations SET is_primary = false
         WHERE person_pk = NEW.person_pk AND is_primary AND deleted_at IS NULL AND pk <> NEW.pk
           AND NOT EXISTS (SELECT 1 FROM core_api.person_locations s
                           WHERE s.person_pk = NEW.person_pk AND s.location_pk = NEW.location_pk
                             AND s.deleted_at IS NULL AND s.pk <> NEW.pk);
      END IF;
    END IF;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.pk IS DISTINCT FROM OLD.pk OR NEW.person_pk IS DISTINCT FROM OLD.person_pk
       OR NEW.location_pk IS DISTINCT FROM OLD.location_pk THEN
      RAISE EXCEPTION 'endpoints of row % of core_api.person_locations cannot change', OLD.pk
        USING ERRCODE = '23514';
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
      IF NEW.deleted_at IS NULL THEN
        RAISE EXCEPTION 'deleted_at of row % of core_api.person_locations cannot be cleared', OLD.pk
          USING ERRCODE = '23514';
      END IF;
      IF NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'row % of core_api.person_locations is soft-deleted and cannot change', OLD.pk
          USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END IF;
    IF NOT maintenance THEN
      NEW.created_at := OLD.created_at;
      IF NEW.deleted_at IS NOT NULL THEN
        NEW.deleted_at := now_ts;
      END IF;
    END IF;
    IF NEW.is_primary AND NEW.deleted_at IS NULL AND NOT OLD.is_primary THEN
      -- Rule 5: the person row lock, then demotion (or refusal in strict
      -- mode). The filter skips the row itself and, for an INSERT that will
      -- meet its pair's active row (ON CONFLICT), that row: exactly the C++
      -- statement.
      PERFORM 1 FROM core_api.people WHERE pk = NEW.person_pk FOR NO KEY UPDATE;
      IF current_setting('person_pivots.primary_conflict', true) = 'error' THEN
        IF EXISTS (SELECT 1 FROM core_api.person_locations
                   WHERE person_pk = NEW.person_pk AND is_primary AND deleted_at IS NULL AND pk <> NEW.pk
                     AND NOT EXISTS (SELECT 1 FROM core_api.person_locations s
                                     WHERE s.person_pk = NEW.person_pk AND s.location_pk = NEW.location_pk
                                       AND s.deleted_at IS NULL AND s.pk <> NEW.pk)) THEN
          RAISE EXCEPTION 'person % already has an active primary location', NEW.person_pk USING ERRCODE = '23505';
        END IF;
      ELSE
        UPDATE core_api.person_locations SET is_primary = false
         WHERE person_pk = NEW.person_pk AND is_primary AND deleted_at IS NULL AND pk <> NEW.pk
           AND NOT EXISTS (SELECT 1 FROM core_api.person_locations s
                           WHERE s.person_pk = NEW.person_pk AND s.location_pk = NEW.location_pk
                             AND s.deleted_at IS NULL AND s.pk <> NEW.pk);
      END IF;
    END IF;
    RETURN NEW;
  ELSE  -- DELETE
    IF maintenance THEN
      RETURN OLD;
    END IF;
    IF OLD.deleted_at IS NULL THEN
      UPDATE core_api.person_locations SET deleted_at = now() WHERE pk = OLD.pk AND deleted_at IS NULL;
    END IF;
    RETURN NULL;
  END IF;
END $$;

CREATE FUNCTION bench_plpgsql.truncate_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT pg_has_role(current_user, TG_ARGV[0]::name, 'USAGE') THEN
    RAISE EXCEPTION 'cannot truncate %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '23000';
  END IF;
  RETURN NULL;
END $$;

SELECT pg_get_userbyid(relowner) AS pivot_owner FROM pg_class WHERE oid = 'core_api.person_media'::regclass \gset
CREATE TRIGGER bench_plpgsql_guard BEFORE INSERT OR UPDATE OR DELETE ON core_api.person_media
  FOR EACH ROW EXECUTE FUNCTION bench_plpgsql.person_media_guard(:'pivot_owner');
CREATE TRIGGER bench_plpgsql_truncate_guard BEFORE TRUNCATE ON core_api.person_media
  FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql.truncate_guard(:'pivot_owner');
CREATE TRIGGER bench_plpgsql_guard BEFORE INSERT OR UPDATE OR DELETE ON core_api.person_locations
  FOR EACH ROW EXECUTE FUNCTION bench_plpgsql.person_locations_guard(:'pivot_owner');
CREATE TRIGGER bench_plpgsql_truncate_guard BEFORE TRUNCATE ON core_api.person_locations
  FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql.truncate_guard(:'pivot_owner');
ALTER TABLE core_api.person_media DISABLE TRIGGER bench_plpgsql_guard, DISABLE TRIGGER bench_plpgsql_truncate_guard;
ALTER TABLE core_api.person_locations DISABLE TRIGGER bench_plpgsql_guard,
  DISABLE TRIGGER bench_plpgsql_truncate_guard;
RESET client_min_messages;
