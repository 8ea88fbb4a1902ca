// API functions of core_api.person_locations: link (or update), unlink,
// set the primary, and the reads (active links, the primary as a Hasura
// computed field). Every writer takes the person lock before it touches a
// pivot row (docs/concurrency.md).
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host_contract.hpp"
#include "spi.hpp"

extern "C" {
#include "utils/typcache.h"
}

using pp::api::Target;

namespace {

constexpr int label_max_chars = 255;

}  // namespace

PP_FUNCTION(link_person_location) {
	static pp::spi::Statement upsert = {
		"INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)"
		" VALUES ($1, $2, $3, $4, $5)" PP_LOCATION_UPSERT " RETURNING *",
		5, {INT4OID, INT4OID, VARCHAROID, BOOLOID, BOOLOID}, nullptr, InvalidOid};
	Datum label = pp::api::required_arg(fcinfo, 2, "label");
	bool is_primary = DatumGetBool(pp::api::required_arg(fcinfo, 3, "is_primary"));
	bool is_legal = DatumGetBool(pp::api::required_arg(fcinfo, 4, "is_legal"));
	return pp::api::spi_rows(fcinfo, [&] {
		pp::api::Pair pair = pp::api::lock_pair(fcinfo, Target::location, 5);
		if (DirectFunctionCall1(textlen, label) > label_max_chars)
			throw pp::errors::label_too_long(pp::api::uuid_text(pair.target_id).text,
			                                 pp::api::uuid_text(pair.person_id).text);
		Datum args[5] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.target_pk), label,
		                 BoolGetDatum(is_primary), BoolGetDatum(is_legal)};
		// No row back: the active link already has these values.
		if (pp::spi::execute(upsert, args, nullptr, false) == 0)
			pp::api::read_active_pair(Target::location, pair);
	});
}

PP_FUNCTION(unlink_person_location) {
	return pp::api::unlink_pair(fcinfo, Target::location);
}

PP_FUNCTION(set_primary_location) {
	static pp::spi::Statement promote = {
		"UPDATE core_api.person_locations SET is_primary = true"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND location_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL AND NOT is_primary RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	return pp::api::spi_rows(fcinfo, [&] {
		pp::api::Pair pair = pp::api::lock_pair(fcinfo, Target::location, 2);
		if (pp::api::execute_pair(promote, pair) == 0 && pp::api::read_active_pair(Target::location, pair) == 0)
			throw pp::errors::link_not_found(pp::api::uuid_text(pair.person_id).text, "location",
			                                 pp::api::uuid_text(pair.target_id).text);
	});
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
	// The row's pk is read as integer only if people.pk is one now (the
	// check also locks the table for the transaction).
	pp::contract::current(pp::contract::uses(pp::contract::people));
	HeapTupleHeader person = PG_GETARG_HEAPTUPLEHEADER(0);
	TupleDesc desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(person), HeapTupleHeaderGetTypMod(person));
	Oid pk_type = InvalidOid;
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), "pk") == 0)
			pk_type = TupleDescAttr(desc, i)->atttypid;
	ReleaseTupleDesc(desc);
	pp::contract::require_int4(pk_type, pp::contract::people_name(), "pk");
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
