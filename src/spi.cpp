// Saved-plan execution for fixed statements; one-shot statements.
#include "spi.hpp"
#include "host.hpp"
#include "host_contract.hpp"

namespace pp::spi {

namespace {

SPIPlanPtr plan_for(Statement &stmt) {
	uint64 generation = contract::generation();
	if (stmt.plan && stmt.generation == generation)
		return stmt.plan;
	if (stmt.plan)
		SPI_freeplan(stmt.plan);
	stmt.plan = nullptr;
	const char *text = host::with_people_table(stmt.text);
	// Generic plans only: every statement here looks rows up by key, and a
	// custom plan per call (which the plan cache would otherwise try, and
	// keep for statements like "$2 IS NULL OR workspace_pk = $2") costs a
	// full planning run on every API call.
	SPIPlanPtr plan = SPI_prepare_cursor(text, stmt.nargs, stmt.argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (!plan)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", text, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	stmt.plan = plan;
	// The generation read before preparing: an invalidation taken in while
	// preparing makes the next execution prepare again.
	stmt.generation = generation;
	return plan;
}

}  // namespace

uint64 execute(Statement &stmt, const Datum *values, const char *nulls, bool read_only, long limit) {
	int rc = SPI_execute_plan(plan_for(stmt), const_cast<Datum *>(values), nulls, read_only, limit);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

uint64 execute_indexed(Statement &stmt, const Datum *values, const char *nulls, Snapshots snapshots) {
	// Planning (or replanning, after an invalidation) happens inside the
	// execution: the setting must hold during it. The nesting level is
	// popped here, or by (sub)transaction abort after an error.
	int level = NewGUCNestLevel();
	set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SPIPlanPtr plan = plan_for(stmt);
	int rc = SPI_execute_snapshot(plan, const_cast<Datum *>(values), nulls, snapshots.snapshot, snapshots.crosscheck,
	                              false, true, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	AtEOXact_GUC(true, level);
	return SPI_processed;
}

Portal open_cursor(Statement &stmt, const Datum *values, const char *nulls, bool read_only) {
	Portal portal = SPI_cursor_open(nullptr, plan_for(stmt), const_cast<Datum *>(values), nulls, read_only);
	if (!portal)
		elog(ERROR, "SPI_cursor_open failed: %s", SPI_result_code_string(SPI_result));
	return portal;
}

uint64 execute_as(Oid role, Statement &stmt, const Datum *values, const char *nulls, bool read_only, long limit) {
	Oid saved_user;
	int saved_sec;
	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(role, saved_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	uint64 n = execute(stmt, values, nulls, read_only, limit);
	// On error, transaction abort restores the user id.
	SetUserIdAndSecContext(saved_user, saved_sec);
	return n;
}

void run(const char *sql) {
	int rc = SPI_execute(sql, false, 0);
	if (rc < 0)
		elog(ERROR, "person_pivots statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

namespace {

char *vformat(const char *fmt, va_list args) pg_attribute_printf(1, 0);
char *vformat(const char *fmt, va_list args) {
	StringInfoData buf;
	initStringInfo(&buf);
	for (;;) {
		va_list copy;
		va_copy(copy, args);
		int needed = appendStringInfoVA(&buf, fmt, copy);
		va_end(copy);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	return buf.data;
}

}  // namespace

char *formatf(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	char *out = vformat(fmt, args);
	va_end(args);
	return out;
}

void runf(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	char *sql = vformat(fmt, args);
	va_end(args);
	run(sql);
}

char *first_value(const char *sql) {
	run(sql);
	if (SPI_processed == 0)
		return nullptr;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

List *first_column(const char *sql) {
	run(sql);
	List *values = NIL;
	for (uint64 i = 0; i < SPI_processed; i++)
		values = lappend(values, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	return values;
}

}  // namespace pp::spi
