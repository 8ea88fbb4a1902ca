// The sync functions: make a person's (or a page of people's) active media
// or locations exactly the input. Connector sync jobs author every pivot
// row through them, page by page.
//
// One path for the single and the batch forms, in set-wise steps per page:
//   1. parse the input into plain arrays (sync_input), checking its shape;
//   2. resolve person and target uuids with one query each (= ANY($1));
//   3. lock the people (ascending pk: concurrent pages never deadlock);
//   4. read the page's active rows with one query;
//   5. diff in the pure core (sync_diff), rows that stay get no write;
//   6. apply: one soft-delete UPDATE, one UPDATE per kind of change, one
//      INSERT ... SELECT FROM unnest, each only when it has rows; every
//      statement names the page's people (person_pk = ANY), so on Citus it
//      stays on their shards (docs/design.md, Scale-out);
//   7. return the page's active rows: the rows that stayed (from step 4)
//      and the rows the writes returned, sorted here; no second read.
// Everything a client can get wrong is found in steps 1-2, before any write;
// an error leaves the database as it was.
//
// This file calls Postgres directly and holds only trivially destructible
// locals (boundary.hpp); the Boost containers live inside sync_diff.
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
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
pp::sync::Resolved *resolved_rows(const SyncPage *page, size_t *n) {
	*n = SPI_processed;
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
pp::sync::Resolved *resolve(const SyncPage *page, pp::spi::Statement &stmt, pp::sync::Uuid *ids, size_t n,
                            const pp::api::Scope &scope, size_t *nfound) {
	n = pp::sync::sort_unique(ids, n);
	Datum args[2] = {uuid_array(page, ids, n), Int32GetDatum(scope.workspace_pk)};
	char nulls[3] = {' ', scope.scoped ? ' ' : 'n', '\0'};
	pp::spi::execute(stmt, args, nulls, false);
	pfree(DatumGetPointer(args[0]));
	return resolved_rows(page, nfound);
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
	pp::sync::Resolved *found = resolve(page, people, ids, page->npeople, scope, &n);
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
	pp::sync::Resolved *found = resolve(page, pp::api::targets_statement(page->kind == Kind::media ? pp::api::Target::media : pp::api::Target::location), ids, page->nentries, scope, &n);
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

// -- the result -----------------------------------------------------------------
// The call returns the page's active rows. They are gathered from what the
// call already has: the current rows that stay (read before the writes) and
// the rows the writes return, all in one column layout:
//   1 pk, 2 person_pk, 3 target pk, 4 created_at, 5 the whole row,
//   6 label, 7 is_primary, 8 is_legal (locations only)
// then sorted like person_active_media/locations order them, per person.

constexpr int col_pk = 1, col_person = 2, col_target = 3, col_created = 4, col_row = 5, col_label = 6,
              col_primary = 7, col_legal = 8;

// One row of the result.
struct OutRow {
	int32 person_pk;
	bool is_primary;
	TimestampTz created_at;
	int32 pk;
	Datum row;  // the composite as stored in its result set (maybe packed)
};

struct Result {
	OutRow *rows;
	size_t n;
	bool complete;  // false: a write touched fewer rows than planned (a concurrent writer)
};

// Adds rows of `table` (all of them, or those listed in `which`) to the result.
void gather(const SyncPage *page, Result *result, SPITupleTable *table, const uint32 *which, size_t n) {
	TupleDesc desc = table->tupdesc;
	for (size_t i = 0; i < n; i++) {
		HeapTuple tuple = table->vals[which ? which[i] : i];
		bool isnull;
		OutRow &out = result->rows[result->n++];
		out.pk = int4_column(tuple, desc, col_pk);
		out.person_pk = int4_column(tuple, desc, col_person);
		out.created_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, col_created, &isnull));
		out.is_primary = page->kind == Kind::locations && bool_column(tuple, desc, col_primary);
		out.row = SPI_getbinval(tuple, desc, col_row, &isnull);
	}
}

// Rows a write returned, into the result; if they are not all the rows it
// was meant to write, the result is read afresh instead.
void gather_written(const SyncPage *page, Result *result, size_t planned) {
	if (SPI_processed != planned)
		result->complete = false;
	else if (result->complete)
		gather(page, result, SPI_tuptable, nullptr, SPI_processed);
}

// Sorts the result (per person; locations primary first; oldest first) and
// hands it to the caller's tuplestore.
void emit(FunctionCallInfo fcinfo, const SyncPage *page, Result *result) {
	bool locations = page->kind == Kind::locations;
	std::sort(result->rows, result->rows + result->n, [locations](const OutRow &a, const OutRow &b) {
		if (a.person_pk != b.person_pk)
			return a.person_pk < b.person_pk;
		if (locations && a.is_primary != b.is_primary)
			return a.is_primary;
		if (a.created_at != b.created_at)
			return a.created_at < b.created_at;
		return a.pk < b.pk;
	});
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	// A short row is stored packed (1-byte header); unpacking copies it:
	// into a scratch context reset for every row, not a million copies.
	MemoryContext scratch = AllocSetContextCreate(page->cxt, "person_pivots sync row", ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(scratch);
	for (size_t i = 0; i < result->n; i++) {
		HeapTupleHeader row = DatumGetHeapTupleHeader(result->rows[i].row);
		HeapTupleData tuple;
		tuple.t_len = HeapTupleHeaderGetDatumLength(row);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = row;
		tuplestore_puttuple(rsinfo->setResult, &tuple);
		MemoryContextReset(scratch);
	}
	MemoryContextSwitchTo(caller);
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
	pp::spi::execute(page->kind == Kind::media ? media_rows : location_rows, args, nullptr, false);
	pp::api::append_spi_rows(fcinfo);
	SPI_freetuptable(SPI_tuptable);
}

void finish(FunctionCallInfo fcinfo, const SyncPage *page, Result *result, Datum people) {
	if (result->complete)
		emit(fcinfo, page, result);
	else
		emit_by_query(fcinfo, page, people);
}

// -- media --------------------------------------------------------------------

void apply_media(FunctionCallInfo fcinfo, SyncPage *page, Datum people) {
	static pp::spi::Statement current = {
		"SELECT t.pk, t.person_pk, t.media_pk, t.created_at, t FROM core_api.person_media AS t"
		" WHERE t.person_pk OPERATOR(pg_catalog.=) ANY ($1) AND t.deleted_at IS NULL",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	static pp::spi::Statement soft_delete = {
		"UPDATE core_api.person_media SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) ANY ($2) AND pk OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};
	// ON CONFLICT: a plain INSERT of the pair (no person lock) may have
	// linked it since the read; the pair is then active, as the input wants.
	static pp::spi::Statement insert = {
		"INSERT INTO core_api.person_media AS t (person_pk, media_pk)"
		" SELECT u.person_pk, u.media_pk FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		" AS u (person_pk, media_pk)"
		" ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING"
		" RETURNING t.pk, t.person_pk, t.media_pk, t.created_at, t",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};

	Datum args[2] = {people, 0};
	pp::spi::execute(current, args, nullptr, false);
	SPITupleTable *rows_before = SPI_tuptable;
	size_t ncurrent = SPI_processed;
	auto *rows = page_alloc<pp::sync::MediaRow>(page, ncurrent);
	TupleDesc desc = rows_before->tupdesc;
	for (size_t i = 0; i < ncurrent; i++) {
		HeapTuple tuple = rows_before->vals[i];
		rows[i] = {int4_column(tuple, desc, col_pk), int4_column(tuple, desc, col_person),
		           int4_column(tuple, desc, col_target), static_cast<uint32_t>(i)};
	}

	pp::sync::MediaPlan plan = {};
	plan.delete_pks = page_alloc<int32>(page, ncurrent);
	plan.insert_person = page_alloc<int32>(page, page->nentries);
	plan.insert_media = page_alloc<int32>(page, page->nentries);
	plan.kept_rows = page_alloc<uint32_t>(page, ncurrent);
	pp::sync::plan_media(page->people, page->npeople, page->entries, rows, ncurrent, plan);

	Result result = {page_alloc<OutRow>(page, plan.n_kept + plan.n_insert), 0, true};
	gather(page, &result, rows_before, plan.kept_rows, plan.n_kept);
	if (plan.n_delete > 0) {
		Datum dargs[2] = {int4_array(page, plan.delete_pks, plan.n_delete), people};
		pp::spi::execute(soft_delete, dargs, nullptr, false);
	}
	SPITupleTable *inserted = nullptr;
	if (plan.n_insert > 0) {
		args[0] = int4_array(page, plan.insert_person, plan.n_insert);
		args[1] = int4_array(page, plan.insert_media, plan.n_insert);
		pp::spi::execute(insert, args, nullptr, false);
		inserted = SPI_tuptable;
		gather_written(page, &result, plan.n_insert);
	}
	finish(fcinfo, page, &result, people);
	SPI_freetuptable(rows_before);
	if (inserted)
		SPI_freetuptable(inserted);
}

// -- locations ----------------------------------------------------------------

// Runs `stmt` (pk, label, is_primary, is_legal arrays, and the page's
// people) for the changes and gathers the rows it returns; returns its
// result set.
SPITupleTable *update_locations(const SyncPage *page, pp::spi::Statement &stmt, Datum people,
                                const pp::sync::LocationChange *changes, size_t n, Result *result) {
	if (n == 0)
		return nullptr;
	auto *pks = page_alloc<int32>(page, n);
	auto *labels = page_alloc<pp::sync::Label>(page, n);
	auto *primary = page_alloc<bool>(page, n);
	auto *legal = page_alloc<bool>(page, n);
	for (size_t i = 0; i < n; i++) {
		pks[i] = changes[i].pk;
		labels[i] = changes[i].label;
		primary[i] = changes[i].is_primary;
		legal[i] = changes[i].is_legal;
	}
	Datum args[5] = {int4_array(page, pks, n), text_array(page, labels, n), bool_array(page, primary, n),
	                 bool_array(page, legal, n), people};
	pp::spi::execute(stmt, args, nullptr, false);
	gather_written(page, result, n);
	return SPI_tuptable;
}

void apply_locations(FunctionCallInfo fcinfo, SyncPage *page, Datum people) {
	static pp::spi::Statement current = {
		"SELECT t.pk, t.person_pk, t.location_pk, t.created_at, t, t.label, t.is_primary, t.is_legal"
		" FROM core_api.person_locations AS t"
		" WHERE t.person_pk OPERATOR(pg_catalog.=) ANY ($1) AND t.deleted_at IS NULL",
		1, {INT4ARRAYOID}, nullptr, InvalidOid};
	static pp::spi::Statement soft_delete = {
		"UPDATE core_api.person_locations SET deleted_at = pg_catalog.now()"
		" WHERE person_pk OPERATOR(pg_catalog.=) ANY ($2) AND pk OPERATOR(pg_catalog.=) ANY ($1)"
		" AND deleted_at IS NULL",
		2, {INT4ARRAYOID, INT4ARRAYOID}, nullptr, InvalidOid};
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

	Datum args[5] = {people, 0, 0, 0, 0};
	pp::spi::execute(current, args, nullptr, false);
	SPITupleTable *rows_before = SPI_tuptable;
	size_t ncurrent = SPI_processed;
	auto *rows = page_alloc<pp::sync::LocationRow>(page, ncurrent);
	TupleDesc desc = rows_before->tupdesc;
	for (size_t i = 0; i < ncurrent; i++) {
		HeapTuple tuple = rows_before->vals[i];
		bool isnull;
		// a short varlena in the tuple, which lives until the tuple table is freed
		text *label = DatumGetTextPP(SPI_getbinval(tuple, desc, col_label, &isnull));
		rows[i] = {int4_column(tuple, desc, col_pk),
		           int4_column(tuple, desc, col_person),
		           int4_column(tuple, desc, col_target),
		           {VARDATA_ANY(label), static_cast<uint32_t>(VARSIZE_ANY_EXHDR(label))},
		           bool_column(tuple, desc, col_primary),
		           bool_column(tuple, desc, col_legal),
		           static_cast<uint32_t>(i)};
	}

	pp::sync::LocationPlan plan = {};
	plan.delete_pks = page_alloc<int32>(page, ncurrent);
	plan.changes = page_alloc<pp::sync::LocationChange>(page, ncurrent);
	plan.promotions = page_alloc<pp::sync::LocationChange>(page, ncurrent);
	plan.inserts = page_alloc<pp::sync::LocationInsert>(page, page->nentries);
	plan.kept_rows = page_alloc<uint32_t>(page, ncurrent);
	pp::sync::plan_locations(page->people, page->npeople, page->entries, rows, ncurrent, plan);

	Result result = {
		page_alloc<OutRow>(page, plan.n_kept + plan.n_changes + plan.n_promotions + plan.n_insert), 0, true};
	gather(page, &result, rows_before, plan.kept_rows, plan.n_kept);
	// Order matters (rule 5): a person's old primary is soft-deleted or
	// demoted before the new one is promoted or inserted, so the primary
	// index never sees two and the trigger's demotion finds nothing to do.
	if (plan.n_delete > 0) {
		Datum dargs[2] = {int4_array(page, plan.delete_pks, plan.n_delete), people};
		pp::spi::execute(soft_delete, dargs, nullptr, false);
	}
	SPITupleTable *changed = update_locations(page, update, people, plan.changes, plan.n_changes, &result);
	SPITupleTable *promoted = update_locations(page, update, people, plan.promotions, plan.n_promotions, &result);
	SPITupleTable *inserted = nullptr;
	if (plan.n_insert > 0) {
		size_t n = plan.n_insert;
		auto *person = page_alloc<int32>(page, n);
		auto *location = page_alloc<int32>(page, n);
		auto *labels = page_alloc<pp::sync::Label>(page, n);
		auto *primary = page_alloc<bool>(page, n);
		auto *legal = page_alloc<bool>(page, n);
		for (size_t i = 0; i < n; i++) {
			const pp::sync::LocationInsert &ins = plan.inserts[i];
			person[i] = ins.person_pk;
			location[i] = ins.location_pk;
			labels[i] = ins.label;
			primary[i] = ins.is_primary;
			legal[i] = ins.is_legal;
		}
		Datum iargs[5] = {int4_array(page, person, n), int4_array(page, location, n), text_array(page, labels, n),
		                  bool_array(page, primary, n), bool_array(page, legal, n)};
		pp::spi::execute(insert, iargs, nullptr, false);
		inserted = SPI_tuptable;
		gather_written(page, &result, n);
	}
	finish(fcinfo, page, &result, people);
	for (SPITupleTable *table : {rows_before, changed, promoted, inserted})
		if (table)
			SPI_freetuptable(table);
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
	pp::api::Scope scope = pp::api::scope_of(fcinfo, session_argno);
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
