// The per-person lock that serializes primary-location changes.
#pragma once

#include "pg.hpp"

namespace pp {

// Locks the person's row in the people table FOR NO KEY UPDATE (SPI must
// be connected). A tuple lock, not a lock-table entry: bulk statements stay
// within max_locks_per_transaction. Foreign-key checks (KEY SHARE) do not
// conflict with it. Runs as the people table's owner, as foreign-key checks
// do, so application roles need no UPDATE privilege on people.
void lock_person(int32 person_pk);

}  // namespace pp
