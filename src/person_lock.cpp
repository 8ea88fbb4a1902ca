// See person_lock.hpp.
//
// The lock is taken directly through the table AM (index probe on the
// people primary key, unless the caller read the row already, then
// table_tuple_lock), not through SPI: a cached SPI plan made while the table
// was small could turn into a sequential scan per row, and the direct path
// costs about a microsecond.
#include "person_lock.hpp"
#include "host.hpp"

namespace pp {

namespace {

bool lock_person_row(int32 person_pk, const ItemPointerData *known_tid, LockWaitPolicy policy) {
	Oid people = host::people_relid();
	if (!OidIsValid(people))
		return true;  // restore mode: no people table yet, no promotions either
	// A TID read earlier in this statement stays valid: the version there
	// cannot be pruned while this statement's snapshot is held, and
	// FIND_LAST_VERSION follows its update chain (xmin-checked) to the
	// person's newest version.
	ItemPointerData tid;
	if (known_tid) {
		tid = *known_tid;
	} else {
		host::Entity person = host::fetch_by_pk(people, InvalidAttrNumber, person_pk);
		if (!person.found)
			return true;  // no such person: the foreign key check will say so
		tid = person.tid;
	}
	Relation rel = table_open(people, RowShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TM_FailureData failure;
	// FIND_LAST_VERSION: if the person row was updated meanwhile, wait for
	// and lock its newest version.
	TM_Result result = table_tuple_lock(rel, &tid, GetActiveSnapshot(), slot, GetCurrentCommandId(false),
	                                    LockTupleNoKeyExclusive, policy, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	switch (result) {
	case TM_Ok:
	case TM_SelfModified:
		return true;
	// This transaction inserted the person in this very command, or updated
	// it in an earlier one: other transactions wait for it either way.
	case TM_Invisible:
	// The person is gone: the foreign key check will say so.
	case TM_Deleted:
		return true;
	case TM_WouldBlock:
		return false;
	default:
		elog(ERROR, "could not lock person %d (table AM result %d)", person_pk, static_cast<int>(result));
	}
}

}  // namespace

void lock_person(int32 person_pk, const ItemPointerData *known_tid) {
	lock_person_row(person_pk, known_tid, LockWaitBlock);
}

bool try_lock_person(int32 person_pk) {
	return lock_person_row(person_pk, nullptr, LockWaitSkip);
}

}  // namespace pp
