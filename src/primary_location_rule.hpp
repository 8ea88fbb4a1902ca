// Rule 5, one active primary location per person: the person_locations
// trigger's primary hook (pivot_rules.hpp), with the person lock and the
// demotion of the previous primary. See docs/concurrency.md.
#pragma once

#include "pg.hpp"
#include "pivot_rules.hpp"

namespace pp::primary {

// Called by the row trigger when `row` becomes or is an active primary
// (pivot_rules.hpp, PrimaryHook).
void on_primary_change(Relation rel, const rules::Columns &cols, HeapTuple row, rules::PrimaryEvent event,
                       const ItemPointerData *person_tid);

}  // namespace pp::primary
