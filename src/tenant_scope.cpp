// See tenant_scope.hpp. Session parsing fails closed (docs/design.md,
// Tenant scope).
#include "tenant_scope.hpp"
#include "api_common.hpp"
#include "errors.hpp"
#include "host_contract.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_proc.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/syscache.h"
}

#include <cctype>
#include <string>

namespace pp::tenant {

namespace {

// The workspace of x-hasura-workspace-id. read_only: the caller is a STABLE
// function, whose lookups all read the caller's snapshot.
Scope resolve_workspace(Datum id, bool read_only) {
	// Locks core_api.workspaces for the transaction and checks its contract
	// (its pk is read as integer below).
	contract::current(contract::uses(contract::workspaces));
	static spi::Statement workspace = {
		"SELECT pk FROM core_api.workspaces WHERE workspace_id OPERATOR(pg_catalog.=) $1", 1, {UUIDOID}, nullptr,
		InvalidOid};
	Datum args[1] = {id};
	if (spi::execute(workspace, args, nullptr, read_only, 1) == 0)
		throw errors::workspace_not_found(api::uuid_text(id).text);
	contract::require_int4(SPI_gettypeid(SPI_tuptable->tupdesc, 1), "core_api.workspaces", "pk");
	bool isnull;
	return {true, DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))};
}

// Whether `text` is one JSON object. Uses the non-throwing JSON parser, so
// a malformed hasura.user is our 22023 and not json_in's 22P02.
bool is_json_object(const char *text) {
	size_t len = strlen(text);
	JsonLexContext *lex = makeJsonLexContextCstringLen(const_cast<char *>(text), static_cast<int>(len),
	                                                   GetDatabaseEncoding(), false);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return false;
	const char *first = text;
	while (*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r')
		first++;
	return *first == '{';
}

bool is_uuid_text(const char *text) {
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (strlen(text) != sizeof shape - 1)
		return false;
	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == '-' ? text[i] != '-' : !isxdigit(static_cast<unsigned char>(text[i])))
			return false;
	return true;
}

// The scope a Hasura session (json) grants; `source` names it in errors.
// Fails closed (docs/design.md, Tenant scope): not an object, a workspace
// id that is not a uuid, or a role other than admin without a workspace is
// error 22023.
Scope session_scope(Datum session, const char *source, bool read_only) {
	static spi::Statement fields = {
		"SELECT pg_catalog.json_typeof($1), pg_catalog.json_typeof($1 OPERATOR(pg_catalog.->) 'x-hasura-workspace-id'),"
		" $1 OPERATOR(pg_catalog.->>) 'x-hasura-workspace-id', $1 OPERATOR(pg_catalog.->>) 'x-hasura-role'",
		1, {JSONOID}, nullptr, InvalidOid};
	Datum args[1] = {session};
	spi::execute(fields, args, nullptr, true, 1);
	HeapTuple row = SPI_tuptable->vals[0];
	TupleDesc desc = SPI_tuptable->tupdesc;
	char *type = SPI_getvalue(row, desc, 1);
	if (!type || strcmp(type, "object") != 0)
		throw errors::session_not_object(source, type ? type : "null");
	char *id_type = SPI_getvalue(row, desc, 2);
	if (id_type && strcmp(id_type, "null") != 0) {
		char *id = SPI_getvalue(row, desc, 3);
		if (strcmp(id_type, "string") != 0 || !is_uuid_text(id))
			throw errors::session_workspace_invalid(source, id ? id : "");
		return resolve_workspace(DirectFunctionCall1(uuid_in, CStringGetDatum(id)), read_only);
	}
	char *role = SPI_getvalue(row, desc, 4);
	if (role && strcmp(role, "admin") == 0)
		return {false, 0};  // Hasura's admin role, no workspace: every workspace
	throw errors::session_without_workspace(source, role ? role : "");
}

// Makes the session argument the function's hasura.user for the rest of
// the call, so the row-level security policies (which cannot see the
// argument) and any trigger see the scope the function acts in. The value
// is saved at the GUC nesting level of the function's own SET clause, which
// fmgr undoes when the call returns or fails; a declaration without one
// would leak it to the rest of the transaction, so that is refused.
void publish_session(FunctionCallInfo fcinfo, Datum session) {
	HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	bool no_set_clause;
	SysCacheGetAttr(PROCOID, proc, Anum_pg_proc_proconfig, &no_set_clause);
	ReleaseSysCache(proc);
	if (no_set_clause)
		elog(ERROR, "function %s must be declared with SET search_path to take a session argument",
		     get_func_name(fcinfo->flinfo->fn_oid));
	char *session_text = text_to_cstring(DatumGetTextPP(session));
	set_config_option("hasura.user", session_text, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

// The last session judged in this transaction, and its scope: Hasura passes
// the same session to every root field of a request, so each call after
// the first skips the two lookups. Kept for one transaction only; a
// session that fails is never kept.
struct LastSession {
	LocalTransactionId lxid;
	bool from_setting;
	size_t len;
	char text[1024];
	Scope scope;
};
LastSession last_session = {InvalidLocalTransactionId, false, 0, {}, {false, 0}};

bool is_last_session(bool from_setting, const char *text, size_t len) {
	return last_session.lxid == MyProc->lxid && last_session.from_setting == from_setting &&
	       last_session.len == len && memcmp(last_session.text, text, len) == 0;
}

Scope remember_session(bool from_setting, const char *text, size_t len, Scope scope) {
	if (len <= sizeof last_session.text) {
		last_session.lxid = MyProc->lxid;
		last_session.from_setting = from_setting;
		last_session.len = len;
		memcpy(last_session.text, text, len);
		last_session.scope = scope;
	}
	return scope;
}

}  // namespace

Scope scope_of(FunctionCallInfo fcinfo, int session_argno, bool read_only) {
	// The session argument, when given, is judged alone (and published for
	// the row-level security policies); else hasura.user; neither means a
	// trusted SQL caller.
	if (PG_ARGISNULL(session_argno))
		return setting_scope(read_only);
	Datum session = PG_GETARG_DATUM(session_argno);
	text *session_text = DatumGetTextPP(session);
	const char *bytes = VARDATA_ANY(session_text);
	size_t len = VARSIZE_ANY_EXHDR(session_text);
	Scope scope = is_last_session(false, bytes, len)
	                  ? last_session.scope
	                  : remember_session(false, bytes, len, session_scope(session, "hasura_session", read_only));
	publish_session(fcinfo, session);
	return scope;
}

Scope setting_scope(bool read_only) {
	const char *user = GetConfigOption("hasura.user", true, false);
	if (!user || !*user)
		return {false, 0};  // never set, or reset to '' after a SET LOCAL
	size_t len = strlen(user);
	if (is_last_session(true, user, len))
		return last_session.scope;
	if (!is_json_object(user))
		throw errors::session_not_object("hasura.user", std::string("\"") + user + "\"");
	return remember_session(true, user, len,
	                        session_scope(DirectFunctionCall1(json_in, CStringGetDatum(user)), "hasura.user", read_only));
}


}  // namespace pp::tenant
