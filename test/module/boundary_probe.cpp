// boundary_probe(mode), of the test module person_pivots_test (never
// shipped): drives each path of the C++/Postgres boundary through the
// shipped library's PP_FUNCTION entry (pp::detail::run_guarded, linked
// from person_pivots.so) so the regression suite (sql/boundary.sql, which
// declares it) can prove it.
#include "boundary.hpp"
#include "errors.hpp"

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
PG_MODULE_MAGIC;

// Empty, and needed: PostgreSQL looks _PG_init up in this module's handle,
// and dlsym would otherwise find person_pivots.so's (a dependency of this
// module) and register its settings a second time.
PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {}
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

// A real allocation failure under C++ objects: reserving 2^60 bytes makes
// operator new fail (std::bad_alloc), which unwinds the tracker and the
// strings on the way to the entry point.
size_t allocate_too_much() {
	Tracker tracker;
	std::vector<std::string> owned{"destructors", "must", "run"};
	std::vector<char> huge;
	huge.reserve(size_t{1} << 60);
	return huge.capacity() + owned.size();
}

// A C++ exception thrown from under C++ objects.
[[noreturn]] void throw_under_objects(const char *mode) {
	Tracker tracker;
	std::vector<std::string> owned{"destructors", "must", "run"};
	if (strcmp(mode, "cpp") == 0)
		throw pp::errors::invalid_argument("mode", mode, "The probe raised a pp::Error on purpose.");
	throw std::runtime_error("probe: std::runtime_error on purpose");
}

}  // namespace

PP_FUNCTION(boundary_probe) {
	const char *mode = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(mode, "live") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("%d", live_trackers)));
	if (strcmp(mode, "cpp") == 0 || strcmp(mode, "std") == 0)
		throw_under_objects(mode);
	if (strcmp(mode, "alloc") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("%zu", allocate_too_much())));
	// A Postgres error inside the entry point: it longjmps through
	// run_guarded unchanged (22P02 from int4in). This frame holds only
	// trivially destructible locals, as every shipped caller of Postgres.
	if (strcmp(mode, "pg") == 0)
		DirectFunctionCall1(int4in, CStringGetDatum("not a number"));
	PG_RETURN_TEXT_P(cstring_to_text("ok"));
}
