// Rule 5: at most one active primary location per person. Making a row an
// active primary demotes the person's previous one in the same statement
// (or, in strict mode, fails). The whole argument is in docs/concurrency.md;
// in short:
//
// 1. Every promoter of a person holds the person lock (person_lock.hpp), so
//    promoters of one person run one after another, and each one's
//    promotion is committed before the next one gets the lock.
// 2. Holding it, the trigger finds and demotes the current primary with an
//    ordinary UPDATE through SPI, under a snapshot taken after the lock:
//    under READ COMMITTED a fresh one, which sees every earlier promoter's
//    commit. PostgreSQL's row locks and EvalPlanQual recheck handle a
//    writer that does not take the person lock (a label edit, a demotion or
//    a soft delete of the current primary): the UPDATE waits for it and
//    rechecks the row's newest version, as it would in a PL/pgSQL trigger.
// 3. Under REPEATABLE READ and SERIALIZABLE the statements see the latest
//    committed state and are crosschecked against the transaction's
//    snapshot, as PostgreSQL's foreign-key triggers do: demoting a primary
//    that the transaction cannot see is a serialization failure (40001).
//
// Fast paths: before each statement the same snapshot probes the index the
// statement would use. When the probe sees no row, the statement, run with
// that snapshot, would find no row either and do nothing, so skipping it is
// the same as running it at that moment. A bulk load of new people
// therefore runs no SPI statement at all. (The pair look before the person
// lock is only a shortcut and claims no such equivalence: see
// on_primary_change.)
#include "primary_location_rule.hpp"
#include "errors.hpp"
#include "person_lock.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace pp::primary {

namespace {

// The snapshots the rule reads and writes with, taken after a command
// counter increment so that rows written earlier by this statement (an
// earlier row of a bulk INSERT, say) are visible, as they are to a
// PL/pgSQL trigger's statements. Released by release_snapshot, or by the
// transaction's abort after an error (this file calls Postgres directly and
// holds only trivially destructible locals, see boundary.hpp).
spi::Snapshots take_snapshot() {
	spi::Snapshots snap;
	CommandCounterIncrement();
	if (IsolationUsesXactSnapshot()) {
		snap.snapshot = RegisterSnapshot(GetLatestSnapshot());
		snap.crosscheck = GetTransactionSnapshot();
	} else {
		snap.snapshot = RegisterSnapshot(GetTransactionSnapshot());
	}
	return snap;
}

void release_snapshot(spi::Snapshots snap) {
	UnregisterSnapshot(snap.snapshot);
}

enum class Index { primary, pair };

// Whether `snapshot` sees an active row of the person (Index::primary: an
// active primary, through uniq_person_locations_primary_person) or of the
// pair (Index::pair: through uniq_person_locations_active_pair), other than
// row `self_pk`. An ordinary MVCC index scan: the visible version of each
// row, nothing else.
bool sees_active_row(Relation rel, const rules::Columns &cols, Snapshot snapshot, Index which, int32 person_pk,
                     int32 location_pk, int32 self_pk) {
	const char *index_name =
		which == Index::primary ? "uniq_person_locations_primary_person" : "uniq_person_locations_active_pair";
	Oid index_oid = get_relname_relid(index_name, RelationGetNamespace(rel));
	if (!OidIsValid(index_oid))
		elog(ERROR, "index \"%s\" of core_api.person_locations is missing", index_name);
	Relation index = index_open(index_oid, AccessShareLock);
	ScanKeyData keys[2];
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(person_pk));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(location_pk));
	int nkeys = which == Index::primary ? 1 : 2;
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool found = false;
	while (!found && index_getnext_slot(scan, ForwardScanDirection, slot)) {
		// The index predicate holds for every version an entry leads to
		// (its columns block HOT updates); `self_pk` is the row in hand.
		bool isnull;
		found = DatumGetInt32(slot_getattr(slot, cols.pk, &isnull)) != self_pk;
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, NoLock);
	return found;
}

// Locks the pair's active row other than `self_pk`, if `snap` sees one, and
// says whether there is one: an INSERT of that pair will then not add a row
// (it fails on the pair index, or ON CONFLICT decides), and no other
// transaction can soft-delete the row before it gets there. When that row
// is the person's current primary, also takes the person lock if it is free
// (docs/concurrency.md).
bool lock_active_pair(Relation rel, const rules::Columns &cols, spi::Snapshots snap, int32 person_pk,
                      int32 location_pk, int32 self_pk) {
	if (!sees_active_row(rel, cols, snap.snapshot, Index::pair, person_pk, location_pk, self_pk))
		return false;
	static spi::Statement lock_pair = {
		"SELECT is_primary FROM core_api.person_locations"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND location_pk OPERATOR(pg_catalog.=) $2"
		" AND deleted_at IS NULL AND pk OPERATOR(pg_catalog.<>) $3 FOR NO KEY UPDATE",
		3, {INT4OID, INT4OID, INT4OID}, nullptr, InvalidOid};
	Datum args[3] = {Int32GetDatum(person_pk), Int32GetDatum(location_pk), Int32GetDatum(self_pk)};
	SPI_connect();
	bool found = spi::execute_indexed(lock_pair, args, nullptr, snap) > 0;
	bool isnull;
	bool primary = found && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (primary)
		try_lock_person(person_pk);
	return found;
}

// Demotes the person's active primary other than row `self_pk`, if `snap`
// sees one; returns how many rows it demoted (0 or 1). The caller holds the
// person lock.
uint64 demote_current(Relation rel, const rules::Columns &cols, spi::Snapshots snap, int32 person_pk,
                      int32 self_pk) {
	if (!sees_active_row(rel, cols, snap.snapshot, Index::primary, person_pk, 0, self_pk))
		return 0;
	static spi::Statement demote = {
		"UPDATE core_api.person_locations SET is_primary = false"
		" WHERE person_pk OPERATOR(pg_catalog.=) $1 AND is_primary AND deleted_at IS NULL"
		" AND pk OPERATOR(pg_catalog.<>) $2",
		2, {INT4OID, INT4OID}, nullptr, InvalidOid};
	Datum args[2] = {Int32GetDatum(person_pk), Int32GetDatum(self_pk)};
	SPI_connect();
	uint64 demoted = spi::execute_indexed(demote, args, nullptr, snap);
	SPI_finish();
	return demoted;
}

}  // namespace

void on_primary_change(Relation rel, const rules::Columns &cols, HeapTuple row, rules::PrimaryEvent event,
                       const ItemPointerData *person_tid) {
	TupleDesc desc = RelationGetDescr(rel);
	bool isnull;
	int32 person_pk = DatumGetInt32(heap_getattr(row, cols.person_pk, desc, &isnull));
	int32 self_pk = DatumGetInt32(heap_getattr(row, cols.pk, desc, &isnull));
	int32 location_pk = DatumGetInt32(heap_getattr(row, cols.target_pk, desc, &isnull));
	if (event == rules::PrimaryEvent::touched) {
		// Only changes the current primary: cannot make a second one, so it
		// never waits for the person lock while it holds this row; it takes
		// the lock when free, so a later promotion in its transaction does
		// not queue behind another promoter.
		try_lock_person(person_pk);
		return;
	}
	// An INSERT of a pair that already has an active row adds no row (ON
	// CONFLICT's UPDATE decides), so it takes no person lock. The statement's
	// own snapshot serves here, without a command counter increment: a pair
	// row it does not see (written earlier by this statement, or committed
	// since it started) is found by the look after the lock, which is the
	// one that decides; this one only spares the lock.
	if (event == rules::PrimaryEvent::inserted &&
	    lock_active_pair(rel, cols, {GetActiveSnapshot(), InvalidSnapshot}, person_pk, location_pk, self_pk))
		return;
	lock_person(person_pk, person_tid);
	// One snapshot after the lock for the rest: what the previous promoters
	// committed is in it.
	spi::Snapshots snap = take_snapshot();
	// An INSERT looks at its pair again, for a promoter of the same pair
	// that committed while this one waited for the lock.
	bool existing = event == rules::PrimaryEvent::inserted &&
	                lock_active_pair(rel, cols, snap, person_pk, location_pk, self_pk);
	uint64 demoted = existing ? 0 : demote_current(rel, cols, snap, person_pk, self_pk);
	release_snapshot(snap);
	// Strict mode: the error rolls the demotion back with the statement.
	if (demoted > 0 && settings::primary_conflict() == settings::PrimaryConflict::error)
		throw errors::primary_exists(person_pk);
}

}  // namespace pp::primary
