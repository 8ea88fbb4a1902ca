// boundary_probe(mode), of the test module person_pivots_test (never
// shipped): drives each path of the C++/Postgres boundary so the regression
// suite (sql/boundary.sql, which declares it) can prove it.
#include "boundary.hpp"
#include "errors.hpp"

#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
PG_MODULE_MAGIC;
}

namespace {

// Counts live instances, so the test can see that every destructor ran.
int live_trackers = 0;
struct Tracker {
	Tracker() { ++live_trackers; }
	~Tracker() { --live_trackers; }
	Tracker(const Tracker &) = delete;
	Tracker &operator=(const Tracker &) = delete;
};

// Owns C++ objects while Postgres raises an error underneath: pp::pg turns
// the longjmp into an exception, the vector is freed, the entry point
// re-raises the original error (SQLSTATE 22P02 from int4in).
std::string parse_with_cpp_frames(const char *text) {
	Tracker tracker;
	std::vector<std::string> owned{"destructors", "must", "run"};
	int32 value = pp::pg([&] { return DatumGetInt32(DirectFunctionCall1(int4in, CStringGetDatum(text))); });
	return owned.front() + " " + std::to_string(value);
}

// Throws a C++ exception from inside pp::pg, i.e. inside its PG_TRY block:
// it must leave only after PG_END_TRY, or Postgres' error stack would point
// at a dead frame and the next ereport would jump into it.
void throw_inside_pg() {
	Tracker tracker;
	pp::pg([] { throw pp::errors::invalid_argument("mode", "pg-throw", "The probe threw inside pp::pg on purpose."); });
}

}  // namespace

PP_FUNCTION(boundary_probe) {
	const char *mode = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(mode, "live") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(std::to_string(live_trackers).c_str()));
	if (strcmp(mode, "cpp") == 0)
		throw pp::errors::invalid_argument("mode", mode, "The probe raised a pp::Error on purpose.");
	if (strcmp(mode, "std") == 0)
		throw std::runtime_error("probe: std::runtime_error on purpose");
	if (strcmp(mode, "alloc") == 0)
		throw std::bad_alloc();
	if (strcmp(mode, "pg") == 0)
		parse_with_cpp_frames("not a number");
	if (strcmp(mode, "pg-throw") == 0)
		throw_inside_pg();
	if (strcmp(mode, "pg-ok") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(parse_with_cpp_frames("42").c_str()));
	PG_RETURN_TEXT_P(cstring_to_text("ok"));
}
