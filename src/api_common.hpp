// What every API function (schema person_pivots) needs: arguments, the
// caller's workspace scope, uuid -> pk resolution, and returning rows.
// These helpers call Postgres directly: call them from frames holding only
// trivially destructible locals, with SPI connected.
#pragma once

#include "pg.hpp"
#include "spi.hpp"

namespace pp::api {

// The workspace the caller acts for. From hasura_session's
// x-hasura-workspace-id, else from the hasura.user setting Hasura sets in
// mutation transactions; neither present means a trusted SQL caller.
struct Scope {
	bool scoped;
	int32 workspace_pk;
};

Scope scope_of(FunctionCallInfo fcinfo, int session_argno);
// The scope of the hasura.user setting alone (no session argument): what
// the row-level security policies use.
Scope setting_scope();

// A required argument; NULL is error 22004 naming the argument.
Datum required_arg(FunctionCallInfo fcinfo, int argno, const char *name);

// The uuid as text, for messages.
const char *uuid_text(Datum uuid);

// pk of the person (active, in scope), or -1.
int32 find_person(Datum person_id, const Scope &scope);
// Same, but a missing or out-of-scope person is error 23503.
int32 resolve_person(Datum person_id, const Scope &scope);

enum class Target { media, location };
// pk of the media/location (not soft-deleted, in scope); error 23503 if none.
int32 resolve_target(Target kind, Datum target_id, const Scope &scope);
int32 find_target(Target kind, Datum target_id, const Scope &scope);

// The read functions' shared body: person_id (argument 0) and the session
// (argument 1) resolve the person; `rows` ($1 = person pk) is returned.
// An unknown or out-of-scope person has no rows.
Datum person_rows(FunctionCallInfo fcinfo, spi::Statement &rows);

// Starts a materialized set result; call before SPI_connect.
void begin_rows(FunctionCallInfo fcinfo);
// Appends the rows of the last SPI statement (columns of the pivot table,
// in table order) to the result.
void append_spi_rows(FunctionCallInfo fcinfo);

}  // namespace pp::api
