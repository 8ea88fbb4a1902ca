// Shared plumbing of the API functions.
#include "api_common.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "person_lock.hpp"
#include "spi.hpp"

extern "C" {
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/syscache.h"
#include "catalog/pg_proc.h"
}

#include <cctype>
#include <string>

namespace pp::api {

namespace {

Scope resolve_workspace(Datum id) {
	static spi::Statement workspace = {
		"SELECT pk FROM core_api.workspaces WHERE workspace_id OPERATOR(pg_catalog.=) $1", 1, {UUIDOID}, nullptr,
		InvalidOid};
	Datum args[1] = {id};
	if (spi::execute(workspace, args, nullptr, false, 1) == 0)
		throw errors::workspace_not_found(uuid_text(id).text);
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
Scope session_scope(Datum session, const char *source) {
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
		return resolve_workspace(DirectFunctionCall1(uuid_in, CStringGetDatum(id)));
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

int32 single_pk(spi::Statement &stmt, Datum id, const Scope &scope) {
	Datum args[2] = {id, Int32GetDatum(scope.workspace_pk)};
	char nulls[3] = {' ', scope.scoped ? ' ' : 'n', '\0'};
	if (spi::execute(stmt, args, nulls, false, 1) == 0)
		return -1;
	bool isnull;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

}  // namespace

Datum required_arg(FunctionCallInfo fcinfo, int argno, const char *name) {
	if (PG_ARGISNULL(argno))
		throw errors::null_argument(name);
	return PG_GETARG_DATUM(argno);
}

sync::UuidText uuid_text(Datum uuid) {
	sync::Uuid id;
	memcpy(id.bytes, DatumGetUUIDP(uuid)->data, UUID_LEN);
	return sync::uuid_text(id);
}

namespace {

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

Scope scope_of(FunctionCallInfo fcinfo, int session_argno) {
	// The session argument, when given, is judged alone (and published for
	// the row-level security policies); else hasura.user; neither means a
	// trusted SQL caller.
	if (PG_ARGISNULL(session_argno))
		return setting_scope();
	Datum session = PG_GETARG_DATUM(session_argno);
	text *session_text = DatumGetTextPP(session);
	const char *bytes = VARDATA_ANY(session_text);
	size_t len = VARSIZE_ANY_EXHDR(session_text);
	Scope scope = is_last_session(false, bytes, len)
	                  ? last_session.scope
	                  : remember_session(false, bytes, len, session_scope(session, "hasura_session"));
	publish_session(fcinfo, session);
	return scope;
}

Scope setting_scope() {
	const char *user = GetConfigOption("hasura.user", true, false);
	if (!user || !*user)
		return {false, 0};  // never set, or reset to '' after a SET LOCAL
	size_t len = strlen(user);
	if (is_last_session(true, user, len))
		return last_session.scope;
	if (!is_json_object(user))
		throw errors::session_not_object("hasura.user", std::string("\"") + user + "\"");
	return remember_session(true, user, len,
	                        session_scope(DirectFunctionCall1(json_in, CStringGetDatum(user)), "hasura.user"));
}

int32 find_person(Datum person_id, const Scope &scope) {
	static spi::Statement person = {
		"SELECT pk FROM {people} WHERE person_id OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL"
		" AND ($2 IS NULL OR workspace_pk OPERATOR(pg_catalog.=) $2)",
		2, {UUIDOID, INT4OID}, nullptr, InvalidOid};
	return single_pk(person, person_id, scope);
}

int32 resolve_person(Datum person_id, const Scope &scope) {
	int32 pk = find_person(person_id, scope);
	if (pk < 0)
		throw errors::person_not_found(uuid_text(person_id).text);
	return pk;
}

struct TargetsSql {
	char text[512];
	spi::Statement stmt;
};

spi::Statement &targets_statement(Target kind) {
	static TargetsSql media, locations;
	TargetsSql &t = kind == Target::media ? media : locations;
	if (!t.text[0]) {
		const char *table = kind == Target::media ? "media" : "locations";
		const char *id = kind == Target::media ? "media_id" : "location_id";
		Oid relid = host::core_api_relid(table);
		bool has_deleted = OidIsValid(relid) && get_attnum(relid, "deleted_at") != InvalidAttrNumber;
		bool has_ws = OidIsValid(relid) && get_attnum(relid, "workspace_pk") != InvalidAttrNumber;
		// LATERAL ... LIMIT 1: one index probe per id, whatever plan = ANY would get
		snprintf(t.text, sizeof t.text,
		         "SELECT u.id, t.pk, t.workspace_pk FROM pg_catalog.unnest($1) AS u (id),"
		         " LATERAL (SELECT pk, %s AS workspace_pk FROM core_api.%s WHERE %s OPERATOR(pg_catalog.=) u.id%s%s"
		         " LIMIT 1) AS t",
		         has_ws ? "workspace_pk" : "NULL::pg_catalog.int4", table, id,
		         has_deleted ? " AND deleted_at IS NULL" : "",
		         has_ws ? " AND ($2 IS NULL OR workspace_pk OPERATOR(pg_catalog.=) $2)" : " AND ($2 IS NULL OR true)");
		t.stmt = {t.text, 2, {UUIDARRAYOID, INT4OID}, nullptr, InvalidOid};
	}
	return t.stmt;
}

int32 resolve_target(Target kind, Datum target_id, const Scope &scope) {
	Datum ids = PointerGetDatum(construct_array(&target_id, 1, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	Datum args[2] = {ids, Int32GetDatum(scope.workspace_pk)};
	char nulls[3] = {' ', scope.scoped ? ' ' : 'n', '\0'};
	if (spi::execute(targets_statement(kind), args, nulls, false, 1) == 0)
		throw errors::target_not_found(kind == Target::media ? "media" : "location", uuid_text(target_id).text);
	bool isnull;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

Pair lock_pair(FunctionCallInfo fcinfo, Target kind, int session_argno) {
	Datum person_id = required_arg(fcinfo, 0, "person_id");
	Datum target_id = required_arg(fcinfo, 1, kind == Target::media ? "media_id" : "location_id");
	Scope scope = scope_of(fcinfo, session_argno);
	int32 person_pk = resolve_person(person_id, scope);
	int32 target_pk = resolve_target(kind, target_id, scope);
	lock_person(person_pk);
	return {person_pk, target_pk, person_id, target_id};
}

uint64 execute_pair(spi::Statement &stmt, const Pair &pair) {
	Datum args[2] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.target_pk)};
	return spi::execute(stmt, args, nullptr, false);
}

namespace {

// A statement on one pair of a pivot table: `fmt` names the table, then the
// target column, with %s.
struct PairSql {
	char text[384];
	spi::Statement stmt;
};

spi::Statement &pair_statement(PairSql (&by_kind)[2], Target kind, const char *fmt) {
	PairSql &t = by_kind[kind == Target::media ? 0 : 1];
	if (!t.text[0]) {
		bool media = kind == Target::media;
		snprintf(t.text, sizeof t.text, fmt, media ? "person_media" : "person_locations",
		         media ? "media_pk" : "location_pk");
		t.stmt = {t.text, 2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	}
	return t.stmt;
}

}  // namespace

uint64 read_active_pair(Target kind, const Pair &pair) {
	static PairSql active[2];
	return execute_pair(pair_statement(active, kind,
	                                   "SELECT * FROM core_api.%s WHERE person_pk OPERATOR(pg_catalog.=) $1"
	                                   " AND %s OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL"),
	                    pair);
}

Datum unlink_pair(FunctionCallInfo fcinfo, Target kind) {
	static PairSql unlink[2];
	return spi_rows(fcinfo, [&] {
		execute_pair(pair_statement(unlink, kind,
		                            "UPDATE core_api.%s SET deleted_at = pg_catalog.now()"
		                            " WHERE person_pk OPERATOR(pg_catalog.=) $1 AND %s OPERATOR(pg_catalog.=) $2"
		                            " AND deleted_at IS NULL RETURNING *"),
		             lock_pair(fcinfo, kind, 2));
	});
}

Datum person_rows(FunctionCallInfo fcinfo, spi::Statement &rows) {
	Datum person_id = required_arg(fcinfo, 0, "person_id");
	return spi_rows(fcinfo, [&] {
		// an unknown person reads as no rows: -1 matches none
		Datum args[1] = {Int32GetDatum(find_person(person_id, scope_of(fcinfo, 1)))};
		spi::execute(rows, args, nullptr, true);
	});
}

void begin_rows(FunctionCallInfo fcinfo) {
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
}

void append_spi_rows(FunctionCallInfo fcinfo) {
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	TupleDesc out = rsinfo->setDesc;
	TupleDesc in = SPI_tuptable->tupdesc;
	Datum *values = static_cast<Datum *>(palloc(out->natts * sizeof(Datum)));
	bool *nulls = static_cast<bool *>(palloc(out->natts * sizeof(bool)));
	for (uint64 row = 0; row < SPI_processed; row++) {
		HeapTuple tuple = SPI_tuptable->vals[row];
		int source = 1;  // SELECT * lists the live columns in table order
		for (int i = 0; i < out->natts; i++) {
			if (TupleDescAttr(out, i)->attisdropped || source > in->natts) {
				values[i] = 0;
				nulls[i] = true;
				continue;
			}
			values[i] = SPI_getbinval(tuple, in, source++, &nulls[i]);
		}
		tuplestore_putvalues(rsinfo->setResult, out, values, nulls);
	}
}

}  // namespace pp::api
