// API functions of core_api.person_locations: link (or update), unlink,
// set the primary, and the reads (active links, the primary as a Hasura
// computed field). Every writer takes the person lock before it touches a
// pivot row (docs/concurrency.md).
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "person_lock.hpp"
#include "spi.hpp"

using pp::api::Target;

namespace {

constexpr int label_max_chars = 255;

struct Pair {
	int32 person_pk, location_pk;
	Datum person_id, location_id;
};

// Resolves (person_id, location_id) in scope, then takes the person lock:
// API calls lock their person before any pivot row, so transactions that
// make several calls on one person queue at the person and never hold a
// row another caller waits for (docs/concurrency.md).
Pair lock_pair(FunctionCallInfo fcinfo, int session_argno) {
	Datum person_id = pp::api::required_arg(fcinfo, 0, "person_id");
	Datum location_id = pp::api::required_arg(fcinfo, 1, "location_id");
	pp::api::Scope scope = pp::api::scope_of(fcinfo, session_argno);
	int32 person_pk = pp::api::resolve_person(person_id, scope);
	int32 location_pk = pp::api::resolve_target(Target::location, location_id, scope);
	pp::lock_person(person_pk);
	return {person_pk, location_pk, person_id, location_id};
}

}  // namespace

PP_FUNCTION(link_person_location) {
	static pp::spi::Statement upsert = {
		"INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary, is_legal)"
		" VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE"
		" SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal"
		" WHERE (person_locations.label, person_locations.is_primary, person_locations.is_legal)"
		" IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.is_primary, EXCLUDED.is_legal)"
		" RETURNING *",
		5, {INT4OID, INT4OID, VARCHAROID, BOOLOID, BOOLOID}, nullptr, InvalidOid};
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1"
		" AND location_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	static pp::spi::Statement lock_active = {
		"SELECT 1 FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1"
		" AND location_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL FOR NO KEY UPDATE",
		5, {INT4OID, INT4OID, VARCHAROID, BOOLOID, BOOLOID}, nullptr, InvalidOid};
	static pp::spi::Statement update = {
		"UPDATE core_api.person_locations SET label = $3, is_primary = $4, is_legal = $5"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND location_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL AND (label, is_primary, is_legal) IS DISTINCT FROM ($3, $4, $5)"
		" RETURNING *",
		5, {INT4OID, INT4OID, VARCHAROID, BOOLOID, BOOLOID}, nullptr, InvalidOid};
	Datum label = pp::api::required_arg(fcinfo, 2, "label");
	bool is_primary = DatumGetBool(pp::api::required_arg(fcinfo, 3, "is_primary"));
	bool is_legal = DatumGetBool(pp::api::required_arg(fcinfo, 4, "is_legal"));
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	Pair pair = lock_pair(fcinfo, 5);
	if (DirectFunctionCall1(textlen, label) > label_max_chars)
		throw pp::errors::label_too_long(pp::api::uuid_text(pair.location_id), pp::api::uuid_text(pair.person_id));
	Datum args[5] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.location_pk), label, BoolGetDatum(is_primary),
	                 BoolGetDatum(is_legal)};
	// An existing active link is updated in place (locked first, so that a
	// concurrent plain writer of the row is waited for before deciding).
	if (pp::spi::execute(lock_active, args, nullptr, false) > 0) {
		if (pp::spi::execute(update, args, nullptr, false) == 0)
			pp::spi::execute(active, args, nullptr, false);  // already exactly so: no write
	} else if (pp::spi::execute(upsert, args, nullptr, false) == 0) {
		pp::spi::execute(active, args, nullptr, false);
	}
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

PP_FUNCTION(unlink_person_location) {
	static pp::spi::Statement unlink = {
		"UPDATE core_api.person_locations SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND location_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	Pair pair = lock_pair(fcinfo, 2);
	Datum args[2] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.location_pk)};
	pp::spi::execute(unlink, args, nullptr, false);
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

PP_FUNCTION(set_primary_location) {
	static pp::spi::Statement promote = {
		"UPDATE core_api.person_locations SET is_primary = true"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND location_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL AND NOT is_primary RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1"
		" AND location_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	Pair pair = lock_pair(fcinfo, 2);
	Datum args[2] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.location_pk)};
	if (pp::spi::execute(promote, args, nullptr, false) == 0 && pp::spi::execute(active, args, nullptr, false) == 0)
		throw pp::errors::link_not_found(pp::api::uuid_text(pair.person_id), "location",
		                                 pp::api::uuid_text(pair.location_id));
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

PP_FUNCTION(person_active_locations) {
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL"
		" ORDER BY is_primary DESC, created_at, pk",
		1, {INT4OID}, nullptr, InvalidOid};
	return pp::api::person_rows(fcinfo, active);
}

// Hasura computed field on the people table: the row is given, so there is
// nothing to scope; Hasura's permissions on people already decided.
PP_FUNCTION(primary_location) {
	static pp::spi::Statement primary = {
		"SELECT * FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1"
		" AND is_primary AND deleted_at IS NULL",
		1, {INT4OID}, nullptr, InvalidOid};
	pp::api::begin_rows(fcinfo);
	if (PG_ARGISNULL(0))
		return (Datum)0;  // a NULL person (outer join, LATERAL) has no primary
	HeapTupleHeader person = PG_GETARG_HEAPTUPLEHEADER(0);
	bool isnull;
	Datum pk = GetAttributeByName(person, "pk", &isnull);
	if (isnull)
		return (Datum)0;
	SPI_connect();
	Datum args[1] = {pk};
	pp::spi::execute(primary, args, nullptr, true);
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}
