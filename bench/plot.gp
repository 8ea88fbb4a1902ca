# The benchmark chart: gnuplot -e "dir='<data dir>'; out='<png>'" bench/plot.gp
# Data files come from bench/report.sql.
set terminal pngcairo size 1400,2000 font "sans,11" noenhanced
set output out
set multiplot layout 4,2 title "person_pivots benchmark (make bench)" font "sans,14"
set style data histograms
set style fill solid 0.85 border -1
set grid ytics
set xtics nomirror
set key top left opaque box
set yrange [0:*]
set offsets 0, 0, graph 0.2, 0
set boxwidth 0.9

set title "Bulk INSERT ... SELECT (backend CPU seconds, lower is better)"
set style histogram clustered gap 1
plot dir.'/insert.dat' using 2:xtic(1) title "bare table" lc rgb "#9e9e9e", \
     '' using 3 title "PL/pgSQL triggers" lc rgb "#e07b39", \
     '' using 4 title "extension" lc rgb "#3a6ea5"

set style histogram rowstacked
set key off
set title "Sync run, 20 media per person, 10% churn (backend CPU seconds)"
plot dir.'/sync.dat' using 2:xtic(1) lc rgb "#3a6ea5"

set title "set_primary_location under pgbench (TPS, higher is better)"
plot dir.'/tps.dat' using 2:xtic(1) lc rgb "#3a6ea5"

set title "Location sync, 8 locations per person (backend CPU seconds)"
plot dir.'/locsync.dat' using 2:xtic(1) lc rgb "#3a6ea5"

set style histogram clustered gap 1
set key top left opaque box
set title "Peak backend memory of one sync page (MB)"
plot dir.'/mem.dat' using 2:xtic(1) title "batch function" lc rgb "#3a6ea5", \
     '' using 3 title "set-based SQL" lc rgb "#9e9e9e"

set title "Load with 4 demotions per person: time / floor (CPU; PL/pgSQL capped)"
plot dir.'/demote.dat' using 2:xtic(1) title "extension" lc rgb "#3a6ea5", \
     '' using 3 title "PL/pgSQL triggers" lc rgb "#e07b39"

set style histogram rowstacked
set key off

set title "Transaction mix, Hasura mutations, pgbench 8 clients (TPS, higher is better)"
plot dir.'/txmix.dat' using 2:xtic(1) lc rgb "#3a6ea5"
unset multiplot
