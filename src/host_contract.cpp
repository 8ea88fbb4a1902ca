// See host_contract.hpp.
//
// Why a per-backend state at all: Hasura keeps its backends for hours while
// the application's migrations change the host tables. Every statement text
// and plan the extension derives from them must follow such a change, and
// the change itself may break the contract (a key retyped to bigint, a
// unique index dropped, a table renamed). PostgreSQL tells every backend
// about such changes through invalidation messages, which a backend takes
// in when it locks a relation it does not hold yet: the callbacks below
// drop the state and bump the generation; the next call locks the tables
// it reads (taking in the messages), finds the state gone and verifies the
// contract again, exactly as a fresh backend does on its first call.
#include "host_contract.hpp"
#include "errors.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_index.h"
#include "utils/syscache.h"
}

namespace pp::contract {

namespace {

// What the contract requires of each table (docs/design.md, section 1).
struct Spec {
	const char *relname;   // people: tried first, then alt
	const char *alt;       // "peoples" (older databases) or nullptr
	const char *name;      // for messages
	const char *alt_name;  // ... when alt is the one found
	const char *id;        // the uuid id column
	bool workspace;        // workspace_pk: 1 required, optional otherwise
	bool workspace_required;
	bool deleted_required;
	bool deleted;  // deleted_at is checked at all (workspaces: not read)
};

const Spec specs[ntables] = {
	{"people", "peoples", "core_api.people", "core_api.peoples", "person_id", true, true, true, true},
	{"media", nullptr, "core_api.media", nullptr, "media_id", true, false, false, true},
	{"locations", nullptr, "core_api.locations", nullptr, "location_id", true, false, false, true},
	{"workspaces", nullptr, "core_api.workspaces", nullptr, "workspace_id", false, false, false, false},
};

// What is wrong with a table, found while it is open and thrown once it is
// closed (no relcache reference is left behind by an error).
struct Breach {
	enum Kind { none, column_missing, column_type, primary_key, unique_index } kind;
	const char *column;
	const char *found;     // column_type: the type found
	const char *required;  // column_type: the types allowed
};

// Who holds a lock: a lock taken in a subtransaction that aborts is gone
// (a plpgsql EXCEPTION block around a call), so the subtransaction counts.
struct Holder {
	LocalTransactionId lxid;
	SubTransactionId subxid;
};

bool held_now(const Holder &h) {
	return h.lxid == MyProc->lxid && h.subxid == GetCurrentSubTransactionId();
}

Holder now_holder() {
	return {MyProc->lxid, GetCurrentSubTransactionId()};
}

// Per-backend state. located: relids (and the names' catcache hashes) are
// known; verified: the contract holds for them.
struct State {
	bool located;
	bool verified;
	bool absent;  // located, and no people table (restore mode)
	Oid nsp;
	Host host;
	Holder locked[ntables];  // the (sub)transaction that took this table's AccessShareLock
	uint32 name_hash[ntables + 1];       // RELNAMENSP hashes of every watched name
};

State state;
uint64 generation_counter = 1;

void invalidate() {
	state.located = false;
	state.verified = false;
	generation_counter++;
}

void relcache_callback(Datum, Oid relid) {
	if (!OidIsValid(relid)) {  // a reset: everything may have changed
		invalidate();
		return;
	}
	if (!state.located)
		return;  // nothing derived yet
	for (const Table &t : state.host.tables)
		if (t.relid == relid) {
			invalidate();
			return;
		}
}

// A pg_class row of one of the watched names changed (created, renamed,
// dropped): e.g. core_api.people appears while peoples is in use.
void relname_callback(Datum, int, uint32 hash) {
	if (!state.located)
		return;
	if (hash == 0 || !OidIsValid(state.nsp)) {
		invalidate();
		return;
	}
	for (uint32 h : state.name_hash)
		if (h == hash) {
			invalidate();
			return;
		}
}

// core_api itself renamed, dropped or created: no pg_class row changes.
void namespace_callback(Datum, int, uint32 hash) {
	if (!state.located)
		return;
	if (hash == 0 || !OidIsValid(state.nsp) ||
	    hash == GetSysCacheHashValue1(NAMESPACEOID, ObjectIdGetDatum(state.nsp)))
		invalidate();
}

uint32 name_hash(const char *relname, Oid nsp) {
	return GetSysCacheHashValue2(RELNAMENSP, CStringGetDatum(relname), ObjectIdGetDatum(nsp));
}

// The oid of core_api.<relname> (or InvalidOid), locked with AccessShareLock
// when `lock`: the lock takes in pending invalidations, so the name is
// looked up again until it names the oid locked (RangeVarGetRelid's loop,
// without its privilege check: the caller's own statements check those).
Oid relid_locked(const char *relname, bool lock) {
	for (;;) {
		Oid relid = get_relname_relid(relname, state.nsp);
		if (!lock || !OidIsValid(relid))
			return relid;
		LockRelationOid(relid, AccessShareLock);
		if (get_relname_relid(relname, state.nsp) == relid)
			return relid;
		UnlockRelationOid(relid, AccessShareLock);
	}
}

// Finds the tables by name; with `lock`, takes AccessShareLock on those of
// `used` (RangeVarGetRelid's loop: the oid locked is the name's, even if a
// rename commits meanwhile).
void locate(int used) {
	state.nsp = get_namespace_oid("core_api", true);
	state.name_hash[0] = 0;
	for (int i = 0; i < ntables; i++) {
		const Spec &s = specs[i];
		Table &t = state.host.tables[i];
		t = {InvalidOid, s.name, InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber};
		if (!OidIsValid(state.nsp))
			continue;
		bool lock = (used & uses(static_cast<TableId>(i))) && !held_now(state.locked[i]);
		const char *names[2] = {s.relname, s.alt};
		for (const char *relname : names) {
			if (!relname || OidIsValid(t.relid))
				continue;
			t.relid = relid_locked(relname, lock);
			if (OidIsValid(t.relid)) {
				t.name = relname == s.relname ? s.name : s.alt_name;
				if (lock)
					state.locked[i] = now_holder();
			}
		}
	}
	if (OidIsValid(state.nsp)) {
		state.name_hash[0] = name_hash("peoples", state.nsp);
		for (int i = 0; i < ntables; i++)
			state.name_hash[i + 1] = name_hash(specs[i].relname, state.nsp);
	}
	state.absent = !OidIsValid(state.host.tables[people].relid);
	state.located = true;
}

AttrNumber find_column(TupleDesc desc, const char *name, Oid *type) {
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0) {
			*type = getBaseType(att->atttypid);
			return att->attnum;
		}
	}
	return InvalidAttrNumber;
}

// Checks one column: present (when required) and of one of `types`
// (InvalidOid-terminated). Returns its attnum, or InvalidAttrNumber.
AttrNumber check_column(TupleDesc desc, const char *name, bool required, const Oid *types, const char *required_type,
                        Breach *breach) {
	Oid type = InvalidOid;
	AttrNumber attnum = find_column(desc, name, &type);
	if (attnum == InvalidAttrNumber) {
		if (required && breach->kind == Breach::none)
			*breach = {Breach::column_missing, name, nullptr, nullptr};
		return InvalidAttrNumber;
	}
	for (const Oid *t = types; OidIsValid(*t); t++)
		if (type == *t)
			return attnum;
	if (breach->kind == Breach::none)
		*breach = {Breach::column_type, name, format_type_be(type), required_type};
	return InvalidAttrNumber;
}

// Whether `index` is a valid unique btree-or-any index on exactly `attnum`,
// without expressions or predicate: one row per value, so a lookup by it
// names one row.
bool unique_on(Relation index, AttrNumber attnum) {
	Form_pg_index form = index->rd_index;
	return form->indisunique && form->indisvalid && form->indnkeyatts == 1 && form->indkey.values[0] == attnum &&
	       heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, nullptr) &&
	       heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, nullptr);
}

Breach inspect(Relation rel, const Spec &s, Table &t) {
	static const Oid int4_only[] = {INT4OID, InvalidOid};
	static const Oid uuid_only[] = {UUIDOID, InvalidOid};
	static const Oid timestamps[] = {TIMESTAMPTZOID, TIMESTAMPOID, InvalidOid};
	Breach breach = {Breach::none, nullptr, nullptr, nullptr};
	TupleDesc desc = RelationGetDescr(rel);
	t.pk = check_column(desc, "pk", true, int4_only, "integer", &breach);
	t.id = check_column(desc, s.id, true, uuid_only, "uuid", &breach);
	if (s.workspace)
		t.workspace_pk = check_column(desc, "workspace_pk", s.workspace_required, int4_only, "integer", &breach);
	if (s.deleted)
		t.deleted_at = check_column(desc, "deleted_at", s.deleted_required, timestamps,
		                            "timestamp with time zone or timestamp without time zone", &breach);
	if (breach.kind != Breach::none)
		return breach;
	// The key: fetch_by_pk probes the primary key index with an int4 key.
	Oid pkey = RelationGetPrimaryKeyIndex(rel);
	bool pk_ok = false;
	if (OidIsValid(pkey)) {
		Relation index = index_open(pkey, AccessShareLock);
		pk_ok = index->rd_index->indnkeyatts == 1 && index->rd_index->indkey.values[0] == t.pk;
		index_close(index, AccessShareLock);
	}
	if (!pk_ok)
		return {Breach::primary_key, "pk", nullptr, nullptr};
	// The id: a uuid names one row only if an index says so.
	List *indexes = RelationGetIndexList(rel);
	bool id_ok = false;
	ListCell *cell;
	foreach (cell, indexes) {
		Relation index = index_open(lfirst_oid(cell), AccessShareLock);
		id_ok = id_ok || unique_on(index, t.id);
		index_close(index, AccessShareLock);
	}
	list_free(indexes);
	if (!id_ok)
		return {Breach::unique_index, s.id, nullptr, nullptr};
	return breach;
}

[[noreturn]] void throw_breach(const Table &t, const Breach &b) {
	switch (b.kind) {
	case Breach::column_missing:
		throw errors::host_column_missing(t.name, b.column);
	case Breach::column_type:
		throw errors::host_column_type(t.name, b.column, b.found, b.required);
	case Breach::primary_key:
		throw errors::host_primary_key_missing(t.name, b.column);
	case Breach::unique_index:
	default:
		throw errors::host_unique_missing(t.name, b.column);
	}
}

// Verifies every located table (the locks taken by locate, or none at
// install: the DBA's own session). Without a people table there is nothing
// to verify (restore mode; current() reports it missing); any other missing
// table is a breach.
void verify_located() {
	if (state.absent)
		return;  // restore mode for the triggers; current() reports the people table missing
	for (int i = 0; i < ntables; i++) {
		Table &t = state.host.tables[i];
		if (!OidIsValid(t.relid))
			throw errors::host_table_missing(specs[i].name);
		Relation rel = relation_open(t.relid, AccessShareLock);
		Breach breach = inspect(rel, specs[i], t);
		relation_close(rel, AccessShareLock);
		if (breach.kind != Breach::none)
			throw_breach(t, breach);
	}
}

}  // namespace

void register_callbacks() {
	CacheRegisterRelcacheCallback(relcache_callback, (Datum)0);
	CacheRegisterSyscacheCallback(RELNAMENSP, relname_callback, (Datum)0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, namespace_callback, (Datum)0);
}

uint64 generation() {
	return generation_counter;
}

void verify() {
	invalidate();  // a fresh look, whatever this backend verified before
	locate(0);
	if (state.absent)
		throw errors::host_table_missing("core_api.people");
	verify_located();
	state.located = false;  // not locked: current() locates again
}

const Host *current_or_absent(int used) {
	for (;;) {
		// Lock what this transaction has not locked yet: LockRelationOid takes
		// in pending invalidations, which may drop the state.
		if (state.verified)
			for (int i = 0; i < ntables; i++)
				if ((used & uses(static_cast<TableId>(i))) && !held_now(state.locked[i]) &&
				    OidIsValid(state.host.tables[i].relid)) {
					LockRelationOid(state.host.tables[i].relid, AccessShareLock);
					state.locked[i] = now_holder();
				}
		if (state.verified)
			return state.absent ? nullptr : &state.host;
		uint64 before = generation_counter;
		for (Holder &h : state.locked)
			h = {InvalidLocalTransactionId, InvalidSubTransactionId};  // the relids may be others now: lock by name again
		locate(used);
		verify_located();
		// An invalidation taken in while locking a later table may concern
		// one inspected already: look again (the locks are held now).
		if (generation_counter == before && state.located)
			state.verified = true;
	}
}

const Host &current(int used) {
	const Host *host = current_or_absent(used);
	if (!host)
		throw errors::host_table_missing("core_api.people");
	return *host;
}

Oid people_relid() {
	if (!state.located)
		locate(0);
	return state.host.tables[people].relid;
}

const char *people_name() {
	if (!state.located)
		locate(0);
	return state.host.tables[people].name;
}

void require_int4(Oid type, const char *table, const char *column) {
	// INT4OID first: no type cache lookup for the common case (a per-row probe).
	if (type != INT4OID && getBaseType(type) != INT4OID)
		throw errors::host_column_type(table, column, format_type_be(type), "integer");
}

}  // namespace pp::contract
