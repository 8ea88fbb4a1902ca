// SPI: saved plans for the fixed statements the triggers and functions run,
// and one-shot statements built at run time (install, administration).
// Every statement text is schema-qualified down to its operators, casts
// and functions (OPERATOR(pg_catalog.=), ::pg_catalog.text,
// pg_catalog.now()), so no search_path can redirect it: the triggers run
// under the caller's. test/scripts/t_qualified_sql.sh checks every text.
//
// Everything here calls Postgres directly: callers hold only trivially
// destructible locals (see boundary.hpp). Results are palloc'd in the
// current memory context.
#pragma once

#include "pg.hpp"

namespace pp::spi {

// A statement prepared once per backend, and again after any change to a
// host table (host_contract.hpp: its text may name the people table, its
// caller may have built the text from the host's columns). Define them as
// function-local statics; a caller that rebuilds `text` leaves `plan` and
// `generation` alone: the next execution replans.
struct Statement {
	const char *text;  // may contain {people}, replaced by the people table
	int nargs;
	Oid argtypes[6];
	SPIPlanPtr plan;
	uint64 generation;  // the host contract's generation the plan was prepared under (0: none)
};

// Executes `stmt` (SPI must be connected). Returns SPI_processed.
uint64 execute(Statement &stmt, const Datum *values, const char *nulls, bool read_only, long limit = 0);

// The snapshots a statement runs with: by default (InvalidSnapshot) SPI's
// own, a fresh one per statement under READ COMMITTED and the transaction's
// otherwise. `crosscheck` turns a write of a row that `snapshot` sees but
// the crosscheck snapshot does not into a serialization failure, as in
// PostgreSQL's referential-integrity triggers (ri_PerformCheck).
struct Snapshots {
	Snapshot snapshot = InvalidSnapshot;
	Snapshot crosscheck = InvalidSnapshot;
};

// Executes `stmt` (read-write, triggers fire), whose WHERE looks its rows up
// by key or ctid, so that its plan uses an index (or a TID scan) whatever
// the statistics say: after an ANALYZE of an empty table the planner prices
// a sequential scan at nothing, and a cached plan that scans the table once
// per row makes a bulk load quadratic.
uint64 execute_indexed(Statement &stmt, const Datum *values, const char *nulls, Snapshots snapshots = {});

// Opens a cursor on `stmt` (SPI must be connected), for results too large
// to hold at once: fetch with SPI_cursor_fetch, close with SPI_cursor_close.
Portal open_cursor(Statement &stmt, const Datum *values, const char *nulls, bool read_only);

// Runs `stmt` as `role` in a security-restricted operation (as REFRESH
// MATERIALIZED VIEW runs as the view's owner): triggers that fire run with
// that role's rights, never the caller's. The caller's identity is back
// afterwards (and after an error, through transaction abort).
uint64 execute_as(Oid role, Statement &stmt, const Datum *values, const char *nulls, bool read_only,
                  long limit = 0);

// One-shot statements (SPI must be connected). A SQL error raises as usual;
// a negative SPI result code cannot happen for a well-formed call and is
// reported with elog.
void run(const char *sql);
void runf(const char *fmt, ...) pg_attribute_printf(1, 2);
// printf into palloc'd memory (any length).
char *formatf(const char *fmt, ...) pg_attribute_printf(1, 2);
// Runs `sql`; the text of the first row's first column, or NULL (no row, or
// a null value).
char *first_value(const char *sql);
// Runs `sql`; the text of every row's first column, in order (a List of
// char *). Read before anything else runs: SPI_tuptable is overwritten by
// the next statement.
List *first_column(const char *sql);

}  // namespace pp::spi
