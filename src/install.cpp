// CREATE EXTENSION's table work: find the host schema, then create or adopt
// core_api.person_media and core_api.person_locations.
//
// The pivot tables are ordinary application tables, not extension members
// (DESIGN §2): pg_dump then writes their DDL, rows and triggers like any
// other table, and DROP EXTENSION can never take rows with it.
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"

namespace {

void run(const char *sql) {
	int rc = SPI_execute(sql, false, 0);
	if (rc < 0)
		elog(ERROR, "person_pivots install statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

void runf(const char *fmt, ...) pg_attribute_printf(1, 2);
void runf(const char *fmt, ...) {
	StringInfoData buf;
	initStringInfo(&buf);
	for (;;) {
		va_list args;
		va_start(args, fmt);
		int needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	run(buf.data);
}

// Text of the first row's first column of a query, or NULL.
char *first_value(const char *sql) {
	run(sql);
	if (SPI_processed == 0)
		return nullptr;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

void require_columns(const char *table, Oid relid, std::initializer_list<const char *> columns) {
	if (!OidIsValid(relid))
		throw pp::errors::host_table_missing(table);
	for (const char *column : columns)
		if (get_attnum(relid, column) == InvalidAttrNumber)
			throw pp::errors::host_column_missing(table, column);
}

struct ColumnSpec {
	const char *name;
	Oid type;
	bool not_null;
	const char *sql_type;  // for the error message
};

// An existing pivot table must have exactly the documented column types.
void check_shape(const char *table, Oid relid, std::initializer_list<ColumnSpec> columns) {
	for (const ColumnSpec &col : columns) {
		AttrNumber attnum = get_attnum(relid, col.name);
		if (attnum == InvalidAttrNumber)
			continue;  // added below when it can be
		Oid type;
		int32 typmod;
		Oid collation;
		get_atttypetypmodcoll(relid, attnum, &type, &typmod, &collation);
		if (type != col.type)
			throw pp::errors::pivot_shape(table, col.name, col.sql_type);
	}
}

bool row_security_off() {
	const char *value = GetConfigOption("row_security", false, false);
	return value && strcmp(value, "off") == 0;
}

// Existing rows must satisfy the rules before the rules' indexes go on.
void check_rows(const char *table, const char *rule, const char *offenders_sql) {
	char *offenders = first_value(offenders_sql);
	if (offenders)
		throw pp::errors::pivot_rows_break_rule(table, rule, offenders,
		                                        "the repair statements in the README section \"Adopting existing tables\"");
}

void install_person_media(const char *people) {
	Oid relid = pp::host::core_api_relid("person_media");
	if (!OidIsValid(relid)) {
		runf("CREATE TABLE core_api.person_media ("
		     " pk serial PRIMARY KEY,"
		     " person_pk integer NOT NULL CONSTRAINT person_media_person_pk_foreign REFERENCES %s (pk),"
		     " media_pk integer NOT NULL CONSTRAINT person_media_media_pk_foreign REFERENCES core_api.media (pk),"
		     " created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
		     " updated_at timestamptz NULL,"
		     " deleted_at timestamptz NULL)",
		     people);
		run("ALTER EXTENSION person_pivots DROP TABLE core_api.person_media");
		run("ALTER EXTENSION person_pivots DROP SEQUENCE core_api.person_media_pk_seq");
	} else {
		check_shape("core_api.person_media", relid,
		            {{"pk", INT4OID, true, "integer"}, {"person_pk", INT4OID, true, "integer"},
		             {"media_pk", INT4OID, true, "integer"}, {"created_at", TIMESTAMPTZOID, true, "timestamptz"},
		             {"updated_at", TIMESTAMPTZOID, false, "timestamptz"},
		             {"deleted_at", TIMESTAMPTZOID, false, "timestamptz"}});
		run("ALTER TABLE core_api.person_media ADD COLUMN IF NOT EXISTS updated_at timestamptz NULL");
		check_rows("core_api.person_media", "one active row per (person_pk, media_pk)",
		           "SELECT string_agg(format('person_pk %s media_pk %s', person_pk, media_pk), ', ') FROM ("
		           " SELECT person_pk, media_pk FROM core_api.person_media WHERE deleted_at IS NULL"
		           " GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 5) d HAVING count(*) > 0");
	}
	run("CREATE INDEX IF NOT EXISTS idx_person_media_person ON core_api.person_media (person_pk)");
	run("CREATE INDEX IF NOT EXISTS idx_person_media_media ON core_api.person_media (media_pk)");
	run("CREATE UNIQUE INDEX IF NOT EXISTS uniq_person_media_active_pair"
	    " ON core_api.person_media (person_pk, media_pk) WHERE deleted_at IS NULL");
	run("CREATE OR REPLACE TRIGGER person_pivots_guard"
	    " BEFORE INSERT OR UPDATE OR DELETE ON core_api.person_media"
	    " FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.person_media_guard()");
	run("CREATE OR REPLACE TRIGGER person_pivots_truncate_guard"
	    " BEFORE TRUNCATE ON core_api.person_media"
	    " FOR EACH STATEMENT EXECUTE FUNCTION person_pivots_internal.person_media_truncate_guard()");
	run("REVOKE ALL ON TABLE core_api.person_media FROM PUBLIC");
	run("COMMENT ON TABLE core_api.person_media IS"
	    " 'Links a person to a media asset. Rules enforced by the person_pivots extension: system columns are"
	    " stamped by the database, DELETE soft-deletes, soft delete is one-way, endpoints never change.'");
}

void install_person_locations(const char *people) {
	Oid relid = pp::host::core_api_relid("person_locations");
	if (!OidIsValid(relid)) {
		runf("CREATE TABLE core_api.person_locations ("
		     " pk serial PRIMARY KEY,"
		     " person_pk integer NOT NULL CONSTRAINT person_locations_person_pk_foreign REFERENCES %s (pk),"
		     " location_pk integer NOT NULL CONSTRAINT person_locations_location_pk_foreign"
		     "   REFERENCES core_api.locations (pk),"
		     " is_primary boolean NOT NULL DEFAULT false,"
		     " is_legal boolean NOT NULL DEFAULT false,"
		     " label varchar(255) NOT NULL,"
		     " created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
		     " deleted_at timestamptz NULL)",
		     people);
		run("ALTER EXTENSION person_pivots DROP TABLE core_api.person_locations");
		run("ALTER EXTENSION person_pivots DROP SEQUENCE core_api.person_locations_pk_seq");
	} else {
		check_shape("core_api.person_locations", relid,
		            {{"pk", INT4OID, true, "integer"}, {"person_pk", INT4OID, true, "integer"},
		             {"location_pk", INT4OID, true, "integer"}, {"is_primary", BOOLOID, true, "boolean"},
		             {"is_legal", BOOLOID, true, "boolean"}, {"label", VARCHAROID, true, "varchar(255)"},
		             {"created_at", TIMESTAMPTZOID, true, "timestamptz"},
		             {"deleted_at", TIMESTAMPTZOID, false, "timestamptz"}});
		check_rows("core_api.person_locations", "one active row per (person_pk, location_pk)",
		           "SELECT string_agg(format('person_pk %s location_pk %s', person_pk, location_pk), ', ') FROM ("
		           " SELECT person_pk, location_pk FROM core_api.person_locations WHERE deleted_at IS NULL"
		           " GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 5) d HAVING count(*) > 0");
		check_rows("core_api.person_locations", "at most one active primary per person",
		           "SELECT string_agg(format('person_pk %s', person_pk), ', ') FROM ("
		           " SELECT person_pk FROM core_api.person_locations WHERE deleted_at IS NULL AND is_primary"
		           " GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5) d HAVING count(*) > 0");
	}
	run("CREATE UNIQUE INDEX IF NOT EXISTS uniq_person_locations_primary_person"
	    " ON core_api.person_locations (person_pk) WHERE is_primary AND deleted_at IS NULL");
	run("CREATE INDEX IF NOT EXISTS idx_person_locations_person"
	    " ON core_api.person_locations (person_pk) WHERE deleted_at IS NULL");
	run("CREATE INDEX IF NOT EXISTS idx_person_locations_location ON core_api.person_locations (location_pk)");
	run("CREATE UNIQUE INDEX IF NOT EXISTS uniq_person_locations_active_pair"
	    " ON core_api.person_locations (person_pk, location_pk) WHERE deleted_at IS NULL");
	run("CREATE OR REPLACE TRIGGER person_pivots_guard"
	    " BEFORE INSERT OR UPDATE OR DELETE ON core_api.person_locations"
	    " FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.person_locations_guard()");
	run("CREATE OR REPLACE TRIGGER person_pivots_truncate_guard"
	    " BEFORE TRUNCATE ON core_api.person_locations"
	    " FOR EACH STATEMENT EXECUTE FUNCTION person_pivots_internal.person_locations_truncate_guard()");
	run("REVOKE ALL ON TABLE core_api.person_locations FROM PUBLIC");
	run("COMMENT ON TABLE core_api.person_locations IS"
	    " 'Links a person to a location (address). Rules enforced by the person_pivots extension: the pivot"
	    " rules of person_media plus at most one active primary per person, kept by demotion.'");
}

// The API functions return SETOF the pivot tables, so they follow them:
// created here, then detached from the extension like the tables.
void install_api(const char *ddl, const char *people) {
	StringInfoData buf;
	initStringInfo(&buf);
	for (const char *p = ddl; *p;) {
		const char *marker = strstr(p, "{people}");
		if (!marker) {
			appendStringInfoString(&buf, p);
			break;
		}
		appendBinaryStringInfo(&buf, p, marker - p);
		appendStringInfoString(&buf, people);
		p = marker + strlen("{people}");
	}
	run(buf.data);
	run("SELECT pg_catalog.format('ALTER EXTENSION person_pivots DROP FUNCTION %s', p.oid::pg_catalog.regprocedure)"
	    " FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=)"
	    " 'person_pivots'::pg_catalog.regnamespace ORDER BY 1");
	List *statements = NIL;
	for (uint64 i = 0; i < SPI_processed; i++)
		statements = lappend(statements, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	ListCell *cell;
	foreach (cell, statements)
		run(static_cast<const char *>(lfirst(cell)));
}

}  // namespace

PP_FUNCTION(install_tables) {
	if (!creating_extension)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("install_tables() runs only inside CREATE EXTENSION person_pivots")));
	Oid people = pp::host::people_relid();
	if (!OidIsValid(people) && row_security_off()) {
		// WARNING, not NOTICE: CREATE EXTENSION hides its script's notices.
		ereport(WARNING, (errmsg("person_pivots: host tables are absent and row_security is off: "
		                        "installing functions only (restore mode)"),
		                 errdetail("The dump being restored brings the pivot tables, their rows and triggers.")));
		PG_RETURN_VOID();
	}
	const char *people_name = pp::host::people_name();
	require_columns("core_api.people", people, {"pk", "person_id", "workspace_pk", "deleted_at"});
	require_columns("core_api.media", pp::host::core_api_relid("media"), {"pk", "media_id"});
	require_columns("core_api.locations", pp::host::core_api_relid("locations"), {"pk", "location_id"});
	require_columns("core_api.workspaces", pp::host::core_api_relid("workspaces"), {"pk", "workspace_id"});

	SPI_connect();
	install_person_media(people_name);
	install_person_locations(people_name);
	install_api(text_to_cstring(PG_GETARG_TEXT_PP(0)), people_name);
	SPI_finish();
	PG_RETURN_VOID();
}
