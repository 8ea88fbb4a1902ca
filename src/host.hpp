// The host schema the pivots link: core_api.people (or peoples), media,
// locations, workspaces. Finds the tables and reads single rows by pk.
#pragma once

#include "pg.hpp"

namespace pp::host {

// The people table: core_api.people, else core_api.peoples (older
// databases). InvalidOid when neither exists. Both follow renames through
// the host contract's invalidation callbacks (host_contract.hpp).
Oid people_relid();
// "core_api.people" or "core_api.peoples", quoted for SQL.
const char *people_name();
// `text` with every {people} replaced by people_name() (palloc'd), or
// `text` itself when it names no {people}. Statement texts of spi.hpp and
// the API declarations of install_api use the marker.
const char *with_people_table(const char *text);
// core_api.<name>, or InvalidOid.
Oid core_api_relid(const char *name);

// One row of an entity table as the rules need it.
struct Entity {
	bool found;
	bool has_workspace;  // the table has workspace_pk and the row's is not null
	int32 workspace_pk;
	ItemPointerData tid;  // of the version read: lock_person can lock it without another probe
};

// Reads the row with primary key `pk` through the table's primary key index.
// SnapshotSelf: sees committed rows and this transaction's own, including
// rows inserted earlier by the current command (a writable CTE that
// creates the person and links it in one statement); a miss is checked
// again with a fresh MVCC snapshot (see host.cpp). A key or workspace
// column that is not an integer (a migration retyped it) is error 42804,
// never a truncated read.
Entity fetch_by_pk(Oid relid, AttrNumber workspace_attnum, int32 pk);

// Raises the host contract's 42804 unless `rel`'s key column and its
// workspace column (when given) are integer: a migration may have retyped
// them since the contract was last checked. On error the transaction's
// abort releases the caller's relations.
void require_int4_columns(Relation rel, AttrNumber key_attnum, AttrNumber workspace_attnum);

// Owner of a relation.
Oid relation_owner(Oid relid);

// Maintenance roles (superuser, or members of the table owner) write system
// columns verbatim and may remove rows physically; everyone else is an
// application role.
bool is_maintenance_role(Relation rel);

}  // namespace pp::host
