// Triggers of core_api.person_media: the shared pivot rules, nothing more.
#include "boundary.hpp"
#include "pivot_rules.hpp"

PP_FUNCTION(person_media_guard) {
	return pp::rules::guard_row(fcinfo, pp::rules::person_media, nullptr);
}

PP_FUNCTION(person_media_truncate_guard) {
	return pp::rules::guard_truncate(fcinfo, pp::rules::person_media);
}
