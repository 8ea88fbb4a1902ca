-- The C++/Postgres boundary: every kind of failure becomes a clean ERROR
-- with its SQLSTATE, C++ destructors run, and the session keeps working.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never

-- The probe is test-only C++: it lives in the test module
-- person_pivots_test (test/module, installed by make test only), never in
-- the shipped library, and is declared here in a schema of its own.
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
SELECT pp_boundary.boundary_probe('alloc');
\echo :LAST_ERROR_SQLSTATE
-- a Postgres error under C++ frames comes back unchanged (22P02 from int4in)
SELECT pp_boundary.boundary_probe('pg');
\echo :LAST_ERROR_SQLSTATE
-- the C++ objects that were alive when Postgres raised it were destroyed
SELECT pp_boundary.boundary_probe('live');
SELECT pp_boundary.boundary_probe('pg-ok');

-- a C++ exception thrown inside pp::pg (inside its PG_TRY block) leaves it
-- only after PG_END_TRY: it keeps its SQLSTATE, its C++ objects are
-- destroyed, and Postgres errors raised afterwards still unwind correctly
SELECT pp_boundary.boundary_probe('pg-throw');
\echo :LAST_ERROR_SQLSTATE
SELECT pp_boundary.boundary_probe('live');
SELECT pp_boundary.boundary_probe('pg');
SELECT 1 / 0;
SELECT pp_boundary.boundary_probe('pg-ok');

-- the same session and transaction machinery keep working
BEGIN;
SAVEPOINT before_error;
SELECT pp_boundary.boundary_probe('pg');
ROLLBACK TO before_error;
SELECT pp_boundary.boundary_probe('pg-ok');
COMMIT;

-- a long error loop leaks neither palloc'd memory nor C++ objects
SELECT sum(total_bytes) AS bytes_before FROM pg_backend_memory_contexts \gset
DO $$
BEGIN
  FOR i IN 1..3000 LOOP
    BEGIN
      PERFORM pp_boundary.boundary_probe(CASE i % 4 WHEN 0 THEN 'pg' WHEN 1 THEN 'cpp' WHEN 2 THEN 'std' ELSE 'pg-throw' END);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END
$$;
SELECT sum(total_bytes) - :bytes_before < 512 * 1024 AS no_memory_growth FROM pg_backend_memory_contexts;
SELECT pp_boundary.boundary_probe('live') AS live_cpp_objects;

-- trigger functions refuse to run outside their trigger
SELECT person_pivots_internal.person_media_guard();
CREATE TABLE public.not_a_pivot (x int);
CREATE TRIGGER wrong_timing AFTER INSERT ON public.not_a_pivot
  FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.person_media_guard();
INSERT INTO public.not_a_pivot VALUES (1);
DROP TABLE public.not_a_pivot;

DROP FUNCTION pp_boundary.boundary_probe(text);
DROP SCHEMA pp_boundary;
