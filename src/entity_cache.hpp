// Per-statement cache of the host rows the workspace rule reads (people and
// link targets), so a bulk statement reads each entity once.
#pragma once

#include "host.hpp"

namespace pp {

// Lives in a statement's memory context and dies with it (zero-initialize
// it there; no destructor runs). Rows a concurrent transaction changes
// during the statement may be seen as they were when first read.
struct EntityCache {
	struct Slot;
	struct BulkSlot;
	Slot *slots;        // direct-mapped by pk
	uint32 size;        // a power of two
	uint32 misses;          // index probes since the last resize
	uint64 fetches;         // index probes in all
	uint64 bulk_threshold;  // load the table once fetches reach this (0: not decided yet)
	BulkSlot *bulk;         // the whole table, once loaded (open addressing)
	uint32 bulk_mask;       // bulk capacity - 1
	bool bulk_refused;      // too large to load, or out of memory
};

// The row of `relid` with primary key `pk` (host::fetch_by_pk), cached.
host::Entity cached_entity(EntityCache &cache, MemoryContext cxt, Oid relid, AttrNumber workspace_attnum, int32 pk);

}  // namespace pp
