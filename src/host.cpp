// Host schema lookups shared by triggers, functions and the installer.
#include "host.hpp"
#include "host_contract.hpp"

extern "C" {
#include "access/skey.h"
#include "access/stratnum.h"
#include "catalog/pg_class.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"
}

namespace pp::host {

Oid core_api_relid(const char *name) {
	Oid nsp = get_namespace_oid("core_api", true);
	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

// Both follow renames and new tables through the contract's invalidation
// callbacks (host_contract.cpp), without a catalog lookup per call.
Oid people_relid() {
	return contract::people_relid();
}

const char *people_name() {
	return contract::people_name();
}

const char *with_people_table(const char *text) {
	constexpr const char marker[] = "{people}";
	const char *found = strstr(text, marker);
	if (!found)
		return text;
	const char *people = people_name();
	StringInfoData buf;
	initStringInfo(&buf);
	const char *rest = text;
	for (; found; found = strstr(rest, marker)) {
		appendBinaryStringInfo(&buf, rest, found - rest);
		appendStringInfoString(&buf, people);
		rest = found + strlen(marker);
	}
	appendStringInfoString(&buf, rest);
	return buf.data;
}

namespace {

Entity fetch_by_pk_with(Oid relid, AttrNumber workspace_attnum, int32 pk, Snapshot snapshot) {
	Entity out = {false, false, 0, {}};
	Relation rel = table_open(relid, AccessShareLock);
	Oid index_oid = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(index_oid))
		elog(ERROR, "table \"%s\" has no primary key", RelationGetRelationName(rel));
	Relation index = index_open(index_oid, AccessShareLock);
	// The key and the workspace are read as integer only if they are (this
	// transaction now holds the table, so they stay as checked here).
	require_int4_columns(rel, index->rd_index->indkey.values[0], workspace_attnum);

	ScanKeyData key;
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(pk));
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
		out.found = true;
		out.tid = slot->tts_tid;
		if (workspace_attnum != InvalidAttrNumber) {
			bool isnull;
			Datum ws = slot_getattr(slot, workspace_attnum, &isnull);
			out.has_workspace = !isnull;
			out.workspace_pk = isnull ? 0 : DatumGetInt32(ws);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return out;
}

}  // namespace

Entity fetch_by_pk(Oid relid, AttrNumber workspace_attnum, int32 pk) {
	Entity out = fetch_by_pk_with(relid, workspace_attnum, pk, SnapshotSelf);
	if (out.found)
		return out;
	// SnapshotSelf is not an MVCC snapshot: a row that another session
	// updates to a new heap slot while the probe runs can be missed (its old
	// version dead by the time it is read, its new index entry behind the
	// scan). A fresh MVCC snapshot sees exactly one version of every row
	// committed before it, so a second probe cannot miss it that way.
	Snapshot latest = RegisterSnapshot(GetLatestSnapshot());
	out = fetch_by_pk_with(relid, workspace_attnum, pk, latest);
	UnregisterSnapshot(latest);
	return out;
}

void require_int4_columns(Relation rel, AttrNumber key_attnum, AttrNumber workspace_attnum) {
	TupleDesc desc = RelationGetDescr(rel);
	const AttrNumber columns[2] = {key_attnum, workspace_attnum};
	for (AttrNumber attnum : columns) {
		if (attnum == InvalidAttrNumber)
			continue;
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		if (att->atttypid != INT4OID)
			contract::require_int4(att->atttypid, psprintf("core_api.%s", RelationGetRelationName(rel)),
			                       pstrdup(NameStr(att->attname)));
	}
}

Oid relation_owner(Oid relid) {
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

bool is_maintenance_role(Relation rel) {
	Oid user = GetUserId();
	return superuser_arg(user) || has_privs_of_role(user, rel->rd_rel->relowner);
}

}  // namespace pp::host
