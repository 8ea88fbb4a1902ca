// What every API function (schema person_pivots) needs: arguments, uuid ->
// pk resolution in a tenant scope (tenant_scope.hpp), and returning rows.
// These helpers call Postgres directly: call them from frames holding only
// trivially destructible locals, with SPI connected.
#pragma once

#include "pg.hpp"
#include "spi.hpp"
#include "sync_diff.hpp"
#include "tenant_scope.hpp"

namespace pp::api {

using tenant::Scope;

// A required argument; NULL is error 22004 naming the argument.
Datum required_arg(FunctionCallInfo fcinfo, int argno, const char *name);

// The uuid as text, for messages: a fixed buffer, no allocation, cannot
// fail, so a message can be built from several without a Postgres call
// between them.
sync::UuidText uuid_text(Datum uuid);

// pk of the person (active, in scope), or -1. read_only: for STABLE
// callers (the caller's snapshot).
int32 find_person(Datum person_id, const Scope &scope, bool read_only = false);
// Same, but a missing or out-of-scope person is error 23503.
int32 resolve_person(Datum person_id, const Scope &scope);

enum class Target { media, location };
// pk of the media/location (not soft-deleted, in scope); error 23503 if none.
int32 resolve_target(Target kind, Datum target_id, const Scope &scope);

// The targets (not soft-deleted, in scope $2) of the uuid[] $1: one row
// (uuid, pk, workspace_pk or NULL) per id found, one index probe each.
// Built from the columns the host table has now: locks the table, checks
// its contract, and rebuilds the text after any change to it.
spi::Statement &targets_statement(Target kind);

// The upsert of a location link that link_person_location and the sync
// writer share (the table aliased "t"): an active pair gets the proposed
// label and flags, and is not written at all when it already has them.
// A row comparison with a qualified <> rather than IS DISTINCT FROM, whose
// = cannot be qualified: the three columns are NOT NULL in both rows (the
// proposed row's constraints are checked before the conflict), so the two
// agree.
#define PP_LOCATION_UPSERT                                                                          \
	" ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE"                      \
	" SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal" \
	" WHERE (t.label, t.is_primary, t.is_legal)"                                                    \
	" OPERATOR(pg_catalog.<>) (EXCLUDED.label, EXCLUDED.is_primary, EXCLUDED.is_legal)"

// One (person, target) pair an API call writes, resolved.
struct Pair {
	int32 person_pk, target_pk;
	Datum person_id, target_id;
};
// Resolves arguments 0 and 1 (person_id and the target's id) in the scope
// of the session argument, then takes the person lock: every API writer
// locks its person before any pivot row (docs/concurrency.md).
Pair lock_pair(FunctionCallInfo fcinfo, Target kind, int session_argno);
// Runs `stmt` with $1 = the pair's person pk, $2 = its target pk.
uint64 execute_pair(spi::Statement &stmt, const Pair &pair);
// Reads the pair's active row (SELECT *): for calls that changed nothing.
uint64 read_active_pair(Target kind, const Pair &pair);
// The body of unlink_person_media/location: soft-deletes the pair's active
// row and returns it (no row: nothing was linked).
Datum unlink_pair(FunctionCallInfo fcinfo, Target kind);

// The read functions' shared body: person_id (argument 0) and the session
// (argument 1) resolve the person; `rows` ($1 = person pk) is returned.
// An unknown or out-of-scope person has no rows.
Datum person_rows(FunctionCallInfo fcinfo, spi::Statement &rows);

// The int4 value of column `column` of the last SPI result's row `row`: a
// key read from a host table, refused (42804) unless it is an integer.
int32 host_int4(uint64 row, int column, const char *table, const char *name, bool *isnull);

// Starts a materialized set result; call before SPI_connect.
void begin_rows(FunctionCallInfo fcinfo);
// Appends the rows of the last SPI statement (columns of the pivot table,
// in table order) to the result.
void append_spi_rows(FunctionCallInfo fcinfo);

// The shape every row-returning API function shares: a materialized
// result, SPI connected while `body` runs, and the rows of body's last
// statement returned. `body` holds only trivially destructible locals.
template <typename Body>
Datum spi_rows(FunctionCallInfo fcinfo, Body body) {
	begin_rows(fcinfo);
	SPI_connect();
	body();
	append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

}  // namespace pp::api
