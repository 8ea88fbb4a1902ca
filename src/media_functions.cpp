// API functions of core_api.person_media: link, unlink, read, and the
// privileged purge of a person's pivot rows (both tables).
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "person_lock.hpp"
#include "spi.hpp"

using pp::api::Target;

namespace {

struct Pair {
	int32 person_pk, media_pk;
};

// Resolves (person_id, media_id) in scope, then takes the person lock, as
// every API writer does before touching a pivot row: a transaction that
// links media and then syncs the same person must not hold a pair another
// sync waits for (docs/concurrency.md).
Pair lock_pair(FunctionCallInfo fcinfo) {
	Datum person_id = pp::api::required_arg(fcinfo, 0, "person_id");
	Datum media_id = pp::api::required_arg(fcinfo, 1, "media_id");
	pp::api::Scope scope = pp::api::scope_of(fcinfo, 2);
	int32 person_pk = pp::api::resolve_person(person_id, scope);
	int32 media_pk = pp::api::resolve_target(Target::media, media_id, scope);
	pp::lock_person(person_pk);
	return {person_pk, media_pk};
}

}  // namespace

PP_FUNCTION(link_person_media) {
	static pp::spi::Statement insert = {
		"INSERT INTO core_api.person_media (person_pk, media_pk) VALUES ($1, $2)"
		" ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) $1"
		" AND media_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	Pair pair = lock_pair(fcinfo);
	Datum args[2] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.media_pk)};
	// Concurrent linkers of one pair meet at the active-pair unique index:
	// the loser's DO NOTHING waits for the winner, then reads its row.
	if (pp::spi::execute(insert, args, nullptr, false) == 0)
		pp::spi::execute(active, args, nullptr, false);
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

PP_FUNCTION(unlink_person_media) {
	static pp::spi::Statement unlink = {
		"UPDATE core_api.person_media SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND media_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	Pair pair = lock_pair(fcinfo);
	Datum args[2] = {Int32GetDatum(pair.person_pk), Int32GetDatum(pair.media_pk)};
	pp::spi::execute(unlink, args, nullptr, false);
	pp::api::append_spi_rows(fcinfo);
	SPI_finish();
	return (Datum)0;
}

PP_FUNCTION(person_active_media) {
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL"
		" ORDER BY created_at, pk",
		1, {INT4OID}, nullptr, InvalidOid};
	return pp::api::person_rows(fcinfo, active);
}

// Erasure: physical removal of every pivot row of one person. SECURITY
// DEFINER (EXECUTE only for the roles the DBA grants it); the DELETEs run as
// each table's owner in a restricted operation, which the triggers let
// remove rows. It leaves a LOG line naming the person, the count and the
// session user.
PP_FUNCTION(purge_person) {
	static pp::spi::Statement person = {
		"SELECT pk FROM {people} WHERE person_id OPERATOR(pg_catalog.=) $1", 1, {UUIDOID}, nullptr, InvalidOid};
	static pp::spi::Statement purge_media = {
		"DELETE FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) $1", 1, {INT4OID}, nullptr,
		InvalidOid};
	static pp::spi::Statement purge_locations = {
		"DELETE FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) $1", 1, {INT4OID}, nullptr,
		InvalidOid};
	Datum person_id = PG_GETARG_DATUM(0);
	SPI_connect();
	Datum args[1] = {person_id};
	if (pp::spi::execute(person, args, nullptr, false, 1) == 0)
		throw pp::errors::person_not_found(pp::api::uuid_text(person_id));
	bool isnull;
	args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	pp::lock_person(DatumGetInt32(args[0]));  // as every API writer: the person before its rows
	// As each table's owner, restricted: the owner is what lets the triggers
	// remove rows, and the tables' own triggers must never run with the
	// rights of this function's owner (a superuser).
	int64 removed = static_cast<int64>(pp::spi::execute_as(
		pp::host::relation_owner(pp::host::core_api_relid("person_media")), purge_media, args, nullptr, false));
	removed += static_cast<int64>(pp::spi::execute_as(
		pp::host::relation_owner(pp::host::core_api_relid("person_locations")), purge_locations, args, nullptr, false));
	SPI_finish();
	ereport(LOG, (errmsg("person_pivots: purge_person removed %lld pivot rows of person %s",
	                     static_cast<long long>(removed), pp::api::uuid_text(person_id)),
	              errdetail("Requested by session user \"%s\".", GetUserNameFromId(GetSessionUserId(), false))));
	PG_RETURN_INT64(removed);
}
