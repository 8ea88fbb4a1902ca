// Tenant scope: the workspace an API call acts for, from the Hasura session
// (the hasura_session argument, else the hasura.user setting), and the
// scope the row-level security policies read. What the scope admits is the
// workspace rule of docs/design.md (Tenant scope): a scoped caller sees the
// rows of its workspace, and an id of another workspace reads as missing.
// These helpers call Postgres directly: call them from frames holding only
// trivially destructible locals, with SPI connected.
#pragma once

#include "pg.hpp"

namespace pp::tenant {

// The workspace the caller acts for. From hasura_session's
// x-hasura-workspace-id, else from the hasura.user setting Hasura sets in
// mutation transactions; neither present means a trusted SQL caller.
struct Scope {
	bool scoped;
	int32 workspace_pk;
};

// read_only: the caller is a STABLE function; its lookups then read the
// caller's snapshot, so one call sees the database in one state.
Scope scope_of(FunctionCallInfo fcinfo, int session_argno, bool read_only = false);
// The scope of the hasura.user setting alone (no session argument): what
// the row-level security policies use.
Scope setting_scope(bool read_only = false);

}  // namespace pp::tenant
