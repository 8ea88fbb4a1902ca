// Shared row rules for core_api.person_media and core_api.person_locations.
//
// This file calls Postgres directly and so holds only trivially
// destructible locals (see boundary.hpp); errors are thrown as pp::Error
// and raised by the entry point's boundary.
#include "pivot_rules.hpp"
#include "entity_cache.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "host_contract.hpp"
#include "spi.hpp"

extern "C" {
#include "utils/datum.h"
}

namespace pp::rules {

const PivotTable person_media = {"core_api.person_media", "media", "media", "media_pk", true};
const PivotTable person_locations = {"core_api.person_locations", "location", "locations", "location_pk", false};

namespace {

// Per-statement state, kept in the trigger's FmgrInfo (fn_extra): the
// executor gives each statement its own, so nothing outlives the statement.
struct StatementState {
	Oid relid;
	Oid user;
	bool maintenance;
	Columns cols;
	Oid people, target;
	AttrNumber people_workspace, target_workspace;
	EntityCache people_cache, target_cache;
	MemoryContext cxt;  // the statement's (fn_mcxt): where the caches live
};

AttrNumber column(TupleDesc desc, const char *name, bool required) {
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	if (required)
		elog(ERROR, "column \"%s\" is missing from the pivot table", name);
	return InvalidAttrNumber;
}

StatementState *statement_state(FunctionCallInfo fcinfo, Relation rel, const PivotTable &table) {
	auto *state = static_cast<StatementState *>(fcinfo->flinfo->fn_extra);
	Oid user = GetUserId();
	if (state && state->relid == RelationGetRelid(rel) && state->user == user)
		return state;
	if (!state)
		state = static_cast<StatementState *>(
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(StatementState)));
	else
		memset(state, 0, sizeof(StatementState));
	TupleDesc desc = RelationGetDescr(rel);
	state->relid = RelationGetRelid(rel);
	state->cxt = fcinfo->flinfo->fn_mcxt;
	state->user = user;
	state->maintenance = host::is_maintenance_role(rel);
	state->cols.pk = column(desc, "pk", true);
	state->cols.person_pk = column(desc, "person_pk", true);
	state->cols.target_pk = column(desc, table.target_column, true);
	state->cols.created_at = column(desc, "created_at", true);
	state->cols.updated_at = column(desc, "updated_at", table.has_updated_at);
	state->cols.deleted_at = column(desc, "deleted_at", true);
	state->cols.is_primary = column(desc, "is_primary", false);
	// The host as verified now (host_contract.hpp): locked for the
	// transaction, re-checked after any migration; none in restore mode.
	contract::TableId target = &table == &person_media ? contract::media : contract::locations;
	if (const contract::Host *host = contract::current_or_absent(contract::uses(contract::people) |
	                                                              contract::uses(target))) {
		state->people = (*host)[contract::people].relid;
		state->target = (*host)[target].relid;
		state->people_workspace = (*host)[contract::people].workspace_pk;
		state->target_workspace = (*host)[target].workspace_pk;
	}
	fcinfo->flinfo->fn_extra = state;
	return state;
}

// Rule 6: a link stays inside one workspace (when the target has one).
// Returns the person as read (not found in restore mode).
host::Entity check_workspace(StatementState *st, const PivotTable &table, int32 person_pk, int32 target_pk) {
	if (!OidIsValid(st->people) || !OidIsValid(st->target))
		return {};  // restore mode: the host tables arrive later, with the FKs
	host::Entity person = cached_entity(st->people_cache, st->cxt, st->people, st->people_workspace, person_pk);
	if (!person.found)
		throw errors::pk_missing("person", person_pk);
	host::Entity target = cached_entity(st->target_cache, st->cxt, st->target, st->target_workspace, target_pk);
	if (!target.found)
		throw errors::pk_missing(table.target_kind, target_pk);
	if (person.has_workspace && target.has_workspace && person.workspace_pk != target.workspace_pk)
		throw errors::workspace_mismatch(table.target_kind, person_pk, person.workspace_pk, target_pk,
		                                 target.workspace_pk);
	return person;
}

bool attr_equal(HeapTuple a, HeapTuple b, TupleDesc desc, AttrNumber attnum) {
	bool anull, bnull;
	Datum av = heap_getattr(a, attnum, desc, &anull);
	Datum bv = heap_getattr(b, attnum, desc, &bnull);
	if (anull || bnull)
		return anull == bnull;
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	return datumIsEqual(av, bv, att->attbyval, att->attlen);
}

// Whether any column other than created_at/updated_at differs.
bool content_changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, const Columns &cols) {
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || att->attnum == cols.created_at || att->attnum == cols.updated_at)
			continue;
		if (!attr_equal(oldtup, newtup, desc, att->attnum))
			return true;
	}
	return false;
}

int32 int4_attr(HeapTuple tup, TupleDesc desc, AttrNumber attnum) {
	bool isnull;
	Datum d = heap_getattr(tup, attnum, desc, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

bool is_null(HeapTuple tup, TupleDesc desc, AttrNumber attnum) {
	return attnum == InvalidAttrNumber || heap_attisnull(tup, attnum, desc);
}

bool becomes_active_primary(HeapTuple tup, TupleDesc desc, const Columns &cols) {
	if (cols.is_primary == InvalidAttrNumber || !is_null(tup, desc, cols.deleted_at))
		return false;
	bool isnull;
	Datum d = heap_getattr(tup, cols.is_primary, desc, &isnull);
	return !isnull && DatumGetBool(d);
}

// Replacement values for up to three system columns.
struct Patch {
	int n = 0;
	int attnums[3];
	Datum values[3];
	bool nulls[3];
	void set(AttrNumber attnum, Datum value, bool isnull) {
		if (attnum == InvalidAttrNumber)
			return;
		attnums[n] = attnum;
		values[n] = value;
		nulls[n] = isnull;
		n++;
	}
	HeapTuple apply(HeapTuple tup, TupleDesc desc) {
		return n == 0 ? tup : heap_modify_tuple_by_cols(tup, desc, n, attnums, values, nulls);
	}
};

HeapTuple on_insert(StatementState *st, const PivotTable &table, Relation rel, HeapTuple row,
                    PrimaryHook on_primary_change) {
	TupleDesc desc = RelationGetDescr(rel);
	const Columns &c = st->cols;
	Datum now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	Patch patch;
	if (!st->maintenance) {
		// Rule 1: the database's clock, whatever the client sent.
		if (!is_null(row, desc, c.deleted_at))
			throw errors::insert_deleted(table.name);
		patch.set(c.created_at, now, false);
		patch.set(c.updated_at, now, false);
	} else if (is_null(row, desc, c.created_at)) {
		patch.set(c.created_at, now, false);  // verbatim, except what NOT NULL would reject
	}
	row = patch.apply(row, desc);
	// A NULL endpoint is the NOT NULL constraint's to report (23502).
	host::Entity person = {};
	if (!is_null(row, desc, c.person_pk) && !is_null(row, desc, c.target_pk))
		person = check_workspace(st, table, int4_attr(row, desc, c.person_pk), int4_attr(row, desc, c.target_pk));
	if (on_primary_change && becomes_active_primary(row, desc, c))
		on_primary_change(rel, c, row, PrimaryEvent::inserted, person.found ? &person.tid : nullptr);
	return row;
}

HeapTuple on_update(StatementState *st, const PivotTable &table, Relation rel, HeapTuple oldrow, HeapTuple newrow,
                    PrimaryHook on_primary_change) {
	TupleDesc desc = RelationGetDescr(rel);
	const Columns &c = st->cols;
	int32 pk = int4_attr(oldrow, desc, c.pk);

	// Rule 4: identity and endpoints are fixed at insert.
	if (!attr_equal(oldrow, newrow, desc, c.pk))
		throw errors::endpoint_change(table.name, "pk", pk);
	if (!attr_equal(oldrow, newrow, desc, c.person_pk))
		throw errors::endpoint_change(table.name, "person_pk", pk);
	if (!attr_equal(oldrow, newrow, desc, c.target_pk))
		throw errors::endpoint_change(table.name, table.target_column, pk);

	// Rule 2: a soft-deleted row is history: never undeleted, never edited.
	if (!is_null(oldrow, desc, c.deleted_at)) {
		if (is_null(newrow, desc, c.deleted_at))
			throw errors::undelete(table.name, pk);
		for (int i = 0; i < desc->natts; i++) {
			Form_pg_attribute att = TupleDescAttr(desc, i);
			if (!att->attisdropped && !attr_equal(oldrow, newrow, desc, att->attnum))
				throw errors::frozen_row(table.name, pk);
		}
		return newrow;
	}

	bool changed = content_changed(oldrow, newrow, desc, c);
	Datum now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	Patch patch;
	if (!st->maintenance) {
		// Rule 1: created_at keeps its value, deleted_at and updated_at take
		// the database's clock.
		bool isnull;
		patch.set(c.created_at, heap_getattr(oldrow, c.created_at, desc, &isnull), isnull);
		if (!is_null(newrow, desc, c.deleted_at))
			patch.set(c.deleted_at, now, false);
		if (c.updated_at != InvalidAttrNumber) {
			if (changed)
				patch.set(c.updated_at, now, false);
			else
				patch.set(c.updated_at, heap_getattr(oldrow, c.updated_at, desc, &isnull), isnull);
		}
	} else if (c.updated_at != InvalidAttrNumber && changed && attr_equal(oldrow, newrow, desc, c.updated_at)) {
		patch.set(c.updated_at, now, false);  // maintained unless written explicitly
	}
	newrow = patch.apply(newrow, desc);
	if (on_primary_change) {
		bool was_primary = becomes_active_primary(oldrow, desc, c);
		if (becomes_active_primary(newrow, desc, c) && !was_primary)
			on_primary_change(rel, c, newrow, PrimaryEvent::promoted, nullptr);
		else if (was_primary)
			on_primary_change(rel, c, newrow, PrimaryEvent::touched, nullptr);
	}
	return newrow;
}

// Rule 3: an application role's DELETE becomes a soft delete.
HeapTuple on_delete(StatementState *st, const PivotTable &table, Relation rel, HeapTuple oldrow) {
	if (st->maintenance)
		return oldrow;
	TupleDesc desc = RelationGetDescr(rel);
	if (!is_null(oldrow, desc, st->cols.deleted_at))
		return nullptr;  // already history: nothing to do, nothing removed

	static spi::Statement soft_delete_media = {
		"UPDATE core_api.person_media SET deleted_at = pg_catalog.now() "
		"WHERE ctid OPERATOR(pg_catalog.=) $1 AND person_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL",
		2, {TIDOID, INT4OID}, nullptr, InvalidOid};
	static spi::Statement soft_delete_locations = {
		"UPDATE core_api.person_locations SET deleted_at = pg_catalog.now() "
		"WHERE ctid OPERATOR(pg_catalog.=) $1 AND person_pk OPERATOR(pg_catalog.=) $2 AND deleted_at IS NULL",
		2, {TIDOID, INT4OID}, nullptr, InvalidOid};
	spi::Statement &stmt = (&table == &person_media) ? soft_delete_media : soft_delete_locations;

	// By ctid: the executor has locked exactly this version (run as a TID
	// scan, spi::execute_indexed). person_pk keeps the statement routable to
	// one shard (docs/scaling.md).
	Datum args[2] = {PointerGetDatum(&oldrow->t_self), Int32GetDatum(int4_attr(oldrow, desc, st->cols.person_pk))};
	SPI_connect();
	spi::execute_indexed(stmt, args, nullptr);
	SPI_finish();
	return nullptr;  // the row stays; the DELETE reports it as not deleted
}

void check_trigger_call(FunctionCallInfo fcinfo, bool row_level) {
	const char *name = get_func_name(fcinfo->flinfo->fn_oid);
	if (!CALLED_AS_TRIGGER(fcinfo))
		throw errors::not_fired_as_trigger(name);
	TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) ||
	    (row_level ? !TRIGGER_FIRED_FOR_ROW(td->tg_event) : !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event)))
		throw errors::fired_at_wrong_time(name, row_level ? "ROW" : "STATEMENT");
}

}  // namespace

Datum guard_row(FunctionCallInfo fcinfo, const PivotTable &table, PrimaryHook on_primary_change) {
	check_trigger_call(fcinfo, true);
	TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
	StatementState *st = statement_state(fcinfo, td->tg_relation, table);
	HeapTuple result;
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		result = on_insert(st, table, td->tg_relation, td->tg_trigtuple, on_primary_change);
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		result = on_update(st, table, td->tg_relation, td->tg_trigtuple, td->tg_newtuple, on_primary_change);
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		result = on_delete(st, table, td->tg_relation, td->tg_trigtuple);
	else  // cannot happen: check_trigger_call admits BEFORE ... FOR EACH ROW only
		elog(ERROR, "trigger on %s must fire for INSERT, UPDATE or DELETE", table.name);
	return PointerGetDatum(result);
}

Datum guard_truncate(FunctionCallInfo fcinfo, const PivotTable &table) {
	check_trigger_call(fcinfo, false);
	TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (!host::is_maintenance_role(td->tg_relation))
		throw errors::truncate_refused(table.name);
	return PointerGetDatum(nullptr);
}

}  // namespace pp::rules
