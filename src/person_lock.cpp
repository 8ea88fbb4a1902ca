// See person_lock.hpp.
//
// The lock is taken directly through the table AM (index probe on the
// people primary key, then table_tuple_lock), not through SPI: a cached SPI
// plan made while the table was small could turn into a sequential scan per
// row, and the direct path costs about a microsecond.
#include "person_lock.hpp"
#include "host.hpp"

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace pp {

namespace {

bool lock_person_row(int32 person_pk, LockWaitPolicy policy) {
	Oid people = host::people_relid();
	if (!OidIsValid(people))
		return true;  // restore mode: no people table yet, no promotions either
	Relation rel = table_open(people, RowShareLock);
	Oid index_oid = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(index_oid))
		elog(ERROR, "table \"%s\" has no primary key", RelationGetRelationName(rel));
	Relation index = index_open(index_oid, AccessShareLock);
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());

	ScanKeyData key;
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(person_pk));
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool locked = true;
	if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
		ItemPointerData tid = slot->tts_tid;
		TM_FailureData failure;
		// FIND_LAST_VERSION: if the person row was updated meanwhile, wait for
		// and lock its newest version (REPEATABLE READ raises 40001 instead).
		TM_Result result = table_tuple_lock(rel, &tid, snapshot, slot, GetCurrentCommandId(false),
		                                    LockTupleNoKeyExclusive, policy,
		                                    TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
		if (result == TM_WouldBlock)
			locked = false;
		else if (result != TM_Ok && result != TM_SelfModified && result != TM_Deleted)
			elog(ERROR, "could not lock person %d (table AM result %d)", person_pk, static_cast<int>(result));
		// TM_Deleted: the person is gone; the foreign key check will say so.
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return locked;
}

}  // namespace

void lock_person(int32 person_pk) {
	lock_person_row(person_pk, LockWaitBlock);
}

bool try_lock_person(int32 person_pk) {
	return lock_person_row(person_pk, LockWaitSkip);
}

}  // namespace pp
