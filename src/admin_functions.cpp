// Administration functions of person_pivots_internal (extension 1.1): the
// privileges an application role needs, the row-level security option, and
// the workspace scope its policies read.
//
// None is SECURITY DEFINER: GRANT, CREATE POLICY and ALTER TABLE need the
// tables' owner, and the caller (superuser or owner, the only roles that
// get EXECUTE) already is that. Every statement is schema-qualified down to
// its operators; the SQL declarations pin search_path as well.
//
// This file calls Postgres directly and so holds only trivially
// destructible locals (see boundary.hpp).
#include "api_common.hpp"
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "spi.hpp"

namespace {

constexpr const char *policy_name = "person_pivots_workspace_scope";
constexpr const char *pivot_tables[] = {"person_media", "person_locations"};

using pp::spi::first_column;
using pp::spi::first_value;
using pp::spi::formatf;
using pp::spi::runf;

// The pivot tables must exist (they do not in restore mode until the dump
// has brought them).
void require_pivot_tables() {
	for (const char *table : pivot_tables)
		if (!OidIsValid(pp::host::core_api_relid(table)))
			throw pp::errors::pivot_table_missing(psprintf("core_api.%s", table));
}

// The role argument, quoted for SQL. PUBLIC (0) is refused: PUBLIC gets
// nothing on the pivot tables.
const char *role_argument(FunctionCallInfo fcinfo) {
	Oid role = DatumGetObjectId(pp::api::required_arg(fcinfo, 0, "role"));
	if (!OidIsValid(role))
		throw pp::errors::invalid_argument("role", "-", "Name an existing role; PUBLIC gets nothing on the pivot tables.");
	return quote_identifier(GetUserNameFromId(role, false));
}

// "pk, media_id, workspace_pk, deleted_at": those of `columns` the host
// table has (workspace_pk and deleted_at are optional on media/locations).
const char *existing_columns(Oid relid, std::initializer_list<const char *> columns) {
	StringInfoData buf;
	initStringInfo(&buf);
	for (const char *column : columns) {
		if (get_attnum(relid, column) == InvalidAttrNumber)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", quote_identifier(column));
	}
	return buf.data;
}

// The serial sequence of a pivot table's pk, or NULL (e.g. an adopted table
// whose pk has no owned sequence).
const char *pk_sequence(const char *table) {
	return first_value(formatf("SELECT pg_catalog.pg_get_serial_sequence('core_api.%s', 'pk')", table));
}

// GRANT or REVOKE EXECUTE on every API function except purge_person.
void api_function_privileges(bool grant, const char *role) {
	List *functions =
		first_column("SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text FROM pg_catalog.pg_proc p"
		             " WHERE p.pronamespace OPERATOR(pg_catalog.=) 'person_pivots'::pg_catalog.regnamespace"
		             " AND p.proname OPERATOR(pg_catalog.<>) 'purge_person' ORDER BY 1");
	ListCell *cell;
	foreach (cell, functions) {
		if (grant)
			runf("GRANT EXECUTE ON FUNCTION %s TO %s", static_cast<const char *>(lfirst(cell)), role);
		else
			runf("REVOKE EXECUTE ON FUNCTION %s FROM %s", static_cast<const char *>(lfirst(cell)), role);
	}
}

// Drops our policy from a pivot table if it is there (without the NOTICE
// of DROP POLICY IF EXISTS).
void drop_policy(const char *table) {
	runf("SELECT FROM pg_catalog.pg_policy WHERE polrelid OPERATOR(pg_catalog.=) 'core_api.%s'::pg_catalog.regclass"
	     " AND polname OPERATOR(pg_catalog.=) '%s'",
	     table, policy_name);
	if (SPI_processed > 0)
		runf("DROP POLICY %s ON core_api.%s", policy_name, table);
}

}  // namespace

// What an application role needs, and nothing more: no TRUNCATE (refused
// anyway), no REFERENCES or TRIGGER, no purge_person, nothing in
// person_pivots_internal. Host tables: SELECT on the columns the functions
// read, nothing else.
PP_FUNCTION(grant_application_role) {
	const char *role = role_argument(fcinfo);
	require_pivot_tables();
	SPI_connect();
	runf("GRANT USAGE ON SCHEMA core_api TO %s", role);
	runf("GRANT SELECT, INSERT, UPDATE, DELETE ON core_api.person_media, core_api.person_locations TO %s", role);
	for (const char *table : pivot_tables)
		if (const char *sequence = pk_sequence(table))
			runf("GRANT USAGE ON SEQUENCE %s TO %s", sequence, role);
	Oid people = pp::host::people_relid();
	runf("GRANT SELECT (%s) ON %s TO %s", existing_columns(people, {"pk", "person_id", "workspace_pk", "deleted_at"}),
	     pp::host::people_name(), role);
	runf("GRANT SELECT (%s) ON core_api.media TO %s",
	     existing_columns(pp::host::core_api_relid("media"), {"pk", "media_id", "workspace_pk", "deleted_at"}), role);
	runf("GRANT SELECT (%s) ON core_api.locations TO %s",
	     existing_columns(pp::host::core_api_relid("locations"), {"pk", "location_id", "workspace_pk", "deleted_at"}),
	     role);
	runf("GRANT SELECT (pk, workspace_id) ON core_api.workspaces TO %s", role);
	runf("GRANT USAGE ON SCHEMA person_pivots TO %s", role);
	api_function_privileges(true, role);
	SPI_finish();
	PG_RETURN_VOID();
}

// The reverse of grant_application_role for what belongs to person_pivots.
// PUBLIC has no EXECUTE on the API functions (1.2), so the role cannot
// call them afterwards. The host schema and tables belong to the
// application: their privileges stay as they are.
PP_FUNCTION(revoke_application_role) {
	const char *role = role_argument(fcinfo);
	require_pivot_tables();
	SPI_connect();
	runf("REVOKE ALL ON core_api.person_media, core_api.person_locations FROM %s", role);
	for (const char *table : pivot_tables)
		if (const char *sequence = pk_sequence(table))
			runf("REVOKE ALL ON SEQUENCE %s FROM %s", sequence, role);
	api_function_privileges(false, role);
	SPI_finish();
	PG_RETURN_VOID();
}

// One policy per pivot table: a row is visible and writable when its
// person belongs to the workspace in scope. No scope, no rows (the scope
// is NULL and so is the comparison). The scope is computed once per query
// (an InitPlan), then each row costs one probe of the people primary key.
// Owners (maintenance roles) bypass it: the tables do not FORCE it.
PP_FUNCTION(enable_row_security) {
	require_pivot_tables();
	const char *people = pp::host::people_name();
	SPI_connect();
	for (const char *table : pivot_tables) {
		drop_policy(table);
		runf("CREATE POLICY %s ON core_api.%s AS PERMISSIVE FOR ALL TO PUBLIC"
		     " USING (EXISTS (SELECT FROM %s scope_person"
		     " WHERE scope_person.pk OPERATOR(pg_catalog.=) %s.person_pk"
		     " AND scope_person.workspace_pk OPERATOR(pg_catalog.=)"
		     " (SELECT person_pivots_internal.scope_workspace_pk())))",
		     policy_name, table, people, table);
		runf("COMMENT ON POLICY %s ON core_api.%s IS 'person_pivots row-level security option: rows of people of"
		     " the workspace in scope (hasura.user''s x-hasura-workspace-id) only; see"
		     " person_pivots_internal.enable_row_security()'",
		     policy_name, table);
		runf("ALTER TABLE core_api.%s ENABLE ROW LEVEL SECURITY", table);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

PP_FUNCTION(disable_row_security) {
	require_pivot_tables();
	SPI_connect();
	for (const char *table : pivot_tables) {
		runf("ALTER TABLE core_api.%s DISABLE ROW LEVEL SECURITY", table);
		drop_policy(table);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

// The workspace pk the policies compare with: hasura.user's
// x-hasura-workspace-id (inside an API function, its session argument),
// or NULL when the session is unscoped.
PP_FUNCTION(scope_workspace_pk) {
	SPI_connect();
	// STABLE: the workspace lookup reads the caller's snapshot.
	pp::tenant::Scope scope = pp::tenant::setting_scope(true);
	SPI_finish();
	if (!scope.scoped)
		PG_RETURN_NULL();
	PG_RETURN_INT32(scope.workspace_pk);
}
