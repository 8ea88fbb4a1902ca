// CREATE EXTENSION's table work: find the host schema, then create or adopt
// core_api.person_media and core_api.person_locations.
//
// The pivot tables are ordinary application tables, not extension members
// (docs/design.md, Ownership and restore mode): pg_dump then writes their
// DDL, rows and triggers like any other table, and DROP EXTENSION can never
// take rows with it.
//
// Adoption (the application's migration created a table already): check its
// shape (column types, nullability, primary key, foreign keys, the contract's
// indexes), check its rows against every rule, then add what is missing. Any
// failure aborts CREATE EXTENSION, which leaves the table exactly as it was.
#include "boundary.hpp"
#include "errors.hpp"
#include "host.hpp"
#include "host_contract.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace {

// The repairs named in the errors' hints (README, "Adopting existing tables").
constexpr const char *repair_script =
	"psql -f \"$(pg_config --sharedir)/extension/person_pivots_repair.sql\" before CREATE EXTENSION"
	" (it keeps the newest row of each group; README, \"Adopting existing tables\")";
constexpr const char *repair_manual =
	"an UPDATE or DELETE of your own: no rule can choose the right value for them"
	" (README, \"Adopting existing tables\")";

using pp::spi::first_column;
using pp::spi::first_value;
using pp::spi::formatf;
using pp::spi::run;
using pp::spi::runf;

bool attnotnull(Oid relid, AttrNumber attnum) {
	HeapTuple tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for attribute %d of relation %u", attnum, relid);
	bool result = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tuple))->attnotnull;
	ReleaseSysCache(tuple);
	return result;
}

bool row_security_off() {
	const char *value = GetConfigOption("row_security", false, false);
	return value && strcmp(value, "off") == 0;
}

// What the contract says about one pivot table. A new table gets the
// columns in this order, each of its shape with its fill as default (pk:
// serial PRIMARY KEY), and the foreign keys of foreign_keys().
struct ColumnSpec {
	const char *name;
	Oid type;
	int32 typmod;       // -1: any
	bool not_null;
	const char *shape;  // the documented shape, for errors
	const char *add;    // definition added when the column is missing; nullptr: required
	const char *fill;   // default set when the column has none; nullptr: none
	bool repairable;    // NULLs in it are filled by the repair script
};

struct IndexSpec {
	const char *name;
	bool unique;
	const char *columns[3];    // key columns, nullptr-terminated
	const char *predicate[3];  // deparsed WHERE conjuncts, nullptr-terminated
	const char *shape;         // for errors
	const char *create;        // CREATE INDEX statement
};

struct TableSpec {
	const char *relname;        // person_media
	const char *name;           // core_api.person_media
	const char *target_column;  // media_pk
	const char *target_table;   // media
	bool has_primary;           // is_primary: one active primary per person
	const char *comment;        // COMMENT ON TABLE
	std::initializer_list<ColumnSpec> columns;
	std::initializer_list<IndexSpec> indexes;
};

// The columns both tables share.
constexpr ColumnSpec pk_column = {"pk", INT4OID, -1, true, "integer NOT NULL (the primary key)",
                                  nullptr, nullptr, false};
constexpr ColumnSpec person_pk_column = {"person_pk", INT4OID, -1, true, "integer NOT NULL", nullptr, nullptr, false};
constexpr ColumnSpec created_at_column = {"created_at", TIMESTAMPTZOID, -1, true, "timestamptz NOT NULL",
                                          nullptr, "pg_catalog.now()", true};
constexpr ColumnSpec deleted_at_column = {"deleted_at", TIMESTAMPTZOID, -1, false, "timestamptz NULL",
                                          "timestamptz NULL", nullptr, false};

const TableSpec person_media_spec = {
	"person_media", "core_api.person_media", "media_pk", "media", false,
	"Links a person to a media asset. Rules enforced by the person_pivots extension: system columns are"
	" stamped by the database, DELETE soft-deletes, soft delete is one-way, endpoints never change.",
	{
		pk_column,
		person_pk_column,
		{"media_pk", INT4OID, -1, true, "integer NOT NULL", nullptr, nullptr, false},
		created_at_column,
		{"updated_at", TIMESTAMPTZOID, -1, false, "timestamptz NULL", "timestamptz NULL", nullptr, false},
		deleted_at_column,
	},
	{
		{"idx_person_media_person", false, {"person_pk"}, {}, "indexed by idx_person_media_person (person_pk)",
		 "CREATE INDEX idx_person_media_person ON core_api.person_media (person_pk)"},
		{"idx_person_media_media", false, {"media_pk"}, {}, "indexed by idx_person_media_media (media_pk)",
		 "CREATE INDEX idx_person_media_media ON core_api.person_media (media_pk)"},
		{"uniq_person_media_active_pair", true, {"person_pk", "media_pk"}, {"deleted_at IS NULL"},
		 "indexed by uniq_person_media_active_pair UNIQUE (person_pk, media_pk) WHERE deleted_at IS NULL",
		 "CREATE UNIQUE INDEX uniq_person_media_active_pair ON core_api.person_media (person_pk, media_pk)"
		 " WHERE deleted_at IS NULL"},
	},
};

const TableSpec person_locations_spec = {
	"person_locations", "core_api.person_locations", "location_pk", "locations", true,
	"Links a person to a location (address). Rules enforced by the person_pivots extension: the pivot"
	" rules of person_media plus at most one active primary per person, kept by demotion.",
	{
		pk_column,
		person_pk_column,
		{"location_pk", INT4OID, -1, true, "integer NOT NULL", nullptr, nullptr, false},
		{"is_primary", BOOLOID, -1, true, "boolean NOT NULL", "boolean NOT NULL DEFAULT false", "false", true},
		{"is_legal", BOOLOID, -1, true, "boolean NOT NULL", "boolean NOT NULL DEFAULT false", "false", true},
		{"label", VARCHAROID, 255 + VARHDRSZ, true, "varchar(255) NOT NULL", nullptr, nullptr, false},
		created_at_column,
		deleted_at_column,
	},
	{
		// The pair index first: indexes are checked in creation order, so a
		// duplicate link is reported as such, not as a second primary.
		{"uniq_person_locations_active_pair", true, {"person_pk", "location_pk"}, {"deleted_at IS NULL"},
		 "indexed by uniq_person_locations_active_pair UNIQUE (person_pk, location_pk) WHERE deleted_at IS NULL",
		 "CREATE UNIQUE INDEX uniq_person_locations_active_pair ON core_api.person_locations (person_pk, location_pk)"
		 " WHERE deleted_at IS NULL"},
		{"uniq_person_locations_primary_person", true, {"person_pk"}, {"is_primary", "deleted_at IS NULL"},
		 "indexed by uniq_person_locations_primary_person UNIQUE (person_pk) WHERE is_primary AND deleted_at IS NULL",
		 "CREATE UNIQUE INDEX uniq_person_locations_primary_person ON core_api.person_locations (person_pk)"
		 " WHERE is_primary AND deleted_at IS NULL"},
		{"idx_person_locations_person", false, {"person_pk"}, {"deleted_at IS NULL"},
		 "indexed by idx_person_locations_person (person_pk)",
		 "CREATE INDEX idx_person_locations_person ON core_api.person_locations (person_pk) WHERE deleted_at IS NULL"},
		{"idx_person_locations_location", false, {"location_pk"}, {},
		 "indexed by idx_person_locations_location (location_pk)",
		 "CREATE INDEX idx_person_locations_location ON core_api.person_locations (location_pk)"},
	},
};

// Existing rows must satisfy a rule before the rule's constraint goes on.
// offenders_sql returns one text (the first offenders) or no row.
void check_rows(const TableSpec &t, const char *rule, const char *repair, const char *offenders_sql) {
	char *offenders = first_value(offenders_sql);
	if (offenders)
		throw pp::errors::pivot_rows_break_rule(t.name, rule, offenders, repair);
}

// "pk 3, pk 7" for the first five rows of the table matching `where`.
char *offenders_by_pk(const TableSpec &t, const char *where) {
	return formatf("SELECT pg_catalog.string_agg(pg_catalog.format('pk %%s', o.k), ', ') FROM ("
	               " SELECT COALESCE(r.pk::pg_catalog.text, 'NULL (ctid ' OPERATOR(pg_catalog.||) r.ctid::pg_catalog.text"
	               " OPERATOR(pg_catalog.||) ')') AS k FROM %s r WHERE %s ORDER BY r.pk, r.ctid LIMIT 5) o"
	               " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0",
	               t.name, where);
}

// Strips one pair of parentheses around a whole deparsed expression.
const char *unparenthesized(char *text) {
	size_t n = strlen(text);
	if (n >= 2 && text[0] == '(' && text[n - 1] == ')') {
		text[n - 1] = '\0';
		return text + 1;
	}
	return text;
}

// Does the existing index `idx` match the contract's? Unique indexes carry
// rules and must match exactly (key columns and predicate, in any order of
// conjuncts); a plain index only has to index the same leading column.
bool index_matches(Oid relid, Oid idx, const IndexSpec &spec) {
	if (get_rel_relkind(idx) != RELKIND_INDEX)
		return false;
	Relation irel = index_open(idx, AccessShareLock);
	Form_pg_index form = irel->rd_index;
	bool ok = form->indrelid == relid && form->indisvalid && irel->rd_rel->relam == BTREE_AM_OID &&
	          form->indkey.values[0] == get_attnum(relid, spec.columns[0]);
	if (ok && spec.unique) {
		int ncols = 0;
		while (ncols < 3 && spec.columns[ncols])
			ncols++;
		int npred = 0;
		while (npred < 3 && spec.predicate[npred])
			npred++;
		ok = form->indisunique && form->indnkeyatts == ncols && RelationGetIndexExpressions(irel) == NIL;
		for (int i = 0; ok && i < ncols; i++)
			ok = form->indkey.values[i] == get_attnum(relid, spec.columns[i]);
		List *predicate = RelationGetIndexPredicate(irel);
		ok = ok && list_length(predicate) == npred;
		if (ok && predicate != NIL) {
			List *context = deparse_context_for(get_rel_name(relid), relid);
			ListCell *cell;
			foreach (cell, predicate) {
				const char *text = unparenthesized(deparse_expression(static_cast<Node *>(lfirst(cell)), context,
				                                                      false, false));
				bool found = false;
				for (int i = 0; i < npred; i++)
					found = found || strcmp(text, spec.predicate[i]) == 0;
				ok = ok && found;
			}
		}
	}
	index_close(irel, AccessShareLock);
	return ok;
}

// Creates the contract's indexes, or checks the ones that exist by name.
void ensure_indexes(const TableSpec &t, Oid relid) {
	Oid nsp = get_namespace_oid("core_api", false);
	for (const IndexSpec &spec : t.indexes) {
		Oid idx = get_relname_relid(spec.name, nsp);
		if (!OidIsValid(idx))
			run(spec.create);
		else if (!index_matches(relid, idx, spec))
			throw pp::errors::pivot_shape(t.name, spec.columns[0], spec.shape);
	}
}

// One foreign key the contract requires: column → target (pk), NO ACTION.
struct ForeignKey {
	const char *column;
	const char *constraint;  // name given when it is missing
	const char *target;      // core_api.people
	Oid target_relid;
};

struct ForeignKeys {
	ForeignKey person, target;
};

// person_pk → the people table; the target column → core_api.<target_table>.
ForeignKeys foreign_keys(const TableSpec &t, const char *people) {
	return {{"person_pk", psprintf("%s_person_pk_foreign", t.relname), people, pp::host::people_relid()},
	        {t.target_column, psprintf("%s_%s_foreign", t.relname, t.target_column),
	         psprintf("core_api.%s", t.target_table), pp::host::core_api_relid(t.target_table)}};
}

// Checks an existing foreign key on fk.column, or its absence, and returns
// the statement that brings it to the contract (or nullptr when it is).
// Rows the constraint would reject are reported first.
const char *plan_foreign_key(const TableSpec &t, Oid relid, const ForeignKey &fk) {
	AttrNumber attnum = get_attnum(relid, fk.column);
	AttrNumber target_pk = get_attnum(fk.target_relid, "pk");
	run(formatf("SELECT c.conname, c.confrelid, c.confkey, c.confupdtype, c.confdeltype, c.convalidated"
	            " FROM pg_catalog.pg_constraint c WHERE c.conrelid OPERATOR(pg_catalog.=) %u"
	            " AND c.contype OPERATOR(pg_catalog.=) 'f'"
	            " AND c.conkey OPERATOR(pg_catalog.=) ARRAY[%d]::pg_catalog.int2[] ORDER BY c.conname",
	            relid, attnum));
	uint64 n = SPI_processed;
	SPITupleTable *found = SPI_tuptable;
	const char *shape = formatf("integer NOT NULL REFERENCES %s (pk)", fk.target);
	const char *statement = nullptr;
	bool need_rows_check = n == 0;
	for (uint64 i = 0; i < n; i++) {
		HeapTuple tuple = found->vals[i];
		TupleDesc desc = found->tupdesc;
		char *conname = SPI_getvalue(tuple, desc, 1);
		char *confkey = SPI_getvalue(tuple, desc, 3);
		bool isnull;
		Oid confrelid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
		char upd = DatumGetChar(SPI_getbinval(tuple, desc, 4, &isnull));
		char del = DatumGetChar(SPI_getbinval(tuple, desc, 5, &isnull));
		bool validated = DatumGetBool(SPI_getbinval(tuple, desc, 6, &isnull));
		if (confrelid != fk.target_relid || strcmp(confkey, psprintf("{%d}", target_pk)) != 0)
			throw pp::errors::pivot_shape(t.name, fk.column, shape);
		const char *quoted = quote_identifier(conname);
		// Any action but NO ACTION/RESTRICT would remove or rewrite pivot rows
		// as a side effect of a change to a person or target (docs/design.md,
		// Pivot tables).
		if (strchr("ar", upd) == nullptr || strchr("ar", del) == nullptr) {
			statement = formatf("ALTER TABLE %s DROP CONSTRAINT %s, ADD CONSTRAINT %s FOREIGN KEY (%s)"
			                    " REFERENCES %s (pk)",
			                    t.name, quoted, quoted, fk.column, fk.target);
			need_rows_check = need_rows_check || !validated;
		} else if (!validated) {
			statement = formatf("ALTER TABLE %s VALIDATE CONSTRAINT %s", t.name, quoted);
			need_rows_check = true;
		}
	}
	if (n == 0)
		statement = formatf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (pk)", t.name,
		                    fk.constraint, fk.column, fk.target);
	if (need_rows_check)
		check_rows(t, formatf("%s references %s (pk)", fk.column, fk.target), repair_manual,
		           offenders_by_pk(t, formatf("r.%s IS NOT NULL AND NOT EXISTS (SELECT FROM %s x"
		                                      " WHERE x.pk OPERATOR(pg_catalog.=) r.%s)",
		                                      fk.column, fk.target, fk.column)));
	return statement;
}

// Adoption, phase 1. Columns: the documented types and nullability; the
// ones that can be added are added.
void check_columns_add_missing(const TableSpec &t, Oid relid) {
	for (const ColumnSpec &col : t.columns) {
		AttrNumber attnum = get_attnum(relid, col.name);
		if (attnum == InvalidAttrNumber) {
			if (!col.add)
				throw pp::errors::pivot_shape(t.name, col.name, col.shape);
			runf("ALTER TABLE %s ADD COLUMN %s %s", t.name, col.name, col.add);
			continue;
		}
		Oid type;
		int32 typmod;
		Oid collation;
		get_atttypetypmodcoll(relid, attnum, &type, &typmod, &collation);
		if (type != col.type || (col.typmod != -1 && typmod != col.typmod))
			throw pp::errors::pivot_shape(t.name, col.name, col.shape);
		if (!col.not_null && attnotnull(relid, attnum))
			throw pp::errors::pivot_shape(t.name, col.name, col.shape);
	}
}

// Phase 2. Primary key: exactly (pk), or none. Returns its index, or
// InvalidOid when there is none (phase 4 adds it).
Oid check_primary_key(const TableSpec &t, Oid relid) {
	Relation rel = table_open(relid, AccessShareLock);
	Oid pk_index = RelationGetPrimaryKeyIndex(rel);
	table_close(rel, NoLock);
	if (OidIsValid(pk_index)) {
		Relation irel = index_open(pk_index, AccessShareLock);
		bool ok = irel->rd_index->indnkeyatts == 1 && irel->rd_index->indkey.values[0] == get_attnum(relid, "pk");
		index_close(irel, AccessShareLock);
		if (!ok)
			throw pp::errors::pivot_shape(t.name, "pk", pk_column.shape);
	}
	return pk_index;
}

// The statements phase 4 runs to bring the two foreign keys to the
// contract (nullptr: nothing to do).
struct ForeignKeyStatements {
	const char *person, *target;
};

// Phase 3, the rules of a link: one active row per pair, at most one active
// primary per person, both ends in one workspace.
void check_link_rows(const TableSpec &t, const char *people) {
	check_rows(t, formatf("one active row per (person_pk, %s)", t.target_column), repair_script,
	           formatf("SELECT pg_catalog.string_agg(pg_catalog.format('person_pk %%s %s %%s', d.p, d.t), ', ')"
	                   " FROM (SELECT r.person_pk AS p, r.%s AS t FROM %s r WHERE r.deleted_at IS NULL"
	                   " GROUP BY 1, 2 HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1 ORDER BY 1, 2 LIMIT 5) d"
	                   " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0",
	                   t.target_column, t.target_column, t.name));
	if (t.has_primary)
		check_rows(t, "at most one active primary per person", repair_script,
		           formatf("SELECT pg_catalog.string_agg(pg_catalog.format('person_pk %%s', d.p), ', ')"
		                   " FROM (SELECT r.person_pk AS p FROM %s r WHERE r.deleted_at IS NULL AND r.is_primary"
		                   " GROUP BY 1 HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1 ORDER BY 1 LIMIT 5) d"
		                   " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0",
		                   t.name));
	Oid target_relid = pp::host::core_api_relid(t.target_table);
	if (get_attnum(pp::host::people_relid(), "workspace_pk") != InvalidAttrNumber &&
	    get_attnum(target_relid, "workspace_pk") != InvalidAttrNumber)
		check_rows(t, "an active link stays inside one workspace", repair_script,
		           offenders_by_pk(t, formatf("r.deleted_at IS NULL AND EXISTS (SELECT FROM %s p, core_api.%s x"
		                                      " WHERE p.pk OPERATOR(pg_catalog.=) r.person_pk"
		                                      " AND x.pk OPERATOR(pg_catalog.=) r.%s"
		                                      " AND p.workspace_pk OPERATOR(pg_catalog.<>) x.workspace_pk)",
		                                      people, t.target_table, t.target_column)));
}

// Phase 3. Rows: every rule the constraints and triggers will enforce, in
// this order (the first broken one is reported). The foreign keys are
// planned here, their rows checked with them.
ForeignKeyStatements check_existing_rows(const TableSpec &t, Oid relid, Oid pk_index, const char *people) {
	for (const ColumnSpec &col : t.columns)
		if (col.not_null && !attnotnull(relid, get_attnum(relid, col.name)))
			check_rows(t, formatf("%s is not null", col.name), col.repairable ? repair_script : repair_manual,
			           offenders_by_pk(t, formatf("r.%s IS NULL", col.name)));
	if (!OidIsValid(pk_index))
		check_rows(t, "pk is unique", repair_manual,
		           offenders_by_pk(t, formatf("r.pk OPERATOR(pg_catalog.=) ANY (SELECT d.pk FROM %s d GROUP BY d.pk"
		                                      " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1)",
		                                      t.name)));
	const ForeignKeys fks = foreign_keys(t, people);
	const ForeignKeyStatements statements = {plan_foreign_key(t, relid, fks.person),
	                                         plan_foreign_key(t, relid, fks.target)};
	check_link_rows(t, people);
	return statements;
}

// Phase 4: a serial default for pk when it has none (the functions insert
// without a pk), from a sequence that starts after the existing rows.
void add_pk_sequence_if_missing(const TableSpec &t, Oid relid) {
	if (first_value(formatf("SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) %u"
	                        " AND a.attnum OPERATOR(pg_catalog.=) %d AND (a.atthasdef OR a.attidentity"
	                        " OPERATOR(pg_catalog.<>) '')",
	                        relid, get_attnum(relid, "pk"))))
		return;
	runf("CREATE SEQUENCE core_api.%s_pk_seq AS integer OWNED BY %s.pk", t.relname, t.name);
	runf("SELECT pg_catalog.setval('core_api.%s_pk_seq', COALESCE(pg_catalog.max(pk), 0) OPERATOR(pg_catalog.+) 1, false) FROM %s",
	     t.relname, t.name);
	runf("ALTER TABLE %s ALTER COLUMN pk SET DEFAULT pg_catalog.nextval('core_api.%s_pk_seq'::pg_catalog.regclass)",
	     t.name, t.relname);
	runf("ALTER EXTENSION person_pivots DROP SEQUENCE core_api.%s_pk_seq", t.relname);
}

// Phase 4. Add what is missing: NOT NULL, defaults, the primary key, the pk
// sequence, the foreign keys.
void add_missing_constraints(const TableSpec &t, Oid relid, Oid pk_index, const ForeignKeyStatements &fks) {
	for (const ColumnSpec &col : t.columns) {
		AttrNumber attnum = get_attnum(relid, col.name);
		if (col.not_null && !attnotnull(relid, attnum))
			runf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t.name, col.name);
		if (col.fill && !first_value(formatf("SELECT 1 FROM pg_catalog.pg_attrdef d WHERE d.adrelid"
		                                     " OPERATOR(pg_catalog.=) %u AND d.adnum OPERATOR(pg_catalog.=) %d",
		                                     relid, attnum)))
			runf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", t.name, col.name, col.fill);
	}
	if (!OidIsValid(pk_index))
		runf("ALTER TABLE %s ADD PRIMARY KEY (pk)", t.name);
	add_pk_sequence_if_missing(t, relid);
	if (fks.person)
		run(fks.person);
	if (fks.target)
		run(fks.target);
}

// Adopts an existing pivot table: checks its shape, then its rows against
// every rule, and only then changes it. Any failure aborts CREATE
// EXTENSION, which leaves the table exactly as it was.
void adopt(const TableSpec &t, Oid relid, const char *people) {
	check_columns_add_missing(t, relid);
	Oid pk_index = check_primary_key(t, relid);
	ForeignKeyStatements fk_statements = check_existing_rows(t, relid, pk_index, people);
	add_missing_constraints(t, relid, pk_index, fk_statements);
}

// Creates the pivot table from its spec. The table and its serial sequence
// leave the extension: they are application tables.
void create_table(const TableSpec &t, const char *people) {
	const ForeignKeys fks = foreign_keys(t, people);
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (", t.name);
	for (const ColumnSpec &col : t.columns) {
		appendStringInfo(&sql, "%s %s %s", sql.data[sql.len - 1] == '(' ? "" : ",", col.name,
		                 strcmp(col.name, "pk") == 0 ? "serial PRIMARY KEY" : col.shape);
		if (col.fill)
			appendStringInfo(&sql, " DEFAULT %s", col.fill);
		for (const ForeignKey *fk : {&fks.person, &fks.target})
			if (strcmp(col.name, fk->column) == 0)
				appendStringInfo(&sql, " CONSTRAINT %s REFERENCES %s (pk)", fk->constraint, fk->target);
	}
	appendStringInfoChar(&sql, ')');
	run(sql.data);
	runf("ALTER EXTENSION person_pivots DROP TABLE %s", t.name);
	runf("ALTER EXTENSION person_pivots DROP SEQUENCE core_api.%s_pk_seq", t.relname);
}

// Creates the pivot table or adopts the existing one, then brings indexes,
// triggers, privileges and comment to the contract.
void install_table(const TableSpec &t, const char *people) {
	Oid relid = pp::host::core_api_relid(t.relname);
	if (!OidIsValid(relid)) {
		create_table(t, people);
		relid = pp::host::core_api_relid(t.relname);
	} else {
		adopt(t, relid, people);
	}
	ensure_indexes(t, relid);
	runf("CREATE OR REPLACE TRIGGER person_pivots_guard BEFORE INSERT OR UPDATE OR DELETE ON %s"
	     " FOR EACH ROW EXECUTE FUNCTION person_pivots_internal.%s_guard()",
	     t.name, t.relname);
	runf("CREATE OR REPLACE TRIGGER person_pivots_truncate_guard BEFORE TRUNCATE ON %s"
	     " FOR EACH STATEMENT EXECUTE FUNCTION person_pivots_internal.%s_truncate_guard()",
	     t.name, t.relname);
	runf("REVOKE ALL ON TABLE %s FROM PUBLIC", t.name);
	runf("COMMENT ON TABLE %s IS %s", t.name, quote_literal_cstr(t.comment));
}

// Runs every statement the query returns (first column, in order).
void run_each(const char *query) {
	List *statements = first_column(query);
	ListCell *cell;
	foreach (cell, statements)
		run(static_cast<const char *>(lfirst(cell)));
}

// Functions of schema person_pivots that are (or are not) members of the
// extension whose script is running.
const char *api_functions_where_member(bool member) {
	return formatf("FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=)"
	               " 'person_pivots'::pg_catalog.regnamespace AND %s EXISTS (SELECT FROM pg_catalog.pg_depend d"
	               " WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
	               " AND d.objid OPERATOR(pg_catalog.=) p.oid"
	               " AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
	               " AND d.refobjid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
	               " AND d.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog.\"char\") ORDER BY 1",
	               member ? "" : "NOT", CurrentExtensionObject);
}

// Declares the API functions: the statements of `ddl` (CREATE [OR REPLACE]
// FUNCTION, COMMENT ON, GRANT/REVOKE, DROP FUNCTION), with {people} the
// people table. They return SETOF the pivot tables, so they follow them,
// and like the tables they are ordinary objects, not extension members:
// pg_dump writes them after the tables. The same code runs at CREATE
// EXTENSION and from an upgrade script (install_api below). PostgreSQL
// refuses CREATE OR REPLACE, inside an extension script, of an object the
// extension does not own: the existing API functions become members for
// the length of `ddl`, then every function of the schema is detached again.
// A function replaced in place keeps its oid, owner, grants and dependents.
void declare_api(const char *ddl) {
	run_each(formatf("SELECT pg_catalog.format('ALTER EXTENSION person_pivots ADD FUNCTION %%s',"
	                 " p.oid::pg_catalog.regprocedure) %s",
	                 api_functions_where_member(false)));
	run(pp::host::with_people_table(ddl));
	run_each(formatf("SELECT pg_catalog.format('ALTER EXTENSION person_pivots DROP FUNCTION %%s',"
	                 " p.oid::pg_catalog.regprocedure) %s",
	                 api_functions_where_member(true)));
}

}  // namespace

PP_FUNCTION(install_tables) {
	if (!creating_extension)
		throw pp::errors::outside_extension_script("install_tables", "CREATE EXTENSION person_pivots");
	Oid people = pp::host::people_relid();
	if (!OidIsValid(people) && row_security_off()) {
		// WARNING, not NOTICE: CREATE EXTENSION hides its script's notices.
		ereport(WARNING, (errmsg("person_pivots: host tables are absent and row_security is off: "
		                        "installing functions only (restore mode)"),
		                 errdetail("The dump being restored brings the pivot tables, their rows and triggers.")));
		PG_RETURN_VOID();
	}
	const char *people_name = pp::host::people_name();
	// The whole host contract (tables, keys and their types, ids and their
	// unique indexes, optional columns), before anything is created.
	pp::contract::verify();

	SPI_connect();
	install_table(person_media_spec, people_name);
	install_table(person_locations_spec, people_name);
	declare_api(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	SPI_finish();
	PG_RETURN_VOID();
}

// person_pivots_internal.install_api(declarations), for upgrade scripts: a
// version that changes API functions passes the new statements (CREATE OR
// REPLACE FUNCTION, COMMENT ON, ...); see CONTRIBUTING.md, "Changing an API
// function". In restore mode there is nothing to change: the dump brings
// the API functions as the dumped database declared them.
PP_FUNCTION(install_api) {
	if (!creating_extension || CurrentExtensionObject != get_extension_oid("person_pivots", true))
		throw pp::errors::outside_extension_script("install_api",
		                                           "CREATE EXTENSION or ALTER EXTENSION person_pivots UPDATE");
	if (!OidIsValid(pp::host::people_relid()) && row_security_off())
		PG_RETURN_VOID();
	// Every update script calls this: ALTER EXTENSION UPDATE refuses a host
	// that breaks the contract, as CREATE EXTENSION does.
	pp::contract::verify();
	SPI_connect();
	declare_api(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	SPI_finish();
	PG_RETURN_VOID();
}
