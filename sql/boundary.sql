-- The C++/Postgres boundary: every kind of failure becomes a clean ERROR
-- with its SQLSTATE, C++ destructors run, and the session keeps working.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never

SELECT person_pivots_internal.boundary_probe('ok');
-- a pp::Error keeps its SQLSTATE, message and hint
SELECT person_pivots_internal.boundary_probe('cpp');
\echo :LAST_ERROR_SQLSTATE
-- an unexpected C++ exception is an internal error naming the function
SELECT person_pivots_internal.boundary_probe('std');
\echo :LAST_ERROR_SQLSTATE
SELECT person_pivots_internal.boundary_probe('alloc');
\echo :LAST_ERROR_SQLSTATE
-- a Postgres error under C++ frames comes back unchanged (22P02 from int4in)
SELECT person_pivots_internal.boundary_probe('pg');
\echo :LAST_ERROR_SQLSTATE
-- the C++ objects that were alive when Postgres raised it were destroyed
SELECT person_pivots_internal.boundary_probe('live');
SELECT person_pivots_internal.boundary_probe('pg-ok');

-- the same session and transaction machinery keep working
BEGIN;
SAVEPOINT before_error;
SELECT person_pivots_internal.boundary_probe('pg');
ROLLBACK TO before_error;
SELECT person_pivots_internal.boundary_probe('pg-ok');
COMMIT;

-- a long error loop leaks neither palloc'd memory nor C++ objects
SELECT sum(total_bytes) AS bytes_before FROM pg_backend_memory_contexts \gset
DO $$
BEGIN
  FOR i IN 1..3000 LOOP
    BEGIN
      PERFORM person_pivots_internal.boundary_probe(CASE i % 3 WHEN 0 THEN 'pg' WHEN 1 THEN 'cpp' ELSE 'std' END);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END
$$;
SELECT sum(total_bytes) - :bytes_before < 512 * 1024 AS no_memory_growth FROM pg_backend_memory_contexts;
SELECT person_pivots_internal.boundary_probe('live') AS live_cpp_objects;

-- trigger functions refuse to run outside their trigger
SELECT person_pivots_internal.person_media_guard();
CREATE TABLE public.not_a_pivot (x int);
CREATE TRIGGER wrong_timing AFTER INSERT ON public.not_a_pivot
  FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.person_media_guard();
INSERT INTO public.not_a_pivot VALUES (1);
DROP TABLE public.not_a_pivot;
