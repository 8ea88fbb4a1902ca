-- Adoption: CREATE EXTENSION on pivot tables the application's migrations
-- already created, with rows. Shape checks (types, nullability, keys,
-- foreign keys, the contract's indexes), rule checks on existing rows with
-- the shipped repair script, what adoption adds, and that every row stays.
\i test/fixtures/host_schema.sql

-- helpers: the application's tables as its migrations build them, and a
-- text fingerprint of a table's shape (columns, constraints, indexes, triggers)
CREATE FUNCTION public.app_migration() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  SET LOCAL client_min_messages = warning;
  DROP EXTENSION IF EXISTS person_pivots CASCADE;
  DROP TABLE IF EXISTS core_api.person_media, core_api.person_locations;
  -- Migration20250919154301 (MikroORM): updated_at exists but is unmapped
  CREATE TABLE "core_api"."person_media" ("pk" serial primary key, "person_pk" int not null,
    "media_pk" int not null, "created_at" timestamptz not null, "updated_at" timestamptz null,
    "deleted_at" timestamptz null);
  CREATE INDEX "idx_person_media_person" ON "core_api"."person_media" ("person_pk");
  CREATE INDEX "idx_person_media_media" ON "core_api"."person_media" ("media_pk");
  ALTER TABLE "core_api"."person_media" ADD CONSTRAINT "person_media_person_pk_foreign"
    FOREIGN KEY ("person_pk") REFERENCES "core_api"."people" ("pk") ON UPDATE CASCADE;
  ALTER TABLE "core_api"."person_media" ADD CONSTRAINT "person_media_media_pk_foreign"
    FOREIGN KEY ("media_pk") REFERENCES "core_api"."media" ("pk") ON UPDATE CASCADE;
  -- PersonLocation, as its seed describes it
  CREATE TABLE "core_api"."person_locations" ("pk" serial primary key, "person_pk" int not null,
    "location_pk" int not null, "is_primary" boolean not null default false,
    "is_legal" boolean not null default false, "label" varchar(255) not null,
    "created_at" timestamptz not null, "deleted_at" timestamptz null);
  CREATE UNIQUE INDEX "uniq_person_locations_primary_person" ON "core_api"."person_locations" ("person_pk")
    WHERE is_primary = true AND deleted_at IS NULL;
  CREATE INDEX "idx_person_locations_person" ON "core_api"."person_locations" ("person_pk") WHERE deleted_at IS NULL;
  CREATE INDEX "idx_person_locations_location" ON "core_api"."person_locations" ("location_pk");
  ALTER TABLE "core_api"."person_locations" ADD CONSTRAINT "person_locations_person_pk_foreign"
    FOREIGN KEY ("person_pk") REFERENCES "core_api"."people" ("pk") ON UPDATE CASCADE ON DELETE CASCADE;
  ALTER TABLE "core_api"."person_locations" ADD CONSTRAINT "person_locations_location_pk_foreign"
    FOREIGN KEY ("location_pk") REFERENCES "core_api"."locations" ("pk") ON UPDATE CASCADE;
  GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON core_api.person_media, core_api.person_locations TO pp_app;
  GRANT USAGE ON ALL SEQUENCES IN SCHEMA core_api TO pp_app;
  -- rows the application wrote: active, soft-deleted history, a re-link
  INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at, deleted_at) VALUES
    (1, 1, '2025-01-01 10:00+00', NULL, NULL),
    (1, 2, '2025-01-02 10:00+00', NULL, '2025-02-01 10:00+00'),
    (1, 2, '2025-03-01 10:00+00', NULL, NULL),
    (2, 3, '2025-01-03 10:00+00', '2025-01-04 10:00+00', NULL);
  INSERT INTO core_api.person_locations (person_pk, location_pk, is_primary, is_legal, label, created_at, deleted_at) VALUES
    (1, 1, true, false, 'Old home', '2024-01-01 10:00+00', '2024-12-31 10:00+00'),
    (1, 1, true, false, 'Home', '2025-01-01 10:00+00', NULL),
    (1, 2, false, true, 'Work', '2025-01-02 10:00+00', NULL),
    (2, 3, true, false, 'Home', '2025-01-05 10:00+00', NULL);
END $$;

CREATE FUNCTION public.shape(tab regclass) RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(E'\n',
    (SELECT string_agg(format('%s %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                              CASE WHEN a.attnotnull THEN ' not null' END,
                              ' default ' || pg_get_expr(d.adbin, d.adrelid)), E'\n' ORDER BY a.attnum)
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
       FROM pg_constraint WHERE conrelid = tab),
    (SELECT string_agg(pg_get_indexdef(indexrelid), E'\n' ORDER BY indexrelid::regclass::text)
       FROM pg_index WHERE indrelid = tab),
    (SELECT string_agg(pg_get_triggerdef(oid), E'\n' ORDER BY tgname)
       FROM pg_trigger WHERE tgrelid = tab AND NOT tgisinternal))
$$;

CREATE FUNCTION public.rows_md5(tab regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE result text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(t::text, ''|'' ORDER BY t.pk)) FROM %s t', tab) INTO result;
  RETURN result;
END $$;

-- a fresh install's shape, to compare adopted tables with
SELECT shape('core_api.person_media') AS fresh_media, shape('core_api.person_locations') AS fresh_locations \gset
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
RESET client_min_messages;

-- 1. Clean adoption: every row stays, what is missing is added
SELECT app_migration();
SELECT rows_md5('core_api.person_media') AS media_rows, rows_md5('core_api.person_locations') AS locations_rows \gset
CREATE EXTENSION person_pivots;
SELECT rows_md5('core_api.person_media') = :'media_rows' AS media_rows_kept,
       rows_md5('core_api.person_locations') = :'locations_rows' AS locations_rows_kept;
-- person_media ends up exactly like a fresh install's table
SELECT shape('core_api.person_media') = :'fresh_media' AS media_like_fresh;
-- person_locations: foreign keys now NO ACTION, created_at defaulted, the
-- active-pair index added; the application's equivalent primary index kept
SELECT shape('core_api.person_locations');
-- the tables are adopted, not made members; the API exists
SELECT count(*) AS member_tables FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e' AND classid = 'pg_class'::regclass
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'person_pivots');
SELECT count(*) AS api_functions FROM pg_proc WHERE pronamespace = 'person_pivots'::regnamespace;
-- the application role calls the API functions once granted (PUBLIC has no EXECUTE)
SELECT person_pivots_internal.grant_application_role('pp_app');
-- the rules hold on adopted rows
SET ROLE pp_app;
DELETE FROM core_api.person_media WHERE person_pk = 1 AND media_pk = 1;
UPDATE core_api.person_media SET deleted_at = NULL WHERE pk = 2;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (1, 1, '2000-01-01')
  RETURNING pk, created_at = now() AS stamped;
SELECT pk FROM person_pivots.link_person_location('11111111-0000-0000-0000-000000000001',
  '33333333-0000-0000-0000-000000000003', 'Holiday', true);
RESET ROLE;
SELECT pk, person_pk, media_pk, deleted_at IS NOT NULL AS deleted FROM core_api.person_media ORDER BY pk;
SELECT pk, person_pk, location_pk, is_primary, label, deleted_at IS NOT NULL AS deleted
  FROM core_api.person_locations ORDER BY pk;
-- a NOT VALID foreign key whose rows are fine is validated
SELECT app_migration();
ALTER TABLE core_api.person_media DROP CONSTRAINT person_media_media_pk_foreign;
ALTER TABLE core_api.person_media ADD CONSTRAINT person_media_media_pk_foreign
  FOREIGN KEY (media_pk) REFERENCES core_api.media (pk) NOT VALID;
CREATE EXTENSION person_pivots;
SELECT conname, convalidated FROM pg_constraint
  WHERE conrelid = 'core_api.person_media'::regclass AND contype = 'f' ORDER BY 1;
-- the people FK no longer cascades: deleting a linked person is refused
DELETE FROM core_api.people WHERE pk = 2;
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
RESET client_min_messages;

-- 2. Shapes it cannot adopt: a clear error, and nothing changes
SELECT app_migration();
ALTER TABLE core_api.person_media ALTER COLUMN person_pk TYPE bigint;
SELECT shape('core_api.person_media') AS media_shape, rows_md5('core_api.person_media') AS media_rows,
       shape('core_api.person_locations') AS locations_shape \gset
CREATE EXTENSION person_pivots;
SELECT shape('core_api.person_media') = :'media_shape' AS media_shape_unchanged,
       rows_md5('core_api.person_media') = :'media_rows' AS media_rows_unchanged,
       shape('core_api.person_locations') = :'locations_shape' AS locations_shape_unchanged,
       (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'person_pivots%') AS leftover_schemas;
SELECT app_migration();
ALTER TABLE core_api.person_locations ALTER COLUMN label TYPE text;
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_locations ALTER COLUMN label TYPE varchar(100);
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_media ALTER COLUMN created_at TYPE timestamp;
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_media DROP COLUMN created_at;
CREATE EXTENSION person_pivots;
SELECT app_migration();
UPDATE core_api.person_media SET deleted_at = '2025-06-01' WHERE deleted_at IS NULL;
ALTER TABLE core_api.person_media ALTER COLUMN deleted_at SET NOT NULL;
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_media DROP CONSTRAINT person_media_pkey, ADD PRIMARY KEY (pk, person_pk);
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_locations DROP CONSTRAINT person_locations_location_pk_foreign,
  ADD CONSTRAINT person_locations_location_pk_foreign FOREIGN KEY (location_pk) REFERENCES core_api.media (pk);
CREATE EXTENSION person_pivots;
SELECT app_migration();
DROP INDEX core_api.uniq_person_locations_primary_person;
CREATE INDEX uniq_person_locations_primary_person ON core_api.person_locations (person_pk);
CREATE EXTENSION person_pivots;
SELECT app_migration();
DELETE FROM core_api.person_locations WHERE pk = 3;
DROP INDEX core_api.uniq_person_locations_primary_person;
CREATE UNIQUE INDEX uniq_person_locations_primary_person ON core_api.person_locations (person_pk)
  WHERE deleted_at IS NULL;
CREATE EXTENSION person_pivots;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'person_pivots';

-- 3. Rows that break a rule: the first offenders, and the repair to run
SELECT app_migration();
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES
  (1, 1, '2025-04-01 10:00+00'), (2, 3, '2025-04-02 10:00+00'), (2, 3, '2025-04-03 10:00+00');
SELECT shape('core_api.person_media') AS media_shape, rows_md5('core_api.person_media') AS media_rows \gset
CREATE EXTENSION person_pivots;
SELECT shape('core_api.person_media') = :'media_shape' AS media_shape_unchanged,
       rows_md5('core_api.person_media') = :'media_rows' AS media_rows_unchanged;
SELECT app_migration();
DROP INDEX core_api.uniq_person_locations_primary_person;
INSERT INTO core_api.person_locations (person_pk, location_pk, is_primary, label, created_at) VALUES
  (1, 3, true, 'Second home', '2025-05-01 10:00+00');
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_media ALTER COLUMN created_at DROP NOT NULL;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (3, 1, NULL), (3, 2, NULL);
CREATE EXTENSION person_pivots;
SELECT app_migration();
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (1, 4, '2025-04-01 10:00+00');
CREATE EXTENSION person_pivots;
-- rules no script can repair: a row that points nowhere, a missing label
SELECT app_migration();
ALTER TABLE core_api.person_media DROP CONSTRAINT person_media_person_pk_foreign;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (99, 1, '2025-04-01 10:00+00');
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_media DROP CONSTRAINT person_media_media_pk_foreign;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (3, 77, '2025-04-01 10:00+00');
ALTER TABLE core_api.person_media ADD CONSTRAINT person_media_media_pk_foreign
  FOREIGN KEY (media_pk) REFERENCES core_api.media (pk) NOT VALID;
CREATE EXTENSION person_pivots;
SELECT app_migration();
ALTER TABLE core_api.person_locations ALTER COLUMN label DROP NOT NULL;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, created_at) VALUES (3, 4, NULL, now());
CREATE EXTENSION person_pivots;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'person_pivots';

-- 4. The repair script fixes every repairable rule deterministically
SELECT app_migration();
DROP INDEX core_api.uniq_person_locations_primary_person;
ALTER TABLE core_api.person_media ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE core_api.person_locations ALTER COLUMN is_legal DROP NOT NULL;
INSERT INTO core_api.person_media (pk, person_pk, media_pk, created_at, updated_at, deleted_at) VALUES
  (11, 1, 1, '2025-05-01 10:00+00', NULL, NULL),           -- newer duplicate of pk 1: stays
  (12, 2, 3, NULL, '2025-05-02 10:00+00', NULL),           -- created_at from updated_at: newer than pk 4, stays
  (13, 3, 1, NULL, '2025-05-03 10:00+00', '2025-05-04 10:00+00'),  -- created_at from updated_at
  (14, 1, 2, NULL, NULL, NULL),                            -- duplicate of pk 3 of unknown age: goes, repair time
  (15, 1, 4, '2025-05-05 10:00+00', NULL, NULL);           -- media of workspace 2: goes
INSERT INTO core_api.person_locations (pk, person_pk, location_pk, is_primary, is_legal, label, created_at) VALUES
  (11, 1, 3, true, NULL, 'Second home', '2025-06-01 10:00+00'),  -- newest primary of person 1: stays primary
  (12, 2, 3, false, false, 'Home again', '2025-06-02 10:00+00'), -- duplicate, not primary: pk 4 stays
  (13, 2, 4, true, false, 'Office', '2025-06-03 10:00+00'),      -- newest primary of person 2
  (14, 3, 5, false, false, 'Abroad', '2025-06-04 10:00+00');     -- location of workspace 2: goes
CREATE EXTENSION person_pivots;
-- the installed script, run as psql -f would (its text, so messages name no local path)
\set repair `cat "$(pg_config --sharedir)/extension/person_pivots_repair.sql"`
SELECT now() AS before_repair \gset
\set ECHO none
:repair
\set ECHO all
-- running it again changes nothing
SELECT rows_md5('core_api.person_media') AS media_rows, rows_md5('core_api.person_locations') AS locations_rows \gset
\set ECHO none
:repair
\set ECHO all
SELECT rows_md5('core_api.person_media') = :'media_rows' AS media_idempotent,
       rows_md5('core_api.person_locations') = :'locations_rows' AS locations_idempotent;
CREATE EXTENSION person_pivots;
SELECT pk, person_pk, media_pk, deleted_at IS NOT NULL AS deleted,
       CASE WHEN created_at >= :'before_repair' AND created_at < now() THEN 'repair time'
            ELSE to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') END AS created_at
  FROM core_api.person_media ORDER BY pk;
SELECT pk, person_pk, location_pk, is_primary, is_legal, label, deleted_at IS NOT NULL AS deleted
  FROM core_api.person_locations ORDER BY pk;
-- the repair refuses to run once the extension is installed
\set ECHO none
:repair
\set ECHO all

-- 5. A hand-made table: no foreign keys, no pk default, no updated_at or
-- deleted_at, nullable created_at and flags without NULLs: all added
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
RESET client_min_messages;
DROP TABLE core_api.person_media, core_api.person_locations;
CREATE TABLE core_api.person_media (pk integer PRIMARY KEY, person_pk integer NOT NULL,
  media_pk integer NOT NULL, created_at timestamptz);
INSERT INTO core_api.person_media VALUES (7, 1, 1, '2025-01-01 10:00+00'), (9, 2, 2, '2025-01-02 10:00+00');
CREATE TABLE core_api.person_locations (pk integer, person_pk integer NOT NULL, location_pk integer NOT NULL,
  label varchar(255) NOT NULL, created_at timestamptz NOT NULL, is_primary boolean);
INSERT INTO core_api.person_locations VALUES (3, 1, 1, 'Home', '2025-01-01 10:00+00', true);
GRANT SELECT, INSERT, UPDATE, DELETE ON core_api.person_media, core_api.person_locations TO pp_app;
CREATE EXTENSION person_pivots;
SELECT shape('core_api.person_media') = :'fresh_media' AS media_like_fresh;
SELECT shape('core_api.person_locations');
-- the pk default starts after the existing rows; the new columns start NULL
GRANT USAGE ON ALL SEQUENCES IN SCHEMA core_api TO pp_app;
SELECT person_pivots_internal.grant_application_role('pp_app');
SET ROLE pp_app;
SELECT pk, created_at = now() AS stamped FROM person_pivots.link_person_media(
  '11111111-0000-0000-0000-000000000003', '22222222-0000-0000-0000-000000000003');
RESET ROLE;
SELECT pk, person_pk, media_pk, updated_at IS NULL AS no_updated_at, deleted_at IS NULL AS active
  FROM core_api.person_media ORDER BY pk;
SELECT pk, is_primary, is_legal, deleted_at IS NULL AS active FROM core_api.person_locations ORDER BY pk;
-- an extension sequence would be dropped with the extension: it is not a member
SELECT count(*) AS member_sequences FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e' AND classid = 'pg_class'::regclass
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'person_pivots');

DROP FUNCTION public.app_migration(), public.shape(regclass), public.rows_md5(regclass);
