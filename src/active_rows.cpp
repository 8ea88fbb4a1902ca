// See active_rows.hpp.
#include "active_rows.hpp"
#include "errors.hpp"
#include "person_lock.hpp"

#include <algorithm>

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace pp::active {

namespace {

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
Row find_active(Relation rel, const rules::Columns &cols, Index which, int32 person_pk, int32 location_pk,
                  int32 self_pk) {
	Row out = {false, {}, 0, false, InvalidTransactionId, 0};
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
}  // namespace

bool wait_for_writer(Relation rel, const Row &row) {
	if (row.speculative_token != 0)
		SpeculativeInsertionWait(row.in_progress, row.speculative_token);
	else if (TransactionIdIsValid(row.in_progress))
		XactLockTableWait(row.in_progress, rel, const_cast<ItemPointer>(&row.tid), XLTW_None);
	else
		return false;
	return true;
}

Row settled_pair(Relation rel, const rules::Columns &cols, int32 person_pk, int32 location_pk,
                    int32 self_pk) {
	for (int round = 0; round < 100; round++) {
		Row pair = find_active(rel, cols, Index::pair, person_pk, location_pk, self_pk);
		if (!wait_for_writer(rel, pair))
			return pair;
	}
	throw errors::primary_serialization(person_pk);
}

bool lock_settled_pair(Relation rel, const rules::Columns &cols, int32 person_pk, int32 location_pk,
                        int32 self_pk) {
	for (int round = 0; round < 100; round++) {
		Row pair = settled_pair(rel, cols, person_pk, location_pk, self_pk);
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
		// does: take the person lock too when it is free (docs/concurrency.md).
		if (deleted_null && primary)
			try_lock_person(person_pk);
		if (deleted_null)
			return true;
		// Soft-deleted or deleted meanwhile: look again.
	}
	throw errors::primary_serialization(person_pk);
}

Row primary(Relation rel, const rules::Columns &cols, int32 person_pk, int32 self_pk) {
	return find_active(rel, cols, Index::primary, person_pk, 0, self_pk);
}

}  // namespace pp::active
