// Converts C++ exceptions into Postgres errors at every entry point.
#include "boundary.hpp"

#include <cstring>
#include <new>

namespace pp::detail {

namespace {

// Fixed buffers: filling them calls no Postgres function, so nothing can
// longjmp while an exception object is still alive.
struct Report {
	int sqlstate = ERRCODE_INTERNAL_ERROR;
	bool internal = true;
	char message[1024] = {0};
	char detail[1024] = {0};
	char hint[512] = {0};
};

void copy(char *dst, size_t size, const char *src) {
	if (!src)
		return;
	std::strncpy(dst, src, size - 1);
	dst[size - 1] = '\0';
}

}  // namespace

Datum run_guarded(FunctionCallInfo fcinfo, Datum (*impl)(FunctionCallInfo), const char *name) {
	Report report;
	try {
		return impl(fcinfo);
	} catch (const Error &e) {
		report.sqlstate = e.sqlstate();
		report.internal = false;
		copy(report.message, sizeof report.message, e.what());
		copy(report.detail, sizeof report.detail, e.detail().c_str());
		copy(report.hint, sizeof report.hint, e.hint().c_str());
	} catch (const std::bad_alloc &) {
		report.sqlstate = ERRCODE_OUT_OF_MEMORY;
		report.internal = false;
		copy(report.message, sizeof report.message, "out of memory");
	} catch (const std::exception &e) {
		copy(report.message, sizeof report.message, e.what());
	} catch (...) {
		copy(report.message, sizeof report.message, "unknown C++ exception");
	}
	// Every C++ object of the body has been destroyed: raising is safe now.
	// These ereports stay here, outside errors.cpp: they are where every
	// pp::Error becomes a Postgres error, and the two errors built in this
	// file (53200 out of memory, XX000 unexpected exception) must not
	// allocate a pp::Error: after std::bad_alloc that could throw again.
	if (report.internal)
		ereport(ERROR, (errcode(report.sqlstate),
		                errmsg_internal("unexpected C++ exception in %s: %s", name, report.message)));
	ereport(ERROR, (errcode(report.sqlstate), errmsg_internal("%s", report.message),
	                report.detail[0] ? errdetail_internal("%s", report.detail) : 0,
	                report.hint[0] ? errhint("%s", report.hint) : 0));
	pg_unreachable();
}

}  // namespace pp::detail
