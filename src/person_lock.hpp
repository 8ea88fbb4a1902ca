// The per-person lock that serializes primary-location changes.
#pragma once

#include "pg.hpp"

namespace pp {

// Locks the person's row in the people table (FOR NO KEY UPDATE strength)
// until the transaction ends. A tuple lock, not a lock-table entry: bulk
// statements stay within max_locks_per_transaction. Foreign-key checks (KEY
// SHARE) do not conflict with it. No privilege on people is checked, as for
// foreign-key checks: application roles need no UPDATE privilege there.
// `known_tid`, when given, is a version of that person's row read earlier in
// this statement (host::fetch_by_pk): the lock starts there instead of
// probing the primary key index again.
void lock_person(int32 person_pk, const ItemPointerData *known_tid = nullptr);

// Takes the person lock only if no other transaction holds it; returns
// whether this transaction holds it now. Never waits.
bool try_lock_person(int32 person_pk);

}  // namespace pp
