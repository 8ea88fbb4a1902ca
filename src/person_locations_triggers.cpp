// Triggers of core_api.person_locations: the shared pivot rules
// (pivot_rules.hpp) plus rule 5, one active primary per person
// (primary_location_rule.hpp).
#include "boundary.hpp"
#include "pivot_rules.hpp"
#include "primary_location_rule.hpp"

PP_FUNCTION(person_locations_guard) {
	return pp::rules::guard_row(fcinfo, pp::rules::person_locations, pp::primary::on_primary_change);
}

PP_FUNCTION(person_locations_truncate_guard) {
	return pp::rules::guard_truncate(fcinfo, pp::rules::person_locations);
}
