// Triggers of core_api.person_locations: the shared pivot rules plus rule 5,
// one active primary per person, kept by demotion (or refusal in strict mode).
//
// Race-freedom (docs/concurrency.md): every promotion holds the person lock
// (person_lock.hpp), so promoters of one person queue up. The current
// primary is then found through the primary index, each row judged
// by its newest version as a dirty snapshot sees it: what the previous lock
// holder committed, what this statement already wrote, and writes still in
// progress (waited for). Only when there is one does an SPI UPDATE by ctid
// (run as a TID scan, spi::execute_by_tid) demote it. A bulk load of new
// people runs no SPI at all.
#include "active_rows.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "person_lock.hpp"
#include "pivot_rules.hpp"
#include "settings.hpp"
#include "spi.hpp"

namespace {

// Demotes the person's row at `tid`; false when this snapshot does not see it there.
bool demote(ItemPointerData tid, int32 person_pk) {
	static pp::spi::Statement demote_by_tid = {
		"UPDATE core_api.person_locations SET is_primary = false"
		" WHERE ctid OPERATOR(pg_catalog.=) $1 AND person_pk OPERATOR(pg_catalog.=) $2"
		" AND is_primary AND deleted_at IS NULL",
		2, {TIDOID, INT4OID}, nullptr, InvalidOid};
	Datum args[2] = {PointerGetDatum(&tid), Int32GetDatum(person_pk)};
	SPI_connect();
	uint64 n = pp::spi::execute_by_tid(demote_by_tid, args, nullptr);
	SPI_finish();
	return n > 0;
}

// Demotes the person's current primary, other than row `self_pk`, if there
// is one. The caller holds the person lock. An INSERT (`inserting`) of a
// pair that turns out to have an active row stops instead: it will not add
// a row (it fails on the pair, or ON CONFLICT's UPDATE decides).
void demote_current(Relation rel, const pp::rules::Columns &cols, int32 person_pk, int32 location_pk, int32 self_pk,
                    bool inserting) {
	// Each round that does not finish waited for another transaction to end
	// (or saw the primary get a new version between probe and demotion), so
	// the loop makes progress; the bound only guards against a pathology.
	for (int round = 0; round < 100; round++) {
		pp::active::Row current = pp::active::primary(rel, cols, person_pk, self_pk);
		if (!current.found)
			return;
		if (pp::active::wait_for_writer(rel, current))
			continue;
		// A pair row that appeared since the check before the person lock is
		// only probed, not locked: a plain promoter of that row holds it
		// while it waits for the person lock this transaction holds.
		if (inserting && (current.location_pk == location_pk ||
		                  pp::active::settled_pair(rel, cols, person_pk, location_pk, self_pk).found))
			return;
		if (pp::settings::primary_conflict() == pp::settings::PrimaryConflict::error)
			throw pp::errors::primary_exists(person_pk);
		if (demote(current.tid, person_pk))
			return;
		// Under REPEATABLE READ the newer primary is invisible to this
		// transaction: that is a serialization failure, reported as such.
		if (IsolationUsesXactSnapshot())
			throw pp::errors::primary_serialization(person_pk);
	}
	throw pp::errors::primary_serialization(person_pk);
}

// The table's primary hook (pivot_rules.hpp). Lock order:
// docs/concurrency.md.
void on_primary_change(Relation rel, const pp::rules::Columns &cols, HeapTuple row, pp::rules::PrimaryEvent event,
                       const ItemPointerData *person_tid) {
	TupleDesc desc = RelationGetDescr(rel);
	bool isnull;
	int32 person_pk = DatumGetInt32(heap_getattr(row, cols.person_pk, desc, &isnull));
	int32 self_pk = DatumGetInt32(heap_getattr(row, cols.pk, desc, &isnull));
	int32 location_pk = DatumGetInt32(heap_getattr(row, cols.target_pk, desc, &isnull));
	switch (event) {
	case pp::rules::PrimaryEvent::touched:
		// Only changes the current primary: cannot make a second one, so it
		// never waits for the person lock while it holds this row; it takes
		// the lock when free, so a later promotion in its transaction does
		// not queue behind another promoter.
		pp::try_lock_person(person_pk);
		return;
	case pp::rules::PrimaryEvent::inserted:
		// An INSERT of a pair that already has an active row never promotes
		// (ON CONFLICT's UPDATE decides), so it takes no person lock.
		if (pp::active::lock_settled_pair(rel, cols, person_pk, location_pk, self_pk))
			return;
		pp::lock_person(person_pk, person_tid);
		demote_current(rel, cols, person_pk, location_pk, self_pk, true);
		return;
	case pp::rules::PrimaryEvent::promoted:
		pp::lock_person(person_pk, person_tid);
		demote_current(rel, cols, person_pk, location_pk, self_pk, false);
		return;
	}
}

}  // namespace

PP_FUNCTION(person_locations_guard) {
	return pp::rules::guard_row(fcinfo, pp::rules::person_locations, on_primary_change);
}

PP_FUNCTION(person_locations_truncate_guard) {
	return pp::rules::guard_truncate(fcinfo, pp::rules::person_locations);
}
