// Saved-plan execution for fixed statements.
#include "spi.hpp"
#include "host.hpp"



namespace pp::spi {

namespace {

SPIPlanPtr plan_for(Statement &stmt) {
	Oid people = host::people_relid();
	if (stmt.plan && stmt.people == people)
		return stmt.plan;
	if (stmt.plan)
		SPI_freeplan(stmt.plan);
	stmt.plan = nullptr;
	// Build the text in palloc'd memory: this frame calls Postgres directly.
	const char *marker = strstr(stmt.text, "{people}");
	const char *text = stmt.text;
	if (marker) {
		StringInfoData buf;
		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, stmt.text, marker - stmt.text);
		appendStringInfoString(&buf, host::people_name());
		appendStringInfoString(&buf, marker + strlen("{people}"));
		text = buf.data;
	}
	SPIPlanPtr plan = SPI_prepare(text, stmt.nargs, stmt.argtypes);
	if (!plan)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", text, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	stmt.plan = plan;
	stmt.people = people;
	return plan;
}

}  // namespace

uint64 execute(Statement &stmt, const Datum *values, const char *nulls, bool read_only, long limit) {
	int rc = SPI_execute_plan(plan_for(stmt), const_cast<Datum *>(values), nulls, read_only, limit);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
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

}  // namespace pp::spi
