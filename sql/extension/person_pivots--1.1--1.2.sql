-- person_pivots 1.1 -> 1.2: the test-only boundary probe leaves the shipped
-- library. Every name is schema-qualified.

\echo Use "ALTER EXTENSION person_pivots UPDATE TO '1.2'" to load this file. \quit

-- Databases installed by a build before 1.2 have this test-only member;
-- its C symbol is gone from person_pivots.so (it lives in the test module
-- that make test builds). Fresh installs never create it.
DROP FUNCTION IF EXISTS person_pivots_internal.boundary_probe(text);
