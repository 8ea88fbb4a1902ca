// Triggers of core_api.person_locations: the shared pivot rules plus rule 5,
// one active primary per person, kept by demotion (or refusal in strict mode).
//
// Race-freedom: every promotion takes the person lock (person_lock.hpp)
// after its own row's lock, so promoters of one person queue up. The
// current primary is then found through the primary index with a dirty
// snapshot, which sees what the previous lock holder committed, what this
// statement already wrote, and writes still in progress (waited for); only
// when there is one does an SPI UPDATE
// (by ctid, so no cached plan can turn into a scan) demote it. A bulk load
// of new people runs no SPI at all.
#include "boundary.hpp"
#include "errors.hpp"
#include "person_lock.hpp"
#include "pivot_rules.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace {

// An active row of the person found through one of the table's indexes.
struct Found {
	bool found;
	ItemPointerData tid;
	int32 location_pk;
	TransactionId in_progress;  // another transaction is writing this row (or Invalid)
};

enum class Probe { other_primary, same_pair };

// other_primary: the person's active primary other than row `self_pk`, via
// uniq_person_locations_primary_person. same_pair: an active row of the pair
// (person, location) other than `self_pk`, via uniq_person_locations_active_pair.
Found probe(Relation rel, const pp::rules::Columns &cols, Probe what, int32 person_pk, int32 location_pk,
            int32 self_pk) {
	Found out = {false, {}, 0, InvalidTransactionId};
	const char *index_name = what == Probe::other_primary ? "uniq_person_locations_primary_person"
	                                                      : "uniq_person_locations_active_pair";
	Oid index_oid = get_relname_relid(index_name, RelationGetNamespace(rel));
	if (!OidIsValid(index_oid))
		elog(ERROR, "index \"%s\" of core_api.person_locations is missing", index_name);
	Relation index = index_open(index_oid, AccessShareLock);
	ScanKeyData keys[2];
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(person_pk));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(location_pk));
	int nkeys = what == Probe::other_primary ? 1 : 2;
	// A dirty snapshot sees what is committed, what this transaction wrote
	// (this command included), and versions other transactions are still
	// writing, naming those transactions: a writer that changed the current
	// primary without the person lock is waited for, not missed.
	// The same-pair probe must not count a pair row another transaction may
	// still roll back, so it sees committed rows and this transaction's only.
	SnapshotData dirty;
	InitDirtySnapshot(dirty);
	Snapshot snapshot = what == Probe::other_primary ? &dirty : SnapshotSelf;
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	while (!out.found && index_getnext_slot(scan, ForwardScanDirection, slot)) {
		// The partial index's predicate held for the version it was built
		// from; check the version the snapshot returns.
		bool isnull, deleted_null;
		int32 pk = DatumGetInt32(slot_getattr(slot, cols.pk, &isnull));
		bool primary = DatumGetBool(slot_getattr(slot, cols.is_primary, &isnull));
		slot_getattr(slot, cols.deleted_at, &deleted_null);
		if (pk == self_pk || !deleted_null || (what == Probe::other_primary && !primary))
			continue;
		TransactionId writer = what != Probe::other_primary ? InvalidTransactionId
		                       : TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
		out = {true, slot->tts_tid, DatumGetInt32(slot_getattr(slot, cols.target_pk, &isnull)), writer};
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, NoLock);
	return out;
}

// Demotes the person's row at `tid`; false when this snapshot does not see it there.
bool demote(ItemPointerData tid, int32 person_pk) {
	static pp::spi::Statement demote_by_tid = {
		"UPDATE core_api.person_locations SET is_primary = false"
		" WHERE ctid OPERATOR(pg_catalog.=) $1 AND person_pk OPERATOR(pg_catalog.=) $2"
		" AND is_primary AND deleted_at IS NULL",
		2, {TIDOID, INT4OID}, nullptr, InvalidOid};
	Datum args[2] = {PointerGetDatum(&tid), Int32GetDatum(person_pk)};
	SPI_connect();
	uint64 n = pp::spi::execute(demote_by_tid, args, nullptr, false);
	SPI_finish();
	return n > 0;
}

void on_primary(Relation rel, const pp::rules::Columns &cols, HeapTuple row, pp::rules::PrimaryEvent event) {
	TupleDesc desc = RelationGetDescr(rel);
	bool isnull;
	int32 person_pk = DatumGetInt32(heap_getattr(row, cols.person_pk, desc, &isnull));
	int32 self_pk = DatumGetInt32(heap_getattr(row, cols.pk, desc, &isnull));
	int32 location_pk = DatumGetInt32(heap_getattr(row, cols.target_pk, desc, &isnull));
	bool is_insert = event == pp::rules::PrimaryEvent::inserted;

	// Lock order: a row's own lock (taken by the executor), then the person
	// lock, then the current primary's row (the demotion). A writer that
	// changes the current primary takes the person lock only when it is
	// free: holding it keeps a later promotion in the same transaction from
	// queueing behind a promoter, and waiting for it while holding the
	// primary row would deadlock with a promoter that holds the lock and
	// waits for that row.
	if (event == pp::rules::PrimaryEvent::touched) {
		pp::try_lock_person(person_pk);
		return;
	}
	// An INSERT of a pair that already has an active row never promotes
	// (ON CONFLICT's UPDATE decides): no lock, so an upsert holding nothing
	// never queues for the person while a promoter waits for that row.
	if (is_insert && probe(rel, cols, Probe::same_pair, person_pk, location_pk, self_pk).found)
		return;
	pp::lock_person(person_pk);
	// Each round that does not finish waited for another transaction to end
	// (or saw the primary get a new version between probe and demotion), so
	// the loop makes progress; the bound only guards against a pathology.
	for (int round = 0; round < 100; round++) {
		Found current = probe(rel, cols, Probe::other_primary, person_pk, location_pk, self_pk);
		if (!current.found)
			return;
		if (TransactionIdIsValid(current.in_progress)) {
			XactLockTableWait(current.in_progress, rel, &current.tid, XLTW_None);
			continue;
		}
		// An INSERT whose pair already has an active row will not insert: it
		// fails on the pair, or ON CONFLICT takes over (DO NOTHING changes
		// nothing; DO UPDATE fires the UPDATE trigger, which decides then).
		if (is_insert && (current.location_pk == location_pk ||
		                  probe(rel, cols, Probe::same_pair, person_pk, location_pk, self_pk).found))
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

}  // namespace

PP_FUNCTION(person_locations_guard) {
	return pp::rules::guard_row(fcinfo, pp::rules::person_locations, on_primary);
}

PP_FUNCTION(person_locations_truncate_guard) {
	return pp::rules::guard_truncate(fcinfo, pp::rules::person_locations);
}
