// Rules 1-4 and 6 (docs/design.md, Rules), shared by both pivot tables'
// triggers: system columns belong to the database, soft delete is one-way
// and final, application roles never remove rows, endpoints never change,
// and a link stays inside one workspace.
#pragma once

#include "pg.hpp"

namespace pp::rules {

// What distinguishes one pivot table from the other.
struct PivotTable {
	const char *name;           // core_api.person_media
	const char *target_kind;    // media
	const char *target_table;   // media (in core_api)
	const char *target_column;  // media_pk
	bool has_updated_at;
};

extern const PivotTable person_media;
extern const PivotTable person_locations;

// Attribute numbers of the columns the rules read.
struct Columns {
	AttrNumber pk, person_pk, target_pk, created_at, updated_at, deleted_at, is_primary;
};

// What happens to an active primary location, for the table's primary hook.
enum class PrimaryEvent {
	inserted,  // an INSERT makes the row an active primary
	promoted,  // an UPDATE makes the row an active primary
	touched,   // an UPDATE changes a row that is an active primary (demotes, soft-deletes, edits it)
};
// person_tid: a version of the person's row this statement read (or null).
using PrimaryHook = void (*)(Relation rel, const Columns &cols, HeapTuple row, PrimaryEvent event,
                             const ItemPointerData *person_tid);

// The BEFORE ROW trigger body for INSERT, UPDATE and DELETE.
Datum guard_row(FunctionCallInfo fcinfo, const PivotTable &table, PrimaryHook on_primary_change);

// The BEFORE TRUNCATE statement trigger body.
Datum guard_truncate(FunctionCallInfo fcinfo, const PivotTable &table);

}  // namespace pp::rules
