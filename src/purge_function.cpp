// person_pivots.purge_person: the one physical removal, of every pivot row
// of one person in both tables (an erasure request).
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "host_contract.hpp"
#include "person_lock.hpp"
#include "spi.hpp"

namespace {

// DESIGN section 4: erasure is privileged and never for application roles.
// EXECUTE decides who may call purge_person (PUBLIC has none; the DBA
// grants it to an erasure role). This refuses, even when EXECUTE was
// granted to it, a caller that can write a pivot table without being a
// maintenance role (superuser, or member of the table's owner): an
// application role, as grant_application_role makes one. The caller is
// the session's current role (after SET ROLE); the function runs as its
// owner, so GetUserId() would name the owner.
void refuse_application_role() {
	Oid caller = GetOuterUserId();
	for (const char *table : {"person_media", "person_locations"}) {
		Oid relid = pp::host::core_api_relid(table);
		if (!OidIsValid(relid) || has_privs_of_role(caller, pp::host::relation_owner(relid)))
			continue;
		if (pg_class_aclcheck(relid, caller, ACL_INSERT | ACL_UPDATE | ACL_DELETE) == ACLCHECK_OK)
			throw pp::errors::purge_by_application_role(GetUserNameFromId(caller, false),
			                                            psprintf("core_api.%s", table));
	}
}

}  // namespace

// SECURITY DEFINER (EXECUTE only for the roles the DBA grants it, never an
// application role: refuse_application_role); the DELETEs run as each
// table's owner in a restricted operation, which the triggers let remove
// rows. It leaves a LOG line naming the person, the count and the session
// user.
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
	refuse_application_role();
	const char *people = pp::contract::current(pp::contract::uses(pp::contract::people))[pp::contract::people].name;
	SPI_connect();
	Datum args[1] = {person_id};
	if (pp::spi::execute(person, args, nullptr, false, 1) == 0)
		throw pp::errors::person_not_found(pp::api::uuid_text(person_id).text);
	bool isnull;
	args[0] = Int32GetDatum(pp::api::host_int4(0, 1, people, "pk", &isnull));
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
	                     static_cast<long long>(removed), pp::api::uuid_text(person_id).text),
	              errdetail("Requested by session user \"%s\".", GetUserNameFromId(GetSessionUserId(), false))));
	PG_RETURN_INT64(removed);
}
