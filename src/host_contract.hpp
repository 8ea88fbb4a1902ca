// The host contract (docs/design.md, "The host contract"): what the
// extension requires of the application's tables core_api.people (or
// peoples), media, locations and workspaces, checked at CREATE EXTENSION,
// ALTER EXTENSION UPDATE and again after every change to one of them; and
// the per-backend state derived from those tables, dropped by PostgreSQL's
// invalidation messages whenever they change.
//
// Everything here calls Postgres directly: callers hold only trivially
// destructible locals (see boundary.hpp). A breach is thrown as pp::Error.
#pragma once

#include "pg.hpp"

namespace pp::contract {

// One host table as the contract found it.
struct Table {
	Oid relid;
	const char *name;         // "core_api.media" (static text)
	AttrNumber pk;            // integer, the primary key
	AttrNumber id;            // uuid, with a unique index of its own
	AttrNumber workspace_pk;  // integer; InvalidAttrNumber when the table has none (media, locations)
	AttrNumber deleted_at;    // timestamptz or timestamp; InvalidAttrNumber when absent (media, locations)
};

enum TableId { people = 0, media = 1, locations = 2, workspaces = 3, ntables = 4 };

// The host tables, verified.
struct Host {
	Table tables[ntables];
	const Table &operator[](TableId t) const { return tables[t]; }
};

// Bit masks of TableId for current(): the tables a call reads.
constexpr int uses(TableId t) { return 1 << t; }

// Registers the invalidation callbacks (from _PG_init).
void register_callbacks();

// Bumped by every invalidation of a host table (a change to its columns,
// indexes, name; a new table of one of the watched names). Whatever is
// derived from the host (saved plans, statement texts) remembers the value
// it was built under and is rebuilt when it differs. Never 0.
uint64 generation();

// Checks the whole contract now and throws its first breach: 42P01 a
// missing table, 42703 a missing column, 42804 a column of another type,
// 42P10 a key without its primary key or unique index. CREATE EXTENSION
// (install_tables, before anything is created or adopted) and ALTER
// EXTENSION UPDATE (install_api) call it.
void verify();

// The verified host, for the API functions and the triggers. Takes
// AccessShareLock on the tables of `used` not yet locked by this
// transaction (held to its end: no migration changes them under the call),
// which takes in every pending invalidation first; re-verifies the whole
// contract when anything changed since the last call. Throws the breach,
// so a pooled backend answers a broken host as a fresh one would.
const Host &current(int used);

// Same, but nullptr when the people table does not exist (restore mode:
// the dump brings the host tables; the triggers let rows through).
const Host *current_or_absent(int used);

// The people table's oid (InvalidOid when neither people nor peoples
// exists) and its quoted name, as last located (no verification, no lock).
Oid people_relid();
const char *people_name();

// A key or workspace value read from a host table (a column of a result or
// a heap row): refuses, with the contract's 42804, any type but integer,
// so a key is never truncated. `table`, `column` name it in the error.
void require_int4(Oid type, const char *table, const char *column);

}  // namespace pp::contract
