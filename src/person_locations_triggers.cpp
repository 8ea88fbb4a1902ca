// Triggers of core_api.person_locations: the shared pivot rules plus rule 5,
// one active primary per person, kept by demotion (or refusal in strict mode).
//
// Race-freedom: every promotion first takes the person lock (person_lock.hpp),
// so promoters of one person queue up, and the demotion that follows runs
// with a fresh snapshot that sees the previous holder's committed primary.
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "person_lock.hpp"
#include "pivot_rules.hpp"
#include "settings.hpp"
#include "spi.hpp"

namespace {

// The other active primary of the person, ignoring the row itself and, for
// an INSERT that will conflict on its pair (ON CONFLICT), the pair's row.
constexpr const char *other_primary_filter =
	"WHERE person_pk OPERATOR(pg_catalog.=) $1 AND is_primary AND deleted_at IS NULL "
	"AND pk OPERATOR(pg_catalog.<>) $2 "
	"AND NOT EXISTS (SELECT 1 FROM core_api.person_locations s "
	"WHERE s.person_pk OPERATOR(pg_catalog.=) $1 AND s.location_pk OPERATOR(pg_catalog.=) $3 "
	"AND s.deleted_at IS NULL AND s.pk OPERATOR(pg_catalog.<>) $2)";

void promote(Relation rel, const pp::rules::Columns &cols, HeapTuple row, bool is_insert) {
	static char demote_sql[1024], probe_sql[1024];
	static pp::spi::Statement demote = {demote_sql, 3, {INT4OID, INT4OID, INT4OID}, nullptr, InvalidOid};
	static pp::spi::Statement probe = {probe_sql, 3, {INT4OID, INT4OID, INT4OID}, nullptr, InvalidOid};
	if (!demote_sql[0]) {
		snprintf(demote_sql, sizeof demote_sql, "UPDATE core_api.person_locations SET is_primary = false %s",
		         other_primary_filter);
		snprintf(probe_sql, sizeof probe_sql, "SELECT 1 FROM core_api.person_locations %s LIMIT 1",
		         other_primary_filter);
	}
	TupleDesc desc = RelationGetDescr(rel);
	bool isnull;
	int32 person_pk = DatumGetInt32(heap_getattr(row, cols.person_pk, desc, &isnull));
	Datum args[3] = {Int32GetDatum(person_pk), heap_getattr(row, cols.pk, desc, &isnull),
	                 heap_getattr(row, cols.target_pk, desc, &isnull)};

	SPI_connect();
	pp::lock_person(person_pk);
	if (pp::settings::primary_conflict() == pp::settings::PrimaryConflict::error) {
		uint64 found = pp::spi::execute(probe, args, nullptr, false, 1);  // fresh snapshot
		SPI_finish();
		if (found > 0)
			throw pp::errors::primary_exists(person_pk);
		return;
	}
	pp::spi::execute(demote, args, nullptr, false);
	SPI_finish();
}

}  // namespace

PP_FUNCTION(person_locations_guard) {
	return pp::rules::guard_row(fcinfo, pp::rules::person_locations, promote);
}

PP_FUNCTION(person_locations_truncate_guard) {
	return pp::rules::guard_truncate(fcinfo, pp::rules::person_locations);
}
