// Shared plumbing of the API functions.
#include "api_common.hpp"
#include "errors.hpp"
#include "host_contract.hpp"
#include "person_lock.hpp"
#include "spi.hpp"

extern "C" {
#include "utils/array.h"
}

namespace pp::api {

namespace {

contract::TableId target_table(Target kind) {
	return kind == Target::media ? contract::media : contract::locations;
}

}  // namespace

int32 host_int4(uint64 row, int column, const char *table, const char *name, bool *isnull) {
	contract::require_int4(SPI_gettypeid(SPI_tuptable->tupdesc, column), table, name);
	Datum d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, isnull);
	return *isnull ? 0 : DatumGetInt32(d);
}

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

int32 find_person(Datum person_id, const Scope &scope, bool read_only) {
	static spi::Statement person = {
		"SELECT pk FROM {people} WHERE person_id OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL"
		" AND ($2 IS NULL OR workspace_pk OPERATOR(pg_catalog.=) $2)",
		2, {UUIDOID, INT4OID}, nullptr, InvalidOid};
	const contract::Host &host = contract::current(contract::uses(contract::people));
	Datum args[2] = {person_id, Int32GetDatum(scope.workspace_pk)};
	char nulls[3] = {' ', scope.scoped ? ' ' : 'n', '\0'};
	if (spi::execute(person, args, nulls, read_only, 1) == 0)
		return -1;
	bool isnull;
	return host_int4(0, 1, host[contract::people].name, "pk", &isnull);
}

int32 resolve_person(Datum person_id, const Scope &scope) {
	int32 pk = find_person(person_id, scope);
	if (pk < 0)
		throw errors::person_not_found(uuid_text(person_id).text);
	return pk;
}

struct TargetsSql {
	char text[512];
	uint64 generation;  // of the host contract the text was built under
	spi::Statement stmt;
};

spi::Statement &targets_statement(Target kind) {
	static TargetsSql media, locations;
	TargetsSql &t = kind == Target::media ? media : locations;
	const contract::Table &host = contract::current(contract::uses(target_table(kind)))[target_table(kind)];
	// Built again after any change to the table (a migration that adds
	// deleted_at or workspace_pk): the saved plan follows (spi.hpp).
	if (t.generation != contract::generation()) {
		const char *table = kind == Target::media ? "media" : "locations";
		const char *id = kind == Target::media ? "media_id" : "location_id";
		bool has_deleted = host.deleted_at != InvalidAttrNumber;
		bool has_ws = host.workspace_pk != InvalidAttrNumber;
		// LATERAL ... LIMIT 1: one index probe per id, whatever plan = ANY would get
		snprintf(t.text, sizeof t.text,
		         "SELECT u.id, t.pk, t.workspace_pk FROM pg_catalog.unnest($1) AS u (id),"
		         " LATERAL (SELECT pk, %s AS workspace_pk FROM core_api.%s WHERE %s OPERATOR(pg_catalog.=) u.id%s%s"
		         " LIMIT 1) AS t",
		         has_ws ? "workspace_pk" : "NULL::pg_catalog.int4", table, id,
		         has_deleted ? " AND deleted_at IS NULL" : "",
		         has_ws ? " AND ($2 IS NULL OR workspace_pk OPERATOR(pg_catalog.=) $2)" : " AND ($2 IS NULL OR true)");
		t.stmt.text = t.text;
		t.stmt.nargs = 2;
		t.stmt.argtypes[0] = UUIDARRAYOID;
		t.stmt.argtypes[1] = INT4OID;
		t.generation = contract::generation();
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
	return host_int4(0, 2, kind == Target::media ? "core_api.media" : "core_api.locations", "pk", &isnull);
}

Pair lock_pair(FunctionCallInfo fcinfo, Target kind, int session_argno) {
	Datum person_id = required_arg(fcinfo, 0, "person_id");
	Datum target_id = required_arg(fcinfo, 1, kind == Target::media ? "media_id" : "location_id");
	// The host tables this call reads, locked and checked before anything else.
	contract::current(contract::uses(contract::people) | contract::uses(target_table(kind)));
	Scope scope = tenant::scope_of(fcinfo, session_argno);
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
		// One snapshot for the whole call (a STABLE function): every lookup
		// is read-only, so it reads the caller's snapshot.
		contract::current(contract::uses(contract::people));
		// an unknown person reads as no rows: -1 matches none
		Datum args[1] = {Int32GetDatum(find_person(person_id, tenant::scope_of(fcinfo, 1, true), true))};
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
