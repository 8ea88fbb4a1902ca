// The sync functions: make a person's (or a page of people's) active media
// or locations exactly the input. Connector sync jobs author every pivot
// row through them, page by page.
//
// One path for the single and the batch forms, in set-wise steps per page:
//   1. parse the input into plain arrays (sync_input), checking its shape;
//   2. resolve person and target uuids with one query each (= ANY($1));
//   3. lock the people (ascending pk: concurrent pages never deadlock);
//   4. read the page's active rows with one query, in result order, through
//      a cursor: whole rows to a tuplestore, what the diff needs to arrays;
//   5. diff in the pure core (sync_diff), rows that stay get no write;
//   6. apply: one soft-delete UPDATE, one UPDATE per kind of change, one
//      INSERT ... SELECT FROM unnest, each only when it has rows; every
//      statement names the page's people (person_pk = ANY), so on Citus it
//      stays on their shards (docs/design.md, Scale-out);
//   7. return the page's active rows: the rows that stayed (from step 4)
//      merged with the rows the writes returned; no second read.
// Everything a client can get wrong is found in steps 1-2, before any write;
// an error leaves the database as it was.
//
// This file calls Postgres directly and holds only trivially destructible
// locals (boundary.hpp); the Boost containers live inside sync_diff.
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "host_contract.hpp"
#include "person_lock.hpp"
#include "spi.hpp"
#include "sync_diff.hpp"
#include "sync_input.hpp"

extern "C" {
#include "utils/array.h"
}

#include <algorithm>
#include <cstring>

using pp::sync::Kind;
using pp::sync::SyncPage;

namespace {

// -- memory -----------------------------------------------------------------
// Everything of a page lives in its context (page->cxt), freed as a whole
// when the page is done. Allocations name it explicitly: every SPI call
// returns to the SPI procedure context, whatever was current before.

template <typename T>
T *page_alloc(const SyncPage *page, size_t n) {
	return static_cast<T *>(MemoryContextAllocHuge(page->cxt, Max(n, 1) * sizeof(T)));
}

// -- arrays for statement parameters -----------------------------------------

Datum make_array(const SyncPage *page, Datum *elems, size_t n, Oid type, int len, bool byval, char align) {
	MemoryContext caller = MemoryContextSwitchTo(page->cxt);
	ArrayType *array = construct_array(elems, static_cast<int>(n), type, len, byval, align);
	MemoryContextSwitchTo(caller);
	pfree(elems);
	return PointerGetDatum(array);
}

Datum int4_array(const SyncPage *page, const int32 *values, size_t n) {
	Datum *elems = page_alloc<Datum>(page, n);
	for (size_t i = 0; i < n; i++)
		elems[i] = Int32GetDatum(values[i]);
	return make_array(page, elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT);
}

Datum bool_array(const SyncPage *page, const bool *values, size_t n) {
	Datum *elems = page_alloc<Datum>(page, n);
	for (size_t i = 0; i < n; i++)
		elems[i] = BoolGetDatum(values[i]);
	return make_array(page, elems, n, BOOLOID, 1, true, TYPALIGN_CHAR);
}

Datum text_array(const SyncPage *page, const pp::sync::Label *labels, size_t n) {
	Datum *elems = page_alloc<Datum>(page, n);
	MemoryContext caller = MemoryContextSwitchTo(page->cxt);
	for (size_t i = 0; i < n; i++)
		elems[i] = PointerGetDatum(cstring_to_text_with_len(labels[i].data, static_cast<int>(labels[i].len)));
	MemoryContextSwitchTo(caller);
	return make_array(page, elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

Datum uuid_array(const SyncPage *page, const pp::sync::Uuid *ids, size_t n) {
	Datum *elems = page_alloc<Datum>(page, n);
	for (size_t i = 0; i < n; i++)
		elems[i] = PointerGetDatum(ids[i].bytes);
	return make_array(page, elems, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

// The page's person pks, ascending.
int32 *sorted_person_pks(const SyncPage *page) {
	int32 *pks = page_alloc<int32>(page, page->npeople);
	for (uint32 i = 0; i < page->npeople; i++)
		pks[i] = page->people[i].pk;
	std::sort(pks, pks + page->npeople);
	return pks;
}

// -- columns of SPI results ---------------------------------------------------

int32 int4_column(HeapTuple tuple, TupleDesc desc, int column) {
	bool isnull;
	Datum d = SPI_getbinval(tuple, desc, column, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

bool bool_column(HeapTuple tuple, TupleDesc desc, int column) {
	bool isnull;
	Datum d = SPI_getbinval(tuple, desc, column, &isnull);
	return !isnull && DatumGetBool(d);
}

// -- resolution -------------------------------------------------------------

// The rows of the last statement, (uuid, pk, workspace_pk), sorted by uuid.
// `table` names the host table read, for the error of a key that is no
// longer an integer.
pp::sync::Resolved *resolved_rows(const SyncPage *page, const char *table, size_t *n) {
	*n = SPI_processed;
	pp::contract::require_int4(SPI_gettypeid(SPI_tuptable->tupdesc, 2), table, "pk");
	pp::contract::require_int4(SPI_gettypeid(SPI_tuptable->tupdesc, 3), table, "workspace_pk");
	auto *rows = page_alloc<pp::sync::Resolved>(page, *n);
	TupleDesc desc = SPI_tuptable->tupdesc;
	for (size_t i = 0; i < *n; i++) {
		HeapTuple tuple = SPI_tuptable->vals[i];
		bool isnull;
		Datum id = SPI_getbinval(tuple, desc, 1, &isnull);
		std::memcpy(rows[i].id.bytes, DatumGetUUIDP(id)->data, UUID_LEN);
		rows[i].pk = int4_column(tuple, desc, 2);
		Datum ws = SPI_getbinval(tuple, desc, 3, &isnull);
		rows[i].has_workspace = !isnull;
		rows[i].workspace_pk = isnull ? 0 : DatumGetInt32(ws);
	}
	SPI_freetuptable(SPI_tuptable);
	pp::sync::sort_resolved(rows, *n);
	return rows;
}

// Runs a resolution statement over the distinct ids.
pp::sync::Resolved *resolve(const SyncPage *page, pp::spi::Statement &stmt, const char *table, pp::sync::Uuid *ids,
                            size_t n, const pp::api::Scope &scope, size_t *nfound) {
	n = pp::sync::sort_unique(ids, n);
	Datum args[2] = {uuid_array(page, ids, n), Int32GetDatum(scope.workspace_pk)};
	char nulls[3] = {' ', scope.scoped ? ' ' : 'n', '\0'};
	pp::spi::execute(stmt, args, nulls, false);
	pfree(DatumGetPointer(args[0]));
	return resolved_rows(page, table, nfound);
}

// Every person of the page: active, in scope; fills in pk and workspace.
void resolve_people(SyncPage *page, const pp::api::Scope &scope) {
	static pp::spi::Statement people = {
		"SELECT person_id, pk, workspace_pk FROM {people} WHERE person_id OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL AND ($2 IS NULL OR workspace_pk OPERATOR(pg_catalog.=) $2)",
		2, {UUIDARRAYOID, INT4OID}, nullptr, InvalidOid};
	auto *ids = page_alloc<pp::sync::Uuid>(page, page->npeople);
	for (uint32 i = 0; i < page->npeople; i++)
		ids[i] = page->people[i].id;
	size_t n;
	pp::sync::Resolved *found = resolve(page, people, pp::contract::people_name(), ids, page->npeople, scope, &n);
	pfree(ids);
	for (uint32 i = 0; i < page->npeople; i++) {
		pp::sync::Person &p = page->people[i];
		const pp::sync::Resolved *r = pp::sync::find_resolved(found, n, p.id);
		if (!r)
			throw pp::errors::person_not_found(pp::sync::uuid_text(p.id).text);
		p.pk = r->pk;
		p.workspace_pk = r->workspace_pk;
		p.has_workspace = r->has_workspace;
	}
	pfree(found);
}

// Every entry of the page: an existing target in scope and in its person's
// workspace; fills in pk. The first offender in input order is reported.
void resolve_entries(SyncPage *page, const pp::api::Scope &scope) {
	if (page->nentries == 0)
		return;
	auto *ids = page_alloc<pp::sync::Uuid>(page, page->nentries);
	for (uint32 i = 0; i < page->nentries; i++)
		ids[i] = page->entries[i].id;
	size_t n;
	pp::spi::Statement &targets =
		pp::api::targets_statement(page->kind == Kind::media ? pp::api::Target::media : pp::api::Target::location);
	pp::sync::Resolved *found = resolve(page, targets, page->kind == Kind::media ? "core_api.media" : "core_api.locations",
	                                    ids, page->nentries, scope, &n);
	pfree(ids);
	const char *kind = page->kind == Kind::media ? "media" : "location";
	for (uint32 i = 0; i < page->npeople; i++) {
		const pp::sync::Person &p = page->people[i];
		for (uint32 k = p.first; k < p.first + p.count; k++) {
			pp::sync::Entry &e = page->entries[k];
			const pp::sync::Resolved *r = pp::sync::find_resolved(found, n, e.id);
			if (!r)
				throw pp::errors::sync_target_not_found(kind, pp::sync::uuid_text(e.id).text,
				                                        pp::sync::uuid_text(p.id).text);
			if (p.has_workspace && r->has_workspace && p.workspace_pk != r->workspace_pk)
				throw pp::errors::sync_target_other_workspace(kind, pp::sync::uuid_text(e.id).text,
				                                              pp::sync::uuid_text(p.id).text);
			e.pk = r->pk;
		}
	}
	pfree(found);
}

// -- locking ----------------------------------------------------------------

// The person lock (person_lock.hpp) for every person of the page, in
// ascending pk order: two pages that share people never deadlock.
void lock_people(const int32 *sorted_pks, size_t n) {
	for (size_t i = 0; i < n; i++)
		pp::lock_person(sorted_pks[i]);
}

// -- the rows before the writes ---------------------------------------------------
// The page's active rows are read once, before the writes, in result order,
// through a cursor: the whole rows go to a tuplestore (on disk beyond
// work_mem), what the diff needs to plain arrays. A page of a million rows
// then needs tens of MB of memory, not the rows themselves.
//
// Every statement here returns the same columns:
//   1 pk, 2 person_pk, 3 target pk, 4 created_at, 5 the whole row,
//   6 label, 7 is_primary, 8 is_legal (locations only)

constexpr int col_pk = 1, col_person = 2, col_target = 3, col_created = 4, col_row = 5, col_label = 6,
              col_primary = 7, col_legal = 8;
constexpr long cursor_batch = 8192;

// `array` (of *capacity elements, or null) with room for element i: grown
// by doubling, in the page's memory.
template <typename T>
T *room_for(const SyncPage *page, T *array, size_t i, size_t *capacity) {
	if (i < *capacity)
		return array;
	*capacity = Max(*capacity * 2, Max(i + 1, static_cast<size_t>(cursor_batch)));
	return array ? static_cast<T *>(repalloc_huge(array, *capacity * sizeof(T))) : page_alloc<T>(page, *capacity);
}

// Where a row goes in the result: per person; locations primary first;
// oldest first (as person_active_media/locations order them).
struct RowKey {
	int32 person_pk;
	bool is_primary;
	TimestampTz created_at;
	int32 pk;
};

bool comes_before(const RowKey &a, const RowKey &b) {
	if (a.person_pk != b.person_pk)
		return a.person_pk < b.person_pk;
	if (a.is_primary != b.is_primary)
		return a.is_primary;
	if (a.created_at != b.created_at)
		return a.created_at < b.created_at;
	return a.pk < b.pk;
}

RowKey key_of(HeapTuple tuple, TupleDesc desc, Kind kind) {
	bool isnull;
	return {int4_column(tuple, desc, col_person), kind == Kind::locations && bool_column(tuple, desc, col_primary),
	        DatumGetTimestampTz(SPI_getbinval(tuple, desc, col_created, &isnull)), int4_column(tuple, desc, col_pk)};
}

// The page's active rows before the writes.
struct Before {
	Tuplestorestate *rows;  // whole rows, in result order
	RowKey *keys;           // their result keys, same order
	size_t n;
};

// Reads the rows of `stmt` ($1 = the page's people, rows in result order)
// into `before`; `take(i, tuple, desc)` keeps what the diff needs of row i.
template <typename Take>
Before read_before(const SyncPage *page, pp::spi::Statement &stmt, Datum people,
                   Take take) {
	MemoryContext caller = MemoryContextSwitchTo(page->cxt);
	Before before = {tuplestore_begin_heap(false, false, work_mem), nullptr, 0};
	MemoryContextSwitchTo(caller);
	size_t capacity = 0;
	Datum args[1] = {people};
	Portal cursor = pp::spi::open_cursor(stmt, args, nullptr, false);
	for (;;) {
		SPI_cursor_fetch(cursor, true, cursor_batch);
		if (SPI_processed == 0)
			break;
		before.keys = room_for(page, before.keys, before.n + SPI_processed - 1, &capacity);
		TupleDesc desc = SPI_tuptable->tupdesc;
		for (uint64 i = 0; i < SPI_processed; i++, before.n++) {
			HeapTuple tuple = SPI_tuptable->vals[i];
			before.keys[before.n] = key_of(tuple, desc, page->kind);
			take(before.n, tuple, desc);
			bool isnull;
			HeapTupleHeader row = DatumGetHeapTupleHeader(SPI_getbinval(tuple, desc, col_row, &isnull));
			HeapTupleData whole;
			whole.t_len = HeapTupleHeaderGetDatumLength(row);
			ItemPointerSetInvalid(&whole.t_self);
			whole.t_tableOid = InvalidOid;
			whole.t_data = row;
			tuplestore_puttuple(before.rows, &whole);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(cursor);
	return before;
}

// -- the result -----------------------------------------------------------------
// The page's active rows after the writes: the rows before that stay (in
// the tuplestore, already in order) merged with the rows the writes
// returned (few; sorted here). No second read of the table.

// A row a write returned.
struct Written {
	RowKey key;
	Datum row;  // the whole row, as stored in its SPI result (maybe packed)
};

struct Result {
	Written *rows;
	size_t n;
	bool complete;  // false: a write touched fewer rows than planned (a concurrent writer)
};

// Rows a write returned, into the result; if they are not all the rows it
// was meant to write, the result is read afresh instead.
void gather_written(const SyncPage *page, Result *result, size_t planned) {
	if (SPI_processed != planned) {
		result->complete = false;
		return;
	}
	TupleDesc desc = SPI_tuptable->tupdesc;
	for (uint64 i = 0; i < SPI_processed && result->complete; i++) {
		HeapTuple tuple = SPI_tuptable->vals[i];
		bool isnull;
		result->rows[result->n++] = {key_of(tuple, desc, page->kind), SPI_getbinval(tuple, desc, col_row, &isnull)};
	}
}

// Appends one written row (a composite datum) to the caller's tuplestore.
// A short row is stored packed (1-byte header); unpacking copies it, into
// `scratch`, reset for every row.
void put_written(ReturnSetInfo *rsinfo, const Written &w, MemoryContext scratch) {
	MemoryContext caller = MemoryContextSwitchTo(scratch);
	HeapTupleHeader row = DatumGetHeapTupleHeader(w.row);
	HeapTupleData tuple;
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	tuplestore_puttuple(rsinfo->setResult, &tuple);
	MemoryContextSwitchTo(caller);
	MemoryContextReset(scratch);
}

// Merges the rows before that stay (`kept[i]`) with the written rows.
void emit(FunctionCallInfo fcinfo, const SyncPage *page, Before &before, const bool *kept, Result *result) {
	std::sort(result->rows, result->rows + result->n,
	          [](const Written &a, const Written &b) { return comes_before(a.key, b.key); });
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	MemoryContext scratch = AllocSetContextCreate(page->cxt, "person_pivots sync row", ALLOCSET_SMALL_SIZES);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
	size_t w = 0;
	for (size_t i = 0; i < before.n; i++) {
		if (!tuplestore_gettupleslot(before.rows, true, false, slot))
			elog(ERROR, "person_pivots: sync lost row %zu of %zu", i, before.n);
		if (!kept[i])
			continue;
		while (w < result->n && comes_before(result->rows[w].key, before.keys[i]))
			put_written(rsinfo, result->rows[w++], scratch);
		tuplestore_puttupleslot(rsinfo->setResult, slot);
	}
	while (w < result->n)
		put_written(rsinfo, result->rows[w++], scratch);
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(scratch);
}

// The page's active rows read afresh: the rare way, when a concurrent
// writer changed the page's rows between the read and the writes.
void emit_by_query(FunctionCallInfo fcinfo, const SyncPage *page, Datum people) {
	static pp::spi::Statement media_rows = {
		"SELECT * FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) ANY ($1) AND deleted_at IS NULL"
		" ORDER BY person_pk, created_at, pk",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	static pp::spi::Statement location_rows = {
		"SELECT * FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL ORDER BY person_pk, is_primary DESC, created_at, pk",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	Datum args[1] = {people};
	Portal cursor = pp::spi::open_cursor(page->kind == Kind::media ? media_rows : location_rows, args, nullptr, false);
	for (SPI_cursor_fetch(cursor, true, cursor_batch); SPI_processed > 0; SPI_cursor_fetch(cursor, true, cursor_batch)) {
		pp::api::append_spi_rows(fcinfo);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(cursor);
}

// Hands the page's rows to the caller, and frees what the page read.
void finish(FunctionCallInfo fcinfo, const SyncPage *page, Before &before, const bool *kept, Result *result,
            Datum people) {
	if (result->complete)
		emit(fcinfo, page, before, kept, result);
	else
		emit_by_query(fcinfo, page, people);
	tuplestore_end(before.rows);
}

// kept[i]: row i of `before` stays as it is.
bool *kept_flags(const SyncPage *page, size_t n, const uint32_t *kept_rows, size_t n_kept) {
	auto *kept = static_cast<bool *>(MemoryContextAllocZero(page->cxt, Max(n, 1)));
	for (size_t i = 0; i < n_kept; i++)
		kept[kept_rows[i]] = true;
	return kept;
}

// Runs `stmt` and gathers the rows it returns; its result set is kept
// until the page is done (the gathered rows point into it).
void write_and_gather(const SyncPage *page, pp::spi::Statement &stmt, const Datum *args, size_t planned,
                      Result *result) {
	pp::spi::execute(stmt, args, nullptr, false);
	gather_written(page, result, planned);
}

// Soft-deletes the rows whose pks are args[0], of the page's people args[1].
void soft_delete(const SyncPage *page, const Datum args[2]) {
	static pp::spi::Statement media = {
		"UPDATE core_api.person_media SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) ANY ($2) AND pk OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};
	static pp::spi::Statement locations = {
		"UPDATE core_api.person_locations SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) ANY ($2) AND pk OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};
	pp::spi::execute(page->kind == Kind::media ? media : locations, args, nullptr, false);
}

// -- media --------------------------------------------------------------------

void apply_media(FunctionCallInfo fcinfo, SyncPage *page, Datum people) {
	static pp::spi::Statement current = {
		"SELECT t.pk, t.person_pk, t.media_pk, t.created_at, t FROM core_api.person_media AS t"
		" WHERE t.person_pk OPERATOR(pg_catalog.=) ANY ($1) AND t.deleted_at IS NULL"
		" ORDER BY t.person_pk, t.created_at, t.pk",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	// ON CONFLICT: a plain INSERT of the pair (no person lock) may have
	// linked it since the read; the pair is then active, as the input wants.
	static pp::spi::Statement insert = {
		"INSERT INTO core_api.person_media AS t (person_pk, media_pk)"
		" SELECT u.person_pk, u.media_pk FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		" AS u (person_pk, media_pk)"
		" ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING"
		" RETURNING t.pk, t.person_pk, t.media_pk, t.created_at, t",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};

	pp::sync::MediaRow *rows = nullptr;
	size_t capacity = 0;
	Before before = read_before(page, current, people, [&](size_t i, HeapTuple tuple, TupleDesc desc) {
		rows = room_for(page, rows, i, &capacity);
		rows[i] = {int4_column(tuple, desc, col_pk), int4_column(tuple, desc, col_person),
		           int4_column(tuple, desc, col_target), static_cast<uint32_t>(i)};
	});

	pp::sync::MediaPlan plan = {};
	plan.delete_pks = page_alloc<int32>(page, before.n);
	plan.insert_person = page_alloc<int32>(page, page->nentries);
	plan.insert_media = page_alloc<int32>(page, page->nentries);
	plan.kept_rows = page_alloc<uint32_t>(page, before.n);
	pp::sync::plan_media(page->people, page->npeople, page->entries, rows, before.n, plan);

	Result result = {page_alloc<Written>(page, plan.n_insert), 0, true};
	if (plan.n_delete > 0) {
		Datum args[2] = {int4_array(page, plan.delete_pks, plan.n_delete), people};
		soft_delete(page, args);
	}
	if (plan.n_insert > 0) {
		Datum args[2] = {int4_array(page, plan.insert_person, plan.n_insert),
		                 int4_array(page, plan.insert_media, plan.n_insert)};
		write_and_gather(page, insert, args, plan.n_insert, &result);
	}
	finish(fcinfo, page, before, kept_flags(page, before.n, plan.kept_rows, plan.n_kept), &result, people);
}

// -- locations ----------------------------------------------------------------

// The label, is_primary and is_legal arrays of `items` (changes or
// inserts), into out[0..2].
template <typename Item>
void value_arrays(const SyncPage *page, const Item *items, size_t n, Datum *out) {
	auto *labels = page_alloc<pp::sync::Label>(page, n);
	auto *primary = page_alloc<bool>(page, n);
	auto *legal = page_alloc<bool>(page, n);
	for (size_t i = 0; i < n; i++) {
		labels[i] = items[i].label;
		primary[i] = items[i].is_primary;
		legal[i] = items[i].is_legal;
	}
	out[0] = text_array(page, labels, n);
	out[1] = bool_array(page, primary, n);
	out[2] = bool_array(page, legal, n);
}

// Arguments of the location UPDATE for `changes`: pk, label, is_primary,
// is_legal arrays, and the page's people.
void change_args(const SyncPage *page, const pp::sync::LocationChange *changes, size_t n, Datum people,
                 Datum args[5]) {
	auto *pks = page_alloc<int32>(page, n);
	for (size_t i = 0; i < n; i++)
		pks[i] = changes[i].pk;
	args[0] = int4_array(page, pks, n);
	value_arrays(page, changes, n, args + 1);
	args[4] = people;
}

// Arguments of the location INSERT for `inserts`.
void insert_args(const SyncPage *page, const pp::sync::LocationInsert *inserts, size_t n, Datum args[5]) {
	auto *person = page_alloc<int32>(page, n);
	auto *location = page_alloc<int32>(page, n);
	for (size_t i = 0; i < n; i++) {
		person[i] = inserts[i].person_pk;
		location[i] = inserts[i].location_pk;
	}
	args[0] = int4_array(page, person, n);
	args[1] = int4_array(page, location, n);
	value_arrays(page, inserts, n, args + 2);
}

// What the diff needs of a location row; its label is copied out of the
// cursor's batch, which is freed before the diff runs.
pp::sync::LocationRow location_row(const SyncPage *page, size_t i, HeapTuple tuple, TupleDesc desc) {
	bool isnull;
	text *label = DatumGetTextPP(SPI_getbinval(tuple, desc, col_label, &isnull));
	uint32_t len = static_cast<uint32_t>(VARSIZE_ANY_EXHDR(label));
	char *copy = page_alloc<char>(page, len);
	memcpy(copy, VARDATA_ANY(label), len);
	return {int4_column(tuple, desc, col_pk),      int4_column(tuple, desc, col_person),
	        int4_column(tuple, desc, col_target),  {copy, len},
	        bool_column(tuple, desc, col_primary), bool_column(tuple, desc, col_legal),
	        static_cast<uint32_t>(i)};
}

void apply_locations(FunctionCallInfo fcinfo, SyncPage *page, Datum people) {
	static pp::spi::Statement current = {
		"SELECT t.pk, t.person_pk, t.location_pk, t.created_at, t, t.label, t.is_primary, t.is_legal"
		" FROM core_api.person_locations AS t"
		" WHERE t.person_pk OPERATOR(pg_catalog.=) ANY ($1) AND t.deleted_at IS NULL"
		" ORDER BY t.person_pk, t.is_primary DESC, t.created_at, t.pk",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	static pp::spi::Statement update = {
		"UPDATE core_api.person_locations AS t"
		" SET label = u.label, is_primary = u.is_primary, is_legal = u.is_legal"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		" pg_catalog.unnest($4)) AS u (pk, label, is_primary, is_legal)"
		" WHERE t.person_pk OPERATOR(pg_catalog.=) ANY ($5) AND t.pk OPERATOR(pg_catalog.=) u.pk"
		" AND t.deleted_at IS NULL"
		" RETURNING t.pk, t.person_pk, t.location_pk, t.created_at, t, t.label, t.is_primary, t.is_legal",
		5, {INT4ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, BOOLARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};
	// ON CONFLICT: a plain INSERT of the pair (no person lock) may have come
	// in since the read; the input's values win, as they would have.
	static pp::spi::Statement insert = {
		"INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)"
		" SELECT u.person_pk, u.location_pk, u.label, u.is_primary, u.is_legal"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		" pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u (person_pk, location_pk, label, is_primary, is_legal)"
		PP_LOCATION_UPSERT
		" RETURNING t.pk, t.person_pk, t.location_pk, t.created_at, t, t.label, t.is_primary, t.is_legal",
		5, {INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, BOOLARRAYOID}, nullptr, InvalidOid};

	pp::sync::LocationRow *rows = nullptr;
	size_t capacity = 0;
	Before before = read_before(page, current, people, [&](size_t i, HeapTuple tuple, TupleDesc desc) {
		rows = room_for(page, rows, i, &capacity);
		rows[i] = location_row(page, i, tuple, desc);
	});

	pp::sync::LocationPlan plan = {};
	plan.delete_pks = page_alloc<int32>(page, before.n);
	plan.changes = page_alloc<pp::sync::LocationChange>(page, before.n);
	plan.promotions = page_alloc<pp::sync::LocationChange>(page, before.n);
	plan.inserts = page_alloc<pp::sync::LocationInsert>(page, page->nentries);
	plan.kept_rows = page_alloc<uint32_t>(page, before.n);
	pp::sync::plan_locations(page->people, page->npeople, page->entries, rows, before.n, plan);

	Result result = {page_alloc<Written>(page, plan.n_changes + plan.n_promotions + plan.n_insert), 0, true};
	// Order matters (rule 5): a person's old primary is soft-deleted or
	// demoted before the new one is promoted or inserted, so the primary
	// index never sees two and the trigger's demotion finds nothing to do.
	if (plan.n_delete > 0) {
		Datum args[2] = {int4_array(page, plan.delete_pks, plan.n_delete), people};
		soft_delete(page, args);
	}
	Datum args[5];
	if (plan.n_changes > 0) {
		change_args(page, plan.changes, plan.n_changes, people, args);
		write_and_gather(page, update, args, plan.n_changes, &result);
	}
	if (plan.n_promotions > 0) {
		change_args(page, plan.promotions, plan.n_promotions, people, args);
		write_and_gather(page, update, args, plan.n_promotions, &result);
	}
	if (plan.n_insert > 0) {
		insert_args(page, plan.inserts, plan.n_insert, args);
		write_and_gather(page, insert, args, plan.n_insert, &result);
	}
	finish(fcinfo, page, before, kept_flags(page, before.n, plan.kept_rows, plan.n_kept), &result, people);
}

// -- the common path ------------------------------------------------------------

// Steps 2-7 for a parsed page (SPI connected, result started).
void sync_page(FunctionCallInfo fcinfo, SyncPage *page, const pp::api::Scope &scope) {
	if (page->npeople == 0)
		return;
	pp::sync::page_check_people(page);
	resolve_people(page, scope);
	resolve_entries(page, scope);

	// Validation is over: from here on only the database can fail.
	int32 *pks = sorted_person_pks(page);
	lock_people(pks, page->npeople);
	Datum people = int4_array(page, pks, page->npeople);
	if (page->kind == Kind::media)
		apply_media(fcinfo, page, people);
	else
		apply_locations(fcinfo, page, people);
}

// The entry points: parse the input (`add`), then the common path.
template <typename Add>
Datum sync_call(FunctionCallInfo fcinfo, Kind kind, int session_argno, Add add) {
	pp::api::begin_rows(fcinfo);
	SPI_connect();
	// The host tables this call reads, locked and checked before anything else.
	pp::contract::current(pp::contract::uses(pp::contract::people) |
	                      pp::contract::uses(kind == Kind::media ? pp::contract::media : pp::contract::locations));
	pp::api::Scope scope = pp::tenant::scope_of(fcinfo, session_argno);
	SyncPage *page = pp::sync::page_create(kind);
	add(page);
	sync_page(fcinfo, page, scope);
	pp::sync::page_free(page);
	SPI_finish();
	return (Datum)0;
}

}  // namespace

PP_FUNCTION(sync_person_media) {
	Datum person_id = pp::api::required_arg(fcinfo, 0, "person_id");
	ArrayType *media_ids = DatumGetArrayTypeP(pp::api::required_arg(fcinfo, 1, "media_ids"));
	return sync_call(fcinfo, Kind::media, 2,
	                 [&](SyncPage *page) { pp::sync::page_add_media_array(page, person_id, media_ids); });
}

PP_FUNCTION(sync_person_media_batch) {
	Jsonb *people = DatumGetJsonbP(pp::api::required_arg(fcinfo, 0, "people"));
	return sync_call(fcinfo, Kind::media, 1, [&](SyncPage *page) { pp::sync::page_add_people(page, people); });
}

PP_FUNCTION(sync_person_locations) {
	Datum person_id = pp::api::required_arg(fcinfo, 0, "person_id");
	Jsonb *locations = DatumGetJsonbP(pp::api::required_arg(fcinfo, 1, "locations"));
	return sync_call(fcinfo, Kind::locations, 2,
	                 [&](SyncPage *page) { pp::sync::page_add_locations(page, person_id, locations); });
}

PP_FUNCTION(sync_person_locations_batch) {
	Jsonb *people = DatumGetJsonbP(pp::api::required_arg(fcinfo, 0, "people"));
	return sync_call(fcinfo, Kind::locations, 1, [&](SyncPage *page) { pp::sync::page_add_people(page, people); });
}
