// Triggers of core_api.person_locations: the shared pivot rules plus rule 5,
// one active primary per person, kept by demotion (or refusal in strict mode).
//
// Race-freedom (docs/concurrency.md): every promotion holds the person lock
// (person_lock.hpp), so promoters of one person queue up. The current
// primary is then found through the primary index, each row judged
// by its newest version as a dirty snapshot sees it: what the previous lock
// holder committed, what this statement already wrote, and writes still in
// progress (waited for). Only when there is one does an SPI UPDATE (by ctid,
// so no cached plan can turn into a scan) demote it. A bulk load of new
// people runs no SPI at all.
#include "boundary.hpp"
#include "errors.hpp"
#include "person_lock.hpp"
#include "pivot_rules.hpp"
#include "settings.hpp"
#include "spi.hpp"

#include <algorithm>

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace {

// An active row of the person found through one of the table's indexes.
struct Found {
	bool found;
	ItemPointerData tid;        // of the row's newest version
	int32 location_pk;
	bool own;                   // that version is this transaction's
	TransactionId in_progress;  // another transaction is writing this row (or Invalid)
	uint32 speculative_token;   // ... as a speculative insertion (ON CONFLICT), or 0
};

enum class Index { primary, pair };

// The newest version of the row whose version sits at `tid`, as a dirty
// snapshot sees it: committed, written by this transaction, or being written
// by another (that writer named in the snapshot's xmin or xmax).
bool newest_version(Relation rel, TableScanDesc *tids, SnapshotData *dirty, ItemPointerData tid,
                    TupleTableSlot *slot) {
	// The TID scan only accepts TIDs below the block count it saw when it
	// (re)started; a version a concurrent writer put on a new block is
	// reached later through the index, so recount for each row.
	if (!*tids)
		*tids = table_beginscan_tid(rel, dirty);
	else
		table_rescan(*tids, NULL);
	table_tuple_get_latest_tid(*tids, &tid);
	return table_tuple_fetch_row_version(rel, &tid, dirty, slot);
}

// The person's active primary (Index::primary, through
// uniq_person_locations_primary_person) or the pair's active row
// (Index::pair, through uniq_person_locations_active_pair), other than row
// `self_pk`.
//
// The versions the index leads to are read with a non-vacuumable snapshot
// (every version not yet removable: live, in progress, recently dead) and
// each row is judged by its newest version. A dirty-snapshot index scan (what PostgreSQL's
// own ON CONFLICT pre-check does) is not enough: an UPDATE elsewhere may move
// the row to a new heap slot, and its new index entry may land behind this
// scan's position (equal keys are ordered by heap TID) while the version
// ahead of it is already dead. The older version cannot vanish meanwhile: its
// updater is younger than this transaction's snapshot, so it is not yet
// prunable (unless old_snapshot_threshold lets the horizon pass it, which
// weakens PostgreSQL's own non-MVCC scans the same way).
Found find_active(Relation rel, const pp::rules::Columns &cols, Index which, int32 person_pk, int32 location_pk,
                  int32 self_pk) {
	Found out = {false, {}, 0, false, InvalidTransactionId, 0};
	const char *index_name =
		which == Index::primary ? "uniq_person_locations_primary_person" : "uniq_person_locations_active_pair";
	Oid index_oid = get_relname_relid(index_name, RelationGetNamespace(rel));
	if (!OidIsValid(index_oid))
		elog(ERROR, "index \"%s\" of core_api.person_locations is missing", index_name);
	Relation index = index_open(index_oid, AccessShareLock);
	ScanKeyData keys[2];
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(person_pk));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(location_pk));
	int nkeys = which == Index::primary ? 1 : 2;
	// Versions dead to everyone are skipped, and their index entries marked
	// dead on the way, as an MVCC scan would.
	SnapshotData not_removable;
	InitNonVacuumableSnapshot(not_removable, GlobalVisTestFor(rel));
	IndexScanDesc scan = index_beginscan(rel, index, &not_removable, nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	TupleTableSlot *version = table_slot_create(rel, NULL);
	TupleTableSlot *newest = table_slot_create(rel, NULL);
	SnapshotData dirty;
	InitDirtySnapshot(dirty);
	TableScanDesc tids = nullptr;
	// Rows already judged (a person has a handful of rows with many versions).
	int32 seen[16];
	int nseen = 0;
	while (!out.found && index_getnext_slot(scan, ForwardScanDirection, version)) {
		bool isnull;
		int32 pk = DatumGetInt32(slot_getattr(version, cols.pk, &isnull));
		if (pk == self_pk || std::find(seen, seen + nseen, pk) != seen + nseen)
			continue;
		// A dead version whose update chain was cut by pruning leads nowhere;
		// the row's live version has an index entry of its own.
		if (!newest_version(rel, &tids, &dirty, version->tts_tid, newest))
			continue;
		if (nseen < 16)
			seen[nseen++] = pk;
		bool primary = DatumGetBool(slot_getattr(newest, cols.is_primary, &isnull));
		bool deleted_null;
		slot_getattr(newest, cols.deleted_at, &deleted_null);
		if (!deleted_null || (which == Index::primary && !primary))
			continue;
		TransactionId xmin = DatumGetTransactionId(slot_getsysattr(newest, MinTransactionIdAttributeNumber, &isnull));
		out = {true, newest->tts_tid, DatumGetInt32(slot_getattr(newest, cols.target_pk, &isnull)),
		       TransactionIdIsCurrentTransactionId(xmin),
		       TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax, dirty.speculativeToken};
	}
	if (tids)
		table_endscan(tids);
	ExecDropSingleTupleTableSlot(newest);
	ExecDropSingleTupleTableSlot(version);
	index_endscan(scan);
	index_close(index, NoLock);
	return out;
}

// Waits for another transaction that is writing the row found, if any, and
// says whether it did (the caller then looks again). As PostgreSQL's own
// conflict check, a speculative insertion (ON CONFLICT) is waited for only
// until it is confirmed or backed out, not until its transaction ends.
bool wait_for_writer(Relation rel, Found row) {
	if (row.speculative_token != 0)
		SpeculativeInsertionWait(row.in_progress, row.speculative_token);
	else if (TransactionIdIsValid(row.in_progress))
		XactLockTableWait(row.in_progress, rel, &row.tid, XLTW_None);
	else
		return false;
	return true;
}

// The pair (person, location)'s active row other than `self_pk`, if any,
// once no other transaction is writing it: an INSERT of the pair will then
// not add a row (it fails on the pair, or ON CONFLICT decides).
Found existing_pair(Relation rel, const pp::rules::Columns &cols, int32 person_pk, int32 location_pk,
                    int32 self_pk) {
	for (int round = 0; round < 100; round++) {
		Found pair = find_active(rel, cols, Index::pair, person_pk, location_pk, self_pk);
		if (!wait_for_writer(rel, pair))
			return pair;
	}
	throw pp::errors::primary_serialization(person_pk);
}

// Whether the pair has an active row (existing_pair), locked as ON CONFLICT
// would lock it: PostgreSQL's own conflict pre-check can miss a row that an
// UPDATE moves meanwhile, and would then try the insert and fail on the
// primary index. Called before the person lock (docs/concurrency.md).
bool hold_existing_pair(Relation rel, const pp::rules::Columns &cols, int32 person_pk, int32 location_pk,
                        int32 self_pk) {
	for (int round = 0; round < 100; round++) {
		Found pair = existing_pair(rel, cols, person_pk, location_pk, self_pk);
		if (!pair.found)
			return false;
		if (pair.own)
			return true;  // no other transaction can move this transaction's own rows
		TupleTableSlot *slot = table_slot_create(rel, NULL);
		TM_FailureData failure;
		TM_Result result = table_tuple_lock(rel, &pair.tid, GetActiveSnapshot(), slot, GetCurrentCommandId(false),
		                                    LockTupleNoKeyExclusive, LockWaitBlock,
		                                    TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
		bool deleted_null = false, primary = false;
		if (result == TM_Ok || result == TM_SelfModified) {
			bool isnull;
			slot_getattr(slot, cols.deleted_at, &deleted_null);
			primary = DatumGetBool(slot_getattr(slot, cols.is_primary, &isnull));
		}
		ExecDropSingleTupleTableSlot(slot);
		// Holding the current primary's row is what a writer that touches it
		// does: take the person lock too when it is free (see on_primary).
		if (deleted_null && primary)
			pp::try_lock_person(person_pk);
		if (deleted_null)
			return true;
		// Soft-deleted or deleted meanwhile: look again.
	}
	throw pp::errors::primary_serialization(person_pk);
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

void on_primary(Relation rel, const pp::rules::Columns &cols, HeapTuple row, pp::rules::PrimaryEvent event,
                const ItemPointerData *person_tid) {
	TupleDesc desc = RelationGetDescr(rel);
	bool isnull;
	int32 person_pk = DatumGetInt32(heap_getattr(row, cols.person_pk, desc, &isnull));
	int32 self_pk = DatumGetInt32(heap_getattr(row, cols.pk, desc, &isnull));
	int32 location_pk = DatumGetInt32(heap_getattr(row, cols.target_pk, desc, &isnull));
	bool is_insert = event == pp::rules::PrimaryEvent::inserted;

	// Lock order (docs/concurrency.md): the person lock, then the current
	// primary's row (the demotion). A writer that only changes the current
	// primary takes the person lock when it is free and never waits for it
	// while it holds that row. An INSERT that holds the pair row when that
	// row is the current primary (hold_existing_pair) is such a writer too.
	if (event == pp::rules::PrimaryEvent::touched) {
		pp::try_lock_person(person_pk);
		return;
	}
	// An INSERT of a pair that already has an active row never promotes
	// (ON CONFLICT's UPDATE decides): no person lock, so an upsert holding
	// only that row never queues for the person while a promoter waits for it.
	if (is_insert && hold_existing_pair(rel, cols, person_pk, location_pk, self_pk))
		return;
	pp::lock_person(person_pk, person_tid);
	// Each round that does not finish waited for another transaction to end
	// (or saw the primary get a new version between probe and demotion), so
	// the loop makes progress; the bound only guards against a pathology.
	for (int round = 0; round < 100; round++) {
		Found current = find_active(rel, cols, Index::primary, person_pk, location_pk, self_pk);
		if (!current.found)
			return;
		if (wait_for_writer(rel, current))
			continue;
		// An INSERT whose pair already has an active row will not insert: it
		// fails on the pair, or ON CONFLICT takes over (DO NOTHING changes
		// nothing; DO UPDATE fires the UPDATE trigger, which decides then).
		// A pair row that appeared since the check before the person lock is
		// not locked now: a promoter of that row holds it while it waits for
		// the person lock this transaction holds.
		if (is_insert && (current.location_pk == location_pk ||
		                  existing_pair(rel, cols, person_pk, location_pk, self_pk).found))
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
