-- pgbench: the extension's set_primary_location for a random location of
-- a random person (5 locations each, bench/run.sh section 4).
\set p random(1, :people)
\set l random(0, 4)
\set lpk 1 + ((:p * 5 + :l) * 7919) % :locations
SELECT count(*) FROM person_pivots.set_primary_location(bench.person_uuid(:p), bench.location_uuid(:lpk));
