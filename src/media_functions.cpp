// API functions of core_api.person_media: link, unlink, and the read of a
// person's active links. Every writer takes the person lock before it
// touches a pivot row (docs/concurrency.md).
#include "api_common.hpp"
#include "boundary.hpp"
#include "spi.hpp"

using pp::api::Target;

PP_FUNCTION(link_person_media) {
	static pp::spi::Statement insert = {
		"INSERT INTO core_api.person_media (person_pk, media_pk) VALUES ($1, $2)"
		" ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING RETURNING *",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	return pp::api::spi_rows(fcinfo, [&] {
		pp::api::Pair pair = pp::api::lock_pair(fcinfo, Target::media, 2);
		// Already linked: DO NOTHING (after waiting for a plain INSERT of the
		// pair still in progress), then read the active row.
		if (pp::api::execute_pair(insert, pair) == 0)
			pp::api::read_active_pair(Target::media, pair);
	});
}

PP_FUNCTION(unlink_person_media) {
	return pp::api::unlink_pair(fcinfo, Target::media);
}

PP_FUNCTION(person_active_media) {
	static pp::spi::Statement active = {
		"SELECT * FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL"
		" ORDER BY created_at, pk",
		1, {INT4OID}, nullptr, InvalidOid};
	return pp::api::person_rows(fcinfo, active);
}
