// Saved SPI plans for the fixed statements the triggers and functions run.
// Every statement text is schema-qualified down to its operators
// (OPERATOR(pg_catalog.=)), so no search_path can redirect it.
#pragma once

#include "pg.hpp"

namespace pp::spi {

// A statement prepared once per backend (and again if the people table it
// names changes). Define them as function-local statics.
struct Statement {
	const char *text;  // may contain {people}, replaced by the people table
	int nargs;
	Oid argtypes[6];
	SPIPlanPtr plan;
	Oid people;  // the people relid the plan was prepared for
};

// Executes `stmt` (SPI must be connected). Returns SPI_processed.
uint64 execute(Statement &stmt, const Datum *values, const char *nulls, bool read_only, long limit = 0);

// Opens a cursor on `stmt` (SPI must be connected), for results too large
// to hold at once: fetch with SPI_cursor_fetch, close with SPI_cursor_close.
Portal open_cursor(Statement &stmt, const Datum *values, const char *nulls, bool read_only);

// Runs `stmt` as `role` in a security-restricted operation (as REFRESH
// MATERIALIZED VIEW runs as the view's owner): triggers that fire run with
// that role's rights, never the caller's. The caller's identity is back
// afterwards (and after an error, through transaction abort).
uint64 execute_as(Oid role, Statement &stmt, const Datum *values, const char *nulls, bool read_only,
                  long limit = 0);

}  // namespace pp::spi
