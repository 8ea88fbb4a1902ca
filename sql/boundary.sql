-- The C++/Postgres boundary as the shipped library has it (PP_FUNCTION,
-- pp::detail::run_guarded): every kind of failure becomes a clean ERROR
-- with its SQLSTATE, C++ destructors run, nothing leaks (neither in
-- PostgreSQL's memory contexts nor in the process), and the session keeps
-- working.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set m1 '''22222222-0000-0000-0000-000000000001'''
\set m2 '''22222222-0000-0000-0000-000000000002'''

-- The probe is test-only C++: it lives in the test module
-- person_pivots_test (test/module, installed by make test only), never in
-- the shipped library, and is declared here in a schema of its own. Its
-- entry point runs the shipped library's run_guarded (the module links
-- person_pivots.so, it has no boundary of its own).
CREATE SCHEMA pp_boundary;
CREATE FUNCTION pp_boundary.boundary_probe(mode text) RETURNS text
  LANGUAGE C STRICT AS '$libdir/person_pivots_test', 'boundary_probe';

SELECT pp_boundary.boundary_probe('ok');
-- a pp::Error keeps its SQLSTATE, message and hint
SELECT pp_boundary.boundary_probe('cpp');
\echo :LAST_ERROR_SQLSTATE
-- an unexpected C++ exception is an internal error naming the function
SELECT pp_boundary.boundary_probe('std');
\echo :LAST_ERROR_SQLSTATE
-- a real allocation failure (operator new of 2^60 bytes) is out of memory
SELECT pp_boundary.boundary_probe('alloc');
\echo :LAST_ERROR_SQLSTATE
-- the C++ objects that were alive when they threw were destroyed
SELECT pp_boundary.boundary_probe('live');
-- a Postgres error inside the entry point passes unchanged (22P02 from int4in)
SELECT pp_boundary.boundary_probe('pg');
\echo :LAST_ERROR_SQLSTATE
SELECT pp_boundary.boundary_probe('ok');

-- A Postgres error inside an API function: a user's trigger refuses the
-- INSERT that link_person_media runs; the error reaches the client as
-- raised (SQLSTATE, message), and nothing is written.
CREATE FUNCTION pp_boundary.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'refused by trigger % on %', TG_NAME, TG_OP USING ERRCODE = 'PP001';
END $$;
CREATE TRIGGER zz_refuse_insert BEFORE INSERT ON core_api.person_media
  FOR EACH ROW EXECUTE FUNCTION pp_boundary.refuse();
SET ROLE pp_app;
SELECT * FROM person_pivots.link_person_media(:p1, :m1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS rows_written FROM core_api.person_media;
DROP TRIGGER zz_refuse_insert ON core_api.person_media;

-- A C++ exception inside a trigger: a pp::Error of the guard (rule 2).
SET ROLE pp_app;
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m1);
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m2);
UPDATE core_api.person_media SET deleted_at = now() WHERE media_pk = 2;
UPDATE core_api.person_media SET deleted_at = NULL WHERE media_pk = 2;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A Postgres error inside a trigger: an application role's DELETE is a
-- soft delete that the guard runs as an UPDATE; a user's trigger refuses
-- that UPDATE, and its error comes out of the guard unchanged.
CREATE TRIGGER zz_refuse_update BEFORE UPDATE ON core_api.person_media
  FOR EACH ROW EXECUTE FUNCTION pp_boundary.refuse();
SET ROLE pp_app;
DELETE FROM core_api.person_media WHERE media_pk = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT media_pk, deleted_at IS NULL AS active FROM core_api.person_media ORDER BY pk;

-- the same session and transaction machinery keep working
BEGIN;
SAVEPOINT before_error;
SET ROLE pp_app;
DELETE FROM core_api.person_media WHERE media_pk = 1;
ROLLBACK TO before_error;
SELECT pp_boundary.boundary_probe('pg');
ROLLBACK TO before_error;
SELECT pp_boundary.boundary_probe('ok');
COMMIT;

-- A long error loop over every path above leaks nothing: neither
-- palloc'd memory (pg_backend_memory_contexts) nor memory allocated
-- outside PostgreSQL's contexts (C++ exceptions, std::string, Boost
-- containers: the process's anonymous memory), nor C++ objects. The loop
-- runs once to warm the caches, then is measured.
CREATE FUNCTION pp_boundary.error_loop(n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    BEGIN
      CASE i % 6
        WHEN 0 THEN PERFORM pp_boundary.boundary_probe('pg');
        WHEN 1 THEN PERFORM pp_boundary.boundary_probe('cpp');
        WHEN 2 THEN PERFORM pp_boundary.boundary_probe('std');
        WHEN 3 THEN PERFORM pp_boundary.boundary_probe('alloc');
        WHEN 4 THEN PERFORM person_pivots.link_person_media('11111111-0000-0000-0000-00000000000f', '22222222-0000-0000-0000-000000000001');
        ELSE DELETE FROM core_api.person_media WHERE media_pk = 1;
      END CASE;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA pp_boundary TO pp_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pp_boundary TO pp_app;
SET ROLE pp_app;
SELECT pp_boundary.error_loop(1200);
RESET ROLE;
SELECT sum(total_bytes) AS context_bytes_before, pp_test.process_memory_kb() AS process_kb_before
  FROM pg_backend_memory_contexts \gset
SET ROLE pp_app;
SELECT pp_boundary.error_loop(6000);
RESET ROLE;
SELECT sum(total_bytes) - :context_bytes_before < 512 * 1024 AS no_context_growth,
       pp_test.process_memory_kb() - :process_kb_before < 1024 AS no_process_growth
  FROM pg_backend_memory_contexts;
SELECT pp_boundary.boundary_probe('live') AS live_cpp_objects;
SELECT media_pk, deleted_at IS NULL AS active FROM core_api.person_media ORDER BY pk;

-- trigger functions refuse to run outside their trigger
SELECT person_pivots_internal.person_media_guard();
CREATE TABLE public.not_a_pivot (x int);
CREATE TRIGGER wrong_timing AFTER INSERT ON public.not_a_pivot
  FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.person_media_guard();
INSERT INTO public.not_a_pivot VALUES (1);
DROP TABLE public.not_a_pivot;

DROP TRIGGER zz_refuse_update ON core_api.person_media;
REVOKE ALL ON SCHEMA pp_boundary FROM pp_app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pp_boundary FROM pp_app;
DROP SCHEMA pp_boundary CASCADE;
