// See entity_cache.hpp.
//
// Two layers. A direct-mapped array by pk starts at 64 slots (a one-row
// statement pays for little) and doubles while misses outnumber its slots,
// up to 128k slots. A statement that has made as many index probes as one
// sequential scan of the table would cost (see decide_bulk) reads the table
// once into an open-addressing hash instead, when the table is small enough
// (bulk_max_rows rows, 32 MB of hash; bulk_max_pages pages to read): from
// then on a lookup costs no index probe, and the statement pays at most
// about twice what either strategy alone would have cost. Rows the scan did
// not see (inserted or moved since) are still probed one by one.
#include "entity_cache.hpp"

#include <algorithm>

extern "C" {
#include "storage/bufmgr.h"
}

namespace pp {

struct EntityCache::Slot {
	int32 pk;
	bool valid;
	host::Entity entity;
};

// 16 bytes: a table of 1.5M rows fits in 2^21 slots, 32 MB.
struct EntityCache::BulkSlot {
	int32 pk;
	int32 workspace_pk;
	ItemPointerData tid;
	bool used;
	bool has_workspace;
};
static_assert(sizeof(EntityCache::BulkSlot) == 16, "bulk slots are meant to stay at 16 bytes");

namespace {

constexpr uint32 initial_slots = 64;
constexpr uint32 max_slots = 128 * 1024;
constexpr uint64 bulk_min_fetches = 8192;
constexpr uint32 bulk_max_capacity = 1u << 21;
constexpr double bulk_max_rows = bulk_max_capacity * 0.75;
constexpr BlockNumber bulk_max_pages = 65536;  // 512 MB of heap at most

uint32 bulk_hash(int32 pk) {
	uint32 h = static_cast<uint32>(pk) * 0x9E3779B1u;  // Fibonacci hashing spreads dense serials
	return h ^ (h >> 16);
}

EntityCache::BulkSlot *bulk_find(EntityCache &cache, int32 pk) {
	for (uint32 i = bulk_hash(pk) & cache.bulk_mask;; i = (i + 1) & cache.bulk_mask) {
		EntityCache::BulkSlot *slot = &cache.bulk[i];
		if (!slot->used || slot->pk == pk)
			return slot;
	}
}

// Rows now: the density of the last VACUUM/ANALYZE times the pages now (the
// table may have grown since), as the planner estimates it.
double estimated_rows(Relation rel, BlockNumber pages) {
	double tuples = rel->rd_rel->reltuples;
	BlockNumber counted = static_cast<BlockNumber>(rel->rd_rel->relpages);
	if (tuples < 0 || counted == 0)  // never vacuumed or analyzed: assume small rows
		return static_cast<double>(pages) * (BLCKSZ / 32);
	return tuples / counted * pages;
}

// When to stop probing and read the whole table. A primary-key probe (index
// descent plus heap fetch) is taken to cost about what a sequential scan
// spends on 32 rows or on 3 pages (an order of magnitude, not a
// measurement), so the scan pays off once the probes made reach the larger
// of rows/32 and 3 x pages. Never for a
// table of more than bulk_max_rows rows or bulk_max_pages pages.
void decide_bulk(EntityCache &cache, Oid relid) {
	Relation rel = table_open(relid, AccessShareLock);
	BlockNumber pages = RelationGetNumberOfBlocks(rel);
	double rows = estimated_rows(rel, pages);
	table_close(rel, NoLock);
	if (rows > bulk_max_rows || pages > bulk_max_pages)
		cache.bulk_refused = true;
	else
		cache.bulk_threshold = std::max<uint64>(
			{bulk_min_fetches, static_cast<uint64>(rows / 32), static_cast<uint64>(pages) * 3});
}

// Reads every row of the table visible now (SnapshotSelf, as fetch_by_pk)
// into cache.bulk; on refusal leaves cache.bulk null and bulk_refused set.
void bulk_load(EntityCache &cache, MemoryContext cxt, Oid relid, AttrNumber workspace_attnum) {
	cache.bulk_refused = true;  // unless the load completes
	Relation rel = table_open(relid, AccessShareLock);
	BlockNumber pages = RelationGetNumberOfBlocks(rel);
	double rows = estimated_rows(rel, pages);
	Oid pkey = RelationGetPrimaryKeyIndex(rel);
	if (rows > bulk_max_rows || pages > bulk_max_pages || !OidIsValid(pkey)) {
		table_close(rel, NoLock);
		return;
	}
	Relation index = index_open(pkey, AccessShareLock);
	AttrNumber pk_attnum = index->rd_index->indkey.values[0];
	index_close(index, NoLock);
	// Keys and workspaces are read as integer only if they are.
	host::require_int4_columns(rel, pk_attnum, workspace_attnum);

	uint32 capacity = 1024;
	while (capacity < rows * 4 / 3 + 1024 && capacity < bulk_max_capacity)
		capacity *= 2;
	auto *slots = static_cast<EntityCache::BulkSlot *>(MemoryContextAllocExtended(
		cxt, capacity * sizeof(EntityCache::BulkSlot), MCXT_ALLOC_NO_OOM | MCXT_ALLOC_ZERO));
	if (!slots) {
		table_close(rel, NoLock);
		return;
	}
	cache.bulk = slots;
	cache.bulk_mask = capacity - 1;
	uint32 loaded = 0;
	bool complete = true;
	TableScanDesc scan = table_beginscan(rel, SnapshotSelf, 0, NULL);
	TupleTableSlot *row = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, row)) {
		if (++loaded > capacity / 4 * 3) {  // the estimate was stale: give up rather than fill up
			complete = false;
			break;
		}
		if ((loaded & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		bool isnull;
		Datum pk = slot_getattr(row, pk_attnum, &isnull);
		if (isnull)
			continue;
		EntityCache::BulkSlot *slot = bulk_find(cache, DatumGetInt32(pk));
		slot->used = true;
		slot->pk = DatumGetInt32(pk);
		slot->tid = row->tts_tid;
		if (workspace_attnum != InvalidAttrNumber) {
			Datum ws = slot_getattr(row, workspace_attnum, &isnull);
			slot->has_workspace = !isnull;
			slot->workspace_pk = isnull ? 0 : DatumGetInt32(ws);
		}
	}
	ExecDropSingleTupleTableSlot(row);
	table_endscan(scan);
	table_close(rel, NoLock);
	if (!complete) {
		pfree(slots);
		cache.bulk = nullptr;
		return;
	}
	cache.bulk_refused = false;
	// The lookup that triggered the copy is answered from it: not a probe.
	elog(DEBUG1, "person_pivots: read %u rows of \"%s\" once for this statement, after %llu index probes", loaded,
	     get_rel_name(relid), static_cast<unsigned long long>(cache.fetches - 1));
}

}  // namespace

host::Entity cached_entity(EntityCache &cache, MemoryContext cxt, Oid relid, AttrNumber workspace_attnum, int32 pk) {
	if (cache.bulk) {
		EntityCache::BulkSlot *slot = bulk_find(cache, pk);
		if (slot->used)
			return {true, slot->has_workspace, slot->workspace_pk, slot->tid};
	}
	if (!cache.slots || (cache.misses > cache.size && cache.size < max_slots)) {
		if (cache.slots)
			pfree(cache.slots);
		cache.size = cache.slots ? cache.size * 2 : initial_slots;
		cache.slots = static_cast<EntityCache::Slot *>(MemoryContextAllocZero(cxt, cache.size * sizeof(EntityCache::Slot)));
		cache.misses = 0;
	}
	EntityCache::Slot &slot = cache.slots[static_cast<uint32>(pk) & (cache.size - 1)];
	if (slot.valid && slot.pk == pk)
		return slot.entity;
	cache.misses++;
	cache.fetches++;
	if (!cache.bulk && !cache.bulk_refused && cache.fetches >= bulk_min_fetches) {
		if (cache.bulk_threshold == 0)
			decide_bulk(cache, relid);
		if (!cache.bulk_refused && cache.fetches >= cache.bulk_threshold) {
			bulk_load(cache, cxt, relid, workspace_attnum);
			if (cache.bulk) {
				EntityCache::BulkSlot *hit = bulk_find(cache, pk);
				if (hit->used)
					return {true, hit->has_workspace, hit->workspace_pk, hit->tid};
			}
		}
	}
	host::Entity e = host::fetch_by_pk(relid, workspace_attnum, pk);
	if (e.found)
		slot = {pk, true, e};
	return e;
}

}  // namespace pp
